"""Twilio's webhooks: delivery statuses and incoming SMS (being built: issue 7, part 3)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

bp = Blueprint("sms_webhooks", __name__, url_prefix="/sms/twilio")


@bp.post("/status")
def status() -> ResponseReturnValue:
    """A delivery status for one outbox message (``?m=<callback token>``)."""
    abort(403)


@bp.post("/inbound")
def inbound() -> ResponseReturnValue:
    """An incoming SMS."""
    abort(403)
