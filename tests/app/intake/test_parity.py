"""Channel parity: one set of answers through the web form, the web chat (without and with
JavaScript) and SMS gives the same stored intake and the same summary; only the channel of each
answer differs.

The answers are written once, as the clean values the intake stores (:data:`ANSWERS`); each channel
turns them into what a person sends there: the form posts a step's values, the chat posts one
answer per question (a quick reply's value, the checked boxes, a typed date, "Skip"), and by SMS the
number of a choice, the name of a country or language, "yes" or "no", the skip word, typed through
Twilio's signed inbound webhook. SMS leaves the sensitive, long and privacy questions for the web,
where the form answers them. Every channel ends by sending the intake in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.intake import services
from app.intake import sms as intake_sms
from app.models import Filling, Newcomer
from tests.app.test_webhooks import INBOUND, signed, sms_from
from tests.conftest import Person, csrf_token, sign_in, visible_text
from workflows import engine, get_workflow
from workflows import sms as sms_form
from workflows.engine import CHAT, SMS, WEB
from workflows.fields import PREFER_NOT, DateField, Field, MultiChoiceField, NumberField, PhoneField, YesNoField
from workflows.i18n import Context

INTAKE = get_workflow("brede_intake")
FIELDS = {f.id: f for _, f in INTAKE.fields()}

# What the intake stores for Amal (None: an optional question left empty). Conditions show the
# diploma, the talk without the partner, the children, the housing problem and the debt questions.
ANSWERS: dict[str, Any] = {
    "preferred_name": "أمل",
    "date_of_birth": "1985-03-14",
    "gender": "woman",
    "country_of_birth": "SY",
    "phone": "+31612345601",
    "email": None,
    "contact_preference": "sms",
    "mother_tongue": "ar",
    "other_language": "ku",
    "reads_mother_tongue": "good",
    "writes_mother_tongue": "little",
    "reads_latin_script": "little",
    "dutch_level": "none",
    "english_level": "little",
    "school_years": 9,
    "highest_education": "vocational",
    "has_diploma": True,
    "diploma_subject": "Naaister",
    "diploma_country": "SY",
    "diploma_papers": False,
    "wants_study": True,
    "has_worked": True,
    "occupation": "خياطة",
    "work_years": 6,
    "work_country": "TR",
    "works_now": False,
    "skills": ["hands", "cooking"],
    "health_limits": "physical",
    "health_details": "Mijn rug doet pijn.\nIk kan niet lang zitten.",
    "health_help_wanted": None,
    "partner": "in_nl",
    "talk_without_partner": True,
    "has_children": True,
    "children_count": 2,
    "children_under_4": True,
    "needs_childcare": False,
    "housing_type": "with_others",
    "housing_problems": True,
    "housing_details": "Te klein voor ons vijf.",
    "income_sources": ["benefit", "partner"],
    "has_debts": "unsure",
    "debt_help_wanted": True,
    "social_contacts": "some",
    "volunteers": False,
    "volunteer_interest": True,
    "wants_language_buddy": True,
    "main_goal": "work",
    "goal_description": None,
    "available_days": ["mon", "tue", "thu"],
    "available_times": ["morning"],
    "share_with_school": False,
    "answers_true": True,
}
assert set(ANSWERS) == set(FIELDS)
STORED = {k: v for k, v in ANSWERS.items() if v is not None}
SKIPPED_BY_SMS = {f for f in STORED if not FIELDS[f].asked_by_sms}


# -- what each channel sends -----------------------------------------------------------------------


def form_raw(f: Field) -> str | list[str]:
    """What the form posts for ``f``: its value (a date picker's ISO date, the checked values)."""
    return f.as_raw(ANSWERS[f.id])


def chat_raw(f: Field) -> dict[str, Any]:
    """What the chat posts for ``f``: the quick reply's or the list's value, the checked boxes, a typed
    answer (a date as day-month-year, the phone as people write it), or Skip."""
    value = ANSWERS[f.id]
    if value is None:
        return {"skip": "1"}
    if isinstance(f, DateField):
        return {"answer": date.fromisoformat(value).strftime("%d-%m-%Y")}
    if isinstance(f, PhoneField):
        return {"answer": "06 1234 5601"}
    return {"answer": f.as_raw(value)}


def sms_raw(f: Field, ctx: Context) -> str:
    """What Amal replies by SMS to ``f``: a choice's number, a country's or language's name, yes or
    no in words, a number in Persian digits, the skip word."""
    value = ANSWERS[f.id]
    shape = sms_form.shape(f, ctx)
    if value is None:
        assert shape.skip is not None, f.id
        return shape.skip
    if shape.typed_name:
        if value == PREFER_NOT:
            return shape.prefer_not
        return {o.value: o.label for o in f.options(ctx)}[value]
    if isinstance(f, YesNoField):
        return "yes" if value else "No"
    numbers = {o.value: str(n) for n, o in enumerate(shape.numbered, 1)}
    if isinstance(f, MultiChoiceField):
        return " ".join(numbers[v] for v in value)
    if numbers:
        return numbers[value]
    if isinstance(f, NumberField):
        return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    if isinstance(f, DateField):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if isinstance(f, PhoneField):
        return "06-12345601"
    return value


# -- the channels ----------------------------------------------------------------------------------

FIELD_ID = re.compile(
    r'<form method="post" action="/intake/chat"[^>]*>\s*<input[^>]*name="csrf_token"[^>]*>'
    r'\s*<input type="hidden" name="field_id" value="([^"]+)"'
)
"""The question the composer answers (the change buttons of earlier answers name theirs too)."""


def by_form(client: FlaskClient) -> list[str]:
    """Post every step the form asks, as it comes; the steps posted."""
    posted = []
    while True:
        page = client.get("/intake/", follow_redirects=True)
        if page.request.path == "/intake/review":
            return posted
        step_id = page.request.path.rsplit("/", 1)[1]
        data = {f.id: form_raw(f) for f in INTAKE.step(step_id).fields if ANSWERS[f.id] is not None}
        response = client.post(page.request.path, data={"csrf_token": csrf_token(page.text), **data})
        assert response.status_code == 302, re.findall(r'error-message"[^>]*>(.*?)</p>', response.text)
        assert step_id not in posted
        posted.append(step_id)


def by_chat(client: FlaskClient, *, script: bool) -> list[str]:
    """Answer every question the chat asks, one POST each: with ``script`` as chat.js sends them
    (``X-Requested-With: fetch``, answered with JSON fragments), else as a form and a redirect."""
    asked = []
    page = client.get("/intake/chat")
    assert page.status_code == 200
    html, token = page.text, csrf_token(page.text)
    headers = {"X-Requested-With": "fetch", "Accept": "application/json"} if script else {}
    while match := FIELD_ID.search(html):
        field_id = match.group(1)
        assert field_id not in asked, f"{field_id} asked twice"
        asked.append(field_id)
        data = {"csrf_token": token, "field_id": field_id, **chat_raw(FIELDS[field_id])}
        response = client.post("/intake/chat", data=data, headers=headers)
        if script:
            assert response.status_code == 200, response.get_data(as_text=True)
            turn = response.get_json()
            assert turn["ok"], turn
            assert turn["log"].strip()  # the answer and the next question, to append to the log
            html = turn["composer"]
        else:
            assert response.status_code == 303, (field_id, visible_text(response.text)[-400:])
            assert response.headers["Location"].startswith("/intake/chat#")
            html = client.get("/intake/chat").text
    assert 'href="/intake/review"' in html
    return asked


def by_sms(app: Flask, phone: FlaskClient, person: Person, sms) -> list[str]:  # noqa: ANN001
    """Start the SMS conversation and reply to each question SMS through the signed webhook."""
    with app.test_request_context():
        intake_sms.start(db.session.get(Newcomer, person.id), actor=("newcomer", person.id))
        ctx = services.context("en")
    asked = []
    received = [body for to, body in sms.sent if to == person.phone]
    while (field_id := stored(app, person).sms_field) is not None:
        assert field_id not in asked, f"{field_id} asked twice"
        asked.append(field_id)
        assert FIELDS[field_id].prompt(ctx).text.split("\n")[0] in received[-1]  # the question SMS asks it
        body = sms_raw(FIELDS[field_id], ctx)
        response = signed(phone, INBOUND, sms_from(person.phone, body))
        assert response.status_code == 200
        now = [body for to, body in sms.sent if to == person.phone]
        assert len(now) == len(received) + 1  # the next question (or the web link) went out
        received = now
    filling = stored(app, person)
    assert filling.sms_state == "to_web"
    assert not [r for r in replies(app, filling.id) if r != "accepted"]
    return asked


def replies(app: Flask, filling_id: int) -> list[str]:
    from app.models.filling import FillingReply

    with app.app_context():
        return list(db.session.scalars(select(FillingReply.outcome).where(FillingReply.filling_id == filling_id)))


def send_in(client: FlaskClient) -> None:
    page = client.get("/intake/review")
    assert page.status_code == 200, page.headers.get("Location")
    response = client.post("/intake/submit", data={"csrf_token": csrf_token(page.text)})
    assert response.headers["Location"] == "/intake/done"


def stored(app: Flask, person: Person) -> Filling:
    with app.app_context():
        row = db.session.scalar(select(Filling).where(Filling.newcomer_id == person.id))
        db.session.expunge(row)
        return row


def summary(app: Flask, person: Person, *, hide_sensitive: bool = False) -> list:
    """The summary staff read (or, hiding sensitive answers, the newcomer), as plain texts in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        filling = db.session.scalar(select(Filling).where(Filling.newcomer_id == person.id))
        sections = engine.summary(
            services.workflow(filling), services.progress(filling), services.context(), hide_sensitive=hide_sensitive
        )
        return [(s.step.id, [(i.field.id, i.label, i.text) for i in s.items]) for s in sections]


def sent_page(client: FlaskClient) -> str:
    """What the newcomer reads of her sent intake (sensitive answers only as "answered")."""
    page = client.get("/intake/sent")
    assert page.status_code == 200
    return visible_text(page.text.split("<main", 1)[1].split("</main>", 1)[0])


@pytest.fixture
def phone_of(app: Flask) -> Callable[[Person], FlaskClient]:
    """A phone's browser for ``person``, signed in, reading English."""

    def make(person: Person) -> FlaskClient:
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        sign_in(browser, person)
        return browser

    return make


@pytest.fixture
def by_the_form(app: Flask, make_newcomer, phone_of) -> tuple[Person, FlaskClient]:  # noqa: ANN001
    """Amal's intake through the form alone, sent in: what every other channel is compared with."""
    person = make_newcomer(name="Amal Al-Hassan", language="en")
    client = phone_of(person)
    assert by_form(client) == [s.id for s in INTAKE.steps]
    send_in(client)
    return person, client


def test_the_form_stores_the_answers_as_written(app, by_the_form):
    person, client = by_the_form
    filling = stored(app, person)
    assert dict(filling.answers) == STORED
    assert filling.completed_steps == [s.id for s in INTAKE.steps]
    assert dict(filling.answer_channels) == dict.fromkeys(STORED, WEB)
    assert filling.status == "submitted"
    page = sent_page(client)
    assert "Naaister" in page
    assert "Answered" in page  # her health, money and the talk without her partner
    assert "Mijn rug" not in page


@pytest.mark.parametrize("script", [False, True], ids=["chat without JavaScript", "chat with JavaScript"])
def test_the_chat_stores_what_the_form_stores(app, by_the_form, make_newcomer, phone_of, script):
    form_person, form_client = by_the_form
    person = make_newcomer(name="Amal Al-Hassan", language="en")
    client = phone_of(person)
    asked = by_chat(client, script=script)
    assert asked == [f for f in FIELDS if f in ANSWERS and _applies(f)]
    send_in(client)
    chat, form = stored(app, person), stored(app, form_person)
    assert dict(chat.answers) == dict(form.answers) == STORED
    assert chat.completed_steps == form.completed_steps
    assert chat.asked == []
    assert chat.reopened is None
    assert dict(chat.answer_channels) == dict.fromkeys(STORED, CHAT)
    assert summary(app, person) == summary(app, form_person)
    assert summary(app, person, hide_sensitive=True) == summary(app, form_person, hide_sensitive=True)
    assert sent_page(client) == sent_page(form_client)


def test_sms_then_the_form_stores_what_the_form_stores(hooks, by_the_form, make_newcomer, phone_of, client, sms):
    form_person, form_client = by_the_form
    person = make_newcomer(name="Amal Al-Hassan", language="en")
    asked = by_sms(hooks, client, person, sms)
    assert asked == [f for f in FIELDS if _applies(f) and FIELDS[f].asked_by_sms]
    web = phone_of(person)
    left = [s.id for s in INTAKE.steps if any(_applies(f.id) and not f.asked_by_sms for f in s.fields)]
    assert left == ["health", "family", "housing", "income", "goals", "consent"]
    assert by_form(web) == left  # the steps where SMS left questions
    send_in(web)
    by_sms_row, form = stored(hooks, person), stored(hooks, form_person)
    assert dict(by_sms_row.answers) == dict(form.answers) == STORED
    assert by_sms_row.completed_steps == form.completed_steps
    channels = dict(by_sms_row.answer_channels)
    assert {f for f, c in channels.items() if c == WEB} == SKIPPED_BY_SMS
    assert {f for f, c in channels.items() if c == SMS} == set(STORED) - SKIPPED_BY_SMS
    assert summary(hooks, person) == summary(hooks, form_person)
    assert summary(hooks, person, hide_sensitive=True) == summary(hooks, form_person, hide_sensitive=True)
    assert sent_page(web) == sent_page(form_client)


def test_the_sms_replies_never_carry_a_sensitive_question_or_answer(hooks, make_newcomer, client, sms):
    person = make_newcomer(name="Amal Al-Hassan", language="en")
    by_sms(hooks, client, person, sms)
    bodies = "\n".join(body for to, body in sms.sent if to == person.phone)
    for f in FIELDS.values():
        if f.sensitive or not f.asked_by_sms:
            assert f.label not in bodies, f.id
    for secret in ("Mijn rug", "Te klein"):
        assert secret not in bodies


def _applies(field_id: str) -> bool:
    """Whether Amal's answers show ``field_id`` (its condition holds)."""
    from workflows.conditions import holds

    return holds(FIELDS[field_id].when, STORED)
