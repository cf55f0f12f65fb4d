"""The caseload as a klantmanager works it: my files or the team's, sortable headers, page numbers,
links built from an allow-list, the search cleared on a fresh visit, and actions on the checked rows."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from app.backoffice.spreadsheet import as_text
from tests.app.backoffice.test_casefiles import make_file
from tests.app.backoffice.test_today import names_in
from tests.conftest import csrf_token, staff_sign_in


@pytest.fixture
def sanne(make_staff):  # noqa: ANN001, ANN201
    return make_staff()


@pytest.fixture
def peter(make_staff):  # noqa: ANN001, ANN201
    return make_staff()


@pytest.fixture
def km(client, sanne):  # noqa: ANN001, ANN201
    staff_sign_in(client, sanne)
    return client


def hrefs(page: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_my_files_first_then_the_team_or_one_colleague(km, app, sanne, peter):
    make_file(app, name="Mine", phone="+31612345601", klantmanager_id=sanne.id)
    make_file(app, name="Peter's", phone="+31612345602", klantmanager_id=peter.id)
    make_file(app, name="Nobody's", phone="+31612345603")
    assert names_in(km.get("/backoffice/caseload").text) == ["Mine"]
    assert set(names_in(km.get("/backoffice/caseload?klantmanager=all").text)) == {"Mine", "Peter's", "Nobody's"}
    assert names_in(km.get(f"/backoffice/caseload?klantmanager={peter.id}").text) == ["Peter's"]
    page = km.get("/backoffice/caseload?klantmanager=all").text
    assert re.search(r'<a href="/backoffice/caseload\?klantmanager=all" aria-current="page">', page)


def test_column_headers_sort_both_ways_with_aria_sort(km, app, sanne):
    for name in ("Bea", "Cem", "Ali"):
        make_file(app, name=name, phone=f"+316123456{ord(name[0]):02d}", klantmanager_id=sanne.id)
    page = km.get("/backoffice/caseload?sort=name").text
    assert names_in(page) == ["Ali", "Bea", "Cem"]
    header = re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="([^"]+)"[^>]*>Name', page)
    assert header, "the sorted column says so"
    assert page.count("aria-sort=") == 1
    descending = km.get(unescape(header[1])).text
    assert names_in(descending) == ["Cem", "Bea", "Ali"]
    assert 'aria-sort="descending"' in descending
    status_link = re.search(r'<a href="([^"]+)" class="sort-link">Status', page)[1]
    assert "sort=status" in status_link
    assert "order=" not in status_link


def test_page_numbers_and_links_keep_the_filters(km, app, sanne):
    for n in range(25):
        make_file(app, name=f"Person {n:02d}", phone=f"+316123457{n:02d}", klantmanager_id=sanne.id)
    page = km.get("/backoffice/caseload?sort=name&per_page=10&status=invited").text
    pages = re.findall(r'<a href="([^"]*)" aria-label="Page (\d)"', page)
    assert [n for _href, n in pages] == ["2", "3"]
    assert "Page 1 of 3" in page
    third = km.get(unescape(pages[1][0])).text
    assert names_in(third) == ["Person 20", "Person 21", "Person 22", "Person 23", "Person 24"]
    assert re.search(r'aria-current="page">Page 3 of 3<', third)
    following = km.get(unescape(re.search(r'href="([^"]+)" rel="next"', page)[1])).text
    assert names_in(following)[0] == "Person 10"
    for href in hrefs(page):
        if href.startswith("/backoffice/caseload?"):
            assert "status=invited" in href or "klantmanager=" in href or "queue=" in href, href


@pytest.mark.parametrize(
    "hostile",
    ["endpoint=admin.staff_list", "_anchor=x%22%3E%3Cscript%3E", "_external=1", "_scheme=javascript", "_method=POST"],
)
def test_links_are_built_from_the_allow_list_only(km, app, sanne, hostile):
    for n in range(12):
        make_file(app, name=f"Person {n:02d}", phone=f"+316123457{n:02d}", klantmanager_id=sanne.id)
    response = km.get(f"/backoffice/caseload?per_page=10&{hostile}")
    assert response.status_code == 200
    key = hostile.split("=")[0]
    for href in hrefs(response.text):
        assert key not in href, href
        assert not href.startswith(("http", "javascript", "//")), href
    assert f'name="{key}"' not in response.text  # nor in the forms' hidden fields


def test_the_search_is_cleared_on_a_fresh_visit_and_kept_by_the_caseloads_own_links(km, app, sanne):
    make_file(app, name="Yonas", phone="+31612345601", klantmanager_id=sanne.id)
    make_file(app, name="Amal", phone="+31612345602", klantmanager_id=sanne.id)
    token = csrf_token(km.get("/backoffice/caseload").text)
    found = km.post("/backoffice/caseload/search", data={"csrf_token": token, "q": "yon", "status": "invited"})
    assert "yon" not in found.headers["Location"].lower()
    searched = km.get(found.headers["Location"]).text
    assert names_in(searched) == ["Yonas"]
    sort_link = unescape(re.search(r'<a href="([^"]+)" class="sort-link">Name', searched)[1])
    assert "kept=1" in sort_link
    assert "yon" not in sort_link.lower()
    assert names_in(km.get(sort_link).text) == ["Yonas"]  # the caseload's own link keeps the search
    fresh = km.get("/backoffice/caseload").text  # the navigation's link
    assert set(names_in(fresh)) == {"Yonas", "Amal"}
    assert 'value="yon"' not in fresh


def test_checked_rows_get_new_invitations_and_others_are_skipped(km, app, sanne, sms):
    invited = make_file(app, name="Invited", phone="+31612345601", klantmanager_id=sanne.id)
    submitted = make_file(
        app, name="Submitted", phone="+31612345602", status="intake_submitted", klantmanager_id=sanne.id
    )
    untouched = make_file(app, name="Not checked", phone="+31612345603", klantmanager_id=sanne.id)
    page = km.get("/backoffice/caseload").text
    response = km.post(
        "/backoffice/caseload/selection",
        data={"csrf_token": csrf_token(page), "action": "invite", "selected": [str(invited), str(submitted)]},
    )
    assert response.status_code == 302
    assert [to for to, _body in sms.sent] == ["+31612345601"]
    after = km.get(response.headers["Location"]).text
    assert "1 invitation SMS is on its way." in after
    assert "1 file skipped" in after
    assert untouched


@pytest.mark.parametrize(
    ("selected", "action", "message"),
    [
        ([], "invite", "Select at least one file."),
        (["12abc"], "invite", "The selection could not be read."),
        (["{id}"], "delete_all", "Choose what to do with the selected files."),
    ],
)
def test_a_bad_selection_is_a_message_above_the_rows(km, app, sanne, sms, selected, action, message):
    file_id = make_file(app, name="Amal", phone="+31612345601", klantmanager_id=sanne.id)
    page = km.get("/backoffice/caseload").text
    data = {"csrf_token": csrf_token(page), "action": action, "selected": [s.format(id=file_id) for s in selected]}
    response = km.post("/backoffice/caseload/selection", data=data)
    assert response.status_code == 422
    assert re.search(rf'id="selected-error" role="alert">{re.escape(message)}', response.text)
    assert "Amal" in response.text  # the rows are still there
    assert sms.sent == []


def test_the_selection_needs_the_csrf_token(km, app, sanne):
    file_id = make_file(app, name="Amal", phone="+31612345601", klantmanager_id=sanne.id)
    response = km.post("/backoffice/caseload/selection", data={"action": "export", "selected": [str(file_id)]})
    assert response.status_code in (400, 422)
    assert "spreadsheetml" not in response.headers["Content-Type"]


def test_export_of_the_selection_to_xlsx_has_no_formula_cells(km, app, sanne, audit_log):
    hostile = ['=HYPERLINK("http://evil","x")', "+31 6 1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Plain Amal"]
    ids = [
        make_file(app, name=name, phone=f"+3161234560{n}", klantmanager_id=sanne.id) for n, name in enumerate(hostile)
    ]
    page = km.get("/backoffice/caseload").text
    response = km.post(
        "/backoffice/caseload/selection",
        data={"csrf_token": csrf_token(page), "action": "export", "selected": [str(i) for i in ids]},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Amal" not in disposition
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows())
    assert rows[0][0].value == "Name"
    names = [r[0].value.replace("\n", "\r") for r in rows[1:]]  # XML reads a CR back as a line feed
    assert names == [
        "'=HYPERLINK(\"http://evil\",\"x\")", "'+31 6 1", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR", "Plain Amal",
    ]  # fmt: skip
    assert all(cell.data_type != "f" for r in rows for cell in r)
    assert sorted(e.record_id for e in audit_log(action="file.exported_xlsx")) == sorted(ids)


def test_as_text_leaves_ordinary_values_alone():
    assert as_text("Amal Al-Hassan") == "Amal Al-Hassan"
    assert as_text("أمل") == "أمل"
    assert as_text(12) == 12
    assert as_text("=1+1") == "'=1+1"
    assert as_text("") == ""


def test_other_municipalities_files_cannot_be_exported(km, app, sanne, make_staff, audit_log):
    make_staff(codes=("0420",))
    elsewhere = make_file(app, "0420", name="Zahra", phone="+31612345601")
    page = km.get("/backoffice/caseload").text
    response = km.post(
        "/backoffice/caseload/selection",
        data={"csrf_token": csrf_token(page), "action": "export", "selected": [str(elsewhere)]},
    )
    assert response.status_code == 404
    assert audit_log(action="file.exported_xlsx") == []


@pytest.mark.parametrize("value", ["99999999999999999999", "2147483648", "-1", "0"])
def test_ids_out_of_bounds_are_refused_not_a_database_error(km, app, sanne, value):
    make_file(app, name="Amal", phone="+31612345601", klantmanager_id=sanne.id)
    assert km.get(f"/backoffice/caseload?klantmanager={value}").status_code == 200  # my files, then
    page = km.get("/backoffice/caseload").text
    data = {"csrf_token": csrf_token(page), "action": "export", "selected": [value]}
    assert km.post("/backoffice/caseload/selection", data=data).status_code == 404


@pytest.mark.parametrize("cursor", ["2147483648", "9999999999", "99999999999999999-", "999999999999999999"])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_cursor_beyond_an_id_is_a_bad_request_not_a_database_error(km, direction, cursor):
    """PostgreSQL's ``integer`` refuses 2**31 and beyond: such a cursor is a 400, never a 500."""
    assert km.get(f"/backoffice/caseload?{direction}={cursor}").status_code == 400
    assert km.get(f"/backoffice/caseload?{direction}=2147483647").status_code == 200
