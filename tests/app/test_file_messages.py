"""The klantmanager's view of a file's SMS messages: each with its status, text and history in plain
words, the opt-outs and an unreachable number; only their own municipality's files."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Newcomer
from app.models.message import OutboundEvent, SmsOptOut
from app.models.types import utcnow
from app.outbox import SECRET_MASK
from app.sms.base import SmsError
from tests.app.test_queue_page import add_message
from tests.conftest import csrf_token, staff_sign_in


def section(html: str) -> str:
    """The messages section of a file page."""
    return html.split('id="messages"')[1].split("</section>")[0]


def file_page(client, newcomer_id: int, query: str = "") -> str:  # noqa: ANN001
    response = client.get(f"/backoffice/newcomers/{newcomer_id}{query}")
    assert response.status_code == 200
    return section(response.text)


def test_an_invitation_shows_masked_with_its_history_in_plain_words(klantmanager, app, make_newcomer, sms):
    amal = make_newcomer(language="ar")
    page = klantmanager.get(f"/backoffice/newcomers/{amal.id}")
    klantmanager.post(
        f"/backoffice/newcomers/{amal.id}/invitation", data={"csrf_token": csrf_token(page.text)}
    )  # queued in the request
    waiting = file_page(klantmanager, amal.id)
    assert 'Invitation: <span class="badge badge--soon">waiting to be sent</span>' in waiting
    [(_to, sent_body)] = sms.sent  # the worker sends it
    link = re.search(r"https?://\S+", sent_body).group(0)
    shown = file_page(klantmanager, amal.id)
    assert 'Invitation: <span class="badge badge--ok">sent</span>' in shown
    assert link not in shown
    assert SECRET_MASK in shown
    body = re.search(r'<blockquote class="sms-list__body" lang="ar" dir="rtl"><p><bdi>(.*?)</bdi>', shown, re.S)
    assert body is not None
    assert "History (2 steps)" in shown
    history = shown.split("<details>")[1]
    assert "waiting to be sent (the application)" in history
    assert ": sent (the sending service)" in history
    assert "Queued " in shown
    assert "Arabic" in shown


def test_a_failed_message_says_why_in_plain_words_and_the_number_is_unreachable(klantmanager, app, newcomer, sms):
    with app.app_context():
        db.session.get(Newcomer, newcomer.id).status = "registered"
        db.session.commit()
    page = klantmanager.get(f"/backoffice/newcomers/{newcomer.id}")
    sms.fail_with = SmsError("invalid_number", "21614", permanent=True)
    klantmanager.post(f"/backoffice/newcomers/{newcomer.id}/invitation", data={"csrf_token": csrf_token(page.text)})
    assert sms.sent == []
    shown = file_page(klantmanager, newcomer.id)
    assert '<span class="badge badge--overdue">could not be sent</span>' in shown
    assert "This number is not a mobile number. Ask for a mobile number." in shown
    assert "This phone number cannot be reached by SMS (since" in shown
    assert "(code 21614)" in shown
    history = shown.split("<details>")[1]
    assert "could not be sent (the sending service): This number is not a mobile number." in history


def test_a_retrying_message_and_a_copy_sent_again(klantmanager, app, newcomer):
    now = utcnow()
    first = add_message(app, status="failed", newcomer_id=newcomer.id, error_code="30005", error_at=now)
    add_message(
        app, newcomer_id=newcomer.id, error_code="30003", error_at=now, cause_type="outbound_message", cause_id=first
    )
    with app.app_context():
        db.session.add(OutboundEvent(message_id=first, status="failed", source="staff", detail="retried", at=now))
        db.session.add(
            OutboundEvent(
                message_id=first + 1, status="queued", source="worker", error_code="30003", detail="retry_in_240s"
            )
        )
        db.session.commit()
    shown = file_page(klantmanager, newcomer.id)
    assert f"sent again: a copy of message {first}" in shown
    assert "The phone was off or out of reach. It will be tried again." in shown
    assert "This number does not exist (any more)." in shown
    assert "A beheerder had it sent again, as a new message." in shown
    assert "(a beheerder)" in shown


def test_opt_outs_show_per_category_with_how_and_since_when(klantmanager, app, newcomer):
    with app.app_context():
        db.session.add_all(
            [
                SmsOptOut(newcomer_id=newcomer.id, category="reminders", source="sms", created_at=utcnow()),
                SmsOptOut(newcomer_id=newcomer.id, category="all", source="twilio", created_at=utcnow()),
            ]
        )
        db.session.commit()
    shown = file_page(klantmanager, newcomer.id)
    assert "The newcomer does not want these SMS messages:" in shown
    assert "<li>reminders: since " in shown
    assert ", sent STOP by SMS</li>" in shown
    assert "all SMS except sign-in codes and answers to what the person sent: since " in shown
    assert "on the SMS provider&#39;s STOP list" in shown
    assert "No SMS messages to this newcomer yet." in shown


def test_newest_first_ten_at_a_time_with_show_all(klantmanager, app, newcomer, make_newcomer):
    other = make_newcomer(name="Yonas", phone="+31612345688", language="ti")
    now = utcnow()
    ids = [
        add_message(app, status="delivered", newcomer_id=newcomer.id, created_at=now - timedelta(minutes=60 - i))
        for i in range(12)
    ]
    add_message(app, status="delivered", newcomer_id=other.id, body="Yonas's own message")
    shown = file_page(klantmanager, newcomer.id)
    assert "12 SMS messages, newest first." in shown
    positions = [shown.index(f'id="sms-{i}"') for i in reversed(ids[2:])]
    assert positions == sorted(positions)
    assert f'id="sms-{ids[1]}"' not in shown
    assert "Show all 12 SMS messages" in shown
    assert f'href="/backoffice/newcomers/{newcomer.id}?messages=all#messages"' in shown
    everything = file_page(klantmanager, newcomer.id, "?messages=all")
    assert all(f'id="sms-{i}"' in everything for i in ids)
    assert "Show all" not in everything
    assert "Yonas&#39;s own message" not in everything
    assert file_page(klantmanager, newcomer.id, "?messages=%00all%FF").count('class="review-list__row sms-list') == 10


def test_a_klantmanager_of_another_municipality_gets_404(client, app, make_staff, newcomer, audit_log):
    add_message(app, status="delivered", newcomer_id=newcomer.id)
    staff_sign_in(client, make_staff(codes=("0388",)))
    assert client.get(f"/backoffice/newcomers/{newcomer.id}").status_code == 404
    assert client.get(f"/backoffice/newcomers/{newcomer.id}?messages=all").status_code == 404
    assert [e.result for e in audit_log(action="file.viewed")] == ["denied", "denied"]


@pytest.mark.parametrize("role", ["beheerder", "beleidsmedewerker"])
def test_other_roles_never_see_a_file_or_its_messages(client, app, make_staff, newcomer, role):
    add_message(app, status="delivered", newcomer_id=newcomer.id)
    staff_sign_in(client, make_staff(role=role))
    assert client.get(f"/backoffice/newcomers/{newcomer.id}").status_code == 404


def test_the_file_page_in_dutch_keeps_the_sms_in_the_newcomers_language(client, app, make_staff, make_newcomer):
    zahra = make_newcomer(name="Zahra", phone="+31612345687", language="fa")
    add_message(app, status="delivered", newcomer_id=zahra.id, body="شهرداری هورن: فرم شما را دریافت کردیم")
    login = make_staff()
    with app.app_context():
        from app.models import Staff

        db.session.get(Staff, login.id).language = "nl"
        db.session.commit()
    staff_sign_in(client, login)
    response = client.get(f"/backoffice/newcomers/{zahra.id}")
    assert '<html lang="nl"' in response.text
    assert 'lang="fa" dir="rtl"><p><bdi>شهرداری هورن' in response.text
