"""Everything that talks to an SMS provider: the interface, the senders, and the send service."""

from __future__ import annotations

from flask import Flask, current_app

from .base import SendResult, SmsError, SmsSender
from .console import ConsoleSmsSender, FakeSmsSender
from .twilio_sender import TwilioSmsSender

__all__ = ["SendResult", "SmsError", "SmsSender", "get_sender", "init_app"]


def _build_sender(app: Flask) -> SmsSender:
    backend = app.config["SMS_BACKEND"]
    if backend == "console":
        return ConsoleSmsSender()
    if backend == "fake":
        return FakeSmsSender()
    if backend == "twilio":
        missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not app.config.get(k)]
        if missing:
            raise RuntimeError(f"SMS_BACKEND=twilio needs {', '.join(missing)}")
        return TwilioSmsSender(
            app.config["TWILIO_ACCOUNT_SID"],
            app.config["TWILIO_AUTH_TOKEN"],
            messaging_service_sid=app.config.get("TWILIO_MESSAGING_SERVICE_SID"),
            from_number=app.config.get("TWILIO_FROM"),
            timeout=app.config["TWILIO_TIMEOUT_SECONDS"],
            http_client=app.config.get("TWILIO_HTTP_CLIENT"),
            base_url=app.config.get("TWILIO_API_BASE_URL"),
        )
    raise RuntimeError(f"SMS_BACKEND must be console, fake or twilio, not {backend!r}")


def init_app(app: Flask) -> None:
    """Choose the sender the configuration asks for."""
    app.extensions["sms_sender"] = _build_sender(app)


def get_sender() -> SmsSender:
    """The current app's sender."""
    return current_app.extensions["sms_sender"]
