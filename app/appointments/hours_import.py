"""Importing hours followed per month from a CSV file in the shape of DUO's GevolgdeUren API.

One line per person per month: ``bsn``, ``gemeentecode``, ``maand`` and DUO's three counters
(``participatieAlsTaalles``, ``participatieactiviteitenBredeIntake``, ``taallesEnKnmBredeIntake``;
whole hours 0-9999, an empty cell is not given). The import runs as the DUO notifications import
does (``app.backoffice.import_services``, whose claim, lease and failure handling it reuses): an
upload becomes an :class:`ImportJob` of kind ``hours``; the outbox worker claims it (:func:`run_next`),
**checks** every line (writing only the report), then **writes** every valid line in one
transaction that also ends the job. Each counter is an :class:`HoursEntry` with ``source="import"``,
one per (newcomer, month, kind): importing the same file again changes nothing, and a corrected
file replaces the hours of the months it holds.

The report holds line numbers and reason codes only: no BSN, no names.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from forms.backoffice import is_valid_bsn
from forms.imports import CsvRow
from forms.progress import (
    COUNTER_COLUMNS,
    HOURS_COLUMNS,
    MonthOutOfRange,
    month_bounds,
    parse_hours,
    parse_month,
)

from .. import audit
from ..backoffice import import_services
from ..backoffice.import_services import (  # the claim and its lease, shared with the DUO import
    MAX_ATTEMPTS,
    PROGRESS_EVERY,
    Importer,
    LostClaim,
    Released,
    _Claim,
    _fail,
    _release,
    importer,
)
from ..extensions import db
from ..models import Municipality, Newcomer, Staff
from ..models import imports as job_status
from ..models.appointment import HoursEntry
from ..models.imports import ImportJob
from ..models.types import utcnow
from ..outbox import wake_workers
from ..outbox.worker import job_runner

if TYPE_CHECKING:
    from ..outbox.worker import Worker

log = logging.getLogger("app.import")

KIND = "hours"
"""The ``ImportJob.kind`` of this import."""
SOURCE = "import"
EXAMPLE_BSN = "999999990"
"""The BSN of the template's example line (it passes the eleven-test): a line with it is refused."""
_CHUNK = 500

REASONS = {
    "example_row": _l("Line %(line)s: this is the example line of the template. Delete it."),
    "bsn_invalid": _l("Line %(line)s: the BSN is missing or not valid (it fails the eleven-test)."),
    "gemeentecode_invalid": _l("Line %(line)s: the municipality code is missing or is not 4 digits."),
    "municipality_not_granted": _l("Line %(line)s: the municipality is not one of your municipalities."),
    "bsn_unknown": _l("Line %(line)s: no newcomer with this BSN is registered in this municipality."),
    "bsn_ambiguous": _l("Line %(line)s: more than one newcomer has this BSN in this municipality. Check their files."),
    "month_invalid": _l("Line %(line)s: the month is missing or is not a month. Write 2025-03."),
    "month_out_of_range": _l("Line %(line)s: the month must be from %(earliest)s to %(latest)s. Check the year."),
    "hours_invalid": _l("Line %(line)s: %(column)s is not a whole number of hours from 0 to 9999."),
    "no_hours": _l("Line %(line)s: the line has no hours. Fill in at least one of the three counters."),
    "extra_cells": _l("Line %(line)s: the line has more fields than the header. Check the separators."),
    "duplicate_line": _l("Line %(line)s: the same person and month is also on line %(lines)s."),
}
"""What each reason code of the report means; shown in the reader's language."""
ALREADY = _l("Line %(line)s: imported before; nothing changed.")
FAILURES = {
    "refused": _l(
        "The import stopped because the database refused a line (perhaps the same hours were imported at the "
        "same time). Nothing of this file was imported. Upload the file again."
    ),
    "error": _l("The import stopped because of an error on our side. Nothing of this file was imported."),
}


@dataclass(frozen=True)
class ValidRow:
    """A checked line: whose hours, which month, and the counters given (by ``HoursEntry.kind``)."""

    line: int
    newcomer_id: int
    municipality_id: int
    month: date
    hours: dict[str, int]


@dataclass(frozen=True)
class Checked:
    """What checking found: the lines to write, and the report (line numbers and codes only)."""

    valid: list[ValidRow]
    report: dict[str, Any]
    invalid_count: int
    already_count: int


# -- the report and the template ---------------------------------------------------------------------


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report's problems in plain language, one line each, in line order."""
    earliest, latest = month_bounds()
    lines = []
    for entry in report.get("errors", []):
        values = {
            "line": entry["line"],
            "lines": ", ".join(str(n) for n in entry.get("lines", [])),
            "column": entry.get("column", ""),
            "earliest": earliest.strftime("%Y-%m"),
            "latest": latest.strftime("%Y-%m"),
        }
        lines.append(str(REASONS[entry["code"]]) % values)
    return lines


def already_lines(report: dict[str, Any]) -> list[str]:
    """The lines that were imported before, unchanged, one each."""
    return [str(ALREADY) % {"line": line} for line in report.get("already", [])]


def template_csv(staff: Staff) -> str:
    """The template: the header and one example line, for Dutch Excel (semicolons, CRLF; the caller adds a BOM)."""
    latest = month_bounds()[1]
    example = {
        "bsn": EXAMPLE_BSN,
        "gemeentecode": staff.municipalities[0].code if staff.municipalities else "0405",
        "maand": latest.strftime("%Y-%m"),
        "participatieAlsTaalles": "12",
        "participatieactiviteitenBredeIntake": "",
        "taallesEnKnmBredeIntake": "0",
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HOURS_COLUMNS)
    writer.writerow([example[name] for name in HOURS_COLUMNS])
    return out.getvalue()


def get_job(job_id: int, staff: Staff) -> ImportJob | None:
    """An hours import of this staff member, or None."""
    return import_services.get_job(job_id, staff, kind=KIND)


def recent_jobs(staff: Staff, limit: int = 10) -> list[ImportJob]:
    """This staff member's latest hours imports, newest first."""
    return import_services.recent_jobs(staff, limit, kind=KIND)


# -- starting ----------------------------------------------------------------------------------------


def start(staff: Staff, rows: list[CsvRow]) -> ImportJob:
    """Queue a new hours import for the worker; returns at once (committed)."""
    job = ImportJob(
        kind=KIND,
        created_by_staff_id=staff.id,
        rows_total=len(rows),
        status=job_status.QUEUED,
        payload={"rows": [{"line": r.line, "values": r.values, "extra_cells": r.extra_cells} for r in rows]},
    )
    db.session.add(job)
    db.session.flush()
    audit.record("import.started", "import_job", job.id)
    wake_workers()
    db.session.commit()
    return job


# -- the worker's side -------------------------------------------------------------------------------


@job_runner
def run_next(worker: Worker) -> bool:
    """One unit of hours-import work for an outbox worker loop; ``False`` when no job waits."""
    try:
        job_id = import_services.claim(worker.worker_id, kind=KIND)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("hours import: claim failed: %s", type(error).__name__)
        return False
    if job_id is None:
        return False
    try:
        run_claimed(job_id, worker.worker_id, stopping=lambda: worker.stopping)
    except Exception as error:  # noqa: BLE001 - the worker goes on; the lease runs out, the job is taken over
        db.session.rollback()
        log.error("hours import %s: %s", job_id, type(error).__name__)  # noqa: TRY400 - no traceback: it may quote a row
    return True


def run_claimed(job_id: int, worker_id: str, stopping: Callable[[], bool] = lambda: False) -> str | None:
    """Run an hours job this worker claimed, from the start; its final status, or ``None`` if it was let go."""
    job = db.session.get(ImportJob, job_id, populate_existing=True)
    if job is None or job.kind != KIND or job.claimed_by != worker_id or job.status not in job_status.CLAIMED:
        db.session.rollback()
        return None
    held = _Claim(job_id, worker_id, stopping)
    who: Importer | None = None
    stage = "check"
    try:
        who = importer(job)
        if job.attempts > MAX_ATTEMPTS or who is None or not job.payload:
            log.warning("hours import %s: not run (attempt %s)", job_id, job.attempts)
            return _fail(held, who, "error")
        rows = [CsvRow(r["line"], dict(r["values"]), bool(r["extra_cells"])) for r in job.payload["rows"]]
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
        log.info("hours import %s: another worker holds it now; stopped while %s", job_id, stage)
        return None
    except Released:
        db.session.rollback()
        _release(held)
        return None
    except OperationalError as error:  # the database went away: the lease runs out, the job is taken over
        db.session.rollback()
        log.warning("hours import %s: %s while %s; left to be taken over", job_id, type(error).__name__, stage)
        return None
    except Exception as error:  # noqa: BLE001 - whatever else happens, the job must end as failed, not hang
        db.session.rollback()
        log.warning("hours import %s failed while %s: %s", job_id, stage, type(error).__name__)
        return _fail(held, who, "refused" if isinstance(error, IntegrityError) else "error")
    return job_status.DONE


# -- checking ----------------------------------------------------------------------------------------


def _chunks(values: list, size: int = _CHUNK) -> Iterator[list]:
    for at in range(0, len(values), size):
        yield values[at : at + size]


@dataclass(frozen=True)
class _Line:
    line: int
    bsn: str
    municipality_id: int
    month: date
    hours: dict[str, int]


def _line_problems(
    row: CsvRow, municipalities: dict[str, int], granted: frozenset[int] | set[int], outside: str
) -> tuple[list[dict], _Line | None, tuple | None]:
    """The reason codes of one line, the line as values when it has none, and its (bsn, code, month) key."""
    values = row.values
    problems: list[dict] = []
    bsn = "".join(ch for ch in values.get("bsn", "") if not ch.isspace() and ch != ".")
    bsn = bsn.zfill(9) if len(bsn) == 8 and bsn.isdigit() else bsn  # Excel drops a leading 0
    if bsn == EXAMPLE_BSN:
        problems.append({"code": "example_row"})
    elif not is_valid_bsn(bsn):
        problems.append({"code": "bsn_invalid"})
    code = values.get("gemeentecode", "")
    code = code.zfill(4) if code.isascii() and code.isdigit() and len(code) == 3 else code  # Excel again
    municipality_id = municipalities.get(code) if code.isascii() and code.isdigit() and len(code) == 4 else None
    if not (code.isascii() and code.isdigit() and len(code) == 4):
        problems.append({"code": "gemeentecode_invalid"})
    elif municipality_id not in granted:
        problems.append({"code": outside})
    month = None
    try:
        month = parse_month(values.get("maand"))
        if month is None:
            problems.append({"code": "month_invalid"})
    except MonthOutOfRange:
        problems.append({"code": "month_out_of_range"})
    except ValueError:
        problems.append({"code": "month_invalid"})
    hours: dict[str, int] = {}
    for column, kind in COUNTER_COLUMNS.items():
        try:
            value = parse_hours(values.get(column))
        except ValueError:
            problems.append({"code": "hours_invalid", "column": column})
            continue
        if value is not None:
            hours[kind] = value
    if not hours and not any(p["code"] == "hours_invalid" for p in problems):
        problems.append({"code": "no_hours"})
    if row.extra_cells:
        problems.append({"code": "extra_cells"})
    key = (bsn, code, month) if bsn and code and month else None
    if problems or municipality_id is None or month is None:
        return problems, None, key
    return problems, _Line(row.line, bsn, municipality_id, month, hours), key


def check_rows(
    rows: list[CsvRow],
    granted: frozenset[int] | set[int],
    *,
    outside: str = "municipality_not_granted",
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Check every line against the rules and the database; writes nothing (``progress`` may commit its count)."""
    municipalities = {code: id_ for code, id_ in db.session.execute(select(Municipality.code, Municipality.id))}
    errors: dict[int, list[dict]] = defaultdict(list)
    lines_of: dict[tuple, list[int]] = defaultdict(list)
    candidates: list[_Line] = []
    for number, row in enumerate(rows, start=1):
        problems, line, key = _line_problems(row, municipalities, granted, outside)
        errors[row.line].extend({"line": row.line, **problem} for problem in problems)
        if key is not None:
            lines_of[key].append(row.line)
        if line is not None:
            candidates.append(line)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    duplicated: set[int] = set()
    for lines in lines_of.values():
        if len(lines) > 1:  # which of the two is right cannot be told: neither is imported
            # each names one other line (the first, or the second for the first): a report of the
            # file's size, never of its square, however many copies of one line it holds
            for line in lines:
                other = lines[1] if line == lines[0] else lines[0]
                errors[line].append({"line": line, "code": "duplicate_line", "lines": [other]})
            duplicated.update(lines)
    candidates = [c for c in candidates if c.line not in duplicated]
    valid = _find_newcomers(candidates, errors)
    already, changed = _set_aside_unchanged(valid)
    report_errors = sorted((e for entries in errors.values() for e in entries), key=lambda e: e["line"])
    report = {"errors": report_errors, "already": sorted(already), "warnings": []}
    return Checked(changed, report, len({e["line"] for e in report_errors}), len(already))


def _find_newcomers(lines: list[_Line], errors: dict[int, list[dict]]) -> list[ValidRow]:
    """The lines whose BSN is one newcomer's in that municipality; the others become report entries."""
    keys = sorted({(line.municipality_id, line.bsn) for line in lines})
    found: dict[tuple[int, str], list[int]] = defaultdict(list)
    for chunk in _chunks(keys):
        rows = db.session.execute(
            select(Newcomer.id, Newcomer.municipality_id, Newcomer.bsn)
            .where(
                Newcomer.municipality_id.in_({m for m, _ in chunk}),
                Newcomer.bsn.in_({b for _, b in chunk}),
            )
            .execution_options(all_municipalities=True)
        )
        for newcomer_id, municipality_id, bsn in rows:
            found[(municipality_id, bsn)].append(newcomer_id)
    valid = []
    for line in lines:
        ids = found.get((line.municipality_id, line.bsn), [])
        if len(ids) != 1:
            errors[line.line].append({"line": line.line, "code": "bsn_unknown" if not ids else "bsn_ambiguous"})
            continue
        valid.append(ValidRow(line.line, ids[0], line.municipality_id, line.month, line.hours))
    return valid


def _stored(rows: list[ValidRow]) -> dict[tuple[int, date, str], HoursEntry]:
    """The imported hours already stored for these lines' newcomers, by (newcomer, month, kind)."""
    stored: dict[tuple[int, date, str], HoursEntry] = {}
    for chunk in _chunks(sorted({row.newcomer_id for row in rows})):
        for entry in db.session.scalars(
            select(HoursEntry)
            .where(HoursEntry.newcomer_id.in_(chunk), HoursEntry.source == SOURCE)
            .execution_options(all_municipalities=True)
        ):
            stored[(entry.newcomer_id, entry.month, entry.kind)] = entry
    return stored


def _set_aside_unchanged(rows: list[ValidRow]) -> tuple[list[int], list[ValidRow]]:
    """Lines whose every counter is stored already with the same hours: not errors, just done before."""
    stored = _stored(rows)
    already, changed = [], []
    for row in rows:
        same = all(
            (entry := stored.get((row.newcomer_id, row.month, kind))) is not None and entry.hours == value
            for kind, value in row.hours.items()
        )
        (already if same else changed).append(row.line if same else row)
    return already, changed


# -- writing -----------------------------------------------------------------------------------------


def write(held: _Claim, who: Importer, checked: Checked) -> int:
    """Write every changed line's hours and end the job: one transaction. How many lines were written.

    The claim is checked first (on PostgreSQL that locks the job row until the commit); a worker
    that lost it writes nothing.
    """
    held.update()
    staff_id = who.staff.id if who.staff is not None else None
    stored = _stored(checked.valid)
    now = utcnow()
    for row in checked.valid:
        for kind, value in row.hours.items():
            entry = stored.get((row.newcomer_id, row.month, kind))
            if entry is None:
                db.session.add(
                    HoursEntry(
                        newcomer_id=row.newcomer_id,
                        municipality_id=row.municipality_id,
                        month=row.month,
                        kind=kind,
                        hours=value,
                        source=SOURCE,
                        import_job_id=held.job_id,
                        updated_at=now,
                        updated_by_staff_id=staff_id,
                    )
                )
            elif entry.hours != value:
                entry.hours, entry.import_job_id, entry.updated_at = value, held.job_id, now
                entry.updated_by_staff_id = staff_id
    for newcomer_id, municipality_id in sorted({(row.newcomer_id, row.municipality_id) for row in checked.valid}):
        audit.record(
            "progress.hours_imported", "newcomer", newcomer_id, municipality_id=municipality_id, actor=who.actor
        )
    held.end(job_status.DONE, imported_count=len(checked.valid))
    audit.record("import.finished", "import_job", held.job_id, actor=who.actor)
    db.session.commit()
    return len(checked.valid)
