"""The caseload's selection as an XLSX workbook, with no cell that a spreadsheet would evaluate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook

from ..models import Newcomer, Staff

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text starting with one of these is a formula (or becomes one) in Excel, LibreOffice or Sheets."""


def as_text(value: object) -> object:
    """A value safe to put in a cell: text that could be read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook(
    newcomers: Iterable[Newcomer],
    *,
    status_labels: Mapping[str, object],
    doelgroep_labels: Mapping[str, object],
    language_names: Mapping[str, str],
    klantmanagers: Mapping[int, Staff],
) -> bytes:
    """The columns the caseload shows, one row per file, as the bytes of an .xlsx file."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Caseload")[:31]
    sheet.append(
        [
            _("Name"),
            _("Municipality"),
            _("Status"),
            _("Target group"),
            _("Route"),
            _("Language"),
            _("PIP deadline"),
            _("Klantmanager"),
        ]
    )
    for n in newcomers:
        assignee = klantmanagers.get(n.klantmanager_id) if n.klantmanager_id else None
        row: list[object] = [
            n.name,
            n.municipality.name,
            str(status_labels.get(n.status, n.status)),
            str(doelgroep_labels.get(n.doelgroep, n.doelgroep)),
            n.leerroute or "",
            language_names.get(n.language, n.language),
            n.pip_deadline_on,
            assignee.name if assignee else "",
        ]
        sheet.append([as_text(value) for value in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f", whatever the text looks like
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
