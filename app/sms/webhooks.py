"""Twilio's webhooks: delivery statuses (``POST /sms/twilio/status``) and incoming SMS (``/inbound``).

Both check ``X-Twilio-Signature`` with the twilio SDK's ``RequestValidator`` and the account's auth
token, over the URL as Twilio was given it: ``PUBLIC_BASE_URL`` plus the path and query string,
never the Host header or the scheme the request arrived with (behind a proxy these are not the
ones Twilio signed). A request that does not check out gets 403 and changes nothing; without an
auth token every request is refused. These are the only routes without CSRF protection: the
signature is their proof of origin. They are rate-limited (``SMS_WEBHOOK_LIMIT``), read at most
``SMS_WEBHOOK_MAX_BYTES`` (413 before anything is parsed), and answer Twilio with empty TwiML.

Status callbacks name their outbox row by its unguessable ``callback_token`` (``?m=``, see
:func:`app.outbox.callback_url`); statuses only move forward, in Twilio's own order. Incoming SMS
are handled by :mod:`app.sms.inbound`, once per MessageSid. See docs/sms.md.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from twilio.request_validator import SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from workflows.fields import parse_phone

from ..extensions import csrf, db, limiter
from ..models.message import (
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    RANK,
    SENT,
    UNDELIVERED,
    OutboundMessage,
)
from ..models.types import utcnow
from ..outbox import SECRET_MASK, queue_sms
from ..outbox.rules import FORGET_NUMBER_KINDS, advance, mark_number
from ..params import CleanMultiDict
from . import inbound
from .twilio_sender import PERMANENT_CODES

log = logging.getLogger("app.sms.webhooks")

bp = Blueprint("sms_webhooks", __name__, url_prefix="/sms/twilio")
csrf.exempt(bp)  # the only exemption: Twilio cannot send a CSRF token, it signs its requests instead

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 100

# Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource), in the
# order a message goes through them, and the outbox status each one means.
TWILIO_ORDER = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "read": 4,
}
OUR_STATUS = {
    "accepted": SENT,
    "scheduled": SENT,
    "queued": SENT,
    "sending": SENT,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": UNDELIVERED,
    "failed": FAILED,
    "canceled": CANCELLED,
}
"""Once Twilio has a message it is ``sent`` for the outbox, whatever Twilio does with it next."""

REDELIVER_CODES = frozenset({"30003", "30008"})
"""Undelivered for a reason that may pass (the phone was off, an unknown carrier error)."""
REDELIVERY_DELAYS = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
"""When the follow-ups of an undelivered message go: at most three, each later than the one before."""
_REDELIVERY = re.compile(r"^(?P<base>.+):redeliver:(?P<n>\d+)$")

_SID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
_STATUS = re.compile(r"^[a-z_]{1,30}$")
_CODE = re.compile(r"^\d{1,10}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_OPT_OUT_TYPE = re.compile(r"^[A-Za-z_]{1,20}$")


def _webhook_limit() -> str:
    return current_app.config["SMS_WEBHOOK_LIMIT"]


def _refuse(status: int) -> None:
    """End the request with ``status`` and an empty body (nothing for a stranger to read)."""
    abort(Response("", status, mimetype="text/plain"))


def _twiml() -> Response:
    return Response(EMPTY_TWIML, 200, mimetype="text/xml")


def signed_url() -> str:
    """The URL Twilio signed: ``PUBLIC_BASE_URL`` with this request's path and query string."""
    query = request.query_string.decode("latin-1")
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path + (f"?{query}" if query else "")


def verified_form() -> CleanMultiDict:
    """The form Twilio posted, once the body is small enough and the signature checks out.

    Refuses with 413 (too big, before parsing) or 403 (no auth token configured, not a form, a
    shared-key signature we have no key for, no or a wrong signature). The signature is checked
    against the values exactly as sent; the app then reads them without control characters.
    """
    config = current_app.config
    limit = config["SMS_WEBHOOK_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        _refuse(413)
    # A body sent without a length (chunked) is read one byte past the limit, to tell it was longer.
    request.max_content_length = limit + 1
    token = config.get("TWILIO_AUTH_TOKEN")
    if not token:
        log.warning("webhook refused: TWILIO_AUTH_TOKEN is not set")
        _refuse(403)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if (
        not signature
        or len(signature) > 100
        or request.mimetype != FORM
        or SIGNATURE_SETTINGS_HEADER in request.headers
    ):
        log.info("webhook refused: %s", "no signature" if not signature else "not a signed form")
        _refuse(403)
    try:
        raw = request.get_data(cache=True)
        if len(raw) > limit:
            raise RequestEntityTooLarge()
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except RequestEntityTooLarge:
        _refuse(413)
    except ValueError:  # not UTF-8, or too many fields
        log.info("webhook refused: unreadable form")
        _refuse(403)
    params = MultiDict(pairs)
    if not RequestValidator(token).validate(signed_url(), params, signature):
        log.info("webhook refused: wrong signature")
        _refuse(403)
    return CleanMultiDict(params)


def _field(form: CleanMultiDict, name: str, pattern: re.Pattern[str] | None, *, required: bool = True) -> str | None:
    """One form value: given at most once, matching ``pattern``; a signed request that breaks this is a 400."""
    values = form.getlist(name)
    if len(values) > 1 or (required and not values):
        _refuse(400)
    value = values[0] if values else None
    if value in (None, ""):
        if required:
            _refuse(400)
        return None
    if pattern is not None and not pattern.match(value):
        _refuse(400)
    return value


# -- delivery statuses ------------------------------------------------------------------------------


@bp.post("/status")
@limiter.limit(_webhook_limit)
def status() -> ResponseReturnValue:
    """A delivery status for one outbox message (``?m=<callback token>``)."""
    form = verified_form()
    sid = _field(form, "MessageSid", _SID)
    twilio_status = _field(form, "MessageStatus", _STATUS)
    error_code = _field(form, "ErrorCode", _CODE, required=False)
    outcome = apply_status(request.args.get("m", ""), sid, twilio_status, error_code)
    db.session.commit()
    log.info("status callback %s: %s %s", sid, twilio_status, outcome)
    return _twiml()


def apply_status(token: str, sid: str, twilio_status: str, error_code: str | None) -> str:
    """Record Twilio's status for the row ``token`` names; what happened, as a code for the log.

    The row is locked (PostgreSQL) while it is read and changed, so two callbacks at once cannot
    both read the old status. A callback changes something only when it is further in Twilio's
    order than the status already recorded: a repeat, or a late ``sent`` after ``delivered``,
    changes nothing; a status we gave the row ourselves (cancelled, expired) stays.
    """
    if twilio_status not in OUR_STATUS:
        return "unknown_status"
    message = (
        db.session.scalar(
            select(OutboundMessage)
            .where(OutboundMessage.callback_token == token)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if _TOKEN.match(token or "")
        else None
    )
    if message is None:
        return "unknown_message"
    if message.provider_id is not None and message.provider_id != sid:
        return "other_sid"
    ours = OUR_STATUS[twilio_status]
    before = TWILIO_ORDER.get(message.provider_status or "", -1)
    if TWILIO_ORDER[twilio_status] <= before or RANK[ours] < RANK[message.status]:
        return "stale"
    if message.is_final and ours != message.status:
        return "final"
    now = utcnow()
    if message.provider_id is None:
        if db.session.scalar(select(OutboundMessage.id).where(OutboundMessage.provider_id == sid)) is not None:
            return "other_sid"
        message.provider_id = sid
    message.provider_status, message.provider_status_at = twilio_status, now
    if error_code:
        message.error_code, message.error_at = error_code, now
    if message.status in PENDING:  # Twilio has it although the worker did not hear back: not sent again
        message.sent_at = message.sent_at or now
        message.claimed_by = message.lease_until = None
        message.in_doubt = False
        message.secret_sealed = None
        if message.kind in FORGET_NUMBER_KINDS:
            message.to_phone = ""
    advance(message, ours, "twilio", error_code=error_code)
    if error_code in PERMANENT_CODES:
        mark_number(message, error_code)
    elif ours == UNDELIVERED and error_code in REDELIVER_CODES:
        follow_up = redeliver(message, now)
        return f"redelivery_{follow_up.id}" if follow_up is not None else "not_redelivered"
    return ours


def redeliver(message: OutboundMessage, now: datetime) -> OutboundMessage | None:
    """Queue the same text again, later, for a message undelivered for a passing reason; or ``None``.

    At most three follow-ups per original (keys ``<original key>:redeliver:<n>``, cause the
    original), each after a longer wait, and only while the original has not expired. A message
    that had a secret (a login code, an invitation link) is not redelivered: its secret is wiped
    once it is final, and a new one must be asked for. A reply to a number nobody knows is not
    either: its number is gone.
    """
    if message.kind in FORGET_NUMBER_KINDS or not message.to_phone or SECRET_MASK in message.body:
        return None
    match = _REDELIVERY.match(message.idempotency_key)
    if match and message.cause_type == "outbound_message":
        base, n, original_id = match["base"], int(match["n"]) + 1, message.cause_id
    else:
        base, n, original_id = message.idempotency_key, 1, message.id
    key = f"{base}:redeliver:{n}"
    if n > len(REDELIVERY_DELAYS) or len(key) > 120:
        return None
    due = now + REDELIVERY_DELAYS[n - 1]
    if due >= message.expires_at:
        return None
    body = message.body
    return queue_sms(
        to=message.to_phone,
        kind=message.kind,
        category=message.category,
        locale=message.locale,
        write=lambda _secret: body,
        newcomer_id=message.newcomer_id,
        municipality_id=message.municipality_id,
        cause=("outbound_message", original_id),
        key=key,
        priority=message.priority,
        send_after=due,
        expires_at=message.expires_at,
    )


def original_of(message: OutboundMessage) -> OutboundMessage:
    """The message a redelivery repeats (itself for any other): for ``cancel_when`` checks that read the cause."""
    if message.cause_type == "outbound_message" and message.cause_id is not None:
        return db.session.get(OutboundMessage, message.cause_id) or message
    return message


# -- incoming SMS -----------------------------------------------------------------------------------


@bp.post("/inbound", endpoint="inbound")
@limiter.limit(_webhook_limit)
def inbound_sms() -> ResponseReturnValue:
    """An incoming SMS: a keyword, a message for the conversation, or a number nobody knows."""
    form = verified_form()
    sid = _field(form, "MessageSid", _SID)
    sender = _field(form, "From", None)
    body = _field(form, "Body", None, required=False) or ""
    opt_out_type = _field(form, "OptOutType", _OPT_OUT_TYPE, required=False)
    if len(sender) > 40:
        _refuse(400)
    inbound.receive(sid, parse_phone(sender), body, opt_out_type=opt_out_type)
    return _twiml()
