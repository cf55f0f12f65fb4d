"""The state of one filling-in of a workflow (the brede intake): one row, whatever the channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .newcomer import Newcomer
from .tenancy import TenantOwned
from .types import JsonColumn, UTCDateTime, utcnow

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"


class IntakeSession(TenantOwned, db.Model):
    """Answers (JSON, by field id) and completed steps of one person for one workflow version."""

    __tablename__ = "intake_sessions"
    __table_args__ = (UniqueConstraint("newcomer_id", "workflow_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    workflow_id: Mapped[str] = mapped_column(String(50))
    workflow_version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    completed_steps: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    locale: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    question: Mapped[str | None] = mapped_column(Text)
    """The klantmanager's question when the intake was returned; shown to the newcomer."""
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    newcomer: Mapped[Newcomer] = relationship()

    @property
    def is_submitted(self) -> bool:
        """Whether the newcomer sent it in (read-only for them, unless it is returned)."""
        return self.status in (SUBMITTED, APPROVED)
