"""Newcomers (inburgeraars) and their invitations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .municipality import Municipality
from .staff import Staff
from .tenancy import TenantOwned
from .types import UTCDateTime, utcnow

STATUSHOUDER = "statushouder"
GEZINSMIGRANT = "gezinsmigrant_overig"
DOELGROEPEN = (STATUSHOUDER, GEZINSMIGRANT)
PIP_TERM = timedelta(weeks=10)
"""The PIP must be set within 10 weeks of DUO's notice, or of settling when that is later."""


class Newcomer(TenantOwned, db.Model):
    """A person who must complete civic integration (inburgeraar); signs in with their phone."""

    __tablename__ = "newcomers"
    __table_args__ = (
        UniqueConstraint("municipality_id", "external_id"),
        # The caseload (app/backoffice/caseload.py): one ordered index scan per municipality for each
        # sort, ending in the id so that a keyset cursor seeks into it (migration 0007).
        Index(
            "ix_newcomers_caseload_deadline",
            "municipality_id",
            "pip_deadline_on",
            "id",
            # on PostgreSQL the filters' columns ride along (the name too, for the search): a filtered
            # page and its count are index-only scans
            postgresql_include=["status", "doelgroep", "leerroute", "language", "klantmanager_id", "name"],
        ),
        Index("ix_newcomers_caseload_status", "municipality_id", "status", "pip_deadline_on", "id"),
        Index("ix_newcomers_caseload_klantmanager", "municipality_id", "klantmanager_id", "pip_deadline_on", "id"),
        Index("ix_newcomers_caseload_name", "municipality_id", "name", "id"),
        Index("ix_newcomers_caseload_registered", "municipality_id", "created_at", "id"),
        # Name search (ILIKE '%...%'): a trigram index on PostgreSQL, a plain one elsewhere.
        Index("ix_newcomers_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    """E.164, e.g. +31612345678."""
    language: Mapped[str] = mapped_column(String(8), default="nl")
    doelgroep: Mapped[str] = mapped_column(String(20), default=STATUSHOUDER)
    status: Mapped[str] = mapped_column(String(30), default="registered")
    duo_notified_on: Mapped[date | None]
    settled_on: Mapped[date | None]
    pip_deadline_on: Mapped[date | None] = mapped_column(index=True)
    """Stored so the caseload can sort and filter on it; see :meth:`update_deadline`."""
    leerroute: Mapped[str | None] = mapped_column(String(1))
    """The route of the newest PIP, for the caseload filter."""
    bsn: Mapped[str | None] = mapped_column(String(9))
    external_id: Mapped[str | None] = mapped_column(String(64))
    """The id of the DUO notification it was imported from: importing it again changes nothing."""
    ended_on: Mapped[date | None]
    """The day the file ended (moved away, exempted, ...; see ``records.END_REASONS``)."""
    end_reason: Mapped[str | None] = mapped_column(String(20))
    obligation_met_on: Mapped[date | None]
    """The day the obligation was met (DUO: Inburgeringsplicht voldaan)."""
    nareiziger: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Came later to join a refugee's household (no relief trajectory of their own)."""
    klantmanager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"), index=True)
    """The responsible klantmanager; empty when nobody is (yet), or when their account was deleted."""
    sms_unreachable_code: Mapped[str | None] = mapped_column(String(20))
    """Twilio's permanent error for this number (e.g. 21614: not a mobile number); cleared when the
    number changes. The file page explains it in plain Dutch."""
    sms_unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    """The newcomer's own quiet hours (someone who works shifts sleeps by day): no appointment SMS from
    ``quiet_start`` to ``quiet_end``; both empty means the configured default (21:00-08:00)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    klantmanager: Mapped[Staff | None] = relationship()

    def update_deadline(self) -> None:
        """The 10-week PIP deadline, from DUO's notice or from settling, whichever is later."""
        starts = [d for d in (self.duo_notified_on, self.settled_on) if d is not None]
        self.pip_deadline_on = max(starts) + PIP_TERM if starts else None

    @property
    def masked_bsn(self) -> str:
        """The BSN as staff see it: only the last three digits."""
        return f"******{self.bsn[-3:]}" if self.bsn else ""


class Invitation(db.Model):
    """A single-use sign-in link sent to a newcomer: ``/i/<token>``, a random token stored hashed,
    short enough for an SMS (invitations from before migration 0010 carry a signed id instead)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    newcomer: Mapped[Newcomer] = relationship()
