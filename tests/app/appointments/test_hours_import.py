"""Importing hours per month (DUO's GevolgdeUren shape): the file checks, the report, idempotency,
all-or-nothing, tenancy, and the job as the outbox worker runs it."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.appointments import hours_import
from app.extensions import db
from app.models import ImportJob, Municipality, Newcomer
from app.models.appointment import HoursEntry
from app.models.types import local_today
from forms.progress import read_hours_csv
from tests.conftest import csrf_token, drain_outbox, staff_sign_in

HEADER = "bsn;gemeentecode;maand;participatieAlsTaalles;participatieactiviteitenBredeIntake;taallesEnKnmBredeIntake"
BSN_A, BSN_B, BSN_OTHER = "111222333", "123456782", "100000009"
THIS_MONTH = local_today().replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)
M1, M2 = LAST_MONTH.strftime("%Y-%m"), THIS_MONTH.strftime("%Y-%m")
EARLIER = [
    f"{(LAST_MONTH.year * 12 + LAST_MONTH.month - 1 - n) // 12}-{(LAST_MONTH.month - 1 - n) % 12 + 1:02d}"
    for n in (1, 2)
]
"""Two months before the last: each line of the report test is another person or month."""
URL = "/backoffice/appointments/hours-import"


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join((header, *rows)) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode()


def make_newcomer(app, bsn: str, code: str = "0405") -> int:  # noqa: ANN001
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if municipality is None:
            municipality = Municipality(code=code, name=f"Gemeente {code}")
            db.session.add(municipality)
            db.session.flush()
        count = db.session.scalar(select(db.func.count(Newcomer.id))) or 0
        row = Newcomer(name="Amal Al-Hassan", phone=f"+316123459{count:02d}", municipality_id=municipality.id, bsn=bsn)
        db.session.add(row)
        db.session.commit()
        return row.id


def upload(client, data: bytes, filename: str = "uren.csv"):  # noqa: ANN001, ANN201
    token = csrf_token(client.get(URL).text)
    return client.post(
        URL, data={"csrf_token": token, "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def import_file(client, data: bytes):  # noqa: ANN001, ANN201
    """Upload, run the outbox worker once (it runs the job), and return the job's page."""
    response = upload(client, data)
    assert response.status_code == 302, response.text
    drain_outbox(client.application)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page


def job_of(app, page) -> ImportJob:  # noqa: ANN001
    job_id = int(re.search(r"/hours-import/(\d+)", page.request.path).group(1))
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.payload  # noqa: B018 - load the deferred column
        db.session.expunge(job)
        return job


def hours(app) -> dict[tuple[int, date, str], int]:  # noqa: ANN001
    with app.app_context():
        return {
            (e.newcomer_id, e.month, e.kind): e.hours
            for e in db.session.scalars(select(HoursEntry).where(HoursEntry.source == "import"))
        }


def report_of(page) -> list[str]:  # noqa: ANN001
    block = re.search(r'<ul class="import-report">(.*?)</ul>', page.text, re.S)
    return (
        [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]
        if block
        else []
    )


@pytest.fixture
def km(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff())
    return client


@pytest.fixture
def people(app, km):  # noqa: ANN001, ANN201
    """Two newcomers of Hoorn with a BSN, and one of Enkhuizen (0532), which the klantmanager may not see."""
    return make_newcomer(app, BSN_A), make_newcomer(app, BSN_B), make_newcomer(app, BSN_OTHER, code="0532")


# -- the page and the template ---------------------------------------------------------------------


def test_the_page_documents_the_columns(km):
    page = km.get(URL)
    assert page.status_code == 200
    for column in HEADER.split(";"):
        assert f"<code>{column}</code>" in page.text
    assert 'href="/backoffice/appointments/hours-import/template.csv"' in page.text


def test_the_template_is_readable_by_the_import_and_its_example_is_refused(app, km, people):
    response = km.get(f"{URL}/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert response.text.lstrip("\ufeff").splitlines()[0] == HEADER
    rows = read_hours_csv(response.data)
    assert rows[0].values["bsn"] == hours_import.EXAMPLE_BSN
    page = import_file(km, response.data)
    assert report_of(page) == ["Line 2: this is the example line of the template. Delete it."]
    assert hours(app) == {}


# -- a good file -------------------------------------------------------------------------------------


def test_a_good_file_is_imported_as_hours_per_month_and_kind(app, km, people, audit_log):
    a, b, _ = people
    data = csv_bytes(f"{BSN_A};0405;{M1};12;;3", f"{BSN_A};0405;{M2};8;0;", f"{BSN_B};405;{M1};;20;", bom=True)
    page = import_file(km, data)
    assert "The import is done." in page.text
    job = job_of(app, page)
    assert (job.kind, job.status, job.imported_count, job.invalid_count, job.already_count) == (
        "hours",
        "done",
        3,
        0,
        0,
    )
    assert job.payload is None
    assert hours(app) == {
        (a, LAST_MONTH, "participatietaalles"): 12,
        (a, LAST_MONTH, "bredeintake_taallesknm"): 3,
        (a, THIS_MONTH, "participatietaalles"): 8,
        (a, THIS_MONTH, "participatieactiviteiten"): 0,
        (b, LAST_MONTH, "participatieactiviteiten"): 20,
    }
    assert sorted(e.record_id for e in audit_log(action="progress.hours_imported")) == [a, b]
    assert len(audit_log(action="import.finished")) == 1


def test_importing_the_same_file_twice_changes_nothing(app, km, people):
    data = csv_bytes(f"{BSN_A};0405;{M1};12;;3", f"{BSN_B};0405;{M1};;20;")
    import_file(km, data)
    with app.app_context():
        before = {(e.id, e.hours, e.updated_at, e.import_job_id) for e in db.session.scalars(select(HoursEntry))}
    page = import_file(km, data)
    job = job_of(app, page)
    assert (job.imported_count, job.already_count, job.invalid_count) == (0, 2, 0)
    assert "2 lines were imported before; nothing changed" in page.text
    with app.app_context():
        after = {(e.id, e.hours, e.updated_at, e.import_job_id) for e in db.session.scalars(select(HoursEntry))}
    assert after == before


def test_a_corrected_month_replaces_its_hours_and_keeps_hours_by_hand(app, km, people):
    a, _, _ = people
    with app.app_context():
        municipality_id = db.session.get(Newcomer, a).municipality_id
        db.session.add(
            HoursEntry(
                newcomer_id=a, municipality_id=municipality_id, month=LAST_MONTH, kind="participatietaalles", hours=2
            )
        )
        db.session.commit()
    import_file(km, csv_bytes(f"{BSN_A};0405;{M1};12;;"))
    job = job_of(app, import_file(km, csv_bytes(f"{BSN_A};0405;{M1};14;;")))
    assert job.imported_count == 1
    assert hours(app) == {(a, LAST_MONTH, "participatietaalles"): 14}
    with app.app_context():
        manual = db.session.scalar(select(HoursEntry.hours).where(HoursEntry.source == "manual"))
    assert manual == 2


def test_commas_and_header_case_are_read(app, km, people):
    a, _, _ = people
    header = "BSN,Gemeentecode,Maand,ParticipatieAlsTaalles"
    import_file(km, csv_bytes(f"{BSN_A},0405,{LAST_MONTH.strftime('%m-%Y')},5", header=header))
    assert hours(app) == {(a, LAST_MONTH, "participatietaalles"): 5}


# -- the report --------------------------------------------------------------------------------------


def test_bad_lines_are_reported_by_line_and_reason_and_the_good_ones_imported(app, km, people):
    a, _, _ = people
    data = csv_bytes(
        f"{BSN_A};0405;{M1};12;;",  # 2: good
        f"123456789;0405;{M1};1;;",  # 3: fails the eleven-test
        f"{BSN_B};0405;9999-12;1;;",  # 4: month out of range
        f"{BSN_B};0405;march;1;;",  # 5: not a month
        f"{BSN_B};0405;{M1};{2**31};-1;",  # 6: two counters out of range
        f"{BSN_B};0405;{EARLIER[0]};;;",  # 7: no hours
        f"{BSN_OTHER};0532;{M1};3;;",  # 8: another municipality
        f"{BSN_OTHER};0405;{M1};3;;",  # 9: that BSN is not registered in Hoorn
        f"{BSN_B};0405;{M2};1;;",  # 10 and 11: the same person and month twice
        f"{BSN_B};0405;{M2};2;;",
        f"{BSN_B};04x5;{M2};2;;",  # 12: bad municipality code
        f"{BSN_B};0405;{EARLIER[1]};<script>;;;extra",  # 13: not hours, and a cell too many
    )
    page = import_file(km, data)
    assert report_of(page) == [
        "Line 3: the BSN is missing or not valid (it fails the eleven-test).",
        f"Line 4: the month must be from 2021-01 to {M2}. Check the year.",
        "Line 5: the month is missing or is not a month. Write 2025-03.",
        "Line 6: participatieAlsTaalles is not a whole number of hours from 0 to 9999.",
        "Line 6: participatieactiviteitenBredeIntake is not a whole number of hours from 0 to 9999.",
        "Line 7: the line has no hours. Fill in at least one of the three counters.",
        "Line 8: the municipality is not one of your municipalities.",
        "Line 9: no newcomer with this BSN is registered in this municipality.",
        "Line 10: the same person and month is also on line 11.",
        "Line 11: the same person and month is also on line 10.",
        "Line 12: the municipality code is missing or is not 4 digits.",
        "Line 13: participatieAlsTaalles is not a whole number of hours from 0 to 9999.",
        "Line 13: the line has more fields than the header. Check the separators.",
    ]
    job = job_of(app, page)
    assert (job.imported_count, job.invalid_count) == (1, 11)
    assert hours(app) == {(a, LAST_MONTH, "participatietaalles"): 12}
    assert "&lt;script&gt;" not in page.text  # the report quotes no values
    with app.app_context():
        stored = str(db.session.get(ImportJob, job.id).report)
    for personal in (BSN_A, BSN_B, BSN_OTHER, "Amal"):
        assert personal not in stored
        assert personal not in page.text


def test_a_wrong_line_and_a_good_one_for_the_same_month_are_both_refused(app, km, people):
    page = import_file(km, csv_bytes(f"{BSN_A};0405;{M1};12;;", f"{BSN_A};0405;{M1};1x;;"))
    assert report_of(page) == [
        "Line 2: the same person and month is also on line 3.",
        "Line 3: participatieAlsTaalles is not a whole number of hours from 0 to 9999.",
        "Line 3: the same person and month is also on line 2.",
    ]
    assert hours(app) == {}


def test_a_bsn_two_newcomers_share_in_one_municipality_is_reported(app, km, people):
    make_newcomer(app, BSN_A)
    page = import_file(km, csv_bytes(f"{BSN_A};0405;{M1};12;;"))
    assert report_of(page) == ["Line 2: more than one newcomer has this BSN in this municipality. Check their files."]
    assert hours(app) == {}


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04 a workbook", "uren.csv", "This is not a CSV file."),
        (csv_bytes(f"{BSN_A};0405;{M1};12;;"), "uren.xlsx", "This is not a CSV file."),
        (
            "bsn;gemeentecode;maand;participatieAlsTaalles\r\n111222333;0405;2025-01;é\r\n".encode("cp1252"),
            "u.csv",
            "not in UTF-8",
        ),
        (b"bsn;gemeentecode;participatieAlsTaalles\r\n111222333;0405;3\r\n", "uren.csv", "no column maand"),
        (b"bsn;gemeentecode;maand\r\n111222333;0405;2025-01\r\n", "uren.csv", "no column participatieAlsTaalles"),
        (b"bsn;bsn;gemeentecode;maand;participatieAlsTaalles\r\n", "uren.csv", "appears more than once"),
        (HEADER.encode() + b"\r\n", "uren.csv", "The file has no rows to import."),
        (HEADER.encode() + b'\r\n"111222333;0405\r\n', "uren.csv", "could not be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_imported_is_a_message_next_to_the_field(app, km, data, filename, message):
    response = upload(km, data, filename)
    assert response.status_code == 422
    error = re.search(r'id="file-error">(?:<span class="visually-hidden">[^<]*</span>)?([^<]*)<', response.text)
    assert message in error.group(1)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ImportJob.id))) == 0


def test_a_file_too_big_is_refused(app, make_app, client, make_staff):
    small = make_app(IMPORT_MAX_BYTES=1024)
    browser = small.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(browser, make_staff())
    data = csv_bytes(*[f"{BSN_A};0405;{M1};12;;"] * 100)
    response = upload(browser, data)
    assert response.status_code in (413, 422)
    assert "The file is too big" in response.text


# -- all or nothing, tenancy, the job ----------------------------------------------------------------


def test_a_crash_while_writing_leaves_nothing_and_fails_the_job(app, km, people, monkeypatch):
    real = hours_import.audit.record

    def crash_after_the_rows(action: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if action == "import.finished":
            raise RuntimeError("disk full")
        return real(action, *args, **kwargs)

    monkeypatch.setattr(hours_import.audit, "record", crash_after_the_rows)
    page = import_file(km, csv_bytes(f"{BSN_A};0405;{M1};12;;", f"{BSN_B};0405;{M1};;20;"))
    assert "Nothing of this file was imported." in page.text
    assert job_of(app, page).status == "failed"
    assert hours(app) == {}


def test_the_job_is_only_its_uploader_s(app, km, client, make_staff, people):
    response = upload(km, csv_bytes(f"{BSN_A};0405;{M1};12;;"))
    job_path = response.headers["Location"]
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(other, make_staff())
    assert other.get(job_path).status_code == 404
    assert km.get(job_path).status_code == 200


def test_hours_jobs_are_not_taken_by_the_notifications_import(app, km, people):
    """The DUO notifications runner claims only its own kind; the notifications page does not list hours jobs."""
    from app.backoffice import import_services

    upload(km, csv_bytes(f"{BSN_A};0405;{M1};12;;"))
    with app.app_context():
        assert import_services.claim("a-notifications-worker") is None
    assert "/backoffice/appointments/hours-import/" not in km.get("/backoffice/import").text
    job_id = int(re.search(r"/hours-import/(\d+)", km.get(URL).text).group(1))
    assert km.get(f"/backoffice/import/{job_id}").status_code == 404


def test_a_job_waits_until_a_worker_runs_it(app, km, people):
    response = upload(km, csv_bytes(f"{BSN_A};0405;{M1};12;;"))
    page = km.get(response.headers["Location"])
    assert "Waiting to start" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert hours(app) == {}


@pytest.mark.parametrize("job_id", ["999999", str(2**31)])
def test_an_unknown_job_is_404(km, job_id):
    assert km.get(f"{URL}/{job_id}").status_code == 404


def test_other_roles_get_404(app, client, make_staff):
    staff_sign_in(client, make_staff(role="beleidsmedewerker"))
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}/template.csv").status_code == 404


def test_the_upload_refuses_a_post_without_its_csrf_token(app, km, people):
    """Left out of the app's global CSRF check (to read a large file under its own limit), the form checks it."""
    data = b"bsn;gemeentecode;maand;participatieAlsTaalles\n"
    response = km.post(URL, data={"file": (io.BytesIO(data), "uren.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ImportJob.id))) == 0
