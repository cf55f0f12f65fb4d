"""A newcomer's whole journey in a real browser on a 360 px phone, in Arabic.

Invitation -> continue -> fill in part of the intake -> leave -> sign in again by SMS code on another
phone -> resume where they were -> finish -> review -> submit. Once with JavaScript, once without.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Filling
from tests.app.test_intake import WEB
from tests.conftest import invitation_path


def fill_step(page: Page, answers: dict) -> None:
    """Answer one step as a person would: click the options, type the text."""
    for name, value in answers.items():
        values = value if isinstance(value, list) else [value]
        first = page.locator(f'[name="{name}"]').first
        kind = first.evaluate("el => el.type || el.tagName.toLowerCase()") if value != "" else "skip"
        if kind in ("radio", "checkbox"):
            for item in values:
                page.locator(f'[name="{name}"][value="{item}"]').check()
        elif kind == "select-one":
            first.select_option(value)
        elif kind != "skip":
            first.fill(value)
    page.locator(".step-form button[type=submit]").click()


def read_code(page: Page, base: str, phone: str) -> str:
    """The newest code sent to ``phone``, read from the dev SMS inbox (sent just after the response)."""
    for _ in range(50):
        page.goto(f"{base}/dev/sms")
        for message in page.locator(".dev-inbox__message").all():
            text = message.inner_text()
            if phone in text and (match := re.search(r"\d{6}", text.split("\n", 1)[-1])):
                return match.group()
        time.sleep(0.1)
    raise AssertionError("no code arrived: " + page.locator("main").inner_text()[:500])


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_arabic_newcomer_completes_the_intake_across_two_phones(live_server, app, make_newcomer, new_phone, javascript):
    amal = make_newcomer(name="أمل الحسن", language="ar")
    steps = list(WEB.items())

    # First phone: the invitation link from the SMS.
    phone = new_phone(javascript=javascript)
    phone.goto(live_server + invitation_path(app, amal))
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.locator("html")).to_have_attribute("lang", "ar")
    phone.locator("main button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/intake/about_you$"))

    # A mistake first: the error is shown next to the field, and the rest is kept.
    fill_step(phone, dict(steps[0][1], phone="12"))
    expect(phone.locator("#phone-error")).to_be_visible()
    expect(phone.locator('[name="preferred_name"]')).to_have_value("أمل 🌸")
    fill_step(phone, {"phone": "0612345601"})

    for step_id, answers in steps[1:5]:
        expect(phone).to_have_url(re.compile(f"/intake/{step_id}$"))
        fill_step(phone, answers)
    expect(phone).to_have_url(re.compile(r"/intake/family$"))
    expect(phone.locator(".step-progress")).to_contain_text("6")
    phone.context.close()  # Amal's prepaid data runs out; she leaves

    # Another phone, another day: sign in with an SMS code.
    other = new_phone(javascript=javascript)
    other.goto(f"{live_server}/login")
    other.locator('[name="phone"]').fill("06 1234 56" + amal.phone[-2:])
    other.locator("main button[type=submit]").click()
    expect(other).to_have_url(re.compile(r"/login/code$"))
    code = read_code(other.context.new_page(), live_server, amal.phone)
    other.locator('[name="code"]').fill(code)
    other.locator("main button[type=submit]").click()

    # Resumed at the first unanswered step, in Arabic, with the earlier answers intact.
    expect(other).to_have_url(re.compile(r"/intake/family$"))
    expect(other.locator("html")).to_have_attribute("dir", "rtl")
    for step_id, answers in steps[5:]:
        expect(other).to_have_url(re.compile(f"/intake/{step_id}$"))
        fill_step(other, answers)

    expect(other).to_have_url(re.compile(r"/intake/review$"))
    expect(other.locator("bdi", has_text="أمل 🌸")).to_be_visible()
    other.locator('a[href="/intake/housing?from=review"]').click()
    fill_step(other, dict(WEB["housing"], housing_type="with_others"))
    expect(other).to_have_url(re.compile(r"/intake/review$"))
    other.locator("main form button[type=submit]").click()
    expect(other).to_have_url(re.compile(r"/intake/done$"))
    expect(other.locator(".confirmation")).to_be_visible()

    with app.app_context():
        intake = db.session.query(Filling).one()
        assert intake.status == "submitted"
        assert intake.answers["preferred_name"] == "أمل 🌸"
        assert intake.answers["housing_type"] == "with_others"
        assert intake.answers["goal_description"] == WEB["goals"]["goal_description"]


def test_page_fits_a_320_px_screen(live_server, app, newcomer, new_phone):
    phone = new_phone()
    phone.set_viewport_size({"width": 320, "height": 640})
    phone.goto(live_server + invitation_path(app, newcomer))
    phone.locator("main button[type=submit]").click()
    for path in ("/intake/about_you", "/login"):
        phone.goto(live_server + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways at 320 px"


def test_conditional_question_appears_only_when_it_applies(live_server, app, newcomer, new_phone):
    from tests.app.test_intake import WEB as answers

    phone = new_phone()
    phone.goto(live_server + invitation_path(app, newcomer))
    phone.locator("main button[type=submit]").click()
    for step_id in ("about_you", "languages", "education", "work", "health"):
        fill_step(phone, answers[step_id])
    expect(phone).to_have_url(re.compile(r"/intake/family$"))
    count = phone.locator('[name="children_count"]')
    expect(count).to_be_hidden()
    phone.locator('[name="has_children"][value="yes"]').check()
    expect(count).to_be_visible()
