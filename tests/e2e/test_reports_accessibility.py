"""axe-core (no serious or critical violation) on the pages of issue 10.

- The survey page /s/<token> on a 360 px phone in Somali and in Arabic (right to left): the numbers
  scale, the face scale, the page with its errors (sent empty), the thanks and the used link's page.
- The klantbeleving dashboard as a beleidsmedewerker: figures shown, every figure hidden (fewer than
  10 responses), and a filter refused (9999-12-31) with its message next to the field.
- The progress report as a klantmanager (figures that link to files, and the files behind one) and
  as a beleidsmedewerker (figures only).
- The monitor as a beleidsmedewerker: a region's measurable cohort with its chart and lead times,
  and a reference date refused (9999-12-31) with its message next to the field.
"""

from __future__ import annotations

import urllib.parse
from datetime import date

import pytest
from playwright.sync_api import expect

from app.models.types import local_today
from tests.app.reports.test_monitor import municipality, newcomer
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page
from tests.e2e.test_reports_e2e import OVERVIEW, add_responses, dashboard_url, obliged_cell, obliged_files
from tests.e2e.test_surveys_e2e import invite_after_route, language_school, survey_link


@pytest.mark.parametrize("language", ["so", "ar"])
def test_no_serious_accessibility_violations_on_the_survey_page(
    live_server, app, municipality_id, make_newcomer, new_phone, language
):
    person = make_newcomer(name="Hodan Warsame", language=language)
    invite_after_route(app, live_server, person, language_school(app, "Taalschool Westfriesland", municipality_id))
    link = survey_link(app, person.phone)
    page = new_phone(locale={"so": "so-SO", "ar": "ar"}[language])
    problems: list[str] = []

    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", language)
    if language == "ar":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    problems += serious_violations(page)  # the numbers scale

    page.locator("form.survey button[type=submit]").click()  # nothing chosen
    expect(page.locator("#mark-error")).to_be_visible()
    expect(page.locator("#heard-error")).to_be_visible()
    problems += serious_violations(page)  # the errors next to their questions

    page.goto(link + "?scale=faces")
    expect(page.locator(".faces")).to_be_visible()
    problems += serious_violations(page)  # the face scale
    page.locator('label[for="mark-face-4"]').click()
    page.locator("form.survey button[type=submit]").click()  # the closed questions left open
    expect(page.locator("#heard-error")).to_be_visible()
    expect(page.locator("#mark-face-4")).to_be_checked()  # what was chosen is kept
    problems += serious_violations(page)

    page.locator('input[name="heard"][value="no"]').check()
    page.locator('input[name="clear"][value="yes"]').check()
    page.locator("form.survey button[type=submit]").click()
    expect(page.locator("form.survey")).to_have_count(0)
    problems += serious_violations(page)  # the thanks
    page.goto(link)
    problems += serious_violations(page)  # the link no longer works
    assert problems == []


def test_no_serious_accessibility_violations_on_the_dashboard(live_server, app, browser, municipality_id, make_staff):
    north = language_school(app, "Taalschool Noord", municipality_id)
    west = language_school(app, "Taalschool West", municipality_id)
    add_responses(app, municipality_id, north, [8, 9, 7, 8, 6, 8, 9, 10, 7, 8, 8, 9])
    add_responses(app, municipality_id, west, [5, 6, 4, 7, 5, 6, 5, 3, 6, 5, 6])
    problems: list[str] = []
    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), problems, start=OVERVIEW)

    policy.goto(dashboard_url(live_server))
    expect(policy.locator("svg.chart-svg").first).to_be_visible()
    problems += serious_violations(policy)  # figures, charts and tables shown

    today = local_today()
    for by in ("language", "quarter"):
        query = urllib.parse.urlencode({"from": today.replace(day=1).isoformat(), "to": today.isoformat(), "by": by})
        policy.goto(f"{live_server}/reports/klantbeleving?{query}")
        expect(policy.locator("h1")).to_be_visible()
        problems += serious_violations(policy)  # other breakdowns, with cells hidden

    policy.goto(f"{live_server}/reports/klantbeleving?from=2026-01-01&to=9999-12-31")
    expect(policy.locator("#f-to-error")).to_be_visible()
    expect(policy.locator("#f-to")).to_have_attribute("aria-invalid", "true")
    problems += serious_violations(policy)  # a filter refused

    policy.goto(f"{live_server}/reports/klantbeleving?from=2000-01-01&to=2000-03-31")
    problems += serious_violations(policy)  # no responses in the period
    assert problems == []


def test_no_serious_accessibility_violations_on_the_dashboard_with_every_figure_hidden(
    live_server, app, browser, municipality_id, make_staff
):
    west = language_school(app, "Taalschool West", municipality_id)
    add_responses(app, municipality_id, west, [5] * 9)
    problems: list[str] = []
    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), problems, start=OVERVIEW)
    policy.goto(dashboard_url(live_server))
    expect(policy.locator("main [role=status]")).to_contain_text("fewer than 10 responses")
    assert "5.0" not in policy.locator("main").inner_text()
    problems += serious_violations(policy)
    assert problems == []


def test_no_serious_accessibility_violations_on_the_progress_report(
    live_server, app, browser, municipality_id, make_staff
):
    obliged_files(app, municipality_id, ["Hodan Warsame", "Faadumo Cali"])
    problems: list[str] = []
    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, make_staff(), problems)
    sanne.goto(f"{live_server}/reports/progress")
    problems += serious_violations(sanne)  # figures that link to their files
    obliged_cell(sanne).locator("a").click()
    expect(sanne.locator("main table tbody tr")).to_have_count(2)
    problems += serious_violations(sanne)  # the files behind a figure
    sanne.goto(f"{live_server}/reports/progress?start=2023-07-01&end=2023-01-01")
    expect(sanne.locator("#error-summary")).to_be_visible()
    problems += serious_violations(sanne)  # a period refused

    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), problems, start=OVERVIEW)
    policy.goto(f"{live_server}/reports/progress")
    expect(obliged_cell(policy)).to_have_text("2")
    problems += serious_violations(policy)  # figures only
    assert problems == []


def test_no_serious_accessibility_violations_on_the_monitor(live_server, app, browser, municipality_id, make_staff):
    municipality(app, "0405", "Westfriesland", min_cell=3)
    for met in (True, True, False):
        newcomer(
            app,
            municipality_id,
            pips=[(date(2022, 3, 15), "B")],
            obligation_met_on=date(2024, 1, 1) if met else None,
            duo_notified_on=date(2022, 1, 5),
        )
    problems: list[str] = []
    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), problems, start=OVERVIEW)
    policy.goto(f"{live_server}/reports/monitor?on=2025-06-01")
    expect(policy.locator("#kpis")).to_be_visible()
    expect(policy.locator("main")).to_contain_text("67%")  # two of three met: a figure, not a person
    expect(policy.locator("main svg[role=img]").first).to_be_attached()
    # the charts' styles (the data table beside each chart, the values' halo over the target line)
    expect(policy.locator("link[href*='reports.css']")).to_have_count(1)
    assert policy.locator(".chart").first.evaluate("e => getComputedStyle(e).display") == "flex"
    problems += serious_violations(policy)
    policy.goto(f"{live_server}/reports/monitor?on=9999-12-31")
    expect(policy.locator(".utrecht-form-field-error-message").first).to_be_visible()
    problems += serious_violations(policy)  # the refused date with its message
    assert problems == []
