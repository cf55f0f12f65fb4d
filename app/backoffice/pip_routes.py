"""Back-office routes for the route and PIP: the PIP form, extensions of the term, the file-page panel.

Thin, like ``routes``: the rules and the transaction are in ``pip_services``. Every route is for
klantmanagers, and a file of another municipality does not exist for them (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms.pip import (
    EXTENSION_REASON_CHOICES,
    LEARNABILITY_CHOICES,
    LEERROUTE_CHOICES,
    LEVEL_CHOICES,
    LITERACY_CHOICES,
    PipForm,
    TermExtensionForm,
    pip_form_data,
)

from .. import audit
from ..extensions import db
from ..intake.services import AMSTERDAM
from ..models import Newcomer
from ..models.staff import KLANTMANAGER
from . import bp, pip_services
from .access import current_staff, requires
from .routes import _file_or_404

EXTENSION_PREFIX = "extension"
"""The extension form shares the file page with other forms: its field names carry a prefix."""
LABELS = {
    name: {choice.value: choice.label for choice in choices}
    for name, choices in (
        ("learnability", LEARNABILITY_CHOICES),
        ("leerroute", LEERROUTE_CHOICES),
        ("level", LEVEL_CHOICES),
        ("literacy", LITERACY_CHOICES),
        ("reason", EXTENSION_REASON_CHOICES),
    )
}
"""The labels of the codes, for the file page."""


def _today() -> date:
    return datetime.now(AMSTERDAM).date()


@dataclass(frozen=True)
class PipPanel:
    """What ``backoffice/_pip.html`` shows: the summary, the labels of the codes, the extension form."""

    summary: pip_services.PipSummary
    labels: dict
    extension_form: TermExtensionForm


@bp.app_template_global()
def pip_panel(newcomer: Newcomer) -> PipPanel:
    """The route and PIP of the file on the page (the file view itself is audited by its route)."""
    return PipPanel(
        summary=pip_services.summary(newcomer, _today()),
        labels=LABELS,
        extension_form=TermExtensionForm(prefix=EXTENSION_PREFIX, formdata=None),
    )


@bp.route("/newcomers/<int:newcomer_id>/pip", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def pip_form(newcomer_id: int) -> ResponseReturnValue:
    """Record the route and PIP: a new version, prefilled from the newest one."""
    newcomer = _file_or_404(newcomer_id)
    versions = pip_services.versions_of(newcomer)
    form = PipForm(data=pip_form_data(versions[0]) if versions else None)
    warnings: list[pip_services.Violation] = []
    if form.validate_on_submit():
        try:
            pip = pip_services.save_pip(
                newcomer,
                current_staff(),
                pip_services.PipDraft(**form.values()),
                confirmed=bool(form.save_anyway.data),
            )
        except pip_services.PipRefused as refused:
            for violation in refused.violations:
                form[violation.field].errors.append(violation.message())
        except pip_services.PipWarned as warned:  # shown again, with the warnings and a "save anyway" box
            warnings = warned.warnings
            form.save_anyway.data = False
        except pip_services.PipConflict:
            flash(_("Someone else saved this PIP at the same moment. Check it and save again."), "warning")
            return redirect(url_for("backoffice.pip_form", newcomer_id=newcomer_id))
        else:
            if pip is None:
                flash(_("Nothing changed, so no new version was saved."), "info")
            else:
                flash(_("The PIP is saved (version %(version)s).", version=pip.version), "info")
            return redirect(url_for("backoffice.file", newcomer_id=newcomer.id) + "#pip")
    audit.record("pip.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return render_template(
        "backoffice/pip_form.html",
        newcomer=newcomer,
        form=form,
        versions=versions,
        warnings={w.field: w.message() for w in warnings},
        facts=pip_services.intake_facts(newcomer),
        learnability_labels=LABELS["learnability"],
    ), 422 if form.errors else 200


@bp.post("/newcomers/<int:newcomer_id>/pip/extensions")
@requires(KLANTMANAGER)
def add_term_extension(newcomer_id: int) -> ResponseReturnValue:
    """Record DUO's extension of the integration term."""
    newcomer = _file_or_404(newcomer_id)
    form = TermExtensionForm(prefix=EXTENSION_PREFIX)
    if form.validate_on_submit():
        try:
            pip_services.add_extension(
                newcomer,
                current_staff(),
                reason=form.reason.data,
                days=form.day_count,
                decided_on=form.decided_on.data,
                today=_today(),
            )
        except LookupError:
            flash(_("Record the PIP first: the integration term starts with it."), "warning")
            return redirect(url_for("backoffice.file", newcomer_id=newcomer.id) + "#pip")
        except pip_services.PipRefused as refused:
            for violation in refused.violations:
                form[violation.field].errors.append(violation.message())
        else:
            flash(_("The extension of the term is recorded."), "info")
            return redirect(url_for("backoffice.file", newcomer_id=newcomer.id) + "#pip")
    audit.record("pip.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return render_template("backoffice/pip_extension.html", newcomer=newcomer, form=form), 422
