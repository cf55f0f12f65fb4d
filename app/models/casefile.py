"""A newcomer's file as staff keep it: status history and notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .staff import Staff
from .tenancy import TenantOwned
from .types import UTCDateTime, utcnow

# The statuses of a file, in the order a file usually passes them.
REGISTERED = "registered"
INVITED = "invited"
INTAKE_IN_PROGRESS = "intake_in_progress"
INTAKE_SUBMITTED = "intake_submitted"
RETURNED = "returned"
INTAKE_APPROVED = "intake_approved"
PIP_SET = "pip_set"
IN_ROUTE = "in_route"
OBLIGATION_MET = "obligation_met"
EXEMPTED = "exempted"
DISPENSATION = "dispensation"
MOVED_AWAY = "moved_away"
ENDED = "ended"
STATUSES = (
    REGISTERED, INVITED, INTAKE_IN_PROGRESS, INTAKE_SUBMITTED, RETURNED, INTAKE_APPROVED, PIP_SET, IN_ROUTE,
    OBLIGATION_MET, EXEMPTED, DISPENSATION, MOVED_AWAY, ENDED,
)  # fmt: skip


class StatusChange(TenantOwned, db.Model):
    """One change of a file's status: who, when, from what to what, and why."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[Staff | None] = relationship(lazy="joined")


class Note(TenantOwned, db.Model):
    """A klantmanager's note on a file."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[Staff | None] = relationship(lazy="joined")
