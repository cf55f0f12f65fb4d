"""Hostile input, as testing from outside sent it: control characters, huge ids and page numbers,
dates at the ends of the calendar, url_for's own arguments in query strings, proxies.

Every answer is a 404 or a page with a message, never a 500; no log line carries what was typed.
"""

from __future__ import annotations

import logging
import re

import pytest
from flask import request
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, Newcomer, Note
from app.params import MAX_ID, CleanMultiDict, bounded_int
from tests.conftest import csrf_token, staff_sign_in

HUGE = (str(MAX_ID + 1), "99999999999999999999", "-1", "1e9", "٣")


def test_clean_multidict_drops_control_characters_but_keeps_line_breaks():
    cleaned = CleanMultiDict([("na\x00me", "A\x00mal\x07 \x1b[31m"), ("note", "line 1\r\nline 2\tend\x85")])
    assert cleaned["name"] == "Amal [31m"
    assert cleaned["note"] == "line 1\r\nline 2\tend"


@pytest.mark.parametrize("value", ["", "0", "abc", "2147483648", "99999999999999999999", "٣", " 7 "])
def test_bounded_int(value):
    expected = {"0": None, " 7 ": 7}.get(value)
    assert bounded_int(value) == expected


def test_nul_bytes_in_staff_forms_are_stripped_and_saved(klantmanager, app, make_staff):
    """On PostgreSQL a NUL byte made the insert fail (500) and the error page fail after it."""
    with app.app_context():
        municipality_id = db.session.scalar(select(Newcomer.municipality_id).limit(1)) or 1
    page = klantmanager.get("/backoffice/newcomers/new")
    form = {
        "csrf_token": csrf_token(page.text),
        "name": "Yonas\x00 Tesfay\x00",
        "phone": "06 1234\x005678",
        "language": "ti",
        "doelgroep": "statushouder",
        "municipality": str(municipality_id),
        "duo_notified_on": "2026-11-02",
        "settled_on": "",
        "bsn": "",
        "klantmanager": "",
    }
    choice = re.search(r'<select[^>]*name="municipality".*?<option[^>]*value="(\d+)"', page.text, re.S)
    if choice:
        form["municipality"] = choice.group(1)
    response = klantmanager.post("/backoffice/newcomers/new", data=form)
    assert response.status_code in (302, 422), response.text[:500]
    with app.app_context():
        newcomer = db.session.scalar(select(Newcomer).where(Newcomer.name == "Yonas Tesfay"))
        assert newcomer is not None, response.text[:2000]
        newcomer_id = newcomer.id
    file_page = klantmanager.get(f"/backoffice/newcomers/{newcomer_id}")
    response = klantmanager.post(
        f"/backoffice/newcomers/{newcomer_id}/notes",
        data={"csrf_token": csrf_token(file_page.text), "body": "called\x00 twice\x1b"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Note.body).where(Note.newcomer_id == newcomer_id)) == "called twice"


def test_control_characters_in_query_strings_do_not_reach_the_database(klantmanager):
    for query in ("language=%00", "status=%00", "doelgroep=x%00", "leerroute=%00B", "sort=%00", "order=%00"):
        assert klantmanager.get(f"/backoffice/caseload?{query}").status_code == 200, query


def test_no_log_line_carries_what_was_typed(make_app, make_staff, caplog):
    """Hostile requests and a failing statement, then the whole captured log is searched for the values."""
    served = make_app(PROPAGATE_EXCEPTIONS=False)  # log and answer 500, as in production
    secret_name, secret_phone, secret_note = "Zahra Secretname", "+31687654321", "debts with a cousin"

    @served.post("/test-only/fails")
    def fails() -> str:
        db.session.execute(text("SELECT 1 FROM no_such_table WHERE x = :note"), {"note": request.form["note"]})
        return "unreachable"

    browser = served.test_client()
    staff_sign_in(browser, make_staff())
    caplog.set_level(logging.DEBUG)
    page = browser.get("/backoffice/newcomers/new")
    browser.post(
        "/backoffice/newcomers/new",
        data={
            "csrf_token": csrf_token(page.text),
            "name": secret_name + "\x00" * 3,
            "phone": secret_phone + "\x00",
            "language": "fa\x00",
            "doelgroep": "x" * 5000,
            "municipality": "99999999999999999999",
            "duo_notified_on": "9999-12-31",
            "bsn": "1" * 30,
        },
    )
    browser.get(f"/backoffice/caseload?language={secret_note}%00&page=99999999999999999999")
    browser.post("/backoffice/newcomers/2147483648/notes", data={"body": secret_note})
    failed = browser.post("/test-only/fails", data={"csrf_token": csrf_token(page.text), "note": secret_note})
    assert failed.status_code == 500
    logged = "\n".join(caplog.text.splitlines() + [str(r.exc_info[1]) for r in caplog.records if r.exc_info])
    assert "no_such_table" in logged  # the failure was logged, so the search below is not vacuous
    for value in (secret_name, secret_phone, secret_note, "Secretname", "cousin"):
        assert value not in logged


def test_the_error_page_renders_after_a_failed_statement(make_app, make_staff):
    """A database error must not take the error page down with it (PendingRollbackError)."""
    failing = make_app(PROPAGATE_EXCEPTIONS=False)

    @failing.get("/test-only/fails")
    def fails() -> str:
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    browser = failing.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(browser, make_staff())
    response = browser.get("/test-only/fails")
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in response.text
    assert "no_such_table" not in response.text
    assert browser.get("/backoffice/caseload").status_code == 200  # the session is usable again


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_paths_are_404(klantmanager, number):
    for path in (
        f"/backoffice/newcomers/{number}",
        f"/backoffice/newcomers/{number}/pip",
        f"/backoffice/newcomers/{number}/export",
    ):
        assert klantmanager.get(path).status_code == 404, path
    page = klantmanager.get("/backoffice/caseload")
    response = klantmanager.post(f"/backoffice/newcomers/{number}/notes", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 404


@pytest.mark.parametrize("number", HUGE)
def test_huge_numbers_in_query_strings_are_no_500(klantmanager, number):
    for query in (f"page={number}", f"municipality={number}", f"per_page={number}"):
        assert klantmanager.get(f"/backoffice/caseload?{query}").status_code in (200, 400, 404), query


@pytest.fixture
def beheerder(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff(role="beheerder"))
    return client


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "date_from=9999-12-31&date_to=9999-12-31",
        "actor_id=",
        "actor_id=2147483648",
        "record_id=99999999999999999999",
        "record_id=-5",
        "page=99999999999999999999",
        "page=2147483648",
        "municipality=2147483648",
        "actor_type=%00",
        "action=file.%00",
    ],
)
def test_audit_filters_at_the_ends_of_the_calendar_and_of_the_integers(beheerder, query):
    response = beheerder.get(f"/admin/audit?{query}")
    assert response.status_code in (200, 422), query
    if response.status_code == 422:
        assert 'class="utrecht-form-field-error-message"' in response.text or "error" in response.text
    export = beheerder.get(f"/admin/audit.csv?{query}")
    assert export.status_code in (200, 302)
    assert export.data is not None  # read to the end, so the streamed export closes its database cursor
    export.close()
    assert beheerder.get(f"/admin/staff?{query}").status_code == 200


@pytest.mark.parametrize("path", ["/backoffice/caseload", "/admin/audit", "/admin/staff"])
def test_url_for_arguments_from_the_query_string_do_not_reach_links(app, make_staff, path):
    """``?endpoint=x`` was a 500; ``_anchor`` and ``_external`` could be injected into links."""
    with app.app_context():
        for i in range(60):  # enough rows for a second page everywhere
            db.session.add(AuditEvent(actor_type="system", action="test.filler", result="ok", record_id=i + 1))
        db.session.commit()
    role = "beheerder" if path.startswith("/admin") else "klantmanager"
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(browser, make_staff(role=role))
    for i in range(30):
        make_staff(role="klantmanager", email=f"filler{i}@example.nl")
    response = browser.get(f"{path}?endpoint=x&_anchor=evil&_external=1&_scheme=javascript&values=1&per_page=10")
    assert response.status_code == 200
    hrefs = re.findall(r'href="([^"]*)"', response.text)
    assert hrefs
    for href in hrefs:
        assert "#evil" not in href
        assert "endpoint=" not in href
        assert "_anchor" not in href
        assert not href.startswith(("http:", "https:", "javascript:")), href


def test_proxy_fix_trusts_the_configured_number_of_proxies(make_app, make_staff, audit_log):
    """Behind one proxy, rate limits and the audit log see the real client address."""
    for proxies, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        served = make_app(PROXY_FIX=proxies)
        browser = served.test_client()
        page = browser.get("/staff/login")
        browser.post(
            "/staff/login",
            data={"csrf_token": csrf_token(page.text), "email": "nobody@example.nl", "password": "x"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
        )
        assert audit_log(action="staff.sign_in")[-1].ip == expected
