"""Outside tests of the staff side of issue 9: the SMS transcript, the channel labels and the
"Send the intake questions by SMS" button, fed by a real conversation (signed webhook requests).

Hostile replies (scripts, bidi overrides, NUL) as a newcomer's phone can send them; ids and methods
as a curious staff member of another municipality can type them.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.intake import services
from app.intake import sms as intake_sms
from app.models import Filling, Newcomer, OutboundMessage
from app.models.filling import FillingReply
from tests.app.test_webhooks import INBOUND, new_sid, signed, sms_from
from tests.conftest import Person, csrf_token, drain_outbox, sign_in, staff_sign_in
from workflows import questions
from workflows.engine import WEB

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'
RLO = "\u202e"


def browser(app: Flask):  # noqa: ANN201
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def reply(app: Flask, person: Person, body: str) -> None:
    """A reply from the phone, once it received the question (the worker sends what is due first)."""
    drain_outbox(app)
    response = signed(browser(app), INBOUND, sms_from(person.phone, body, sid=new_sid()))
    assert response.status_code == 200


@pytest.fixture
def hostile(hooks: Flask, newcomer: Person) -> Person:
    """Amal's intake by SMS, her name and a refused date full of markup and a bidi override."""
    with hooks.app_context():
        intake_sms.start(db.session.get(Newcomer, newcomer.id), actor=("newcomer", newcomer.id))
    reply(hooks, newcomer, f"{RLO}Amal {SCRIPT}\x00")
    reply(hooks, newcomer, f"{IMAGE} {RLO}1990")  # refused: not a date
    return newcomer


def test_the_transcript_escapes_replies_and_strips_bidi_overrides(hooks, hostile, make_staff):
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    page = staff.get(f"/backoffice/newcomers/{hostile.id}/intake-sms")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
        or "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    )
    assert RLO not in html
    assert "\x00" not in html
    with hooks.app_context():
        bodies = db.session.scalars(select(FillingReply.body)).all()
    assert all(RLO not in body and "\x00" not in body for body in bodies)


def test_the_newcomers_own_pages_escape_an_sms_answer(hooks, hostile, client):
    sign_in(client, hostile)
    for path in ("/intake/review", "/intake/about_you"):
        html = client.get(path, follow_redirects=True).text
        assert "<script>alert" not in html, path
        assert RLO not in html, path


def test_the_file_page_escapes_an_sms_answer_once_sent_in(hooks, hostile, make_staff):
    with hooks.test_request_context():
        row = db.session.scalar(select(Filling))
        row.status = "submitted"
        db.session.commit()
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    html = staff.get(f"/backoffice/newcomers/{hostile.id}").text
    assert "Amal &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "badge--channel-sms" in html


def test_an_unknown_channel_in_a_row_is_no_markup_on_the_file(hooks, newcomer, make_staff):
    """Guard: a channel value the code never wrote (a hand-edited row) is not rendered into a class."""
    with hooks.test_request_context():
        row = services.start_or_resume(db.session.get(Newcomer, newcomer.id))
        row.answers = {"preferred_name": "Amal"}
        row.answer_channels = {"preferred_name": '"><script>alert(3)</script>'}
        row.completed_steps = []
        row.status = "submitted"
        db.session.commit()
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    html = staff.get(f"/backoffice/newcomers/{newcomer.id}").text
    assert "<script>alert(3)" not in html


# -- ids, methods, tokens, tenancy -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["0", "9223372036854775808", "18446744073709551616", "-0", "0x1", "1%00", "%20"])
def test_odd_ids_on_the_transcript_and_the_button_are_404(hooks, make_staff, bad):
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    for path in (f"/backoffice/newcomers/{bad}/intake-sms", f"/backoffice/newcomers/{bad}/intake-sms/start"):
        assert staff.get(path).status_code == 404, path


def test_wrong_methods_are_405(hooks, hostile, make_staff):
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    page = staff.get(f"/backoffice/newcomers/{hostile.id}/intake-sms")
    token = csrf_token(staff.get(f"/backoffice/newcomers/{hostile.id}").text)
    assert staff.post(f"/backoffice/newcomers/{hostile.id}/intake-sms", data={"csrf_token": token}).status_code == 405
    for method in ("put", "delete", "patch"):
        response = getattr(staff, method)(f"/backoffice/newcomers/{hostile.id}/intake-sms/start")
        assert response.status_code == 405, method
    assert page.status_code == 200


def test_the_button_needs_its_token(hooks, newcomer, make_staff):
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    path = f"/backoffice/newcomers/{newcomer.id}/intake-sms/start"
    for data in ({}, {"csrf_token": "x"}, {"csrf_token": ["a", "b"]}):
        assert staff.post(path, data=data).status_code == 400
    with hooks.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_another_municipalitys_klantmanager_cannot_press_the_button_with_a_good_token(hooks, newcomer, make_staff):
    staff = browser(hooks)
    staff_sign_in(staff, make_staff(codes=("0532",)))
    token = csrf_token(staff.get("/backoffice/newcomers/new").text)  # a good token of their own session
    path = f"/backoffice/newcomers/{newcomer.id}/intake-sms/start"
    assert staff.get(path).status_code == 404
    assert staff.post(path, data={"csrf_token": token}).status_code == 404
    with hooks.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(Filling)) == 0


def test_a_klantmanager_of_two_municipalities_reads_both_and_no_third(hooks, make_newcomer, make_staff):
    from app.models import Municipality

    amal = make_newcomer(language="en")
    with hooks.app_context():
        for code in ("0532", "0420"):
            db.session.add(Municipality(code=code, name=f"Gemeente {code}"))
        db.session.commit()
        enkhuizen = db.session.scalar(select(Municipality.id).where(Municipality.code == "0532"))
        medemblik = db.session.scalar(select(Municipality.id).where(Municipality.code == "0420"))
    yonas = make_newcomer(name="Yonas", language="ti")
    zahra = make_newcomer(name="Zahra", language="fa")
    with hooks.app_context():
        db.session.get(Newcomer, yonas.id).municipality_id = enkhuizen
        db.session.get(Newcomer, zahra.id).municipality_id = medemblik
        db.session.commit()
    staff = browser(hooks)
    staff_sign_in(staff, make_staff(codes=("0405", "0532")))
    assert staff.get(f"/backoffice/newcomers/{amal.id}/intake-sms").status_code == 200
    assert staff.get(f"/backoffice/newcomers/{yonas.id}/intake-sms").status_code == 200
    assert staff.get(f"/backoffice/newcomers/{zahra.id}/intake-sms").status_code == 404


def test_an_erased_file_keeps_no_transcript_and_cannot_be_sent_questions(hooks, hostile, make_staff):
    from app.backoffice.privacy_services import erase

    with hooks.app_context():
        assert erase(db.session.get(Newcomer, hostile.id))
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    page = staff.get(f"/backoffice/newcomers/{hostile.id}/intake-sms")
    assert page.status_code in (200, 404)
    assert "Amal" not in page.text
    assert "alert(1)" not in page.text
    token = csrf_token(staff.get(f"/backoffice/newcomers/{hostile.id}").text)
    response = staff.post(f"/backoffice/newcomers/{hostile.id}/intake-sms/start", data={"csrf_token": token})
    assert response.status_code in (302, 303, 409)
    with hooks.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_the_transcript_never_shows_a_sensitive_answer_given_on_the_web(hooks, newcomer, make_staff):
    """The SMS never asked the health questions, so no line of the transcript carries them."""
    with hooks.test_request_context():
        row = services.start_or_resume(db.session.get(Newcomer, newcomer.id))
        ctx = services.context("en")
        for field_id, raw in (("preferred_name", "Amal"), ("date_of_birth", "12-03-1984")):
            assert services.answer(row, field_id, raw, channel=WEB, ctx=ctx, locale="en").ok
        assert questions.next_question(services.workflow(row), services.progress(row)).field.id == "gender"
    with hooks.app_context():
        intake_sms.start(db.session.get(Newcomer, newcomer.id), actor=("newcomer", newcomer.id))
    staff = browser(hooks)
    staff_sign_in(staff, make_staff())
    html = staff.get(f"/backoffice/newcomers/{newcomer.id}/intake-sms").text
    assert "What is your gender?" in html
    assert "health" not in html.lower()
