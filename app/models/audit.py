"""The append-only audit log: who did what to which record, with what result, from where, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One audited action. Never updated or deleted (database triggers refuse it). No personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(12))
    """staff, newcomer, system or anonymous."""
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(40), index=True)
    record_type: Mapped[str | None] = mapped_column(String(30))
    record_id: Mapped[int | None]
    municipality_id: Mapped[int | None]
    result: Mapped[str] = mapped_column(String(12))
    """ok, denied or failed."""
    ip: Mapped[str | None] = mapped_column(String(45))
