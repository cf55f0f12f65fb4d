"""SMS: the Twilio sender against a local fake Twilio, the record of every message, the dev inbox."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import DevSms, Newcomer, OutboundMessage
from app.sms.base import IN_DOUBT, INVALID_NUMBER, OPTED_OUT, REJECTED, UNAVAILABLE, SmsError
from app.sms.twilio_sender import TwilioSmsSender
from tests.conftest import csrf_token, wait_for_sms
from tests.fake_twilio import FakeTwilio, start

SID = "AC" + "0" * 32  # a made-up account id of the right shape


@pytest.fixture
def twilio():
    fake = start(FakeTwilio())
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def sender(twilio: FakeTwilio, timeout: float = 2) -> TwilioSmsSender:
    return TwilioSmsSender(SID, "token", messaging_service_sid="MG" + "1" * 32, http_client=twilio.http_client(timeout))


def test_twilio_sender_sends_through_the_sdk(twilio):
    result = sender(twilio).send("+31612345601", "مرحبا")
    assert result.provider_id.startswith("SM")
    assert result.status == "queued"
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
    wait_for_sms()  # the code is sent from a thread of its own
    assert response.status_code == 302
    body = twilio.received[0]["Body"]
    code = "".join(ch for ch in body if ch.isdigit())[:6]
    assert len(code) == 6
    with app.app_context():
        message = db.session.scalar(select(OutboundMessage))
        assert message.kind == "login_code"
        assert message.status == "sent"
        assert message.provider_id.startswith("SM")
        assert message.locale == "ti"
        assert code not in message.body
        assert "••••••" in message.body


def test_failed_send_is_recorded_with_its_error(twilio_app, twilio, make_newcomer):
    person = make_newcomer()
    twilio.reply = 21610
    app = twilio_app
    from app.auth.services import create_invitation, send_invitation

    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        message, error = send_invitation(newcomer, create_invitation(newcomer))
        db.session.commit()
        assert error.kind == OPTED_OUT
        assert message.status == "failed"
        assert message.error_code == "21610"
        assert "http" not in message.body  # the link is a secret too


def test_console_sender_fills_the_dev_inbox(make_app, make_newcomer):
    person = make_newcomer(language="ar")
    app = make_app(SMS_BACKEND="console")
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_token(page.text), "phone": person.phone})
    wait_for_sms()
    with app.app_context():
        stored = db.session.scalars(select(DevSms)).all()
    assert len(stored) == 1
    inbox = client.get("/dev/sms")
    assert inbox.status_code == 200
    assert stored[0].body in inbox.text.replace("&#39;", "'")


def test_dev_inbox_only_in_development(make_app):
    app = make_app(DEV_ROUTES=False)
    assert app.test_client().get("/dev/sms").status_code == 404
