"""Importing the history of a region that starts mid-way: its existing files and their records, from CSV.

Seven files, one per kind (:data:`KINDS`), each optional, read in this order so that later kinds
can name a file of the same upload: ``files`` (the newcomer, their end and met obligation),
``pips`` (PIP versions), ``progress`` (route dates), ``relief`` (financieel ontzorgen),
``activities`` (participation), ``household`` (members not obliged) and ``complaints``. The
format is the DUO import's (``forms.imports``: UTF-8, comma, semicolon or tab, any line ends, the
size limit ``IMPORT_MAX_BYTES`` for all files together); docs/history-import.md lists the columns.

- **Checked first**: a check run reads every line and the database, reports per line what is
  wrong, and writes nothing (its transaction is rolled back).
- **All or nothing**: an import runs the same checks in one transaction; one wrong line and
  nothing of the upload is written.
- **Idempotent**: a second run changes nothing. Files, household members and complaints carry
  their ``external_id`` (per municipality); a file's PIP versions are known by their date, its route
  progress and relief are one row each (only empty dates are filled), an activity is known by its
  file, kind and start.

An upload becomes an :class:`ImportJob` of kind ``history`` (:func:`start`) holding the rows and
whether it is a check run; the outbox worker claims it (:func:`run_next`, the claim and lease of the
DUO import) and runs it (:func:`run_claimed`): one transaction that also ends the job, with the
report, so the rows exist together with a job that says so, or not at all.

Cells are read as text and stored as text: a cell like ``=HYPERLINK(...)`` is data, never evaluated.
No cell is echoed in the report (lines are named by number), so no personal data is shown again.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from forms.dates import date_bounds, today
from forms.imports import (
    _DELIMITERS,
    _WORKBOOK_MAGIC,
    DATE_FORMATS,
    EXAMPLE_ID,
    NO_ROWS,
    NOT_CSV,
    NOT_UTF8,
    UNREADABLE,
    CsvProblem,
    NotificationRowForm,
    _clean,
    _column,
)

from .. import audit
from ..casefiles import set_status
from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Municipality, Newcomer, Pip, Staff, StatusChange
from ..models import casefile as status
from ..models import imports as job_status
from ..models.appointment import RouteProgress
from ..models.imports import ImportJob
from ..models.newcomer import DOELGROEPEN
from ..models.records import (
    ACTIVITY_KINDS,
    END_REASONS,
    FILED_WITH,
    FILED_WITH_MUNICIPALITY,
    MEMBER_KINDS,
    Complaint,
    HouseholdMember,
    ParticipationActivity,
    ReliefTrajectory,
)
from ..outbox import wake_workers
from ..outbox.worker import job_runner
from ..params import clean_text
from . import import_services
from .import_services import MAX_ATTEMPTS, REASONS, Importer, LostClaim, Released, _Claim, _fail, _release, importer
from .records_forms import EARLIEST_BIRTH_YEAR
from .records_services import end_status, six_months_after

if TYPE_CHECKING:
    from ..outbox.worker import Worker

log = logging.getLogger("app.import")

KIND = "history"
"""The ``ImportJob.kind`` of this import."""
SOURCE = "history import"
"""The comment of the status changes an import writes."""
MAX_ROWS = 20_000
"""Lines of all files together: an import runs as one transaction of the worker."""

Row = tuple[int, dict[str, str], bool]
"""A line of a file as :func:`read_rows` reads it: (line number, known columns, extra cells)."""
Parser = Callable[["_Run", int, str, str], Any]
"""Reads a filled-in cell: (run, line, column, text) to its value; reports what is wrong with it."""
Rule = Callable[["_Run", int, dict[str, Any], dict[str, str]], None]
"""Checks a line's read cells together: (run, line, cells, raw values); reports what is wrong."""


def _date(run: _Run, line: int, column: str, text: str) -> date | None:
    """A date (ISO or D-M-YYYY) within the bounds of staff dates."""
    for fmt in DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not run.earliest <= value <= run.latest:
            run.error(line, "date_out_of_range", column=column)
            return None
        return value
    run.error(line, "date_invalid", column=column)
    return None


def _yes_no(default: bool) -> Parser:
    def parse(run: _Run, line: int, column: str, text: str) -> bool:
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        run.error(line, "yes_no_invalid", column=column)
        return default

    return parse


def _one_of(allowed: tuple[str, ...] | frozenset[str] | dict) -> Parser:
    """One of ``allowed`` (any case); a value outside them is reported and read as given, lowered."""

    def parse(run: _Run, line: int, column: str, text: str) -> str:
        if text.lower() not in allowed:
            run.error(line, "value_invalid", column=column)
        return text.lower()

    return parse


def _whole(low: int, high: int | Callable[[], int]) -> Parser:
    """A whole number from ``low`` to ``high`` (a callable: read when the cell is)."""

    def parse(run: _Run, line: int, column: str, text: str) -> int | None:
        top = high() if callable(high) else high
        if not (text.isascii() and text.isdigit() and len(text) <= 6 and low <= int(text) <= top):
            run.error(line, "number_invalid", column=column)
            return None
        return int(text)

    return parse


def _text(max_length: int) -> Parser:
    def parse(run: _Run, line: int, column: str, text: str) -> str:
        if len(text) > max_length:
            run.error(line, "too_long", column=column)
        return text

    return parse


@dataclass(frozen=True)
class Column:
    """One column of a kind's file: its name, whether it is required, how a filled-in cell is read.

    An empty cell is ``default``; a required one empty is reported as ``missing`` (its error code).
    A required column must be in the file's header.
    """

    name: str
    parse: Parser
    required: bool = False
    missing: str = "value_missing"
    default: Any = None

    def read(self, run: _Run, line: int, values: dict[str, str]) -> Any:
        text = values.get(self.name, "")
        if not text:
            if self.required:
                run.error(line, self.missing, column=self.name)
            return self.default
        return self.parse(run, line, self.name, text)


def _day(name: str, *, required: bool = False) -> Column:
    return Column(name, _date, required=required, missing="date_missing")


def _not_before(column: str, start: str) -> Rule:
    """``column`` is not before ``start`` (both dates, when read)."""

    def rule(run: _Run, line: int, cells: dict[str, Any], _values: dict[str, str]) -> None:
        if cells[column] is not None and cells[start] is not None and cells[column] < cells[start]:
            run.error(line, "date_before_start", column=column)

    return rule


def _end_with_reason(run: _Run, line: int, _cells: dict[str, Any], values: dict[str, str]) -> None:
    if bool(values.get("end_reason", "")) != bool(values.get("ended_on")):
        run.error(line, "end_incomplete")


def _pip_rule(run: _Run, line: int, cells: dict[str, Any], _values: dict[str, str]) -> None:
    if (cells["leerroute"], cells["level"]) in (("o", "a2"), ("z", "b1")):
        run.error(line, "pip_rule")


def _extension_dated(run: _Run, line: int, cells: dict[str, Any], _values: dict[str, str]) -> None:
    # Only when the cells themselves are right: a wrong date is one error, not two.
    if cells["extended"] != (cells["extension_decided_on"] is not None) and run.line_ok(line):
        run.error(line, "extension_undated")


FILE = "file"
"""Rows that name a file (``file_external_id``, required) and are known again by it."""
RECORD = "record"
"""Rows with an ``external_id`` of their own that may name a file."""
NEWCOMER = "newcomer"
"""The files themselves, read like DUO's notifications (``NotificationRowForm``)."""
IDENTITY = {
    FILE: ("file_external_id", "gemeentecode"),
    RECORD: ("external_id", "gemeentecode", "file_external_id"),
    NEWCOMER: ("external_id", "gemeentecode", "name", "phone", "language", "doelgroep", "duo_notified_on",
               "settled_on", "bsn"),
}  # fmt: skip
"""The columns each kind of identity reads, first in the file; of a file, every one but the last two is required."""


@dataclass(frozen=True)
class KindSpec:
    """A kind of file: how its rows are identified, its other columns and rules (read in this order), its key."""

    identity: str
    cells: tuple[Column | Rule, ...]
    key: tuple[str, ...]
    """The cells that make two lines the same record (the later one is reported)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return IDENTITY[self.identity] + tuple(c.name for c in self.cells if isinstance(c, Column))

    @property
    def required(self) -> tuple[str, ...]:
        if self.identity == NEWCOMER:
            return IDENTITY[NEWCOMER][:7]
        named = IDENTITY[self.identity][:2]
        return named + tuple(c.name for c in self.cells if isinstance(c, Column) and c.required)


PROGRESS_DATES = (
    "route_started_on", "route_completed_on", "z_completed_on", "pvt_signed_on", "map_final_interview_on",
    "map_exempt_on",
)  # fmt: skip
SPECS: dict[str, KindSpec] = {
    "files": KindSpec(
        NEWCOMER,
        (
            _day("ended_on"),
            Column("end_reason", _one_of(END_REASONS), default=""),
            _end_with_reason,
            _day("obligation_met_on"),
            Column("status", _one_of(status.STATUSES), default=""),
            Column("nareiziger", _yes_no(False), default=False),
        ),
        key=("gemeentecode", "external_id"),
    ),
    "pips": KindSpec(
        FILE,
        (
            _day("pip_on", required=True),
            Column("leerroute", _one_of(("b", "z", "o")), required=True, default=""),
            Column("level", _one_of(("a2", "b1")), required=True, default=""),
            _pip_rule,
        ),
        key=("gemeentecode", "file_external_id", "pip_on"),
    ),
    "progress": KindSpec(
        FILE,
        (*(_day(name) for name in PROGRESS_DATES), _not_before("route_completed_on", "route_started_on")),
        key=("gemeentecode", "file_external_id"),
    ),
    "relief": KindSpec(
        FILE,
        (
            _day("started_on", required=True),
            _day("six_months_on"),
            Column("extended", _yes_no(False), default=False),
            _day("extension_decided_on"),
            _day("ended_on"),
            _extension_dated,
            _not_before("six_months_on", "started_on"),
            _not_before("extension_decided_on", "started_on"),
            _not_before("ended_on", "started_on"),
        ),
        key=("gemeentecode", "file_external_id"),
    ),
    "activities": KindSpec(
        FILE,
        (
            Column("kind", _one_of(ACTIVITY_KINDS), required=True, default=""),
            _day("started_on", required=True),
            _day("ended_on"),
            Column("hours_per_week", _whole(1, 80)),
            _not_before("ended_on", "started_on"),
        ),
        key=("gemeentecode", "file_external_id", "kind", "started_on"),
    ),
    "household": KindSpec(
        RECORD,
        (
            Column("kind", _one_of(MEMBER_KINDS), required=True, default=""),
            Column("birth_year", _whole(EARLIEST_BIRTH_YEAR, lambda: today().year)),
            _day("housed_on", required=True),
            Column("nareiziger", _yes_no(False), default=False),
        ),
        key=("gemeentecode", "external_id"),
    ),
    "complaints": KindSpec(
        RECORD,
        (
            _day("received_on", required=True),
            Column("official", _yes_no(True), required=True, default=True),
            Column("about_inburgering", _yes_no(True), default=True),
            Column("filed_with", _one_of(FILED_WITH), required=True, default=""),
            Column("subject", _text(200), required=True, default=""),
            _day("handled_on"),
            _not_before("handled_on", "received_on"),
            Column("outcome", _text(2000), default=""),
        ),
        key=("gemeentecode", "external_id"),
    ),
}
"""Every kind, in the order an upload is read (later kinds may name files of earlier ones)."""
FILE_COLUMNS = IDENTITY[NEWCOMER] + ("status", "ended_on", "end_reason", "obligation_met_on", "nareiziger")
"""The files' template columns (the status first; the cells are read in the spec's order)."""
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    kind: (FILE_COLUMNS if kind == "files" else spec.columns, spec.required) for kind, spec in SPECS.items()
}
"""Per kind: its columns, then the required ones."""
EXAMPLES: dict[str, dict[str, str]] = {
    "files": {
        "external_id": EXAMPLE_ID, "name": "Amal Al-Hassan", "phone": "06 12345678", "language": "ar",
        "doelgroep": "statushouder", "duo_notified_on": "2023-03-31", "settled_on": "15-04-2023", "bsn": "",
        "status": "in_route", "ended_on": "", "end_reason": "", "obligation_met_on": "", "nareiziger": "nee",
    },
    "pips": {"file_external_id": EXAMPLE_ID, "pip_on": "2023-06-01", "leerroute": "B", "level": "B1"},
    "progress": {
        "file_external_id": EXAMPLE_ID, "route_started_on": "2023-07-03", "route_completed_on": "",
        "z_completed_on": "", "pvt_signed_on": "2023-09-12", "map_final_interview_on": "", "map_exempt_on": "",
    },
    "relief": {
        "file_external_id": EXAMPLE_ID, "started_on": "2023-05-01", "six_months_on": "", "extended": "ja",
        "extension_decided_on": "2023-10-20", "ended_on": "2024-05-01",
    },
    "activities": {
        "file_external_id": EXAMPLE_ID, "kind": "volunteer_work", "started_on": "2024-02-01", "ended_on": "",
        "hours_per_week": "8",
    },
    "household": {
        "external_id": EXAMPLE_ID, "file_external_id": EXAMPLE_ID, "kind": "child", "birth_year": "2015",
        "housed_on": "2023-04-15", "nareiziger": "nee",
    },
    "complaints": {
        "external_id": EXAMPLE_ID, "file_external_id": "", "received_on": "2024-01-10", "official": "ja",
        "about_inburgering": "ja", "filed_with": "municipality", "subject": "Waiting time for the intake",
        "handled_on": "2024-02-01", "outcome": "",
    },
}  # fmt: skip
YES = frozenset({"ja", "j", "yes", "y", "1", "true", "waar"})
NO = frozenset({"nee", "n", "no", "0", "false", "onwaar", ""})

MESSAGES = {
    **REASONS,
    "file_unknown": _l(
        "Line %(line)s: no file with this file_external_id in this municipality (in the database or files.csv)."
    ),
    "file_missing": _l("Line %(line)s: the file_external_id is missing."),
    "date_invalid": _l("Line %(line)s: %(column)s is not a date. Write 31-03-2025 or 2025-03-31."),
    "date_missing": _l("Line %(line)s: %(column)s is missing."),
    "date_out_of_range": _l("Line %(line)s: %(column)s must be from %(earliest)s to %(latest)s. Check the year."),
    "date_before_start": _l("Line %(line)s: %(column)s cannot be before the start."),
    "yes_no_invalid": _l("Line %(line)s: %(column)s must be ja or nee."),
    "value_invalid": _l("Line %(line)s: %(column)s is not one of the values docs/history-import.md lists."),
    "value_missing": _l("Line %(line)s: %(column)s is missing."),
    "too_long": _l("Line %(line)s: %(column)s is too long."),
    "number_invalid": _l("Line %(line)s: %(column)s must be a whole number in the range docs/history-import.md names."),
    "end_incomplete": _l("Line %(line)s: ended_on and end_reason go together: fill in both or neither."),
    "extension_undated": _l("Line %(line)s: an extension needs extension_decided_on (and extended ja)."),
    "duplicate": _l("Line %(line)s: the same record is also on line %(lines)s."),
    "pip_rule": _l("Line %(line)s: this route and level do not go together (A2 with O, or B1 with Z)."),
    "pip_exists": _l("Line %(line)s: the file has other PIP versions already; this one cannot be added before them."),
    "differs": _l("Line %(line)s: the file has a different %(column)s already; nothing is overwritten."),
    "refused": _l("The database refused a line; nothing was imported. Check the files and try again."),
}
FAILURES = {
    "refused": MESSAGES["refused"],
    "error": _l("The import stopped because of an error on our side. Nothing of these files was imported."),
}
"""Why a job failed (``ImportJob.failure``), in the reader's language."""


@dataclass
class Report:
    """What a run found, per kind: problems per line, lines already there, lines written (or to write)."""

    checked_only: bool
    errors: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    already: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    new: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed

    @property
    def imported(self) -> bool:
        return self.ok and not self.checked_only

    def lines(self) -> list[tuple[str, str]]:
        """(kind, message) for every problem, in the reader's language, in the order found."""
        earliest, latest = date_bounds()
        bounds = {"earliest": format_date(earliest), "latest": format_date(latest), "lines": "", "column": ""}
        return [(kind, str(MESSAGES[entry["code"]]) % {**bounds, **entry}) for kind, entry in self.errors]

    def as_json(self) -> dict[str, Any]:
        """The report as a job keeps it (``ImportJob.report``): line numbers, codes and column names only."""
        return {
            "check_only": self.checked_only,
            "errors": [{"kind": kind, **entry} for kind, entry in self.errors],
            "new": dict(self.new),
            "already": dict(self.already),
        }

    @classmethod
    def of_job(cls, job: ImportJob) -> Report:
        """The report a job keeps, to show on its page (empty while the job runs)."""
        data = job.report or {}
        report = cls(checked_only=bool(data.get("check_only")), failed=bool(job.failure))
        for entry in data.get("errors", []):
            entry = dict(entry)
            report.errors.append((entry.pop("kind", ""), entry))
        report.new.update(data.get("new", {}))
        report.already.update(data.get("already", {}))
        return report

    @property
    def invalid_count(self) -> int:
        """Lines with at least one problem."""
        return len({(kind, entry["line"]) for kind, entry in self.errors})


@dataclass
class _FileRef:
    newcomer: Newcomer
    created: bool


def read_rows(data: bytes, kind: str) -> list[Row]:
    """The rows of one kind's file: (line, known columns, extra cells), like ``forms.imports.read_csv``."""
    columns, required = KINDS[kind]
    if data.startswith(_WORKBOOK_MAGIC):
        raise CsvProblem(NOT_CSV)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvProblem(NOT_UTF8) from None
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, dict[str, str], bool]] = []
    header: list[str] | None = None
    try:
        start = 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [_column(cell) for cell in cells]
                missing = [name for name in required if name not in header]
                if missing:
                    raise CsvProblem(
                        _l(
                            "The file has no column %(columns)s. Download the template to see the columns.",
                            columns=", ".join(missing),
                        )
                    )
                twice = sorted({name for name in header if name and header.count(name) > 1})
                if twice:
                    raise CsvProblem(_l("The column %(column)s appears more than once.", column=", ".join(twice)))
                continue
            # Control characters (forms.imports._clean), and the bidi overrides and isolates every form strips.
            values = {
                name: clean_text(_clean(cell)).strip()
                for name, cell in zip(header, cells, strict=False)
                if name in columns
            }
            rows.append((line, values, any(cell.strip() for cell in cells[len(header) :])))
    except csv.Error:
        raise CsvProblem(UNREADABLE) from None
    if not rows:
        raise CsvProblem(NO_ROWS)
    return rows


def template_csv(kind: str, staff: Staff) -> str:
    """The header and one example row of ``kind`` (semicolons, CRLF; the caller adds a BOM)."""
    columns = KINDS[kind][0]
    example = {"gemeentecode": staff.municipalities[0].code if staff.municipalities else "0405", **EXAMPLES[kind]}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([example.get(name, "") for name in columns])
    return out.getvalue()


@dataclass(frozen=True)
class _Line:
    """A line as its kind's spec read it: the cells, whose it is, and whether it is right so far."""

    line: int
    cells: dict[str, Any]
    municipality: Municipality | None
    newcomer: Newcomer | None
    external_id: str | None
    form: NotificationRowForm | None
    ok: bool


class _Run:
    """One check or import run over all the uploaded files, in the session's transaction."""

    def __init__(self, staff: Staff, report: Report, actor: tuple[str, int | None]) -> None:
        self.staff, self.report, self.actor = staff, report, actor
        self.municipalities = {m.code: m for m in staff.municipalities}
        self.files: dict[tuple[int, str], _FileRef] = {}
        self.kind = ""
        self.earliest, self.latest = date_bounds()
        self.touched: set[int] = set()
        """The municipalities this run writes to."""
        self._line_start = 0
        """The number of problems reported before the current line."""

    def added(self, municipality_id: int) -> None:
        """One more new (or filled) record of the current kind, in ``municipality_id``."""
        self.report.new[self.kind] += 1
        self.touched.add(municipality_id)

    # -- reading lines ---------------------------------------------------------------------------------

    def error(self, line: int, code: str, **values: Any) -> None:
        self.report.errors.append((self.kind, {"line": line, "code": code, **values}))

    def line_ok(self, line: int) -> bool:
        """Whether nothing is wrong with the current line so far."""
        return len(self.report.errors) == self._line_start

    def lines(self, rows: list[Row]) -> Iterator[_Line]:
        """The current kind's lines read by its spec (a line repeating an earlier one is reported, not read)."""
        spec = SPECS[self.kind]
        skip = self.duplicates(
            rows,
            lambda v: tuple((v.get(n) or "").lower() if n == "kind" else v.get(n) for n in spec.key),
        )
        languages, doelgroepen = [language.code for language in LANGUAGES], list(DOELGROEPEN)
        for line, values, extra in rows:
            if line in skip:
                continue
            self._line_start = len(self.report.errors)
            if extra:
                self.error(line, "extra_cells")
            external_id, form = None, None
            if spec.identity == FILE:
                municipality, newcomer, _created = self.file_of(line, values)
            elif spec.identity == RECORD:
                external_id = self.external_id(line, values)
                municipality, newcomer, _created = self.file_of(line, values, required=False)
            else:
                form, newcomer = NotificationRowForm(values, languages, doelgroepen), None
                for code in form.problems():
                    self.error(line, code)
                municipality = self.municipality(line, values) if not form.gemeentecode.errors else None
            cells: dict[str, Any] = {}
            for step in spec.cells:
                if isinstance(step, Column):
                    cells[step.name] = step.read(self, line, values)
                else:
                    step(self, line, cells, values)
            yield _Line(line, cells, municipality, newcomer, external_id, form, self.line_ok(line))

    def municipality(self, line: int, values: dict[str, str]) -> Municipality | None:
        code = values.get("gemeentecode", "")
        if not (len(code) == 4 and code.isascii() and code.isdigit()):
            self.error(line, "gemeentecode_invalid")
            return None
        if code not in self.municipalities:
            self.error(line, "municipality_not_granted")
            return None
        return self.municipalities[code]

    def external_id(self, line: int, values: dict[str, str], column: str = "external_id") -> str | None:
        text = values.get(column, "")
        if not text:
            self.error(line, "external_id_missing")
        elif text == EXAMPLE_ID:
            self.error(line, "example_row")
        elif len(text) > 64:
            self.error(line, "external_id_too_long")
        else:
            return text
        return None

    def file_of(
        self, line: int, values: dict[str, str], *, required: bool = True
    ) -> tuple[Municipality | None, Newcomer | None, bool]:
        """The row's municipality and the file it names (of this upload or the database); (…, created)."""
        municipality = self.municipality(line, values)
        text = values.get("file_external_id", "")
        if not text:
            if required:
                self.error(line, "file_missing")
            return municipality, None, False
        if text == EXAMPLE_ID:
            self.error(line, "example_row")
            return municipality, None, False
        if municipality is None:
            return None, None, False
        ref = self.files.get((municipality.id, text))
        if ref is None:
            newcomer = db.session.scalar(
                select(Newcomer).where(Newcomer.municipality_id == municipality.id, Newcomer.external_id == text)
            )
            if newcomer is None:
                self.error(line, "file_unknown")
                return municipality, None, False
            ref = self.files[(municipality.id, text)] = _FileRef(newcomer, False)
        return municipality, ref.newcomer, ref.created

    def duplicates(self, rows: list[Row], key: Callable[[dict[str, str]], tuple]) -> set[int]:
        """Lines whose key is on an earlier line of the same file too (reported; the first line counts)."""
        first: dict[tuple, int] = {}
        skipped: set[int] = set()
        for line, values, _extra in rows:
            k = key(values)
            if not all(k):
                continue
            if k in first:
                self.error(line, "duplicate", lines=first[k])
                skipped.add(line)
            else:
                first[k] = line
        return skipped

    # -- writing the kinds (each knows its records again, so a second run changes nothing) --------------

    def files_kind(self, rows: list[Row]) -> None:
        phones: dict[str, int] = {}
        for row in self.lines(rows):
            line, form, municipality, cells = row.line, row.form, row.municipality, row.cells
            if not row.ok or municipality is None or form is None:
                continue
            external_id = form.external_id.data
            known = db.session.scalar(
                select(Newcomer).where(Newcomer.municipality_id == municipality.id, Newcomer.external_id == external_id)
            )
            if known is not None:
                self.files[(municipality.id, external_id)] = _FileRef(known, False)
                self.report.already[self.kind] += 1
                continue
            phone = form.e164
            if phone in phones:
                self.error(line, "duplicate_phone", lines=phones[phone])
                continue
            phones[phone] = line
            taken = select(Newcomer.id).where(Newcomer.phone == phone).execution_options(all_municipalities=True)
            if db.session.scalar(taken) is not None:
                self.error(line, "phone_taken")
                continue
            reason, met_on = cells["end_reason"], cells["obligation_met_on"]
            newcomer = Newcomer(
                name=" ".join(form.name.data.split()),
                phone=phone,
                language=form.language.data,
                doelgroep=form.doelgroep.data,
                municipality_id=municipality.id,
                duo_notified_on=form.duo_notified_on.data,
                settled_on=form.settled_on.data,
                bsn=form.bsn.data,
                external_id=external_id,
                status=status.REGISTERED,
                ended_on=cells["ended_on"],
                end_reason=reason or None,
                obligation_met_on=met_on,
                nareiziger=cells["nareiziger"],
            )
            newcomer.update_deadline()
            db.session.add(newcomer)
            db.session.flush()
            db.session.add(
                StatusChange(
                    newcomer_id=newcomer.id,
                    municipality_id=municipality.id,
                    from_status=None,
                    to_status=status.REGISTERED,
                    actor_staff_id=self.staff.id,
                    comment=SOURCE,
                )
            )
            final = end_status(reason) if reason else status.OBLIGATION_MET if met_on else cells["status"] or None
            if final:
                set_status(newcomer, final, actor_id=self.staff.id, comment=SOURCE)
            audit.record("file.created", "newcomer", newcomer.id, municipality_id=municipality.id, actor=self.actor)
            self.files[(municipality.id, external_id)] = _FileRef(newcomer, True)
            self.added(municipality.id)

    def pips_kind(self, rows: list[Row]) -> None:
        per_file: dict[int, list[tuple[date, str, str, int]]] = defaultdict(list)
        newcomers: dict[int, Newcomer] = {}
        for row in self.lines(rows):
            pip_on, newcomer = row.cells["pip_on"], row.newcomer
            if not row.ok or newcomer is None or pip_on is None:
                continue
            per_file[newcomer.id].append((pip_on, row.cells["leerroute"].upper(), row.cells["level"].upper(), row.line))
            newcomers[newcomer.id] = newcomer
        for newcomer_id, versions in per_file.items():
            existing = list(db.session.scalars(select(Pip).where(Pip.newcomer_id == newcomer_id).order_by(Pip.version)))
            known = {pip.pip_on for pip in existing}
            fresh = sorted(v for v in versions if v[0] not in known)
            self.report.already[self.kind] += len(versions) - len(fresh)
            if fresh and existing:
                for _on, _route, _level, line in fresh:
                    self.error(line, "pip_exists")
                continue
            newcomer = newcomers[newcomer_id]
            for number, (pip_on, route, level, _line) in enumerate(fresh, start=1):
                db.session.add(
                    Pip(
                        newcomer_id=newcomer_id,
                        municipality_id=newcomer.municipality_id,
                        version=number,
                        leerroute=route,
                        level=level,
                        pip_on=pip_on,
                        comment=SOURCE,
                        created_by_staff_id=self.staff.id,
                    )
                )
                newcomer.leerroute = route
                self.added(newcomer.municipality_id)
            if fresh and newcomer.status in (status.REGISTERED, status.INVITED, status.INTAKE_APPROVED):
                set_status(newcomer, status.PIP_SET, actor_id=self.staff.id, comment=SOURCE)

    def progress_kind(self, rows: list[Row]) -> None:
        for row in self.lines(rows):
            newcomer = row.newcomer
            if not row.ok or newcomer is None:
                continue
            record = db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == newcomer.id))
            given = {column: value for column, value in row.cells.items() if value is not None}
            if record is not None:
                differing = [c for c, v in given.items() if getattr(record, c) not in (None, v)]
                if differing:
                    self.error(row.line, "differs", column=differing[0])
                    continue
                to_fill = {c: v for c, v in given.items() if getattr(record, c) is None}
                if not to_fill:
                    self.report.already[self.kind] += 1
                    continue
            else:
                record = RouteProgress(newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id)
                db.session.add(record)
                to_fill = given
            for column, value in to_fill.items():
                setattr(record, column, value)
            record.updated_by_staff_id = self.staff.id
            self.added(newcomer.municipality_id)

    def relief_kind(self, rows: list[Row]) -> None:
        for row in self.lines(rows):
            cells, newcomer = row.cells, row.newcomer
            started = cells["started_on"]
            if not row.ok or newcomer is None or started is None:
                continue
            existing = db.session.scalar(select(ReliefTrajectory).where(ReliefTrajectory.newcomer_id == newcomer.id))
            if existing is not None:
                if existing.started_on != started:
                    self.error(row.line, "differs", column="started_on")
                else:
                    self.report.already[self.kind] += 1
                continue
            db.session.add(
                ReliefTrajectory(
                    newcomer_id=newcomer.id,
                    municipality_id=newcomer.municipality_id,
                    started_on=started,
                    six_months_on=cells["six_months_on"] or six_months_after(started),
                    extended=cells["extended"],
                    extension_decided_on=cells["extension_decided_on"],
                    ended_on=cells["ended_on"],
                    updated_by_staff_id=self.staff.id,
                )
            )
            self.added(newcomer.municipality_id)

    def activities_kind(self, rows: list[Row]) -> None:
        for row in self.lines(rows):
            cells, newcomer = row.cells, row.newcomer
            if not row.ok or newcomer is None or cells["started_on"] is None:
                continue
            known = db.session.scalar(
                select(ParticipationActivity.id).where(
                    ParticipationActivity.newcomer_id == newcomer.id,
                    ParticipationActivity.kind == cells["kind"],
                    ParticipationActivity.started_on == cells["started_on"],
                )
            )
            if known is not None:
                self.report.already[self.kind] += 1
                continue
            db.session.add(
                ParticipationActivity(
                    newcomer_id=newcomer.id,
                    municipality_id=newcomer.municipality_id,
                    kind=cells["kind"],
                    started_on=cells["started_on"],
                    ended_on=cells["ended_on"],
                    hours_per_week=cells["hours_per_week"],
                    created_by_staff_id=self.staff.id,
                )
            )
            self.added(newcomer.municipality_id)

    def _known_record(self, model: type[HouseholdMember] | type[Complaint], row: _Line) -> bool:
        """Whether the municipality has the row's record (by its ``external_id``) already; counted if so."""
        assert row.municipality is not None  # noqa: S101 - the callers checked
        known = db.session.scalar(
            select(model.id).where(model.municipality_id == row.municipality.id, model.external_id == row.external_id)
        )
        if known is not None:
            self.report.already[self.kind] += 1
        return known is not None

    def household_kind(self, rows: list[Row]) -> None:
        for row in self.lines(rows):
            cells, municipality, newcomer = row.cells, row.municipality, row.newcomer
            if not row.ok or municipality is None or cells["housed_on"] is None:
                continue
            if self._known_record(HouseholdMember, row):
                continue
            db.session.add(
                HouseholdMember(
                    municipality_id=municipality.id,
                    newcomer_id=newcomer.id if newcomer else None,
                    kind=cells["kind"],
                    birth_year=cells["birth_year"],
                    housed_on=cells["housed_on"],
                    nareiziger=cells["nareiziger"],
                    external_id=row.external_id,
                )
            )
            self.added(municipality.id)

    def complaints_kind(self, rows: list[Row]) -> None:
        for row in self.lines(rows):
            cells, municipality, newcomer = row.cells, row.municipality, row.newcomer
            if not row.ok or municipality is None or cells["received_on"] is None:
                continue
            if self._known_record(Complaint, row):
                continue
            db.session.add(
                Complaint(
                    municipality_id=municipality.id,
                    newcomer_id=newcomer.id if newcomer else None,
                    received_on=cells["received_on"],
                    official=cells["official"],
                    about_inburgering=cells["about_inburgering"],
                    filed_with=cells["filed_with"] or FILED_WITH_MUNICIPALITY,
                    subject=cells["subject"],
                    handled_on=cells["handled_on"],
                    outcome=cells["outcome"] or None,
                    external_id=row.external_id,
                    created_by_staff_id=self.staff.id,
                )
            )
            self.added(municipality.id)


def run(staff: Staff, uploads: dict[str, list[Row]], *, check_only: bool) -> Report:
    """Check (``check_only``) or import the uploaded rows in the session's transaction; commits nothing.

    ``uploads`` maps kinds of :data:`KINDS` to the rows :func:`read_rows` read. The rows are
    written (and flushed, so later kinds can name files of this upload) even for a check run: the
    caller rolls the transaction back after a check run and whenever a line is wrong. An import
    that is right adds one audit entry ``records.history_imported`` per municipality it wrote to.
    A refusal of the database (``IntegrityError``) is left to the caller.
    """
    report = Report(checked_only=check_only)
    runner = _Run(staff, report, ("staff", staff.id))
    for kind in KINDS:
        if kind in uploads:
            runner.kind = kind
            getattr(runner, f"{kind}_kind")(uploads[kind])
            db.session.flush()
    if report.imported:
        for municipality_id in sorted(runner.touched):
            audit.record(
                "records.history_imported",
                "municipality",
                municipality_id,
                municipality_id=municipality_id,
                actor=runner.actor,
            )
    return report


# -- the job -----------------------------------------------------------------------------------------


def start(staff: Staff, uploads: dict[str, list[Row]], *, check_only: bool) -> ImportJob:
    """Queue a check run (``check_only``) or an import of the uploaded rows for the worker; committed."""
    job = ImportJob(
        kind=KIND,
        created_by_staff_id=staff.id,
        rows_total=job_rows(uploads),
        status=job_status.QUEUED,
        report={"check_only": check_only},
        payload={
            "check_only": check_only,
            "uploads": {
                kind: [{"line": line, "values": values, "extra_cells": extra} for line, values, extra in rows]
                for kind, rows in uploads.items()
            },
        },
    )
    db.session.add(job)
    db.session.flush()
    audit.record("import.started", "import_job", job.id)
    wake_workers()
    db.session.commit()
    return job


def get_job(job_id: int, staff: Staff) -> ImportJob | None:
    """A history import of this staff member, or None."""
    return import_services.get_job(job_id, staff, kind=KIND)


def recent_jobs(staff: Staff, limit: int = 10) -> list[ImportJob]:
    """This staff member's latest history imports, newest first."""
    return import_services.recent_jobs(staff, limit, kind=KIND)


@job_runner
def run_next(worker: Worker) -> bool:
    """One unit of history-import work for an outbox worker loop; ``False`` when no job waits."""
    try:
        job_id = import_services.claim(worker.worker_id, kind=KIND)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("history import: claim failed: %s", type(error).__name__)
        return False
    if job_id is None:
        return False
    try:
        run_claimed(job_id, worker.worker_id, stopping=lambda: worker.stopping)
    except Exception as error:  # noqa: BLE001 - the worker goes on; the lease runs out, the job is taken over
        db.session.rollback()
        log.error("history import %s: %s", job_id, type(error).__name__)  # noqa: TRY400 - no traceback: it may quote a row
    return True


def run_claimed(job_id: int, worker_id: str, stopping: Callable[[], bool] = lambda: False) -> str | None:
    """Run a history job this worker claimed, from the start; its final status, or ``None`` if it was let go.

    The run and the job's end are one transaction: an import's rows are committed together with the
    job that reports them; a check run, or an import with a wrong line, is rolled back and only the
    report is committed. Its first write renews the lease and, on PostgreSQL, locks the job row
    until the end, so no other worker takes it over meanwhile.
    """
    job = db.session.get(ImportJob, job_id, populate_existing=True)
    if job is None or job.kind != KIND or job.claimed_by != worker_id or job.status not in job_status.CLAIMED:
        db.session.rollback()
        return None
    held = _Claim(job_id, worker_id, stopping)
    who: Importer | None = None
    try:
        who = importer(job)
        if job.attempts > MAX_ATTEMPTS or who is None or who.staff is None or not job.payload:
            log.warning("history import %s: not run (attempt %s)", job_id, job.attempts)
            return _fail(held, who, "error")
        check_only = bool(job.payload.get("check_only"))
        uploads = {
            kind: [(row["line"], dict(row["values"]), bool(row["extra_cells"])) for row in rows]
            for kind, rows in job.payload["uploads"].items()
            if kind in KINDS
        }
        staff = who.staff
        db.session.rollback()  # the run starts from a clean transaction: everything below is one
        if stopping():
            raise Released(job_id)
        held.update(status=job_status.CHECKING if check_only else job_status.IMPORTING)
        report = run(staff, uploads, check_only=check_only)
        if not report.imported:
            db.session.rollback()  # a check run, or a wrong line: nothing of the rows is kept
        held.end(
            job_status.DONE,
            rows_checked=job_rows(uploads),
            report=report.as_json(),
            invalid_count=report.invalid_count,
            already_count=sum(report.already.values()),
            imported_count=sum(report.new.values()) if report.imported else 0,
        )
        audit.record("import.finished", "import_job", job_id, actor=who.actor)
        db.session.commit()
    except LostClaim:
        db.session.rollback()
        log.info("history import %s: another worker holds it now; stopped", job_id)
        return None
    except Released:
        db.session.rollback()
        _release(held)
        return None
    except OperationalError as error:  # the database went away: the lease runs out, the job is taken over
        db.session.rollback()
        log.warning("history import %s: %s; left to be taken over", job_id, type(error).__name__)
        return None
    except Exception as error:  # noqa: BLE001 - whatever else happens, the job must end as failed, not hang
        db.session.rollback()
        # The class name only: database messages can quote the row's values (personal data).
        log.warning("history import %s failed: %s", job_id, type(error).__name__)
        return _fail(held, who, "refused" if isinstance(error, IntegrityError) else "error")
    return job_status.DONE


def job_rows(uploads: dict[str, list]) -> int:
    """Lines of all files of an upload together."""
    return sum(len(rows) for rows in uploads.values())
