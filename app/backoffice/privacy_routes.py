"""Privacy routes of a newcomer's file: export everything held (JSON, printable page) and erase it.

Klantmanagers only, within their municipalities (another municipality's file is a 404, like every
file route); the verbs and what erasure keeps are in ``privacy_services``.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms.admin import EraseForm
from workflows import engine

from ..intake import services as intake_services
from ..models.staff import KLANTMANAGER
from ..models.types import utcnow
from . import bp, privacy_services
from .access import requires
from .routes import _file_or_404


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
    """Everything held about the newcomer as a printable page, BSN masked (audited)."""
    newcomer = _file_or_404(newcomer_id)
    held = privacy_services.export(newcomer, printable=True)
    sections = []
    if held.intake is not None:
        sections = engine.summary(
            intake_services.workflow(), intake_services.progress(held.intake), intake_services.context()
        )
    return render_template("backoffice/privacy_export.html", held=held, sections=sections, made_at=utcnow())


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
