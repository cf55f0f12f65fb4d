"""axe-core on the staff pages the journey test does not pass: administration, import, export, erase."""

from __future__ import annotations

import re

from tests.app.backoffice.test_casefiles import make_file
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page


def test_admin_pages_have_no_serious_violations(live_server, app, browser, make_staff):
    problems: list[str] = []
    beheer = staff_page(browser)
    login = make_staff(role="beheerder", codes=())
    sign_in_staff(beheer, live_server, login, problems, start="/admin/staff")
    for path in (
        "/admin/staff",
        "/admin/staff/new",
        f"/admin/staff/{login.id}",
        "/admin/municipalities",
        "/admin/audit",
        "/admin/audit?result=failed",
    ):
        beheer.goto(live_server + path)
        problems += serious_violations(beheer)
    beheer.goto(f"{live_server}/admin/staff/new")
    beheer.locator("main form button[type=submit]").first.click()  # a form with errors
    problems += serious_violations(beheer)
    assert problems == []


def test_import_and_privacy_pages_have_no_serious_violations(live_server, app, browser, make_staff):
    problems: list[str] = []
    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, make_staff(), problems)
    file_id = make_file(app, name="Zahra Ahmadi", phone="+31612345603")
    for path in (
        "/backoffice/import",
        f"/backoffice/newcomers/{file_id}/export",
        f"/backoffice/newcomers/{file_id}/erase",
        f"/backoffice/newcomers/{file_id}/pip",
    ):
        sanne.goto(live_server + path)
        assert not re.search(r"/staff/login", sanne.url)
        problems += serious_violations(sanne)
    assert problems == []
