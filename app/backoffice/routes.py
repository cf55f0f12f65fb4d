"""Back-office routes: thin; the verbs are in ``services``, access rules in ``access``."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select
from wtforms import SelectChoice

from forms.auth import ConfirmForm
from forms.backoffice import NoteForm, RegisterNewcomerForm, ReturnIntakeForm, StatusForm
from workflows import engine

from .. import audit
from ..extensions import db
from ..i18n import LANGUAGES
from ..intake import services as intake_services
from ..models import Municipality, Newcomer, Note, StatusChange
from ..models.staff import BEHEERDER, BELEIDSMEDEWERKER, KLANTMANAGER
from . import bp, labels, services
from .access import current_staff, requires, scope_request
from .privacy_services import is_erased

AMSTERDAM = intake_services.AMSTERDAM


@bp.before_request
@login_required
def _staff_only() -> None:
    """Only staff, and only their municipalities' records."""
    current_staff()
    scope_request()


@bp.before_request
def _erased_files_are_read_only() -> None:
    """Every write to an erased file answers 409, whatever the route: an erased file only keeps its figures.

    One check for every route with a ``newcomer_id`` (the PIP, its extensions, any route added
    later), so no route can forget it. Other roles and other municipalities still get their 404
    from the route itself.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or current_staff().role != KLANTMANAGER:
        return
    newcomer_id = (request.view_args or {}).get("newcomer_id")
    if newcomer_id is None:
        return
    newcomer = services.get_file(newcomer_id)
    if newcomer is not None and is_erased(newcomer):
        abort(409)


@bp.app_context_processor
def _labels() -> dict:
    return {
        "status_labels": labels.STATUS,
        "doelgroep_labels": labels.DOELGROEP,
        "role_labels": labels.ROLE,
        "language_names": {language.code: labels.language_label(language.code) for language in LANGUAGES},
        "language_label": labels.language_label,
    }


@bp.get("/")
def home() -> ResponseReturnValue:
    """Each role's start page."""
    role = current_staff().role
    if role == KLANTMANAGER:
        return redirect(url_for("backoffice.caseload"))
    if role == BEHEERDER:
        return redirect(url_for("admin.staff_list"))
    return redirect(url_for("backoffice.overview"))


@bp.get("/overview")
@requires(BELEIDSMEDEWERKER, BEHEERDER)
def overview() -> ResponseReturnValue:
    """Aggregate counts per municipality and status: no personal data."""
    staff = current_staff()
    rows = db.session.execute(
        select(Municipality.name, Newcomer.status, func.count(Newcomer.id))
        .join(Newcomer, Newcomer.municipality_id == Municipality.id)
        .where(Municipality.id.in_(staff.municipality_ids))
        .group_by(Municipality.name, Newcomer.status)
        .order_by(Municipality.name)
    ).all()
    table: dict[str, dict[str, int]] = {}
    for name, status, count in rows:
        table.setdefault(name, {})[status] = count
    return render_template("backoffice/overview.html", table=table, statuses=list(labels.STATUS))


def _filter() -> services.CaseloadFilter:
    args = request.args
    try:
        page = max(1, int(args.get("page", 1)))
        per_page = int(args.get("per_page", services.PER_PAGE))
        municipality_id = int(args["municipality"]) if args.get("municipality") else None
    except ValueError:
        abort(400)
    return services.CaseloadFilter(
        status=args.get("status", "") if args.get("status", "") in labels.STATUS else "",
        municipality_id=municipality_id,
        doelgroep=args.get("doelgroep", "") if args.get("doelgroep", "") in labels.DOELGROEP else "",
        leerroute=args.get("leerroute", "") if args.get("leerroute", "") in ("B", "Z", "O") else "",
        language=args.get("language", ""),
        q=session.get(SEARCH_KEY, ""),
        sort=args.get("sort", "deadline") if args.get("sort") in services.SORTS else "deadline",
        descending=args.get("order") == "desc",
        page=page,
        per_page=per_page if per_page in services.PAGE_SIZES else services.PER_PAGE,
    )


SEARCH_KEY = "caseload_search"


@bp.post("/caseload/search")
@requires(KLANTMANAGER)
def search() -> ResponseReturnValue:
    """Search by name: the name is kept in the session, never in the URL (nor so in access logs)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session[SEARCH_KEY] = request.form.get("q", "").strip()[:100]
    keep = {k: v for k, v in request.form.items() if k in _FILTER_ARGS and v}
    return redirect(url_for("backoffice.caseload", **keep))


_FILTER_ARGS = ("status", "municipality", "doelgroep", "leerroute", "language", "sort", "order", "per_page")


@bp.get("/caseload")
@requires(KLANTMANAGER)
def caseload() -> ResponseReturnValue:
    """The klantmanager's files: filters, search, sorting, pages, the 10-week deadline flagged."""
    f = _filter()
    page = services.caseload(f)
    today = datetime.now(AMSTERDAM).date()
    flags = {n.id: services.deadline_flag(n, today) for n in page.items}
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "backoffice/caseload.html",
        page=page,
        f=f,
        flags=flags,
        args=args,
        languages=labels.staff_languages(),
        municipalities=current_staff().municipalities,
        search_form=ConfirmForm(),
    )


def _file_or_404(newcomer_id: int) -> Newcomer:
    newcomer = services.get_file(newcomer_id)
    if newcomer is None:
        audit.record("file.viewed", "newcomer", newcomer_id, result=audit.DENIED)
        db.session.commit()
        abort(404)
    return newcomer


def _register_form() -> RegisterNewcomerForm:
    form = RegisterNewcomerForm()
    form.language.choices = [
        SelectChoice("", _("Choose a language")),
        *(SelectChoice(lang.code, lang.name) for lang in labels.staff_languages()),
    ]
    form.doelgroep.choices = [SelectChoice(code, label) for code, label in labels.DOELGROEP.items()]
    form.municipality.choices = [SelectChoice(m.id, f"{m.name} ({m.code})") for m in current_staff().municipalities]
    return form


@bp.route("/newcomers/new", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def register() -> ResponseReturnValue:
    """Register a newcomer by hand; the invitation SMS goes out in their language."""
    form = _register_form()
    if form.validate_on_submit():
        try:
            newcomer, error = services.register(
                current_staff(),
                name=form.name.data,
                phone=form.e164,
                language=form.language.data,
                doelgroep=form.doelgroep.data,
                municipality_id=form.municipality.data,
                duo_notified_on=form.duo_notified_on.data,
                settled_on=form.settled_on.data,
                bsn=form.bsn.data,
            )
        except services.AlreadyRegistered:
            db.session.rollback()
            form.phone.errors = [_("A newcomer with this phone number is registered already.")]
        except PermissionError:
            abort(404)
        else:
            if error is None:
                flash(_("Registered. The invitation SMS has been sent."), "info")
            else:
                flash(
                    _("Registered, but the invitation SMS could not be sent: %(reason)s", reason=error.user_message),
                    "warning",
                )
            return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))
    return render_template("backoffice/register.html", form=form), 422 if form.errors else 200


@bp.get("/newcomers/<int:newcomer_id>")
@requires(KLANTMANAGER)
def file(newcomer_id: int) -> ResponseReturnValue:
    """A newcomer's file: details, intake answers, history, notes. Every view is audited."""
    newcomer = _file_or_404(newcomer_id)
    audit.record("file.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    intake = services.intake_of(newcomer)
    sections = []
    if intake is not None and intake.status in ("submitted", "returned", "approved"):
        sections = engine.summary(
            intake_services.workflow(), intake_services.progress(intake), intake_services.context()
        )
    history = db.session.scalars(
        select(StatusChange).where(StatusChange.newcomer_id == newcomer.id).order_by(StatusChange.at.desc())
    ).all()
    notes = db.session.scalars(
        select(Note).where(Note.newcomer_id == newcomer.id).order_by(Note.created_at.desc())
    ).all()
    status_form = _status_form()
    today = datetime.now(AMSTERDAM).date()
    return render_template(
        "backoffice/file.html",
        newcomer=newcomer,
        intake=intake,
        sections=sections,
        history=history,
        notes=notes,
        confirm=ConfirmForm(),
        return_form=ReturnIntakeForm(),
        note_form=NoteForm(),
        status_form=status_form,
        flag=services.deadline_flag(newcomer, today),
    )


@bp.post("/newcomers/<int:newcomer_id>/invitation")
@requires(KLANTMANAGER)
def resend_invitation(newcomer_id: int) -> ResponseReturnValue:
    """Send a new invitation link."""
    newcomer = _file_or_404(newcomer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    error = services.invite(newcomer, current_staff())
    if error is None:
        flash(_("A new invitation SMS has been sent."), "info")
    else:
        flash(_("The invitation SMS could not be sent: %(reason)s", reason=error.user_message), "warning")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))


@bp.post("/newcomers/<int:newcomer_id>/approve")
@requires(KLANTMANAGER)
def approve(newcomer_id: int) -> ResponseReturnValue:
    """Approve the submitted intake."""
    newcomer = _file_or_404(newcomer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.approve(newcomer, current_staff()):
        flash(_("The intake is approved."), "info")
    else:
        flash(_("Only a submitted intake can be approved."), "warning")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))


@bp.post("/newcomers/<int:newcomer_id>/return")
@requires(KLANTMANAGER)
def return_intake(newcomer_id: int) -> ResponseReturnValue:
    """Return the submitted intake with a question."""
    newcomer = _file_or_404(newcomer_id)
    form = ReturnIntakeForm()
    if not form.validate_on_submit():
        flash(form.question.errors[0] if form.question.errors else _("Please write your question."), "warning")
        return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))
    try:
        error = services.return_with_question(newcomer, current_staff(), form.question.data)
    except ValueError:
        flash(_("Only a submitted intake can be returned."), "warning")
    else:
        if error is None:
            flash(_("The intake was returned; the newcomer got an SMS."), "info")
        else:
            flash(
                _("The intake was returned, but the SMS could not be sent: %(reason)s", reason=error.user_message),
                "warning",
            )
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))


@bp.post("/newcomers/<int:newcomer_id>/notes")
@requires(KLANTMANAGER)
def add_note(newcomer_id: int) -> ResponseReturnValue:
    """Add a note."""
    newcomer = _file_or_404(newcomer_id)
    form = NoteForm()
    if form.validate_on_submit():
        services.add_note(newcomer, current_staff(), form.body.data)
        flash(_("Note added."), "info")
    else:
        flash(form.body.errors[0] if form.body.errors else _("Please write a note."), "warning")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id) + "#notes")


@bp.post("/newcomers/<int:newcomer_id>/status")
@requires(KLANTMANAGER)
def change_status(newcomer_id: int) -> ResponseReturnValue:
    """Set a status by hand."""
    newcomer = _file_or_404(newcomer_id)
    form = _status_form()
    if not form.validate_on_submit():  # the form again, with the message next to the field and the text kept
        return render_template("backoffice/status.html", newcomer=newcomer, form=form), 422
    services.change_status(newcomer, current_staff(), form.status.data, form.comment.data)
    flash(_("Status changed."), "info")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))


def _status_form() -> StatusForm:
    """The status form: no status chosen until the klantmanager chooses one."""
    form = StatusForm()
    form.status.choices = [
        SelectChoice("", _("Choose a status")),
        *(SelectChoice(s, labels.STATUS[s]) for s in labels.MANUAL_STATUSES),
    ]
    return form
