"""A filling-in of a workflow (the brede intake, later the surveys): one row, whatever the channel.

The web form, the web chat and the SMS conversation all read and write the same row, so a person
can switch at any moment and lose nothing. The row names the definition's id and the version it
was started with, and is always read with that version. The intake is one filling-in per person;
a repeatable workflow (a survey every six months) has one per ``occasion``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .newcomer import Newcomer
from .tenancy import TenantOwned
from .types import JsonColumn, UTCDateTime, utcnow

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"

# The SMS conversation of a filling-in (``sms_state``): none yet, asking, asleep after a week of
# silence (the next reply wakes it), or handed over to the web (after two refused answers, or
# when only web questions are left).
SMS_ACTIVE = "active"
SMS_SLEEPING = "sleeping"
SMS_TO_WEB = "to_web"
SMS_DONE = "done"


class Filling(TenantOwned, db.Model):
    """Answers (JSON, by field id), completed steps and per-answer channels of one person for one
    workflow version; and where its SMS conversation stands."""

    __tablename__ = "fillings"
    __table_args__ = (UniqueConstraint("newcomer_id", "workflow_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    workflow_id: Mapped[str] = mapped_column(String(50))
    workflow_version: Mapped[int]
    occasion: Mapped[str] = mapped_column(String(80), default="")
    """What this filling-in is for when a workflow is filled in more than once ("" for the intake)."""
    answers: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    completed_steps: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    asked: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    """Questions of unfinished steps answered one at a time (chat, SMS)."""
    reopened: Mapped[str | None] = mapped_column(String(50))
    """The question asked again to change its answer."""
    answer_channels: Mapped[dict[str, str]] = mapped_column(JsonColumn, default=dict)
    """Per answered field: web, chat or sms."""
    channel: Mapped[str] = mapped_column(String(10), default="web")
    """The channel of the latest answer."""
    locale: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    question: Mapped[str | None] = mapped_column(Text)
    """The klantmanager's question when the intake was returned; shown to the newcomer."""
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sms_state: Mapped[str | None] = mapped_column(String(10))
    sms_field: Mapped[str | None] = mapped_column(String(50))
    """The question the latest SMS asked (a reply answers it)."""
    sms_sequence: Mapped[int] = mapped_column(default=0)
    """Raised with every question SMS: keys its outbox rows, and lets the week-of-silence reminder
    see that the conversation moved on."""
    sms_tries: Mapped[int] = mapped_column(default=0)
    """Refused answers to the current SMS question."""
    sms_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    newcomer: Mapped[Newcomer] = relationship()

    @property
    def is_submitted(self) -> bool:
        """Whether the newcomer sent it in (read-only for them, unless it is returned)."""
        return self.status in (SUBMITTED, APPROVED)


class FillingReply(TenantOwned, db.Model):
    """One SMS reply in a filling-in's SMS conversation (the questions are outbox rows caused by
    the filling-in): together, the transcript the klantmanager reads on the file."""

    __tablename__ = "filling_replies"
    __table_args__ = (Index("ix_filling_replies_filling", "filling_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filling_id: Mapped[int] = mapped_column(ForeignKey("fillings.id", ondelete="CASCADE"))
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    field_id: Mapped[str | None] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(12))
    """accepted, refused, back, help, resumed, stale (it answered a question already moved past)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
