"""Report exports: no text becomes a formula, a link or a number, in XLSX or CSV."""

from __future__ import annotations

import csv
from datetime import date
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook

from app.backoffice.spreadsheet import FORMULA_STARTS
from app.reports.exports import csv_cell, csv_text, sheet_name, xlsx_workbook

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1", "-1+2", "@SUM(A1:A2)", "\t=1", "\r=1", "=1+1",
           "http://evil.example", "00123", "1e5", "3.14", "<script>alert(1)</script>"]  # fmt: skip


def test_hostile_strings_stay_strings_in_the_xlsx() -> None:
    data = xlsx_workbook([("Partners", [["Partner", "Mark"], *[[name, 7.5] for name in HOSTILE]])])
    sheet = load_workbook(BytesIO(data)).active
    for r, name in enumerate(HOSTILE, start=2):
        cell = sheet.cell(row=r, column=1)
        assert cell.data_type == "s", name
        assert cell.value.replace("_x000D_", "\r") == name  # XLSX stores a CR as _x000D_; Excel reads it back
        assert cell.hyperlink is None
        assert sheet.cell(row=r, column=2).value == 7.5
    assert sheet.cell(row=1, column=1).font.bold


def test_values_keep_their_types_in_the_xlsx() -> None:
    sheet = load_workbook(BytesIO(xlsx_workbook([("T", [[1, 2.5, None, True, date(2023, 6, 30), "-"]])]))).active
    values = [c.value for c in sheet[1]]
    assert values[:4] == [1, 2.5, None, True]
    assert values[4].date() == date(2023, 6, 30)
    assert sheet.cell(row=1, column=6).data_type == "s"


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    names = [sheet_name(t, taken) for t in ["A/B: [x]*?", "A/B: [x]*?", "x" * 40, "x" * 40, "'quoted'", ""]]
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") and not n.startswith("'") for n in names)
    data = xlsx_workbook([(t, [["a"]]) for t in ["Same", "same", "Leerroute statushouders: Z/B1/O gestart (lang)"]])
    assert len(load_workbook(BytesIO(data)).sheetnames) == 3


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_cells_that_start_a_formula_get_an_apostrophe(start: str) -> None:
    assert csv_cell(start + "1+1") == "'" + start + "1+1"


def test_csv_cells_otherwise_unchanged() -> None:
    assert csv_cell("Hoorn") == "Hoorn"
    assert csv_cell("7,5") == "7,5"
    assert csv_cell(None) == ""
    assert csv_cell(-3) == "-3"  # a number is no formula
    assert csv_cell(date(2023, 6, 30)) == "2023-06-30"


def test_csv_text_escapes_every_cell_and_quotes() -> None:
    text = csv_text([["Partner", "Mark"], ['=HYPERLINK("http://x")', 7.5], ["+1", "a,b"], ['say "hi"\n', "@x"]])
    rows = list(csv.reader(StringIO(text)))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "7.5"]
    assert rows[2] == ["'+1", "a,b"]
    assert rows[3] == ['say "hi"\n', "'@x"]
    assert all(not cell.startswith(FORMULA_STARTS) for row in rows for cell in row)
