"""Outside tests of the reports and their admin pages, as an attacker or a new user would use them:
tenancy in every sibling of a page (its JSON, XLSX and files list), hostile periods and ids, scripts
in partner names and complaint subjects, spreadsheet cells that would run, and figures over so few
people that a beleidsmedewerker reads one person's answer or process in them.

A defect is a strict xfail naming it (it passes once fixed); a defence that holds is a plain test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Municipality
from app.models.partner import DEFAULT_MIN_CELL, Partner, Region
from app.models.records import Complaint
from tests.app.reports.progress_helpers import (
    municipality,
    person,
    pip,
    progress,
    response,
    signed_in,
    westfriesland,
    xlsx_text,
)
from tests.conftest import csrf_token, drain_outbox, staff_sign_in

PARAMS = {"start": "2022-01-01", "end": "2023-07-01"}
PROGRESS = ("/reports/progress", "/reports/progress.json", "/reports/progress.xlsx")
FILES = "/reports/progress/files"
NASTY_NAMES = [
    '=HYPERLINK("http://evil.example","klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    """Hoorn and Opmeer in Westfriesland (smallest cell: the default), Amsterdam outside; a few files each."""
    with app.app_context():
        places = westfriesland()
        hoorn, opmeer, amsterdam = places["hoorn"], places["opmeer"], places["amsterdam"]
        amal = person(hoorn, name="Amal Al-Hassan", settled_on=date(2022, 8, 1))
        pip(amal, 1, "Z", date(2022, 10, 1), social_guidance=True)
        progress(amal, route_started_on=date(2022, 11, 1))
        person(opmeer, name="Yonas Tesfay")
        for _ in range(3):
            person(amsterdam, name="Geheim Amsterdammer")
        school = Partner(name="<script>alert('school')</script>", kind="language_school")
        school.municipalities = [db.session.get(Municipality, hoorn), db.session.get(Municipality, opmeer)]
        db.session.add(school)
        db.session.flush()
        for mid, mark in ((hoorn, 3), (hoorn, 9), (opmeer, 2), (amsterdam, 1)):
            response(mid, school.id, mark)
        db.session.add(
            Complaint(
                municipality_id=hoorn,
                newcomer_id=amal.id,
                subject="<img src=x onerror=alert('klacht')> wachttijd",
                received_on=date(2023, 1, 10),
            )
        )
        db.session.add(Complaint(municipality_id=amsterdam, subject="Amsterdam only", received_on=date(2023, 1, 1)))
        db.session.commit()
        return {"hoorn": hoorn, "opmeer": opmeer, "amsterdam": amsterdam, "partner": school.id, "amal": amal.id}


@pytest.fixture
def policy(client: FlaskClient, make_staff: Callable, ids: dict[str, int]) -> FlaskClient:
    return signed_in(client, make_staff, "beleidsmedewerker")


@pytest.fixture
def manager(client: FlaskClient, make_staff: Callable, ids: dict[str, int]) -> FlaskClient:
    return signed_in(client, make_staff, "klantmanager")


# -- the progress report: tenancy in every sibling -------------------------------------------------------


def test_another_municipality_is_refused_by_the_page_its_exports_and_its_files_list(
    manager: FlaskClient, ids: dict[str, int]
) -> None:
    other = {**PARAMS, "m": str(ids["amsterdam"])}
    for path in PROGRESS:
        assert manager.get(path, query_string=other).status_code == 404, path
    files = {**other, "table": "statushouders", "row": "obliged"}
    assert manager.get(FILES, query_string=files).status_code == 404
    mixed = {**PARAMS, "m": [str(ids["hoorn"]), str(ids["amsterdam"])], "table": "statushouders", "row": "obliged"}
    assert manager.get(FILES, query_string=mixed).status_code == 404


def test_without_a_choice_no_export_or_list_holds_another_municipality(
    manager: FlaskClient, ids: dict[str, int]
) -> None:
    data = manager.get("/reports/progress.json", query_string=PARAMS).get_json()
    text = str(data)
    assert "Amsterdam" not in text
    assert str(ids["amsterdam"]) not in [str(k) for k in _keys(data)]
    files = manager.get(FILES, query_string={**PARAMS, "table": "statushouders", "row": "obliged"})
    assert files.status_code == 200
    assert "Geheim Amsterdammer" not in files.text
    assert "Amal Al-Hassan" in files.text
    complaints = manager.get(FILES, query_string={**PARAMS, "table": "complaints", "row": "complaints"})
    if complaints.status_code == 200:
        assert "Amsterdam only" not in complaints.text
        assert "<img src=x" not in complaints.text


def _keys(value: object) -> list[object]:
    if isinstance(value, dict):
        return [*value.keys(), *(k for v in value.values() for k in _keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


@pytest.mark.parametrize(
    "query",
    [
        {"start": "9999-12-31", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "2023-07-01"},
        {"start": "2023-07-01", "end": "2022-01-01"},
        {"start": "1e9", "end": "2023-07-01"},
        {"start": "2022-01-01", "end": "2122-01-01"},
        {"start": "[]", "end": "{}"},
        {"start": "2022-02-30", "end": "2023-07-01"},
        {"start": "２０２２-０１-０１", "end": "2023-07-01"},
        {"start": "2022-01-01" + "0" * 5000, "end": "2023-07-01"},
    ],
)
def test_hostile_periods_give_a_message_or_a_refusal_never_an_error(manager: FlaskClient, query: dict) -> None:
    page = manager.get("/reports/progress", query_string=query)
    assert page.status_code == 422
    assert "utrecht-form-field-error-message" in page.text or "error" in page.text
    assert manager.get("/reports/progress.json", query_string=query).status_code == 400
    assert manager.get("/reports/progress.xlsx", query_string=query).status_code == 400
    files = manager.get(FILES, query_string={**query, "table": "statushouders", "row": "obliged"})
    assert files.status_code == 404


@pytest.mark.parametrize("m", ["abc", "-1", str(2**31), "1e9", "0", "99999999999999999999", "<script>", "1 2"])
def test_hostile_municipality_ids_are_404_in_every_sibling(manager: FlaskClient, m: str) -> None:
    for path in PROGRESS:
        response = manager.get(path, query_string={**PARAMS, "m": m})
        assert response.status_code == 404, (path, response.status_code)
    files = manager.get(FILES, query_string={**PARAMS, "m": m, "table": "statushouders", "row": "obliged"})
    assert files.status_code == 404


def test_the_beleidsmedewerker_sees_no_person_in_the_report_or_its_exports(
    policy: FlaskClient, ids: dict[str, int]
) -> None:
    page = policy.get("/reports/progress", query_string=PARAMS)
    data = policy.get("/reports/progress.json", query_string=PARAMS)
    xlsx = policy.get("/reports/progress.xlsx", query_string=PARAMS)
    assert page.status_code == data.status_code == xlsx.status_code == 200
    texts = [page.text, data.get_data(as_text=True), xlsx_text(xlsx.data)]
    for text in texts:
        for name in ("Amal", "Yonas", "Geheim"):
            assert name not in text
        assert "/backoffice/newcomers" not in text  # no link to a file (the menu links the overview)
        assert "/reports/progress/files" not in text
    assert policy.get(FILES, query_string={**PARAMS, "table": "statushouders", "row": "obliged"}).status_code == 404


def test_a_partner_name_with_a_script_is_escaped_on_the_page(policy: FlaskClient) -> None:
    page = policy.get("/reports/progress", query_string=PARAMS)
    assert "<script>alert('school')" not in page.text
    assert "&lt;script&gt;" in page.text


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_a_partner_name_that_a_spreadsheet_would_run_stays_a_string_in_the_xlsx(
    app: Flask, policy: FlaskClient, ids: dict[str, int], name: str
) -> None:
    from openpyxl import load_workbook

    with app.app_context():
        db.session.get(Partner, ids["partner"]).name = name
        db.session.commit()
    xlsx = policy.get("/reports/progress.xlsx", query_string=PARAMS)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert any(isinstance(c.value, str) and name.strip() in c.value for c in cells)
    assert b"<f>" not in _sheet_xml(xlsx.data)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_the_progress_report_shows_no_mark_over_fewer_responses_than_the_smallest_cell(
    policy: FlaskClient, ids: dict[str, int]
) -> None:
    data = policy.get("/reports/progress.json", query_string=PARAMS).get_json()
    shown = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "mean" in value and "n" in value and value["mean"] is not None:
                shown.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    assert [cell for cell in shown if cell["n"] < DEFAULT_MIN_CELL] == []
    page = policy.get("/reports/progress", query_string={"start": "2023-02-01", "end": "2023-02-02"})
    section = page.text.split('id="t-klantbeleving"', 1)[1].split("</section>", 1)[0]
    assert not re.search(r"<td>\s*[1-9](?:[.,]\d)?\s*</td>", section)  # one person's own mark


# -- the monitor --------------------------------------------------------------------------------------


def test_the_monitor_shows_no_lead_time_of_fewer_people_than_the_smallest_cell(
    app: Flask, client: FlaskClient, make_staff: Callable
) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        region = Region(name="Westfriesland", min_cell=5)
        db.session.add(region)
        db.session.flush()
        db.session.get(Municipality, hoorn).region_id = region.id
        zahra = person(hoorn, name="Zahra Ahmadi", duo_notified_on=date(2024, 1, 10))
        pip(zahra, 1, "B", date(2024, 2, 20))
        db.session.commit()
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    page = client.get("/reports/monitor?on=2025-06-01")
    assert page.status_code == 200
    assert "Zahra" not in page.text
    leads = page.text.split('id="leads"', 1)[1]
    assert "(n=1)" not in leads
    assert not re.search(r"\b41\b", leads)  # her 41 days


def test_the_monitor_refuses_hostile_dates_and_scopes(app: Flask, client: FlaskClient, make_staff: Callable) -> None:
    with app.app_context():
        municipality("0405", "Hoorn")
        db.session.commit()
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    for query in ("on=0001-01-01", "on=1e9", "on[]=2024-01-01", "scope=r-1", "scope=m0", "on=2024-01-01T00:00"):
        page = client.get(f"/reports/monitor?{query}")
        assert page.status_code in (200, 422), query
        assert "Traceback" not in page.text


# -- partners and regions (beheerder) ------------------------------------------------------------------


@pytest.fixture
def beheerder(client: FlaskClient, make_staff: Callable) -> FlaskClient:
    staff_sign_in(client, make_staff(role="beheerder"))
    return client


def _region_form(client: FlaskClient, **values: str) -> object:
    page = client.get("/admin/regions/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "name": "Regio Test", "klantbeleving_target": "7", "min_cell": "10"}
    data.update(values)
    return client.post("/admin/regions/new", data=data)


@pytest.mark.parametrize("target", ["abc", "NaN", "Infinity", "-7", "0", "10.5", "7.55", "", "7,5,5"])
def test_a_hostile_klantbeleving_target_gets_a_message(app: Flask, beheerder: FlaskClient, target: str) -> None:
    response = _region_form(beheerder, klantbeleving_target=target)
    assert response.status_code == 422, response.status_code
    assert "utrecht-form-field-error-message" in response.text or "error" in response.text
    with app.app_context():
        assert db.session.scalar(select(Region.id)) is None


@pytest.mark.parametrize("target", ["1e30", "123456789012345678901234567890", "1e999999999"])
def test_a_huge_klantbeleving_target_gets_a_message_not_an_error(
    app: Flask, beheerder: FlaskClient, target: str
) -> None:
    response = _region_form(beheerder, klantbeleving_target=target)
    assert response.status_code == 422


@pytest.mark.parametrize("min_cell", ["1e9", str(2**31), "-1", "2", "101", "abc", "10.5", "5.0"])
def test_a_hostile_smallest_cell_gets_a_message(app: Flask, beheerder: FlaskClient, min_cell: str) -> None:
    response = _region_form(beheerder, min_cell=min_cell)
    assert response.status_code == 422, (min_cell, response.status_code)
    with app.app_context():
        assert db.session.scalar(select(Region.id)) is None


def test_a_region_with_a_script_in_its_name_and_hostile_municipality_ids(app: Flask, beheerder: FlaskClient) -> None:
    for municipalities in (["abc"], [str(2**31)], ["-1"], ["99999"]):
        response = _region_form(beheerder, municipalities=municipalities)
        assert response.status_code == 422, municipalities
    response = _region_form(beheerder, name="<script>alert(1)</script>\x00 Regio")
    assert response.status_code == 302
    listing = beheerder.get("/admin/regions")
    assert "<script>alert(1)" not in listing.text
    with app.app_context():
        assert "\x00" not in db.session.scalar(select(Region.name))


def _partner_form(client: FlaskClient, **values: object) -> object:
    page = client.get("/admin/partners/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "name": "Taalschool", "kind": "language_school", "active": "y"}
    data.update(values)
    return client.post("/admin/partners/new", data=data)


def test_a_partner_name_with_a_script_is_escaped_in_the_partner_list(app: Flask, beheerder: FlaskClient) -> None:
    with app.app_context():
        db.session.add(Partner(name="<b>Taal</b><script>alert(1)</script>", kind="language_school"))
        db.session.commit()
    listing = beheerder.get("/admin/partners")
    assert listing.status_code == 200
    assert "<b>Taal</b>" not in listing.text
    assert "&lt;b&gt;Taal&lt;/b&gt;" in listing.text


def test_partner_names_are_cleaned_escaped_and_bounded(app: Flask, beheerder: FlaskClient) -> None:
    assert _partner_form(beheerder, name="\x00\u202e<b>Taal</b>\x1b  school").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Partner.name)) == "<b>Taal</b> school"
    assert _partner_form(beheerder, name="x" * 121).status_code == 422
    assert _partner_form(beheerder, kind="<script>").status_code == 422
    for municipalities in (["abc"], [str(2**31)], ["-1"]):
        assert _partner_form(beheerder, municipalities=municipalities).status_code == 422


def test_partner_and_region_ids_beyond_the_database_are_404(beheerder: FlaskClient) -> None:
    for path in ("/admin/partners/", "/admin/regions/"):
        for bad in (str(2**31), str(2**63), "-1", "abc", "1e9"):
            assert beheerder.get(path + bad).status_code == 404, path + bad


@pytest.mark.parametrize("role", ["klantmanager", "beleidsmedewerker"])
def test_partners_and_regions_are_for_the_beheerder_alone(client: FlaskClient, make_staff: Callable, role: str) -> None:
    staff_sign_in(client, make_staff(role=role))
    for path in ("/admin/partners", "/admin/partners/new", "/admin/regions", "/admin/regions/new"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data={"name": "x"}).status_code in (400, 404, 405), path


# -- the klantbeleving dashboard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-31",
        "from=0001-01-01",
        "from=2026-06-01&to=2026-01-01",
        "from=1900-01-01&to=2099-12-31",
        "municipality=abc",
        f"municipality={2**31}",
        "municipality=-1",
        "by=<script>",
        "kind=<script>",
        "from[]=2026-01-01",
        "page=-1",
        f"page={2**31}",
        "from=2026-01-01%00",
    ],
)
def test_the_dashboard_gives_a_message_for_hostile_filters(policy: FlaskClient, query: str) -> None:
    page = policy.get(f"/reports/klantbeleving?{query}")
    assert page.status_code in (200, 422), (query, page.status_code)
    assert "<script>" not in page.text


def test_the_dashboard_refuses_another_municipality(policy: FlaskClient, ids: dict[str, int]) -> None:
    page = policy.get(f"/reports/klantbeleving?municipality={ids['amsterdam']}")
    assert page.status_code == 422
    assert "Amsterdam" not in page.text


def test_the_dashboard_escapes_comments_and_partner_names_and_shows_no_person(
    app: Flask, policy: FlaskClient, ids: dict[str, int]
) -> None:
    with app.app_context():
        for n in range(12):
            response(
                ids["hoorn"],
                ids["partner"],
                4 + n % 5,
                answered_on=date.today(),
                comment="<script>alert('comment')</script> goed" if n == 0 else None,
                comment_language="nl" if n == 0 else None,
            )
        db.session.commit()
    page = policy.get("/reports/klantbeleving")
    assert page.status_code == 200
    assert "<script>alert(" not in page.text
    assert "Amal" not in page.text
    assert "/backoffice/newcomers" not in page.text
    svg_titles = re.findall(r"<(title|desc)[^>]*>(.*?)</\1>", page.text, re.S)
    assert all("<script" not in text for _tag, text in svg_titles)


# -- the records on the file, the complaints register and the history import (their data feed the report) --


@pytest.fixture
def records(app: Flask) -> dict[str, int]:
    """Two files in Hoorn, one in Amsterdam; an activity and a member on the second Hoorn file; complaints."""
    from app.models.records import HouseholdMember, ParticipationActivity

    with app.app_context():
        hoorn, amsterdam = municipality("0405", "Hoorn"), municipality("0363", "Amsterdam")
        a, b = person(hoorn, name="Amal Al-Hassan"), person(hoorn, name="Yonas Tesfay")
        c = person(amsterdam, name="Geheim Amsterdammer")
        activity = ParticipationActivity(
            newcomer_id=b.id, municipality_id=hoorn, kind="volunteer_work", started_on=date(2024, 2, 1)
        )
        member = HouseholdMember(municipality_id=hoorn, newcomer_id=b.id, kind="child", housed_on=date(2024, 1, 1))
        elsewhere = Partner(name="Alleen Amsterdam", kind="work_partner")
        elsewhere.municipalities = [db.session.get(Municipality, amsterdam)]
        theirs = Complaint(municipality_id=amsterdam, subject="Amsterdam only", received_on=date(2024, 1, 1))
        ours = Complaint(
            municipality_id=hoorn, subject="<script>alert('klacht')</script>", received_on=date(2024, 1, 2)
        )
        db.session.add_all([activity, member, elsewhere, theirs, ours])
        db.session.commit()
        return {
            "a": a.id, "b": b.id, "c": c.id, "activity": activity.id, "member": member.id,
            "elsewhere": elsewhere.id, "theirs": theirs.id, "ours": ours.id,
        }  # fmt: skip


def test_a_record_of_another_file_is_404_through_this_files_pages(
    app: Flask, klantmanager: FlaskClient, records: dict[str, int]
) -> None:
    from app.models.records import HouseholdMember, ParticipationActivity

    a = records["a"]
    base = f"/backoffice/newcomers/{a}/records"
    assert klantmanager.get(f"{base}/activities?item={records['activity']}").status_code == 404
    assert klantmanager.get(f"{base}/household?item={records['member']}").status_code == 404
    token = csrf_token(klantmanager.get(f"{base}/activities").text)
    for path, item in (("activities/delete", records["activity"]), ("household/delete", records["member"])):
        response = klantmanager.post(f"{base}/{path}", data={"csrf_token": token, "item": str(item)})
        assert response.status_code == 404, path
    with app.app_context():
        assert db.session.get(ParticipationActivity, records["activity"]) is not None
        assert db.session.get(HouseholdMember, records["member"]) is not None


def test_another_municipalitys_file_and_complaint_are_404_on_every_records_route(
    klantmanager: FlaskClient, records: dict[str, int]
) -> None:
    c = records["c"]
    for tail in ("end", "facts", "relief", "activities", "household", "partners", "activities/delete"):
        assert klantmanager.get(f"/backoffice/newcomers/{c}/records/{tail}").status_code == 404, tail
    for path in (f"/backoffice/complaints/{records['theirs']}", f"/backoffice/complaints/{records['theirs']}/delete"):
        assert klantmanager.get(path).status_code == 404
        assert klantmanager.post(path, data={"subject": "x"}).status_code in (400, 404)
    for bad in (str(2**31), "-1", "abc"):
        assert klantmanager.get(f"/backoffice/complaints/{bad}").status_code == 404
        assert klantmanager.get(f"/backoffice/newcomers/{bad}/records/end").status_code == 404


def test_an_activity_with_a_partner_of_another_municipality_or_hostile_values_is_refused(
    app: Flask, klantmanager: FlaskClient, records: dict[str, int]
) -> None:
    from app.models.records import ParticipationActivity

    path = f"/backoffice/newcomers/{records['a']}/records/activities"
    good = {"kind": "volunteer_work", "started_on": "2024-03-01", "ended_on": "", "hours_per_week": "8"}
    for bad in (
        {"partner": str(records["elsewhere"])},
        {"partner": str(2**31)},
        {"partner": "abc"},
        {"started_on": "9999-12-31"},
        {"started_on": "0001-01-01"},
        {"ended_on": "2024-01-01"},
        {"hours_per_week": "1e9"},
        {"hours_per_week": str(2**31)},
        {"kind": "<script>"},
    ):
        token = csrf_token(klantmanager.get(path).text)
        response = klantmanager.post(path, data={"csrf_token": token, **good, **bad})
        assert response.status_code == 422, (bad, response.status_code)
        assert "<script>" not in response.text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ParticipationActivity)
                .where(ParticipationActivity.newcomer_id == records["a"])
            )
            == 0
        )


def test_the_complaints_register_escapes_subjects_and_holds_only_ones_own(
    klantmanager: FlaskClient, records: dict[str, int]
) -> None:
    page = klantmanager.get("/backoffice/complaints")
    assert page.status_code == 200
    assert "<script>alert('klacht')" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "Amsterdam only" not in page.text
    for query in ("municipality=abc", f"municipality={2**31}", "official=<x>", "filed_with=[]", "page=-1"):
        assert klantmanager.get(f"/backoffice/complaints?{query}").status_code in (200, 404, 422), query


def _history_upload(client: FlaskClient, kind: str, text: str) -> object:
    """Upload, let the outbox worker run the queued job, and return the job's page."""
    token = csrf_token(client.get("/backoffice/history-import").text)
    data = {"csrf_token": token, kind: (io.BytesIO(text.encode("utf-8")), f"{kind}.csv"), "do_import": "y"}
    queued = client.post("/backoffice/history-import", data=data, content_type="multipart/form-data")
    assert queued.status_code == 302, queued.status_code
    drain_outbox(client.application)
    return client.get(queued.headers["Location"])


HISTORY_COMPLAINTS = (
    "external_id;gemeentecode;file_external_id;received_on;official;about_inburgering;filed_with;subject;"
    "handled_on;outcome\r\n"
)


def test_a_history_csv_with_nul_and_controls_in_a_cell_reaches_no_database_error(
    app: Flask, klantmanager: FlaskClient
) -> None:
    text = HISTORY_COMPLAINTS + "K-9;0405;;2024-01-10;ja;ja;municipality;wacht\x00tijd\x1b <b>lang</b>;;\r\n"
    response = _history_upload(klantmanager, "complaints", text)
    assert response.status_code == 200
    assert "<b>lang</b>" not in response.text
    with app.app_context():
        [subject] = list(db.session.scalars(select(Complaint.subject)))
    assert "\x00" not in subject
    assert "\x1b" not in subject
    assert "tijd" in subject


def test_a_history_csv_cell_loses_its_bidi_overrides_as_a_form_value_does(
    app: Flask, klantmanager: FlaskClient
) -> None:
    text = HISTORY_COMPLAINTS + "K-8;0405;;2024-01-10;ja;ja;municipality;klacht \u202egnalw\u202c \u2066x\u2069;;\r\n"
    response = _history_upload(klantmanager, "complaints", text)
    assert response.status_code == 200
    with app.app_context():
        [subject] = list(db.session.scalars(select(Complaint.subject)))
    assert "\u202e" not in subject
    assert "\u2066" not in subject


def _distribution(html: str) -> str:
    """The dashboard's 'marks given' figures as the chart's description reads them."""
    found = re.search(r"How many responses gave each mark, all responses in the period\.\s*([^<]*)", html)
    assert found, "no distribution on the page"
    return found.group(1).strip()


def test_two_periods_a_day_apart_do_not_give_away_one_days_answer(
    app: Flask, policy: FlaskClient, ids: dict[str, int]
) -> None:
    with app.app_context():
        for n in range(12):
            response(ids["hoorn"], ids["partner"], 5 + n % 5, answered_on=date(2026, 1, 5 + n))
        response(ids["hoorn"], ids["partner"], 1, answered_on=date(2026, 3, 20))  # one person
        db.session.commit()
    before = policy.get("/reports/klantbeleving?from=2026-01-01&to=2026-03-19")
    after = policy.get("/reports/klantbeleving?from=2026-01-01&to=2026-03-20")
    assert before.status_code == after.status_code == 200
    shown = [_distribution(page.text) for page in (before, after)]
    # Either a figure is hidden, or both read the same (the period was taken in whole quarters).
    assert shown[0] == shown[1] or "1: 1" not in shown[1]
