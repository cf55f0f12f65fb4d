"""Hand-made records for the progress report's tests: files, PIP versions, route progress, and the rest."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.extensions import db
from app.models import Municipality, Newcomer
from app.models.appointment import RouteProgress
from app.models.partner import Region
from app.models.pip import Pip
from app.models.survey import SurveyResponse
from app.reports.progress import queries
from app.reports.progress.queries import Period
from tests.conftest import staff_sign_in

PERIOD = Period(date(2022, 1, 1), date(2023, 7, 1))
"""Seed 003's period: from the law's start up to 1 July 2023 (reference date 30 June 2023)."""
_phones = itertools.count(100000)


def municipality(code: str, name: str) -> int:
    """A municipality (created when missing); its id."""
    row = db.session.scalar(db.select(Municipality).where(Municipality.code == code))
    if row is None:
        row = Municipality(code=code, name=name)
        db.session.add(row)
        db.session.flush()
    return row.id


def person(municipality_id: int, doelgroep: str = "statushouder", **fields: object) -> Newcomer:
    """A file; ``duo_notified_on`` defaults to a day in :data:`PERIOD` (the base)."""
    fields.setdefault("duo_notified_on", date(2022, 9, 1))
    row = Newcomer(
        name=fields.pop("name", "Zahra Ahmadi"),
        phone=f"+3161{next(_phones):07d}",
        municipality_id=municipality_id,
        doelgroep=doelgroep,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def pip(
    newcomer: Newcomer, version: int, leerroute: str, pip_on: date, created_at: datetime | None = None, **fields: object
) -> Pip:
    """A PIP version, recorded at ``created_at`` (default: the noon of its date)."""
    row = Pip(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        version=version,
        leerroute=leerroute,
        level="B1" if leerroute == "B" else "A2",
        pip_on=pip_on,
        created_at=created_at or datetime(pip_on.year, pip_on.month, pip_on.day, 12, tzinfo=UTC),
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def progress(newcomer: Newcomer, **fields: object) -> RouteProgress:
    """The route progress of a file."""
    row = RouteProgress(newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def figures(period: Period, *municipality_ids: int) -> dict[tuple[str, str], dict[int, int]]:
    """Every count cell, checked against its list of items: a count is the length of its list."""
    counted = queries.counts(period, municipality_ids)
    for table in queries.TABLES:
        for row in table.rows:
            for mid in municipality_ids:
                items = queries.cell_items(row, period, (mid,))
                assert len(items) == counted.get((table.id, row.id), {}).get(mid, 0), (table.id, row.id, mid)
            together = queries.cell_items(row, period, municipality_ids)
            assert len(together) == sum(counted.get((table.id, row.id), {}).values()), (table.id, row.id)
            assert len(set(together)) == len(together)
    return counted


def cell(counted: dict, table: str, row: str, municipality_id: int) -> int:
    """One cell of :func:`figures` (0 when no item)."""
    assert queries.find_row(table, row) is not None, (table, row)
    return counted.get((table, row), {}).get(municipality_id, 0)


def response(
    municipality_id: int, partner_id: int, mark: int, answered_on: date = date(2023, 2, 1), **extra: object
) -> SurveyResponse:
    """One survey answer about a partner (added to the session), answered in :data:`PERIOD` by default."""
    row = SurveyResponse(
        municipality_id=municipality_id,
        partner_id=partner_id,
        partner_kind=extra.pop("partner_kind", "language_school"),
        survey_id=extra.pop("survey_id", "survey_language_school"),
        trigger=extra.pop("trigger", "six_monthly"),
        mark=mark,
        channel=extra.pop("channel", "web"),
        language=extra.pop("language", "ar"),
        doelgroep=extra.pop("doelgroep", "statushouder"),
        answered_on=answered_on,
        quarter=f"{answered_on.year}-Q{(answered_on.month - 1) // 3 + 1}",
        **extra,
    )
    db.session.add(row)
    return row


def responses(municipality_id: int, partner_id: int, marks: list[int], answered_on: date = date(2023, 2, 1)) -> None:
    """Several answers about one partner in one municipality, on one day."""
    for mark in marks:
        response(municipality_id, partner_id, mark, answered_on)


def westfriesland() -> dict[str, int]:
    """Hoorn and Opmeer in region Westfriesland (smallest cell: the default), Amsterdam outside it."""
    hoorn, opmeer, amsterdam = (
        municipality("0405", "Hoorn"),
        municipality("0441", "Opmeer"),
        municipality("0363", "Amsterdam"),
    )
    region = Region(name="Westfriesland")
    db.session.add(region)
    db.session.flush()
    for mid in (hoorn, opmeer):
        db.session.get(Municipality, mid).region_id = region.id
    return {"hoorn": hoorn, "opmeer": opmeer, "amsterdam": amsterdam}


def signed_in(client: FlaskClient, make_staff: Callable, role: str) -> FlaskClient:
    """``client`` signed in as a staff member of ``role`` for Hoorn and Opmeer."""
    staff_sign_in(client, make_staff(role=role, codes=("0405", "0441")))
    return client


def xlsx_text(data: bytes) -> str:
    """Every non-empty cell of a workbook, one a line."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value)


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
