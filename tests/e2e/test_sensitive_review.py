"""A shared phone in a real Chromium: the newcomer's own review page never shows a sensitive answer.

Amal fills in the intake in Arabic on a 360 px phone, answering that she wants a talk without her
partner, and that she lives on a benefit; her review page says only that those questions were
answered (with a change link), and so does the read-only page after sending. Staff still see them.
"""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from app.extensions import db
from app.intake import services
from app.models import Filling, Newcomer
from tests.app.test_intake import WEB
from tests.conftest import invitation_path
from tests.e2e.test_newcomer_journey import fill_step
from workflows import engine

SENSITIVE = {
    "talk_without_partner": "Would you like a talk with us without your partner?",
    "income_sources": "What money do you live on?",
    "has_debts": "Do you have debts?",
    "health_limits": "Do you have health problems that make learning or working harder?",
}
# What Amal answered to them, as the staff review shows it (in English msgids).
ANSWERS = ("Yes", "Benefit from the municipality", "I prefer not to say")


def translated(app, locale: str, *texts: str) -> list[str]:  # noqa: ANN001
    with app.test_request_context(), force_locale(locale):
        return [gettext(text) for text in texts]


def rows(page) -> dict[str, str]:  # noqa: ANN001
    """Question -> answer of the review list, as the reader sees them."""
    found = {}
    for row in page.locator(".review-list__row").all():
        found[row.locator("dt").inner_text().strip()] = row.locator("dd").inner_text().strip()
    return found


def test_arabic_review_on_a_shared_phone_shows_no_sensitive_answer(live_server, app, make_newcomer, new_phone):
    amal = make_newcomer(name="أمل الحسن", language="ar")
    phone = new_phone()
    phone.goto(live_server + invitation_path(app, amal))
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    phone.locator("main button[type=submit]").click()
    for step_id, answers in WEB.items():
        expect(phone).to_have_url(re.compile(f"/intake/{step_id}$"))
        fill_step(phone, answers)
    expect(phone).to_have_url(re.compile(r"/intake/review$"))

    answered, yes, benefit, prefer_not = translated(app, "ar", engine.ANSWERED, *ANSWERS)
    labels = dict(zip(SENSITIVE, translated(app, "ar", *SENSITIVE.values()), strict=True))
    shown = rows(phone)
    for field_id, label in labels.items():
        assert shown[label] == answered, field_id
    text = phone.locator("main").inner_text()
    assert benefit not in text
    assert prefer_not not in text
    assert phone.locator('a[href="/intake/family?from=review"]').is_visible()  # still changeable
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

    # The change link opens the step with the answer, for her eyes only.
    phone.locator('a[href="/intake/family?from=review"]').click()
    expect(phone.locator('[name="talk_without_partner"][value="yes"]')).to_be_checked()
    phone.go_back()

    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/intake/done$"))
    phone.locator('a[href="/intake/sent"]').click()
    expect(phone).to_have_url(re.compile(r"/intake/sent$"))
    assert rows(phone)[labels["talk_without_partner"]] == answered
    assert benefit not in phone.locator("main").inner_text()
    assert phone.locator("main form").count() == 0  # read-only

    with app.app_context():
        intake = db.session.query(Filling).one()
        assert intake.answers["talk_without_partner"] is True  # stored, just not shown
    assert yes  # the staff side shows it: tests/app/test_intake.py::test_staff_review_still_shows_sensitive_answers


def _seed_complete_intake(app, person_id: int) -> None:  # noqa: ANN001
    """A complete intake straight through the engine (the journey test clicks through it)."""
    from tests.workflows.test_intake import AMAL
    from workflows.i18n import Context

    definition = services.workflow()
    progress = engine.Progress()
    ctx = Context(locale="en")
    for step_id, raw in AMAL.items():
        result = engine.validate_step(definition.step(step_id), raw, progress.answers, ctx, text_channel=True)
        progress = engine.apply_step(definition, progress, step_id, result.values)
    with app.app_context():
        newcomer = db.session.get(Newcomer, person_id)
        db.session.add(
            Filling(
                newcomer_id=newcomer.id,
                municipality_id=newcomer.municipality_id,
                workflow_id=definition.id,
                workflow_version=definition.version,
                answers=dict(progress.answers),
                completed_steps=list(progress.completed),
                channel="web",
                locale=newcomer.language,
            )
        )
        db.session.commit()


@pytest.mark.parametrize(("locale", "name"), [("fa", "زهرا احمدی"), ("ti", "ዮናስ ተስፋይ")])
def test_persian_and_tigrinya_reviews_fit_a_phone(live_server, app, make_newcomer, new_phone, tmp_path, locale, name):
    person = make_newcomer(name=name, language=locale)
    _seed_complete_intake(app, person.id)
    phone = new_phone()
    phone.goto(live_server + invitation_path(app, person))
    phone.locator("main button[type=submit]").click()
    phone.goto(f"{live_server}/intake/review")
    expect(phone.locator("html")).to_have_attribute("lang", locale)
    answered = translated(app, locale, engine.ANSWERED)[0]
    label = translated(app, locale, SENSITIVE["talk_without_partner"])[0]
    assert rows(phone)[label] == answered
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the {locale} review scrolls sideways at 360 px"
    if locale == "fa":
        assert not re.search(r"[0-9]", phone.locator("main").inner_text()), "Latin digits on a Persian page"
    # Screenshots to look at (pytest keeps the last runs' tmp_path folders).
    phone.screenshot(path=str(tmp_path / f"review-{locale}-360-top.png"))
    phone.locator("#review-family").scroll_into_view_if_needed()
    phone.screenshot(path=str(tmp_path / f"review-{locale}-360-family.png"))
