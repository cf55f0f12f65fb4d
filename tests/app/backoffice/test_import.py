"""Importing DUO notifications from a CSV file: checks, report, idempotency, invitations, progress, tenancy,
and the job as the outbox worker runs it (claimed with a lease, taken over when a worker dies)."""

from __future__ import annotations

import io
import re
import threading
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, insert, select, update

from app.backoffice import import_services
from app.extensions import db
from app.models import ImportJob, Municipality, Newcomer, OutboundMessage, Staff, StatusChange
from app.models.types import local_today, utcnow
from app.outbox.worker import Worker
from app.sms import texts
from app.sms.base import INVALID_NUMBER, SmsError
from tests.conftest import csrf_token, drain_outbox, staff_sign_in

HEADER = "external_id,name,phone,language,doelgroep,gemeentecode,duo_notified_on,settled_on,bsn"


def csv_bytes(*rows: str, header: str = HEADER, newline: str = "\n", bom: bool = False) -> bytes:
    """A CSV file of these lines (already joined by their separator)."""
    text = newline.join((header, *rows)) + newline
    return (("\ufeff" if bom else "") + text).encode()


def row(external_id: str, name: str, phone: str, language: str = "nl", **more: str) -> str:
    """One comma-separated line; ``more`` overrides doelgroep, gemeentecode, dates and bsn."""
    values = {
        "doelgroep": "statushouder",
        "gemeentecode": "0405",
        "duo_notified_on": "2025-03-31",
        "settled_on": "",
        "bsn": "",
    }
    values.update(more)
    return ",".join([external_id, name, phone, language, *values.values()])


def upload(client, data: bytes, filename: str = "duo.csv", token: str | None = None):  # noqa: ANN001, ANN201
    """Post a file to the upload form, as a browser does."""
    if token is None:
        token = csrf_token(client.get("/backoffice/import").text)
    return client.post(
        "/backoffice/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def import_file(client, data: bytes, **kwargs: str):  # noqa: ANN001, ANN201
    """Upload, run the outbox worker once in this process (it runs the import job), and return the job's page."""
    response = upload(client, data, **kwargs)
    assert response.status_code == 302, response.text
    drain_outbox(client.application)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page


def job_of(app, page) -> ImportJob:  # noqa: ANN001
    """The job a progress page shows."""
    job_id = int(re.search(r"/backoffice/import/(\d+)", page.request.path).group(1))
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.payload  # noqa: B018 - load the deferred column before the row leaves the session
        db.session.expunge(job)
        return job


def newcomers(app) -> list[Newcomer]:  # noqa: ANN001
    """Every newcomer, oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(Newcomer).order_by(Newcomer.id)).all()
        db.session.expunge_all()
        return rows


def english(app, login) -> None:  # noqa: ANN001
    """Staff read the back office in their profile's language: English here, so tests read the source strings."""
    with app.app_context():
        db.session.get(Staff, login.id).language = "en"
        db.session.commit()


@pytest.fixture
def staff_login(app, make_staff):  # noqa: ANN001, ANN201
    """A klantmanager of Hoorn (0405) who reads English."""
    login = make_staff()
    english(app, login)
    return login


@pytest.fixture
def km(client, staff_login):  # noqa: ANN001, ANN201
    """A client signed in as that klantmanager."""
    staff_sign_in(client, staff_login)
    return client


# -- the upload page and the template ---------------------------------------------------------------


def test_upload_page_documents_the_columns_and_is_in_the_menu(km):
    page = km.get("/backoffice/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    for column in ("external_id", "gemeentecode", "duo_notified_on", "bsn"):
        assert f"<code>{column}</code>" in page.text
    assert 'href="/backoffice/import"' in km.get("/backoffice/caseload").text


def test_template_download_has_the_header_and_an_example_row(km):
    response = km.get("/backoffice/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    lines = response.data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == HEADER.replace(",", ";")
    assert lines[1].startswith("VOORBEELD-1;")
    assert ";0405;" in lines[1]
    assert lines[2:] == [""]


def test_the_template_is_read_but_its_example_row_is_never_imported(km, app, sms):
    template = km.get("/backoffice/import/template.csv").data
    page = import_file(km, template)
    assert "Line 2: this is the example row of the template. Delete it." in page.text
    assert newcomers(app) == []
    assert sms.sent == []


# -- a good file --------------------------------------------------------------------------------------


def test_good_file_is_imported_and_everyone_invited_in_their_language(km, app, sms, municipality_id):
    data = csv_bytes(
        row("DUO-1", "Amal Al-Hassan", "06 12345671", "ar", bsn="111222333", settled_on="2025-04-15"),
        row("DUO-2", "Mehmet Yılmaz", "+31612345672", "tr", doelgroep="gezinsmigrant_overig"),
        row("DUO-3", "Yonas Tesfay", "0612345673", "ti", duo_notified_on="01-02-2025"),
    )
    page = import_file(km, data)
    assert 'http-equiv="refresh"' not in page.text  # done: the page no longer refreshes itself
    assert "The import is done." in page.text
    job = job_of(app, page)
    assert (job.status, job.rows_total, job.imported_count, job.invalid_count) == ("done", 3, 3, 0)
    assert job.invited_count == 3
    amal, mehmet, yonas = newcomers(app)
    assert (amal.external_id, amal.phone, amal.language, amal.bsn) == ("DUO-1", "+31612345671", "ar", "111222333")
    assert amal.municipality_id == municipality_id
    assert amal.settled_on == date(2025, 4, 15)
    assert amal.pip_deadline_on == date(2025, 6, 24)  # 10 weeks from settling, the later date
    assert mehmet.doelgroep == "gezinsmigrant_overig"
    assert yonas.duo_notified_on == date(2025, 2, 1)
    assert {n.status for n in (amal, mehmet, yonas)} == {"invited"}
    bodies = dict(sms.sent)
    assert sorted(bodies) == ["+31612345671", "+31612345672", "+31612345673"]
    with app.app_context():
        for phone, locale in (("+31612345671", "ar"), ("+31612345672", "tr"), ("+31612345673", "ti")):
            link = re.search(r"https?://\S+/i/\S+", bodies[phone]).group(0)
            with force_locale(locale):  # the invitation text in the newcomer's language, naming Hoorn
                assert bodies[phone] == texts.invitation("Hoorn", link)
    with app.app_context():
        locales = {
            to: locale for to, locale in db.session.execute(select(OutboundMessage.to_phone, OutboundMessage.locale))
        }
    assert locales == {"+31612345671": "ar", "+31612345672": "tr", "+31612345673": "ti"}


def test_semicolons_bom_and_crlf_as_dutch_excel_writes_them(km, app):
    header = HEADER.replace(",", ";")
    data = csv_bytes(
        "DUO-10;Zahra Ahmadi;0612345610;fa;statushouder;0405;3-2-2025;;12345672",  # Excel dropped the BSN's 0
        '"DUO-11";"Ahmadi; Zahra";612345611;NL;Statushouder;0405;31-03-2025;15-04-2025;',
        ";;;;;;;;",  # Excel's empty rows
        header=header,
        newline="\r\n",
        bom=True,
    )
    page = import_file(km, data)
    assert "Lines with errors</dt><dd>0" in page.text
    zahra, other = newcomers(app)
    assert zahra.duo_notified_on == date(2025, 2, 3)
    assert zahra.bsn == "012345672"
    assert other.name == "Ahmadi; Zahra"
    assert other.phone == "+31612345611"  # Excel dropped the leading 0
    assert (other.language, other.doelgroep) == ("nl", "statushouder")
    assert other.settled_on == date(2025, 4, 15)


def test_names_in_any_script_are_kept_exactly(km, app):
    names = [
        "أمل الحسن",
        "ዮናስ ተስፋይ",
        "زهرا\u200cسادات احمدی",  # Persian with a zero-width non-joiner inside the name
        "Zoë Ñúñez-Çelik",
        '<b>Mehmet</b> & "Ayşe"',
    ]
    rows = [
        row(f"DUO-2{i}", f'"{name.replace(chr(34), chr(34) * 2)}"', f"06123456{20 + i}") for i, name in enumerate(names)
    ]
    page = import_file(km, csv_bytes(*rows))
    assert [n.name for n in newcomers(app)] == names
    assert "<b>Mehmet</b>" not in page.text


# -- bad rows -----------------------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_with_its_line_number(km, app, make_staff, sms):
    make_staff(codes=("0532",))  # a municipality that exists, but is not this klantmanager's
    data = csv_bytes(
        row("DUO-OK", "Goed Voorbeeld", "0612345630"),  # line 2: fine
        row("", "Geen Id", "0612345631"),  # 3
        row("DUO-4", "", "0612345632"),  # 4
        row("DUO-5", "Slecht Nummer", "12345"),  # 5
        row("DUO-6", "Geen Nummer", ""),  # 6
        row("DUO-7", "Rare Taal", "0612345633", "de"),  # 7
        row("DUO-8", "Rare Groep", "0612345634", doelgroep="student"),  # 8
        row("DUO-9", "Rare Code", "0612345635", gemeentecode="405"),  # 9
        row("DUO-10", "Andere Gemeente", "0612345636", gemeentecode="0532"),  # 10
        row("DUO-11", "Onbekende Gemeente", "0612345637", gemeentecode="9999"),  # 11
        row("DUO-12", "Geen Datum", "0612345638", duo_notified_on=""),  # 12
        row("DUO-13", "Rare Datum", "0612345639", duo_notified_on="31-02-2025"),  # 13
        row("DUO-14", "Rare Vestiging", "0612345640", settled_on="gisteren"),  # 14
        row("DUO-15", "Foute BSN", "0612345641", bsn="123456789"),  # 15
        row("DUO-16", "Te Veel", "0612345642") + ",extra",  # 16
        row("D" * 65, "Te Lang Id", "0612345643"),  # 17
        row("DUO-18", "N" * 201, "0612345644"),  # 18
        row("", "Alleen Een Naam", "", "", doelgroep="", gemeentecode="", duo_notified_on=""),  # 19: all at once
        ",,,,,,,,",  # an empty row (Excel writes them): skipped, not an error
    )
    page = import_file(km, data)
    expected = [
        "Line 3: the DUO notification id (external_id) is missing.",
        "Line 4: the name is missing.",
        "Line 5: the phone number is not valid.",
        "Line 6: the phone number is missing.",
        "Line 7: the language is missing or is not one of nl, en, ar, ti, fa, tr, so.",
        "Line 8: the target group is missing or is not statushouder or gezinsmigrant_overig.",
        "Line 9: the municipality code is missing or is not 4 digits.",
        "Line 10: the municipality is not one of your municipalities.",
        "Line 11: the municipality is not one of your municipalities.",
        "Line 12: the date of DUO&#39;s notification is missing or is not a date.",
        "Line 13: the date of DUO&#39;s notification is missing or is not a date.",
        "Line 14: the date settled is not a date.",
        "Line 15: the BSN is not valid (it fails the eleven-test).",
        "Line 16: the line has more fields than the header. Check the separators.",
        "Line 17: the DUO notification id is longer than 64 characters.",
        "Line 18: the name is longer than 200 characters.",
        "Line 19: the DUO notification id (external_id) is missing.",
        "Line 19: the phone number is missing.",
        "Line 19: the language is missing or is not one of nl, en, ar, ti, fa, tr, so.",
        "Line 19: the target group is missing or is not statushouder or gezinsmigrant_overig.",
        "Line 19: the municipality code is missing or is not 4 digits.",
        "Line 19: the date of DUO&#39;s notification is missing or is not a date.",
    ]
    for message in expected:
        assert message in page.text, message
    assert "Line 2:" not in page.text
    assert "Line 19: the name" not in page.text
    assert "Line 20:" not in page.text
    job = job_of(app, page)
    assert (job.imported_count, job.invalid_count, job.status) == (1, 17, "done")
    assert [n.external_id for n in newcomers(app)] == ["DUO-OK"]
    assert [to for to, _body in sms.sent] == ["+31612345630"]
    # The report names each wrong line by its notification id: no name, no phone number.
    row_of_5 = '<span class="import-report__row">(<bdi>DUO-5</bdi>)</span>'
    assert f"Line 5: the phone number is not valid. {row_of_5}" in page.text
    assert "Slecht Nummer" not in page.text
    stored = str(job.report)
    for phone in ("0612345635", "+31612345635", "12345"):
        assert phone not in stored
    for name in ("Slecht Nummer", "Goed Voorbeeld", "Alleen Een Naam"):
        assert name not in stored
    assert job.payload is None  # the file's rows are wiped when the job ends


def test_municipality_not_granted_imports_nothing_there(km, app, make_staff):
    make_staff(codes=("0420",))
    page = import_file(km, csv_bytes(row("DUO-1", "Elders", "0612345650", gemeentecode="0420")))
    assert "Line 2: the municipality is not one of your municipalities." in page.text
    assert newcomers(app) == []


def test_klantmanager_of_several_municipalities_imports_into_each(client, app, make_staff):
    login = make_staff(codes=("0405", "0420"))
    english(app, login)
    staff_sign_in(client, login)
    import_file(
        client,
        csv_bytes(
            row("DUO-1", "In Hoorn", "0612345651"), row("DUO-1", "In Medemblik", "0612345652", gemeentecode="0420")
        ),
    )
    with app.app_context():
        codes = db.session.execute(
            select(Newcomer.external_id, Municipality.code).join(Municipality).order_by(Newcomer.id)
        ).all()
    assert [tuple(c) for c in codes] == [("DUO-1", "0405"), ("DUO-1", "0420")]  # the id is unique per municipality


def test_duplicates_inside_the_file_are_errors(km, app):
    data = csv_bytes(
        row("DUO-1", "Eerste", "0612345660"),  # 2
        row("DUO-1", "Tweede", "0612345661"),  # 3: same notification id as line 2
        row("DUO-3", "Derde", "0612345662"),  # 4
        row("DUO-4", "Vierde", "06 1234 5662"),  # 5: same phone as line 4
        row("DUO-5", "Vijfde", "0612345663"),  # 6: same id as line 7, which is wrong in another way too
        row("DUO-5", "Zesde", "nee"),  # 7
        row("DUO-8", "Achtste", "0612345664"),  # 8: fine
        row("DUO-1", "Negende", "0612345665", gemeentecode="0420"),  # 9: same id as line 2, other municipality
    )
    page = import_file(km, data)
    assert "Line 2: the same DUO notification id is also on line 3." in page.text
    assert "Line 3: the same DUO notification id is also on line 2." in page.text
    assert "Line 4: the same phone number" not in page.text  # the first line with a number keeps it
    assert "Line 5: the same phone number is on line 4 already; only that line can be imported." in page.text
    assert "Line 6: the same DUO notification id is also on line 7." in page.text
    assert "Line 7: the phone number is not valid." in page.text
    assert "Line 7: the same DUO notification id is also on line 6." in page.text
    assert "Line 9: the same" not in page.text
    assert sorted(n.external_id for n in newcomers(app)) == ["DUO-3", "DUO-8"]  # line 9: not granted
    assert [n.phone for n in newcomers(app) if n.external_id == "DUO-3"] == ["+31612345662"]


def test_phone_number_of_another_newcomer_is_a_row_error(km, app, make_newcomer):
    existing = make_newcomer(name="Al Geregistreerd", phone="+31612345670")
    page = import_file(km, csv_bytes(row("DUO-1", "Ander", "0612345670"), row("DUO-2", "Nieuw", "0612345671")))
    assert "Line 2: the phone number belongs to a newcomer who is registered already." in page.text
    assert [(n.name, n.external_id) for n in newcomers(app)] == [(existing.name, None), ("Nieuw", "DUO-2")]


# -- idempotency --------------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(km, app, sms):
    data = csv_bytes(
        row("DUO-1", "Amal", "0612345681", "ar"),
        row("DUO-2", "Yonas", "0612345682", "ti"),
        row("DUO-3", "Fout", "nee"),
    )
    import_file(km, data)
    before = [(n.id, n.name, n.status, n.updated_at) for n in newcomers(app)]
    with app.app_context():
        changes = db.session.scalar(select(func.count(StatusChange.id)))
    sent = len(sms.sent)

    again = import_file(km, data)

    assert "Line 2: imported before; nothing changed." in again.text
    assert "Line 3: imported before; nothing changed." in again.text
    assert "Line 4: the phone number is not valid." in again.text  # still wrong, still reported
    job = job_of(app, again)
    assert (job.imported_count, job.already_count, job.invalid_count, job.invited_count) == (0, 2, 1, 0)
    assert [(n.id, n.name, n.status, n.updated_at) for n in newcomers(app)] == before
    with app.app_context():
        assert db.session.scalar(select(func.count(StatusChange.id))) == changes
    assert len(sms.sent) == sent


# -- the file as a whole --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04 an xlsx workbook", "duo.xlsx", "This is not a CSV file."),
        (b"PK\x03\x04 an xlsx workbook", "duo.csv", "This is not a CSV file."),
        ("external_id,name\nDUO-1,Zoë".encode("cp1252"), "duo.csv", "The file is not in UTF-8."),
        (b"external_id,name\nDUO-1,Amal\n", "duo.csv", "The file has no column phone, language, doelgroep"),
        (HEADER.encode() + b"\n", "duo.csv", "The file has no rows to import."),
        (b"", "duo.csv", "The file has no rows to import."),
        (b"", "", "Choose a CSV file."),
        (csv_bytes('DUO-1,"Amal,0612345601'), "duo.csv", "The file could not be read as CSV."),
        ((HEADER + ",name\n").encode() + b"x\n", "duo.csv", "The column name appears more than once."),
    ],
)
def test_a_file_that_cannot_be_imported_gets_a_message_next_to_the_field(km, app, data, filename, message):
    response = upload(km, data, filename)
    assert response.status_code == 422
    assert "utrecht-form-field-error-message" in response.text
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportJob.id))) == 0


def test_a_file_too_big_gets_a_message_not_a_crash(km, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 2000)
    bigger = csv_bytes(*[row(f"DUO-{i}", "Naam", f"06123{i:05d}") for i in range(60)])
    assert 2000 < len(bigger) < 2000 + 64 * 1024
    response = upload(km, bigger)
    assert response.status_code == 422
    assert "The file is too big: at most" in response.text
    huge = csv_bytes(*[row(f"DUO-{i}", "Naam " * 40, f"06123{i:05d}") for i in range(400)])
    assert len(huge) > 2000 + 64 * 1024  # larger than this route accepts at all: refused before reading it
    response = upload(km, huge)
    assert response.status_code == 413
    assert "The file is too big" in response.text
    assert "utrecht-form-field-error-message" in response.text


def test_the_upload_still_needs_the_csrf_token(km, app):
    response = upload(km, csv_bytes(row("DUO-1", "Amal", "0612345601")), token="not-the-token")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportJob.id))) == 0
    assert newcomers(app) == []


# -- progress -----------------------------------------------------------------------------------------


def make_job(app, staff_id: int, **values: object) -> int:  # noqa: ANN001
    """An import job as the worker leaves it at some moment."""
    with app.app_context():
        job = ImportJob(created_by_staff_id=staff_id, **values)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_progress_page_refreshes_itself_while_the_import_runs(km, app, staff_login):
    job_id = make_job(app, staff_login.id, status="checking", rows_total=2000, rows_checked=600)
    page = km.get(f"/backoffice/import/{job_id}")
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert 'max="2000" value="600"' in page.text
    assert "Checking the lines" in page.text
    assert "600 of 2000 lines" in page.text
    assert "<script" not in page.text.split("</head>", 1)[1]  # no JavaScript needed
    still = km.get(f"/backoffice/import/{job_id}?auto=0")
    assert 'http-equiv="refresh"' not in still.text  # people can stop the refreshing
    assert 'max="2000" value="600"' in still.text


def test_progress_page_while_waiting_and_writing(km, app, staff_login):
    waiting = make_job(app, staff_login.id, status="queued", rows_total=10)
    page = km.get(f"/backoffice/import/{waiting}")
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "Waiting to start" in page.text
    assert "The import starts as soon as a worker is free." in page.text
    writing = make_job(app, staff_login.id, status="importing", rows_total=10, rows_checked=10)
    page = km.get(f"/backoffice/import/{writing}")
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "Importing" in page.text
    assert re.search(r"<progress[^>]*></progress>", page.text)
    assert "value=" not in re.search(r"<progress[^>]*>", page.text).group(0)  # indeterminate


def test_the_upload_only_queues_the_job_and_the_worker_runs_it(km, app, sms):
    response = upload(km, csv_bytes(row("DUO-1", "Amal", "0612345601", "ar")))
    assert response.status_code == 302
    page = km.get(response.headers["Location"])
    assert "Waiting to start" in page.text  # the request wrote the job, nothing else
    job = job_of(app, page)
    assert (job.status, job.rows_total, job.claimed_by) == ("queued", 1, None)
    assert [r["line"] for r in job.payload["rows"]] == [2]
    assert newcomers(app) == []
    assert [to for to, _body in sms.sent] == ["+31612345601"]  # reading sms.sent runs the worker
    done = km.get(response.headers["Location"])
    assert "The import is done." in done.text
    assert 'http-equiv="refresh"' not in done.text
    job = job_of(app, done)
    assert (job.status, job.imported_count, job.invited_count, job.attempts) == ("done", 1, 1, 1)
    assert (job.payload, job.claimed_by, job.lease_until) == (None, None, None)


def test_progress_page_shows_the_report_when_done(km, app, staff_login):
    job_id = make_job(
        app,
        staff_login.id,
        status="done",
        rows_total=3,
        imported_count=1,
        invalid_count=1,
        already_count=1,
        report={"errors": [{"line": 3, "code": "bsn_invalid"}], "already": [4]},
        finished_at=utcnow(),
    )
    page = km.get(f"/backoffice/import/{job_id}")
    assert 'http-equiv="refresh"' not in page.text
    assert "<progress" not in page.text
    assert "Line 3: the BSN is not valid (it fails the eleven-test)." in page.text
    assert "Line 4: imported before; nothing changed." in page.text
    assert f'href="/backoffice/import/{job_id}"' in km.get("/backoffice/import").text  # listed as a recent import


# -- all or nothing -----------------------------------------------------------------------------------


def test_a_failure_midway_leaves_nothing_of_the_file(km, app, sms, audit_log, monkeypatch, municipality_id):
    checked = import_services.check_rows

    def check_then_someone_registers_the_last_one(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        valid = checked(*args, **kwargs)
        # Between the check and the writing, someone else registers the last row's phone number.
        with db.engine.begin() as connection:
            connection.execute(
                insert(Newcomer).values(
                    name="Tegelijk", phone="+31612345693", municipality_id=municipality_id, created_at=utcnow()
                )
            )
        return valid

    monkeypatch.setattr(import_services, "check_rows", check_then_someone_registers_the_last_one)
    page = import_file(
        km,
        csv_bytes(
            row("DUO-1", "Een", "0612345691"), row("DUO-2", "Twee", "0612345692"), row("DUO-3", "Drie", "0612345693")
        ),
    )
    job = job_of(app, page)
    assert (job.status, job.failure, job.imported_count) == ("failed", "refused", 0)
    assert "Nothing of this file was imported." in page.text
    assert [n.name for n in newcomers(app)] == ["Tegelijk"]
    with app.app_context():
        assert db.session.scalar(select(func.count(StatusChange.id))) == 0
    assert audit_log(action="file.created") == []
    assert [e.result for e in audit_log(action="import.failed")] == ["failed"]
    assert sms.sent == []
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0  # no invitation queued either
    assert job.payload is None


# -- invitations: queued with the file, sent by the worker ---------------------------------------------


def test_an_invitation_the_provider_refuses_is_queued_with_the_file_and_fails_in_the_outbox(km, app, sms):
    sms.fail_with = SmsError(INVALID_NUMBER, "21211", permanent=True)
    page = import_file(km, csv_bytes(row("DUO-1", "Amal Al-Hassan", "0612345601", "ar")))
    job = job_of(app, page)
    assert (job.status, job.imported_count, job.invited_count) == ("done", 1, 1)
    assert "Invitations queued</dt><dd>1" in page.text
    assert "the messages on their file show whether it arrived" in page.text
    (amal,) = newcomers(app)
    assert amal.status == "invited"
    with app.app_context():
        message = db.session.scalars(select(OutboundMessage)).one()
        assert (message.newcomer_id, message.kind, message.status, message.error_code) == (
            amal.id,
            "invitation",
            "failed",
            "21211",
        )


# -- tenancy, roles, audit ------------------------------------------------------------------------------


def test_another_klantmanagers_import_is_404(client, app, make_staff, staff_login, audit_log):
    job_id = make_job(app, staff_login.id, status="done", rows_total=1)
    other = make_staff(codes=("0420",))
    staff_sign_in(client, other)
    assert client.get(f"/backoffice/import/{job_id}").status_code == 404
    assert [(e.record_id, e.result) for e in audit_log(action="import.viewed")] == [(job_id, "denied")]
    assert f"/backoffice/import/{job_id}" not in client.get("/backoffice/import").text


def test_only_klantmanagers_may_import(client, make_staff):
    staff_sign_in(client, make_staff(role="beleidsmedewerker"))
    assert client.get("/backoffice/import").status_code == 404
    assert client.get("/backoffice/import/template.csv").status_code == 404


def test_newcomers_cannot_reach_the_import(signed_in):
    assert signed_in.get("/backoffice/import").status_code == 404
    assert signed_in.post("/backoffice/import").status_code == 404


def test_strangers_are_sent_to_sign_in(client):
    response = client.post("/backoffice/import", data=b"x" * 1024, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 302


def test_an_import_is_audited_without_personal_data(km, app, staff_login, audit_log):
    page = import_file(km, csv_bytes(row("DUO-1", "Amal", "0612345601", "ar"), row("DUO-2", "Yonas", "0612345602")))
    job = job_of(app, page)
    ids = {n.id for n in newcomers(app)}
    started = audit_log(action="import.started")
    assert [(e.actor_type, e.actor_id, e.record_type, e.record_id) for e in started] == [
        ("staff", staff_login.id, "import_job", job.id)
    ]
    created = audit_log(action="file.created")
    assert {e.record_id for e in created} == ids
    assert {(e.actor_type, e.actor_id) for e in created} == {("staff", staff_login.id)}
    invited = audit_log(action="file.invited")
    assert {e.record_id for e in invited} == ids
    assert {(e.actor_type, e.actor_id) for e in invited} == {("staff", staff_login.id)}  # the worker acts for them
    assert [(e.record_id, e.actor_type, e.actor_id) for e in audit_log(action="import.finished")] == [
        (job.id, "staff", staff_login.id)
    ]
    with app.app_context():
        changes = db.session.scalars(select(StatusChange).order_by(StatusChange.id)).all()
        assert {c.actor_staff_id for c in changes} == {staff_login.id}  # the history names who imported


# -- a large file ----------------------------------------------------------------------------------------


def test_a_large_file_is_imported_in_one_go(km, app):
    count = 2000
    header = HEADER + ",opmerking"  # an extra column is ignored; here it makes the file larger than 256 KB
    rows = [
        row(f"DUO-{i:05d}", f"Nieuwkomer {i:05d}", f"+3162{i:07d}", ("nl", "ar", "ti", "fa", "tr", "so", "en")[i % 7])
        + ",Opgeschreven door het team nieuwkomers voor de brede intake."
        for i in range(count)
    ]
    data = csv_bytes(*rows, header=header)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    response = upload(km, data)
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    renewals = []
    renew = import_services._Claim.progress

    def counting(held, checked):  # noqa: ANN001, ANN202
        renewals.append(checked)
        return renew(held, checked)

    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(import_services._Claim, "progress", counting)
        assert import_services.run_next(Worker(app, "big-worker")) is True
    assert renewals == list(range(100, count + 1, 100))  # the lease is renewed every 100 rows
    page = km.get(f"/backoffice/import/{job_id}")
    job = job_of(app, page)
    assert (job.status, job.rows_total, job.imported_count, job.invited_count) == ("done", count, count, count)
    with app.app_context():
        assert db.session.scalar(select(func.count(Newcomer.id))) == count
        invitations = db.session.execute(
            select(
                OutboundMessage.kind, OutboundMessage.status, func.count(func.distinct(OutboundMessage.newcomer_id))
            ).group_by(OutboundMessage.kind, OutboundMessage.status)
        ).all()
    assert [tuple(r) for r in invitations] == [("invitation", "queued", count)]  # one each, for the worker to send


# -- dates out of bounds, dates in the future -------------------------------------------------------


def test_a_date_out_of_bounds_is_a_line_of_the_report_not_a_failed_import(km, app, sms, caplog):
    today = local_today()
    data = csv_bytes(
        row("DUO-1", "Goed", "0612345680"),  # 2
        row("DUO-2", "Verre Toekomst", "0612345681", duo_notified_on="9999-12-31"),  # 3
        row("DUO-3", "Voor De Wet", "0612345682", duo_notified_on="01-01-1999"),  # 4
        row("DUO-4", "Vestiging Ver Weg", "0612345683", settled_on="31-12-9999"),  # 5
        row("DUO-5", "Volgend Jaar", "0612345684", duo_notified_on=date(today.year + 2, 1, 1).isoformat()),  # 6
    )
    page = import_file(km, data)
    job = job_of(app, page)
    assert job.status == "done", job.failure
    assert job.failure is None
    assert "error on our side" not in page.text
    for line in (3, 4, 6):
        assert f"Line {line}: the date of DUO&#39;s notification must be from " in page.text, line
    assert "Line 5: the date settled must be from " in page.text
    assert "Check the year." in page.text
    assert [n.external_id for n in newcomers(app)] == ["DUO-1"]
    assert "(<bdi>DUO-2</bdi>)" in page.text  # the line is named by its notification id ...
    assert "Verre Toekomst" not in page.text  # ... not by the name
    assert "Verre Toekomst" not in caplog.text


def test_the_upload_page_names_the_date_bounds(km):
    page = km.get("/backoffice/import")
    assert "Dates must be from " in page.text
    assert "is imported, with a warning in the report." in page.text


def test_a_duo_date_in_the_future_is_imported_with_a_warning_per_line(km, app):
    soon = (local_today() + timedelta(days=20)).isoformat()
    data = csv_bytes(
        row("DUO-1", "Vandaag", "0612345690", duo_notified_on=local_today().isoformat()),  # 2
        row("DUO-2", "Straks", "0612345691", duo_notified_on=soon),  # 3
    )
    page = import_file(km, data)
    assert sorted(n.external_id for n in newcomers(app)) == ["DUO-1", "DUO-2"]
    assert "Imported, but check" in page.text
    assert "Line 3: the date of DUO&#39;s notification is in the future. Check it in the file." in page.text
    assert "(<bdi>DUO-2</bdi>)" in page.text
    assert "Line 2: the date" not in page.text
    assert job_of(app, page).report["warnings"] == [{"line": 3, "code": "duo_date_in_future", "external_id": "DUO-2"}]


# -- the job in the worker: claims, leases, take-over -----------------------------------------------------

THREE = (
    row("DUO-1", "Amal", "0612345601", "ar"),
    row("DUO-2", "Yonas", "0612345602", "ti"),
    row("DUO-3", "Fout", "nee"),
)


def queued_job(km, data: bytes) -> int:  # noqa: ANN001
    """Upload a file; the job's id (queued, nothing run yet)."""
    response = upload(km, data)
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def set_job(app, job_id: int, **values: object) -> None:  # noqa: ANN001
    """Change a job row behind the app's back (as another process would have left it)."""
    with app.app_context():
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
        db.session.commit()


def get(app, job_id: int) -> ImportJob:  # noqa: ANN001
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.payload  # noqa: B018 - load the deferred column before the row leaves the session
        db.session.expunge(job)
        return job


def invitations_per_newcomer(app) -> dict[int, int]:  # noqa: ANN001
    """How many invitation SMS the outbox holds for each newcomer."""
    with app.app_context():
        return dict(
            db.session.execute(
                select(OutboundMessage.newcomer_id, func.count(OutboundMessage.id))
                .where(OutboundMessage.kind == "invitation")
                .group_by(OutboundMessage.newcomer_id)
            ).all()
        )


def test_a_job_whose_worker_died_is_taken_over_and_every_invitation_sent_once(km, app, sms, audit_log):
    job_id = queued_job(km, csv_bytes(*THREE))
    with app.app_context():
        assert import_services.claim("dead-worker") == job_id
        assert import_services.claim("other-worker") is None  # held: nobody else gets it
    # The worker died before it wrote anything; its lease runs out.
    set_job(app, job_id, lease_until=utcnow() - timedelta(seconds=1), rows_checked=100)
    assert get(app, job_id).running

    drain_outbox(app)  # a live worker takes it over and runs it from the start

    job = get(app, job_id)
    assert (job.status, job.imported_count, job.invalid_count, job.invited_count) == ("done", 2, 1, 2)
    assert (job.attempts, job.claimed_by, job.payload) == (2, None, None)
    ids = [n.id for n in newcomers(app)]
    assert len(ids) == 2
    assert invitations_per_newcomer(app) == {newcomer_id: 1 for newcomer_id in ids}
    assert sorted(to for to, _body in sms.sent) == ["+31612345601", "+31612345602"]  # each once
    assert len(audit_log(action="file.created")) == 2
    assert len(audit_log(action="import.finished")) == 1


def test_a_job_whose_file_was_written_but_not_marked_done_is_taken_over_without_duplicates(km, app, sms):
    """Writing the file and ending the job are one transaction, so this state needs a worker of another
    version or a hand-edited row; a take-over must still write nothing twice."""
    job_id = queued_job(km, csv_bytes(*THREE))
    payload = get(app, job_id).payload
    drain_outbox(app)
    assert get(app, job_id).status == "done"
    first = {n.id for n in newcomers(app)}
    sent = sorted(to for to, _body in sms.sent)
    assert sent == ["+31612345601", "+31612345602"]
    # As if its worker died right after the write was committed and before the job was marked done.
    set_job(
        app,
        job_id,
        status="importing",
        claimed_by="dead-worker",
        lease_until=utcnow() - timedelta(seconds=1),
        payload=payload,
        finished_at=None,
    )

    drain_outbox(app)

    job = get(app, job_id)
    assert (job.status, job.imported_count, job.already_count, job.invalid_count) == ("done", 0, 2, 1)
    assert {n.id for n in newcomers(app)} == first
    assert invitations_per_newcomer(app) == {newcomer_id: 1 for newcomer_id in first}
    assert sorted(to for to, _body in sms.sent) == sent  # nothing sent twice


def test_a_worker_that_lost_its_claim_writes_nothing(km, app, sms, monkeypatch):
    job_id = queued_job(km, csv_bytes(*THREE))
    checked = import_services.check_rows

    def check_then_lose_the_claim(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        result = checked(*args, **kwargs)
        # Meanwhile this worker's lease ran out and another worker took the job over.
        with db.engine.begin() as connection:
            connection.execute(update(ImportJob).where(ImportJob.id == job_id).values(claimed_by="the-other-worker"))
        return result

    monkeypatch.setattr(import_services, "check_rows", check_then_lose_the_claim)
    with app.app_context():
        assert import_services.claim("slow-worker") == job_id
        assert import_services.run_claimed(job_id, "slow-worker") is None
    job = get(app, job_id)
    assert (job.status, job.claimed_by, job.imported_count) == ("checking", "the-other-worker", 0)
    assert job.payload is not None  # the other worker still has everything it needs
    assert newcomers(app) == []
    assert invitations_per_newcomer(app) == {}


def test_a_stopping_worker_gives_the_job_back(km, app):
    rows = [row(f"DUO-{i}", "Naam", f"06123{i:05d}") for i in range(150)]
    job_id = queued_job(km, csv_bytes(*rows))
    with app.app_context():
        assert import_services.claim("stopping-worker") == job_id
        # SIGTERM arrived: at the next progress update (100 rows) the job goes back to the queue.
        assert import_services.run_claimed(job_id, "stopping-worker", stopping=lambda: True) is None
    job = get(app, job_id)
    assert (job.status, job.claimed_by, job.lease_until, job.attempts) == ("queued", None, None, 0)
    assert newcomers(app) == []
    drain_outbox(app)
    assert get(app, job_id).status == "done"
    assert len(newcomers(app)) == 150


def test_a_job_that_keeps_stopping_its_worker_fails_after_three_attempts(km, app, audit_log):
    job_id = queued_job(km, csv_bytes(*THREE))
    set_job(app, job_id, status="checking", claimed_by="w", attempts=3, lease_until=utcnow() - timedelta(seconds=1))
    drain_outbox(app)
    job = get(app, job_id)
    assert (job.status, job.failure, job.attempts, job.payload) == ("failed", "error", 4, None)
    assert newcomers(app) == []
    assert [e.result for e in audit_log(action="import.failed")] == ["failed"]


def test_the_worker_survives_an_import_that_breaks(km, app, sms, monkeypatch, make_newcomer):
    def broken(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("a bug")

    monkeypatch.setattr(import_services, "check_rows", broken)
    job_id = queued_job(km, csv_bytes(*THREE))
    with app.app_context():
        from app.auth.services import create_invitation, send_invitation

        other = db.session.get(Newcomer, make_newcomer().id)
        send_invitation(other, create_invitation(other))
        db.session.commit()
    assert len(sms.sent) == 1  # the worker went on with the outbox
    job = get(app, job_id)
    assert (job.status, job.failure, job.payload) == ("failed", "error", None)


def test_a_job_with_a_broken_payload_fails_and_the_worker_goes_on(km, app, sms, make_newcomer):
    job_id = queued_job(km, csv_bytes(*THREE))
    set_job(app, job_id, payload={"rows": [{"no": "line"}]})
    with app.app_context():
        from app.auth.services import create_invitation, send_invitation

        other = db.session.get(Newcomer, make_newcomer().id)
        send_invitation(other, create_invitation(other))
        db.session.commit()
    assert len(sms.sent) == 1
    job = get(app, job_id)
    assert (job.status, job.failure, job.payload) == ("failed", "error", None)


def postgres(app) -> bool:  # noqa: ANN001
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_two_workers_claiming_at_once_get_the_job_once(km, app):
    if not postgres(app):
        pytest.skip("several workers share the work on PostgreSQL only")
    job_id = queued_job(km, csv_bytes(*THREE))
    start = threading.Barrier(4)
    won: list[int | None] = []

    def worker(name: str) -> None:
        with app.app_context():
            start.wait()
            won.append(import_services.claim(name))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(won, key=lambda value: value or 0) == [None, None, None, job_id]
    assert get(app, job_id).attempts == 1


def test_a_job_being_written_is_skipped_not_taken_over_even_when_its_lease_ran_out(km, app):
    if not postgres(app):
        pytest.skip("FOR UPDATE SKIP LOCKED: PostgreSQL only")
    job_id = queued_job(km, csv_bytes(*THREE))
    with app.app_context():
        assert import_services.claim("worker-a") == job_id
    set_job(app, job_id, status="importing", lease_until=utcnow() - timedelta(seconds=1))
    other: list[int | None] = []

    def worker_b() -> None:
        with app.app_context():
            other.append(import_services.claim("worker-b"))
            db.session.remove()

    with app.app_context():
        held = import_services._Claim(job_id, "worker-a", lambda: False)
        held.update()  # worker A's write transaction has begun: the job row is locked until it ends
        thread = threading.Thread(target=worker_b)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the claim waited for the lock instead of skipping the row"
        assert other == [None]
        db.session.rollback()  # worker A dies mid-write: nothing of it stays, the lock goes
        thread = threading.Thread(target=worker_b)
        thread.start()
        thread.join(timeout=20)
        assert other == [None, job_id]  # now B takes the job over
        with pytest.raises(import_services.LostClaim):
            held.update()  # and A, were it alive, could write nothing more
        db.session.rollback()


def test_two_workers_running_side_by_side_import_the_file_once(km, app):
    if not postgres(app):
        pytest.skip("several workers share the work on PostgreSQL only")
    rows = [row(f"DUO-{i}", "Naam", f"06123{i:05d}") for i in range(300)]
    job_id = queued_job(km, csv_bytes(*rows))
    start = threading.Barrier(2)
    ran: list[bool] = []

    def worker(name: str) -> None:
        runner = Worker(app, name)
        with app.app_context():
            start.wait()
            ran.append(import_services.run_next(runner))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(ran) == [False, True]
    job = get(app, job_id)
    assert (job.status, job.imported_count, job.attempts) == ("done", 300, 1)
    assert sorted(invitations_per_newcomer(app).values()) == [1] * 300


# -- retention of the report ----------------------------------------------------------------------------


def test_the_report_keeps_notification_ids_for_30_days_then_only_line_numbers_and_codes(km, app):
    page = import_file(km, csv_bytes(row("DUO-1", "Goed", "0612345601"), row("DUO-2", "Fout", "nee")))
    job = job_of(app, page)
    assert job.report["errors"] == [{"line": 3, "code": "phone_invalid", "external_id": "DUO-2"}]
    assert timedelta(days=29) < job.report_ids_until - job.finished_at <= timedelta(days=30)
    with app.app_context():
        assert import_services.wipe_report_ids() == 0  # not yet
    set_job(app, job.id, report_ids_until=utcnow() - timedelta(seconds=1))
    with app.app_context():
        assert import_services.wipe_report_ids() == 1
    job = get(app, job.id)
    assert job.report == {"errors": [{"line": 3, "code": "phone_invalid"}], "already": [], "warnings": []}
    assert job.report_ids_until is None
    page = km.get(f"/backoffice/import/{job.id}")
    assert "Line 3: the phone number is not valid.</li>" in page.text
    assert "DUO-2" not in page.text


# -- migration 0012 on a database with import jobs in it ----------------------------------------------


def test_migration_0012_ends_thread_jobs_and_removes_names_from_reports(tmp_path):
    import json

    from flask_migrate import downgrade
    from flask_migrate import upgrade as migrate
    from sqlalchemy import text

    from app import create_app

    blank = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    report = {
        "errors": [{"line": 3, "code": "phone_invalid", "external_id": "DUO-2", "name": "Amal"}],
        "already": [4],
        "warnings": [{"line": 5, "code": "duo_date_in_future", "external_id": "DUO-5", "name": "Yonas"}],
    }
    try:
        with blank.app_context():
            migrate(revision="0011")
            for job_id, status in ((1, "done"), (2, "sending"), (3, "checking"), (4, "queued")):
                db.session.execute(
                    text(
                        "INSERT INTO import_jobs (id, status, rows_total, rows_checked, imported_count, already_count,"
                        " invalid_count, invited_count, invite_failed_count, report, created_at) VALUES"
                        " (:id, :status, 5, 5, 1, 1, 1, 0, 0, :report, '2026-11-30 10:00:00')"
                    ),
                    {"id": job_id, "status": status, "report": json.dumps(report)},
                )
            db.session.commit()
            migrate(revision="0012")
            rows = db.session.execute(
                text("SELECT id, status, failure, report, report_ids_until, attempts FROM import_jobs ORDER BY id")
            ).all()
            assert [(r.id, r.status, r.failure, r.attempts) for r in rows] == [
                (1, "done", None, 0),
                (2, "failed", "sending", 0),
                (3, "failed", "error", 0),
                (4, "failed", "error", 0),
            ]
            for r in rows:
                kept = json.loads(r.report)
                assert kept["errors"] == [{"line": 3, "code": "phone_invalid", "external_id": "DUO-2"}]
                assert kept["warnings"] == [{"line": 5, "code": "duo_date_in_future", "external_id": "DUO-5"}]
                assert kept["already"] == [4]
                assert r.report_ids_until is not None
            db.session.commit()
            downgrade(revision="0011")
            assert db.session.scalar(text("SELECT invite_failed_count FROM import_jobs WHERE id = 1")) == 0
    finally:
        with blank.app_context():
            db.engine.dispose()
