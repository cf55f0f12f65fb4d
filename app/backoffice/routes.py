"""Back-office routes: thin; the verbs are in ``services``, access rules in ``access``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import SelectChoice

from forms.auth import ConfirmForm
from forms.backoffice import AssignForm, BulkForm, NoteForm, RegisterNewcomerForm, ReturnIntakeForm, StatusForm
from workflows.signals import signals_of

from .. import audit
from ..extensions import db
from ..i18n import LANGUAGES
from ..intake import services as intake_services
from ..models import Municipality, Newcomer, Note, Staff, StatusChange
from ..models.staff import BEHEERDER, BELEIDSMEDEWERKER, KLANTMANAGER
from ..params import MAX_ID, bounded_int
from . import bp, intake_review, labels, services, spreadsheet, today
from . import caseload as caseloads
from .access import current_staff, requires
from .privacy_services import is_erased

AMSTERDAM = intake_services.AMSTERDAM


@bp.before_request
@login_required
def _staff_only() -> None:
    """Only staff (their municipalities' records only: the app's tenancy, set for every request)."""
    current_staff()


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
        # A template global of the same name (app-wide, for the newcomer's pages too) wins over this one.
        **({} if "language_label" in current_app.jinja_env.globals else {"language_label": labels.language_label}),
    }


@bp.get("/")
def home() -> ResponseReturnValue:
    """Each role's start page."""
    role = current_staff().role
    if role == KLANTMANAGER:
        return redirect(url_for("backoffice.today_page"))
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


def _set_search(q: str | None) -> None:
    """Keep the name searched for on the server-side session (never in the cookie, the URL or a log)."""
    auth_session = current_user._get_current_object()
    if auth_session.caseload_search != q:
        auth_session.caseload_search = q
        db.session.commit()


KEEP_SEARCH = "kept"
"""The caseload's own forms and links carry ``kept=1``; any other way in (the navigation, a link on
another page) starts without the name searched for earlier."""

_FILTER_ARGS = (
    "status", "municipality", "doelgroep", "leerroute", "language", "sort", "order", "per_page", "klantmanager",
    "queue",
)  # fmt: skip
"""The only query parameters the caseload reads, and so the only ones its links and forms carry."""
ALL_FILES = "all"
UNASSIGNED = "none"
"""``klantmanager=all``: the whole team's files; no ``klantmanager``: the staff member's own."""


def _int(value: str | None) -> int | None:
    """A whole number from a query parameter within the bounds of an id (else 400); empty is None."""
    if not value:
        return None
    number = bounded_int(value, low=0)
    if number is None:
        abort(400)
    return number


def _cursor(value: str | None) -> str:
    """A cursor from the query string (a file's id, see ``caseload.cursor_of``) within an id's bounds, else 400."""
    try:
        parsed = caseloads.parse_cursor(value or "")
    except ValueError:
        abort(400)
    if parsed is not None and parsed[0] > MAX_ID:  # PostgreSQL's integer would refuse the query: a 500
        abort(400)
    return value or ""


def _filter(values: Mapping[str, str]) -> caseloads.CaseloadFilter:
    """The caseload's filter from a query string or a posted form: every value checked, defaults otherwise."""
    staff = current_staff()
    per_page = _int(values.get("per_page")) or caseloads.PER_PAGE
    who = values.get("klantmanager", "")
    return caseloads.CaseloadFilter(
        status=values.get("status", "") if values.get("status", "") in labels.STATUS else "",
        municipality_id=_int(values.get("municipality")),
        doelgroep=values.get("doelgroep", "") if values.get("doelgroep", "") in labels.DOELGROEP else "",
        leerroute=values.get("leerroute", "") if values.get("leerroute", "") in ("B", "Z", "O") else "",
        language=values.get("language", "") if values.get("language", "") in _LANGUAGE_CODES else "",
        q=current_user.caseload_search or "",
        sort=values.get("sort", "deadline") if values.get("sort") in caseloads.SORTS else "deadline",
        descending=values.get("order") == "desc",
        page=max(1, _int(values.get("page")) or 1),
        per_page=per_page if per_page in caseloads.PAGE_SIZES else caseloads.PER_PAGE,
        after=_cursor(values.get("after")),
        before=_cursor(values.get("before")),
        klantmanager_id=None if who in (ALL_FILES, UNASSIGNED) else (bounded_int(who) or staff.id),
        unassigned=who == UNASSIGNED,
        queue=values.get("queue", "") if values.get("queue", "") in today.QUEUES else "",
    )


_LANGUAGE_CODES = frozenset(language.code for language in LANGUAGES)


def _args(f: caseloads.CaseloadFilter) -> dict[str, str]:
    """The filter as query parameters (only those of the allow-list, defaults left out; no page)."""
    staff = current_staff()
    args = {
        "status": f.status,
        "municipality": str(f.municipality_id or ""),
        "doelgroep": f.doelgroep,
        "leerroute": f.leerroute,
        "language": f.language,
        "sort": "" if f.sort == "deadline" else f.sort,
        "order": "desc" if f.descending else "",
        "per_page": "" if f.per_page == caseloads.PER_PAGE else str(f.per_page),
        "klantmanager": (
            "" if f.klantmanager_id == staff.id else UNASSIGNED if f.unassigned else str(f.klantmanager_id or ALL_FILES)
        ),
        "queue": f.queue,
    }
    return {key: value for key, value in args.items() if value}


_PAGE_ARGS = ("page", "after", "before")
"""Where in the list: a page number, or a file's id as a cursor (see ``caseload.cursor_of``)."""


def _position(f: caseloads.CaseloadFilter) -> dict[str, object]:
    return {"page": f.page if f.page > 1 else None, "after": f.after or None, "before": f.before or None}


def caseload_url(f: caseloads.CaseloadFilter, **changes: object) -> str:
    """A link to the caseload's first page: this filter with some parameters changed (``None`` removes one).

    Built from the parsed filter and an allow-list, never from ``request.args``: a parameter such as
    ``endpoint``, ``_anchor`` or ``_external`` cannot reach ``url_for``.
    """
    args: dict[str, object] = dict(_args(f))
    for key, value in changes.items():
        if key not in _FILTER_ARGS and key not in _PAGE_ARGS:
            raise ValueError(key)
        args[key] = value
    if f.q:
        args[KEEP_SEARCH] = "1"
    return url_for("backoffice.caseload", **{k: v for k, v in args.items() if v not in (None, "")})


@bp.post("/caseload/search")
@requires(KLANTMANAGER)
def search() -> ResponseReturnValue:
    """Search by name: the name is kept in the server-side session, never in the URL or the cookie."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _set_search(request.form.get("q", "").strip()[:100] or None)
    return redirect(caseload_url(_filter(request.form)))


@bp.get("/caseload")
@requires(KLANTMANAGER)
def caseload() -> ResponseReturnValue:
    """The klantmanager's files: filters, search, sorting, pages, the 10-week deadline flagged."""
    if request.args.get(KEEP_SEARCH) != "1":
        _set_search(None)
    return _caseload_page(_filter(request.args), BulkForm(formdata=None))


def _team_of(staff: Staff) -> list[Staff]:
    return services.team(staff.municipality_ids)


def _caseload_page(f: caseloads.CaseloadFilter, bulk_form: BulkForm, code: int = 200) -> ResponseReturnValue:
    staff = current_staff()
    everyone = services.team(staff.municipality_ids, with_disabled=True)
    team = [member for member in everyone if member.disabled_at is None]
    bulk_form.assignee.choices = [SelectChoice(member.id, member.name) for member in team]
    page = caseloads.caseload(f)
    now = datetime.now(AMSTERDAM).date()
    flags = {n.id: services.deadline_flag(n, now) for n in page.items}
    return render_template(
        "backoffice/caseload.html",
        page=page,
        f=f,
        flags=flags,
        hidden=_args(f) | ({KEEP_SEARCH: "1"} if f.q else {}),
        position={k: v for k, v in _position(f).items() if v},
        page_numbers=range(1, min(page.pages or caseloads.OFFSET_PAGES, caseloads.OFFSET_PAGES) + 1),
        link=lambda **changes: caseload_url(f, **changes),
        languages=labels.staff_languages(),
        municipalities=staff.municipalities,
        team=team,
        colleagues=everyone,
        team_names={member.id: member.name for member in everyone},
        staff=staff,
        queue_labels=today.LABELS,
        search_form=ConfirmForm(),
        bulk_form=bulk_form,
        selected=set(bulk_form.selected.data or ()),
    ), code


@bp.post("/caseload/selection")
@requires(KLANTMANAGER)
def bulk() -> ResponseReturnValue:
    """One action on the checked rows: send new invitations, assign to a klantmanager, export to XLSX."""
    f = _filter(request.form)
    form = BulkForm()
    form.assignee.choices = [SelectChoice(member.id, member.name) for member in _team_of(current_staff())]
    if not form.validate_on_submit():
        return _caseload_page(f, form, 422)
    newcomers = services.files_of(form.selected.data)
    if newcomers is None:
        audit.record("caseload.selection", result=audit.DENIED)
        db.session.commit()
        abort(404)
    if form.action.data == "export":
        return _export(newcomers)
    if form.action.data == "assign":
        if form.assignee.data is None:
            form.assignee.errors = [_("Choose the klantmanager who takes over these files.")]
            return _caseload_page(f, form, 422)
        try:
            changed = services.assign([n for n in newcomers if not is_erased(n)], form.assignee.data)
        except services.NotAKlantmanagerThere:
            db.session.rollback()
            form.assignee.errors = [
                _("This klantmanager does not work for the municipality of every selected file. Choose another.")
            ]
            return _caseload_page(f, form, 422)
        flash(ngettext("%(num)d file assigned.", "%(num)d files assigned.", changed), "info")
    else:
        result = services.invite_all(newcomers, current_staff())
        flash(
            ngettext(
                "%(num)d invitation SMS is on its way.", "%(num)d invitation SMS are on their way.", result.queued
            ),
            "info",
        )
        if result.skipped:
            flash(
                ngettext(
                    "%(num)d file skipped: its intake was submitted already, or the file was erased.",
                    "%(num)d files skipped: their intake was submitted already, or the file was erased.",
                    result.skipped,
                ),
                "warning",
            )
    return redirect(caseload_url(f, **_position(f)))


def _export(newcomers: list[Newcomer]) -> Response:
    """The selection as an XLSX download; every file in it is audited as exported."""
    team = {member.id: member for member in services.team(current_staff().municipality_ids, with_disabled=True)}
    for newcomer in newcomers:
        audit.record("file.exported_xlsx", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    body = spreadsheet.workbook(
        newcomers,
        status_labels=labels.STATUS,
        doelgroep_labels=labels.DOELGROEP,
        language_names={language.code: language.name for language in LANGUAGES},
        klantmanagers=team,
    )
    name = f"caseload-{datetime.now(AMSTERDAM).date().isoformat()}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/today")
@requires(KLANTMANAGER)
def today_page() -> ResponseReturnValue:
    """What needs the klantmanager now: reviews, stale returns, deadlines, unopened invitations."""
    staff = current_staff()
    whole_team = request.args.get("klantmanager") == ALL_FILES
    return render_template(
        "backoffice/today.html",
        queues=today.day(None if whole_team else staff.id),
        unassigned=today.unassigned_count(),
        whole_team=whole_team,
        today=datetime.now(AMSTERDAM).date(),
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
    form.klantmanager.choices = [SelectChoice(member.id, member.name) for member in _team_of(current_staff())]
    if form.klantmanager.data is None:
        form.klantmanager.data = current_staff().id
    return form


@bp.route("/newcomers/new", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def register() -> ResponseReturnValue:
    """Register a newcomer by hand; the invitation SMS goes out in their language."""
    form = _register_form()
    if form.validate_on_submit():
        try:
            newcomer, _message = services.register(
                current_staff(),
                name=form.name.data,
                phone=form.e164,
                language=form.language.data,
                doelgroep=form.doelgroep.data,
                municipality_id=form.municipality.data,
                duo_notified_on=form.duo_notified_on.data,
                settled_on=form.settled_on.data,
                bsn=form.bsn.data,
                klantmanager_id=form.klantmanager.data,
            )
        except services.AlreadyRegistered:
            db.session.rollback()
            form.phone.errors = [_("A newcomer with this phone number is registered already.")]
        except services.NotAKlantmanagerThere:
            db.session.rollback()
            form.klantmanager.errors = [_("Choose a klantmanager who works for this municipality.")]
        except PermissionError:
            abort(404)
        else:
            flash(_("Registered. The invitation SMS is on its way; its status shows under Messages."), "info")
            return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))
    return render_template("backoffice/register.html", form=form), 422 if form.errors else 200


@bp.get("/newcomers/<int:newcomer_id>")
@requires(KLANTMANAGER)
def file(newcomer_id: int) -> ResponseReturnValue:
    """A newcomer's file: what matters first, then the intake answers, history, notes. Every view is audited."""
    newcomer = _file_or_404(newcomer_id)
    audit.record("file.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return _file_page(newcomer, AssignForm(formdata=None))


def _assign_form_choices(form: AssignForm, newcomer: Newcomer) -> None:
    team = services.team((newcomer.municipality_id,))
    form.klantmanager.choices = [SelectChoice(member.id, member.name) for member in team]


def _file_page(newcomer: Newcomer, assign_form: AssignForm, code: int = 200) -> ResponseReturnValue:
    intake = services.intake_of(newcomer)
    review = intake_review.intake_channels(newcomer, intake)
    sections = review.sections
    signals: tuple = ()
    if intake is not None and sections:
        ctx = intake_services.context()
        signals = tuple((signal.id, ctx._(signal.label)) for signal in signals_of(intake.answers))
    history = db.session.scalars(
        select(StatusChange).where(StatusChange.newcomer_id == newcomer.id).order_by(StatusChange.at.desc())
    ).all()
    notes = db.session.scalars(
        select(Note).where(Note.newcomer_id == newcomer.id).order_by(Note.created_at.desc())
    ).all()
    status_form = _status_form()
    _assign_form_choices(assign_form, newcomer)
    if assign_form.klantmanager.data is None:
        assign_form.klantmanager.data = newcomer.klantmanager_id
    now = datetime.now(AMSTERDAM).date()
    return render_template(
        "backoffice/file.html",
        newcomer=newcomer,
        intake=intake,
        sections=sections,
        review=review,
        signals=signals,
        history=history,
        notes=notes,
        confirm=ConfirmForm(),
        return_form=ReturnIntakeForm(),
        note_form=NoteForm(),
        status_form=status_form,
        assign_form=assign_form,
        flag=services.deadline_flag(newcomer, now),
    ), code


@bp.get("/newcomers/<int:newcomer_id>/intake-sms")
@requires(KLANTMANAGER)
def intake_sms(newcomer_id: int) -> ResponseReturnValue:
    """The intake's SMS conversation: every question SMS and every reply, in time order (audited read)."""
    newcomer = _file_or_404(newcomer_id)
    audit.record("file.intake_sms_viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    intake = services.intake_of(newcomer)
    return render_template(
        "backoffice/intake_sms.html",
        newcomer=newcomer,
        intake=intake,
        sms=intake_review.sms_status(intake),
        lines=intake_review.transcript(intake),
    )


@bp.route("/newcomers/<int:newcomer_id>/intake-sms/start", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def start_intake_sms(newcomer_id: int) -> ResponseReturnValue:
    """Send the intake's questions by SMS, one at a time, after a confirm step."""
    newcomer = _file_or_404(newcomer_id)
    intake = services.intake_of(newcomer)
    if not intake_review.can_start_sms(newcomer, intake):
        if is_erased(newcomer):
            flash(_("This file has been erased. Only anonymous figures for the reports remain."), "info")
        else:
            flash(_("The intake was sent in already: there are no questions left to send by SMS."), "info")
        return redirect(url_for("backoffice.file", newcomer_id=newcomer.id, _anchor="intake"))
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "backoffice/intake_sms_start.html", newcomer=newcomer, sms=intake_review.sms_status(intake), form=form
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        services.send_intake_by_sms(newcomer, current_staff())
    except services.CannotSendBySms as refused:
        db.session.rollback()
        flash(refused.message, "warning")
    else:
        flash(_("The next question of the intake is on its way by SMS; the conversation shows on the file."), "info")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id, _anchor="intake"))


@bp.post("/newcomers/<int:newcomer_id>/klantmanager")
@requires(KLANTMANAGER)
def assign(newcomer_id: int) -> ResponseReturnValue:
    """Make another klantmanager (of the file's municipality) responsible for the file."""
    newcomer = _file_or_404(newcomer_id)
    form = AssignForm()
    _assign_form_choices(form, newcomer)
    if not form.validate_on_submit():
        return _file_page(newcomer, form, 422)
    if form.klantmanager.data is None:
        form.klantmanager.errors = [_("Choose a klantmanager.")]
        return _file_page(newcomer, form, 422)
    try:
        changed = services.assign([newcomer], form.klantmanager.data)
    except services.NotAKlantmanagerThere:
        db.session.rollback()
        form.klantmanager.errors = [_("Choose a klantmanager who works for this municipality.")]
        return _file_page(newcomer, form, 422)
    if changed:
        flash(_("The file has a new responsible klantmanager."), "info")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id))


@bp.post("/newcomers/<int:newcomer_id>/invitation")
@requires(KLANTMANAGER)
def resend_invitation(newcomer_id: int) -> ResponseReturnValue:
    """Send a new invitation link."""
    newcomer = _file_or_404(newcomer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.invite(newcomer, current_staff())
    flash(_("A new invitation SMS is on its way; its status shows under Messages."), "info")
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
    from ..conversation.routes import return_form_page, with_message_choices

    newcomer = _file_or_404(newcomer_id)
    form = with_message_choices(ReturnIntakeForm())
    if not form.validate_on_submit():  # the form again, with the message next to the field and the text kept
        return return_form_page(newcomer, form)
    try:
        services.return_with_question(
            newcomer,
            current_staff(),
            form.question.data or "",
            common_question=form.common_question.data or None,
            language=form.language.data,
        )
    except services.NotSubmitted:
        flash(_("Only a submitted intake can be returned."), "warning")
    else:
        flash(_("The intake was returned; the newcomer gets an SMS."), "info")
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
