"""The record of every SMS: what was sent to whom, and what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

QUEUED = "queued"
SENT = "sent"
FAILED = "failed"


class OutboundMessage(db.Model):
    """One SMS. ``body`` is what the person got, in their language, with secrets blanked out."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="SET NULL"), index=True)
    to_phone: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DevSms(db.Model):
    """What the console sender "sent", in full, for the dev inbox page (development only)."""

    __tablename__ = "dev_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
