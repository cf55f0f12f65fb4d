"""Privacy routes of a newcomer's file: export everything held (JSON, printable page) and erase it.

Klantmanagers only, within their municipalities (another municipality's file is a 404, like every
file route); the verbs and what erasure keeps are in ``privacy_services``.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.admin import EraseForm
from workflows import engine
from workflows.appointments import ATTENDANCE_LABELS, TYPES

from ..appointments.progress_routes import HOUR_KIND_NAMES
from ..conversation import common_questions
from ..i18n import BY_CODE, DEFAULT
from ..intake import services as intake_services
from ..models.staff import KLANTMANAGER
from ..models.survey import STATUS_LABELS as INVITATION_STATUS_LABELS
from ..models.types import utcnow
from ..sms.reasons import KIND_LABELS, STATUS_LABELS
from . import bp, intake_review, privacy_services
from .access import requires
from .routes import _file_or_404

OPT_OUT_LABELS = {
    "all": _l("all SMS that you can stop"),
    "reminders": _l("reminders"),
    "surveys": _l("surveys"),
    "notices": _l("notices"),
}


def export_language(newcomer: object) -> str:
    """The language of the printable export: the one asked for (``?lang=``), else the newcomer's."""
    asked = request.args.get("lang", "")
    if asked in BY_CODE:
        return asked
    own = getattr(newcomer, "language", DEFAULT)
    return own if own in BY_CODE else DEFAULT


@bp.app_template_test("erased")
def _is_erased(newcomer: object) -> bool:
    """``{% if newcomer is erased %}`` in templates."""
    return privacy_services.is_erased(newcomer)  # type: ignore[arg-type]


@bp.get("/newcomers/<int:newcomer_id>/export.json")
@requires(KLANTMANAGER)
def export_json(newcomer_id: int) -> ResponseReturnValue:
    """Everything held about the newcomer as a JSON download (audited)."""
    newcomer = _file_or_404(newcomer_id)
    data = privacy_services.as_json(privacy_services.export(newcomer))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="newcomer-{newcomer.id}.json"'},
    )


@bp.get("/newcomers/<int:newcomer_id>/export")
@requires(KLANTMANAGER)
def export_page(newcomer_id: int) -> ResponseReturnValue:
    """Everything held about the newcomer as a printable page, BSN masked (audited).

    It is the newcomer's copy, so it is written in their language (``?lang=nl`` gives the Dutch
    one for the file); every answer is in it, sensitive ones too: it is handed to them in person.
    """
    newcomer = _file_or_404(newcomer_id)
    held = privacy_services.export(newcomer, printable=True)
    language = export_language(newcomer)
    with force_locale(language):
        sections, replies = [], []
        if held.intake is not None:
            sections = engine.summary(
                intake_services.workflow(held.intake), intake_services.progress(held.intake), intake_services.context()
            )
            replies = intake_review.reply_lines(held.intake, held.replies_of(held.intake))
        return render_template(
            "backoffice/privacy_export.html",
            held=held,
            sections=sections,
            replies=replies,
            made_at=utcnow(),
            language=language,
            message_kinds=KIND_LABELS,
            question_text=common_questions.text,
            message_statuses=STATUS_LABELS,
            opt_out_labels=OPT_OUT_LABELS,
            appointment_types=TYPES,
            attendance_labels=ATTENDANCE_LABELS,
            hour_kind_names=HOUR_KIND_NAMES,
            invitation_statuses=INVITATION_STATUS_LABELS,
        )


@bp.route("/newcomers/<int:newcomer_id>/erase", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def erase(newcomer_id: int) -> ResponseReturnValue:
    """Erase (anonymise) the file after a confirm step (audited)."""
    newcomer = _file_or_404(newcomer_id)
    if privacy_services.is_erased(newcomer):
        flash(_("This file has been erased already."), "info")
        return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))
    form = EraseForm()
    if form.validate_on_submit():
        privacy_services.erase(newcomer)
        flash(_("The file has been erased. Only anonymous figures for the reports remain."), "info")
        return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))
    return render_template("backoffice/privacy_erase.html", newcomer=newcomer, form=form), 422 if form.errors else 200
