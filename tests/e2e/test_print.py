"""Printing a file in a real Chromium: the facts, the PIP and the history, none of the forms or buttons."""

from __future__ import annotations

from datetime import timedelta

from app.models.types import local_today
from tests.app.backoffice.test_pip import add_pip, make_file
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page


def test_the_printed_file_shows_the_facts_and_no_forms_or_buttons(live_server, app, browser, make_staff):
    file_id = make_file(app)
    add_pip(app, file_id, local_today() - timedelta(days=30), learnability_result="feasible", literacy="NVT")
    page = staff_page(browser)
    sign_in_staff(page, live_server, make_staff(), [], start="/backoffice/today")
    page.goto(f"{live_server}/backoffice/newcomers/{file_id}")
    assert page.locator("main form").count() > 0
    assert page.locator("main form").first.is_visible()  # on screen, the forms are there
    page.emulate_media(media="print")
    visible_forms = [f for f in page.locator("main form").all() if f.is_visible()]
    assert visible_forms == []
    assert [b for b in page.locator("main button").all() if b.is_visible()] == []
    assert not page.locator(".page-header").is_visible()
    assert page.locator("#details").is_visible()
    assert page.locator("#pip-heading").is_visible()
    assert page.locator("#history").is_visible()
    assert "Yonas" in page.locator("main h1").inner_text()
