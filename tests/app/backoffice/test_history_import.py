"""The history import: templates, the check run (writes nothing), per-line errors, all or nothing,
an idempotent rerun, formula-like cells kept as text, tenancy, and the job as the outbox worker runs
it (through the worker's own entry, ``drain``). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.backoffice import history_import
from app.extensions import db
from app.models import ImportJob, Municipality, Newcomer, Pip, StatusChange
from app.models.appointment import RouteProgress
from app.models.records import Complaint, HouseholdMember, ParticipationActivity, ReliefTrajectory
from tests.conftest import csrf_token, drain_outbox, staff_sign_in

MODELS = (Newcomer, Pip, RouteProgress, ReliefTrajectory, ParticipationActivity, HouseholdMember, Complaint)

FILES = (
    "external_id;gemeentecode;name;phone;language;doelgroep;duo_notified_on;settled_on;bsn;status;ended_on;"
    "end_reason;obligation_met_on;nareiziger\r\n"
    "H-1;0405;Amal Al-Hassan;06 11111111;ar;statushouder;2023-03-31;15-04-2023;;in_route;;;;nee\r\n"
    "H-2;0405;Yonas Tesfay;06 22222222;ti;statushouder;2023-05-01;;;;2024-06-01;moved_away;;ja\r\n"
    'H-3;0405;=HYPERLINK("http://x");06 33333333;nl;gezinsmigrant_overig;2023-06-01;;;;;;2025-01-10;\r\n'
)
PIPS = (
    "file_external_id;gemeentecode;pip_on;leerroute;level\r\nH-1;0405;2023-06-01;B;B1\r\nH-1;0405;2024-01-15;Z;A2\r\n"
)
PROGRESS = (
    "file_external_id;gemeentecode;route_started_on;pvt_signed_on;map_exempt_on\r\nH-1;0405;2023-07-03;2023-09-12;\r\n"
)
RELIEF = (
    "file_external_id;gemeentecode;started_on;six_months_on;extended;extension_decided_on;ended_on\r\n"
    "H-1;0405;2023-05-01;;ja;2023-10-20;2024-05-01\r\n"
)
ACTIVITIES = (
    "file_external_id,gemeentecode,kind,started_on,ended_on,hours_per_week\r\nH-1,0405,volunteer_work,2024-02-01,,8\r\n"
)
HOUSEHOLD = (
    "external_id;gemeentecode;file_external_id;kind;birth_year;housed_on;nareiziger\r\n"
    "M-1;0405;H-1;child;2015;2023-04-15;nee\r\nM-2;0405;;elderly;1950;2023-04-15;ja\r\n"
)
COMPLAINTS = (
    "external_id;gemeentecode;file_external_id;received_on;official;about_inburgering;filed_with;subject;"
    "handled_on;outcome\r\n"
    "K-1;0405;H-2;2024-01-10;ja;ja;municipality;=1+1;2024-02-01;\r\n"
    "K-2;0405;;2024-03-10;nee;ja;partner;Informeel signaal;;\r\n"
)
ALL = {
    "files": FILES, "pips": PIPS, "progress": PROGRESS, "relief": RELIEF, "activities": ACTIVITIES,
    "household": HOUSEHOLD, "complaints": COMPLAINTS,
}  # fmt: skip


@pytest.fixture
def staff(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff(codes=("0405",)))
    return client


def post(client, files: dict[str, str], *, do_import: bool):  # noqa: ANN001, ANN201
    """The upload itself: a redirect to the job's page, or the form again with a message per file."""
    token = csrf_token(client.get("/backoffice/history-import").text)
    data: dict = {"csrf_token": token}
    for kind, text in files.items():
        data[kind] = (io.BytesIO(text.encode("utf-8")), f"{kind}.csv")
    if do_import:
        data["do_import"] = "y"
    return client.post("/backoffice/history-import", data=data, content_type="multipart/form-data")


def upload(client, files: dict[str, str], *, do_import: bool):  # noqa: ANN001, ANN201
    """Upload, run the outbox worker once (it runs the job), and return the job's page."""
    response = post(client, files, do_import=do_import)
    assert response.status_code == 302, response.text
    drain_outbox(client.application)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Waiting to start" not in page.text
    return page


def refused(page) -> bool:  # noqa: ANN001
    """Whether the job's report says nothing was imported because of wrong lines."""
    return "Nothing was imported: correct these lines and try again." in page.text


def job_of(app, page) -> ImportJob:  # noqa: ANN001
    job_id = int(re.search(r"/history-import/(\d+)", page.request.path).group(1))
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.payload  # noqa: B018 - load the deferred column
        db.session.expunge(job)
        return job


def counts(app) -> dict[str, int]:  # noqa: ANN001
    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


EMPTY = dict.fromkeys((m.__tablename__ for m in MODELS), 0)


def test_templates_have_the_header_and_one_example_row(staff):  # noqa: ANN001
    for kind, (columns, _required) in history_import.KINDS.items():
        response = staff.get(f"/backoffice/history-import/{kind}.csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
        assert lines[0].split(";") == list(columns)
        assert len(lines) == 2
        assert "VOORBEELD-1" in lines[1]
    assert staff.get("/backoffice/history-import/secrets.csv").status_code == 404


def test_the_templates_example_rows_are_refused(staff, app):  # noqa: ANN001
    files = {kind: staff.get(f"/backoffice/history-import/{kind}.csv").get_data() for kind in history_import.KINDS}
    response = upload(staff, {k: v.decode("utf-8") for k, v in files.items()}, do_import=True)
    assert refused(response)
    assert "this is the example row of the template" in response.text
    assert counts(app) == EMPTY


def test_a_check_run_reports_and_writes_nothing(staff, app, audit_log):  # noqa: ANN001
    response = upload(staff, ALL, do_import=False)
    assert "Checked: nothing is wrong. Nothing was written yet." in response.text
    assert counts(app) == EMPTY
    assert audit_log(action="records.history_imported") == []


def test_an_import_writes_every_kind_and_a_rerun_changes_nothing(staff, app, audit_log):  # noqa: ANN001
    response = upload(staff, ALL, do_import=True)
    assert "Imported" in response.text
    assert counts(app) == {
        "newcomers": 3, "pips": 2, "route_progress": 1, "relief_trajectories": 1, "participation_activities": 1,
        "household_members": 2, "complaints": 2,
    }  # fmt: skip
    with app.app_context():
        files = {n.external_id: n for n in db.session.scalars(select(Newcomer))}
        amal, yonas, third = files["H-1"], files["H-2"], files["H-3"]
        assert (amal.phone, amal.leerroute, amal.status, amal.settled_on) == (
            "+31611111111", "Z", "in_route", date(2023, 4, 15),
        )  # fmt: skip
        assert (yonas.ended_on, yonas.end_reason, yonas.status, yonas.nareiziger) == (
            date(2024, 6, 1), "moved_away", "moved_away", True,
        )  # fmt: skip
        assert (third.name, third.obligation_met_on, third.status) == (
            '=HYPERLINK("http://x")', date(2025, 1, 10), "obligation_met",
        )  # fmt: skip
        pips = db.session.scalars(select(Pip).where(Pip.newcomer_id == amal.id).order_by(Pip.version)).all()
        assert [(p.version, p.pip_on, p.leerroute) for p in pips] == [
            (1, date(2023, 6, 1), "B"), (2, date(2024, 1, 15), "Z"),
        ]  # fmt: skip
        relief = db.session.scalar(select(ReliefTrajectory))
        assert (relief.six_months_on, relief.extended, relief.extension_decided_on) == (
            date(2023, 11, 1), True, date(2023, 10, 20),
        )  # fmt: skip
        complaint = db.session.scalar(select(Complaint).where(Complaint.external_id == "K-1"))
        assert (complaint.subject, complaint.newcomer_id, complaint.official) == ("=1+1", yonas.id, True)
        member = db.session.scalar(select(HouseholdMember).where(HouseholdMember.external_id == "M-2"))
        assert (member.newcomer_id, member.kind, member.nareiziger) == (None, "elderly", True)
        history = db.session.scalars(select(StatusChange.to_status).where(StatusChange.newcomer_id == yonas.id)).all()
        assert sorted(history) == ["moved_away", "registered"]
    assert len(audit_log(action="records.history_imported")) == 1
    assert len(audit_log(action="file.created")) == 3
    before = counts(app)

    again = upload(staff, ALL, do_import=True)
    assert not refused(again)
    assert counts(app) == before
    assert len(audit_log(action="records.history_imported")) == 1
    assert len(audit_log(action="file.created")) == 3


def test_one_bad_line_and_nothing_is_imported(staff, app):  # noqa: ANN001
    bad = dict(ALL)
    bad["activities"] = ACTIVITIES + "H-1,0405,volunteer_work,9999-12-31,,8\r\n"
    response = upload(staff, bad, do_import=True)
    assert refused(response)
    assert "Nothing was imported" in response.text
    assert "Line 3: started_on must be from" in response.text
    assert counts(app) == EMPTY


def test_errors_are_reported_per_line_with_the_kind(staff, app):  # noqa: ANN001
    files = (
        FILES.splitlines()[0] + "\r\n"
        "H-1;0405;Amal;06 11111111;ar;statushouder;2023-03-31;;;;;;;\r\n"
        "H-1;0405;Amal again;06 44444444;ar;statushouder;2023-03-31;;;;;;;\r\n"
        "H-5;0405;Nobody;not a phone;xx;statushouder;31-31-2023;;123;flying;2024-01-01;;;misschien\r\n"
        "H-6;0420;Elsewhere;06 55555555;ar;statushouder;2023-03-31;;;;;;;\r\n"
        "H-7;0405;Same phone;06 11111111;ar;statushouder;2023-03-31;;;;;;;\r\n"
    )
    pips = "file_external_id;gemeentecode;pip_on;leerroute;level\r\nH-404;0405;2023-06-01;O;A2\r\n"
    response = upload(staff, {"files": files, "pips": pips}, do_import=False)
    assert refused(response)
    text = response.text
    assert "files.csv: Line 3: the same record is also on line 2." in text
    assert "files.csv: Line 4: the phone number is not valid." in text
    assert "files.csv: Line 4: the language is missing" in text
    assert "files.csv: Line 4: the BSN is not valid" in text
    assert "files.csv: Line 4: status is not one of the values" in text
    assert "files.csv: Line 4: ended_on and end_reason go together" in text
    assert "files.csv: Line 4: nareiziger must be ja or nee." in text
    assert "files.csv: Line 5: the municipality is not one of your municipalities." in text
    assert "files.csv: Line 6: the same phone number is on line 2 already" in text
    assert "pips.csv: Line 2: no file with this file_external_id" in text
    assert "pips.csv: Line 2: this route and level do not go together" in text
    assert "Amal again" not in text  # no cell is echoed
    assert counts(app) == EMPTY


def test_a_file_of_another_municipality_is_unknown(staff, app, make_staff):  # noqa: ANN001
    with app.app_context():
        medemblik = Municipality(code="0420", name="Medemblik")
        db.session.add(medemblik)
        db.session.flush()
        db.session.add(Newcomer(name="X", phone="+31699999999", municipality_id=medemblik.id, external_id="H-9"))
        db.session.commit()
    relief = "file_external_id;gemeentecode;started_on\r\nH-9;0405;2023-05-01\r\nH-9;0420;2023-05-01\r\n"
    response = upload(staff, {"relief": relief}, do_import=True)
    assert refused(response)
    assert "relief.csv: Line 2: no file with this file_external_id" in response.text
    assert "relief.csv: Line 3: the municipality is not one of your municipalities." in response.text
    assert counts(app)["relief_trajectories"] == 0


def test_a_phone_number_registered_already_is_refused(staff, app):  # noqa: ANN001
    with app.app_context():
        other = Municipality(code="0999", name="Elders")
        db.session.add(other)
        db.session.flush()
        db.session.add(Newcomer(name="Y", phone="+31611111111", municipality_id=other.id))
        db.session.commit()
    response = upload(staff, {"files": FILES}, do_import=True)
    assert refused(response)
    assert "Line 2: the phone number belongs to a newcomer who is registered already." in response.text
    assert counts(app)["newcomers"] == 1


def test_existing_records_are_kept_and_differences_reported(staff, app):  # noqa: ANN001
    assert not refused(upload(staff, {"files": FILES, "progress": PROGRESS, "relief": RELIEF}, do_import=True))
    changed_progress = (
        "file_external_id;gemeentecode;route_started_on;pvt_signed_on;map_exempt_on\r\n"
        "H-1;0405;2023-07-03;2023-09-12;2024-02-02\r\n"
    )
    assert not refused(upload(staff, {"progress": changed_progress}, do_import=True))
    with app.app_context():
        assert db.session.scalar(select(RouteProgress.map_exempt_on)) == date(2024, 2, 2)  # an empty date filled
    conflicting = changed_progress.replace("2023-07-03", "2023-08-01")
    response = upload(staff, {"progress": conflicting}, do_import=True)
    assert refused(response)
    assert "the file has a different route_started_on already" in response.text
    other_relief = RELIEF.replace("2023-05-01;;", "2023-06-01;;")
    response = upload(staff, {"relief": other_relief}, do_import=True)
    assert refused(response)
    with app.app_context():
        assert db.session.scalar(select(RouteProgress.route_started_on)) == date(2023, 7, 3)
        assert db.session.scalar(select(ReliefTrajectory.started_on)) == date(2023, 5, 1)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04rest", "files.csv", "This is not a CSV file."),
        ("external_id;naam\r\nH-1;x\r\n".encode("cp1252") + b"\xe9", "files.csv", "The file is not in UTF-8."),
        (b"external_id;gemeentecode\r\n", "files.csv", "The file has no column"),
        (b"hello", "files.exe", "This is not a CSV file."),
        (b'external_id;"unclosed\r\n', "files.csv", "The file"),
    ],
)
def test_bad_files_are_refused_next_to_the_field(staff, app, content, name, message):  # noqa: ANN001
    token = csrf_token(staff.get("/backoffice/history-import").text)
    response = staff.post(
        "/backoffice/history-import",
        data={"csrf_token": token, "files": (io.BytesIO(content), name), "do_import": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'id="files-error"' in response.text
    assert message in response.text
    assert counts(app) == EMPTY


def test_no_file_and_a_file_too_big(staff, app):  # noqa: ANN001
    token = csrf_token(staff.get("/backoffice/history-import").text)
    response = staff.post("/backoffice/history-import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose at least one CSV file." in response.text
    app.config["IMPORT_MAX_BYTES"] = 200
    try:
        response = post(staff, {"files": FILES}, do_import=True)
    finally:
        app.config["IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code in (413, 422)
    assert "The file is too big" in response.text
    assert counts(app) == EMPTY


def test_without_csrf_nothing_happens(staff, app):  # noqa: ANN001
    data = {"files": (io.BytesIO(FILES.encode()), "files.csv"), "do_import": "y"}
    response = staff.post("/backoffice/history-import", data=data, content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    assert counts(app) == EMPTY


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_get_404(client, make_staff, role):  # noqa: ANN001
    staff_sign_in(client, make_staff(role=role))
    assert client.get("/backoffice/history-import").status_code == 404
    assert client.get("/backoffice/history-import/files.csv").status_code == 404


def test_bidi_overrides_and_controls_in_cells_are_stripped_like_form_values(staff, app):  # noqa: ANN001
    line = "K-9;0405;;2024-01-10;ja;ja;municipality;klacht \u202egnalw\u202c \u2066x\u2069\u0007;;\r\n"
    response = upload(staff, {"complaints": COMPLAINTS.splitlines()[0] + "\r\n" + line}, do_import=True)
    assert not refused(response)
    with app.app_context():
        subject = db.session.scalar(select(Complaint.subject).where(Complaint.external_id == "K-9"))
    assert subject == "klacht gnalw x"


# -- the job the worker runs -------------------------------------------------------------------------


def test_an_upload_is_a_job_that_waits_until_a_worker_runs_it(staff, app, audit_log):  # noqa: ANN001
    response = post(staff, ALL, do_import=True)
    assert response.status_code == 302
    page = staff.get(response.headers["Location"])
    assert "Waiting to start" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert counts(app) == EMPTY
    job = job_of(app, page)
    assert (job.kind, job.status, job.rows_total) == ("history", "queued", 12)
    assert len(audit_log(action="import.started")) == 1
    drain_outbox(app)
    page = staff.get(response.headers["Location"])
    assert '<meta http-equiv="refresh"' not in page.text
    assert counts(app)["newcomers"] == 3


def test_the_ended_job_keeps_counts_and_a_report_without_cells(staff, app, audit_log):  # noqa: ANN001
    bad = dict(ALL)
    bad["activities"] = ACTIVITIES + "H-1,0405,volunteer_work,9999-12-31,,8\r\n"
    page = upload(staff, bad, do_import=True)
    job = job_of(app, page)
    assert (job.status, job.payload, job.claimed_by) == ("done", None, None)  # the rows are wiped
    assert (job.rows_checked, job.invalid_count, job.imported_count) == (13, 1, 0)
    assert job.report["errors"] == [
        {"kind": "activities", "line": 3, "code": "date_out_of_range", "column": "started_on"}
    ]
    assert "Amal" not in str(job.report)
    assert len(audit_log(action="import.finished")) == 1
    page = upload(staff, ALL, do_import=True)
    job = job_of(app, page)
    assert (job.imported_count, job.already_count, job.invalid_count) == (12, 0, 0)
    again = job_of(app, upload(staff, ALL, do_import=True))
    assert (again.imported_count, again.already_count) == (0, 12)


def test_a_check_run_job_says_so_and_is_listed(staff, app):  # noqa: ANN001
    page = upload(staff, {"files": FILES}, do_import=False)
    assert "Checked: nothing is wrong. Nothing was written yet." in page.text
    job = job_of(app, page)
    assert (job.status, job.imported_count, job.report["new"]) == ("done", 0, {"files": 3})
    form = staff.get("/backoffice/history-import")
    assert f"/backoffice/history-import/{job.id}" in form.text


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RuntimeError("disk full"), "an error on our side. Nothing of these files was imported."),
        (history_import.IntegrityError("INSERT", {}, Exception("duplicate")), "The database refused a line"),
    ],
)
def test_a_crash_while_writing_leaves_nothing_and_fails_the_job(staff, app, monkeypatch, error, message):  # noqa: ANN001
    real = history_import.audit.record

    def crash_after_the_rows(action: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if action == "import.finished":
            raise error
        return real(action, *args, **kwargs)

    monkeypatch.setattr(history_import.audit, "record", crash_after_the_rows)
    page = upload(staff, ALL, do_import=True)
    assert message in page.text
    job = job_of(app, page)
    assert (job.status, job.payload) == ("failed", None)
    assert counts(app) == EMPTY


def test_a_stopping_worker_gives_the_job_back(staff, app):  # noqa: ANN001
    from app.backoffice import import_services

    page = staff.get(post(staff, ALL, do_import=True).headers["Location"])
    job_id = job_of(app, page).id
    with app.app_context():
        assert import_services.claim("stopping-worker", kind="history") == job_id
        assert history_import.run_claimed(job_id, "stopping-worker", stopping=lambda: True) is None
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.claimed_by, job.attempts) == ("queued", None, 0)
    assert counts(app) == EMPTY
    drain_outbox(app)
    assert counts(app)["newcomers"] == 3


def test_history_jobs_are_left_to_their_own_runner(staff, app):  # noqa: ANN001
    from app.backoffice import import_services

    post(staff, {"files": FILES}, do_import=True)
    with app.app_context():
        assert import_services.claim("a-notifications-worker") is None
        assert import_services.claim("an-hours-worker", kind="hours") is None
    assert "/backoffice/history-import/" not in staff.get("/backoffice/import").text


def test_the_job_is_only_its_uploader_s(staff, app, make_staff):  # noqa: ANN001
    job_path = post(staff, {"files": FILES}, do_import=False).headers["Location"]
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(other, make_staff(codes=("0405",)))
    assert other.get(job_path).status_code == 404
    assert staff.get(job_path).status_code == 200


@pytest.mark.parametrize("job_id", ["999999", str(2**31)])
def test_an_unknown_job_is_404(staff, job_id):  # noqa: ANN001
    assert staff.get(f"/backoffice/history-import/{job_id}").status_code == 404
