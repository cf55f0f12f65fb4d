"""axe-core on the intake chat in Dutch and in Persian (right to left), with its script and without
(chat.js blocked, so the page is what a phone without JavaScript gets): no serious or critical
violation with a typed question, an answer refused (the error as a message), quick replies, the long
list of countries (filtered, and with nothing found), and a question reopened by "change my last
answer".

The Dutch run renders Dutch pages, so the check on English left on Dutch pages (tests/conftest.py)
reads them: it fails once the chat's strings are in the catalog and until the translators have run.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import invitation_path
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_chat_e2e import COMPOSER, expect_asked, quick_reply, type_answer

COUNTRY = {"nl": ("Afgh", "Afghanistan"), "fa": ("افغان", "افغانستان")}


def open_chat(page: Page, base: str, path: str) -> None:
    page.goto(base + path)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/intake/about_you$"))
    page.goto(base + "/intake/chat")


@pytest.mark.parametrize("script", [True, False], ids=["with-script", "without-script"])
@pytest.mark.parametrize("language", ["nl", "fa"])
def test_no_serious_accessibility_violations_in_the_chat(live_server, app, make_newcomer, new_phone, language, script):
    person = make_newcomer(name="Zahra Ahmadi", language=language)
    page = new_phone(locale={"nl": "nl-NL", "fa": "fa-AF"}[language])
    if not script:
        page.route(re.compile(r"/static/chat\.js"), lambda route: route.abort())
    open_chat(page, live_server, invitation_path(app, person))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect_asked(page, "preferred_name")
    problems = serious_violations(page)  # a typed answer, optional (Skip)

    type_answer(page, "Zahra")
    expect_asked(page, "date_of_birth")
    type_answer(page, "31-02-1995")  # no such day
    expect(page.locator("#chat-log .chat-msg--error")).to_have_count(1)
    problems += serious_violations(page)  # the error, as a message

    type_answer(page, "14-03-1995")
    expect_asked(page, "gender")
    problems += serious_violations(page)  # quick replies

    quick_reply(page, "woman")
    expect_asked(page, "country_of_birth")
    problems += serious_violations(page)  # the long list
    typed, name = COUNTRY[language]
    if script:
        page.locator("#chat-filter").fill("qqqq")
        expect(page.locator(f"{COMPOSER} [data-nomatch]")).to_be_visible()
        problems += serious_violations(page)  # nothing found
        page.locator("#chat-filter").fill(typed)
        expect(page.locator(f'{COMPOSER} [data-matches] button[value="AF"]')).to_have_text(name)
        problems += serious_violations(page)  # filtered
        page.locator(f'{COMPOSER} [data-matches] button[value="AF"]').click()
    else:
        expect(page.locator("#chat-answer")).to_be_visible()
        page.locator("#chat-answer").select_option("AF")
        page.locator(f"{COMPOSER} .chat-send").click()
    expect_asked(page, "phone")

    page.locator(f'{COMPOSER} form[action$="/intake/chat/back"] button').click()
    expect(page.locator(f'{COMPOSER} form[action$="/intake/chat/keep"]')).to_have_count(1)
    problems += serious_violations(page)  # the country reopened, to change or keep

    assert problems == []
