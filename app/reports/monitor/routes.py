"""The monitor page: cohort KPIs against the region's targets and lead times to the PIP (aggregates only)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ... import audit
from ...backoffice.access import current_staff, requires
from ...charts import bar_chart
from ...extensions import db
from ...models.staff import BELEIDSMEDEWERKER, KLANTMANAGER
from ...models.types import local_today
from .. import bp
from . import kpis, queries
from .forms import MonitorForm


@bp.get("/monitor")
@requires(BELEIDSMEDEWERKER, KLANTMANAGER)
def monitor_page() -> ResponseReturnValue:
    """The KPIs per cohort and the lead times per municipality and quarter, for one region or municipality."""
    staff = current_staff()
    choices = queries.scopes(staff)
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
    audit.record("report.viewed", "monitor", scope.region.id if scope.region and scope.key[0] == "r" else None)
    db.session.commit()
    return render_template(
        "reports/monitor.html",
        form=form,
        scope=scope,
        ref=ref,
        table=table,
        leads=leads,
        names=queries.municipality_names(scope.municipality_ids),
        stages=kpis.STAGES,
        charts=charts,
        klantbeleving_target=scope.region.klantbeleving_target if scope.region else None,
    )
