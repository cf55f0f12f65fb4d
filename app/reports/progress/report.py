"""The voortgangsrapportage assembled from its queries: one structure for the page, XLSX and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Municipality
from ...models.partner import DEFAULT_MIN_CELL, PARTNER_KIND_LABELS, Region
from ..klantbeleving import queries as klantbeleving_queries
from ..klantbeleving import suppression
from . import queries
from .queries import KLANTBELEVING, Mark, Period

JSON_VERSION = 1
"""The JSON export's schema version (docs/reports.md); bumped on any incompatible change."""


@dataclass
class RowResult:
    """One row: a count (or a mark) per municipality and for the region."""

    id: str
    label: str
    cells: dict[int, int] = field(default_factory=dict)
    total: int = 0
    marks: dict[int, Mark] | None = None
    """Klantbeleving only: the marks per municipality (the region's is :attr:`region_mark`)."""
    region_mark: Mark | None = None
    linkable: bool = True


@dataclass
class TableResult:
    """One table of the report."""

    id: str
    title: str
    rows: list[RowResult]


@dataclass
class Report:
    """The whole report for a period and a set of municipalities (the region is their sum)."""

    period: Period
    municipalities: list[Municipality]
    region_name: str
    tables: list[TableResult]
    min_cell: int = DEFAULT_MIN_CELL
    """The smallest cell of the marks: the strictest of the municipalities' regions."""


def municipalities_of(ids: tuple[int, ...]) -> list[Municipality]:
    """The municipalities by id, by name (one query)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.name)))


def region_name(municipalities: list[Municipality]) -> str:
    """The region's name when every municipality shown reports with the same one, else "Total"."""
    region_ids = {m.region_id for m in municipalities}
    if len(region_ids) == 1 and None not in region_ids:
        region = db.session.get(Region, region_ids.pop())
        if region is not None:
            return region.name
    return _("Total")


def suppressed(marks: dict[int, Mark], region: Mark, min_cell: int) -> tuple[dict[int, Mark], Mark]:
    """One partner's marks with the klantbeleving dashboard's small-cell rule applied (primary and
    secondary suppression, :func:`..klantbeleving.suppression.suppress`): the region is the sum of
    the municipalities, so a hidden municipality may hide another one (or the region) as well."""
    counts = {suppression.row(mid): mark.n for mid, mark in marks.items()} | {suppression.TOTAL: region.n}
    hidden = suppression.suppress(counts, suppression.one_way_lines(marks), min_cell)
    shown = {mid: replace(mark, hidden=suppression.row(mid) in hidden) for mid, mark in marks.items()}
    return shown, replace(region, hidden=suppression.TOTAL in hidden)


def build(period: Period, municipalities: list[Municipality]) -> Report:
    """Every table for ``period`` over ``municipalities``: four or five queries, whatever the data."""
    ids = tuple(m.id for m in municipalities)
    counted = queries.counts(period, ids)
    tables: list[TableResult] = []
    for table in queries.TABLES:
        rows = []
        for row in table.rows:
            cells = {mid: counted.get((table.id, row.id), {}).get(mid, 0) for mid in ids}
            rows.append(RowResult(row.id, str(row.label), cells, sum(cells.values())))
        tables.append(TableResult(table.id, str(table.title), rows))
    partners, by_partner = queries.marks(period, ids)
    min_cell = klantbeleving_queries.settings(ids).min_cell if ids else DEFAULT_MIN_CELL
    mark_rows = []
    for partner in partners:
        given = by_partner.get(partner.id, {})
        per_municipality = {mid: given.get(mid, Mark(0, 0)) for mid in ids}
        region = Mark(sum(m.total for m in per_municipality.values()), sum(m.n for m in per_municipality.values()))
        per_municipality, region = suppressed(per_municipality, region, min_cell)
        kind = PARTNER_KIND_LABELS.get(partner.kind)
        label = f"{partner.name} ({kind})" if kind else partner.name
        mark_rows.append(
            RowResult(f"partner_{partner.id}", label, marks=per_municipality, region_mark=region, linkable=False)
        )
    tables.append(TableResult(KLANTBELEVING, _("Client experience per partner (mean mark)"), mark_rows))
    return Report(period, municipalities, region_name(municipalities), tables, min_cell)


def _mark_json(mark: Mark) -> dict[str, object]:
    if mark.hidden:
        return {"mean": None, "n": None, "hidden": True}
    mean = mark.mean
    return {"mean": None if mean is None else str(mean), "n": mark.n, "hidden": False}


def as_json(report: Report) -> dict[str, object]:
    """The documented JSON export (docs/reports.md, "The JSON export")."""
    ids = [m.id for m in report.municipalities]
    tables = []
    for table in report.tables:
        rows = []
        for row in table.rows:
            if row.marks is not None:
                cells = {str(mid): _mark_json(row.marks[mid]) for mid in ids}
                rows.append({"id": row.id, "label": row.label, "cells": cells, "region": _mark_json(row.region_mark)})
            else:
                cells = {str(mid): row.cells[mid] for mid in ids}
                rows.append({"id": row.id, "label": row.label, "cells": cells, "region": row.total})
        if table.id == KLANTBELEVING:
            tables.append(
                {"id": table.id, "title": table.title, "kind": "mean_mark", "min_cell": report.min_cell, "rows": rows}
            )
        else:
            tables.append({"id": table.id, "title": table.title, "kind": "count", "rows": rows})
    return {
        "version": JSON_VERSION,
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "reference_date": report.period.reference_date.isoformat(),
        "municipalities": [{"id": m.id, "code": m.code, "name": m.name} for m in report.municipalities],
        "region": {"name": report.region_name},
        "tables": tables,
    }


def mark_text(mark: Mark) -> str:
    """A mark as printed: "not shown" when suppressed, else as :func:`cell_text`."""
    return _("not shown") if mark.hidden else cell_text(mark.mean)


def hidden_legend(min_cell: int) -> str:
    """What "not shown" means (the klantbeleving dashboard's own sentence)."""
    return _(
        "“Not shown”: a figure from fewer than %(n)s responses, or one hidden as well so that such a figure "
        "cannot be worked out from the totals on this page.",
        n=min_cell,
    )


def cell_text(value: int | Decimal | None) -> str:
    """A cell as printed: "-" for a count of 0 (the CBS convention), "no mark" without responses."""
    if value is None:
        return _("no mark")
    if value == 0 and not isinstance(value, Decimal):
        return "-"
    return str(value)


def as_sheets(report: Report) -> list[tuple[str, list[list[object]]]]:
    """One sheet per table: a header of municipalities and the region, then a row per table row."""
    names = [m.name for m in report.municipalities] + [report.region_name]
    sheets = []
    for table in report.tables:
        rows: list[list[object]] = [[table.title, *names]]
        for row in table.rows:
            if row.marks is not None:
                values = [row.marks[m.id] for m in report.municipalities] + [row.region_mark]
                rows.append([row.label, *[float(v.mean) if v.mean is not None else mark_text(v) for v in values]])
            else:
                values = [row.cells[m.id] for m in report.municipalities] + [row.total]
                rows.append([row.label, *[v if v else "-" for v in values]])
        rows.append([])
        rows.append([_("Period: %(start)s to %(end)s (exclusive); reference date %(reference)s.",
                       start=report.period.start.isoformat(), end=report.period.end.isoformat(),
                       reference=report.period.reference_date.isoformat())])  # fmt: skip
        if table.id == KLANTBELEVING:
            rows.append([hidden_legend(report.min_cell)])
        else:
            rows.append([_("A dash (-) means 0.")])
        sheets.append((table.title, rows))
    return sheets
