"""The monitor page: cohort KPIs against the region's targets and lead times to the PIP (aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ... import audit
from ...backoffice.access import current_staff, requires
from ...charts import bar_chart
from ...extensions import db
from ...models.staff import BELEIDSMEDEWERKER, KLANTMANAGER
from ...models.types import local_today
from .. import bp
from ..exports import XLSX_MIMETYPE, xlsx_workbook
from . import kpis, queries, sheets
from .forms import MonitorForm


@dataclass(frozen=True)
class Figures:
    """What the page and the workbook show: the choice made, and the tables as they stood on ``ref``."""

    form: MonitorForm
    scope: queries.Scope
    ref: date
    table: kpis.KpiTable
    leads: kpis.LeadTimeTable


def _figures() -> Figures | ResponseReturnValue:
    """The figures of the chosen scope and date, or the page that says why there are none (422)."""
    choices = queries.scopes(current_staff())
    form = MonitorForm(request.args)
    form.scope.choices = [(s.key, s.label) for s in choices]
    if not choices:
        return render_template("reports/monitor.html", form=form, scope=None, table=None, leads=None)
    if not form.validate():
        return render_template("reports/monitor.html", form=form, scope=None, table=None, leads=None), 422
    ref = form.on.data or local_today()
    scope = next((s for s in choices if s.key == form.scope.data), choices[0])
    table = kpis.kpi_table(
        queries.cohort_people(scope.municipality_ids, ref), ref, targets=scope.targets, min_known=scope.min_cell
    )
    leads = kpis.lead_time_table(queries.timelines(scope.municipality_ids, ref), ref, min_cell=scope.min_cell)
    return Figures(form, scope, ref, table, leads)


def _audited(action: str, record_type: str, scope: queries.Scope) -> None:
    audit.record(action, record_type, scope.region.id if scope.region and scope.key[0] == "r" else None)
    db.session.commit()


@bp.get("/monitor")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def monitor_page() -> ResponseReturnValue:
    """The KPIs per cohort and the lead times per municipality and quarter, for one region or municipality."""
    figures = _figures()
    if not isinstance(figures, Figures):
        return figures
    table, scope = figures.table, figures.scope
    charts = {
        kpi.id: bar_chart(
            str(kpi.label),
            _("Percentage per cohort (first PIP quarter) against the target of %(num)d%%.", num=total.target),
            table.cohorts,
            [cells[c].percent for c in table.cohorts],
            target=total.target,
            max_value=100,
            unit="%",
            decimals=0,
        )
        for kpi, cells, total in table.rows
        if any(cells[c].percent is not None for c in table.cohorts)
    }
    _audited("report.viewed", "monitor", scope)
    return render_template(
        "reports/monitor.html",
        form=figures.form,
        scope=scope,
        ref=figures.ref,
        table=table,
        leads=figures.leads,
        names=queries.municipality_names(scope.municipality_ids),
        stages=kpis.STAGES,
        charts=charts,
        klantbeleving_target=scope.region.klantbeleving_target if scope.region else None,
        xlsx_args={"on": figures.ref.isoformat(), "scope": scope.key},
    )


@bp.get("/monitor.xlsx")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def monitor_xlsx() -> ResponseReturnValue:
    """The page's figures as a workbook: the cohort KPIs and the lead times, one sheet each."""
    figures = _figures()
    if not isinstance(figures, Figures):
        return figures
    scope = figures.scope
    _audited("report.exported", "monitor_xlsx", scope)
    names = queries.municipality_names(scope.municipality_ids)
    workbook = xlsx_workbook(
        [
            (_("Cohort KPIs"), sheets.kpi_rows(figures.table)),
            (
                _("Lead times to the PIP"),
                sheets.lead_rows(figures.leads, names, per_municipality=len(scope.municipality_ids) > 1),
            ),
        ]
    )
    name = f"monitor-{scope.key}-{figures.ref.isoformat()}.xlsx"
    return Response(
        workbook,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
