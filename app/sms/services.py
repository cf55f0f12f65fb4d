"""The SMS a newcomer gets, as texts in their language, and queueing one for them in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..models import Newcomer
from ..models.message import OutboundMessage
from ..outbox import SECRET_MASK, queue_sms
from . import texts

__all__ = ["SECRET_MASK", "invitation_text", "login_code_text", "queue_for"]


def login_code_text(municipality: str) -> Callable[[str], str]:
    """The login-code SMS in the current language, around its code."""
    return lambda code: texts.login_code(municipality, code)


def invitation_text(municipality: str) -> Callable[[str], str]:
    """The invitation SMS in the current language, naming the municipality, around its link."""
    return lambda link: texts.invitation(municipality, link)


def queue_for(
    newcomer: Newcomer,
    kind: str,
    category: str,
    write: Callable[[str], str],
    *,
    secret: str = "",
    cause: tuple[str, int | None] | None = None,
    key: str | None = None,
    priority: int | None = None,
    send_after: datetime | None = None,
    expires_at: datetime | None = None,
) -> OutboundMessage:
    """Queue a message to ``newcomer``'s number in their language, on their file (in the current transaction)."""
    return queue_sms(
        to=newcomer.phone,
        kind=kind,
        category=category,
        locale=newcomer.language,
        write=write,
        secret=secret,
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        cause=cause,
        key=key,
        priority=priority,
        send_after=send_after,
        expires_at=expires_at,
    )
