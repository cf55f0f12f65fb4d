"""The klantmanager's day in a real Chromium: 150 files across two klantmanagers, the today page's
counts, its links to the caseload, a bulk reassignment, and axe on the today page and the caseload."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import insert, select

from app.extensions import db
from app.models import Filling, Invitation, Municipality, Newcomer
from app.models.types import local_today, utcnow
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page


def caseload_of_150(app, sanne_id: int, peter_id: int) -> dict[str, dict[str, int]]:  # noqa: ANN001
    """150 files, every fifth Peter's, spread over the queues; what each queue should count, per person."""
    now, today = utcnow(), local_today()
    expected = {who: {"review": 0, "returned_stale": 0, "deadline": 0, "not_opened": 0} for who in ("sanne", "peter")}
    with app.app_context():
        hoorn = db.session.scalar(select(Municipality.id).where(Municipality.code == "0405"))
        rows, intakes, invitations = [], [], []
        for n in range(150):
            who = "peter" if n % 5 == 0 else "sanne"
            kind = n % 6  # 0 review, 1 returned long ago, 2 returned lately, 3 due soon, 4 unopened, 5 opened
            status = {0: "intake_submitted", 1: "returned", 2: "returned", 3: "intake_approved"}.get(kind, "invited")
            deadline = today + timedelta(days=10 if kind == 3 else 40)
            rows.append(
                {
                    "name": f"Nieuwkomer {n:03d}",
                    "phone": f"+3161200{n:04d}",
                    "municipality_id": hoorn,
                    "language": "nl",
                    "doelgroep": "statushouder",
                    "status": status,
                    "pip_deadline_on": deadline,
                    "klantmanager_id": peter_id if who == "peter" else sanne_id,
                    "created_at": now - timedelta(days=20),
                    "updated_at": now,
                }
            )
            queue = {0: "review", 1: "returned_stale", 3: "deadline", 4: "not_opened"}.get(kind)
            if queue:
                expected[who][queue] += 1
        db.session.execute(insert(Newcomer), rows)
        ids = dict(db.session.execute(select(Newcomer.name, Newcomer.id)).all())
        for n in range(150):
            kind, file_id = n % 6, ids[f"Nieuwkomer {n:03d}"]
            if kind in (0, 1, 2):
                returned_days = 9 if kind == 1 else 2
                intakes.append(
                    {
                        "newcomer_id": file_id,
                        "municipality_id": hoorn,
                        "workflow_id": "brede_intake",
                        "workflow_version": 1,
                        "locale": "nl",
                        "answers": {},
                        "completed_steps": [],
                        "channel": "web",
                        "status": "submitted" if kind == 0 else "returned",
                        "started_at": now - timedelta(days=15),
                        "updated_at": now - timedelta(days=returned_days),
                        "submitted_at": now - timedelta(days=n % 11 + 1),
                        "reviewed_at": None if kind == 0 else now - timedelta(days=returned_days),
                    }
                )
            if kind in (4, 5):
                sent = now - timedelta(days=10)
                invitations.append(
                    {
                        "newcomer_id": file_id,
                        "created_at": sent,
                        "expires_at": sent + timedelta(days=7),
                        "used_at": sent + timedelta(hours=2) if kind == 5 else None,
                    }
                )
        db.session.execute(insert(Filling), intakes)
        db.session.execute(insert(Invitation), invitations)
        db.session.commit()
    return expected


def shown_counts(page) -> dict[str, int]:  # noqa: ANN001
    counts = {}
    for section in page.locator("section.today-queue").all():
        counts[section.get_attribute("id")] = int(section.locator(".today-count").get_attribute("data-count"))
    return counts


def test_the_today_page_counts_a_caseload_of_150_and_links_to_exactly_those_files(
    live_server, app, browser, make_staff
):
    problems: list[str] = []
    sanne_login, peter_login = make_staff(), make_staff()
    expected = caseload_of_150(app, sanne_login.id, peter_login.id)
    assert sum(expected["sanne"].values()) + sum(expected["peter"].values()) == 100  # 4 queues of 25 files

    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, sanne_login, problems)
    expect(sanne.locator("h1")).to_have_text(re.compile("Today|Vandaag"))
    assert shown_counts(sanne) == expected["sanne"]
    problems += serious_violations(sanne)
    review = sanne.locator("#review li")
    expect(review).to_have_count(5)

    team = {q: expected["sanne"][q] + expected["peter"][q] for q in expected["sanne"]}
    sanne.locator('.caseload-scope a[href$="klantmanager=all"]').click()
    expect(sanne).to_have_url(re.compile(r"/backoffice/today\?klantmanager=all$"))
    assert shown_counts(sanne) == team
    problems += serious_violations(sanne)

    # Each queue's link shows exactly its files in the caseload.
    sanne.goto(f"{live_server}/backoffice/today")
    sanne.locator("#not_opened a[href*='queue=not_opened']").click()
    expect(sanne).to_have_url(re.compile(r"/backoffice/caseload\?queue=not_opened$"))
    expect(sanne.locator("main [role=status]").first).to_contain_text(str(expected["sanne"]["not_opened"]))
    expect(sanne.locator("tbody tr")).to_have_count(expected["sanne"]["not_opened"])
    problems += serious_violations(sanne)

    # Peter leaves: his files go to Sanne in one go.
    sanne.goto(f"{live_server}/backoffice/caseload?klantmanager={peter_login.id}&per_page=50")
    expect(sanne.locator("main [role=status]").first).to_contain_text("30")
    for box in sanne.locator("input.row-check").all():
        box.check()
    sanne.select_option("#assign-to", str(sanne_login.id))
    sanne.locator('button[name="action"][value="assign"]').click()
    expect(sanne.locator(".utrecht-alert").first).to_contain_text("30")
    expect(sanne.locator("tbody tr")).to_have_count(0)  # Peter has no files left
    problems += serious_violations(sanne)  # the caseload, with a message
    sanne.goto(f"{live_server}/backoffice/today")
    expect(sanne.locator("#review .today-count")).to_have_attribute("data-count", str(team["review"]))
    assert shown_counts(sanne) == team  # all of the team's files are Sanne's now

    # An empty selection is a message next to the rows, not an error page.
    sanne.goto(f"{live_server}/backoffice/caseload")
    sanne.locator('button[name="action"][value="invite"]').click()
    expect(sanne.locator("#selected-error")).to_be_visible()
    problems += serious_violations(sanne)
    assert problems == []
