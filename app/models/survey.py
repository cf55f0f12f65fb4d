"""Satisfaction surveys: one invitation per trigger and person, at most one response to it.

A :class:`SurveyInvitation` is made when a trigger of ``workflows/surveys.py`` fires for a person
(intake approved, PVT signed, MAP final interview, every six months in the route, end of the
route). It names the partner being rated and carries a single-use link (a random token stored
hashed, valid 30 days) that needs no sign-in; the answers themselves are a :class:`Filling` of the
survey's workflow, by web or SMS, like the intake. When the filling-in is finished, one
:class:`SurveyResponse` row is written: the mark and closed answers with the dimensions the
dashboard groups by copied in (municipality, partner, language, doelgroep, leerroute, quarter), so
every dashboard figure is one aggregate over one table. A response is never shown with the person.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .filling import Filling
from .newcomer import Newcomer
from .partner import Partner
from .tenancy import TenantOwned
from .types import UTCDateTime, utcnow

# Invitation status
INVITED = "invited"
RESPONDED = "responded"
EXPIRED = "expired"
SKIPPED = "skipped"
"""Not sent: the person opted out of surveys, has no reachable number, or the file closed."""
STATUS_LABELS = {INVITED: _l("Invited"), RESPONDED: _l("Answered"), EXPIRED: _l("Expired"), SKIPPED: _l("Not sent")}
"""Each invitation status in words, for the file's pages and the person's own export."""


class SurveyInvitation(TenantOwned, db.Model):
    """One invitation to rate one partner, for one trigger occasion of one person."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("newcomer_id", "occasion"),
        Index("ix_survey_invitations_municipality_created", "municipality_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(30))
    """A trigger id of ``workflows/surveys.py``."""
    occasion: Mapped[str] = mapped_column(String(60))
    """The trigger and what makes it unique for the person (``six_monthly:3``): one invitation each."""
    survey_id: Mapped[str] = mapped_column(String(50))
    """The survey workflow's id (per partner kind)."""
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    partner_kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=INVITED)
    skip_reason: Mapped[str | None] = mapped_column(String(20))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The single-use link's token, hashed; cleared once used or expired."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(3))
    """How it was answered: ``web`` or ``sms``."""
    filling_id: Mapped[int | None] = mapped_column(ForeignKey("fillings.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    newcomer: Mapped[Newcomer] = relationship()
    partner: Mapped[Partner | None] = relationship()
    filling: Mapped[Filling | None] = relationship()


class SurveyResponse(TenantOwned, db.Model):
    """The answers of one finished survey, with the dashboard's dimensions copied in."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint("mark BETWEEN 1 AND 10", name="ck_survey_responses_mark"),
        Index("ix_survey_responses_municipality_on", "municipality_id", "answered_on"),
        Index("ix_survey_responses_partner_on", "partner_id", "answered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_invitations.id", ondelete="SET NULL"), unique=True
    )
    """Empty once the person's file is erased: the figures stay, the link to the person goes."""
    survey_id: Mapped[str] = mapped_column(String(50))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    partner_kind: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(30))
    mark: Mapped[int] = mapped_column(SmallInteger)
    """The rapportcijfer 1-10 (the face scale stores the same)."""
    heard: Mapped[int | None] = mapped_column(SmallInteger)
    clear: Mapped[int | None] = mapped_column(SmallInteger)
    own_language: Mapped[int | None] = mapped_column(SmallInteger)
    """Closed questions: 1 no, 2 partly, 3 yes; empty when not asked or not answered."""
    comment: Mapped[str | None] = mapped_column(Text)
    """Scrubbed of phone numbers, e-mail addresses, BSNs and names before it is stored."""
    comment_language: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8))
    doelgroep: Mapped[str] = mapped_column(String(20))
    leerroute: Mapped[str | None] = mapped_column(String(1))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_on: Mapped[date]
    """The day in Europe/Amsterdam (periods and quarters are days there)."""
    quarter: Mapped[str] = mapped_column(String(7))
    """``2026-Q4``, of ``answered_on``."""
