"""SMS: the Twilio sender against a local fake Twilio, the record of every message, the dev inbox."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import DevSms, Newcomer, OutboundMessage
from app.sms.base import IN_DOUBT, INVALID_NUMBER, OPTED_OUT, REJECTED, UNAVAILABLE, SmsError
from app.sms.twilio_sender import TwilioSmsSender
from tests.conftest import csrf_token, drain_outbox
from tests.fake_twilio import FakeTwilio, start

SID = "AC" + "0" * 32  # a made-up account id of the right shape


@pytest.fixture
def twilio():
    fake = start(FakeTwilio())
    yield fake
    fake.stop()


def sender(twilio: FakeTwilio, timeout: float = 2) -> TwilioSmsSender:
    return TwilioSmsSender(SID, "token", messaging_service_sid="MG" + "1" * 32, http_client=twilio.http_client(timeout))


def test_twilio_sender_sends_through_the_sdk(twilio):
    result = sender(twilio).send("+31612345601", "مرحبا")
    assert result.provider_id.startswith("SM")
    assert result.status == "accepted"  # as Twilio answers a send through a Messaging Service
    request = twilio.received[0]
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["To"] == "+31612345601"
    assert request["Body"] == "مرحبا"
    assert request["MessagingServiceSid"].startswith("MG")


@pytest.mark.parametrize(
    ("code", "kind"), [(21211, INVALID_NUMBER), (21610, OPTED_OUT), (20003, REJECTED), (20500, UNAVAILABLE)]
)
def test_twilio_errors_become_clear_kinds(twilio, code, kind, app):
    twilio.reply = code
    with pytest.raises(SmsError) as caught:
        sender(twilio).send("+31612345601", "hi")
    assert caught.value.kind == kind
    assert caught.value.code == str(code)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert caught.value.user_message  # a sentence for the person, in their language


def test_twilio_time_out_after_sending_is_in_doubt(twilio):
    """The request reached Twilio but no answer came: the outbox must ask before sending again."""
    twilio.delay = 1.5
    with pytest.raises(SmsError) as caught:
        sender(twilio, timeout=0.5).send("+31612345601", "hi")
    assert caught.value.kind == IN_DOUBT
    assert not caught.value.permanent


def test_time_out_after_accepting_leaves_the_message_at_twilio(twilio):
    """The fake's accept-then-time-out: Twilio has the message, the client saw only a time-out."""
    twilio.accept_timeout_next, twilio.hold_seconds = 1, 1.0
    with pytest.raises(SmsError) as caught:
        sender(twilio, timeout=0.3).send("+31612345601", "hallo 1")
    assert caught.value.kind == IN_DOUBT
    assert twilio.count("hallo 1") == 1
    assert sender(twilio).send("+31612345601", "hallo 2").status == "accepted"  # the next one is answered
    assert twilio.counts() == {"hallo 1": 1, "hallo 2": 1}


def test_rate_limit_carries_retry_after(twilio):
    twilio.rate_limited, twilio.retry_after = 1, 7
    with pytest.raises(SmsError) as caught:
        sender(twilio).send("+31612345601", "hi")
    assert caught.value.kind == UNAVAILABLE
    assert caught.value.code == "20429"
    assert not caught.value.permanent
    assert caught.value.retry_after == 7
    assert twilio.count("hi") == 0  # refused, not accepted


@pytest.mark.parametrize("code", ["21211", "21408", "21610", "21612", "21614", "30004", "30005", "30006"])
def test_permanent_codes_are_permanent(twilio, code):
    twilio.reply_for["+31612345601"] = int(code)
    with pytest.raises(SmsError) as caught:
        sender(twilio).send("+31612345601", "hi")
    assert (caught.value.code, caught.value.permanent) == (code, True)
    assert sender(twilio).send("+31612345602", "hi").provider_id  # other numbers still work


def test_transient_failures_follow_the_seeded_rate(twilio):
    twilio.transient_rate = 0.3
    outcomes = []
    for n in range(200):
        try:
            sender(twilio).send("+31612345601", f"bericht {n}")
            outcomes.append("ok")
        except SmsError as error:
            outcomes.append((error.kind, error.permanent, error.code))
    refused = len(outcomes) - outcomes.count("ok")
    assert 40 <= refused <= 80  # about 30% of 200
    assert set(outcomes) - {"ok"} <= {(UNAVAILABLE, False, "20500"), (UNAVAILABLE, False, "20503")}
    assert sum(twilio.counts().values()) == outcomes.count("ok")


def test_find_sent_lists_by_to_and_date_sent_through_the_sdk(twilio):
    from datetime import UTC, datetime, timedelta

    twilio_sender = sender(twilio)
    before = datetime.now(UTC) - timedelta(seconds=5)
    twilio_sender.send("+31612345601", "code 111111")
    twilio_sender.send("+31612345602", "code 222222")
    for n in range(120):  # more than one page of the SDK's list (PageSize 100)
        twilio_sender.send("+31612345601", f"other {n}")
    found = twilio_sender.find_sent("+31612345601", before, "code 111111")
    assert found is not None
    assert found.provider_id == twilio.accepted[0]["sid"]
    assert twilio_sender.find_sent("+31612345601", before, "code 222222") is None  # another number's
    assert twilio_sender.find_sent("+31612345601", datetime.now(UTC) + timedelta(minutes=1), "code 111111") is None
    query = twilio.lists[0]
    assert query["To"] == "+31612345601"
    assert query["DateSent>"] == before.strftime("%Y-%m-%dT%H:%M:%SZ")  # what the SDK really sends
    assert len(twilio.lists) >= 2  # it followed next_page_uri


def test_a_failing_list_is_an_error_not_an_answer(twilio):
    from datetime import UTC, datetime

    twilio.list_reply = 20500
    with pytest.raises(SmsError):
        sender(twilio).find_sent("+31612345601", datetime.now(UTC), "hi")


def test_status_callbacks_are_signed_with_the_auth_token(twilio):
    from twilio.request_validator import RequestValidator

    posted = []
    twilio.callbacks = True
    twilio.deliver_callback = lambda url, form, headers: posted.append((url, form, headers)) or 200
    url = "https://intake.example/sms/twilio/status?m=abc"
    result = sender(twilio).send("+31612345601", "hi", status_callback=url, validity_seconds=600)
    twilio.wait_for_callbacks()
    assert [form["MessageStatus"] for _, form, _ in posted] == ["sent", "delivered"]
    assert all(form["MessageSid"] == result.provider_id for _, form, _ in posted)
    validator = RequestValidator("token")
    assert all(validator.validate(u, form, headers["X-Twilio-Signature"]) for u, form, headers in posted)
    assert not RequestValidator("another").validate(url, posted[0][1], posted[0][2]["X-Twilio-Signature"])
    assert twilio.received[0]["ValidityPeriod"] == "600"
    assert twilio.received[0]["StatusCallback"] == url
    assert [status for _, status, _ in twilio.callback_results] == ["sent", "delivered"]


def test_the_fake_checks_the_account_when_told(twilio):
    twilio.account_sid = SID
    assert sender(twilio).send("+31612345601", "hi").provider_id
    wrong = TwilioSmsSender(SID, "wrong", messaging_service_sid="MG" + "1" * 32, http_client=twilio.http_client())
    with pytest.raises(SmsError) as caught:
        wrong.send("+31612345601", "hi")
    assert caught.value.code == "20003"


def test_error_messages_are_translated(app):
    error = SmsError(OPTED_OUT, "21610")
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        dutch = error.user_message
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        arabic = error.user_message
    assert "START" in dutch
    assert "START" in arabic
    assert dutch != arabic


def test_sender_needs_a_from_number_or_service():
    with pytest.raises(ValueError, match="TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM"):
        TwilioSmsSender(SID, "token")


@pytest.fixture
def twilio_app(make_app, twilio) -> Flask:
    """The app with the real Twilio sender, talking to the local fake Twilio."""
    return make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN="token",  # noqa: S106
        TWILIO_FROM="+3197010000000",
        TWILIO_HTTP_CLIENT=twilio.http_client(),
    )


def test_login_code_via_twilio_is_recorded_without_the_code(twilio_app, twilio, make_newcomer):
    person = make_newcomer(language="ti")
    app = twilio_app
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token(page.text), "phone": person.phone})
    assert response.status_code == 302
    assert twilio.received == []  # the request only queued it
    assert drain_outbox(app) == 1  # the worker sends it
    body = twilio.received[0]["Body"]
    code = "".join(ch for ch in body if ch.isdigit())[:6]
    assert len(code) == 6
    with app.app_context():
        message = db.session.scalar(select(OutboundMessage))
        assert message.kind == "login_code"
        assert message.status == "sent"
        assert message.provider_id == twilio.accepted[0]["sid"]
        assert message.locale == "ti"
        assert code not in message.body
        assert "••••••" in message.body
        assert message.secret_sealed is None  # sent: the code is not kept any more


def test_failed_send_is_recorded_with_its_error(twilio_app, twilio, make_newcomer):
    person = make_newcomer()
    twilio.reply = 21610
    app = twilio_app
    from app.auth.services import create_invitation, send_invitation

    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        message_id = send_invitation(newcomer, create_invitation(newcomer)).id
        db.session.commit()
    drain_outbox(app)
    assert len(twilio.received) == 1  # a permanent refusal is not tried again
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message.status == "failed"
        assert message.error_code == "21610"
        assert "http" not in message.body  # the link is a secret too
        assert [e.detail for e in message.events][-1] == "permanent"


def test_console_sender_fills_the_dev_inbox(make_app, make_newcomer):
    person = make_newcomer(language="ar")
    app = make_app(SMS_BACKEND="console")
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_token(page.text), "phone": person.phone})
    with app.app_context():
        assert db.session.scalars(select(DevSms)).all() == []  # queued, not yet sent
    assert drain_outbox(app) == 1
    with app.app_context():
        stored = db.session.scalars(select(DevSms)).all()
    assert len(stored) == 1
    inbox = client.get("/dev/sms")
    assert inbox.status_code == 200
    assert stored[0].body in inbox.text.replace("&#39;", "'")


def test_dev_inbox_only_in_development(make_app):
    app = make_app(DEV_ROUTES=False)
    assert app.test_client().get("/dev/sms").status_code == 404
