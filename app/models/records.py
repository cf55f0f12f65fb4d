"""The dated records the progress report needs, beside the PIP and the route progress.

Financieel ontzorgen (:class:`ReliefTrajectory`), participation activities of four kinds
(:class:`ParticipationActivity`), housed household members who are not obliged themselves
(:class:`HouseholdMember`: children, the elderly; nareizigers), and the complaints register
(:class:`Complaint`). Each holds dates, so a report judges everything as it stood on its
reference date. DUO's words are kept where DUO has them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .newcomer import Newcomer
from .partner import Partner
from .staff import Staff
from .tenancy import TenantOwned
from .types import UTCDateTime, utcnow

# Why a file ended (Newcomer.end_reason). DUO's RedenGeenInburgeringsplicht where it has one.
END_MOVED_AWAY = "moved_away"
"""Moved to another municipality: the file goes there, the PIP stays in force."""
END_EXEMPTED = "exempted"
"""DUO: Volledige vrijstelling."""
END_DISPENSED = "dispensed"
"""DUO: Volledige ontheffing."""
END_OTHER_EDUCATION = "other_education"
"""Other education, e.g. the Internationale Schakelklas."""
END_LEFT_COUNTRY = "left_country"
"""DUO: Vertrek uit Nederland langer dan een jaar."""
END_PURPOSE_CHANGED = "purpose_changed"
"""DUO: Verblijfsdoel gewijzigd."""
END_DECEASED = "deceased"
"""DUO: Overlijden."""
END_OTHER = "other"
"""DUO: Overig."""
END_REASONS = (
    END_MOVED_AWAY, END_EXEMPTED, END_DISPENSED, END_OTHER_EDUCATION, END_LEFT_COUNTRY, END_PURPOSE_CHANGED,
    END_DECEASED, END_OTHER,
)  # fmt: skip
OBLIGATION_ENDED = frozenset(END_REASONS) - {END_MOVED_AWAY}
"""Ends after which a PIP lapses (the obligation itself ended); moving away does not lapse it."""

# Participation activities (seed 003's "Werk" table).
WORK_PLACEMENT_ORIENTATION = "work_placement_orientation"
"""Oriëntatie op een werkervaringsplaats."""
WORK_PLACEMENT = "work_placement"
"""Werkervaringsplaats."""
VOLUNTEER_WORK = "volunteer_work"
"""Vrijwilligerswerk."""
PAID_WORK = "paid_work"
"""Betaald werk."""
ACTIVITY_KINDS = (WORK_PLACEMENT_ORIENTATION, WORK_PLACEMENT, VOLUNTEER_WORK, PAID_WORK)

# Household members who are not obliged themselves.
CHILD = "child"
ELDERLY = "elderly"
"""Above pension age."""
OTHER_MEMBER = "other"
MEMBER_KINDS = (CHILD, ELDERLY, OTHER_MEMBER)

# Complaints
FILED_WITH_MUNICIPALITY = "municipality"
FILED_WITH_PARTNER = "partner"
FILED_WITH = (FILED_WITH_MUNICIPALITY, FILED_WITH_PARTNER)


class ReliefTrajectory(TenantOwned, db.Model):
    """Financieel ontzorgen of a statushouder: the municipality pays rent and insurance for 6 months.

    One per person; a nareiziger who joins a relieved household gets none of their own. Extended
    counts only with the date it was decided (``extension_decided_on``): a flag alone is not a
    decision.
    """

    __tablename__ = "relief_trajectories"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), unique=True)
    started_on: Mapped[date]
    six_months_on: Mapped[date]
    """The six-month date, when extending is decided (default: six months after the start)."""
    extended: Mapped[bool] = mapped_column(default=False)
    extension_decided_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))


class ParticipationActivity(TenantOwned, db.Model):
    """A participation activity of one of four kinds, with its dates (the work partner's record)."""

    __tablename__ = "participation_activities"
    __table_args__ = (Index("ix_participation_activities_newcomer", "newcomer_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    hours_per_week: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))

    partner: Mapped[Partner | None] = relationship()


class HouseholdMember(TenantOwned, db.Model):
    """A housed statushouder who is not obliged (a child, someone above pension age), or a nareiziger.

    No name: the report counts them, nothing more. Linked to the obliged person of the household
    when there is one in the product.
    """

    __tablename__ = "household_members"
    __table_args__ = (Index("ix_household_members_municipality_housed", "municipality_id", "housed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    housed_on: Mapped[date]
    nareiziger: Mapped[bool] = mapped_column(default=False)
    """Joined the household later (family reunification of a refugee)."""
    external_id: Mapped[str | None] = mapped_column(String(64))
    """The id in the file it was imported from: importing it again changes nothing."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    newcomer: Mapped[Newcomer | None] = relationship()


class Complaint(TenantOwned, db.Model):
    """One entry of the complaints register: official (under the complaints rules) or an informal
    signal, filed with the municipality or with a partner."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_municipality_received", "municipality_id", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="SET NULL"), index=True)
    received_on: Mapped[date]
    official: Mapped[bool] = mapped_column(default=True)
    about_inburgering: Mapped[bool] = mapped_column(default=True)
    filed_with: Mapped[str] = mapped_column(String(12), default=FILED_WITH_MUNICIPALITY)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    """What it is about, in a few words (no personal details)."""
    handled_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))

    partner: Mapped[Partner | None] = relationship()
    created_by: Mapped[Staff | None] = relationship()
