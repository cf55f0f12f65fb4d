"""The SMS outbox: queue a message in the same transaction as its cause; a worker sends it.

Nothing outside :mod:`app.outbox.worker` talks to the SMS provider. A caller adds a row with
:func:`queue_sms` and commits it together with whatever caused it (an invitation, a returned
intake, a login challenge); if that transaction rolls back, no message exists, and once it commits
the message cannot be lost. The idempotency key makes queueing the same cause twice harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import insert, select, text

from ..extensions import db
from ..models.message import (
    CATEGORIES,
    CODES,
    PRIORITIES,
    PRIORITY_CODE,
    PRIORITY_NORMAL,
    QUEUED,
    OutboundEvent,
    OutboundMessage,
)
from ..models.types import utcnow
from ..sms.segments import count as count_segments

SECRET_MASK = "••••••"  # noqa: S105 - a mask, not a password
NOTIFY_CHANNEL = "outbox"


def _fernet() -> Fernet:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"outbox-secret", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_secret(secret: str) -> str:
    """A message's secret (a code, a link token) as the row keeps it until it is sent."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal_secret(sealed: str) -> str | None:
    """The secret back, or ``None`` when the key changed since."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def real_body(message: OutboundMessage) -> str | None:
    """The text to send: the stored body with its secret put back; ``None`` if it cannot be."""
    if message.secret_sealed is None:
        return message.body
    secret = unseal_secret(message.secret_sealed)
    return None if secret is None else message.body.replace(SECRET_MASK, secret, 1)


@dataclass(frozen=True)
class Composed:
    """A message's text as stored (secret masked) and its segments (counted on the real text)."""

    body: str
    sealed: str | None
    segments: int
    encoding: str


def compose(locale: str, write: Callable[[str], str], secret: str = "") -> Composed:
    """Write a message in ``locale`` around ``secret``: the stored body never holds the secret."""
    with force_locale(locale):
        real = write(secret)
        masked = write(SECRET_MASK) if secret else real
    segments = count_segments(real)
    return Composed(masked, seal_secret(secret) if secret else None, segments.count, segments.encoding)


def queue_sms(
    *,
    to: str,
    kind: str,
    category: str,
    locale: str,
    write: Callable[[str], str],
    secret: str = "",
    newcomer_id: int | None = None,
    municipality_id: int | None = None,
    cause: tuple[str, int | None] | None = None,
    key: str | None = None,
    priority: int | None = None,
    send_after: datetime | None = None,
    expires_at: datetime | None = None,
) -> OutboundMessage:
    """Add a message to the outbox in the current transaction; the existing row if its key is taken.

    ``write(secret)`` returns the text in the current (forced) locale. ``key`` defaults to the
    kind and the cause: ``invitation:invitation:17`` can only ever be queued once (queueing it again
    returns the first row). The row is
    due at ``send_after`` and worthless after ``expires_at`` (default ``OUTBOX_DEFAULT_TTL``).
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if priority is not None and priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}")  # the worker's due query would never claim it
    now = utcnow()
    cause_type, cause_id = cause if cause is not None else (None, None)
    if key is None:
        if cause is None:
            raise ValueError("a message needs a cause or an idempotency key")
        key = f"{kind}:{cause_type}:{cause_id}"
    composed = compose(locale, write, secret)
    due = send_after or now
    values = {
        "newcomer_id": newcomer_id,
        "municipality_id": municipality_id,
        "to_phone": to,
        "kind": kind,
        "category": category,
        "priority": priority if priority is not None else (PRIORITY_CODE if category == CODES else PRIORITY_NORMAL),
        "cause_type": cause_type,
        "cause_id": cause_id,
        "idempotency_key": key,
        "locale": locale,
        "body": composed.body,
        "secret_sealed": composed.sealed,
        "segments": composed.segments,
        "encoding": composed.encoding,
        "status": QUEUED,
        "attempts": 0,
        "send_after": due,
        "next_attempt_at": due,
        "expires_at": expires_at or due + current_app.config["OUTBOX_DEFAULT_TTL"],
        "callback_token": secrets.token_urlsafe(24),
        "in_doubt": False,
        "created_at": now,
    }
    # ON CONFLICT DO NOTHING: queueing the cause again (in this transaction, or in a parallel one,
    # whose commit the insert waits for) adds nothing and returns nothing; only then is the row read.
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT. One statement for a new message,
    # and its history line without the unit of work: the sign-in request pays for this.
    message = db.session.scalars(_insert_ignoring_duplicates(values).returning(OutboundMessage)).first()
    if message is None:
        return db.session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == key))
    db.session.execute(insert(OutboundEvent).values(message_id=message.id, at=now, status=QUEUED, source="app"))
    wake_workers()
    return message


def _insert_ignoring_duplicates(values: dict):  # noqa: ANN202 - a dialect's Insert
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(OutboundMessage).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return (
            sqlite_insert(OutboundMessage).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
    return insert(OutboundMessage).values(**values)


def wake_workers() -> None:
    """On PostgreSQL, wake idle workers when this transaction commits (NOTIFY is transactional)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def callback_url(message: OutboundMessage) -> str:
    """Where Twilio posts this message's delivery statuses: the path names it by an unguessable token."""
    path = current_app.url_map.bind("localhost").build("sms_webhooks.status", {"m": message.callback_token})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def validity_seconds(message: OutboundMessage, now: datetime) -> int:
    """Twilio's ValidityPeriod for a message: what is left until it expires."""
    return max(1, int((message.expires_at - now) / timedelta(seconds=1)))
