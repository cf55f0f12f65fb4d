"""The verbs of importing DUO notifications: start an import, run it (check, write, invite), find a job.

An import runs in a background thread and keeps its progress in an :class:`ImportJob`. Every row
is checked first; then all valid rows are written in one transaction (so a failure leaves nothing
of the file behind); only after that commit does each new newcomer get the invitation SMS.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from forms.dates import date_bounds
from forms.imports import COLUMNS, EXAMPLE_ID, CsvRow, NotificationRowForm

from .. import audit
from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Municipality, Newcomer, Staff
from ..models import imports as job_status
from ..models.imports import ImportJob
from ..models.newcomer import DOELGROEPEN
from ..models.types import utcnow
from . import services

PROGRESS_EVERY = 100
"""Rows between two progress updates while checking."""
_CHUNK = 500
"""Values per ``IN (...)``: well under every database's limit on bound parameters."""

REASONS = {
    "example_row": _l("Line %(line)s: this is the example row of the template. Delete it."),
    "external_id_missing": _l("Line %(line)s: the DUO notification id (external_id) is missing."),
    "external_id_too_long": _l("Line %(line)s: the DUO notification id is longer than 64 characters."),
    "name_missing": _l("Line %(line)s: the name is missing."),
    "name_too_long": _l("Line %(line)s: the name is longer than 200 characters."),
    "phone_missing": _l("Line %(line)s: the phone number is missing."),
    "phone_invalid": _l("Line %(line)s: the phone number is not valid."),
    "language_invalid": _l("Line %(line)s: the language is missing or is not one of nl, en, ar, ti, fa, tr, so."),
    "doelgroep_invalid": _l(
        "Line %(line)s: the target group is missing or is not statushouder or gezinsmigrant_overig."
    ),
    "gemeentecode_invalid": _l("Line %(line)s: the municipality code is missing or is not 4 digits."),
    "municipality_not_granted": _l("Line %(line)s: the municipality is not one of your municipalities."),
    "duo_date_invalid": _l(
        "Line %(line)s: the date of DUO's notification is missing or is not a date. Write 31-03-2025 or 2025-03-31."
    ),
    "settled_date_invalid": _l("Line %(line)s: the date settled is not a date. Write 31-03-2025 or 2025-03-31."),
    "duo_date_out_of_range": _l(
        "Line %(line)s: the date of DUO's notification must be from %(earliest)s to %(latest)s. Check the year."
    ),
    "settled_date_out_of_range": _l(
        "Line %(line)s: the date settled must be from %(earliest)s to %(latest)s. Check the year."
    ),
    "bsn_invalid": _l("Line %(line)s: the BSN is not valid (it fails the eleven-test)."),
    "extra_cells": _l("Line %(line)s: the line has more fields than the header. Check the separators."),
    "duplicate_external_id": _l("Line %(line)s: the same DUO notification id is also on line %(lines)s."),
    "duplicate_phone": _l(
        "Line %(line)s: the same phone number is on line %(lines)s already; only that line can be imported."
    ),
    "phone_taken": _l("Line %(line)s: the phone number belongs to a newcomer who is registered already."),
}
"""What each reason code of the report means; shown in the reader's language."""
ALREADY = _l("Line %(line)s: imported before; nothing changed.")
WARNINGS = {
    "duo_date_in_future": _l("Line %(line)s: the date of DUO's notification is in the future. Check it in the file."),
}
"""What is possible but suspicious: the line is imported, and the report says what to check."""
FAILURES = {
    "refused": _l(
        "The import stopped because the database refused a row (perhaps someone registered one of these "
        "newcomers at the same time). Nothing of this file was imported. Upload the file again."
    ),
    "error": _l("The import stopped because of an error on our side. Nothing of this file was imported."),
    "sending": _l(
        "The newcomers were imported, but sending the invitations stopped. "
        "Send the missing invitations from their files."
    ),
}


@dataclass(frozen=True)
class ValidRow:
    """A checked row, ready to be written."""

    line: int
    external_id: str
    name: str
    phone: str
    language: str
    doelgroep: str
    municipality_id: int
    duo_notified_on: date | None
    settled_on: date | None
    bsn: str | None


@dataclass(frozen=True)
class ReportLine:
    """One line of the report: the message, and the row's notification id and name as written in the file."""

    message: str
    external_id: str
    name: str


def _report_line(entry: dict, messages: dict) -> ReportLine:
    earliest, latest = date_bounds()
    others = ", ".join(str(n) for n in entry.get("lines", []))
    values = {"line": entry["line"], "lines": others, "earliest": format_date(earliest), "latest": format_date(latest)}
    return ReportLine(str(messages[entry["code"]]) % values, entry.get("external_id", ""), entry.get("name", ""))


def report_lines(job: ImportJob) -> list[ReportLine]:
    """The report in plain language, one line per problem, in line order (already imported last)."""
    return [_report_line(entry, REASONS) for entry in job.report.get("errors", [])]


def warning_lines(job: ImportJob) -> list[ReportLine]:
    """The imported lines with something to check (a DUO date in the future), in line order."""
    return [_report_line(entry, WARNINGS) for entry in job.report.get("warnings", [])]


def already_lines(job: ImportJob) -> list[str]:
    """The rows that were imported before, one line each."""
    return [str(ALREADY) % {"line": line} for line in job.report.get("already", [])]


def template_csv(staff: Staff) -> str:
    """The template: the header and one example row, for Dutch Excel (semicolons, CRLF; the caller adds a BOM)."""
    example = {
        "external_id": EXAMPLE_ID,
        "name": "Amal Al-Hassan",
        "phone": "06 12345678",
        "language": "ar",
        "doelgroep": "statushouder",
        "gemeentecode": staff.municipalities[0].code if staff.municipalities else "0405",
        "duo_notified_on": "2025-03-31",
        "settled_on": "15-04-2025",
        "bsn": "",
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([example[name] for name in COLUMNS])
    return out.getvalue()


def get_job(job_id: int, staff: Staff) -> ImportJob | None:
    """An import job of this staff member, or None (also when it is someone else's)."""
    return db.session.scalar(select(ImportJob).where(ImportJob.id == job_id, ImportJob.created_by_staff_id == staff.id))


def recent_jobs(staff: Staff, limit: int = 10) -> list[ImportJob]:
    """This staff member's latest imports, newest first."""
    return list(
        db.session.scalars(
            select(ImportJob)
            .where(ImportJob.created_by_staff_id == staff.id)
            .order_by(ImportJob.id.desc())
            .limit(limit)
        )
    )


def in_background(work, *args, name: str):  # noqa: ANN001, ANN002, ANN201 - interim, see issue 7
    import threading

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            work(*args)

    thread = threading.Thread(target=run, name=f"sms-{name}", daemon=True)
    thread.start()
    return thread


def start(staff: Staff, rows: list[CsvRow]) -> ImportJob:
    """Record a new import job and run it in the background; returns at once (committed)."""
    job = ImportJob(created_by_staff_id=staff.id, rows_total=len(rows), status=job_status.QUEUED)
    db.session.add(job)
    db.session.flush()
    audit.record("import.started", "import_job", job.id)
    db.session.commit()
    # The thread name starts with "sms-" (in_background adds it), so tests can wait for it.
    in_background(run, job.id, staff.id, rows, name=f"import-{job.id}")
    return job


def run(job_id: int, staff_id: int, rows: list[CsvRow]) -> None:
    """The whole import, in a thread of its own: check every row, write the valid ones, invite them."""
    staff = db.session.get(Staff, staff_id)
    job = db.session.get(ImportJob, job_id)
    if staff is None or job is None:
        return
    actor = ("staff", staff.id)
    stage = "check"
    try:
        valid = check(job, staff, rows)
        stage = "write"
        newcomer_ids = write(job, staff, valid)
        stage = "send"
        send_invitations(job, staff, newcomer_ids)
    except Exception as error:  # whatever happens, the job must end as failed, not hang
        db.session.rollback()
        if stage == "send":
            reason = "sending"
        elif isinstance(error, IntegrityError):
            reason = "refused"
        else:
            reason = "error"
        _fail(job_id, staff, reason)
        # The class name only: database messages can quote the row's values (personal data).
        current_app.logger.warning("import %s failed while %s: %s", job_id, stage, type(error).__name__)
        return
    job.status, job.finished_at = job_status.DONE, utcnow()
    audit.record("import.finished", "import_job", job.id, actor=actor)
    db.session.commit()


def _fail(job_id: int, staff: Staff, reason: str) -> None:
    job = db.session.get(ImportJob, job_id)
    job.status, job.failure, job.finished_at = job_status.FAILED, reason, utcnow()
    audit.record("import.failed", "import_job", job_id, result=audit.FAILED, actor=("staff", staff.id))
    db.session.commit()


def check(job: ImportJob, staff: Staff, rows: list[CsvRow]) -> list[ValidRow]:
    """Check every row; record the report (line numbers and reason codes only) and return the valid rows."""
    job.status = job_status.CHECKING
    db.session.commit()
    municipalities = {code: id_ for code, id_ in db.session.execute(select(Municipality.code, Municipality.id))}
    granted = set(staff.municipality_ids)
    languages = [language.code for language in LANGUAGES]
    errors: dict[int, list[dict]] = defaultdict(list)
    candidates: list[ValidRow] = []
    # Where each notification id (per municipality code) and phone number occurs, wrong rows included.
    lines_of: dict[str, dict[object, list[int]]] = {
        "duplicate_external_id": defaultdict(list),
        "duplicate_phone": defaultdict(list),
    }
    idents: dict[int, dict[str, str]] = {}
    warnings: dict[int, list[str]] = {}
    for number, row in enumerate(rows, start=1):
        form = NotificationRowForm(row.values, languages, list(DOELGROEPEN))
        codes = form.problems()
        idents[row.line] = _ident(row)
        if form.external_id.data:
            lines_of["duplicate_external_id"][(form.gemeentecode.data, form.external_id.data)].append(row.line)
        if form.e164:
            lines_of["duplicate_phone"][form.e164].append(row.line)
        if row.extra_cells:
            codes.append("extra_cells")
        municipality_id = municipalities.get(form.gemeentecode.data or "")
        if "gemeentecode_invalid" not in codes and municipality_id not in granted:
            codes.append("municipality_not_granted")
        errors[row.line].extend({"line": row.line, "code": code, **idents[row.line]} for code in codes)
        warnings[row.line] = form.warnings()
        if not codes:
            candidates.append(
                ValidRow(
                    line=row.line,
                    external_id=form.external_id.data,
                    name=form.name.data,
                    phone=form.e164,
                    language=form.language.data,
                    doelgroep=form.doelgroep.data,
                    municipality_id=municipality_id,  # type: ignore[arg-type] - granted, so found
                    duo_notified_on=form.duo_notified_on.data,
                    settled_on=form.settled_on.data,
                    bsn=form.bsn.data or None,
                )
            )
        if number % PROGRESS_EVERY == 0:
            job.rows_checked = number
            db.session.commit()
    duplicated = _mark_duplicates(lines_of, errors, idents)
    already_lines, valid = _set_aside_imported([row for row in candidates if row.line not in duplicated])
    valid = _set_aside_taken_phones(valid, errors, idents)
    report_errors = sorted((e for entries in errors.values() for e in entries), key=lambda e: e["line"])
    report_warnings = [
        {"line": row.line, "code": code, **idents[row.line]} for row in valid for code in warnings[row.line]
    ]
    job.report = {"errors": report_errors, "already": sorted(already_lines), "warnings": report_warnings}
    job.rows_checked = len(rows)
    job.invalid_count = len({e["line"] for e in report_errors})
    job.already_count = len(already_lines)
    db.session.commit()
    return valid


def _chunks(values: list, size: int = _CHUNK) -> Iterator[list]:
    for at in range(0, len(values), size):
        yield values[at : at + size]


def _set_aside_imported(rows: list[ValidRow]) -> tuple[list[int], list[ValidRow]]:
    """Rows whose (municipality, external id) is in the database already: not errors, just done before."""
    keys = sorted({(row.municipality_id, row.external_id) for row in rows})
    known: set[tuple[int, str]] = set()
    for chunk in _chunks(keys):
        found = db.session.execute(
            select(Newcomer.municipality_id, Newcomer.external_id).where(
                tuple_(Newcomer.municipality_id, Newcomer.external_id).in_(chunk)
            )
        )
        known.update((municipality_id, external_id) for municipality_id, external_id in found)
    already = [row.line for row in rows if (row.municipality_id, row.external_id) in known]
    return already, [row for row in rows if (row.municipality_id, row.external_id) not in known]


def _ident(row: CsvRow) -> dict[str, str]:
    """The row's notification id and name as written (cut to their limits), so the report names the row."""
    return {
        "external_id": row.values.get("external_id", "")[:64],
        "name": " ".join(row.values.get("name", "").split())[:200],
    }


def _mark_duplicates(
    lines_of: dict[str, dict[object, list[int]]], errors: dict[int, list[dict]], idents: dict[int, dict[str, str]]
) -> set[int]:
    """Lines that share a notification id (all of them are errors) or a phone number (all after the first)."""
    duplicated: set[int] = set()
    for code, groups in lines_of.items():
        for lines in groups.values():
            if len(lines) < 2:
                continue
            if code == "duplicate_phone":  # two people cannot share a number: the first line keeps it
                refused = {line: [lines[0]] for line in lines[1:]}
            else:  # the same notification twice: which one is right cannot be told
                refused = {line: [n for n in lines if n != line] for line in lines}
            for line, others in refused.items():
                errors[line].append({"line": line, "code": code, "lines": others, **idents[line]})
            duplicated.update(refused)
    return duplicated


def _set_aside_taken_phones(
    rows: list[ValidRow], errors: dict[int, list[dict]], idents: dict[int, dict[str, str]]
) -> list[ValidRow]:
    """Rows whose phone number belongs to a newcomer already (in any municipality: phones are unique)."""
    taken: set[str] = set()
    for chunk in _chunks(sorted({row.phone for row in rows})):
        taken.update(
            db.session.scalars(
                select(Newcomer.phone).where(Newcomer.phone.in_(chunk)).execution_options(all_municipalities=True)
            )
        )
    for row in rows:
        if row.phone in taken:
            errors[row.line].append({"line": row.line, "code": "phone_taken", **idents[row.line]})
    return [row for row in rows if row.phone not in taken]


def write(job: ImportJob, staff: Staff, rows: list[ValidRow]) -> list[int]:
    """Write all valid rows in one transaction (all or nothing); the new newcomers' ids."""
    job.status = job_status.IMPORTING
    db.session.commit()
    newcomers = [
        services.new_file(
            name=row.name,
            phone=row.phone,
            language=row.language,
            doelgroep=row.doelgroep,
            municipality_id=row.municipality_id,
            duo_notified_on=row.duo_notified_on,
            settled_on=row.settled_on,
            bsn=row.bsn,
            external_id=row.external_id,
            klantmanager_id=staff.id,
        )
        for row in rows
    ]
    db.session.add_all(newcomers)
    db.session.flush()
    for newcomer in newcomers:
        services.record_registration(newcomer, staff, actor=("staff", staff.id))
    job.imported_count = len(newcomers)
    db.session.commit()
    return [newcomer.id for newcomer in newcomers]


def send_invitations(job: ImportJob, staff: Staff, newcomer_ids: Iterable[int]) -> None:
    """Invite every new newcomer by SMS in their language, as registering by hand does (one commit each)."""
    job.status = job_status.SENDING
    db.session.commit()
    for newcomer_id in newcomer_ids:
        newcomer = db.session.get(Newcomer, newcomer_id)
        services.invite(newcomer, staff, actor=("staff", staff.id))  # commits
        job.invited_count += 1
    db.session.commit()
