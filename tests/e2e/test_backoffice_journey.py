"""The back office and the newcomer together, in two real browsers.

A klantmanager registers a newcomer; the newcomer follows the invitation from the dev SMS inbox,
completes and submits the intake; the klantmanager returns it with a question; the newcomer answers
and submits again; the klantmanager approves it and sets the PIP (a DUO rule refusing the first try). axe checks every
staff page on the way.
"""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.app.test_intake import WEB
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_newcomer_journey import fill_step

DESKTOP = {"width": 1280, "height": 800}


def staff_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
    context.set_default_timeout(10_000)
    return context.new_page()


def sign_in_staff(page: Page, base: str, login, problems: list[str], start: str = "/backoffice/today") -> None:  # noqa: ANN001, E501
    page.goto(f"{base}/staff/login")
    problems += serious_violations(page)
    page.fill('[name="email"]', login.email)
    page.fill('[name="password"]', login.password)
    page.locator("main button[type=submit]").click()
    problems += serious_violations(page)
    page.fill('[name="code"]', pyotp.TOTP(login.totp_secret).now())
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/recovery-codes$"))
    problems += serious_violations(page)
    page.locator("main a.utrecht-button-link").click()
    expect(page).to_have_url(re.compile(r"/staff/password$"))
    page.fill('[name="password"]', "correct horse battery staple")
    page.fill('[name="confirm"]', "correct horse battery staple")
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(start) + "$"))


def invitation_link(page: Page, base: str, phone: str) -> str:
    for _ in range(50):
        page.goto(f"{base}/dev/sms")
        for message in page.locator(".dev-inbox__message").all():
            text = message.inner_text()
            if phone in text and (match := re.search(r"https?://\S+/i/\S+", text)):
                return match.group().rstrip(".")
        time.sleep(0.1)
    raise AssertionError("no invitation arrived")


def test_register_review_return_resubmit_approve(live_server, app, browser, make_staff, new_phone):
    problems: list[str] = []
    login = make_staff()
    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, login, problems)
    problems += serious_violations(sanne)  # the empty today page

    sanne.goto(f"{live_server}/backoffice/newcomers/new")
    problems += serious_violations(sanne)
    sanne.fill('[name="name"]', "أمل الحسن")
    sanne.fill('[name="phone"]', "06 1234 5688")
    sanne.select_option('[name="language"]', "ar")
    sanne.fill('[name="duo_notified_on"]', "2026-10-01")
    sanne.locator("main button[type=submit]").click()
    expect(sanne.locator("h1 bdi")).to_have_text("أمل الحسن")
    file_url = sanne.url
    problems += serious_violations(sanne)

    # The newcomer, on her own phone, opens the link from the SMS.
    amal = new_phone()
    amal.goto(invitation_link(amal.context.new_page(), live_server, "+31612345688"))
    expect(amal.locator("html")).to_have_attribute("dir", "rtl")
    amal.locator("main button[type=submit]").click()
    for _step_id, answers in WEB.items():
        fill_step(amal, answers)
    amal.locator("main form button[type=submit]").click()
    expect(amal).to_have_url(re.compile(r"/intake/done$"))

    # The klantmanager returns it with a question.
    sanne.goto(file_url)
    expect(sanne.locator("bdi", has_text="أمل 🌸")).to_be_visible()
    problems += serious_violations(sanne)
    sanne.fill('[name="question"]', "Hoeveel kinderen heeft u precies?")
    sanne.locator('form[action$="/return"] button[type=submit]').click()
    expect(sanne.locator(".utrecht-alert")).to_be_visible()

    # The newcomer sees the question, changes an answer, and sends it again.
    amal.goto(f"{live_server}/intake/")
    expect(amal).to_have_url(re.compile(r"/intake/review$"))
    expect(amal.locator(".question")).to_contain_text("Hoeveel kinderen heeft u precies?")
    amal.locator('a[href="/intake/family?from=review"]').click()
    fill_step(amal, dict(WEB["family"], children_count="3"))
    amal.locator('form[action$="/intake/submit"] button[type=submit]').click()  # the review also has an answer form
    expect(amal).to_have_url(re.compile(r"/intake/done$"))

    # The klantmanager approves it.
    sanne.goto(file_url)
    sanne.locator('form[action$="/approve"] button[type=submit]').click()
    expect(sanne.locator(".facts").first).to_contain_text(re.compile("approved|goedgekeurd", re.I))
    # ... and sets the PIP: Z-route, A2 would be refused with the onderwijsroute, B1 with the Z-route.
    sanne.locator(f'a[href$="/backoffice/newcomers/{file_url.rsplit("/", 1)[1]}/pip"]').first.click()
    problems += serious_violations(sanne)
    sanne.check('[name="learnability_result"][value="not_feasible"]')
    sanne.check('[name="leerroute"][value="Z"]')
    sanne.check('[name="level"][value="B1"]')
    sanne.check('[name="literacy"][value="AA"]')
    sanne.fill('[name="pip_on"]', "2026-11-20")
    sanne.locator("main form button[type=submit]").first.click()
    expect(sanne.locator("#level-error")).to_be_visible()  # B1 never with the Z-route
    problems += serious_violations(sanne)
    sanne.check('[name="level"][value="A2"]')
    sanne.locator("main form button[type=submit]").first.click()
    expect(sanne.locator("#pip")).to_contain_text("2029")  # the term ends three years on
    expect(sanne.locator(".facts").first).to_contain_text("PIP set")
    problems += serious_violations(sanne)

    sanne.goto(f"{live_server}/backoffice/caseload?leerroute=Z")
    expect(sanne.locator("table")).to_contain_text("أمل الحسن")
    problems += serious_violations(sanne)
    assert problems == []
