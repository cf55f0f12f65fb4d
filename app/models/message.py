"""The SMS outbox: every message is a row first, written with its cause, and sent by a worker.

A row's status only moves forward (see :data:`RANK`): ``queued`` and ``sending`` are the two
pending states a worker moves a row between while it retries; once a row is ``sent`` (or in a final
state) nothing takes it back. The full lifecycle is in ``docs/outbox.md``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

# -- statuses ------------------------------------------------------------------------------------
QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
FAILED = "failed"
CANCELLED = "cancelled"
EXPIRED = "expired"
UNKNOWN = "unknown"
"""Twilio may or may not have it, and asking could not tell: shown on the queue page."""

STATUSES = (QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED, CANCELLED, EXPIRED, UNKNOWN)
PENDING = (QUEUED, SENDING)
FINAL = (DELIVERED, UNDELIVERED, FAILED, CANCELLED, EXPIRED)
RANK = {
    QUEUED: 0,
    SENDING: 0,
    SENT: 1,
    UNKNOWN: 1,
    DELIVERED: 2,
    UNDELIVERED: 2,
    FAILED: 2,
    CANCELLED: 2,
    EXPIRED: 2,
}
"""A status may only be replaced by one of the same rank (the pending pair) or a higher one."""

# -- categories: what a newcomer can opt out of -----------------------------------------------------
CODES = "codes"
"""Login codes: asked for by the person, so always sent."""
NOTICES = "notices"
REMINDERS = "reminders"
SURVEYS = "surveys"
REPLIES = "replies"
"""Answers to what the person sent (a STOP confirmed, an acknowledgement): always sent."""
CATEGORIES = (CODES, NOTICES, REMINDERS, SURVEYS, REPLIES)
OPT_OUT_CATEGORIES = (NOTICES, REMINDERS, SURVEYS)
ALL = "all"
"""An opt-out of every category that can be opted out of."""

# -- priorities: higher goes first ------------------------------------------------------------------
PRIORITY_CODE = 10
PRIORITY_REPLY = 5
PRIORITY_NORMAL = 0
PRIORITIES = (PRIORITY_CODE, PRIORITY_REPLY, PRIORITY_NORMAL)
"""Every priority a row may have, highest first: the worker's due query reads one index range per level."""


class OutboundMessage(db.Model):
    """One SMS. ``body`` is what the person gets, in their language, with the secret blanked out;
    the secret itself (a code, a link token) is kept sealed until the row is final, then wiped."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        # Rows whose worker died: sending with an expired lease.
        Index(
            "ix_outbound_leases",
            "lease_until",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
        Index("ix_outbound_status_created", "status", "created_at"),
        Index("ix_outbound_newcomer_created", "newcomer_id", "created_at"),
        # A moved or cancelled appointment withdraws its queued reminders (app/appointments/services.py).
        Index("ix_outbound_cause", "cause_type", "cause_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="SET NULL"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    to_phone: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(12), default=NOTICES)
    priority: Mapped[int] = mapped_column(default=PRIORITY_NORMAL)
    cause_type: Mapped[str | None] = mapped_column(String(30))
    cause_id: Mapped[int | None]
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    """One row per cause: queueing the same invitation twice finds the first row."""
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(default=1)
    encoding: Mapped[str] = mapped_column(String(5), default="GSM-7")
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the latest attempt began: a lost answer is looked up at Twilio from this moment on."""
    in_doubt: Mapped[bool] = mapped_column(default=False)
    """The latest attempt may have reached Twilio (a time-out after sending): ask before resending."""
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Twilio's MessageSid."""
    provider_status: Mapped[str | None] = mapped_column(String(20))
    provider_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    callback_token: Mapped[str] = mapped_column(String(32), unique=True)
    """Unguessable: the status callback URL names the row by it."""
    cancel_reason: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[OutboundEvent]] = relationship(
        back_populates="message", order_by="OutboundEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


# The due query (app/outbox/worker.py ``due_rows``): queued rows only, most urgent first, then the
# longest waiting: ``ORDER BY priority DESC, next_attempt_at``. The index holds exactly that order
# (priority descending), so the query reads the first entries and stops; with an ascending priority
# PostgreSQL would have to read and sort every due row for each claim.
Index(
    "ix_outbound_due",
    OutboundMessage.priority.desc(),
    OutboundMessage.next_attempt_at,
    postgresql_where=text("status = 'queued'"),
    sqlite_where=text("status = 'queued'"),
)


class OutboundEvent(db.Model):
    """One step in a message's history: the status it moved to, from whom, with which error."""

    __tablename__ = "outbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbound_messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(12))
    """worker, twilio (a status callback), staff (retry/cancel on the queue page), app."""
    error_code: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(60))
    """A code, never personal data: ``retry_in_30s``, ``found_at_twilio``, ``newcomer_opted_out``."""

    message: Mapped[OutboundMessage] = relationship(back_populates="events")


class SmsOptOut(db.Model):
    """A newcomer who said STOP (to one category, or ``all``); deleted again by START."""

    __tablename__ = "sms_opt_outs"
    __table_args__ = (UniqueConstraint("newcomer_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(12))
    """sms (a keyword), twilio (error 21610: Twilio's own STOP list), staff."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkerHeartbeat(db.Model):
    """One running (or lately running) worker process: the queue page and /healthz read these."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(80), unique=True)
    hostname: Mapped[str] = mapped_column(String(64))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_count: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DevSms(db.Model):
    """What the console sender "sent", in full, for the dev inbox page (development only)."""

    __tablename__ = "dev_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
