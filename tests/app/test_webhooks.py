"""Twilio's webhooks: signatures, delivery statuses, keywords, the conversation and unknown numbers.

Requests are signed as Twilio signs them, with the SDK's ``RequestValidator.compute_signature``
over the public URL and the form; messages go out through the real worker code (the ``sms``
fixture drains the outbox into the fake sender).
"""

from __future__ import annotations

import io
import itertools
import logging
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from app.extensions import csrf, db
from app.models import Newcomer, OutboundMessage
from app.models.conversation import ConversationMessage, UnknownSenderCount, WebhookReceipt
from app.models.message import (
    ALL,
    NOTICES,
    OPT_OUT_CATEGORIES,
    REMINDERS,
    REPLIES,
    SURVEYS,
    OutboundEvent,
    SmsOptOut,
)
from app.models.types import utcnow
from app.outbox import callback_url, queue_sms
from app.sms import inbound, keywords, texts
from app.sms.keywords import HELP, START, STOP, Keyword
from app.sms.services import queue_for
from tests.conftest import BASE, TOKEN, Person, csrf_token  # noqa: F401 - BASE and TOKEN are imported from here too

INBOUND = "/sms/twilio/inbound"
STATUS = "/sms/twilio/status"
STRANGER = "+31687654321"
ROOT = Path(__file__).resolve().parents[2]

_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def signed(client: FlaskClient, path: str, params: dict, *, url: str | None = None, token: str = TOKEN, **kw):
    """POST ``params`` to ``path`` signed by Twilio for ``url`` (default: the public URL of ``path``)."""
    form = MultiDict(params)  # a list is a field given more than once
    signature = RequestValidator(token).compute_signature(url or BASE + path, form)
    headers = {"X-Twilio-Signature": signature, **kw.pop("headers", {})}
    return client.post(path, data=form, headers=headers, **kw)


def sms_from(number: str, body: str, sid: str | None = None, **extra: str) -> dict:
    """The form Twilio posts for an incoming SMS."""
    return {
        "MessageSid": sid or new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": "+3197010000000",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def count(app: Flask, model: type, *where: object) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def rows(app: Flask, model: type, *where: object) -> list:
    with app.app_context():
        found = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def changes(app: Flask) -> tuple[int, ...]:
    """How many rows of everything a webhook may write: equal before and after means nothing changed."""
    tables = (WebhookReceipt, ConversationMessage, OutboundMessage, OutboundEvent, SmsOptOut, UnknownSenderCount)
    return tuple(count(app, table) for table in tables)


def queue_notice(app: Flask, person: Person, *, category: str = NOTICES, secret: str = "", **options) -> int:
    """A notice (or another category) for ``person`` in the outbox; its id."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        if secret:
            message = queue_sms(
                to=newcomer.phone,
                kind="test_secret",
                category=category,
                locale=newcomer.language,
                write=lambda code: texts.login_code("Hoorn", code),
                secret=secret,
                newcomer_id=newcomer.id,
                municipality_id=newcomer.municipality_id,
                key=f"test:{new_sid()}",
                **options,
            )
        else:
            message = queue_for(
                newcomer,
                "intake_received",
                category,
                lambda _secret: texts.intake_received("Hoorn"),
                key=f"test:{new_sid()}",
                **options,
            )
        db.session.commit()
        return message.id


def message_row(app: Flask, message_id: int) -> OutboundMessage:
    with app.app_context():
        row = db.session.get(OutboundMessage, message_id)
        db.session.expunge(row)
        return row


def callback(client: FlaskClient, app: Flask, message_id: int, status: str, sid: str | None = None, **extra: str):
    """Twilio's status callback for a message, to the URL the worker gave Twilio."""
    row = message_row(app, message_id)
    with app.test_request_context():
        url = callback_url(row)
    path = url.removeprefix(BASE)
    params = {"MessageSid": sid or row.provider_id, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, **extra}
    return signed(client, path, params, url=url)


# -- signatures -------------------------------------------------------------------------------------


def test_a_signed_sms_is_answered_with_empty_twiml(hooks, client, newcomer):
    response = signed(client, INBOUND, sms_from(newcomer.phone, "Hello, I have a question"))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.text.endswith("<Response/>")
    assert count(hooks, ConversationMessage) == 1


def test_a_forged_signature_is_refused_and_changes_nothing(hooks, client, newcomer):
    before = changes(hooks)
    forged = signed(client, INBOUND, sms_from(newcomer.phone, "STOP"), token="not-the-token")
    garbage = client.post(INBOUND, data=sms_from(newcomer.phone, "STOP"), headers={"X-Twilio-Signature": "x" * 28})
    assert (forged.status_code, garbage.status_code) == (403, 403)
    assert changes(hooks) == before


def test_a_missing_signature_is_refused(hooks, client, newcomer):
    before = changes(hooks)
    assert client.post(INBOUND, data=sms_from(newcomer.phone, "STOP")).status_code == 403
    assert client.post(STATUS + "?m=x", data={"MessageSid": new_sid(), "MessageStatus": "sent"}).status_code == 403
    assert changes(hooks) == before


def test_a_changed_value_breaks_the_signature(hooks, client, newcomer):
    params = sms_from(newcomer.phone, "Hello")
    signature = RequestValidator(TOKEN).compute_signature(BASE + INBOUND, params)
    response = client.post(INBOUND, data={**params, "Body": "STOP"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count(hooks, WebhookReceipt) == 0


def test_a_request_signed_for_another_url_is_refused(hooks, client, newcomer, sms):
    message_id = queue_notice(hooks, newcomer)
    assert sms.sent
    params = sms_from(newcomer.phone, "Hello")
    before = changes(hooks)
    assert signed(client, INBOUND, params, url=BASE + STATUS).status_code == 403
    assert signed(client, INBOUND, params, url="https://other.example.nl" + INBOUND).status_code == 403
    row = message_row(hooks, message_id)
    status = {"MessageSid": row.provider_id, "MessageStatus": "delivered"}
    wrong_query = signed(client, f"{STATUS}?m={row.callback_token}", status, url=f"{BASE}{STATUS}?m=other")
    assert wrong_query.status_code == 403
    assert changes(hooks) == before
    assert message_row(hooks, message_id).status == "sent"


def test_behind_an_https_proxy_the_public_url_is_what_counts(hooks, client, newcomer):
    """The request reaches the app over http with another Host; Twilio signed the public https URL."""
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "intake.example.nl"}
    as_arrived = signed(
        client, INBOUND, sms_from(newcomer.phone, "Hello"), url="http://localhost" + INBOUND, headers=proxy
    )
    host_header = signed(
        client,
        INBOUND,
        sms_from(newcomer.phone, "Hello"),
        url="http://evil.example" + INBOUND,
        headers={"Host": "evil.example"},
    )
    assert (as_arrived.status_code, host_header.status_code) == (403, 403)
    public = signed(client, INBOUND, sms_from(newcomer.phone, "Hello"), headers=proxy)
    assert public.status_code == 200
    assert count(hooks, ConversationMessage) == 1


def test_a_replayed_request_changes_nothing(hooks, client, newcomer):
    params = sms_from(newcomer.phone, "Hello")
    assert signed(client, INBOUND, params).status_code == 200
    after_first = changes(hooks)
    again = signed(client, INBOUND, params)
    assert again.status_code == 200
    assert again.text.endswith("<Response/>")
    assert changes(hooks) == after_first


def test_without_an_auth_token_everything_is_refused(app, client, newcomer):
    assert not app.config.get("TWILIO_AUTH_TOKEN")
    before = changes(app)
    for token in ("", TOKEN):
        assert signed(client, INBOUND, sms_from(newcomer.phone, "STOP"), token=token).status_code == 403
    assert signed(client, STATUS + "?m=abc", {"MessageSid": new_sid(), "MessageStatus": "sent"}).status_code == 403
    assert changes(app) == before


def test_an_auth_token_from_the_settings_works(make_app, newcomer):
    other = make_app(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=BASE)
    response = signed(other.test_client(), INBOUND, sms_from(newcomer.phone, "Hello"))
    assert response.status_code == 200
    assert count(other, ConversationMessage) == 1


def test_a_shared_key_signature_is_refused(hooks, client, newcomer):
    """Twilio signs with a SharedKey (not the auth token) when it says so in this header: we have none."""
    settings = {"X-Twilio-Webhooks-Signature-Settings": "key=KS123,algorithm=HMAC_SHA1"}
    response = signed(client, INBOUND, sms_from(newcomer.phone, "Hello"), headers=settings)
    assert response.status_code == 403
    assert count(hooks, WebhookReceipt) == 0


def test_a_huge_body_is_refused_before_it_is_read(hooks, client, newcomer):
    params = sms_from(newcomer.phone, "x" * (hooks.config["SMS_WEBHOOK_MAX_BYTES"] + 1))
    assert signed(client, INBOUND, params).status_code == 413
    # also without a Content-Length (chunked): the stream is cut at the limit
    signature = RequestValidator(TOKEN).compute_signature(BASE + INBOUND, params)
    body = urlencode(params).encode()
    chunked = client.post(
        INBOUND,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413
    assert count(hooks, WebhookReceipt) == 0


def test_what_is_not_a_signed_form_is_refused(hooks, client, newcomer):
    params = sms_from(newcomer.phone, "Hello")
    signature = RequestValidator(TOKEN).compute_signature(BASE + INBOUND, {})
    as_json = client.post(INBOUND, json=params, headers={"X-Twilio-Signature": signature})
    not_utf8 = client.post(
        INBOUND,
        data=b"Body=%ff%fe&MessageSid=SM1",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert (as_json.status_code, not_utf8.status_code) == (403, 403)
    assert client.get(INBOUND).status_code == 405
    assert count(hooks, WebhookReceipt) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": None},
        {"MessageSid": "SM 1; DROP TABLE"},
        {"MessageSid": ["SM" + "1" * 32, "SM" + "2" * 32]},
        {"From": None},
        {"From": "+31" + "6" * 60},
        {"Body": ["one", "two"]},
        {"OptOutType": "STOP; 1"},
    ],
)
def test_signed_but_malformed_inbound_is_a_400_and_changes_nothing(hooks, client, newcomer, change):
    params = {**sms_from(newcomer.phone, "Hello"), **change}
    params = {key: value for key, value in params.items() if value is not None}
    before = changes(hooks)
    assert signed(client, INBOUND, params).status_code == 400
    assert changes(hooks) == before


@pytest.mark.parametrize(
    "change",
    [{"MessageSid": None}, {"MessageStatus": None}, {"MessageStatus": ["sent", "delivered"]}, {"ErrorCode": "abc"}],
)
def test_signed_but_malformed_status_is_a_400_and_changes_nothing(hooks, client, newcomer, sms, change):
    message_id = queue_notice(hooks, newcomer)
    assert sms.sent
    row = message_row(hooks, message_id)
    params = {"MessageSid": row.provider_id, "MessageStatus": "delivered", **change}
    params = {key: value for key, value in params.items() if value is not None}
    before = changes(hooks)
    assert signed(client, f"{STATUS}?m={row.callback_token}", params).status_code == 400
    assert changes(hooks) == before
    assert message_row(hooks, message_id).status == "sent"


WITHOUT_CSRF = {"sms_webhooks.status", "sms_webhooks.inbound"}
"""The routes that take a POST without a CSRF token: Twilio's, which check its signature instead."""
CHECKS_CSRF_ITSELF = {
    "backoffice.import_form",
    "backoffice.appointments.hours_import_form",
    "backoffice.history_import_form",
}
"""Left out of the global check only to parse a large upload under its own limit; its FlaskForm checks
the token (proved below)."""


def _exempt_from_the_global_check(app: Flask) -> set[str]:
    exempt = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
        if blueprint in csrf._exempt_blueprints or f"{view.__module__}.{view.__name__}" in csrf._exempt_views:
            exempt.add(rule.endpoint)
    return exempt


def test_the_webhooks_are_the_only_csrf_exempt_routes(hooks, klantmanager):
    assert hooks.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True
    assert hooks.config.get("WTF_CSRF_ENABLED", True) is True
    assert {blueprint.name for blueprint in csrf._exempt_blueprints} == {"sms_webhooks"}
    assert _exempt_from_the_global_check(hooks) == WITHOUT_CSRF | CHECKS_CSRF_ITSELF
    # the webhooks' blueprint has no other routes
    assert {r.endpoint for r in hooks.url_map.iter_rules() if r.endpoint.startswith("sms_webhooks.")} == WITHOUT_CSRF
    # and the import form refuses a POST without its token (the klantmanager is signed in)
    from app.models.imports import ImportJob

    template = klantmanager.get("/backoffice/import/template.csv").data  # a valid file: its header and one row

    def upload(**token: str):  # noqa: ANN202
        data = {"file": (io.BytesIO(template), "notifications.csv"), **token}
        return klantmanager.post("/backoffice/import", data=data, content_type="multipart/form-data")

    assert upload().status_code == 422
    assert count(hooks, ImportJob) == 0
    page = klantmanager.get("/backoffice/import")
    assert upload(csrf_token=csrf_token(page.text)).status_code == 302
    assert count(hooks, ImportJob) == 1


def test_the_webhooks_are_rate_limited(hooks, client, newcomer, monkeypatch):
    monkeypatch.setitem(hooks.config, "SMS_WEBHOOK_LIMIT", "3 per minute")
    answers = [signed(client, INBOUND, sms_from(newcomer.phone, f"Message {n}")).status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    assert count(hooks, ConversationMessage) == 3


# -- delivery statuses ------------------------------------------------------------------------------


def test_statuses_move_forward_only_whatever_order_they_come_in(hooks, client, newcomer, sms):
    message_id = queue_notice(hooks, newcomer)
    assert len(sms.sent) == 1
    url = sms.options[-1]["status_callback"]
    assert url == f"{BASE}{STATUS}?m={message_row(hooks, message_id).callback_token}"

    assert callback(client, hooks, message_id, "delivered").status_code == 200
    row = message_row(hooks, message_id)
    assert (row.status, row.provider_status) == ("delivered", "delivered")
    assert row.delivered_at is not None
    assert row.provider_status_at is not None
    events = count(hooks, OutboundEvent, OutboundEvent.message_id == message_id)
    assert rows(hooks, OutboundEvent, OutboundEvent.message_id == message_id)[-1].source == "twilio"

    for late in ("sent", "queued", "delivered", "undelivered", "failed"):  # late, repeated, or a different end
        assert callback(client, hooks, message_id, late, ErrorCode="30003").status_code == 200
    after = message_row(hooks, message_id)
    assert (after.status, after.provider_status, after.error_code) == ("delivered", "delivered", None)
    assert after.provider_status_at == row.provider_status_at
    assert count(hooks, OutboundEvent, OutboundEvent.message_id == message_id) == events
    assert count(hooks, OutboundMessage) == 1  # no redelivery either

    assert callback(client, hooks, message_id, "read").status_code == 200
    read = message_row(hooks, message_id)
    assert (read.status, read.provider_status) == ("delivered", "read")


def test_a_status_for_a_message_the_worker_never_heard_back_about(hooks, client, newcomer, sms):
    """Twilio had it (the worker timed out): the callback records the SID and it is not sent again."""
    message_id = queue_notice(hooks, newcomer)
    sid = new_sid()
    assert callback(client, hooks, message_id, "sent", sid=sid).status_code == 200
    row = message_row(hooks, message_id)
    assert (row.status, row.provider_id, row.provider_status) == ("sent", sid, "sent")
    assert row.sent_at is not None
    assert sms.sent == []


def test_a_status_for_an_unknown_message_or_sid_is_logged_and_answered(hooks, client, newcomer, sms, caplog):
    message_id = queue_notice(hooks, newcomer)
    assert sms.sent
    before = changes(hooks)
    caplog.set_level(logging.INFO, logger="app.sms.webhooks")
    unknown = signed(client, f"{STATUS}?m={'x' * 32}", {"MessageSid": new_sid(), "MessageStatus": "delivered"})
    no_token = signed(client, STATUS, {"MessageSid": new_sid(), "MessageStatus": "delivered"})
    other_sid = callback(client, hooks, message_id, "delivered", sid=new_sid())
    new_status = callback(client, hooks, message_id, "partially_delivered")
    assert [r.status_code for r in (unknown, no_token, other_sid, new_status)] == [200, 200, 200, 200]
    assert changes(hooks) == before
    assert message_row(hooks, message_id).status == "sent"
    for outcome in ("unknown_message", "other_sid", "unknown_status"):
        assert outcome in caplog.text


@pytest.mark.parametrize("code", ["30004", "30005", "30006", "21211", "21614"])
def test_a_permanent_error_marks_the_number(hooks, client, newcomer, sms, code):
    message_id = queue_notice(hooks, newcomer)
    assert sms.sent
    assert callback(client, hooks, message_id, "undelivered", ErrorCode=code).status_code == 200
    row = message_row(hooks, message_id)
    assert (row.status, row.error_code) == ("undelivered", code)
    assert row.error_at is not None
    person = rows(hooks, Newcomer, Newcomer.id == newcomer.id)[0]
    assert person.sms_unreachable_code == code
    assert count(hooks, OutboundMessage) == 1  # never redelivered


def test_twilios_stop_list_becomes_an_opt_out(hooks, client, newcomer, sms):
    message_id = queue_notice(hooks, newcomer)
    assert sms.sent
    assert callback(client, hooks, message_id, "failed", ErrorCode="21610").status_code == 200
    assert [(o.category, o.source) for o in rows(hooks, SmsOptOut)] == [(ALL, "twilio")]
    assert message_row(hooks, message_id).status == "failed"


def _send_due(app: Flask, sms) -> None:
    with app.app_context():
        db.session.execute(update(OutboundMessage).values(next_attempt_at=utcnow(), send_after=utcnow()))
        db.session.commit()
    assert sms.sent


def test_a_passing_error_is_redelivered_at_most_three_times(hooks, client, newcomer, sms):
    original_id = queue_notice(hooks, newcomer)
    _send_due(hooks, sms)
    original = message_row(hooks, original_id)
    message_id = original_id
    for n in (1, 2, 3):
        started = utcnow()
        assert callback(client, hooks, message_id, "undelivered", ErrorCode="30003").status_code == 200
        assert message_row(hooks, message_id).status == "undelivered"  # it stays what it was
        follow_up = rows(hooks, OutboundMessage, OutboundMessage.idempotency_key.endswith(f":redeliver:{n}"))[0]
        assert follow_up.idempotency_key == f"{original.idempotency_key}:redeliver:{n}"
        assert (follow_up.cause_type, follow_up.cause_id) == ("outbound_message", original_id)
        assert (follow_up.body, follow_up.to_phone, follow_up.kind) == (original.body, original.to_phone, original.kind)
        assert (follow_up.status, follow_up.expires_at) == ("queued", original.expires_at)
        assert follow_up.send_after >= started + timedelta(minutes=15)
        _send_due(hooks, sms)
        message_id = follow_up.id
    assert callback(client, hooks, message_id, "undelivered", ErrorCode="30008").status_code == 200
    assert count(hooks, OutboundMessage) == 4  # the original and three follow-ups
    assert len(sms.sent) == 4


def test_no_redelivery_of_a_message_with_a_secret_or_after_it_expires(hooks, client, newcomer, sms):
    with_secret = queue_notice(hooks, newcomer, category="codes", secret="123456")
    soon_expired = queue_notice(hooks, newcomer, expires_at=utcnow() + timedelta(minutes=10))
    assert len(sms.sent) == 2
    assert "123456" in sms.sent[0][1]
    assert "123456" not in message_row(hooks, with_secret).body
    for message_id in (with_secret, soon_expired):
        assert callback(client, hooks, message_id, "undelivered", ErrorCode="30003").status_code == 200
        assert message_row(hooks, message_id).status == "undelivered"
    assert count(hooks, OutboundMessage) == 2


# -- keywords ---------------------------------------------------------------------------------------

EVERY_WORD = [
    (language, action, word)
    for language, words in keywords.WORDS.items()
    for action, spellings in words.items()
    for word in spellings
]


def _opt_outs(app: Flask, person: Person) -> list[str]:
    return sorted(o.category for o in rows(app, SmsOptOut, SmsOptOut.newcomer_id == person.id))


def _replies(app: Flask, person: Person) -> list[OutboundMessage]:
    return rows(app, OutboundMessage, OutboundMessage.newcomer_id == person.id, OutboundMessage.category == REPLIES)


@pytest.mark.parametrize(("language", "action", "word"), EVERY_WORD)
def test_every_keyword_in_every_language(hooks, client, make_newcomer, language, action, word):
    person = make_newcomer(language=language)
    if action == START:
        with hooks.app_context():
            inbound.stop(db.session.get(Newcomer, person.id), ALL)
            db.session.commit()
    assert signed(client, INBOUND, sms_from(person.phone, word)).status_code == 200
    assert _opt_outs(hooks, person) == {STOP: [ALL], START: [], HELP: []}[action]
    (reply,) = _replies(hooks, person)
    kind = {STOP: "keyword_stopped", START: "keyword_started", HELP: "keyword_help"}[action]
    assert (reply.kind, reply.locale, reply.to_phone) == (kind, language, person.phone)
    assert "Hoorn" in reply.body
    assert keywords.word(language, START if action == STOP else STOP) in reply.body  # how to undo it, in its words
    assert count(hooks, ConversationMessage) == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("stop", Keyword(STOP)),
        ("Stop!", Keyword(STOP)),
        ("  STOP. ", Keyword(STOP)),
        ("STOP 1", Keyword(STOP, REMINDERS)),
        ("STOP1", Keyword(STOP, REMINDERS)),
        ("stop ١", Keyword(STOP, REMINDERS)),  # Arabic-Indic digit
        ("توقف ۲", Keyword(STOP, SURVEYS)),  # Persian digit
        ("JOOJI ፫", Keyword(STOP, NOTICES)),  # Ethiopic digit
        ("STOP ALL", Keyword(STOP)),
        ("stop herinneringen", Keyword(STOP, REMINDERS)),
        ("Stop enquetes", Keyword(STOP, SURVEYS)),  # ENQUÊTES without its circumflex
        ("STOP ENQUÊTES", Keyword(STOP, SURVEYS)),
        ("dur anketler", Keyword(STOP, SURVEYS)),
        ("DUR BİLDİRİMLER", Keyword(STOP, NOTICES)),
        ("dur bildirimler", Keyword(STOP, NOTICES)),  # dotted capital İ, small dotless ı: one i
        ("DUR HEPSİ", Keyword(STOP)),
        ("تَوَقَّفْ", Keyword(STOP)),  # with harakat
        ("ايقاف", Keyword(STOP)),  # alef without its hamza
        ("تـوقـف", Keyword(STOP)),  # with tatweel
        ("توقف الكل", Keyword(STOP)),
        ("يادآوری", None),  # a category alone is no keyword
        ("توقف یادآوری", Keyword(STOP, REMINDERS)),
        ("توقف يادآوري", Keyword(STOP, REMINDERS)),  # Arabic yeh for Persian yeh
        ("كمك", Keyword(HELP)),  # Arabic kaf for Persian keheh
        ("مساعده", Keyword(HELP)),  # ha for ta marbuta
        ("\u200fمساعدة\u200f", Keyword(HELP)),  # direction marks
        ("BASLA", Keyword(START)),
        ("başla", Keyword(START)),
        ("Başla 2", Keyword(START, SURVEYS)),
        ("yardım", Keyword(HELP)),
        ("YARDİM", Keyword(HELP)),
        ("ጀምር ፩", Keyword(START, REMINDERS)),
        ("ኣቋርጽ ኩሉ", Keyword(STOP)),
        ("Bilow xusuusin", Keyword(START, REMINDERS)),
        ("ＳＴＯＰ", Keyword(STOP)),  # full-width letters
        ("STOPALL", Keyword(STOP)),
        ("stop 4", None),
        ("HELP 1", None),
        ("please stop", None),
        ("stop sending me reminders", None),
        ("I cannot come, stop", None),
        ("cancel", None),
        ("yes", None),
        ("", None),
        ("stop " + "x" * 80, None),
    ],
)
def test_keywords_are_whole_messages_without_case_diacritics_or_digit_systems(body, expected):
    assert keywords.parse(body) == expected


@pytest.mark.parametrize(
    ("language", "category", "word"),
    [
        (language, category, word)
        for language, table in keywords.CATEGORY_WORDS.items()
        for category, spellings in table.items()
        for word in spellings
    ],
)
def test_every_category_word_in_every_language(language, category, word):
    for action in (STOP, START):
        assert keywords.parse(f"{keywords.word(language, action)} {word}") == Keyword(action, category)
        assert keywords.parse(f"{keywords.word(language, action)} {word}".lower()) == Keyword(action, category)


def test_the_keyword_tables_are_complete_and_documented():
    from app.i18n import LANGUAGES

    shipped = {language.code for language in LANGUAGES}
    assert set(keywords.WORDS) == set(keywords.CATEGORY_WORDS) == shipped
    for language in shipped:
        assert set(keywords.WORDS[language]) == {STOP, START, HELP}
        assert set(keywords.CATEGORY_WORDS[language]) == {*OPT_OUT_CATEGORIES, ALL}
    assert set(keywords.CATEGORY_NUMBERS.values()) == set(OPT_OUT_CATEGORIES) == set(keywords.CATEGORY_LABELS)
    doc = (ROOT / "docs" / "sms.md").read_text().splitlines()
    for language in shipped:
        words = keywords.WORDS[language]
        categories = keywords.CATEGORY_WORDS[language]
        rows_of = [", ".join(words[action]) for action in (STOP, START, HELP)]
        assert f"| {language} | {' | '.join(rows_of)} |" in doc, language
        cells = [", ".join(categories[c]) for c in (REMINDERS, SURVEYS, NOTICES, ALL)]
        assert f"| {language} | {' | '.join(cells)} |" in doc, language
    assert keywords.CATEGORY_NUMBERS == {"1": REMINDERS, "2": SURVEYS, "3": NOTICES}  # as the table's header says


def test_stop_then_a_notice_is_cancelled_when_it_is_due(hooks, client, newcomer, sms):
    assert signed(client, INBOUND, sms_from(newcomer.phone, "STOP")).status_code == 200
    notice = queue_notice(hooks, newcomer)
    sent = sms.sent
    assert len(sent) == 1  # the confirmation, which a STOP does not stop
    assert sent[0][0] == newcomer.phone
    assert "Municipality of Hoorn: you will get no more SMS from us. Send START to get them again." == sent[0][1]
    assert message_row(hooks, notice).status == "cancelled"
    assert rows(hooks, OutboundEvent, OutboundEvent.message_id == notice)[-1].detail == "opted_out"


def test_stop_one_category_stops_only_that_one(hooks, client, newcomer, sms):
    assert signed(client, INBOUND, sms_from(newcomer.phone, "stop 1")).status_code == 200
    assert _opt_outs(hooks, newcomer) == [REMINDERS]
    reminder = queue_notice(hooks, newcomer, category=REMINDERS)
    notice = queue_notice(hooks, newcomer)
    bodies = [body for _to, body in sms.sent]
    assert bodies[0] == "Municipality of Hoorn: you will get no more reminders by SMS. Send START 1 to get them again."
    assert len(bodies) == 2
    assert message_row(hooks, reminder).status == "cancelled"
    assert message_row(hooks, notice).status == "sent"


def test_start_lifts_the_opt_out(hooks, client, newcomer, sms):
    signed(client, INBOUND, sms_from(newcomer.phone, "STOP"))
    assert signed(client, INBOUND, sms_from(newcomer.phone, "Start")).status_code == 200
    assert _opt_outs(hooks, newcomer) == []
    notice = queue_notice(hooks, newcomer)
    bodies = [body for _to, body in sms.sent]
    assert bodies[1] == "Municipality of Hoorn: you will get our SMS again. Send STOP to stop them."
    assert len(bodies) == 3
    assert message_row(hooks, notice).status == "sent"


def test_start_one_category_after_stop_keeps_the_others_stopped(hooks, client, newcomer, sms):
    signed(client, INBOUND, sms_from(newcomer.phone, "STOP"))
    assert signed(client, INBOUND, sms_from(newcomer.phone, "START 3")).status_code == 200
    assert _opt_outs(hooks, newcomer) == sorted([REMINDERS, SURVEYS])
    assert signed(client, INBOUND, sms_from(newcomer.phone, "START 1")).status_code == 200
    assert _opt_outs(hooks, newcomer) == [SURVEYS]
    assert sms.sent[-1][1] == "Municipality of Hoorn: you will get reminders by SMS again. Send STOP 1 to stop them."


def test_help_explains_the_keywords_in_the_persons_words_and_changes_nothing(hooks, client, make_newcomer, sms):
    person = make_newcomer(language="tr")
    english = make_newcomer(language="en")
    assert signed(client, INBOUND, sms_from(person.phone, "YARDIM")).status_code == 200
    assert signed(client, INBOUND, sms_from(english.phone, "yardım")).status_code == 200
    assert _opt_outs(hooks, person) == _opt_outs(hooks, english) == []
    assert sms.sent == [
        (person.phone, texts_in(hooks, "tr", texts.keyword_help, "Hoorn", "DUR", "BAŞLA")),
        (
            english.phone,
            "Municipality of Hoorn: send STOP for no more SMS, or STOP 1 (reminders), 2 (surveys) or 3 (notices). "
            "START undoes it.",
        ),
    ]
    assert "DUR 1" in sms.sent[0][1]
    assert "BAŞLA" in sms.sent[0][1]


def test_opt_out_and_in_are_audited_as_the_newcomer(hooks, client, newcomer, audit_log):
    signed(client, INBOUND, sms_from(newcomer.phone, "STOP"))
    signed(client, INBOUND, sms_from(newcomer.phone, "STOP"))  # again: nothing changes, nothing to audit
    signed(client, INBOUND, sms_from(newcomer.phone, "START"))
    entries = [(e.action, e.actor_type, e.actor_id, e.record_type, e.record_id) for e in audit_log()]
    assert entries == [
        ("file.sms_opted_out", "newcomer", newcomer.id, "newcomer", newcomer.id),
        ("file.sms_opted_in", "newcomer", newcomer.id, "newcomer", newcomer.id),
    ]
    assert all(e.municipality_id is not None for e in audit_log())
    assert len(_replies(hooks, newcomer)) == 3  # every keyword is confirmed, once


def test_twilios_own_opt_out_type_counts_as_a_keyword(hooks, client, newcomer):
    """Advanced Opt-Out matched one of Twilio's own words (here: a word not in our table)."""
    params = sms_from(newcomer.phone, "Stoppen alstublieft", OptOutType="STOP")
    assert signed(client, INBOUND, params).status_code == 200
    assert _opt_outs(hooks, newcomer) == [ALL]
    assert count(hooks, ConversationMessage) == 0


# -- the conversation -------------------------------------------------------------------------------


def test_a_message_goes_into_the_conversation_once(hooks, client, make_newcomer, sms):
    person = make_newcomer(language="ti")
    params = sms_from(person.phone.replace("+31", "+31 "), "ሰላም\x00, I have a\x07 question\nabout my course")
    for _retry in range(3):
        assert signed(client, INBOUND, params).status_code == 200
    (message,) = rows(hooks, ConversationMessage)
    assert (message.newcomer_id, message.direction, message.channel) == (person.id, "in", "sms")
    assert message.body == "ሰላም, I have a question\nabout my course"
    assert (message.language, message.provider_sid, message.read_at) == ("ti", params["MessageSid"], None)
    with hooks.app_context():
        assert message.municipality_id == db.session.get(Newcomer, person.id).municipality_id
    assert [r.kind for r in rows(hooks, WebhookReceipt)] == ["conversation"]
    (ack,) = _replies(hooks, person)
    assert (ack.kind, ack.locale) == ("inbound_ack", "ti")
    assert len(sms.sent) == 1


def test_a_long_message_is_cut_at_1600_characters(hooks, client, newcomer):
    assert signed(client, INBOUND, sms_from(newcomer.phone, "ب" * 2000)).status_code == 200
    (message,) = rows(hooks, ConversationMessage)
    assert message.body == "ب" * 1600


def test_at_most_one_acknowledgement_a_day(hooks, client, newcomer, sms, monkeypatch):
    for n in range(3):
        assert signed(client, INBOUND, sms_from(newcomer.phone, f"Message {n}")).status_code == 200
    assert count(hooks, ConversationMessage) == 3
    (ack,) = _replies(hooks, newcomer)
    assert ack.idempotency_key == f"inbound_ack:{newcomer.id}:{inbound.local_day(utcnow()).isoformat()}"
    assert sms.sent == [(newcomer.phone, texts_in(hooks, "en", texts.inbound_ack, "Hoorn"))]

    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(inbound, "utcnow", lambda: tomorrow)
    assert signed(client, INBOUND, sms_from(newcomer.phone, "One more")).status_code == 200
    assert len(_replies(hooks, newcomer)) == 2


def test_an_opted_out_newcomer_still_reaches_the_klantmanager(hooks, client, newcomer, sms):
    signed(client, INBOUND, sms_from(newcomer.phone, "STOP"))
    assert signed(client, INBOUND, sms_from(newcomer.phone, "Can you call me?")).status_code == 200
    assert count(hooks, ConversationMessage) == 1
    assert [kind for kind in (r.kind for r in _replies(hooks, newcomer))] == ["keyword_stopped", "inbound_ack"]
    assert len(sms.sent) == 2  # what they asked for themselves: the confirmation and the acknowledgement


def texts_in(app: Flask, locale: str, write, *args: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return write(*args)


def test_the_same_sid_at_the_same_moment_is_handled_once(hooks, newcomer):
    params = sms_from(newcomer.phone, "Hello")
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def post() -> None:
        browser = hooks.test_client()
        barrier.wait()
        answers.append(signed(browser, INBOUND, params).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200, 200]
    assert count(hooks, ConversationMessage) == 1
    assert count(hooks, WebhookReceipt) == 1
    assert len(_replies(hooks, newcomer)) == 1


# -- numbers nobody knows ---------------------------------------------------------------------------


def _everything_stored(app: Flask) -> str:
    """Every row of every table as text, to look for a phone number in."""
    with app.app_context():
        dumped = []
        for table in db.metadata.sorted_tables:
            dumped.extend(repr(tuple(row)) for row in db.session.execute(select(table)).all())
        return "\n".join(dumped)


def test_a_number_nobody_knows_is_answered_once_a_day_and_only_counted(hooks, client, newcomer, sms, monkeypatch):
    for n in range(3):
        assert signed(client, INBOUND, sms_from(STRANGER, f"Hello, this is Fatima {n}")).status_code == 200
    (counter,) = rows(hooks, UnknownSenderCount)
    assert (counter.count, counter.answered) == (3, True)
    assert STRANGER[1:] not in counter.key_hash
    (reply,) = rows(hooks, OutboundMessage)
    assert (reply.kind, reply.newcomer_id, reply.municipality_id, reply.locale) == (
        "unknown_number_reply",
        None,
        None,
        "nl",
    )
    assert count(hooks, ConversationMessage) == 0
    assert [r.kind for r in rows(hooks, WebhookReceipt)] == ["unknown_number"] * 3

    ((to, body),) = sms.sent
    assert to == STRANGER
    assert texts.UNKNOWN_NUMBER_SENDER in body
    for locale in ("nl", "en"):  # one text holding both languages
        assert texts_in(hooks, locale, texts.unknown_number_reply, texts.UNKNOWN_NUMBER_SENDER).split("\n")[0] in body
    assert message_row(hooks, reply.id).to_phone == ""  # the answer forgets the number once it is sent
    stored = _everything_stored(hooks)
    assert STRANGER[3:] not in stored
    assert "Fatima" not in stored

    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(inbound, "utcnow", lambda: tomorrow)
    assert signed(client, INBOUND, sms_from(STRANGER, "Hello again")).status_code == 200
    assert [(c.count, c.answered) for c in rows(hooks, UnknownSenderCount)] == [(3, True), (1, True)]
    assert count(hooks, OutboundMessage) == 2


def test_a_stranger_who_says_stop_or_is_not_a_number_gets_no_answer(hooks, client, sms):
    assert signed(client, INBOUND, sms_from(STRANGER, "STOP")).status_code == 200
    assert signed(client, INBOUND, sms_from("Hoorn", "Hello")).status_code == 200  # an alphanumeric sender
    assert count(hooks, OutboundMessage) == 0
    assert sum(c.count for c in rows(hooks, UnknownSenderCount)) == 2
    assert sms.sent == []


def test_no_number_body_or_name_in_the_logs(hooks, client, newcomer, caplog):
    caplog.set_level(logging.DEBUG)
    signed(client, INBOUND, sms_from(newcomer.phone, "My BSN is 123456782 and I am ill"))
    signed(client, INBOUND, sms_from(newcomer.phone, "STOP"))
    signed(client, INBOUND, sms_from(STRANGER, "Hello from a stranger"))
    signed(client, INBOUND, sms_from(STRANGER, "Hello"), token="forged")
    logged = caplog.text
    assert "inbound" in logged  # the handling is logged, by SID and kind
    for secret in (newcomer.phone, newcomer.phone[3:], STRANGER, STRANGER[3:], "123456782", "stranger", newcomer.name):
        assert secret not in logged
    assert not any(record.levelno >= logging.ERROR for record in caplog.records)


def test_records_made_by_the_webhooks_are_not_tenant_filtered_away(hooks, client, newcomer):
    """The conversation function other code relies on: the message is the newcomer's, in their municipality."""
    signed(client, INBOUND, sms_from(newcomer.phone, "Hello"))
    with hooks.app_context():
        person = db.session.get(Newcomer, newcomer.id)
        again = inbound.record_sms(person, rows(hooks, ConversationMessage)[0].provider_sid, "Hello")
        assert again is None  # a SID already in the thread adds nothing
        added = inbound.record_sms(person, new_sid(), "Another")
        db.session.commit()
        assert added is not None
        assert added.municipality_id == person.municipality_id
    assert count(hooks, ConversationMessage) == 2


def test_old_receipts_and_yesterdays_keyed_hashes_are_forgotten(hooks, client, app):
    from datetime import date

    for number in ("+31611111111", "+31622222222", "+31622222222"):
        signed(client, "/sms/twilio/inbound", sms_from(number, "hallo?"))
    with app.app_context():
        today = inbound.local_day(utcnow())
        assert db.session.scalar(select(func.sum(UnknownSenderCount.count))) == 3
        old = WebhookReceipt(sid="SM" + "9" * 32, kind="unknown_number", received_at=utcnow() - timedelta(days=31))
        db.session.add(old)
        db.session.add(UnknownSenderCount(day=date(2026, 1, 2), key_hash="a" * 64, count=4, answered=True))
        db.session.add(UnknownSenderCount(day=date(2026, 1, 2), key_hash="b" * 64, count=1, answered=True))
        db.session.commit()
        assert inbound.forget_old_traces() == (1, 2)
        kept = db.session.execute(select(UnknownSenderCount.day, UnknownSenderCount.key_hash, UnknownSenderCount.count))
        kept = sorted((day, key == inbound.TOTAL, n) for day, key, n in kept)
        # The past day is one total without hashes; today's hashes stay (they answer once a day).
        assert kept[0] == (date(2026, 1, 2), True, 5)
        assert {(day, total) for day, total, _n in kept[1:]} == {(today, False)}
        assert db.session.scalar(select(func.count()).select_from(WebhookReceipt)) == 3
        assert inbound.forget_old_traces() == (0, 0)  # nothing twice
