"""The route progress a klantmanager records: themes, results, dates, an exemption, and hours of one month.

Each field checks itself (dates within bounds and not in the future, whole hours 0-9999, a month
YYYY-MM); the rules that combine fields or need the PIP (a PVT signed before the PIP, a MAP final
interview on the onderwijsroute) are ``app.appointments.progress_services.check``, which puts its
messages on these fields.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import Length, Optional, ValidationError

from workflows.appointments import KNM_THEMES, MAP_THEMES

from .dates import SaneDate, date_bounds
from .imports import NO_ROWS, NOT_CSV, NOT_UTF8, UNREADABLE, CsvProblem, CsvRow, too_big_message

MAX_HOURS = 9999
"""DUO's bound on every hours counter (GevolgdeUren: ``maximum: 9999``)."""
HOUR_FIELDS = (
    ("hours_pvt", "pvt"),
    ("hours_map_practical", "map_practical"),
    ("hours_participatieactiviteiten", "participatieactiviteiten"),
    ("hours_participatietaalles", "participatietaalles"),
    ("hours_bredeintake_taallesknm", "bredeintake_taallesknm"),
)
"""The form's hours fields and the ``HoursEntry.kind`` each one records."""
VERWIJTBAAR_CHOICES = (
    SelectChoice("", _l("Unknown")),
    SelectChoice("yes", _l("Yes")),
    SelectChoice("no", _l("No")),
)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_DUTCH = re.compile(r"^(\d{1,2})-(\d{4})$")

HOURS_MESSAGE = _l("Type a whole number of hours from 0 to 9999.")


def parse_hours(text: str | None) -> int | None:
    """``text`` as whole hours 0-9999; ``None`` when empty; ValueError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdecimal() or len(text) > 4:  # digits only: no signs, points, exponents or 2**31
        raise ValueError("not whole hours")
    return int(text)


def month_bounds(today: date | None = None) -> tuple[date, date]:
    """The first and the last month hours may be recorded for: from the law's start to this month."""
    earliest, latest = date_bounds(future_days=0, on=today)
    return earliest.replace(day=1), latest.replace(day=1)


class MonthOutOfRange(ValueError):
    """A month that was read, but lies before the law or after this month."""


def parse_month(text: str | None, today: date | None = None) -> date | None:
    """``YYYY-MM`` (or ``MM-YYYY``) as the first day of that month; ``None`` when empty.

    ValueError when it is not a month; MonthOutOfRange when it is one outside :func:`month_bounds`.
    """
    text = (text or "").strip()
    if not text:
        return None
    if not text.isascii():
        raise ValueError("not a month")
    if match := _MONTH.fullmatch(text):
        year, number = int(match.group(1)), int(match.group(2))
    elif match := _MONTH_DUTCH.fullmatch(text):
        year, number = int(match.group(2)), int(match.group(1))
    else:
        raise ValueError("not a month")
    if not 1 <= number <= 12:
        raise ValueError("not a month")
    month = date(year, number, 1)
    earliest, latest = month_bounds(today)
    if not earliest <= month <= latest:
        raise MonthOutOfRange(text)
    return month


class WholeHours:
    """Empty, or whole hours from 0 to 9999."""

    def __call__(self, form: object, field: StringField) -> None:
        """Refuse anything but whole hours within DUO's bounds."""
        try:
            parse_hours(field.data)
        except ValueError:
            raise ValidationError(HOURS_MESSAGE) from None


def _verwijtbaar(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _choice(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


class ProgressForm(FlaskForm):
    """What the klantmanager recorded of a newcomer's route (one form for every part)."""

    version = HiddenField()
    """``RouteProgress.updated_at`` as the form was opened: a later save by someone else is a conflict."""
    route_started_on = DateField(
        _l("First lesson of the language route"), validators=[Optional(), SaneDate(0)], format="%Y-%m-%d"
    )
    route_completed_on = DateField(
        _l("Language route completed on"), validators=[Optional(), SaneDate(0)], format="%Y-%m-%d"
    )
    knm_themes = SelectMultipleField(
        _l("KNM themes done"),
        choices=[SelectChoice(key, label) for key, label in KNM_THEMES.items()],
    )
    pvt_signed_on = DateField(
        _l("Participation statement signed on"),
        description=_l("Not before the PIP date."),
        validators=[Optional(), SaneDate(0)],
        format="%Y-%m-%d",
    )
    pvt_verwijtbaar = RadioField(
        _l("PVT not completed by their own fault (DUO: verwijtbaar)"),
        choices=VERWIJTBAAR_CHOICES,
        default="",
        invalid_choice_message=_l("Choose yes, no or unknown."),
    )
    map_themes = SelectMultipleField(
        _l("MAP themes done"),
        choices=[SelectChoice(key, label) for key, label in MAP_THEMES.items()],
    )
    map_final_interview_on = DateField(
        _l("MAP final interview on"),
        description=_l("Only in the B1-route and the Z-route."),
        validators=[Optional(), SaneDate(0)],
        format="%Y-%m-%d",
    )
    map_verwijtbaar = RadioField(
        _l("MAP not completed by their own fault (DUO: verwijtbaar)"),
        choices=VERWIJTBAAR_CHOICES,
        default="",
        invalid_choice_message=_l("Choose yes, no or unknown."),
    )
    map_exempt = BooleanField(_l("Exempt from the MAP"))
    map_exemption_reason = StringField(
        _l("Reason for the exemption"),
        validators=[Optional(), Length(max=200, message=_l("Write at most %(max)d characters."))],
    )
    z_completed_on = DateField(
        _l("Z-route completed on"),
        description=_l("Only in the Z-route."),
        validators=[Optional(), SaneDate(0)],
        format="%Y-%m-%d",
    )
    hours_month = StringField(
        _l("Month"),
        description=_l("Year and month, for example 2025-03. Hours you fill in replace that month's hours."),
    )
    hours_pvt = StringField(_l("PVT hours"), validators=[WholeHours()])
    hours_map_practical = StringField(_l("MAP practical hours"), validators=[WholeHours()])
    hours_participatieactiviteiten = StringField(
        _l("Z-route participation hours"),
        description=_l("DUO: ParticipatieactiviteitenBredeIntake."),
        validators=[WholeHours()],
    )
    hours_participatietaalles = StringField(
        _l("Language and KNM lessons at the school"),
        description=_l("DUO: ParticipatieAlsTaalles."),
        validators=[WholeHours()],
    )
    hours_bredeintake_taallesknm = StringField(
        _l("Language and KNM lessons during the brede intake"),
        description=_l("DUO: TaallesEnKnmBredeIntake."),
        validators=[WholeHours()],
    )

    def validate_hours_month(self, field: StringField) -> None:
        """Empty, or a month from the law's start to this month."""
        try:
            parse_month(field.data)
        except ValueError:
            earliest, latest = month_bounds()
            raise ValidationError(
                _l(
                    "Type a month from %(earliest)s to %(latest)s, for example %(example)s.",
                    earliest=earliest.strftime("%Y-%m"),
                    latest=latest.strftime("%Y-%m"),
                    example=latest.strftime("%Y-%m"),
                )
            ) from None

    def validate_map_exemption_reason(self, field: StringField) -> None:
        """No line breaks in a one-line reason (control characters never reach the form: see app.params)."""
        field.data = " ".join((field.data or "").split())

    def hours(self) -> dict[str, int]:
        """The hours filled in, by ``HoursEntry.kind`` (empty counters are left out); after validation."""
        values = {}
        for name, kind in HOUR_FIELDS:
            value = parse_hours(self[name].data)
            if value is not None:
                values[kind] = value
        return values

    def values(self) -> dict[str, Any]:
        """The cleaned values, named as ``RouteProgress`` columns (call after a successful validation)."""
        return {
            "route_started_on": self.route_started_on.data,
            "route_completed_on": self.route_completed_on.data,
            "knm_themes": [key for key in KNM_THEMES if key in (self.knm_themes.data or [])],
            "pvt_signed_on": self.pvt_signed_on.data,
            "pvt_verwijtbaar": _verwijtbaar(self.pvt_verwijtbaar.data),
            "map_themes": [key for key in MAP_THEMES if key in (self.map_themes.data or [])],
            "map_final_interview_on": self.map_final_interview_on.data,
            "map_verwijtbaar": _verwijtbaar(self.map_verwijtbaar.data),
            "map_exempt": bool(self.map_exempt.data),
            "map_exemption_reason": (self.map_exemption_reason.data or "").strip() or None,
            "z_completed_on": self.z_completed_on.data,
        }


def progress_form_data(record: Any) -> dict[str, Any]:
    """The form's initial data from a stored RouteProgress (``None``: an empty form)."""
    if record is None:
        return {"version": ""}
    return {
        "version": version_of(record),
        "route_started_on": record.route_started_on,
        "route_completed_on": record.route_completed_on,
        "knm_themes": list(record.knm_themes or []),
        "pvt_signed_on": record.pvt_signed_on,
        "pvt_verwijtbaar": _choice(record.pvt_verwijtbaar),
        "map_themes": list(record.map_themes or []),
        "map_final_interview_on": record.map_final_interview_on,
        "map_verwijtbaar": _choice(record.map_verwijtbaar),
        "map_exempt": record.map_exempt,
        "map_exemption_reason": record.map_exemption_reason or "",
        "z_completed_on": record.z_completed_on,
    }


def version_of(record: Any) -> str:
    """The record's version as the hidden field carries it (its last save, to the microsecond)."""
    return "" if record is None or record.updated_at is None else record.updated_at.strftime("%Y%m%d%H%M%S%f")


# -- the hours import (DUO's GevolgdeUren, one line per person per month) ------------------------------

HOURS_COLUMNS = (
    "bsn", "gemeentecode", "maand", "participatieAlsTaalles", "participatieactiviteitenBredeIntake",
    "taallesEnKnmBredeIntake",
)  # fmt: skip
"""The columns as the template writes them (DUO's names); the header is read case-insensitively."""
HOURS_REQUIRED = HOURS_COLUMNS[:3]
COUNTER_COLUMNS = {
    "participatieAlsTaalles": "participatietaalles",
    "participatieactiviteitenBredeIntake": "participatieactiviteiten",
    "taallesEnKnmBredeIntake": "bredeintake_taallesknm",
}
"""DUO's three counters and the ``HoursEntry.kind`` each one is stored as."""
_KEYS = {name.lower(): name for name in HOURS_COLUMNS}
_DELIMITERS = (";", ",", "\t")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and the old binary .xls


def _cell(cell: str) -> str:
    """A cell without control characters (they become spaces) or outer spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in cell).strip()


def _header_name(cell: str) -> str:
    """A header cell as one of :data:`HOURS_COLUMNS` (any case, spaces and dashes ignored), or itself."""
    key = _cell(cell).lower().replace(" ", "").replace("-", "").replace("_", "")
    return _KEYS.get(key, key)


def read_hours_csv(data: bytes) -> list[CsvRow]:
    """The rows of an uploaded hours file: as the DUO import reads its files (``forms.imports.read_csv``)."""
    if data.startswith(_WORKBOOK_MAGIC):
        raise CsvProblem(NOT_CSV)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvProblem(NOT_UTF8) from None
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[CsvRow] = []
    header: list[str] | None = None
    try:
        start = 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [_header_name(cell) for cell in cells]
                _check_hours_header(header)
                continue
            values = {name: _cell(cell) for name, cell in zip(header, cells, strict=False) if name in HOURS_COLUMNS}
            rows.append(CsvRow(line, values, any(cell.strip() for cell in cells[len(header) :])))
    except csv.Error:
        raise CsvProblem(UNREADABLE) from None
    if not rows:
        raise CsvProblem(NO_ROWS)
    return rows


def _check_hours_header(header: list[str]) -> None:
    missing = [name for name in HOURS_REQUIRED if name not in header]
    if not any(name in header for name in COUNTER_COLUMNS):
        missing.append(" / ".join(COUNTER_COLUMNS))
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


class HoursImportForm(FlaskForm):
    """Upload a CSV file of hours followed per month (DUO's GevolgdeUren)."""

    file = FileField(
        _l("CSV file"),
        description=_l("UTF-8, with commas or semicolons. Use the template for the columns."),
        validators=[FileRequired(message=_l("Choose a CSV file."))],
    )

    rows: list[CsvRow]

    def validate_file(self, field: FileField) -> None:
        """A CSV file (by name and content) no larger than ``IMPORT_MAX_BYTES``, with the required columns."""
        filename = (field.data.filename or "").lower()
        if not filename.endswith((".csv", ".txt")):
            raise ValidationError(NOT_CSV)
        limit = current_app.config["IMPORT_MAX_BYTES"]
        data = field.data.stream.read(limit + 1)
        if len(data) > limit:
            raise ValidationError(too_big_message())
        try:
            self.rows = read_hours_csv(data)
        except CsvProblem as problem:
            raise ValidationError(problem.message) from None
