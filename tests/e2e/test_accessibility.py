"""axe-core on every intake page, in Dutch and in Arabic: no serious or critical violation."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.app.test_intake import WEB
from tests.conftest import invitation_path
from tests.e2e.test_newcomer_journey import fill_step

AXE = Axe()


def serious_violations(page: Page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["nl", "ar"])
def test_no_serious_accessibility_violations_on_intake_pages(live_server, app, make_newcomer, new_phone, language):
    person = make_newcomer(language=language)
    page = new_phone()
    problems: list[str] = []
    page.goto(live_server + invitation_path(app, person))
    problems += serious_violations(page)
    page.locator("main button[type=submit]").click()

    # A page with errors on it, too.
    page.locator(".step-form button[type=submit]").click()
    problems += serious_violations(page)

    for step_id, answers in WEB.items():
        assert re.search(f"/intake/{step_id}$", page.url), page.url
        problems += serious_violations(page)
        fill_step(page, answers)
    problems += serious_violations(page)  # review
    page.locator("main form button[type=submit]").click()
    problems += serious_violations(page)  # done
    page.goto(live_server + "/intake/sent")
    problems += serious_violations(page)  # what was sent, read-only

    # Another page language: the next page asks whether SMS should follow it.
    page.locator(".language-menu summary").click()
    page.locator(".language-menu button[value=tr]").click()
    assert page.locator(".message-language").count() == 1
    problems += serious_violations(page)

    for path in ("/", "/login"):
        anonymous = new_phone()
        anonymous.goto(live_server + path)
        problems += serious_violations(anonymous)
    assert problems == []
