"""Switching channels mid-way: nothing is lost, and each answer keeps the channel it came from.

Maryam reads Persian (Dari). She starts the intake in the chat on her phone, goes on in the form on
another phone (signed in separately), answers the last question SMS can ask by replying to its SMS,
answers the privacy questions (web only) in the form and sends the intake in. Both phones read and
write the same row; a question one phone still shows after the other answered it is not answered
twice. (Pages render in Persian; the checks read values and attributes, not new texts, which the
translators fill in later.)
"""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models import Filling
from app.models.filling import FillingReply
from tests.app.test_webhooks import BASE, INBOUND, signed, sms_from
from tests.conftest import Person, csrf_token, sign_in
from workflows import get_workflow, questions
from workflows.engine import CHAT, SMS, WEB

INTAKE = get_workflow("brede_intake")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

COMPOSER = re.compile(
    r'<form method="post" action="/intake/chat"[^>]*>\s*<input[^>]*name="csrf_token"[^>]*>'
    r'\s*<input type="hidden" name="field_id" value="([^"]+)"'
)

# In the chat on her own phone: the first step and half of the second, as the chat posts them
# (a quick reply's value, the list's value, typed answers in Persian digits).
IN_THE_CHAT = {
    "preferred_name": "مریم",
    "date_of_birth": "۲۱-۰۶-۱۹۹۰",
    "gender": "woman",
    "country_of_birth": "AF",
    "phone": "۰۶ ۱۲۳۴ ۵۶۱۰",
    "email": None,  # skipped
    "contact_preference": "sms",
    "mother_tongue": "fa_AF",
    "other_language": "ps",
}
# On the other phone, in the form: the rest of the languages step up to the network.
IN_THE_FORM = {
    "languages": {
        "mother_tongue": "fa_AF",
        "other_language": "ps",
        "reads_mother_tongue": "very_good",
        "writes_mother_tongue": "good",
        "reads_latin_script": "good",
        "dutch_level": "little",
        "english_level": "none",
    },
    "education": {"school_years": "12", "highest_education": "university", "has_diploma": "yes"}
    | {"diploma_subject": "Rechten", "diploma_country": "AF", "diploma_papers": "no", "wants_study": "yes"},
    "work": {"has_worked": "no", "works_now": "no", "skills": ["teaching", "computers"]},
    "health": {"health_limits": "mental", "health_details": "بی‌خوابی", "health_help_wanted": "yes"},
    "family": {"partner": "none", "has_children": "no"},
    "housing": {"housing_type": "reception", "housing_problems": "no"},
    "income": {"income_sources": ["benefit"], "has_debts": "no"},
    "network": {"social_contacts": "none", "volunteers": "yes", "wants_language_buddy": "yes"},
}
# Back in the chat (the first phone): the goals but the last one.
BACK_IN_THE_CHAT = {"main_goal": "education", "goal_description": "می‌خواهم وکیل شوم.", "available_days": ["mon", "wed"]}
# By SMS: the last question SMS asks, in Persian digits.
BY_SMS = ("available_times", "۱ ۳")
# The privacy step, web only, in the form on the second phone.
CONSENT = {"share_with_school": "yes", "answers_true": "yes"}


@pytest.fixture
def maryam(make_newcomer) -> Person:  # noqa: ANN001
    return make_newcomer(name="Maryam Ahmadi", language="fa")


def phone(app: Flask, person: Person, accept: str = "fa") -> FlaskClient:
    """One phone's browser, signed in with its own invitation link."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    sign_in(browser, person)
    return browser


def row(app: Flask, person: Person) -> Filling:
    with app.app_context():
        found = db.session.scalar(select(Filling).where(Filling.newcomer_id == person.id))
        db.session.expunge(found)
        return found


def chat_turn(client: FlaskClient, field_id: str, value) -> None:  # noqa: ANN001
    page = client.get("/intake/chat")
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl"' in page.text
    match = COMPOSER.search(page.text)
    assert match, "no question in the chat"
    assert match.group(1) == field_id
    data = {"csrf_token": csrf_token(page.text), "field_id": field_id}
    data |= {"skip": "1"} if value is None else {"answer": value}
    response = client.post("/intake/chat", data=data)
    assert response.status_code == 303, response.text
    assert response.headers["Location"].startswith("/intake/chat#")


def form_step(client: FlaskClient, step_id: str, data: dict) -> None:
    page = client.get("/intake/", follow_redirects=True)
    assert page.request.path == f"/intake/{step_id}"
    assert '<html lang="fa" dir="rtl"' in page.text
    response = client.post(page.request.path, data={"csrf_token": csrf_token(page.text), **data})
    assert response.status_code == 302, re.findall(r'error-message"[^>]*>(.*?)</p>', response.text)


def test_chat_in_persian_then_the_form_on_another_phone_then_sms_then_the_form(hooks, maryam, sms):
    own_phone, other_phone, twilio = phone(hooks, maryam), phone(hooks, maryam, accept="nl"), hooks.test_client()

    # 1. The chat on her own phone, in Persian.
    for field_id, value in IN_THE_CHAT.items():
        chat_turn(own_phone, field_id, value)
    filling = row(hooks, maryam)
    assert filling.completed_steps == ["about_you"]
    assert filling.asked == ["mother_tongue", "other_language"]
    assert filling.answers["date_of_birth"] == "1990-06-21"
    assert filling.answers["phone"] == "+31612345610"
    assert set(filling.answer_channels.values()) == {CHAT}
    assert filling.locale == "fa"
    stale = own_phone.get("/intake/chat").text  # the chat now asks how well she reads Persian
    assert COMPOSER.search(stale).group(1) == "reads_mother_tongue"

    # 2. The other phone resumes in the form at the same step, with the chat's answers filled in.
    page = other_phone.get("/intake/", follow_redirects=True)
    assert page.request.path == "/intake/languages"
    assert '<option value="fa_AF" selected>' in page.text
    assert '<option value="ps" selected>' in page.text
    for step_id, data in IN_THE_FORM.items():
        form_step(other_phone, step_id, data)
    filling = row(hooks, maryam)
    assert filling.answer_channels["mother_tongue"] == CHAT  # sent again unchanged by the form
    assert filling.answer_channels["reads_mother_tongue"] == WEB

    # Saving the chat's first step again in the form, unchanged as the form shows it, keeps its channel.
    page = other_phone.get("/intake/about_you")
    assert 'value="+31612345610"' in page.text
    unchanged = {f.id: f.as_raw(filling.answers.get(f.id)) for f in INTAKE.step("about_you").fields}
    response = other_phone.post("/intake/about_you", data={"csrf_token": csrf_token(page.text), **unchanged})
    assert response.status_code == 302
    assert {k: c for k, c in row(hooks, maryam).answer_channels.items() if k in unchanged} == dict.fromkeys(
        (k for k, v in IN_THE_CHAT.items() if v is not None and k in unchanged), CHAT
    )

    # The first phone still shows the reading question: its answer now changes nothing.
    response = own_phone.post(
        "/intake/chat",
        data={"csrf_token": csrf_token(stale), "field_id": "reads_mother_tongue", "answer": "none"},
    )
    assert response.status_code == 303
    assert row(hooks, maryam).answers["reads_mother_tongue"] == "very_good"

    # 3. Back in the chat: it resumes at the goals, where the form stopped.
    for field_id, value in BACK_IN_THE_CHAT.items():
        chat_turn(own_phone, field_id, value)

    # 4. "Continue by SMS" on the chat page: the last question SMS asks comes by SMS, in Persian.
    page = own_phone.get("/intake/chat")
    assert 'action="/intake/sms/start"' in page.text
    start = own_phone.post("/intake/sms/start", data={"csrf_token": csrf_token(page.text), "from": "chat"})
    assert start.status_code == 303
    assert start.headers["Location"] == "/intake/chat"
    field_id, reply = BY_SMS
    filling = row(hooks, maryam)
    assert (filling.sms_state, filling.sms_field) == ("active", field_id)
    (question,) = [body for to, body in sms.sent if to == maryam.phone]
    with hooks.test_request_context(), force_locale("fa"):
        label = gettext(INTAKE.step("goals").field(field_id).label)
    assert label in question
    assert "می‌خواهم" not in question  # no answer is repeated in an SMS
    response = signed(twilio, INBOUND, sms_from(maryam.phone, reply))
    assert response.status_code == 200
    filling = row(hooks, maryam)
    assert filling.answers[field_id] == ["morning", "evening"]
    assert filling.answer_channels[field_id] == SMS
    assert filling.sms_state == "to_web"  # the privacy questions are left for the web
    assert filling.sms_field is None
    link = [body for to, body in sms.sent if to == maryam.phone][-1]
    assert f"{BASE}/intake" in link
    with hooks.app_context():
        replies = db.session.scalars(select(FillingReply).where(FillingReply.filling_id == filling.id)).all()
        assert [(r.field_id, r.outcome) for r in replies] == [(field_id, "accepted")]

    # 5. The privacy step in the form on the other phone, and the intake sent in from there.
    form_step(other_phone, "consent", CONSENT)
    review = other_phone.get("/intake/review")
    assert review.status_code == 200
    sent = other_phone.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    assert sent.headers["Location"] == "/intake/done"
    assert own_phone.get("/intake/chat").headers["Location"] == "/intake/done"

    # Nothing lost: every answer of every channel, each with its channel.
    filling = row(hooks, maryam)
    assert filling.status == "submitted"
    assert filling.completed_steps == [s.id for s in INTAKE.steps]
    assert filling.asked == []
    assert filling.reopened is None
    answers, channels = dict(filling.answers), dict(filling.answer_channels)
    assert answers == {
        "preferred_name": "مریم",
        "date_of_birth": "1990-06-21",
        "gender": "woman",
        "country_of_birth": "AF",
        "phone": "+31612345610",
        "contact_preference": "sms",
        "mother_tongue": "fa_AF",
        "other_language": "ps",
        "reads_mother_tongue": "very_good",
        "writes_mother_tongue": "good",
        "reads_latin_script": "good",
        "dutch_level": "little",
        "english_level": "none",
        "school_years": 12,
        "highest_education": "university",
        "has_diploma": True,
        "diploma_subject": "Rechten",
        "diploma_country": "AF",
        "diploma_papers": False,
        "wants_study": True,
        "has_worked": False,
        "works_now": False,
        "skills": ["computers", "teaching"],
        "health_limits": "mental",
        "health_details": "بی‌خوابی",
        "health_help_wanted": True,
        "partner": "none",
        "has_children": False,
        "housing_type": "reception",
        "housing_problems": False,
        "income_sources": ["benefit"],
        "has_debts": "no",
        "social_contacts": "none",
        "volunteers": True,
        "wants_language_buddy": True,
        "main_goal": "education",
        "goal_description": "می‌خواهم وکیل شوم.",
        "available_days": ["mon", "wed"],
        "available_times": ["morning", "evening"],
        "share_with_school": True,
        "answers_true": True,
    }
    chat = {k for k, v in IN_THE_CHAT.items() if v is not None} | set(BACK_IN_THE_CHAT)
    assert {k for k, c in channels.items() if c == CHAT} == chat
    assert {k for k, c in channels.items() if c == SMS} == {"available_times"}
    assert {k for k, c in channels.items() if c == WEB} == set(answers) - chat - {"available_times"}


def test_an_sms_answer_stored_while_the_chat_saves_another_is_not_lost(hooks, newcomer, sms):
    """The chat's request has read the row; an SMS reply is stored before the chat's answer is."""
    from app.intake import services
    from app.intake import sms as intake_sms
    from app.models import Newcomer

    with hooks.test_request_context():
        filling = services.start_or_resume(db.session.get(Newcomer, newcomer.id))
        ctx = services.context("en")
        while (
            question := questions.next_question(INTAKE, services.progress(filling), channel=CHAT)
        ).step.id != "health":
            raw = question.field.as_raw(SETTLED.get(question.field.id))  # about you .. work, in the chat
            assert services.answer(filling, question.field.id, raw, channel=CHAT, ctx=ctx, locale="en").ok
        assert [s.id for s in INTAKE.steps[:4]] == filling.completed_steps
        intake_sms.start(filling.newcomer, actor=("newcomer", newcomer.id))
        assert filling.sms_field == "partner"  # SMS skips the health questions (sensitive)
        filling_id = filling.id
    assert sms.sent  # the worker sends the question SMS (a reply to one not yet sent would be stale)

    with hooks.test_request_context():  # the chat's POST: it has read the row
        filling = db.session.get(Filling, filling_id)
        assert "partner" not in filling.answers
        # ... when Amal's SMS reply to the partner question comes in and is stored:
        responses = []
        webhook = threading.Thread(  # its own app context and database session, as another request has
            target=lambda: responses.append(signed(hooks.test_client(), INBOUND, sms_from(newcomer.phone, "1")))
        )
        webhook.start()
        webhook.join(timeout=30)
        assert [r.status_code for r in responses] == [200]
        assert row(hooks, newcomer).answers["partner"] == "none"
        # ... and then the chat stores its answer to the health question.
        outcome = services.answer(filling, "health_limits", "no", channel=CHAT, ctx=services.context("en"), locale="en")
        assert outcome.ok

    answers = row(hooks, newcomer).answers
    assert answers["health_limits"] == "no"
    assert answers.get("partner") == "none", "the SMS answer was lost"


def test_a_change_begun_in_the_chat_does_not_drop_the_sms_answer_to_the_question_sms_asked(hooks, newcomer, sms):
    from app.intake import services
    from app.intake import sms as intake_sms
    from app.models import Newcomer

    with hooks.test_request_context():
        filling = services.start_or_resume(db.session.get(Newcomer, newcomer.id))
        ctx = services.context("en")
        while (question := questions.next_question(INTAKE, services.progress(filling), channel=CHAT)).step.id != (
            "education"
        ):
            raw = question.field.as_raw(SETTLED.get(question.field.id))
            assert services.answer(filling, question.field.id, raw, channel=CHAT, ctx=ctx, locale="en").ok
        intake_sms.start(filling.newcomer, actor=("newcomer", newcomer.id))
        assert filling.sms_field == "school_years"
        services.reopen(filling, "gender")  # she taps "change" on her gender in the chat, and leaves it
    assert sms.sent  # the question SMS went out
    response = signed(hooks.test_client(), INBOUND, sms_from(newcomer.phone, "9"))  # then answers the SMS
    assert response.status_code == 200
    filling = row(hooks, newcomer)
    assert filling.answers.get("school_years") == 9, "her SMS answer was dropped as stale"
    assert filling.answer_channels["school_years"] == SMS


SETTLED = {
    "preferred_name": "Amal",
    "date_of_birth": "1985-03-14",
    "gender": "woman",
    "country_of_birth": "SY",
    "phone": "+31612345601",
    "contact_preference": "sms",
    "mother_tongue": "ar",
    "reads_mother_tongue": "good",
    "writes_mother_tongue": "good",
    "reads_latin_script": "little",
    "dutch_level": "none",
    "english_level": "none",
    "school_years": 9,
    "highest_education": "none",
    "wants_study": True,
    "has_worked": False,
    "works_now": False,
}
