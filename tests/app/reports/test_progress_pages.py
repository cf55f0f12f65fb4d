"""The progress report's pages: roles, tenancy, the period form, links to files, exports, query count."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from app.extensions import db
from app.models import Municipality
from app.models.partner import Partner, Region
from app.models.records import Complaint
from app.models.types import local_today
from app.reports.progress.queries import Mark
from app.reports.progress.report import suppressed
from tests.app.reports.progress_helpers import (
    counting_queries,
    person,
    pip,
    progress,
    responses,
    signed_in,
    westfriesland,
)
from tests.conftest import staff_sign_in

PARAMS = {"start": "2022-01-01", "end": "2023-07-01"}
FILE_LINK = re.compile(r'href="/backoffice/newcomers/\d+"')


def _setup(app: Flask) -> dict[str, int]:
    """Hoorn and Opmeer in region Westfriesland, Amsterdam elsewhere; a few files in each."""
    with app.app_context():
        places = westfriesland()
        hoorn, opmeer, amsterdam = places["hoorn"], places["opmeer"], places["amsterdam"]
        a = person(hoorn, name="Amal Al-Hassan", settled_on=date(2022, 8, 1))
        pip(a, 1, "Z", date(2022, 10, 1), social_guidance=True)
        progress(a, route_started_on=date(2022, 11, 1))
        person(opmeer, name="Yonas Tesfay")
        person(opmeer, name="Zahra Ahmadi")
        for _n in range(4):
            person(amsterdam, name="Secret Person")
        school = Partner(name='=HYPERLINK("http://x")', kind="language_school")
        school.municipalities = [db.session.get(Municipality, hoorn), db.session.get(Municipality, opmeer)]
        db.session.add(school)
        db.session.flush()
        # The smallest cell is 10: Hoorn 10 x 7 and 10 x 8, Opmeer 10 x 6, Amsterdam (not shown) 10 x 1.
        responses(hoorn, school.id, [7] * 10 + [8] * 10)
        responses(opmeer, school.id, [6] * 10)
        responses(amsterdam, school.id, [1] * 10)
        db.session.add(Complaint(municipality_id=amsterdam, subject="Amsterdam only", received_on=date(2023, 1, 1)))
        db.session.commit()
        return {"hoorn": hoorn, "opmeer": opmeer, "amsterdam": amsterdam, "partner": school.id}


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    return _setup(app)


@pytest.fixture
def policy(client: FlaskClient, make_staff: Callable, ids: dict[str, int]) -> FlaskClient:
    """A beleidsmedewerker of Hoorn and Opmeer."""
    return signed_in(client, make_staff, "beleidsmedewerker")


@pytest.fixture
def manager(client: FlaskClient, make_staff: Callable, ids: dict[str, int]) -> FlaskClient:
    """A klantmanager of Hoorn and Opmeer."""
    return signed_in(client, make_staff, "klantmanager")


def _cell(html: str, table: str, row_label: str) -> list[str]:
    """The cells (text) of one row of one table on the page."""
    section = html.split(f'id="t-{table}"', 1)[1].split("</section>", 1)[0]
    row = section.split(f'<th scope="row">{row_label}</th>', 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_policy_staff_see_figures_per_municipality_and_the_region_without_links(
    policy: FlaskClient, ids: dict[str, int], audit_log: Callable
) -> None:
    page = policy.get("/reports/progress", query_string=PARAMS)
    assert page.status_code == 200
    html = page.text
    assert "Westfriesland" in html
    assert _cell(html, "statushouders", "Number obliged to integrate") == ["1", "2", "3"]
    assert _cell(html, "statushouders", "Number housed") == ["1", "-", "1"]
    assert _cell(html, "klachten", "Official complaints about inburgering filed with the municipality") == [
        "-",
        "-",
        "-",
    ]
    marks = _cell(html, "klantbeleving", "=HYPERLINK(&#34;http://x&#34;) (Language school)")
    assert marks == ["7.5", "6.0", "7.0"]  # 150 / 20, 60 / 10, 210 / 30; Amsterdam's 1s are not in it
    assert "Amsterdam" not in html
    assert "Secret Person" not in html
    assert "Amal" not in html
    assert "/reports/progress/files" not in html
    assert audit_log(action="report.viewed")


def test_the_klantmanager_reaches_the_other_reports_from_the_progress_page(manager: FlaskClient) -> None:
    html = manager.get("/reports/progress", query_string=PARAMS).text
    nav = html.split('<nav class="report-nav', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="([^"?]+)', nav) == ["/reports/progress", "/reports/klantbeleving", "/reports/monitor"]
    assert re.search(r'href="/reports/progress"[^>]*aria-current="page"', nav)


def test_the_beleidsmedewerker_has_no_reports_menu_on_the_page(policy: FlaskClient) -> None:
    # As on the klantbeleving and monitor pages: _nav.html is the klantmanager's (the main menu links the reports).
    assert 'class="report-nav' not in policy.get("/reports/progress", query_string=PARAMS).text


def test_the_files_page_is_404_for_policy_staff(policy: FlaskClient) -> None:
    response = policy.get(
        "/reports/progress/files", query_string={**PARAMS, "table": "statushouders", "row": "obliged"}
    )
    assert response.status_code == 404


def test_a_klantmanager_opens_the_files_behind_a_figure(
    manager: FlaskClient, ids: dict[str, int], audit_log: Callable
) -> None:
    html = manager.get("/reports/progress", query_string=PARAMS).text
    links = re.findall(r'href="(/reports/progress/files\?[^"]+)"', html)
    assert links, "no figure links to its files"
    assert not any("0" == text for text in re.findall(r"files\?[^\"]+\">([^<]+)<", html))
    for link in links:
        listed = manager.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200
    one = next(link for link in links if "row=obliged" in link and "statushouders" in link and link.count("m=") == 2)
    page = manager.get(one.replace("&amp;", "&")).text
    assert "Amal Al-Hassan" in page
    assert "Yonas Tesfay" in page
    assert "Zahra Ahmadi" in page
    assert "Secret Person" not in page
    assert len(FILE_LINK.findall(page)) == 3
    assert audit_log(action="report.files_viewed")


def test_another_municipality_in_the_params_is_not_shown(manager: FlaskClient, ids: dict[str, int]) -> None:
    amsterdam = str(ids["amsterdam"])
    for path in ("/reports/progress", "/reports/progress.json", "/reports/progress.xlsx"):
        assert manager.get(path, query_string={**PARAMS, "m": amsterdam}).status_code == 404
        assert manager.get(path, query_string={**PARAMS, "m": [str(ids["hoorn"]), amsterdam]}).status_code == 404
    for bad in (str(2**31), "99999999999999", "-1", "abc", "1e3", "٣"):
        assert manager.get("/reports/progress", query_string={**PARAMS, "m": bad}).status_code == 404
    files = {**PARAMS, "table": "statushouders", "row": "obliged", "m": amsterdam}
    assert manager.get("/reports/progress/files", query_string=files).status_code == 404


def test_one_municipality_chosen(manager: FlaskClient, ids: dict[str, int]) -> None:
    html = manager.get("/reports/progress", query_string={**PARAMS, "m": str(ids["opmeer"])}).text
    assert _cell(html, "statushouders", "Number obliged to integrate") == ["2", "2"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("9999-12-31", "2023-07-01", "start"),
        ("2020-12-31", "2023-07-01", "start"),
        ("2022-01-01", "9999-12-31", "end"),
        ("2023-07-01", "2023-07-01", "end"),
        ("2023-07-02", "2023-07-01", "end"),
        ("2022-02-30", "2023-07-01", "start"),
        ("01-07-2023", "2023-07-01", "start"),
        ("<script>alert(1)</script>", "2023-07-01", "start"),
        ("2022-01-01\x00", "2023-07-01", None),
        ("２０２２-01-01", "2023-07-01", "start"),
    ],
)
def test_bad_dates_get_a_message_and_keep_what_was_typed(
    policy: FlaskClient, start: str, end: str, field: str | None
) -> None:
    response = policy.get("/reports/progress", query_string={"start": start, "end": end})
    if field is None:  # the control character is cleaned away: a good date
        assert response.status_code == 200
        return
    assert response.status_code == 422
    html = response.text
    assert f'id="{field}-error"' in html
    assert "<script>alert(1)</script>" not in html
    assert 'id="t-statushouders"' not in html
    if "script" in start:
        assert "&lt;script&gt;" in html
    assert policy.get("/reports/progress.json", query_string={"start": start, "end": end}).status_code == 400
    assert policy.get("/reports/progress.xlsx", query_string={"start": start, "end": end}).status_code == 400


def test_defaults_from_the_law_to_the_first_of_this_month(policy: FlaskClient) -> None:
    data = policy.get("/reports/progress.json").get_json()
    assert data["period"] == {"start": "2022-01-01", "end": local_today().replace(day=1).isoformat()}


def test_the_json_export_schema(policy: FlaskClient, ids: dict[str, int], audit_log: Callable) -> None:
    response = policy.get("/reports/progress.json", query_string=PARAMS)
    assert response.status_code == 200
    data = response.get_json()
    assert data["version"] == 1
    assert data["period"] == {"start": "2022-01-01", "end": "2023-07-01"}
    assert data["reference_date"] == "2023-06-30"
    assert [m["name"] for m in data["municipalities"]] == ["Hoorn", "Opmeer"]
    assert data["region"] == {"name": "Westfriesland"}
    tables = {t["id"]: t for t in data["tables"]}
    assert list(tables) == [
        "statushouders", "gezinsmigranten", "leerroute_statushouders", "leerroute_gezinsmigranten", "map", "pvt",
        "financieel_ontzorgen", "werk", "maatschappelijke_begeleiding", "klachten", "klantbeleving",
    ]  # fmt: skip
    obliged = next(r for r in tables["statushouders"]["rows"] if r["id"] == "obliged")
    assert obliged["cells"] == {str(ids["hoorn"]): 1, str(ids["opmeer"]): 2}
    assert obliged["region"] == 3
    z = next(r for r in tables["leerroute_statushouders"]["rows"] if r["id"] == "z_started")
    assert z["region"] == 1
    (partner,) = tables["klantbeleving"]["rows"]
    assert tables["klantbeleving"]["kind"] == "mean_mark"
    assert tables["klantbeleving"]["min_cell"] == 10
    assert partner["cells"][str(ids["hoorn"])] == {"mean": "7.5", "n": 20, "hidden": False}
    assert partner["region"] == {"mean": "7.0", "n": 30, "hidden": False}
    assert "Amal" not in response.text
    assert audit_log(action="report.exported")


def test_no_responses_is_no_mark_never_zero(policy: FlaskClient, ids: dict[str, int]) -> None:
    data = policy.get("/reports/progress.json", query_string={"start": "2021-01-01", "end": "2022-01-01"}).get_json()
    (partner,) = next(t for t in data["tables"] if t["id"] == "klantbeleving")["rows"]
    assert partner["region"] == {"mean": None, "n": 0, "hidden": False}
    html = policy.get("/reports/progress", query_string={"start": "2021-01-01", "end": "2022-01-01"}).text
    assert _cell(html, "klantbeleving", "=HYPERLINK(&#34;http://x&#34;) (Language school)") == ["no mark"] * 3


def test_the_xlsx_has_a_sheet_per_table_and_keeps_strings_strings(
    policy: FlaskClient, ids: dict[str, int], audit_log: Callable
) -> None:
    response = policy.get("/reports/progress.xlsx", query_string=PARAMS)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    assert len(book.sheetnames) == 11
    first = book.worksheets[0]
    assert [c.value for c in first[1]][1:] == ["Hoorn", "Opmeer", "Westfriesland"]
    obliged = next(row for row in first.iter_rows() if row[0].value == "Number obliged to integrate")
    assert [c.value for c in obliged[1:]] == [1, 2, 3]
    housed = next(row for row in first.iter_rows() if row[0].value == "Number housed")
    assert [c.value for c in housed[1:]] == [1, "-", 1]
    marks = book.worksheets[-1]
    partner = marks.cell(row=2, column=1)
    assert partner.value.startswith("=HYPERLINK")
    assert partner.data_type == "s"
    assert [c.value for c in marks[2]][1:] == [7.5, 6.0, 7.0]
    assert audit_log(action="report.exported")


def test_constant_query_count_whatever_the_data(app: Flask, policy: FlaskClient, ids: dict[str, int]) -> None:
    policy.get("/reports/progress", query_string=PARAMS)  # warm up
    with counting_queries(app) as few:
        assert policy.get("/reports/progress", query_string=PARAMS).status_code == 200
    with app.app_context():
        for n in range(30):
            p = person(ids["hoorn"] if n % 2 else ids["opmeer"], settled_on=date(2023, 1, 1))
            pip(p, 1, "BZO"[n % 3], date(2023, 1, 2), social_guidance=True)
            progress(p, route_started_on=date(2023, 2, 1), pvt_signed_on=date(2023, 3, 1))
            db.session.add(Partner(name=f"School {n}", kind="language_school"))
        db.session.commit()
    with counting_queries(app) as many:
        assert policy.get("/reports/progress", query_string=PARAMS).status_code == 200
    assert len(few) == len(many)
    assert len(few) <= 12


def test_roles_other_than_report_staff_get_404(client: FlaskClient, make_staff: Callable, ids: dict[str, int]) -> None:
    staff_sign_in(client, make_staff(role="beheerder", codes=("0405",)))
    for path in ("/reports/progress", "/reports/progress.json", "/reports/progress.xlsx", "/reports/progress/files"):
        assert client.get(path, query_string=PARAMS).status_code == 404


def test_anonymous_is_sent_away(client: FlaskClient, ids: dict[str, int]) -> None:
    for path in ("/reports/progress", "/reports/progress.json", "/reports/progress.xlsx"):
        assert client.get(path).status_code in (302, 401, 404)


def test_files_page_hostile_params(manager: FlaskClient, ids: dict[str, int]) -> None:
    for args in (
        {"table": "nope", "row": "obliged"},
        {"table": "statushouders", "row": "<script>"},
        {"table": "klantbeleving", "row": f"partner_{ids['partner']}"},
        {"table": "statushouders", "row": "obliged", "start": "9999-12-31"},
    ):
        assert manager.get("/reports/progress/files", query_string={**PARAMS, **args}).status_code == 404
    ok = {**PARAMS, "table": "statushouders", "row": "obliged"}
    for page in ("0", "-1", str(2**31), "abc", "10001"):
        assert manager.get("/reports/progress/files", query_string={**ok, "page": page}).status_code == 200
    far = manager.get("/reports/progress/files", query_string={**ok, "page": "9999"})
    assert far.status_code == 200
    assert "No files behind this figure." in far.text


def test_files_page_paginates(app: Flask, manager: FlaskClient, ids: dict[str, int]) -> None:
    with app.app_context():
        for n in range(55):
            person(ids["hoorn"], name=f"Person {n:02d}")
        db.session.commit()
    ok = {**PARAMS, "table": "statushouders", "row": "obliged", "m": str(ids["hoorn"])}
    first = manager.get("/reports/progress/files", query_string=ok).text
    second = manager.get("/reports/progress/files", query_string={**ok, "page": "2"}).text
    assert len(FILE_LINK.findall(first)) == 50
    assert len(FILE_LINK.findall(second)) == 6
    assert "Next page" in first
    assert "Next page" not in second
    assert "Previous page" in second


def test_a_mark_is_rounded_half_up(app: Flask, policy: FlaskClient, ids: dict[str, int]) -> None:
    with app.app_context():
        # Hoorn: 150 + 20 x 7 = 290 over 40 = 7.25 exactly -> 7.3 (half even, and float's round(), give 7.2);
        # the region: (290 + 60) / 50 = 7.0.
        responses(ids["hoorn"], ids["partner"], [7] * 20, answered_on=date(2023, 6, 30))
        db.session.commit()
    data = policy.get("/reports/progress.json", query_string=PARAMS).get_json()
    (partner,) = next(t for t in data["tables"] if t["id"] == "klantbeleving")["rows"]
    assert Decimal(290) / Decimal(40) == Decimal("7.25")
    assert partner["cells"][str(ids["hoorn"])] == {"mean": "7.3", "n": 40, "hidden": False}
    assert partner["region"]["mean"] == "7.0"


SPRING_2024 = {"start": "2024-01-01", "end": "2024-07-01"}
"""A period without the fixture's responses: each hiding test gives its own."""
MARK_ROW = "=HYPERLINK(&#34;http://x&#34;) (Language school)"


def _marks_everywhere(client: FlaskClient, ids: dict[str, int], query: dict) -> tuple[list, dict, list]:
    """The partner's marks as the page, the JSON and the XLSX show them: Hoorn, Opmeer, the region."""
    html = client.get("/reports/progress", query_string=query).text
    data = client.get("/reports/progress.json", query_string=query).get_json()
    (row,) = next(t for t in data["tables"] if t["id"] == "klantbeleving")["rows"]
    cells = [row["cells"][str(ids["hoorn"])], row["cells"][str(ids["opmeer"])], row["region"]]
    sheet = load_workbook(BytesIO(client.get("/reports/progress.xlsx", query_string=query).data)).worksheets[-1]
    return _cell(html, "klantbeleving", MARK_ROW), {"cells": cells, "html": html}, [c.value for c in sheet[2]][1:]


HIDDEN = {"mean": None, "n": None, "hidden": True}


def test_a_mark_over_fewer_responses_than_the_smallest_cell_is_not_shown_nor_its_complement(
    app: Flask, policy: FlaskClient, ids: dict[str, int]
) -> None:
    with app.app_context():
        responses(ids["hoorn"], ids["partner"], [2, 3, 4], answered_on=date(2024, 2, 1))  # 3 < 10: primary
        responses(ids["opmeer"], ids["partner"], [8] * 12, answered_on=date(2024, 2, 1))  # would give Hoorn away
        db.session.commit()
    page, data, sheet = _marks_everywhere(policy, ids, SPRING_2024)
    # Opmeer is hidden too: the region (15) minus Opmeer (12) would be Hoorn's three answers.
    assert page == ["not shown", "not shown", "7.0"]  # (9 + 96) / 15
    assert data["cells"] == [HIDDEN, HIDDEN, {"mean": "7.0", "n": 15, "hidden": False}]
    assert sheet == ["not shown", "not shown", 7.0]
    assert "“Not shown”: a figure from fewer than 10 responses" in data["html"]
    book = load_workbook(BytesIO(policy.get("/reports/progress.xlsx", query_string=SPRING_2024).data))
    legend = [c.value for row in book.worksheets[-1].iter_rows() for c in row if c.value]
    assert any(str(v).startswith("“Not shown”: a figure from fewer than 10 responses") for v in legend)


def test_a_small_region_hides_its_municipality_and_itself_and_an_empty_one_stays_no_mark(
    app: Flask, policy: FlaskClient, ids: dict[str, int]
) -> None:
    with app.app_context():
        responses(ids["hoorn"], ids["partner"], [1, 9], answered_on=date(2024, 3, 1))
        db.session.commit()
    page, data, sheet = _marks_everywhere(policy, ids, SPRING_2024)
    assert page == ["not shown", "no mark", "not shown"]
    assert data["cells"] == [HIDDEN, {"mean": None, "n": 0, "hidden": False}, HIDDEN]
    assert sheet == ["not shown", "no mark", "not shown"]
    assert not re.search(r"<td>\s*[1-9](?:[.,]\d)?\s*</td>", data["html"].split('id="t-klantbeleving"', 1)[1])


def test_the_smallest_cell_is_the_regions_own(app: Flask, policy: FlaskClient, ids: dict[str, int]) -> None:
    with app.app_context():
        db.session.scalar(db.select(Region)).min_cell = 20
        responses(ids["hoorn"], ids["partner"], [6] * 15, answered_on=date(2024, 2, 1))  # 15 < 20
        responses(ids["opmeer"], ids["partner"], [9] * 25, answered_on=date(2024, 2, 1))
        db.session.commit()
    page, data, _sheet = _marks_everywhere(policy, ids, SPRING_2024)
    assert page == ["not shown", "not shown", "7.9"]  # (90 + 225) / 40 = 7.875
    assert data["cells"][:2] == [HIDDEN, HIDDEN]
    assert "“Not shown”: a figure from fewer than 20 responses" in data["html"]


def test_the_secondary_cell_is_the_smallest_that_protects_the_primary() -> None:
    marks = {1: Mark(9, 3), 2: Mark(96, 12), 3: Mark(300, 30), 4: Mark(0, 0)}
    region = Mark(405, 45)
    shown, total = suppressed(marks, region, 10)
    # 1 is under 10; hiding 2 (the smallest with responses) makes the hidden pair 15 >= 10: enough.
    assert [shown[m].hidden for m in (1, 2, 3, 4)] == [True, True, False, False]
    assert not total.hidden
    assert [shown[m].mean for m in (1, 2, 3, 4)] == [None, None, Decimal("10.0"), None]
    assert total.mean == Decimal("9.0")
    shown, total = suppressed({1: Mark(9, 3), 2: Mark(20, 4), 3: Mark(300, 30)}, Mark(329, 37), 10)
    # Two primary cells of 3 + 4 = 7 responses: the region minus the third would be a small cell of 7,
    # so the third is hidden too; the region (37 responses) stays.
    assert [shown[m].hidden for m in (1, 2, 3)] == [True, True, True]
    assert not total.hidden


def test_enough_responses_everywhere_hides_nothing(app: Flask, policy: FlaskClient, ids: dict[str, int]) -> None:
    with app.app_context():
        responses(ids["hoorn"], ids["partner"], [6] * 10, answered_on=date(2024, 2, 1))
        responses(ids["opmeer"], ids["partner"], [9] * 10, answered_on=date(2024, 2, 1))
        db.session.commit()
    page, data, sheet = _marks_everywhere(policy, ids, SPRING_2024)
    assert page == ["6.0", "9.0", "7.5"]
    assert [c["hidden"] for c in data["cells"]] == [False, False, False]
    assert sheet == [6.0, 9.0, 7.5]


def test_the_files_page_runs_a_constant_number_of_queries(
    app: Flask, manager: FlaskClient, ids: dict[str, int]
) -> None:
    ok = {**PARAMS, "table": "statushouders", "row": "housed"}
    with app.app_context():
        from app.models.records import HouseholdMember

        grandfather_of = person(ids["hoorn"], duo_notified_on=None)
        db.session.add(
            HouseholdMember(
                municipality_id=ids["hoorn"], newcomer_id=grandfather_of.id, kind="elderly", housed_on=date(2022, 3, 1)
            )
        )
        db.session.commit()
    manager.get("/reports/progress/files", query_string=ok)
    with counting_queries(app) as few:
        assert manager.get("/reports/progress/files", query_string=ok).status_code == 200
    with app.app_context():
        from app.models.records import HouseholdMember

        for n in range(20):
            p = person(ids["hoorn"], settled_on=date(2023, 1, 1))
            db.session.add(
                HouseholdMember(
                    municipality_id=ids["opmeer"], newcomer_id=p.id, kind="child", housed_on=date(2023, n % 6 + 1, 1)
                )
            )
        db.session.commit()
    with counting_queries(app) as many:
        page = manager.get("/reports/progress/files", query_string=ok)
    assert page.status_code == 200
    assert "Household member: Child, housed on 2023-01-01" in page.text
    assert len(few) == len(many)


def test_staff_without_municipalities_see_an_empty_report(
    client: FlaskClient, make_staff: Callable, ids: dict[str, int]
) -> None:
    staff_sign_in(client, make_staff(role="beleidsmedewerker", codes=()))
    page = client.get("/reports/progress", query_string=PARAMS)
    assert page.status_code == 200
    assert "Hoorn" not in page.text
    data = client.get("/reports/progress.json", query_string=PARAMS).get_json()
    assert data["municipalities"] == []
    assert client.get("/reports/progress", query_string={**PARAMS, "m": str(ids["hoorn"])}).status_code == 404


def test_the_page_in_dutch(app: Flask, client: FlaskClient, make_staff: Callable, ids: dict[str, int]) -> None:
    login = make_staff(role="klantmanager", codes=("0405", "0441"))
    with app.app_context():
        from app.models import Staff

        db.session.get(Staff, login.id).language = "nl"
        db.session.commit()
    staff_sign_in(client, login)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    page = client.get("/reports/progress", query_string=PARAMS)
    assert page.status_code == 200
    assert '<html lang="nl"' in page.text
    assert client.get("/reports/progress", query_string={"start": "31-12-2022"}).status_code == 422
    assert client.get("/reports/progress.xlsx", query_string=PARAMS).status_code == 200
