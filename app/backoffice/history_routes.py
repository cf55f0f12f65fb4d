"""Back-office routes of the history import: the upload (check or import), the job's page, the templates.

Thin: the reading, checking and writing are in ``history_import``; the upload reads the files and
queues a job, which the worker runs. Klantmanagers only, for their own municipalities; a job is
seen only by the staff member who uploaded it. The upload may be as large as ``IMPORT_MAX_BYTES`` for
all files together (only here, as on the DUO import's page, is a request body that large read).
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField

from forms.dates import date_bounds
from forms.imports import CsvProblem, too_big_message

from ..extensions import csrf
from ..models.staff import KLANTMANAGER
from . import bp, history_import
from .access import current_staff, requires
from .import_routes import upload, uploaders_job

KIND_LABELS = {
    "files": _l("Files (with their end and met obligation)"),
    "pips": _l("PIP versions"),
    "progress": _l("Route progress"),
    "relief": _l("Financieel ontzorgen"),
    "activities": _l("Participation activities"),
    "household": _l("Household members who are not obliged"),
    "complaints": _l("Complaints"),
}


class HistoryForm(FlaskForm):
    """One optional CSV file per kind; checking is the default, importing is a separate button."""

    files = FileField(KIND_LABELS["files"])
    pips = FileField(KIND_LABELS["pips"])
    progress = FileField(KIND_LABELS["progress"])
    relief = FileField(KIND_LABELS["relief"])
    activities = FileField(KIND_LABELS["activities"])
    household = FileField(KIND_LABELS["household"])
    complaints = FileField(KIND_LABELS["complaints"])
    do_import = BooleanField()

    uploads: dict

    def validate(self, extra_validators: object = None) -> bool:
        """At least one file; each a CSV of its kind; all together within ``IMPORT_MAX_BYTES``."""
        if not super().validate(extra_validators):
            return False
        limit = current_app.config["IMPORT_MAX_BYTES"]
        self.uploads, total = {}, 0
        for kind in history_import.KINDS:
            field = self[kind]
            if not field.data or not getattr(field.data, "filename", ""):
                continue
            if not field.data.filename.lower().endswith((".csv", ".txt")):
                field.errors = [str(_l("This is not a CSV file. In Excel choose Save as, then the type “CSV UTF-8”."))]
                continue
            data = field.data.stream.read(limit + 1)
            total += len(data)
            if total > limit:
                field.errors = [too_big_message()]
                continue
            try:
                self.uploads[kind] = history_import.read_rows(data, kind)
            except CsvProblem as problem:
                field.errors = [problem.message]
        if not self.uploads and not self.errors:
            self.files.errors = [str(_l("Choose at least one CSV file."))]
        rows = sum(len(rows) for rows in self.uploads.values())
        if rows > history_import.MAX_ROWS and not self.errors:
            self.files.errors = [
                str(
                    _l(
                        "Too many lines: at most %(max)s in all files together. Split the files.",
                        max=history_import.MAX_ROWS,
                    )
                )
            ]
        return not self.errors


def _page(form: HistoryForm, code: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "backoffice/records/history_import.html",
            form=form,
            kinds=history_import.KINDS,
            kind_labels=KIND_LABELS,
            jobs=history_import.recent_jobs(current_staff()),
            date_bounds=date_bounds(),
        ),
        code,
    )


@bp.route("/history-import", methods=["GET", "POST"])
@csrf.exempt  # see import_routes.upload()
@requires(KLANTMANAGER)
def history_import_form() -> ResponseReturnValue:
    """Upload the history's CSV files to be checked (nothing is written) or imported all or nothing, by the worker."""
    return upload(
        HistoryForm,
        _page,
        lambda staff, form: history_import.start(staff, form.uploads, check_only=not form.do_import.data),
        "backoffice.history_import_job",
        file_field="files",
    )


@bp.get("/history-import/<int:job_id>")
@requires(KLANTMANAGER)
def history_import_job(job_id: int) -> ResponseReturnValue:
    """A history import's state (the page refreshes itself while it waits or runs), then its report."""
    job, auto = uploaders_job(history_import.get_job, job_id)
    return render_template(
        "backoffice/records/history_import_job.html",
        job=job,
        report=history_import.Report.of_job(job),
        failure=history_import.FAILURES.get(job.failure or ""),
        kinds=history_import.KINDS,
        kind_labels=KIND_LABELS,
        refresh=job.running and auto,
        auto=auto,
    )


@bp.get("/history-import/<kind>.csv")
@requires(KLANTMANAGER)
def history_template(kind: str) -> ResponseReturnValue:
    """The template of one kind: the header and one example row (UTF-8 with BOM, semicolons, CRLF)."""
    if kind not in history_import.KINDS:
        abort(404)
    return Response(
        "\ufeff" + history_import.template_csv(kind, current_staff()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="history-{kind}.csv"'},
    )
