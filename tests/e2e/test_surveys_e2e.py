"""Satisfaction surveys end to end: the app's own scan makes the invitation, the real outbox worker
sends it (read back from the dev SMS inbox), and the person answers it.

1. Hodan, in Somali on a 360x740 phone, follows the link, switches to the face scale and answers by
   clicking only (no typing); no JavaScript error on the way; the thank-you page; the stored
   response has the mark the face stands for; the link opened again gives the friendly
   "no longer works" page (410).
2. Faadumo answers the same survey by SMS replies, posted to the inbound webhook signed as Twilio
   signs it, each one after its question arrived; the response is stored with channel ``sms``.

Texts are asserted through gettext in the page's locale, so the tests stay right once the Somali
catalog translates them (until then they read as the English source).
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, Newcomer, RouteProgress
from app.models.message import DevSms
from app.models.partner import LANGUAGE_SCHOOL, Partner, RoutePartner
from app.models.survey import SurveyInvitation, SurveyResponse
from app.models.types import local_today
from app.surveys import scan
from tests.conftest import Person
from tests.e2e.test_conversation_e2e import post_inbound_sms, twilio_token  # noqa: F401 - a fixture
from tests.e2e.test_sensitive_review import translated

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]{16,64}")
_sids = iter(range(1, 10_000))
SHOTS = "/tmp/shots"  # noqa: S108 - screenshots for the reader, nothing read back


def away_from_now() -> tuple:
    """Quiet hours of one hour, six hours from now (Amsterdam): the SMS goes now, at any hour the suite runs."""
    start = (datetime.now(AMSTERDAM) + timedelta(hours=6)).time().replace(second=0, microsecond=0)
    end = (datetime.now(AMSTERDAM) + timedelta(hours=7)).time().replace(second=0, microsecond=0)
    return start, end


def language_school(app: Flask, name: str, municipality_id: int) -> int:
    """A language school serving the municipality; its id."""
    with app.app_context():
        partner = Partner(name=name, kind=LANGUAGE_SCHOOL)
        partner.municipalities.append(db.session.get(Municipality, municipality_id))
        db.session.add(partner)
        db.session.commit()
        return partner.id


def invite_after_route(app: Flask, base: str, person: Person, partner_id: int) -> None:
    """The person's route with ``partner_id`` ended today; the app's scan makes the survey invitation
    (here, or in the worker's scan: its link names the live server either way)."""
    served_at = app.config.get("PUBLIC_BASE_URL")
    app.config["PUBLIC_BASE_URL"] = base
    try:
        _invite_after_route(app, person, partner_id)
    finally:
        app.config["PUBLIC_BASE_URL"] = served_at


def _invite_after_route(app: Flask, person: Person, partner_id: int) -> None:
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        newcomer.quiet_start, newcomer.quiet_end = away_from_now()
        today = local_today()
        db.session.add(
            RoutePartner(
                newcomer_id=person.id,
                municipality_id=newcomer.municipality_id,
                partner_id=partner_id,
                kind=LANGUAGE_SCHOOL,
                started_on=today - timedelta(days=300),
            )
        )
        db.session.add(
            RouteProgress(
                newcomer_id=person.id,
                municipality_id=newcomer.municipality_id,
                route_started_on=today - timedelta(days=300),
                route_completed_on=today,
            )
        )
        db.session.commit()
        scan.scan()  # the worker's scan may have made it already: one invitation either way
        invitation = db.session.scalar(select(SurveyInvitation).where(SurveyInvitation.newcomer_id == person.id))
        assert invitation is not None, "the scan made no invitation"
        assert (invitation.status, invitation.trigger, invitation.partner_id) == ("invited", "route_end", partner_id)


def received(app: Flask, phone: str, count: int, timeout: float = 20.0) -> list[str]:
    """The texts the worker sent to ``phone`` (dev inbox, oldest first), once there are ``count``."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            bodies = list(db.session.scalars(select(DevSms.body).where(DevSms.to_phone == phone).order_by(DevSms.id)))
        if len(bodies) >= count or time.monotonic() > deadline:
            assert len(bodies) >= count, f"{len(bodies)} SMS of {count} arrived: {bodies}"
            return bodies
        time.sleep(0.1)


def survey_link(app: Flask, phone: str) -> str:
    """The survey link of the invitation SMS."""
    [first, *_rest] = received(app, phone, 1)
    found = LINK.search(first)
    assert found, f"no survey link in {first!r}"
    return found.group()


def responses_of(app: Flask, partner_id: int) -> list[SurveyResponse]:
    with app.app_context():
        found = db.session.scalars(
            select(SurveyResponse).where(SurveyResponse.partner_id == partner_id).order_by(SurveyResponse.id)
        ).all()
        db.session.expunge_all()
        return list(found)


def watch_errors(page: Page) -> list[str]:
    """JavaScript errors, console errors and failed sub-resources of the page (the favicon the
    layout links included), as they happen."""
    errors: list[str] = []

    def console(message) -> None:  # noqa: ANN001 - a ConsoleMessage
        where = message.location.get("url", "")
        if message.type == "error":
            errors.append(f"console: {message.text} at {where}")

    def response(answer) -> None:  # noqa: ANN001 - a Response
        if answer.status >= 400 and answer.request.resource_type != "document":
            errors.append(f"{answer.status}: {answer.url}")

    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", console)
    page.on("response", response)
    return errors


def answer_with_faces(page: Page, mark: int, closed: dict[str, str]) -> None:
    """Switch to the face scale and click: the face of ``mark``, then each closed answer."""
    page.locator('a[href*="scale=faces"]').click()
    expect(page.locator(".faces")).to_be_visible()
    page.locator(f'label[for="mark-face-{mark}"]').click()
    for field_id, value in closed.items():
        page.locator(f'input[name="{field_id}"][value="{value}"]').check()


def no_sideways_scroll(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_survey_answered_on_the_web_in_somali_with_the_face_scale(
    live_server, app, municipality_id, make_newcomer, new_phone
):
    hodan = make_newcomer(name="Hodan Warsame", language="so")
    school = language_school(app, "Taalschool Westfriesland", municipality_id)
    invite_after_route(app, live_server, hodan, school)
    link = survey_link(app, hodan.phone)
    question, faces_link, thanks, gone = translated(
        app,
        "so",
        "How would you rate %(partner)s?",
        "Answer with faces instead",
        "Thank you for your answers!",
        "This link no longer works",
    )

    page = new_phone(locale="so-SO")
    errors = watch_errors(page)
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "so")
    expect(page.locator("html")).not_to_have_attribute("dir", "rtl")
    expect(page.locator("legend#mark")).to_have_text(question.replace("%(partner)s", "Taalschool Westfriesland"))
    expect(page.locator('a[href*="scale=faces"]')).to_have_text(faces_link)
    assert "Hodan" not in page.content()

    answer_with_faces(page, 8, {"heard": "yes", "clear": "partly"})
    expect(page.locator("#mark-face-8")).to_be_checked()
    assert no_sideways_scroll(page) <= 0, "the face scale scrolls sideways at 360 px"
    page.screenshot(path=SHOTS + "/survey-so-faces.png", full_page=True)
    assert page.locator("#comment").input_value() == ""  # nothing typed
    page.locator("form.survey button[type=submit]").click()

    expect(page.locator("h1")).to_have_text(thanks)
    assert errors == []
    [answer] = responses_of(app, school)
    assert (answer.mark, answer.heard, answer.clear, answer.own_language) == (8, 3, 2, None)
    assert (answer.channel, answer.language, answer.comment, answer.partner_kind) == (
        "web",
        "so",
        None,
        LANGUAGE_SCHOOL,
    )

    # The link again: the friendly page, with 410, in Somali.
    again = page.goto(link)
    assert again is not None
    assert again.status == 410
    expect(page.locator("h1")).to_have_text(gone)
    expect(page.locator("html")).to_have_attribute("lang", "so")
    assert page.locator("form.survey").count() == 0
    assert [e for e in errors if not e.endswith(" at " + link)] == []  # Chromium logs the 410 itself


def answer_by_sms(app: Flask, base: str, person: Person, replies: list[str]) -> list[str]:
    """Reply to each question as it arrives (signed webhook POSTs); every SMS the person got."""
    got = 1
    received(app, person.phone, got)  # the invitation asks the mark
    for body in replies:
        assert post_inbound_sms(base, person.phone, body, f"SM{next(_sids):032d}") == 200
        got += 1
        received(app, person.phone, got)  # the next question, or the thanks
    return received(app, person.phone, got)


def test_a_survey_answered_by_sms_replies(twilio_token, live_server, app, municipality_id, make_newcomer):  # noqa: F811
    faadumo = make_newcomer(name="Faadumo Cali", language="so")
    school = language_school(app, "Taalschool Westfriesland", municipality_id)
    invite_after_route(app, live_server, faadumo, school)
    link = survey_link(app, faadumo.phone)

    bodies = answer_by_sms(app, live_server, faadumo, ["9", "3", "2", "0"])
    assert len(bodies) == 5, bodies  # the invitation, three questions, the thanks
    [heard, clear] = translated(
        app, "so", "Did you feel heard by %(partner)s?", "Was the information from %(partner)s clear?"
    )
    assert heard.replace("%(partner)s", "Taalschool Westfriesland") in bodies[1]
    assert clear.replace("%(partner)s", "Taalschool Westfriesland") in bodies[2]
    assert LINK.search(bodies[0])
    assert not any(LINK.search(b) for b in bodies[1:])

    [answer] = responses_of(app, school)
    assert (answer.mark, answer.heard, answer.clear, answer.comment) == (9, 3, 2, None)
    assert (answer.channel, answer.language, answer.trigger) == ("sms", "so", "route_end")
    with app.app_context():
        invitation = db.session.scalar(select(SurveyInvitation).where(SurveyInvitation.newcomer_id == faadumo.id))
        assert (invitation.status, invitation.channel, invitation.token_hash) == ("responded", "sms", None)

    # The web link of the invitation is used up now.
    try:
        urllib.request.urlopen(link, timeout=10)  # noqa: S310 - our own live server
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 410


CLIPPED = """() => [...document.querySelectorAll("form.survey .choice, form.survey .faces__choice")].flatMap(choice => {
  const box = choice.getBoundingClientRect();
  const label = choice.querySelector("label");
  const radio = choice.querySelector("input").getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(label);
  const text = [...range.getClientRects()].filter(r => r.width > 0);
  const outside = text.some(r => r.left < box.left - 0.5 || r.right > box.right + 0.5);
  const covered = text.some(
    r => r.left < radio.right && r.right > radio.left && r.top < radio.bottom && r.bottom > radio.top);
  return outside || covered ? [label.textContent.trim() + (outside ? " (outside its box)" : " (under its radio)")] : [];
})"""

# Every answer's whole box is its tap target (at least 44 px each way): a tap near each corner of
# the box reaches its own label or radio.
SMALL_OR_DEAD = """() => [...document.querySelectorAll("form.survey .choice, form.survey .faces__choice")]
.flatMap(choice => {
  choice.scrollIntoView({block: "center", behavior: "instant"});
  const box = choice.getBoundingClientRect();
  const name = choice.querySelector("label").textContent.trim();
  if (box.width < 44 || box.height < 44) return [`${name} (${Math.round(box.width)}x${Math.round(box.height)} px)`];
  const [left, right, top, bottom] = [box.left + 3, box.right - 3, box.top + 3, box.bottom - 3];
  const corners = [[left, top], [right, top], [left, bottom], [right, bottom]];
  const dead = corners.some(([x, y]) => {
    const hit = document.elementFromPoint(x, y);
    return !hit || !(hit.closest("label") || hit.matches("input")) || !choice.contains(hit);
  });
  return dead ? [name + " (a tap on its box does nothing)"] : [];
})"""

# Where each closed answer's radio stands against its words: "start" when it comes first in the
# reading direction (left in ltr, right in rtl).
RADIO_SIDE = """() => [...document.querySelectorAll("form.survey .answers .choice")].map(choice => {
  const radio = choice.querySelector("input").getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(choice.querySelector("label"));
  const text = range.getBoundingClientRect();
  const rtl = getComputedStyle(choice).direction === "rtl";
  return (rtl ? radio.left >= text.right : radio.right <= text.left) ? "start" : "elsewhere";
})"""


@pytest.mark.parametrize("language", ["nl", "en", "ar", "ti", "fa", "tr", "so"])
@pytest.mark.parametrize("scale", ["faces", "numbers"])
def test_every_answer_fits_its_box_at_360_px(
    live_server, app, municipality_id, make_newcomer, new_phone, language, scale
):
    person = make_newcomer(name="Hodan Warsame", language=language)
    invite_after_route(app, live_server, person, language_school(app, "Taalschool Westfriesland", municipality_id))
    page = new_phone()
    page.goto(survey_link(app, person.phone) + f"?scale={scale}")
    expect(page.locator("form.survey")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/survey-{language}-{scale}.png", full_page=True)
    assert no_sideways_scroll(page) <= 0
    assert page.evaluate(CLIPPED) == []  # every answer's text inside its box, none under a radio
    assert page.evaluate(SMALL_OR_DEAD) == []
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language in ("ar", "fa") else "ltr")
    assert set(page.evaluate(RADIO_SIDE)) == {"start"}  # 2 questions x No / Partly / Yes


ROW_TOPS = """selector => [...new Set([...document.querySelectorAll(selector)].map(
  box => Math.round(box.getBoundingClientRect().top)))].length"""


@pytest.mark.parametrize("language", ["nl", "fa"])
def test_on_a_wide_screen_the_marks_and_the_answers_stand_in_one_row(
    live_server, app, municipality_id, make_newcomer, new_phone, language
):
    person = make_newcomer(name="Hodan Warsame", language=language)
    invite_after_route(app, live_server, person, language_school(app, "Taalschool Westfriesland", municipality_id))
    page = new_phone()
    page.set_viewport_size({"width": 1024, "height": 900})
    link = survey_link(app, person.phone)
    page.goto(link)
    page.screenshot(path=f"{SHOTS}/survey-{language}-numbers-wide.png", full_page=True)
    assert page.evaluate(CLIPPED) == []
    assert page.evaluate(ROW_TOPS, ".marks .choice") == 1  # 1 to 10 side by side
    assert page.evaluate(ROW_TOPS, "fieldset:has(#heard) .choice") == 1  # No / Partly / Yes side by side
    page.goto(link + "?scale=faces")
    page.screenshot(path=f"{SHOTS}/survey-{language}-faces-wide.png", full_page=True)
    assert page.evaluate(CLIPPED) == []
    assert page.evaluate(ROW_TOPS, ".faces__choice") == 1


def test_a_tap_on_the_box_of_an_answer_picks_it(live_server, app, municipality_id, make_newcomer, new_phone):
    person = make_newcomer(name="Hodan Warsame", language="ar")
    invite_after_route(app, live_server, person, language_school(app, "Taalschool Westfriesland", municipality_id))
    page = new_phone(javascript=False)
    page.goto(survey_link(app, person.phone))
    ten = page.locator('input[name="mark"][value="10"]').locator("xpath=..")
    ten.click(position={"x": 4, "y": 4})  # a corner of the box, away from the radio and the number
    expect(page.locator('input[name="mark"][value="10"]')).to_be_checked()
    partly = page.locator('input[name="heard"][value="partly"]').locator("xpath=..")
    box = partly.bounding_box()
    assert box is not None
    partly.click(position={"x": 4, "y": box["height"] - 4})  # the left end: in Arabic the radio is on the right
    expect(page.locator('input[name="heard"][value="partly"]')).to_be_checked()
