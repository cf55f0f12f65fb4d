"""Senders for development and tests: nothing leaves the machine."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from ..extensions import db
from ..models import DevSms
from .base import SendResult


class ConsoleSmsSender:
    """Development: keeps each message for the dev inbox page (``/dev/sms``) instead of sending it.

    It does not print the body: login codes must not end up in logs, even in development.
    """

    def send(self, to: str, body: str) -> SendResult:
        """Store the message for the dev inbox."""
        db.session.add(DevSms(to_phone=to, body=body))
        return SendResult(provider_id=f"console-{secrets.token_hex(8)}", status="delivered")


@dataclass
class FakeSmsSender:
    """Tests: remembers what was sent on this instance, and can be told to fail."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    def send(self, to: str, body: str) -> SendResult:
        """Record the message, or raise the error the test asked for."""
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((to, body))
        return SendResult(provider_id=f"fake-{len(self.sent)}", status="sent")
