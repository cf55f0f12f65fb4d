"""Senders for development and tests: nothing leaves the machine."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import DevSms
from .base import SendResult


class ConsoleSmsSender:
    """Development: keeps each message for the dev inbox page (``/dev/sms``) instead of sending it.

    It does not print the body: login codes must not end up in logs, even in development.
    """

    def send(
        self, to: str, body: str, *, validity_seconds: int | None = None, status_callback: str | None = None
    ) -> SendResult:
        """Store the message for the dev inbox."""
        provider_id = f"console-{secrets.token_hex(8)}"
        db.session.add(DevSms(to_phone=to, body=body, provider_id=provider_id))
        return SendResult(provider_id=provider_id, status="delivered")

    def find_sent(self, to: str, since: datetime, body: str) -> SendResult | None:
        """The dev inbox's message with this body to ``to`` since ``since``."""
        found = db.session.scalar(
            select(DevSms).where(DevSms.to_phone == to, DevSms.created_at >= since, DevSms.body == body).limit(1)
        )
        return SendResult(found.provider_id or f"console-{found.id}", "delivered") if found else None


@dataclass
class FakeSmsSender:
    """Tests: remembers what was sent on this instance, and can be told to fail."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    options: list[dict[str, object]] = field(default_factory=list)
    fail_with: Exception | None = None

    def send(
        self, to: str, body: str, *, validity_seconds: int | None = None, status_callback: str | None = None
    ) -> SendResult:
        """Record the message, or raise the error the test asked for."""
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((to, body))
        self.options.append({"validity_seconds": validity_seconds, "status_callback": status_callback})
        return SendResult(provider_id=f"fake-{len(self.sent)}-{secrets.token_hex(4)}", status="sent")

    def find_sent(self, to: str, since: datetime, body: str) -> SendResult | None:
        """Nothing is lost in the fake: a message it has is one it was sent."""
        for number, (sent_to, sent_body) in enumerate(self.sent, start=1):
            if (sent_to, sent_body) == (to, body):
                return SendResult(provider_id=f"fake-{number}", status="sent")
        return None
