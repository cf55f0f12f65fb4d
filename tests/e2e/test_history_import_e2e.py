"""The history import in Chromium: a klantmanager uploads two CSV files, the live server's worker
process runs the job, and the job page (refreshing itself) shows what was imported."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Newcomer, Pip
from tests.app.backoffice.test_history_import import FILES, PIPS
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page

pytestmark = pytest.mark.e2e


def test_a_history_import_runs_in_the_worker_and_reports_on_its_page(live_server, app, browser, make_staff):  # noqa: ANN001
    page = staff_page(browser)
    problems: list[str] = []
    sign_in_staff(page, live_server, make_staff(codes=("0405",)), problems)
    page.goto(f"{live_server}/backoffice/history-import")
    page.set_input_files('input[name="files"]', {"name": "files.csv", "mimeType": "text/csv", "buffer": FILES.encode()})
    page.set_input_files('input[name="pips"]', {"name": "pips.csv", "mimeType": "text/csv", "buffer": PIPS.encode()})
    page.locator('main button[name="do_import"]').click()
    expect(page).to_have_url(re.compile(r"/backoffice/history-import/\d+"))
    # The worker process takes the job; the page updates itself until it is done (the staff member reads English).
    expect(page.locator("main h2").first).to_have_text(re.compile("Imported"), timeout=30_000)
    rows = page.locator("main table tbody tr")
    expect(rows.filter(has_text="Files")).to_contain_text("3")  # three new files
    expect(rows.filter(has_text="PIP versions")).to_contain_text("2")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Newcomer)) == 3
        assert db.session.scalar(select(func.count()).select_from(Pip)) == 2
    assert problems == []
