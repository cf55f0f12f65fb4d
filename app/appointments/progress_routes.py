"""The klantmanager's pages of route progress: recording it, the file-page summary, and the hours import.

Thin: the rules and the transaction are in ``progress_services`` and ``hours_import``. Every page
is for klantmanagers; a file of another municipality does not exist for them (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from forms.progress import (
    COUNTER_COLUMNS,
    HOUR_FIELDS,
    HOURS_COLUMNS,
    HOURS_REQUIRED,
    HoursImportForm,
    ProgressForm,
    month_bounds,
    parse_month,
    progress_form_data,
)
from workflows.appointments import KNM, KNM_THEMES, LANGUAGE, MAP, MAP_THEMES, PVT, Z_ROUTE

from .. import audit
from ..backoffice import services as backoffice_services
from ..backoffice.access import current_staff, requires
from ..backoffice.import_routes import upload, uploaders_job
from ..extensions import csrf, db
from ..intake.services import AMSTERDAM
from ..models import Newcomer
from ..models.staff import KLANTMANAGER
from . import hours_import, progress_services, staff_bp
from .progress import DONE, EXEMPT, NOT_STARTED, UNDER_WAY, RouteStatus, record_of, route_status

PART_NAMES = {
    LANGUAGE: _l("Language route"),
    KNM: _l("KNM"),
    PVT: _l("PVT"),
    MAP: _l("MAP"),
    Z_ROUTE: _l("Z-route participation"),
}
STATE_NAMES = {
    NOT_STARTED: _l("Not started"),
    UNDER_WAY: _l("Under way"),
    DONE: _l("Done"),
    EXEMPT: _l("Exempt"),
}
HOUR_KIND_NAMES = {
    "pvt": _l("PVT"),
    "map_practical": _l("MAP practical"),
    "participatieactiviteiten": _l("Z-route participation"),
    "participatietaalles": _l("Language and KNM at the school"),
    "bredeintake_taallesknm": _l("Language and KNM in the brede intake"),
}
FORM_OVERHEAD = 64 * 1024
"""Room for the multipart envelope and the CSRF field around a file of ``IMPORT_MAX_BYTES``."""


def _today() -> date:
    return datetime.now(AMSTERDAM).date()


def _file_or_404(newcomer_id: int) -> Newcomer:
    newcomer = backoffice_services.get_file(newcomer_id)
    if newcomer is None:
        audit.record("file.viewed", "newcomer", newcomer_id, result=audit.DENIED)
        db.session.commit()
        abort(404)
    return newcomer


@dataclass(frozen=True)
class FileProgress:
    """What ``appointments/_file_progress.html`` shows: the route status and the names of parts and states."""

    newcomer: Newcomer
    status: RouteStatus
    part_names: dict
    state_names: dict


@staff_bp.app_template_global("file_progress")
def file_progress(newcomer: Newcomer) -> FileProgress:
    """The route progress of a file, for the file page (the file view itself is audited by its route)."""
    return FileProgress(newcomer, route_status(newcomer, _today()), PART_NAMES, STATE_NAMES)


# -- recording progress ------------------------------------------------------------------------------


def _progress_page(newcomer: Newcomer, form: ProgressForm, code: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "appointments/progress_form.html",
            newcomer=newcomer,
            form=form,
            status=route_status(newcomer, _today()),
            pip=progress_services.pip_facts(newcomer),
            months=progress_services.hours_by_month(newcomer),
            hour_fields=HOUR_FIELDS,
            hour_kind_names=HOUR_KIND_NAMES,
            part_names=PART_NAMES,
            state_names=STATE_NAMES,
            knm_themes=KNM_THEMES,
            map_themes=MAP_THEMES,
            month_bounds=month_bounds(),
        ),
        code,
    )


@staff_bp.route("/<int:newcomer_id>/progress", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def progress(newcomer_id: int) -> ResponseReturnValue:
    """Record the route's progress: themes, results and dates, an exemption, and hours of one month."""
    newcomer = _file_or_404(newcomer_id)
    if request.method == "GET":
        audit.record("file.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
        db.session.commit()
        return _progress_page(newcomer, ProgressForm(formdata=None, data=progress_form_data(record_of(newcomer))))
    form = ProgressForm()
    if not form.validate_on_submit():
        return _progress_page(newcomer, form, 422)
    try:
        progress_services.save(
            newcomer,
            current_staff(),
            form.values(),
            version=form.version.data or "",
            month=parse_month(form.hours_month.data),
            hours=form.hours(),
        )
    except progress_services.ProgressRefused as refused:
        for violation in refused.violations:
            form[violation.field].errors = [*form[violation.field].errors, violation.message]
        return _progress_page(newcomer, form, 422)
    except progress_services.ProgressConflict:
        flash(
            _(
                "Someone else saved this progress after you opened the form. Your values are still in the form: "
                "compare them with the progress above and save again."
            ),
            "warning",
        )
        # The typed values stay; the version becomes the one now stored, so saving again is a choice made seeing it.
        form.version.data = progress_form_data(record_of(newcomer))["version"]
        form.version.raw_data = [form.version.data]
        return _progress_page(newcomer, form, 409)
    flash(_("The progress is saved."), "info")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id, _anchor="progress"))


# -- the hours import --------------------------------------------------------------------------------


def _import_page(form: HoursImportForm, code: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "appointments/hours_import.html",
            form=form,
            columns=HOURS_COLUMNS,
            required=HOURS_REQUIRED,
            counters=COUNTER_COLUMNS,
            jobs=hours_import.recent_jobs(current_staff()),
            month_bounds=month_bounds(),
        ),
        code,
    )


@staff_bp.route("/hours-import", methods=["GET", "POST"])
@csrf.exempt  # see import_routes.upload()
@login_required
@requires(KLANTMANAGER)
def hours_import_form() -> ResponseReturnValue:
    """Upload a CSV file of hours followed per month; the worker runs the import, its page shows progress."""
    return upload(
        HoursImportForm,
        _import_page,
        lambda staff, form: hours_import.start(staff, form.rows),
        "backoffice.appointments.hours_import_job",
    )


@staff_bp.get("/hours-import/template.csv")
@login_required
@requires(KLANTMANAGER)
def hours_import_template() -> ResponseReturnValue:
    """The CSV template: the header and one example line (UTF-8 with BOM and semicolons, as Dutch Excel likes)."""
    return Response(
        "\ufeff" + hours_import.template_csv(current_staff()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="hours-import-template.csv"'},
    )


@staff_bp.get("/hours-import/<int:job_id>")
@login_required
@requires(KLANTMANAGER)
def hours_import_job(job_id: int) -> ResponseReturnValue:
    """An hours import's progress (the page refreshes itself while it runs), then its report."""
    job, auto = uploaders_job(hours_import.get_job, job_id)
    return render_template(
        "appointments/hours_import_job.html",
        job=job,
        errors=hours_import.report_lines(job.report),
        already=hours_import.already_lines(job.report),
        failure=hours_import.FAILURES.get(job.failure or ""),
        refresh=job.running and auto,
        auto=auto,
    )
