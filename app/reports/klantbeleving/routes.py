"""The klantbeleving dashboard: mean marks against the target, by segment, with small cells hidden.

For the beleidsmedewerker and the klantmanager, over the municipalities they are granted; both see
aggregates only, and the comments without anything of the person. Filters are GET parameters; a
bad one gets a message next to its field (422) and nothing is lost of what was typed.
"""

from __future__ import annotations

import re
from datetime import date

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ... import audit, charts
from ...backoffice.access import current_staff, requires
from ...backoffice.labels import DOELGROEP, language_label
from ...extensions import db
from ...models.partner import PARTNER_KINDS
from ...models.staff import BELEIDSMEDEWERKER, KLANTMANAGER
from ...models.types import local_today
from ...params import MAX_PAGE, bounded_int
from .. import bp
from . import queries
from .dashboard import MARKS, TREND_SERIES, Dashboard, build, default_period
from .queries import (
    BY_DOELGROEP,
    BY_LANGUAGE,
    BY_LEERROUTE,
    BY_MUNICIPALITY,
    BY_PARTNER,
    BY_QUARTER,
    DIMENSIONS,
    Selection,
)

BY_LABELS = {
    BY_PARTNER: _l("Partner"),
    BY_MUNICIPALITY: _l("Municipality"),
    BY_LEERROUTE: _l("Learning route"),
    BY_LANGUAGE: _l("Language"),
    BY_DOELGROEP: _l("Target group"),
    BY_QUARTER: _l("Quarter"),
}
KIND_LABELS = {
    "language_school": _l("Language school"),
    "social_guidance": _l("Social guidance"),
    "municipality": _l("Municipality and klantmanager"),
    "work_partner": _l("Work and participation"),
    "map_pvt_provider": _l("MAP and PVT provider"),
}
LEERROUTE_LABELS = {"B": _l("B1 route"), "Z": _l("Z route"), "O": _l("Education route")}
FILTERS = ("from", "to", "by", "municipality", "kind")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MAX_QUARTERS = 20
"""A period of at most five years (the trend has a column per quarter)."""
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{1,2})-(\d{1,2})-(\d{4})$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}$")


def _date(text: str) -> date | None:
    """A date typed as 2026-12-31 (the date field) or 31-12-2026, in sane years; else None."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day = (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.group(6, 5, 4)
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if EARLIEST_YEAR <= value.year <= LATEST_YEAR else None


def _parse(args, municipalities: dict[int, str]) -> tuple[dict, dict[str, str], dict[str, str]]:  # noqa: ANN001, C901
    """The filters of the query string: values, errors by field, and what was typed (to show again)."""
    typed = {name: (args.get(name) or "").strip()[:40] for name in FILTERS}
    errors: dict[str, str] = {}
    start, end = default_period(local_today())
    if typed["from"]:
        start = _date(typed["from"]) or start
        if _date(typed["from"]) is None:
            errors["from"] = _(
                "Enter a date between %(low)s and %(high)s, like 2026-01-01.", low=EARLIEST_YEAR, high=LATEST_YEAR
            )
    if typed["to"]:
        end = _date(typed["to"]) or end
        if _date(typed["to"]) is None:
            errors["to"] = _(
                "Enter a date between %(low)s and %(high)s, like 2026-12-31.", low=EARLIEST_YEAR, high=LATEST_YEAR
            )
    # Whole quarters: two periods a day apart would otherwise give away that one day's answers.
    start = queries.quarter_start(start)
    end = queries.quarter_end(end)
    if not errors and start > end:
        errors["to"] = _("The end of the period cannot be before its start.")
    elif not errors and len(queries.quarters_between(start, end)) > MAX_QUARTERS:
        errors["to"] = _("Choose a period of at most five years.")
    by = typed["by"] or BY_PARTNER
    if by not in DIMENSIONS:
        errors["by"] = _("Choose one of the listed breakdowns.")
        by = BY_PARTNER
    kind = typed["kind"] or None
    if kind is not None and kind not in PARTNER_KINDS:
        errors["kind"] = _("Choose one of the listed kinds of partner.")
        kind = None
    municipality_ids = tuple(municipalities)
    if typed["municipality"]:
        chosen = bounded_int(typed["municipality"])
        if chosen is None or chosen not in municipalities:  # another's id and a made-up one read the same
            errors["municipality"] = _("Choose one of the listed municipalities.")
        else:
            municipality_ids = (chosen,)
    values = {"start": start, "end": end, "by": by, "kind": kind, "municipality_ids": municipality_ids}
    return values, errors, typed


def _labeller(municipalities: dict[int, str]):  # noqa: ANN202 - a function
    def labels(by: str, keys: list) -> dict:
        if by == BY_PARTNER:
            names = queries.partner_names({k for k in keys if k is not None})
            return {k: names.get(k, _("Partner no longer listed")) if k is not None else _("No partner") for k in keys}
        if by == BY_MUNICIPALITY:
            return {k: municipalities.get(k, _("Municipality")) for k in keys}
        if by == BY_LEERROUTE:
            return {k: str(LEERROUTE_LABELS.get(k, k)) if k else _("No route yet") for k in keys}
        if by == BY_LANGUAGE:
            return {k: language_label(k) or _("Unknown") for k in keys}
        if by == BY_DOELGROEP:
            return {k: str(DOELGROEP.get(k, k)) if k else _("Unknown") for k in keys}
        return {k: str(k) for k in keys}

    return labels


def _charts(board: Dashboard) -> dict[str, Markup]:
    """The page's charts (each with its data table): the distribution, the means by row, the trend."""
    if board.empty or board.all_hidden:
        return {}
    s = board.settings
    what = str(BY_LABELS[board.selection.by]).lower()
    hidden = _("not shown")
    result = {
        "histogram": charts.histogram(
            _("Marks given"),
            _("How many responses gave each mark, all responses in the period."),
            [charts.number(m, 0) for m in MARKS],
            board.total_distribution or [0] * len(MARKS),
            value_heading=_("Responses"),
        ),
        "bars": charts.bar_chart(
            _("Mean mark by %(what)s", what=what),
            _("The mean mark of each row, on a scale to 10, with the target line."),
            [seg.label for seg in board.segments],
            [None if seg.figure.mean is None else float(seg.figure.mean) for seg in board.segments],
            target=float(s.target),
            max_value=10,
            value_labels=[hidden if seg.figure.hidden else None for seg in board.segments],
            value_heading=_("Mean mark"),
        ),
    }
    drawn = sorted(
        (seg for seg in board.segments if not seg.figure.hidden),
        key=lambda seg: (not seg.flagged, -(seg.figure.n or 0), seg.label.casefold()),
    )[:TREND_SERIES]
    series = [(_("All responses"), [_mean(f) for f in board.total_quarters])]
    if board.selection.by != BY_QUARTER:
        series += [(seg.label, [_mean(f) for f in seg.quarters]) for seg in drawn]
    result["trend"] = charts.line_chart(
        _("Mean mark by quarter"),
        _("The mean mark per quarter, with the target line; a gap is a quarter without a figure shown."),
        board.quarters,
        series,
        target=float(s.target),
        y_min=1,
        y_max=10,
    )
    return result


def _mean(figure) -> float | None:  # noqa: ANN001 - a Figure
    return None if figure.hidden or figure.mean is None else float(figure.mean)


def comment_lang(code: str | None) -> str | None:
    """A comment's language as an HTML ``lang`` value, or None when it is not a language tag."""
    return code if code and _LANGUAGE_TAG.match(code) else None


@bp.get("/klantbeleving")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def klantbeleving_page() -> ResponseReturnValue:
    """The dashboard for the staff member's municipalities."""
    staff = current_staff()
    all_settings = queries.settings(tuple(staff.municipality_ids))
    values, errors, typed = _parse(request.args, all_settings.municipalities)
    page = bounded_int(request.args.get("page"), high=MAX_PAGE) or 1
    context = {
        "typed": typed,
        "errors": errors,
        "by_labels": BY_LABELS,
        "kind_labels": KIND_LABELS,
        "municipalities": all_settings.municipalities,
        "marks": MARKS,
        "comment_lang": comment_lang,
        "chart_number": charts.number,
        "args": {k: v for k, v in typed.items() if v},
    }
    if errors or not all_settings.municipalities:
        return render_template("reports/klantbeleving.html", board=None, charts={}, **context), 422 if errors else 200
    selection = Selection(**values)
    settings = (
        all_settings
        if selection.municipality_ids == tuple(all_settings.municipalities)
        else queries.settings(selection.municipality_ids)
    )
    board = build(selection, settings, _labeller(all_settings.municipalities), page)
    audit.record("report.viewed", "klantbeleving")
    if board.comments:
        audit.record("survey.comments_viewed", "klantbeleving")
    db.session.commit()
    return render_template("reports/klantbeleving.html", board=board, charts=_charts(board), **context)
