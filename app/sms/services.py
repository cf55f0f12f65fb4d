"""Writing and sending SMS: every message is recorded, with its secret parts blanked out."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale, gettext

from ..extensions import db
from ..models import Newcomer
from ..models.message import FAILED, SENT, OutboundMessage
from ..models.types import utcnow
from . import get_sender
from .base import SmsError

SECRET_MASK = "••••••"  # noqa: S105 - a mask, not a password


def login_code_text(code: str) -> str:
    """The login-code SMS in the current language (short: Arabic SMS hold 70 characters)."""
    return gettext("Your code: %(code)s. Valid for 10 minutes. Do not share it.", code=code)


def invitation_text(link: str) -> str:
    """The invitation SMS in the current language."""
    return gettext("Welcome! Start your civic integration intake here: %(link)s", link=link)


def record_message(
    *, to: str, kind: str, locale: str, compose: Callable[[str], str], secret: str, newcomer_id: int | None
) -> tuple[OutboundMessage, str]:
    """Add the record of a message to the session; return it and the real body to send.

    ``compose`` writes the text around one secret (a code, a link); the record keeps the text with
    the secret masked, so neither the database nor a page that lists messages can leak it.
    """
    with force_locale(locale):
        body = compose(secret)
        recorded = compose(SECRET_MASK)
    message = OutboundMessage(to_phone=to, kind=kind, locale=locale, body=recorded, newcomer_id=newcomer_id)
    db.session.add(message)
    return message, body


def send_now(
    newcomer: Newcomer, kind: str, compose: Callable[[str], str], secret: str
) -> tuple[OutboundMessage, SmsError | None]:
    """Record a message to ``newcomer`` in their language and send it at once; the error, if any."""
    message, body = record_message(
        to=newcomer.phone,
        kind=kind,
        locale=newcomer.language,
        compose=compose,
        secret=secret,
        newcomer_id=newcomer.id,
    )
    db.session.flush()
    return message, deliver(message, body)


def deliver(message: OutboundMessage, body: str) -> SmsError | None:
    """Send a recorded message now and record the outcome; return the error, if any."""
    message.attempts += 1
    try:
        result = get_sender().send(message.to_phone, body)
    except SmsError as error:
        message.status, message.error_code = FAILED, error.code or error.kind
        current_app.logger.warning("sms %s failed: %s", message.id, error.kind)
        return error
    message.status, message.provider_id, message.sent_at = SENT, result.provider_id, utcnow()
    return None


def in_background(work: Callable[..., None], *args: object, name: str = "sms") -> threading.Thread:
    """Run ``work(*args)`` in a thread of its own with an app context, so a response need not wait.

    Used for login codes: the answer to "send me a code" is then equally fast for known and
    unknown numbers. Threads are named ``sms-...`` so tests can wait for them.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            work(*args)

    thread = threading.Thread(target=run, name=f"sms-{name}", daemon=True)
    thread.start()
    return thread
