"""The rules every outbox row obeys: status only moves forward, and a message whose cause went away
is cancelled at send time rather than sent.

Features register what makes their messages pointless with :func:`cancel_when` (a moved
appointment for a reminder, a used invitation); the checks every message gets (the file erased,
the number changed, the person opted out of the category) are here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import literal, select

from ..extensions import db
from ..locking import lock_row
from ..models import Newcomer
from ..models.message import (
    ALL,
    OPT_OUT_CATEGORIES,
    RANK,
    SENT,
    UNKNOWN,
    OutboundEvent,
    OutboundMessage,
    SmsOptOut,
)
from ..models.types import utcnow

Check = Callable[[OutboundMessage], str | None]

FORGET_NUMBER_KINDS = {"unknown_number_reply"}
"""Kinds whose number is wiped from the row once it is final (nothing is kept of unknown numbers)."""
_BY_KIND: dict[str, list[Check]] = {}


def cancel_when(kind: str) -> Callable[[Check], Check]:
    """Register a check for messages of ``kind``: it returns a reason code to cancel, or ``None``."""

    def register(check: Check) -> Check:
        checks = _BY_KIND.setdefault(kind, [])
        if check not in checks:
            checks.append(check)
        return check

    return register


def opted_out(newcomer_id: int, category: str) -> bool:
    """Whether the newcomer said STOP to ``category`` (or to everything that can be stopped)."""
    if category not in OPT_OUT_CATEGORIES:
        return False
    return (
        db.session.scalar(
            select(SmsOptOut.id)
            .where(SmsOptOut.newcomer_id == newcomer_id, SmsOptOut.category.in_((category, ALL)))
            .limit(1)
        )
        is not None
    )


def cancel_reason(message: OutboundMessage) -> str | None:
    """Why this message should no longer be sent, as a code; ``None`` to send it."""
    if message.newcomer_id is not None:
        # One statement for the file and its opt-outs: the worker asks this for every message.
        opt_out = (
            select(SmsOptOut.id)
            .where(SmsOptOut.newcomer_id == Newcomer.id, SmsOptOut.category.in_((message.category, ALL)))
            .exists()
            if message.category in OPT_OUT_CATEGORIES
            else literal(False)
        )
        found = db.session.execute(
            select(Newcomer.phone, opt_out.label("opted_out")).where(Newcomer.id == message.newcomer_id)
        ).first()
        if found is None or found.phone.startswith("erased-"):
            return "file_erased"
        if found.phone != message.to_phone:
            return "number_changed"
        if found.opted_out:
            return "opted_out"
    for check in _BY_KIND.get(message.kind, ()):
        reason = check(message)
        if reason is not None:
            return reason
    return None


def lock(message: OutboundMessage) -> OutboundMessage:
    """Lock ``message``'s row for the rest of this transaction and read it again as it is now.

    Pending changes are flushed first (so they survive the new read). On PostgreSQL a ``SELECT ...
    FOR UPDATE`` of the row; on SQLite a no-op write, which takes the database's write lock. Whoever
    moves a status (the worker, a status callback, a staff action) does it under this lock, so two
    of them never both read the old status and one write it back over the other's newer one.
    """
    return lock_row(message, OutboundMessage.status)


def may_move(current: str, status: str) -> bool:
    """Whether a row in ``current`` may move to ``status``: never back, and *unknown* never over *sent*."""
    if RANK[status] < RANK[current]:
        return False
    return not (current == SENT and status == UNKNOWN)


def advance(
    message: OutboundMessage,
    status: str,
    source: str,
    *,
    error_code: str | None = None,
    detail: str | None = None,
    locked: bool = False,
) -> bool:
    """Move ``message`` to ``status`` if that is not a step back, with a line in its history.

    The row is locked and read again first (:func:`lock`; ``locked=True``: the caller just did), so
    the check is against the status as it is now, not as this session once read it; the caller
    commits.
    """
    if not locked:
        lock(message)
    if not may_move(message.status, status):
        return False
    now = utcnow()
    changed = status != message.status
    message.status = status
    if status == "delivered":
        message.delivered_at = message.delivered_at or now
    if changed or error_code or detail:
        db.session.add(
            OutboundEvent(
                message_id=message.id, at=now, status=status, source=source, error_code=error_code, detail=detail
            )
        )
    return True


def mark_number(message: OutboundMessage, code: str | None) -> None:
    """A permanent refusal: Twilio's STOP list becomes an opt-out; other codes mark the number unreachable."""
    if message.newcomer_id is None:
        return
    newcomer = db.session.get(Newcomer, message.newcomer_id)
    if newcomer is None or newcomer.phone != message.to_phone:
        return
    if code == "21610":
        exists = db.session.scalar(
            select(SmsOptOut.id).where(SmsOptOut.newcomer_id == newcomer.id, SmsOptOut.category == ALL)
        )
        if exists is None:
            db.session.add(SmsOptOut(newcomer_id=newcomer.id, category=ALL, source="twilio"))
        return
    newcomer.sms_unreachable_code, newcomer.sms_unreachable_at = code, utcnow()
