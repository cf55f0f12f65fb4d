"""Back-office routes for importing DUO notifications from a CSV file: upload, template, progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from forms.dates import date_bounds
from forms.imports import COLUMNS, REQUIRED_COLUMNS, ImportForm, too_big_message

from .. import audit
from ..extensions import csrf, db
from ..models.imports import ImportJob
from ..models.staff import KLANTMANAGER, Staff
from . import bp, import_services
from .access import current_staff, requires

FORM_OVERHEAD = 64 * 1024
"""Room for the multipart envelope and the CSRF field around a file of ``IMPORT_MAX_BYTES``."""


def _form_page(form: ImportForm, status: int = 200) -> ResponseReturnValue:
    staff = current_staff()
    return (
        render_template(
            "backoffice/import_form.html",
            form=form,
            columns=COLUMNS,
            required=REQUIRED_COLUMNS,
            jobs=import_services.recent_jobs(staff),
            date_bounds=date_bounds(),
        ),
        status,
    )


def upload(
    form_class: Callable[..., Any],
    page: Callable[[Any, int], ResponseReturnValue],
    start: Callable[[Staff, Any], ImportJob],
    job_endpoint: str,
    *,
    file_field: str = "file",
) -> ResponseReturnValue:
    """An import's upload: the form (422 with its messages, 413 for too large a body), or the job started
    by ``start(staff, form)`` and a redirect to its page. The DUO, hours and history imports share it.

    The route must be ``@csrf.exempt``: the global check would read the body under the app's 256 KB
    limit before this raises it; the form checks CSRF itself.
    """
    if request.method == "POST":
        # Only here, and only for a signed-in klantmanager, may a request body be this large.
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + FORM_OVERHEAD
        try:
            request.files  # noqa: B018 - parse the body now, under this route's limit
        except RequestEntityTooLarge:
            form = form_class(formdata=None)
            form[file_field].errors = [too_big_message()]
            return page(form, 413)
    form = form_class()
    if form.validate_on_submit():
        job = start(current_staff(), form)
        return redirect(url_for(job_endpoint, job_id=job.id))
    return page(form, 422 if form.errors else 200)


@bp.route("/import", methods=["GET", "POST"])
@csrf.exempt  # see upload()
@requires(KLANTMANAGER)
def import_form() -> ResponseReturnValue:
    """Upload a CSV file of DUO notifications; the worker runs the import, its page shows progress."""
    return upload(
        ImportForm, _form_page, lambda staff, form: import_services.start(staff, form.rows), "backoffice.import_job"
    )


@bp.get("/import/template.csv")
@requires(KLANTMANAGER)
def import_template() -> ResponseReturnValue:
    """The CSV template: the header and one example row (UTF-8 with BOM and semicolons, as Dutch Excel likes)."""
    return Response(
        "\ufeff" + import_services.template_csv(current_staff()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="duo-import-template.csv"'},
    )


def uploaders_job(get_job: Callable[[int, Staff], ImportJob | None], job_id: int) -> tuple[ImportJob, bool]:
    """The signed-in klantmanager's own import job, or a 404 (audited) for any other; and whether its
    page refreshes itself while the job waits or runs (``?auto=0`` stops that)."""
    job = get_job(job_id, current_staff())
    if job is None:
        audit.record("import.viewed", "import_job", job_id, result=audit.DENIED)
        db.session.commit()
        abort(404)
    return job, request.args.get("auto") != "0"


@bp.get("/import/<int:job_id>")
@requires(KLANTMANAGER)
def import_job(job_id: int) -> ResponseReturnValue:
    """An import's progress (the page refreshes itself while it runs), then its report."""
    job, auto = uploaders_job(import_services.get_job, job_id)
    return render_template(
        "backoffice/import_job.html",
        job=job,
        errors=import_services.report_lines(job.report),
        warnings=import_services.warning_lines(job.report),
        already=import_services.already_lines(job.report),
        failure=import_services.FAILURES.get(job.failure or ""),
        refresh=job.running and auto,
        auto=auto,
    )
