"""The monitor as a workbook: the figures of the page, as numbers a spreadsheet can compute with.

Two sheets, in the staff member's language: the cohort KPIs (one line per KPI and cohort, and one
for all cohorts together) and the lead times (one line per municipality, or the whole selection,
and quarter). What the page does not show, the workbook does not hold either: a percentage that is
not yet measurable says so, and a small cell's lead times are "not shown" with its n left out.
"""

from __future__ import annotations

from flask_babel import gettext as _

from .kpis import STAGES, Cell, KpiTable, LeadTimeCell, LeadTimeTable


def _kpi_line(label: str, cohort: str, cell: Cell) -> list[object]:
    result: object = cell.percent if cell.percent is not None else (_("not yet measurable") if cell.size else None)
    not_yet = cell.size - cell.known - cell.ended - cell.unclear
    return [label, cell.target, cohort, result, cell.met, cell.known, cell.size, not_yet, cell.ended, cell.unclear]


def kpi_rows(table: KpiTable) -> list[list[object]]:
    """The KPIs sheet: a header, then per KPI its cohorts (oldest first) and all cohorts together."""
    rows: list[list[object]] = [
        [
            _("KPI"),
            _("Target in percent"),
            _("Cohort (first PIP)"),
            _("Result in percent"),
            _("Met"),
            _("Known"),
            _("In the cohort"),
            _("Not yet known"),
            _("Ended before the outcome"),
            _("Records cannot tell"),
        ]
    ]
    for kpi, cells, total in table.rows:
        label = str(kpi.label)
        rows += [_kpi_line(label, cohort, cells[cohort]) for cohort in table.cohorts]
        rows.append(_kpi_line(label, _("All cohorts together"), total))
    return rows


def _days(value: float | None) -> float | None:
    """Days to one decimal, as the page shows them."""
    return None if value is None else round(value, 1)


def _lead_line(where: str, quarter: str, cell: LeadTimeCell) -> list[object]:
    line: list[object] = [where, quarter, cell.notices]
    for key, _label, _measure in STAGES:
        durations = cell.stages[key]
        if durations.hidden:
            line += [_("not shown"), None, None]
        else:
            line += [_days(durations.median), _days(durations.p90), durations.n]
    if cell.term_hidden:
        line += [_("not shown"), None, None]
    else:
        line += [cell.within_percent, cell.within_term, cell.term_known]
    return line


def lead_rows(leads: LeadTimeTable, names: dict[int, str], *, per_municipality: bool) -> list[list[object]]:
    """The lead times sheet: the whole selection per quarter, then each municipality's (for a region)."""
    header: list[object] = [_("Municipality"), _("Quarter of DUO's notice"), _("Notices")]
    for _key, label, _measure in STAGES:
        header += [
            _("%(stage)s: median in days", stage=label),
            _("%(stage)s: 90th percentile in days", stage=label),
            _("%(stage)s: people", stage=label),
        ]
    header += [_("PIP within the term in percent"), _("PIP within the term"), _("Known")]
    rows: list[list[object]] = [header]
    groups = [(_("The whole selection"), leads.total)]
    if per_municipality:
        groups += [(names.get(m, ""), cells) for m, cells in sorted(leads.by_municipality.items())]
    for where, cells in groups:
        rows += [_lead_line(where, q, cells[q]) for q in leads.quarters if q in cells]
    return rows
