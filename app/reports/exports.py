"""Report exports that no spreadsheet runs: XLSX through XlsxWriter, and CSV with escaped cells.

Shared by the reports (the voortgangsrapportage, the monitor). In the XLSX every text stays a
text (XlsxWriter is told not to turn strings into formulas, links or numbers); in a CSV a cell
that a spreadsheet would read as a formula gets a leading apostrophe (``FORMULA_STARTS``, the
same rule as the caseload's export).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO

import xlsxwriter

from ..backoffice.spreadsheet import FORMULA_STARTS

XLSX_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/\\``, not starting with '."""
    base = " ".join(title.translate(_SHEET_FORBIDDEN).split()).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def xlsx_workbook(sheets: Iterable[tuple[str, Sequence[Sequence[object]]]]) -> bytes:
    """The bytes of an .xlsx file with one sheet per ``(title, rows)``; the first row is bold."""
    out = BytesIO()
    book = xlsxwriter.Workbook(out, XLSX_OPTIONS)
    bold = book.add_format({"bold": True})
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    taken: set[str] = set()
    for title, rows in sheets:
        sheet = book.add_worksheet(sheet_name(title, taken))
        widths: dict[int, int] = {}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                _write(sheet, r, c, value, bold if r == 0 else None, dated)
                widths[c] = max(widths.get(c, 8), min(60, len(str(value)) + 2))
        for c, width in widths.items():
            sheet.set_column(c, c, width)
    book.close()
    return out.getvalue()


def _write(sheet, r: int, c: int, value: object, style, dated) -> None:  # noqa: ANN001 - xlsxwriter objects
    if value is None:
        sheet.write_blank(r, c, None, style)
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value, style)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(r, c, float(value), style)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(
            r, c, datetime.combine(value, datetime.min.time()) if type(value) is date else value, dated
        )
    else:
        sheet.write_string(r, c, str(value), style)


def csv_cell(value: object) -> str:
    """A value as CSV text that no spreadsheet evaluates: ``=`` ``+`` ``-`` ``@`` tab CR get an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)  # a number, negative or not, is no formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV (comma, quoted as needed, CRLF), every cell through :func:`csv_cell`."""
    out = StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
