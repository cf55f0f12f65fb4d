"""The reports in Chromium, through the real staff sign-in (password, TOTP, recovery codes, new password).

1. The klantbeleving dashboard as a beleidsmedewerker: three language schools, one with 9 responses
   (its row is "not shown", the page says why: fewer than 10), then the 10th answered by SMS
   replies through the real worker, after which the row shows its mean; the SVG charts are images
   with a title; in print the tables show and the filters do not; no person's name on the page.
2. The progress report: a klantmanager's figure links to the files behind it (the list names
   them); a beleidsmedewerker sees the figures without any link, and the files page is a 404.

Staff read English here (make_staff sets their language), so the source strings are asserted.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import date, timedelta

from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Newcomer
from app.models.partner import LANGUAGE_SCHOOL
from app.models.survey import SurveyResponse
from app.models.types import local_today
from app.reports.klantbeleving.queries import quarter_start
from app.surveys.services import quarter_of
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page
from tests.e2e.test_conversation_e2e import twilio_token  # noqa: F401 - a fixture
from tests.e2e.test_surveys_e2e import (
    SHOTS,
    answer_by_sms,
    invite_after_route,
    language_school,
    responses_of,
    survey_link,
)

OVERVIEW = "/backoffice/overview"


def add_responses(app: Flask, municipality_id: int, partner_id: int, marks: list[int]) -> None:
    """Answered surveys for ``partner_id`` today, as the survey flows write them (their invitations
    long erased: ``invitation_id`` empty, the figures stay)."""
    today = local_today()
    with app.app_context():
        for i, mark in enumerate(marks):
            db.session.add(
                SurveyResponse(
                    municipality_id=municipality_id,
                    survey_id="survey_language_school",
                    partner_id=partner_id,
                    partner_kind=LANGUAGE_SCHOOL,
                    trigger="route_end",
                    mark=mark,
                    heard=3,
                    clear=2,
                    channel="web" if i % 2 else "sms",
                    language="so" if i % 3 else "ar",
                    doelgroep="statushouder",
                    leerroute="B",
                    answered_on=today,
                    quarter=quarter_of(today),
                )
            )
        db.session.commit()


def dashboard_url(base: str) -> str:
    """The dashboard by partner over this quarter up to today (the default period is the last four
    full quarters, which leaves out today's answers)."""
    today = local_today()
    query = urllib.parse.urlencode({"from": quarter_start(today).isoformat(), "to": today.isoformat(), "by": "partner"})
    return f"{base}/reports/klantbeleving?{query}"


def segment_cells(page: Page, label: str) -> list[str]:
    """The cells of a partner's row in the table by partner: mean, interval, responses, rate, flag."""
    row = page.locator("table.report-table").first.locator("tbody tr", has=page.locator(f'th:text-is("{label}")'))
    expect(row).to_have_count(1)
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_the_dashboard_hides_a_partner_with_9_responses_and_shows_it_after_the_10th(
    twilio_token,  # noqa: F811
    live_server,
    app,
    browser,
    municipality_id,
    make_staff,
    make_newcomer,
):
    north = language_school(app, "Taalschool Noord", municipality_id)
    east = language_school(app, "Taalschool Oost", municipality_id)
    west = language_school(app, "Taalschool West", municipality_id)
    add_responses(app, municipality_id, north, [8] * 12)
    add_responses(app, municipality_id, east, [7] * 11)
    add_responses(app, municipality_id, west, [5] * 9)

    problems: list[str] = []
    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), problems, start=OVERVIEW)
    assert problems == []
    policy.goto(dashboard_url(live_server))
    expect(policy.locator("h1")).to_have_text("Klantbeleving")

    west_cells = segment_cells(policy, "Taalschool West")
    assert west_cells[:3] == ["not shown"] * 3
    assert "5" not in " ".join(west_cells)
    assert "fewer than 10 responses" in policy.locator("main").inner_text()
    assert segment_cells(policy, "Taalschool Noord")[0] == "8.0"
    # One hidden row could be worked out from the total and the others: a second is hidden with it.
    assert segment_cells(policy, "Taalschool Oost")[0] == "not shown"
    hidden_note = policy.locator("#h-by ~ p.report-note").first
    expect(hidden_note).to_contain_text("2 rows are hidden")
    policy.screenshot(path=f"{SHOTS}/dashboard-9-responses.png", full_page=True)

    # The 10th response for West: Yusuf answers its survey by SMS.
    yusuf = make_newcomer(name="Yusuf Cabdi", language="so")
    invite_after_route(app, live_server, yusuf, west)
    answer_by_sms(app, live_server, yusuf, ["10", "3", "3", "0"])
    assert [r.channel for r in responses_of(app, west)].count("sms") >= 1
    assert len(responses_of(app, west)) == 10

    policy.reload()
    west_cells = segment_cells(policy, "Taalschool West")
    assert west_cells[0] == "5.5 (below target)"  # (9 x 5 + 10) / 10, against the target 7
    assert west_cells[2] == "10"
    assert segment_cells(policy, "Taalschool Oost")[0] == "7.0"
    assert segment_cells(policy, "Taalschool Noord")[0] == "8.0"
    expect(policy.locator("#h-by ~ p.report-note", has_text="hidden")).to_have_count(0)
    main = policy.locator("main").inner_text()
    assert "Yusuf" not in main
    assert "Cabdi" not in main
    assert policy.locator('a[href*="/backoffice/newcomers/"]').count() == 0

    # The charts: images with a title, and the figures beside them.
    charts = policy.locator("svg.chart-svg")
    assert charts.count() >= 3  # the marks given, the means by partner, the trend
    for chart in charts.all():
        assert chart.get_attribute("role") == "img"
        title = chart.locator("title")
        expect(title).to_have_count(1)
        assert title.text_content().strip()
        assert chart.get_attribute("aria-labelledby")
    bars = policy.locator("figure", has=policy.locator("svg.chart-svg title", has_text="Mean mark by partner"))
    expect(bars.locator("table")).to_contain_text("Taalschool West")
    policy.screenshot(path=f"{SHOTS}/dashboard-10-responses.png", full_page=True)

    # Print: the tables, not the filters.
    policy.emulate_media(media="print")
    for table in policy.locator("table.report-table").all():
        expect(table).to_be_visible()
    expect(policy.locator("form.report-filters")).to_be_hidden()
    policy.pdf(path=f"{SHOTS}/dashboard-print.pdf")
    policy.emulate_media(media="screen")

    # At 360 px the page does not scroll sideways (wide tables scroll in their own box).
    policy.set_viewport_size({"width": 360, "height": 740})
    policy.reload()
    policy.screenshot(path=f"{SHOTS}/dashboard-360.png", full_page=True)
    for section in ("h-total", "h-by", "h-trend"):
        policy.locator(f'section[aria-labelledby="{section}"]').screenshot(path=f"{SHOTS}/dashboard-360-{section}.png")
    overflow = policy.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the dashboard scrolls sideways by {overflow} px at 360 px"


def obliged_files(app: Flask, municipality_id: int, names: list[str]) -> list[int]:
    """Statushouders with a DUO notice in 2024 (inside the report's default period); their ids."""
    with app.app_context():
        rows = [
            Newcomer(
                name=name,
                phone=f"+3161234{i:04d}",
                municipality_id=municipality_id,
                language="so",
                doelgroep="statushouder",
                duo_notified_on=date(2024, 3, 1) + timedelta(days=i),
            )
            for i, name in enumerate(names)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def obliged_cell(page: Page):  # noqa: ANN201 - a Locator
    """Hoorn's cell of "Number obliged to integrate" in the statushouders table."""
    table = page.locator("section", has=page.locator("h2#t-statushouders")).locator("table")
    row = table.locator("tbody tr", has=page.locator('th:text-is("Number obliged to integrate")'))
    return row.locator("td").first


def test_the_progress_report_links_a_figure_to_its_files_for_the_klantmanager_only(
    live_server, app, browser, municipality_id, make_staff
):
    ids = obliged_files(app, municipality_id, ["Hodan Warsame", "Faadumo Cali"])
    problems: list[str] = []

    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, make_staff(), problems)
    sanne.goto(f"{live_server}/reports/progress")
    expect(sanne.locator("h1")).to_have_text("Progress report")
    cell = obliged_cell(sanne)
    expect(cell).to_have_text("2")
    link = cell.locator("a")
    expect(link).to_have_count(1)
    expect(sanne.locator("main")).to_contain_text("Each figure links to the files behind it.")
    link.click()
    expect(sanne).to_have_url(re.compile(r"/reports/progress/files\?"))
    expect(sanne.locator("h1")).to_contain_text("Number obliged to integrate")
    listed = sanne.locator("main table tbody tr")
    expect(listed).to_have_count(2)
    expect(sanne.locator("main table")).to_contain_text("Hodan Warsame")
    expect(sanne.locator("main table")).to_contain_text("Faadumo Cali")
    hrefs = {a.get_attribute("href") for a in sanne.locator("main table a").all()}
    assert hrefs == {f"/backoffice/newcomers/{i}" for i in ids}
    files_url = sanne.url
    assert "Hodan" not in files_url  # no person in the URL

    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), problems, start=OVERVIEW)
    policy.goto(f"{live_server}/reports/progress")
    expect(obliged_cell(policy)).to_have_text("2")
    assert policy.locator('main a[href*="/reports/progress/files"]').count() == 0
    assert policy.locator('main a[href*="/backoffice/newcomers/"]').count() == 0
    assert "Each figure links" not in policy.locator("main").inner_text()
    answer = policy.goto(files_url)
    assert answer is not None
    assert answer.status == 404
    assert "Hodan" not in policy.content()
    assert problems == []


def percent(text: str) -> float | None:
    """ "1,000 %" -> 1000.0; None for "–" or an empty cell."""
    digits = re.sub(r"[^\d.]", "", text.replace(",", ""))
    return float(digits) if digits else None


def test_the_response_rate_is_never_above_100_percent(
    live_server, app, browser, municipality_id, make_staff, make_newcomer
):
    west = language_school(app, "Taalschool West", municipality_id)
    add_responses(app, municipality_id, west, [6] * 11)  # answered; their files erased since
    invite_after_route(app, live_server, make_newcomer(name="Yusuf Cabdi", language="so"), west)  # open
    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), [], start=OVERVIEW)
    policy.goto(dashboard_url(live_server))
    expect(policy.locator("h1")).to_have_text("Klantbeleving")
    rates = [percent(segment_cells(policy, "Taalschool West")[3])]
    rates.append(percent(policy.locator("dl.report-summary dd").nth(3).inner_text()))
    assert [r for r in rates if r is not None and r > 100] == []


OVERLAPPING_TEXT = """svg => {
  const boxes = [...svg.querySelectorAll("text")].map(t => [t.textContent.trim(), t.getBoundingClientRect()])
    .filter(([s, r]) => s && r.width > 0);
  const found = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    const apart = p.right - 1 <= q.left || q.right - 1 <= p.left || p.bottom - 1 <= q.top || q.bottom - 1 <= p.top;
    if (!apart) found.push(a + " / " + b);
  }));
  return found;
}"""


def test_the_trend_chart_labels_do_not_overlap(live_server, app, browser, municipality_id, make_staff):
    for name, marks in (("Taalschool Noord", [8] * 12), ("Taalschool Oost", [7] * 11), ("Taalschool West", [5] * 10)):
        add_responses(app, municipality_id, language_school(app, name, municipality_id), marks)
    policy = staff_page(browser)
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), [], start=OVERVIEW)
    policy.goto(dashboard_url(live_server))
    trend = policy.locator('section[aria-labelledby="h-trend"] svg.chart-svg')
    expect(trend).to_have_count(1)
    trend.screenshot(path=f"{SHOTS}/dashboard-trend.png")
    assert trend.evaluate(OVERLAPPING_TEXT) == []


def test_a_comment_typed_on_the_web_reaches_the_dashboard_scrubbed_and_escaped(
    live_server, app, browser, municipality_id, make_staff, make_newcomer, new_phone
):
    west = language_school(app, "Taalschool West", municipality_id)
    add_responses(app, municipality_id, west, [7] * 9)
    hodan = make_newcomer(name="Hodan Warsame", language="so")
    invite_after_route(app, live_server, hodan, west)
    phone = new_phone(locale="so-SO")
    phone.goto(survey_link(app, hodan.phone))
    phone.locator('input[name="mark"][value="9"]').check()
    phone.locator('input[name="heard"][value="yes"]').check()
    phone.locator('input[name="clear"][value="yes"]').check()
    typed = '<script>alert("x")</script> Hodan, bel 06 1234 5678\u202e of hodan@example.nl. Macallin fiican!'
    phone.locator("#comment").fill(typed)
    phone.locator("form.survey button[type=submit]").click()
    expect(phone.locator("form.survey")).to_have_count(0)
    [answer] = [r for r in responses_of(app, west) if r.channel == "web" and r.comment]
    assert "Hodan" not in answer.comment
    assert "5678" not in answer.comment
    assert "hodan@example.nl" not in answer.comment
    assert "\u202e" not in answer.comment  # no bidi override kept

    policy = staff_page(browser)
    dialogs: list[str] = []
    policy.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_staff(policy, live_server, make_staff(role="beleidsmedewerker"), [], start=OVERVIEW)
    policy.goto(dashboard_url(live_server))
    assert segment_cells(policy, "Taalschool West")[0] == "7.2"  # (9 x 7 + 9) / 10
    comments = policy.locator("ol.report-comments li")
    expect(comments).to_have_count(1)
    text = comments.inner_text()
    assert "Macallin fiican!" in text
    assert '<script>alert("x")</script>' in text  # shown as text, never run
    assert "Hodan" not in text
    assert "5678" not in text
    assert "hodan@example.nl" not in text
    assert policy.locator("ol.report-comments script").count() == 0
    expect(comments.locator("p[dir=auto]")).to_have_attribute("lang", "so")
    assert dialogs == []
