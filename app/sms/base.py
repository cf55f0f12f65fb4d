"""The interface every SMS provider implements, and the errors it may raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask_babel import lazy_gettext as _l

INVALID_NUMBER = "invalid_number"
OPTED_OUT = "opted_out"
UNAVAILABLE = "unavailable"
REJECTED = "rejected"

_USER_MESSAGES = {
    INVALID_NUMBER: _l("This phone number cannot receive SMS. Check the number."),
    OPTED_OUT: _l("This number has blocked our SMS messages. Send START to our number to allow them again."),
    UNAVAILABLE: _l("We cannot send SMS messages right now. Please try again in a few minutes."),
    REJECTED: _l("The SMS could not be sent. Please try again later or contact your municipality."),
}


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider_id: str
    status: str


class SmsError(Exception):
    """A message the provider did not accept; ``kind`` says why, ``code`` is the provider's code."""

    def __init__(self, kind: str, code: str | None = None, detail: str = "") -> None:
        super().__init__(f"{kind} ({code or 'no code'}): {detail}")
        self.kind = kind
        self.code = code

    @property
    def user_message(self) -> str:
        """What to tell the person, in the current language."""
        return str(_USER_MESSAGES[self.kind])


class SmsSender(Protocol):
    """Sends one SMS now; raises :class:`SmsError` when it cannot."""

    def send(self, to: str, body: str) -> SendResult:
        """Send ``body`` to the E.164 number ``to``."""
        ...
