"""The interface every SMS provider implements, and the errors it may raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask_babel import lazy_gettext as _l

INVALID_NUMBER = "invalid_number"
OPTED_OUT = "opted_out"
UNAVAILABLE = "unavailable"
REJECTED = "rejected"
IN_DOUBT = "in_doubt"
"""The request went out but no answer came back: the provider may have the message."""

_USER_MESSAGES = {
    INVALID_NUMBER: _l("This phone number cannot receive SMS. Check the number."),
    OPTED_OUT: _l("This number has blocked our SMS messages. Send START to our number to allow them again."),
    UNAVAILABLE: _l("We cannot send SMS messages right now. Please try again in a few minutes."),
    REJECTED: _l("The SMS could not be sent. Please try again later or contact your municipality."),
    IN_DOUBT: _l("We cannot send SMS messages right now. Please try again in a few minutes."),
}


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider_id: str
    status: str


class SmsError(Exception):
    """A message the provider did not accept; ``kind`` says why, ``code`` is the provider's code.

    ``permanent``: sending it again can never work (a wrong number, an opt-out); otherwise the
    outbox retries, not before ``retry_after`` seconds when the provider said so (HTTP 429).
    """

    def __init__(
        self,
        kind: str,
        code: str | None = None,
        detail: str = "",
        *,
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind} ({code or 'no code'}): {detail}")
        self.kind = kind
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after

    @property
    def user_message(self) -> str:
        """What to tell the person, in the current language."""
        return str(_USER_MESSAGES[self.kind])


class SmsSender(Protocol):
    """Sends one SMS now, and can say what it sent to a number since a moment."""

    def send(
        self, to: str, body: str, *, validity_seconds: int | None = None, status_callback: str | None = None
    ) -> SendResult:
        """Send ``body`` to the E.164 number ``to``; raises :class:`SmsError` when it cannot.

        ``validity_seconds``: how long the provider may keep trying (Twilio's ValidityPeriod);
        ``status_callback``: the URL the provider posts delivery statuses to.
        """
        ...

    def find_sent(self, to: str, since: datetime, body: str) -> SendResult | None:
        """The message with this body the provider accepted for ``to`` since ``since``, or ``None``.

        Raises :class:`SmsError` when the provider cannot be asked (the outcome stays unknown).
        """
        ...
