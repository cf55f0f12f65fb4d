"""The conversation in two real browsers and a signed Twilio webhook.

The klantmanager returns Yonas's intake with a common question; Yonas, in Tigrinya on a 360 px
phone, reads it in Tigrinya on his review page and answers it in text; the answer appears in the
file's thread. He answers once more by SMS (a webhook POST signed as Twilio signs it), which appears
there too. The SMS link ``/m`` leads a phone that is not signed in through the sign-in and back to
his messages. axe checks every new page on the way.

The common question is asserted through the same gettext call in the ``ti`` locale, so the test
stays right once the Tigrinya catalog translates it (until then it reads as the English source).
"""

from __future__ import annotations

import re
import time
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from app.config import TestConfig
from tests.conftest import invitation_path
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page
from tests.e2e.test_newcomer_journey import read_code
from tests.e2e.test_sensitive_review import _seed_complete_intake, translated

QUESTION = "How many years did you go to school?"
TOKEN = "e2e-twilio-auth-token"  # noqa: S105 - a test's own token


@pytest.fixture
def twilio_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The served app's Twilio auth token (set before ``live_server`` builds the app)."""
    monkeypatch.setattr(TestConfig, "TWILIO_AUTH_TOKEN", TOKEN)
    return TOKEN


def post_inbound_sms(base: str, sender: str, body: str, sid: str) -> int:
    """An incoming SMS as Twilio posts it: form-encoded, signed for the public URL of the route."""
    url = base + "/sms/twilio/inbound"
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+3197010000000",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    request = urllib.request.Request(  # noqa: S310 - our own live server
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def thread_text(page) -> str:  # noqa: ANN001
    return page.locator("#conversation").inner_text()


def test_return_with_a_common_question_answered_in_tigrinya_and_by_sms(
    twilio_token, live_server, app, browser, make_staff, make_newcomer, new_phone
):
    problems: list[str] = []
    yonas = make_newcomer(name="ዮናስ ተስፋይ", language="ti")
    _seed_complete_intake(app, yonas.id)

    # Yonas sends his intake from his phone.
    phone = new_phone()
    phone.goto(live_server + invitation_path(app, yonas))
    phone.locator("main button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/intake/review$"))
    phone.locator('form[action$="/intake/submit"] button[type=submit]').click()
    expect(phone).to_have_url(re.compile(r"/intake/done$"))

    # The klantmanager returns it with a common question.
    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, make_staff(), problems)
    file_url = f"{live_server}/backoffice/newcomers/{yonas.id}"
    sanne.goto(file_url)
    problems += serious_violations(sanne)  # the conversation section and the return form
    sanne.select_option("#common_question", "school_years")
    sanne.locator('form[action$="/return"] button[type=submit]').click()
    expect(sanne.locator(".utrecht-alert")).to_be_visible()
    expect(sanne.locator("#conversation")).to_contain_text(QUESTION)

    # Yonas reads it in Tigrinya on his review page and answers in text.
    [question, answer_label] = translated(app, "ti", QUESTION, "Your answer")
    phone.goto(f"{live_server}/intake/")
    expect(phone).to_have_url(re.compile(r"/intake/review$"))
    expect(phone.locator("html")).to_have_attribute("lang", "ti")
    expect(phone.locator(".question")).to_contain_text(question)
    expect(phone.locator('label[for="body"]')).to_have_text(answer_label)
    problems += serious_violations(phone)
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the review page with the question scrolls sideways at 360 px"
    phone.locator("#body").fill("ሸሞንተ ዓመት ኣብ ኣስመራ።")
    phone.locator('form[action$="/review/answer"] button[type=submit]').click()
    expect(phone).to_have_url(re.compile(r"/intake/review#question$"))
    expect(phone.locator(".question")).to_contain_text("ሸሞንተ ዓመት ኣብ ኣስመራ።")
    problems += serious_violations(phone)

    # His messages page shows the question and his answer, in Tigrinya.
    phone.goto(f"{live_server}/messages")
    expect(phone.locator("main")).to_contain_text(question)
    expect(phone.locator("main")).to_contain_text("ሸሞንተ ዓመት ኣብ ኣስመራ።")
    problems += serious_violations(phone)

    # The answer appears in the file's thread, new until the file was opened.
    sanne.goto(file_url)
    expect(sanne.locator("#conversation")).to_contain_text("ሸሞንተ ዓመት ኣብ ኣስመራ።")
    expect(sanne.locator("#conversation")).to_contain_text("From the newcomer, on the web")
    expect(sanne.locator("#conversation .badge", has_text="new")).to_have_count(2)  # the heading's count and the row

    # He answers once more by SMS: the signed webhook puts it in the thread.
    assert post_inbound_sms(live_server, yonas.phone, "ኣብ ሰኑይ ክመጽእ እኽእል እየ።", "SM" + "e2e0" * 8) == 200
    for _ in range(50):
        sanne.goto(file_url)
        if "ኣብ ሰኑይ ክመጽእ እኽእል እየ።" in thread_text(sanne):
            break
        time.sleep(0.1)
    assert "ኣብ ሰኑይ ክመጽእ እኽእል እየ።" in thread_text(sanne)
    assert "From the newcomer, by SMS" in thread_text(sanne)
    sanne.goto(f"{file_url}/messages")
    problems += serious_violations(sanne)  # the conversation page of its own

    # The SMS link on a phone that is not signed in: the sign-in, then straight back to the messages.
    other = new_phone()
    other.goto(f"{live_server}/m")
    expect(other).to_have_url(re.compile(r"/login\?next=%2Fmessages$"))
    other.locator('[name="phone"]').fill(yonas.phone)
    other.locator("main button[type=submit]").click()
    expect(other).to_have_url(re.compile(r"/login/code\?next="))
    other.locator('[name="code"]').fill(read_code(other.context.new_page(), live_server, yonas.phone))
    other.locator("main button[type=submit]").click()
    expect(other).to_have_url(re.compile(r"/messages$"))
    expect(other.locator("main")).to_contain_text(question)
    assert problems == []
