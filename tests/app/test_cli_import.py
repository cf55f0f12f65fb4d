"""``flask import-notifications``: the DUO import from the command line, for nightly automation.

The same checks, report and idempotency as the web import (tests/app/backoffice/test_import.py),
run in the command's own process as the system; rows of another municipality than ``--gemeente``
are refused; the output names lines by number, code and notification id, never by name or phone.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from app.backoffice import import_services
from app.extensions import db
from app.models import ImportJob, Municipality, Newcomer, OutboundMessage, StatusChange
from app.models.types import utcnow
from tests.conftest import drain_outbox

HEADER = "external_id;name;phone;language;doelgroep;gemeentecode;duo_notified_on;settled_on;bsn"
AMAL = "DUO-1;Amal Al-Hassan;06 12345601;ar;statushouder;0405;31-03-2025;;"
YONAS = "DUO-2;Yonas Tesfay;0612345602;ti;statushouder;0405;2025-03-31;;"
ELSEWHERE = "DUO-3;Zahra Ahmadi;0612345603;fa;statushouder;0420;2025-03-31;;"
UNKNOWN_CODE = "DUO-4;Hodan Abdi;0612345604;so;statushouder;9999;2025-03-31;;"
BAD_PHONE = "DUO-5;Mehmet Yılmaz;0612;tr;gezinsmigrant_overig;0405;2025-03-31;;"


@pytest.fixture
def medemblik(app, municipality_id):  # noqa: ANN001, ANN201
    """Medemblik (0420) next to Hoorn (0405)."""
    with app.app_context():
        db.session.add(Municipality(code="0420", name="Medemblik"))
        db.session.commit()


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "duo.csv"
    path.write_text("\ufeff" + "\r\n".join((header, *rows)) + "\r\n", encoding="utf-8")
    return path


def run(app, *args: str):  # noqa: ANN001, ANN201
    return app.test_cli_runner().invoke(args=["import-notifications", *args], catch_exceptions=False)


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def no_personal_data(output: str) -> None:
    for text in ("Amal", "Yonas", "Zahra", "Hodan", "Mehmet", "0612", "+316", "12345601"):
        assert text not in output, text


def test_imports_the_file_as_the_system_and_queues_the_invitations(app, municipality_id, tmp_path, sms, audit_log):
    result = run(app, "--gemeente", "0405", str(csv_file(tmp_path, AMAL, YONAS)))
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.endswith(
        "0405: 2 line(s); imported 2; imported before 0; refused 0; 2 invitation(s) queued for the worker"
    )
    no_personal_data(result.output)
    with app.app_context():
        rows = db.session.scalars(select(Newcomer).order_by(Newcomer.id)).all()
        assert [(n.external_id, n.phone, n.language, n.status) for n in rows] == [
            ("DUO-1", "+31612345601", "ar", "invited"),
            ("DUO-2", "+31612345602", "ti", "invited"),
        ]
        assert {n.klantmanager_id for n in rows} == {None}  # unassigned: the today page points them out
        assert {c.actor_staff_id for c in db.session.scalars(select(StatusChange))} == {None}
        messages = db.session.scalars(select(OutboundMessage)).all()
        assert sorted((m.kind, m.status, m.newcomer_id) for m in messages) == [
            ("invitation", "queued", rows[0].id),
            ("invitation", "queued", rows[1].id),
        ]
        job = db.session.scalars(select(ImportJob)).one()
        assert (job.status, job.created_by_staff_id, job.imported_count, job.invited_count) == ("done", None, 2, 2)
        assert (job.payload, job.claimed_by) == (None, None)
    for action in ("import.started", "file.created", "file.invited", "import.finished"):
        assert {(e.actor_type, e.actor_id) for e in audit_log(action=action)} == {("system", None)}, action
    assert sorted(to for to, _body in sms.sent) == ["+31612345601", "+31612345602"]  # a worker sends them


def test_running_it_twice_imports_nothing_the_second_time(app, municipality_id, tmp_path, sms):
    path = csv_file(tmp_path, AMAL, YONAS)
    assert run(app, "--gemeente", "0405", str(path)).exit_code == 0
    assert len(sms.sent) == 2
    again = run(app, "--gemeente", "0405", str(path))
    assert again.exit_code == 0, again.output
    assert "imported 0; imported before 2; refused 0; 0 invitation(s) queued" in again.output
    assert count(app, Newcomer) == 2
    assert count(app, OutboundMessage) == 2
    assert len(sms.sent) == 2


def test_rows_of_another_municipality_and_bad_rows_are_refused_by_line(app, medemblik, tmp_path, sms):
    result = run(app, "--gemeente", "0405", str(csv_file(tmp_path, AMAL, ELSEWHERE, UNKNOWN_CODE, BAD_PHONE)))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[:3] == [
        "refused: Line 3: the municipality code is not the one this import is for. [other_municipality] (DUO-3)",
        "refused: Line 4: the municipality code is not the one this import is for. [other_municipality] (DUO-4)",
        "refused: Line 5: the phone number is not valid. [phone_invalid] (DUO-5)",
    ]
    assert "imported 1; imported before 0; refused 3; 1 invitation(s) queued" in lines[-1]
    no_personal_data(result.output)
    with app.app_context():
        assert db.session.scalars(select(Newcomer.external_id)).all() == ["DUO-1"]
    # The same file for Medemblik imports its own line only.
    other = run(app, "--gemeente", "0420", str(csv_file(tmp_path, AMAL, ELSEWHERE)))
    assert other.exit_code == 1
    assert "[other_municipality] (DUO-1)" in other.output
    with app.app_context():
        found = db.session.execute(select(Newcomer.external_id, Municipality.code).join(Municipality)).all()
        assert sorted(tuple(r) for r in found) == [("DUO-1", "0405"), ("DUO-3", "0420")]


def test_a_warning_is_printed_but_the_line_is_imported(app, municipality_id, tmp_path):
    soon = (utcnow() + timedelta(days=20)).date().isoformat()
    result = run(
        app, "--gemeente", "0405", str(csv_file(tmp_path, f"DUO-9;Later;0612345609;nl;statushouder;0405;{soon};;"))
    )
    assert result.exit_code == 0, result.output
    assert (
        "check: Line 2: the date of DUO's notification is in the future. Check it in the file. "
        "[duo_date_in_future] (DUO-9)" in result.output
    )
    assert count(app, Newcomer) == 1


def test_dry_run_checks_and_writes_nothing(app, municipality_id, tmp_path, audit_log):
    path = csv_file(tmp_path, AMAL, BAD_PHONE)
    result = run(app, "--gemeente", "0405", "--dry-run", str(path))
    assert result.exit_code == 1, result.output
    assert "refused: Line 3: the phone number is not valid. [phone_invalid] (DUO-5)" in result.output
    assert result.output.strip().splitlines()[-1] == "0405: 2 line(s); would import 1; imported before 0; refused 1"
    assert count(app, Newcomer) == count(app, ImportJob) == count(app, OutboundMessage) == 0
    assert audit_log() == []
    clean = run(app, "--gemeente", "0405", "--dry-run", str(csv_file(tmp_path, AMAL)))
    assert clean.exit_code == 0
    assert count(app, Newcomer) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("external_id;name\nDUO-1;Amal\n", "error: The file has no column phone, language, doelgroep"),
        (HEADER + "\n", "error: The file has no rows to import."),
        ("PK\x03\x04", "error: This is not a CSV file."),
    ],
)
def test_unusable_input_is_exit_status_2(app, municipality_id, tmp_path, content, message):
    path = tmp_path / "duo.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run(app, "--gemeente", "0405", str(path))
    assert result.exit_code == 2
    assert message in result.output
    assert count(app, ImportJob) == 0


def test_an_unknown_gemeentecode_or_a_file_too_big_is_exit_status_2(app, municipality_id, tmp_path, monkeypatch):
    path = csv_file(tmp_path, AMAL)
    result = run(app, "--gemeente", "9999", str(path))
    assert (result.exit_code, result.output.strip()) == (2, "error: unknown gemeentecode '9999'")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)
    result = run(app, "--gemeente", "0405", str(path))
    assert result.exit_code == 2
    assert "larger than IMPORT_MAX_BYTES" in result.output
    assert count(app, ImportJob) == 0


def test_an_import_the_database_refuses_is_exit_status_3_and_leaves_nothing(
    app, municipality_id, tmp_path, monkeypatch
):
    checked = import_services.check_rows

    def check_then_someone_registers_the_number(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        result = checked(*args, **kwargs)
        with db.engine.begin() as connection:
            connection.execute(
                insert(Newcomer).values(
                    name="Tegelijk", phone="+31612345602", municipality_id=municipality_id, created_at=utcnow()
                )
            )
        return result

    monkeypatch.setattr(import_services, "check_rows", check_then_someone_registers_the_number)
    result = run(app, "--gemeente", "0405", str(csv_file(tmp_path, AMAL, YONAS)))
    assert result.exit_code == 3
    assert "failed (refused): nothing of the file was imported; run it again" in result.output
    with app.app_context():
        assert db.session.scalars(select(Newcomer.name)).all() == ["Tegelijk"]
        assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0
        job = db.session.scalars(select(ImportJob)).one()
        assert (job.status, job.failure, job.payload) == ("failed", "refused", None)


def test_a_command_that_died_leaves_its_job_to_the_worker(app, municipality_id, tmp_path, monkeypatch, sms):
    def die(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise SystemExit(137)  # as if the process were killed while checking

    monkeypatch.setattr(import_services, "run_claimed", die)
    result = app.test_cli_runner().invoke(
        args=["import-notifications", "--gemeente", "0405", str(csv_file(tmp_path, AMAL, ELSEWHERE))]
    )
    assert result.exit_code == 137
    monkeypatch.undo()
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        assert job.status == "checking"
        assert job.claimed_by.startswith("cli:")
        db.session.execute(update(ImportJob).values(lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    drain_outbox(app)  # its lease ran out: a worker takes it over, for the same municipality only
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        assert (job.status, job.imported_count, job.invalid_count, job.attempts) == ("done", 1, 1, 2)
        assert job.report["errors"] == [{"line": 3, "code": "other_municipality", "external_id": "DUO-3"}]
    assert [to for to, _body in sms.sent] == ["+31612345601"]
