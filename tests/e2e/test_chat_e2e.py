"""The intake as a chat in a real Chromium on a 360x740 phone, in Persian (Dari, right to left), with
and without JavaScript (issue 9, section 5).

Zahra opens the chat from the form's link and answers the first questions: a typed name, her date
of birth typed in Persian digits (first a date that does not exist: the error comes as a message),
a quick reply, a country from the long list, her phone number, then "change my last answer" to
correct it, a skipped optional question, another quick reply and a language from a list. With
JavaScript the turns go without a page load (a marker on ``window`` survives, the URL stays, no
document is requested), focus returns to the answer, and the log (``role=log``,
``aria-live=polite``) only grows. Without JavaScript every turn is a POST answered with a 303 and
the chat again, the whole conversation on it. Then the form's link: the form shows the same answers.

Texts are not compared (the Dari catalog may not translate the chat yet); structure, values and
positions are.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Filling
from tests.conftest import invitation_path

ZAHRA = "زهرا احمدی"
ANSWERED = {
    "preferred_name": "زهرا",
    "date_of_birth": "1995-03-14",
    "gender": "woman",
    "country_of_birth": "AF",
    "phone": "+31612345602",
    "contact_preference": "sms",
    "mother_tongue": "fa_AF",
}
COMPOSER = "#chat-composer"


def expect_asked(page: Page, field_id: str) -> None:
    expect(page.locator(f'{COMPOSER} input[name="field_id"]')).to_have_value(field_id)


def type_answer(page: Page, text: str) -> None:
    page.locator("#chat-answer").fill(text)
    page.locator(f"{COMPOSER} .chat-send").click()


def quick_reply(page: Page, value: str) -> None:
    page.locator(f'{COMPOSER} .chat-replies button.chat-reply[value="{value}"]').click()


def pick(page: Page, value: str, typed: str, javascript: bool) -> None:
    """Pick from a long list: with JavaScript by typing to filter and tapping the match, without
    by choosing in the select and sending."""
    if javascript:
        expect(page.locator(f"{COMPOSER} select#chat-answer")).to_be_hidden()
        page.locator("#chat-filter").fill(typed)
        page.locator(f'{COMPOSER} [data-matches] button[value="{value}"]').click()
    else:
        page.locator("#chat-answer").select_option(value)
        page.locator(f"{COMPOSER} .chat-send").click()


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).last.bounding_box()


def check_bubbles_mirrored(page: Page) -> None:
    """Right to left: the assistant speaks from the right, the newcomer answers on the left."""
    log = box(page, "#chat-log")
    bot = box(page, "#chat-log .chat-msg--question")
    me = box(page, "#chat-log .chat-msg--me")
    assert bot["x"] + bot["width"] == pytest.approx(log["x"] + log["width"], abs=2), (bot, log)
    assert me["x"] + me["width"] / 2 < bot["x"] + bot["width"] / 2, (me, bot)
    assert me["x"] + me["width"] < bot["x"] + bot["width"], (me, bot)
    mine = box(page, "#chat-log .chat-me")
    assert mine["x"] == pytest.approx(log["x"], abs=2), (mine, log)


def check_focus_on_answer(page: Page) -> None:
    """Focus is back on the composer's answer (the input, the list's filter, or the first quick reply)."""
    expect(page.locator(f"{COMPOSER} [data-focus]:focus")).to_have_count(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_persian_chat_right_to_left_then_the_same_answers_in_the_form(
    live_server, app, make_newcomer, new_phone, javascript, tmp_path
):
    zahra = make_newcomer(name=ZAHRA, language="fa")
    page = new_phone(javascript=javascript, locale="fa-AF")
    page.goto(live_server + invitation_path(app, zahra))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/intake/about_you$"))

    # The form's link to the chat.
    page.locator("a.channels__link").click()
    expect(page).to_have_url(re.compile(r"/intake/chat#chat-composer$"))
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "fa")
    log = page.locator("#chat-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect_asked(page, "preferred_name")

    documents: list[tuple[str, str]] = []
    page.on("request", lambda r: r.resource_type == "document" and documents.append((r.method, r.url)))
    turns: list[tuple[str, str, int]] = []
    page.on("response", lambda r: turns.append((r.request.method, r.url.split("?")[0], r.status)))
    if javascript:
        page.evaluate(
            "window.chatMarker = 'still here'; document.querySelector('#chat-log').firstElementChild.kept = 1"
        )

    def sent(field_id: str, status: int = 303) -> None:
        """Without JavaScript: the answer was a POST of the chat, a redirect (or the refusal's page)."""
        if javascript:
            return
        posts = [t for t in turns if t[0] == "POST"]
        assert posts, field_id
        assert posts[-1][2] == status, (field_id, turns[-4:])
        if status == 303:
            later = turns[len(turns) - turns[::-1].index(posts[-1]) :]
            assert ("GET", f"{live_server}/intake/chat", 200) in later, (field_id, later)

    count = log.locator(":scope > *").count()

    def grew() -> None:
        """With JavaScript, the log only grows: the first message is the same element, more follow."""
        nonlocal count
        if javascript:
            assert page.evaluate("document.querySelector('#chat-log').firstElementChild.kept") == 1
            assert page.evaluate("window.chatMarker") == "still here"
            now = log.locator(":scope > *").count()
            assert now > count, (now, count)
            count = now
            check_focus_on_answer(page)

    type_answer(page, ANSWERED["preferred_name"])
    expect_asked(page, "date_of_birth")
    sent("preferred_name")
    grew()
    expect(page.locator("#chat-log .chat-msg--me bdi").last).to_have_text(ANSWERED["preferred_name"])

    # A date that does not exist, typed in Persian digits: refused, as a message, the answer kept.
    expect(page.locator(f"{COMPOSER} #chat-hint")).to_contain_text("۳۱-۱۲-۱۹۹۰")
    type_answer(page, "۳۱-۰۲-۱۹۹۵")
    error = page.locator("#chat-log .chat-msg--error")
    expect(error).to_have_count(1)
    expect(error.locator(".chat-error")).to_contain_text("۱۹۹۰")  # the example, in Persian digits
    expect_asked(page, "date_of_birth")
    expect(page.locator("#chat-answer")).to_have_value("۳۱-۰۲-۱۹۹۵")
    expect(page.locator("#chat-answer")).to_have_attribute("aria-invalid", "true")
    error_id = error.locator(".chat-error").get_attribute("id")
    assert error_id in page.locator("#chat-answer").get_attribute("aria-describedby").split()
    sent("date_of_birth", 422)
    grew()
    page.screenshot(path=str(tmp_path / f"chat-fa-360-error-{'js' if javascript else 'nojs'}.png"))

    type_answer(page, "۱۴-۰۳-۱۹۹۵")
    expect_asked(page, "gender")
    sent("date_of_birth")
    grew()

    # A quick reply.
    expect(page.locator(f"{COMPOSER} .chat-reply")).to_have_count(4)  # three and "I prefer not to say"
    check_bubbles_mirrored(page)
    page.screenshot(path=str(tmp_path / f"chat-fa-360-{'js' if javascript else 'nojs'}.png"))
    quick_reply(page, "woman")
    expect_asked(page, "country_of_birth")
    sent("gender")
    grew()

    # The long list of countries.
    pick(page, "AF", "افغان", javascript)
    expect_asked(page, "phone")
    sent("country_of_birth")
    grew()

    type_answer(page, "0612345601")
    expect_asked(page, "email")
    sent("phone")
    grew()

    # "Change my last answer": the phone number again, with the answer given, then on to the e-mail.
    page.locator(f'{COMPOSER} form[action$="/intake/chat/back"] button').click()
    expect_asked(page, "phone")
    expect(page.locator("#chat-answer")).to_have_value("+31612345601")
    expect(page.locator(f'{COMPOSER} form[action$="/intake/chat/keep"]')).to_have_count(1)
    sent("back")
    grew()
    type_answer(page, "06 1234 5602")
    expect_asked(page, "email")
    sent("phone")
    grew()

    page.locator(f"{COMPOSER} .chat-skip").click()  # no e-mail address
    expect_asked(page, "contact_preference")
    sent("email")
    grew()

    quick_reply(page, "sms")
    expect_asked(page, "mother_tongue")
    sent("contact_preference")
    grew()
    expect(page.locator("#chat-log h2.chat-step")).to_have_count(2)  # about you, languages

    pick(page, "fa_AF", "دری", javascript)
    expect_asked(page, "other_language")
    sent("mother_tongue")
    grew()
    check_bubbles_mirrored(page)

    if javascript:
        assert documents == [], documents  # every turn without a page load
        assert page.url.endswith("/intake/chat#chat-composer"), page.url
        page.reload()
    else:  # every turn a page: nine answers (one of them the corrected phone), a refused one, the "back"
        assert [m for m, _ in documents if m == "POST"] == ["POST"] * 11, documents
    # The whole conversation: every answer once, in order (the refused one is not kept).
    replies = page.locator("#chat-log .chat-me:not(.chat-me--refused) .chat-msg--me")
    expect(replies).to_have_count(8)
    assert replies.nth(0).inner_text().strip().endswith(ANSWERED["preferred_name"])
    assert "۱۹۹۵" in replies.nth(1).inner_text()  # the date in Persian digits
    assert page.locator("#chat-log .chat-msg--error").count() == 0
    page.screenshot(path=str(tmp_path / f"chat-fa-360-full-{'js' if javascript else 'nojs'}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the chat scrolls sideways at 360 px"

    # The form: resumes at the languages step with the chat's answer, and the first step has the rest.
    page.locator("a.channels__link").click()
    expect(page).to_have_url(re.compile(r"/intake/languages$"))
    expect(page.locator('[name="mother_tongue"]')).to_have_value("fa_AF")
    page.goto(f"{live_server}/intake/about_you")
    expect(page.locator('[name="preferred_name"]')).to_have_value(ANSWERED["preferred_name"])
    expect(page.locator('[name="date_of_birth"]')).to_have_value(ANSWERED["date_of_birth"])
    expect(page.locator('[name="gender"][value="woman"]')).to_be_checked()
    expect(page.locator('[name="country_of_birth"]')).to_have_value("AF")
    expect(page.locator('[name="phone"]')).to_have_value(ANSWERED["phone"])
    expect(page.locator('[name="email"]')).to_have_value("")
    expect(page.locator('[name="contact_preference"][value="sms"]')).to_be_checked()

    with app.app_context():
        filling = db.session.query(Filling).filter_by(newcomer_id=zahra.id).one()
        assert {k: filling.answers[k] for k in ANSWERED} == ANSWERED
        assert "email" not in filling.answers
        assert {filling.answer_channels[k] for k in ANSWERED} == {"chat"}
        assert "about_you" in filling.completed_steps
        assert "mother_tongue" in filling.asked


LINES = """() => Array.from(document.querySelectorAll('#chat-log .chat-msg--me bdi')).map(
    b => [b.textContent, new Set(Array.from(b.getClientRects()).map(r => Math.round(r.top))).size])"""


@pytest.mark.parametrize("language", ["fa", "en"])
def test_short_answers_stay_on_one_line_at_360_px(live_server, app, make_newcomer, new_phone, language):
    """A newcomer's bubble is as wide as its text allows (it once shrank to one character a line)."""
    person = make_newcomer(name="Zahra Ahmadi", language=language)
    page = new_phone(locale={"en": "en-GB", "fa": "fa-AF"}[language])
    page.goto(live_server + invitation_path(app, person))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/intake/about_you$"))
    page.goto(f"{live_server}/intake/chat")
    type_answer(page, ANSWERED["preferred_name"])
    expect_asked(page, "date_of_birth")
    type_answer(page, "14-03-1995")
    expect_asked(page, "gender")
    quick_reply(page, "woman")
    expect_asked(page, "country_of_birth")
    lines = page.evaluate(LINES)
    assert len(lines) == 3, lines
    assert [n for _, n in lines] == [1, 1, 1], lines  # a name, a date, "woman": each one line
