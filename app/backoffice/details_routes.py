"""Correcting a newcomer's details after registering: name, phone, language, BSN and the two dates.

Thin, like ``routes``: the verb is ``details_services.change_details``. Klantmanagers only; another
municipality's file does not exist for them (404), an erased file refuses (409, see ``routes``).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms import SelectChoice

from forms.backoffice import DetailsForm

from .. import audit
from ..extensions import db
from ..models import Newcomer
from ..models.staff import KLANTMANAGER
from . import bp, details_services, labels
from .access import current_staff, requires
from .routes import _file_or_404
from .services import AlreadyRegistered


def _details_form(newcomer: Newcomer) -> DetailsForm:
    """The form, prefilled from the file (the BSN stays empty: it is shown masked only)."""
    form = DetailsForm(
        data={
            "name": newcomer.name,
            "phone": newcomer.phone,
            "language": newcomer.language,
            "duo_notified_on": newcomer.duo_notified_on,
            "settled_on": newcomer.settled_on,
        }
    )
    form.language.choices = [
        SelectChoice("", _("Choose a language")),
        *(SelectChoice(language.code, language.name) for language in labels.staff_languages()),
    ]
    return form


@bp.route("/newcomers/<int:newcomer_id>/details", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def details(newcomer_id: int) -> ResponseReturnValue:
    """Correct the details; a changed phone number signs the newcomer out everywhere."""
    newcomer = _file_or_404(newcomer_id)
    form = _details_form(newcomer)
    if form.validate_on_submit():
        try:
            changed = details_services.change_details(
                newcomer,
                current_staff(),
                name=form.name.data,
                phone=form.e164,
                language=form.language.data,
                bsn=form.bsn.data or None,
                duo_notified_on=form.duo_notified_on.data,
                settled_on=form.settled_on.data,
            )
        except AlreadyRegistered:
            db.session.rollback()
            form.phone.errors = [_("A newcomer with this phone number is registered already.")]
        else:
            if not changed:
                flash(_("Nothing changed."), "info")
            elif "phone" in changed:
                flash(
                    _(
                        "The details are saved. The phone number changed, so the newcomer was signed out "
                        "and earlier invitation links stopped working: send a new invitation."
                    ),
                    "info",
                )
            else:
                flash(_("The details are saved."), "info")
            return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))
    audit.record("file.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return render_template("backoffice/details.html", newcomer=newcomer, form=form), 422 if form.errors else 200
