"""The rules every outbox row obeys: status only moves forward, and a message whose cause went away
is cancelled at send time rather than sent.

Features register what makes their messages pointless with :func:`cancel_when` (a moved
appointment for a reminder, a used invitation); the checks every message gets (the file erased,
the number changed, the person opted out of the category) are here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ..extensions import db
from ..models import Newcomer
from ..models.message import (
    ALL,
    OPT_OUT_CATEGORIES,
    RANK,
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
        newcomer = db.session.get(Newcomer, message.newcomer_id)
        if newcomer is None or newcomer.phone.startswith("erased-"):
            return "file_erased"
        if newcomer.phone != message.to_phone:
            return "number_changed"
        if opted_out(newcomer.id, message.category):
            return "opted_out"
    for check in _BY_KIND.get(message.kind, ()):
        reason = check(message)
        if reason is not None:
            return reason
    return None


def advance(
    message: OutboundMessage,
    status: str,
    source: str,
    *,
    error_code: str | None = None,
    detail: str | None = None,
) -> bool:
    """Move ``message`` to ``status`` if that is not a step back, with a line in its history."""
    if RANK[status] < RANK[message.status]:
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
