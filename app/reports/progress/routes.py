"""Routes of the voortgangsrapportage: the page, its XLSX and JSON exports, and the files behind a cell.

Views parse the request and render; the figures come from :mod:`.queries` through :mod:`.report`.
A klantmanager may open the files behind a figure; a beleidsmedewerker sees figures only (no
links, and the files page answers 404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask import Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import audit
from ...backoffice import labels
from ...backoffice.access import current_staff, requires
from ...extensions import db
from ...models import Newcomer
from ...models.records import CHILD, ELDERLY, OTHER_MEMBER, Complaint, HouseholdMember
from ...models.staff import BELEIDSMEDEWERKER, KLANTMANAGER
from ...models.types import local_today
from ...params import MAX_PAGE, bounded_int
from .. import bp
from ..exports import XLSX_MIMETYPE, xlsx_workbook
from . import queries, report
from .queries import COMPLAINT, FILE, MEMBER, Period

FILES_PER_PAGE = 50
FIRST_YEAR = 2021
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Choice:
    """What the form asked for: the period, the municipalities, and the messages for bad input."""

    period: Period | None
    municipality_ids: tuple[int, ...]
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def _default_period() -> Period:
    today = local_today()
    end = today.replace(day=1)
    return Period(queries.LAW_START, end if end > queries.LAW_START else date(today.year + 1, 1, 1))


def _date(value: str, name: str, errors: dict[str, str]) -> date | None:
    last_year = local_today().year + 1
    text = value.strip()
    try:
        day = date.fromisoformat(text) if _ISO_DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        errors[name] = _("Enter a date as year-month-day, for example 2023-07-01.")
    elif not FIRST_YEAR <= day.year <= last_year:
        errors[name] = _("Enter a date from %(first)s to %(last)s.", first=FIRST_YEAR, last=last_year)
        day = None
    return day


def _choice() -> Choice:
    """The period and municipalities from the query string; another municipality's id is a 404."""
    staff = current_staff()
    allowed = staff.municipality_ids
    default = _default_period()
    values = {
        "start": request.args.get("start", "")[:20] or default.start.isoformat(),
        "end": request.args.get("end", "")[:20] or default.end.isoformat(),
    }
    errors: dict[str, str] = {}
    start = _date(values["start"], "start", errors)
    end = _date(values["end"], "end", errors)
    if start and end and start >= end:
        errors["end"] = _("The end must come after the start.")
    chosen = []
    for raw in request.args.getlist("m")[:100]:
        municipality_id = bounded_int(raw)
        if municipality_id is None or municipality_id not in allowed:
            abort(404)
        chosen.append(municipality_id)
    ids = tuple(sorted(set(chosen))) or allowed
    period = Period(start, end) if start and end and not errors else None
    return Choice(period, ids, values, errors)


def _args(choice: Choice) -> dict[str, object]:
    """The query parameters that give this report again (links, exports)."""
    args: dict[str, object] = {"start": choice.values["start"], "end": choice.values["end"]}
    if choice.municipality_ids != current_staff().municipality_ids:
        args["m"] = list(choice.municipality_ids)
    return args


@bp.get("/progress")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def progress_page() -> ResponseReturnValue:
    """The report's tables per municipality and for the region, with the form that chooses them."""
    staff = current_staff()
    choice = _choice()
    mine = report.municipalities_of(staff.municipality_ids)
    built = None
    if choice.period is not None:
        built = report.build(choice.period, [m for m in mine if m.id in choice.municipality_ids])
        audit.record("report.viewed", "progress")
        db.session.commit()
    return render_template(
        "reports/progress.html",
        choice=choice,
        report=built,
        mine=mine,
        args=_args(choice),
        can_open_files=staff.role == KLANTMANAGER,
        cell_text=report.cell_text,
        mark_text=report.mark_text,
        hidden_legend=report.hidden_legend,
    ), 422 if choice.errors else 200


def _built_or_400() -> tuple[Choice, report.Report]:
    choice = _choice()
    if choice.period is None:
        abort(400)
    mine = report.municipalities_of(current_staff().municipality_ids)
    return choice, report.build(choice.period, [m for m in mine if m.id in choice.municipality_ids])


@bp.get("/progress.json")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def progress_json() -> ResponseReturnValue:
    """The report as JSON (schema in docs/reports.md); bad dates give 400 with the messages."""
    choice = _choice()
    if choice.period is None:
        return jsonify({"errors": choice.errors}), 400
    mine = report.municipalities_of(current_staff().municipality_ids)
    built = report.build(choice.period, [m for m in mine if m.id in choice.municipality_ids])
    audit.record("report.exported", "progress_json")
    db.session.commit()
    response = jsonify(report.as_json(built))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/progress.xlsx")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def progress_xlsx() -> ResponseReturnValue:
    """The report as a workbook, one sheet per table."""
    choice, built = _built_or_400()
    audit.record("report.exported", "progress_xlsx")
    db.session.commit()
    name = f"voortgangsrapportage-{choice.period.start.isoformat()}-{choice.period.end.isoformat()}.xlsx"
    return Response(
        xlsx_workbook(report.as_sheets(built)),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.get("/progress/files")
@requires(KLANTMANAGER)
def progress_files() -> ResponseReturnValue:
    """The files (and housed members, complaints) behind one figure, paginated; audited."""
    row = queries.find_row(request.args.get("table", "")[:60], request.args.get("row", "")[:60])
    if row is None:
        abort(404)
    table_id = request.args.get("table", "")
    choice = _choice()
    if choice.period is None:
        abort(404)
    page = bounded_int(request.args.get("page", "1"), high=MAX_PAGE) or 1
    offset = (page - 1) * FILES_PER_PAGE
    items = queries.cell_items(row, choice.period, choice.municipality_ids, offset=offset, limit=FILES_PER_PAGE + 1)
    has_next = len(items) > FILES_PER_PAGE
    items = items[:FILES_PER_PAGE]
    audit.record("report.files_viewed", "progress")
    db.session.commit()  # before loading the rows: a commit expires them (one query each again)
    wanted = {kind: [i for k, i in items if k == kind] for kind in (FILE, MEMBER, COMPLAINT)}
    files = _by_id(Newcomer, wanted[FILE])
    members = _by_id(HouseholdMember, wanted[MEMBER], selectinload(HouseholdMember.newcomer))
    complaints = _by_id(Complaint, wanted[COMPLAINT])
    shown = [(k, {FILE: files, MEMBER: members, COMPLAINT: complaints}[k].get(i)) for k, i in items]
    table = next(t for t in queries.TABLES if t.id == table_id)
    args = {**_args(choice), "table": table_id, "row": row.id}
    return render_template(
        "reports/progress_files.html",
        table=table,
        row=row,
        period=choice.period,
        shown=[(k, item) for k, item in shown if item is not None],
        page=page,
        has_next=has_next,
        prev_url=url_for("reports.progress_files", page=page - 1, **args) if page > 1 else None,
        next_url=url_for("reports.progress_files", page=page + 1, **args) if has_next else None,
        back_url=url_for("reports.progress_page", **_args(choice)),
        status_labels=labels.STATUS,
        member_labels=MEMBER_LABELS,
    )


def _by_id(model: type, ids: list[int], *options: object) -> dict[int, object]:
    """The rows of ``model`` by id, in one query (with what the list shows of them loaded too)."""
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))}


MEMBER_LABELS = {CHILD: _l("Child"), ELDERLY: _l("Above pension age"), OTHER_MEMBER: _l("Other household member")}
