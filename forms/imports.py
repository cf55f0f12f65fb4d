"""Importing DUO notifications from a CSV file: the upload form, reading the file, and checking one row."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from .backoffice import RegisterNewcomerForm
from .dates import SaneDate, today

COLUMNS = (
    "external_id", "name", "phone", "language", "doelgroep", "gemeentecode", "duo_notified_on", "settled_on", "bsn",
)  # fmt: skip
REQUIRED_COLUMNS = COLUMNS[:7]
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y"]
"""ISO, and the day-month-year that Dutch Excel writes (also without leading zeros: 3-2-2025)."""
EXAMPLE_ID = "VOORBEELD-1"
"""The external id of the template's example row: importing it is refused, so nobody texts its number."""
_DELIMITERS = (";", ",", "\t")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and the old binary .xls

# Problems with the file as a whole, shown next to the file field.
NOT_CSV = _l("This is not a CSV file. In Excel choose Save as, then the type “CSV UTF-8”.")
NOT_UTF8 = _l("The file is not in UTF-8. In Excel choose Save as, then the type “CSV UTF-8”.")
UNREADABLE = _l("The file could not be read as CSV. Download the template and compare it with your file.")
NO_ROWS = _l("The file has no rows to import.")


def too_big_message() -> str:
    """The message for a file larger than ``IMPORT_MAX_BYTES``."""
    megabytes = current_app.config["IMPORT_MAX_BYTES"] / (1024 * 1024)
    return str(_l("The file is too big: at most %(size)s MB. Split it into smaller files.", size=f"{megabytes:g}"))


class CsvProblem(ValueError):
    """The file as a whole cannot be imported; ``message`` says why, in plain language."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class CsvRow:
    """One record of the file: the line it starts on, its known columns, and whether it had extra cells."""

    line: int
    values: dict[str, str]
    extra_cells: bool = False


def _clean(cell: str) -> str:
    """A cell without control characters (NUL, tabs and line breaks become spaces) or outer spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in cell).strip()


def _column(name: str) -> str:
    return _clean(name).lower().replace(" ", "_").replace("-", "_")


def read_csv(data: bytes) -> list[CsvRow]:
    """The rows of an uploaded file: UTF-8 with or without BOM, commas, semicolons or tabs, any line ends."""
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
                continue  # blank lines, and the rows of separators only that Excel leaves
            if header is None:
                header = [_column(cell) for cell in cells]
                _check_header(header)
                continue
            values = {name: _clean(cell) for name, cell in zip(header, cells, strict=False) if name in COLUMNS}
            extra = any(cell.strip() for cell in cells[len(header) :])
            rows.append(CsvRow(line, values, extra))
    except csv.Error:
        raise CsvProblem(UNREADABLE) from None
    if not rows:
        raise CsvProblem(NO_ROWS)
    return rows


def _check_header(header: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
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


class ImportForm(FlaskForm):
    """Upload a CSV file of DUO notifications."""

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
            self.rows = read_csv(data)
        except CsvProblem as problem:
            raise ValidationError(problem.message) from None


class NotificationRowForm(RegisterNewcomerForm):
    """One row of the file, checked by the rules of registering by hand (name, phone, BSN eleven-test)."""

    class Meta:
        csrf = False

    municipality = None  # the row names it by gemeentecode; whether it is granted is checked by the import
    external_id = StringField(validators=[InputRequired(), Length(max=64)])
    gemeentecode = StringField(validators=[InputRequired(), Regexp(r"^\d{4}$")])
    duo_notified_on = DateField(validators=[InputRequired(), SaneDate()], format=DATE_FORMATS)
    settled_on = DateField(validators=[Optional(), SaneDate()], format=DATE_FORMATS)

    def __init__(self, values: dict[str, str], languages: list[str], doelgroepen: list[str]) -> None:
        data = {key: value.lower() if key in ("language", "doelgroep") else value for key, value in values.items()}
        super().__init__(formdata=MultiDict(data))
        self.language.choices = languages
        self.doelgroep.choices = doelgroepen

    def validate_external_id(self, field: StringField) -> None:
        """The template's example row is never imported."""
        if field.data == EXAMPLE_ID:
            raise ValidationError()  # reported by its code, see problems()

    def problems(self) -> list[str]:
        """Validate, and name what is wrong as reason codes (the import's report stores codes, not text)."""
        self.validate()
        raw = {name: (field.raw_data[0] if field.raw_data else "") for name, field in self._fields.items()}
        codes = []
        if self.external_id.errors:
            codes.append(
                "example_row"
                if raw["external_id"] == EXAMPLE_ID
                else "external_id_missing"
                if not raw["external_id"]
                else "external_id_too_long"
            )
        if self.name.errors:
            codes.append("name_missing" if not raw["name"] else "name_too_long")
        if self.phone.errors:
            codes.append("phone_missing" if not raw["phone"] else "phone_invalid")
        if self.language.errors:
            codes.append("language_invalid")
        if self.doelgroep.errors:
            codes.append("doelgroep_invalid")
        if self.gemeentecode.errors:
            codes.append("gemeentecode_invalid")
        if self.duo_notified_on.errors:  # a date that was read but is out of bounds keeps its value
            codes.append("duo_date_out_of_range" if self.duo_notified_on.data else "duo_date_invalid")
        if self.settled_on.errors and raw["settled_on"]:
            codes.append("settled_date_out_of_range" if self.settled_on.data else "settled_date_invalid")
        if self.bsn.errors:
            codes.append("bsn_invalid")
        return codes

    def warnings(self) -> list[str]:
        """What is possible but suspicious, as reason codes: the line is imported all the same."""
        notified = self.duo_notified_on.data
        return ["duo_date_in_future"] if notified and not self.duo_notified_on.errors and notified > today() else []
