"""The verbs of importing DUO notifications: start an import, run it in the worker, report on it.

An upload becomes an :class:`ImportJob` row holding the file's rows (``payload``); the request
commits it and returns. The outbox worker (``flask --app wsgi worker``) claims the job with a lease
(:func:`run_next`, registered with ``job_runner``) and runs it in two stages that are safe to run
again after a worker died:

1. **checking** reads every row and the database and writes nothing but the report;
2. **importing** writes every valid row in one transaction: the file, its history, its audit
   entries, its invitation and the invitation's SMS in the outbox; the same transaction ends the
   job (done, counts, payload wiped). So either all of the file exists, with every invitation
   queued once, or nothing of it does.

A worker that dies leaves its lease to run out; another worker takes the job over and runs it from
the start. Every write to the job goes through :class:`_Claim`, which checks that this worker still
holds it: a worker that lost its claim stops without writing. ``flask --app wsgi
import-notifications`` runs the same code in its own process (:func:`import_from_command_line`).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, null, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

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
from ..outbox import wake_workers
from ..outbox.worker import job_runner
from . import services

if TYPE_CHECKING:
    from ..outbox.worker import Worker

log = logging.getLogger("app.import")

PROGRESS_EVERY = 100
"""Rows between two progress updates (and lease renewals) while checking."""
LEASE = timedelta(minutes=5)
"""How long a claim holds without renewal; then another worker takes the job over."""
MAX_ATTEMPTS = 3
"""Claims after which a job that keeps stopping its worker fails instead of being run again."""
REPORT_ID_DAYS = 30
"""Days after a job ended until the notification ids are wiped from its report."""
WIPE_EVERY_SECONDS = 600.0
"""How often a worker looks for reports whose notification ids are due to be wiped."""
SYSTEM = ("system", None)
"""The audit actor of an import from the command line."""
_CHUNK = 500
"""Values per ``IN (...)``: well under every database's limit on bound parameters."""
NOTIFICATIONS = "notifications"
"""The ``ImportJob.kind`` of this import (DUO's notifications); other kinds are claimed by their own runners."""

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
    # Only from the command line, which imports into the one municipality it is given.
    "other_municipality": _l("Line %(line)s: the municipality code is not the one this import is for."),
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
class Checked:
    """What checking found: the rows to write, and the report (line numbers, codes, notification ids)."""

    valid: list[ValidRow]
    report: dict[str, Any]
    invalid_count: int
    already_count: int


@dataclass(frozen=True)
class Importer:
    """On whose behalf a job runs: the staff member who uploaded it, or the system (command line)."""

    staff: Staff | None
    granted: frozenset[int]
    outside: str
    """The reason code of a row whose municipality is not ``granted``."""
    actor: tuple[str, int | None]


@dataclass(frozen=True)
class ReportLine:
    """One line of the report: the message, and the row's notification id as written in the file (if kept)."""

    message: str
    external_id: str


class LostClaim(Exception):  # noqa: N818 - a condition, not an error
    """Another worker holds the job now (this one's lease ran out), or it ended: stop, write nothing."""


class Released(Exception):  # noqa: N818
    """The worker is stopping (SIGTERM): the job goes back to the queue for another worker."""


# -- the report --------------------------------------------------------------------------------------


def _report_line(entry: dict, messages: dict) -> ReportLine:
    earliest, latest = date_bounds()
    others = ", ".join(str(n) for n in entry.get("lines", []))
    values = {"line": entry["line"], "lines": others, "earliest": format_date(earliest), "latest": format_date(latest)}
    return ReportLine(str(messages[entry["code"]]) % values, entry.get("external_id", ""))


def report_lines(report: dict[str, Any]) -> list[ReportLine]:
    """The report's problems in plain language, one line each, in line order."""
    return [_report_line(entry, REASONS) for entry in report.get("errors", [])]


def warning_lines(report: dict[str, Any]) -> list[ReportLine]:
    """The imported lines with something to check (a DUO date in the future), in line order."""
    return [_report_line(entry, WARNINGS) for entry in report.get("warnings", [])]


def already_lines(report: dict[str, Any]) -> list[str]:
    """The rows that were imported before, one line each."""
    return [str(ALREADY) % {"line": line} for line in report.get("already", [])]


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


def get_job(job_id: int, staff: Staff, kind: str = NOTIFICATIONS) -> ImportJob | None:
    """An import job of this staff member and ``kind``, or None (also when it is someone else's)."""
    return db.session.scalar(
        select(ImportJob).where(
            ImportJob.id == job_id, ImportJob.created_by_staff_id == staff.id, ImportJob.kind == kind
        )
    )


def recent_jobs(staff: Staff, limit: int = 10, kind: str = NOTIFICATIONS) -> list[ImportJob]:
    """This staff member's latest imports of ``kind``, newest first."""
    return list(
        db.session.scalars(
            select(ImportJob)
            .where(ImportJob.created_by_staff_id == staff.id, ImportJob.kind == kind)
            .order_by(ImportJob.id.desc())
            .limit(limit)
        )
    )


# -- starting ----------------------------------------------------------------------------------------


def _payload(rows: list[CsvRow], municipality_id: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "rows": [{"line": row.line, "values": row.values, "extra_cells": row.extra_cells} for row in rows]
    }
    if municipality_id is not None:
        payload["municipality_id"] = municipality_id
    return payload


def _rows(payload: dict[str, Any]) -> list[CsvRow]:
    return [CsvRow(row["line"], dict(row["values"]), bool(row["extra_cells"])) for row in payload["rows"]]


def start(staff: Staff, rows: list[CsvRow]) -> ImportJob:
    """Queue a new import job for the worker; returns at once (committed)."""
    job = ImportJob(
        created_by_staff_id=staff.id, rows_total=len(rows), status=job_status.QUEUED, payload=_payload(rows)
    )
    db.session.add(job)
    db.session.flush()
    audit.record("import.started", "import_job", job.id)
    wake_workers()
    db.session.commit()
    return job


# -- the worker's side -------------------------------------------------------------------------------

_next_wipe = 0.0


@job_runner
def run_next(worker: Worker) -> bool:
    """One unit of import work for an outbox worker loop: claim a job and run it; ``False`` when none waits."""
    global _next_wipe  # noqa: PLW0603 - one timestamp per process
    try:
        job_id = claim(worker.worker_id)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("import: claim failed: %s", type(error).__name__)
        return False
    if job_id is not None:
        try:
            run_claimed(job_id, worker.worker_id, stopping=lambda: worker.stopping)
        except Exception as error:  # noqa: BLE001 - the worker goes on; the lease runs out, the job is taken over
            db.session.rollback()
            log.error("import %s: %s", job_id, type(error).__name__)  # noqa: TRY400 - no traceback: it may quote a row
        return True
    if time.monotonic() >= _next_wipe:
        _next_wipe = time.monotonic() + WIPE_EVERY_SECONDS
        try:
            return wipe_report_ids() > 0
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("import: wiping report ids failed: %s", type(error).__name__)
    return False


def claim(worker_id: str, kind: str = NOTIFICATIONS) -> int | None:
    """Claim the oldest queued job of ``kind``, or one whose worker's lease ran out; committed. Its id, or ``None``.

    Each kind has its own runner (the hours import: ``app.appointments.hours_import``), which claims only its own.
    """
    now = utcnow()
    claimable = and_(
        ImportJob.kind == kind,
        or_(
            ImportJob.status == job_status.QUEUED,
            and_(ImportJob.status.in_(job_status.CLAIMED), ImportJob.lease_until < now),
        ),
    )
    candidate = select(ImportJob.id).where(claimable).order_by(ImportJob.id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    # One statement: on SQLite the UPDATE ... WHERE is atomic; on PostgreSQL the locked row is skipped.
    job_id = db.session.scalar(
        update(ImportJob)
        .where(ImportJob.id.in_(candidate.scalar_subquery()), claimable)
        .values(
            status=job_status.CHECKING,
            claimed_by=worker_id,
            lease_until=now + LEASE,
            attempts=ImportJob.attempts + 1,
            rows_checked=0,
        )
        .returning(ImportJob.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return job_id


class _Claim:
    """A job as one worker holds it: every write checks the claim and renews the lease."""

    def __init__(self, job_id: int, worker_id: str, stopping: Callable[[], bool]) -> None:
        self.job_id, self.worker_id, self.stopping = job_id, worker_id, stopping

    def update(self, **values: object) -> None:
        """Write ``values`` to the job in the current transaction if this worker still holds it; else LostClaim.

        On PostgreSQL the UPDATE also locks the job row until the transaction ends, so no other
        worker can claim it meanwhile (the claim skips locked rows).
        """
        values = {"lease_until": utcnow() + LEASE, **values}
        result = db.session.execute(
            update(ImportJob)
            .where(
                ImportJob.id == self.job_id,
                ImportJob.claimed_by == self.worker_id,
                ImportJob.status.in_(job_status.CLAIMED),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise LostClaim(self.job_id)

    def progress(self, checked: int) -> None:
        """Rows checked so far (committed, with a new lease); stop here when the worker is stopping."""
        if self.stopping():
            raise Released(self.job_id)
        self.update(rows_checked=checked)
        db.session.commit()

    def end(self, status: str, **values: object) -> None:
        """The job's last write: its status, the payload wiped, the claim let go (not committed)."""
        now = utcnow()
        self.update(
            status=status,
            finished_at=now,
            payload=null(),
            claimed_by=None,
            lease_until=None,
            report_ids_until=now + timedelta(days=REPORT_ID_DAYS),
            **values,
        )


def importer(job: ImportJob) -> Importer | None:
    """On whose behalf ``job`` runs, with the municipalities its rows may be for; ``None`` when nobody's."""
    payload = job.payload or {}
    if payload.get("municipality_id") is not None:
        return Importer(None, frozenset({payload["municipality_id"]}), "other_municipality", SYSTEM)
    staff = db.session.get(Staff, job.created_by_staff_id) if job.created_by_staff_id is not None else None
    if staff is None:
        return None
    return Importer(staff, frozenset(staff.municipality_ids), "municipality_not_granted", ("staff", staff.id))


def run_claimed(job_id: int, worker_id: str, stopping: Callable[[], bool] = lambda: False) -> str | None:
    """Run a job this worker claimed, from the start; its final status, or ``None`` if it was let go."""
    job = db.session.get(ImportJob, job_id, populate_existing=True)
    if job is None or job.claimed_by != worker_id or job.status not in job_status.CLAIMED:
        db.session.rollback()
        return None
    held = _Claim(job_id, worker_id, stopping)
    who: Importer | None = None
    stage = "check"
    try:
        who = importer(job)
        if job.attempts > MAX_ATTEMPTS or who is None or not job.payload:
            log.warning("import %s: not run (attempt %s)", job_id, job.attempts)
            return _fail(held, who, "error")
        rows = _rows(job.payload)
        db.session.rollback()  # nothing is held open while checking
        checked = check_rows(rows, who.granted, outside=who.outside, progress=held.progress)
        held.update(
            status=job_status.IMPORTING,
            rows_checked=len(rows),
            report=checked.report,
            invalid_count=checked.invalid_count,
            already_count=checked.already_count,
        )
        db.session.commit()
        stage = "write"
        write(held, who, checked)
    except LostClaim:
        db.session.rollback()
        log.info("import %s: another worker holds it now; stopped while %s", job_id, stage)
        return None
    except Released:
        db.session.rollback()
        _release(held)
        return None
    except OperationalError as error:  # the database went away: the lease runs out, the job is taken over
        db.session.rollback()
        log.warning("import %s: %s while %s; left to be taken over", job_id, type(error).__name__, stage)
        return None
    except Exception as error:  # noqa: BLE001 - whatever else happens, the job must end as failed, not hang
        db.session.rollback()
        # The class name only: database messages can quote the row's values (personal data).
        log.warning("import %s failed while %s: %s", job_id, stage, type(error).__name__)
        return _fail(held, who, "refused" if isinstance(error, IntegrityError) else "error")
    return job_status.DONE


def _fail(held: _Claim, who: Importer | None, reason: str) -> str | None:
    try:
        held.end(job_status.FAILED, failure=reason)
        actor = who.actor if who is not None else SYSTEM
        audit.record("import.failed", "import_job", held.job_id, result=audit.FAILED, actor=actor)
        db.session.commit()
    except (LostClaim, SQLAlchemyError) as error:
        db.session.rollback()
        log.warning("import %s: could not be marked failed: %s", held.job_id, type(error).__name__)
        return None
    return job_status.FAILED


def _release(held: _Claim) -> None:
    """Give the job back to the queue (on SIGTERM, while checking): another worker runs it."""
    try:
        held.update(
            status=job_status.QUEUED,
            claimed_by=None,
            lease_until=None,
            rows_checked=0,
            attempts=ImportJob.attempts - 1,
        )
        db.session.commit()
    except (LostClaim, SQLAlchemyError):
        db.session.rollback()


# -- checking ----------------------------------------------------------------------------------------


def check_rows(
    rows: list[CsvRow],
    granted: frozenset[int] | set[int],
    *,
    outside: str = "municipality_not_granted",
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Check every row against the rules and the database; writes nothing (``progress`` may commit its count)."""
    municipalities = {code: id_ for code, id_ in db.session.execute(select(Municipality.code, Municipality.id))}
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
            codes.append(outside)
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
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    duplicated = _mark_duplicates(lines_of, errors, idents)
    already, valid = _set_aside_imported([row for row in candidates if row.line not in duplicated])
    valid = _set_aside_taken_phones(valid, errors, idents)
    report_errors = sorted((e for entries in errors.values() for e in entries), key=lambda e: e["line"])
    report_warnings = [
        {"line": row.line, "code": code, **idents[row.line]} for row in valid for code in warnings[row.line]
    ]
    report = {"errors": report_errors, "already": sorted(already), "warnings": report_warnings}
    return Checked(valid, report, len({e["line"] for e in report_errors}), len(already))


def _chunks(values: list, size: int = _CHUNK) -> Iterator[list]:
    for at in range(0, len(values), size):
        yield values[at : at + size]


def _set_aside_imported(rows: list[ValidRow]) -> tuple[list[int], list[ValidRow]]:
    """Rows whose (municipality, external id) is in the database already: not errors, just done before."""
    keys = sorted({(row.municipality_id, row.external_id) for row in rows})
    known: set[tuple[int, str]] = set()
    for chunk in _chunks(keys):
        found = db.session.execute(
            select(Newcomer.municipality_id, Newcomer.external_id)
            .where(tuple_(Newcomer.municipality_id, Newcomer.external_id).in_(chunk))
            .execution_options(all_municipalities=True)
        )
        known.update((municipality_id, external_id) for municipality_id, external_id in found)
    already = [row.line for row in rows if (row.municipality_id, row.external_id) in known]
    return already, [row for row in rows if (row.municipality_id, row.external_id) not in known]


def _ident(row: CsvRow) -> dict[str, str]:
    """The row's notification id as written (cut to its limit), so the report names the row; never its name."""
    external_id = row.values.get("external_id", "")[:64]
    return {"external_id": external_id} if external_id else {}


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


# -- writing -----------------------------------------------------------------------------------------


def write(held: _Claim, who: Importer, checked: Checked) -> list[int]:
    """Write every valid row, its invitation and the invitation's SMS, and end the job: one transaction.

    The claim is checked first (on PostgreSQL that locks the job row until the commit); a worker
    that lost it writes nothing. The new newcomers' ids.
    """
    held.update()
    staff_id = who.staff.id if who.staff is not None else None
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
            klantmanager_id=staff_id,
        )
        for row in checked.valid
    ]
    db.session.add_all(newcomers)
    db.session.flush()
    for newcomer in newcomers:
        services.record_registration(newcomer, who.staff, actor=who.actor)
        # The invitation SMS is queued with its invitation as cause: it can only ever be queued once.
        services.invite(newcomer, who.staff, actor=who.actor, commit=False)
    held.end(job_status.DONE, imported_count=len(newcomers), invited_count=len(newcomers))
    audit.record("import.finished", "import_job", held.job_id, actor=who.actor)
    db.session.commit()
    return [newcomer.id for newcomer in newcomers]


# -- the command line --------------------------------------------------------------------------------


def check_only(municipality: Municipality, rows: list[CsvRow]) -> Checked:
    """What importing ``rows`` into ``municipality`` would do, without writing anything (``--dry-run``)."""
    checked = check_rows(rows, frozenset({municipality.id}), outside="other_municipality")
    db.session.rollback()
    return checked


def import_from_command_line(municipality: Municipality, rows: list[CsvRow]) -> ImportJob:
    """Import ``rows`` into ``municipality`` in this process, as the system; the ended job.

    The job is created already claimed by this process: if the process dies, a worker takes the
    job over when the lease runs out, as it would from another worker.
    """
    worker_id = f"cli:{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
    job = ImportJob(
        created_by_staff_id=None,
        rows_total=len(rows),
        status=job_status.CHECKING,
        payload=_payload(rows, municipality.id),
        claimed_by=worker_id,
        lease_until=utcnow() + LEASE,
        attempts=1,
    )
    db.session.add(job)
    db.session.flush()
    audit.record("import.started", "import_job", job.id, actor=SYSTEM)
    db.session.commit()
    job_id = job.id
    run_claimed(job_id, worker_id)
    return db.session.get(ImportJob, job_id, populate_existing=True)


# -- retention ---------------------------------------------------------------------------------------


def wipe_report_ids(limit: int = 100) -> int:
    """Take the notification ids out of the reports of jobs that ended ``REPORT_ID_DAYS`` ago; how many."""
    due = db.session.scalars(
        select(ImportJob).where(ImportJob.report_ids_until <= utcnow()).order_by(ImportJob.id).limit(limit)
    ).all()
    for job in due:
        job.report = {
            key: [_without_id(entry) for entry in entries] if isinstance(entries, list) else entries
            for key, entries in (job.report or {}).items()
        }
        job.report_ids_until = None
    db.session.commit()
    return len(due)


def _without_id(entry: object) -> object:
    if isinstance(entry, dict):
        return {key: value for key, value in entry.items() if key not in ("external_id", "name")}
    return entry
