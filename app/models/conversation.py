"""The conversation on a file: messages between the klantmanager and the newcomer, by web or SMS."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .staff import Staff
from .tenancy import TenantOwned
from .types import UTCDateTime, utcnow

TO_NEWCOMER = "out"
FROM_NEWCOMER = "in"
WEB = "web"
SMS = "sms"


class ConversationMessage(TenantOwned, db.Model):
    """One message in a file's conversation.

    ``out`` (klantmanager to newcomer): free text in ``language``, or a ``common_question`` key that
    each reader sees in their own language; the newcomer is told by an SMS (``outbound_message_id``)
    that names the municipality and, when ``sensitive``, holds no text. ``in`` (newcomer to
    klantmanager): typed on the web or sent by SMS (``provider_sid``: Twilio's MessageSid, unique, so
    a retried webhook adds nothing).
    """

    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_newcomer_created", "newcomer_id", "created_at"),
        # Unread replies per municipality (the today page, the caseload).
        Index("ix_conversation_unread", "municipality_id", "direction", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(3), default=WEB)
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8))
    """The language the text was written in (as its writer said, or the newcomer's for SMS)."""
    common_question: Mapped[str | None] = mapped_column(String(40))
    sensitive: Mapped[bool] = mapped_column(default=True)
    outbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_messages.id", ondelete="SET NULL"))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_attendees.id", ondelete="SET NULL"))
    """A "cannot come" to an appointment (by the web form or an SMS reply "2"): the thread names it."""
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """``out``: when the newcomer read it; ``in``: when a klantmanager read it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[Staff | None] = relationship()


class WebhookReceipt(db.Model):
    """A Twilio MessageSid already handled by a webhook: a retry of it changes nothing (no personal data)."""

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    """keyword, conversation, unknown_number, ..."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UnknownSenderCount(db.Model):
    """SMS from numbers nobody knows: a count per day and keyed hash, nothing else about them.

    The hash (HMAC with the secret key and the day) only lets the app answer a number at most once
    a day; it changes every day, so numbers cannot be followed over time.
    """

    __tablename__ = "unknown_sender_counts"
    __table_args__ = (UniqueConstraint("day", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    key_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(default=0)
    answered: Mapped[bool] = mapped_column(default=False)
