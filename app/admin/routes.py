"""Routes of the administration: thin; the verbs are in ``services``. Beheerders only, others get 404."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, session, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.admin import AuditFilterForm, GrantForm, MunicipalityForm, StaffCreateForm
from forms.auth import ConfirmForm

from .. import audit
from ..backoffice import labels
from ..backoffice.access import current_staff, requires
from ..models import Staff
from ..models.staff import BEHEERDER
from ..models.types import utcnow
from ..params import MAX_PAGE, bounded_int, link_args
from ..staff import services as staff_services
from . import bp, services

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ONE_TIME = "admin_one_time_password"
ACTOR_TYPES = {
    "staff": _l("Staff member"),
    "newcomer": _l("Newcomer"),
    "system": _l("System"),
    "anonymous": _l("Not signed in"),
}
RESULTS = {"ok": _l("OK"), "denied": _l("Refused"), "failed": _l("Failed")}


@bp.before_request
@login_required
@requires(BEHEERDER)
def _beheerder_only() -> None:
    """Only beheerders (others get 404 and an audit entry); no personal file is in reach here.

    Their municipalities limit every query already (the app's tenancy, set for every request)."""


@bp.app_context_processor
def _admin_labels() -> dict:
    return {"actor_type_labels": ACTOR_TYPES, "result_labels": RESULTS, "action_labels": audit.ACTIONS}


def _page() -> int:
    return bounded_int(request.args.get("page"), high=MAX_PAGE) or 1


def _staff_or_404(staff_id: int) -> Staff:
    staff = services.get_staff(staff_id)
    if staff is None:
        abort(404)
    return staff


def _municipality_choices() -> list[tuple[int, str]]:
    return [(m.id, f"{m.name} ({m.code})") for m in services.municipalities()]


@bp.get("/")
def home() -> ResponseReturnValue:
    """The administration starts at the staff list."""
    return redirect(url_for("admin.staff_list"))


@bp.get("/staff")
def staff_list() -> ResponseReturnValue:
    """All staff: role, municipalities, whether the account works, last sign-in."""
    return render_template(
        "admin/staff_list.html", page=services.staff_page(_page()), now=utcnow(), is_locked=services.is_locked
    )


@bp.route("/staff/new", methods=["GET", "POST"])
def create_staff() -> ResponseReturnValue:
    """Add a staff member; the one-time password is shown once, on the next page."""
    form = StaffCreateForm()
    form.role.choices = list(labels.ROLE.items())
    form.municipalities.choices = _municipality_choices()
    if form.validate_on_submit():
        try:
            staff, password = services.create(
                form.name.data, form.email.data, form.role.data, list(form.municipalities.data or [])
            )
        except services.EmailTaken:
            form.email.errors = [_("An account with this e-mail address exists already.")]
        else:
            return _reveal_once(staff, password, new=True)
    return render_template("admin/staff_form.html", form=form), 422 if form.errors else 200


def _reveal_once(staff: Staff, password: str, *, new: bool) -> ResponseReturnValue:
    """Keep the password on the server, sealed, for one showing to this session on the next page."""
    session[ONE_TIME] = staff_services.stash_reveal(current_user, ONE_TIME, staff.id, password)
    return redirect(url_for("admin.one_time_password", staff_id=staff.id, new=1 if new else None))


@bp.get("/staff/<int:staff_id>/password")
def one_time_password(staff_id: int) -> ResponseReturnValue:
    """The one-time password of a new or reset account, shown once (a replayed cookie shows nothing)."""
    staff = _staff_or_404(staff_id)
    shown = staff_services.take_reveal(session.pop(ONE_TIME, None), current_user, ONE_TIME)
    if shown is None or shown[0] != staff.id:
        flash(_("A one-time password is shown only once. Reset the password to get a new one."), "warning")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    new = request.args.get("new") == "1"
    return render_template("admin/one_time_password.html", staff=staff, password=shown[1], new=new)


@bp.get("/staff/<int:staff_id>")
def staff_detail(staff_id: int) -> ResponseReturnValue:
    """One staff member: details, municipalities, and the actions on the account."""
    staff = _staff_or_404(staff_id)
    form = GrantForm(data={"municipalities": list(staff.municipality_ids)})
    form.municipalities.choices = _municipality_choices()
    return _detail(staff, form)


def _detail(staff: Staff, form: GrantForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin/staff_detail.html",
        staff=staff,
        form=form,
        me=current_staff(),
        locked=services.is_locked(staff, utcnow()),
    ), status


@bp.post("/staff/<int:staff_id>/municipalities")
def grant(staff_id: int) -> ResponseReturnValue:
    """Change the municipalities a staff member serves."""
    staff = _staff_or_404(staff_id)
    form = GrantForm()
    form.role = staff.role
    form.municipalities.choices = _municipality_choices()
    if not form.validate_on_submit():
        return _detail(staff, form, 422)
    services.grant(staff, list(form.municipalities.data or []))
    flash(_("The municipalities have been changed."), "info")
    return redirect(url_for("admin.staff_detail", staff_id=staff.id))


def _confirm_page(staff: Staff, action: str, title: str, consequences: list[str], button: str) -> ResponseReturnValue:
    return render_template(
        "admin/confirm.html",
        staff=staff,
        form=ConfirmForm(),
        action=url_for(action, staff_id=staff.id),
        title=title,
        consequences=consequences,
        button=button,
    )


@bp.route("/staff/<int:staff_id>/reset", methods=["GET", "POST"])
def reset_password(staff_id: int) -> ResponseReturnValue:
    """Reset a password (after a confirm step): a new one-time password, shown once."""
    staff = _staff_or_404(staff_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            password = services.reset_password(current_staff(), staff)
        except services.SelfAction:
            flash(_("You cannot reset your own password here. Use Change password instead."), "warning")
            return redirect(url_for("admin.staff_detail", staff_id=staff.id))
        return _reveal_once(staff, password, new=False)
    if staff.id == current_staff().id:
        flash(_("You cannot reset your own password here. Use Change password instead."), "warning")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    return _confirm_page(
        staff,
        "admin.reset_password",
        _("Reset the password"),
        [
            _("The current password stops working; you get a one-time password to hand over."),
            _("The second step (authenticator app) must be set up again at the next sign-in."),
            _("The recovery codes stop working."),
            _("Every session of this account ends now."),
        ],
        _("Reset the password"),
    )


@bp.route("/staff/<int:staff_id>/disable", methods=["GET", "POST"])
def disable(staff_id: int) -> ResponseReturnValue:
    """Disable an account (after a confirm step); its sessions end. Never one's own."""
    return _set_disabled(_staff_or_404(staff_id), True)


@bp.route("/staff/<int:staff_id>/enable", methods=["GET", "POST"])
def enable(staff_id: int) -> ResponseReturnValue:
    """Enable a disabled account again (after a confirm step)."""
    return _set_disabled(_staff_or_404(staff_id), False)


def _set_disabled(staff: Staff, disabled: bool) -> ResponseReturnValue:
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            services.set_disabled(current_staff(), staff, disabled)
        except services.SelfAction:
            flash(_("You cannot disable your own account."), "warning")
        else:
            flash(_("The account is disabled.") if disabled else _("The account is enabled."), "info")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    if disabled and staff.id == current_staff().id:
        flash(_("You cannot disable your own account."), "warning")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    if disabled:
        return _confirm_page(
            staff,
            "admin.disable",
            _("Disable the account"),
            [
                _("This person can no longer sign in."),
                _("Every session of this account ends now."),
                _("Their work (notes, history) stays in the files. You can enable the account again later."),
            ],
            _("Disable the account"),
        )
    return _confirm_page(
        staff,
        "admin.enable",
        _("Enable the account"),
        [_("This person can sign in again with their password and second step.")],
        _("Enable the account"),
    )


@bp.route("/municipalities", methods=["GET", "POST"])
def municipalities() -> ResponseReturnValue:
    """The municipalities, and a form to add one."""
    form = MunicipalityForm()
    if form.validate_on_submit():
        try:
            services.add_municipality(form.code.data, form.name.data)
        except services.CodeTaken:
            form.code.errors = [_("A municipality with this code exists already.")]
        else:
            flash(_("The municipality has been added."), "info")
            return redirect(url_for("admin.municipalities"))
    return render_template(
        "admin/municipalities.html", form=form, municipalities=services.municipalities()
    ), 422 if form.errors else 200


AUDIT_ARGS = (
    "actor_type",
    "actor_id",
    "action",
    "record_type",
    "record_id",
    "result",
    "municipality",
    "date_from",
    "date_to",
)
"""The audit log's filters: the only query parameters its links carry."""


def _audit_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.actor_type.choices = [("", _("All")), *ACTOR_TYPES.items()]
    form.action.choices = [
        ("", _("All")),
        *audit.ACTION_GROUPS.items(),
        *sorted(audit.ACTIONS.items(), key=lambda item: str(item[1])),
    ]
    form.result.choices = [("", _("All")), *RESULTS.items()]
    form.municipality.choices = [("", _("All")), *((str(i), label) for i, label in _municipality_choices())]
    return form


def _audit_filter(form: AuditFilterForm) -> services.AuditFilter:
    def start_of(day: object) -> datetime:
        return datetime.combine(day, time.min, tzinfo=AMSTERDAM).astimezone(UTC)  # type: ignore[arg-type]

    return services.AuditFilter(
        actor_type=form.actor_type.data or "",
        actor_id=form.actor_id.data,
        action=form.action.data or "",
        record_type=(form.record_type.data or "").strip(),
        record_id=form.record_id.data,
        result=form.result.data or "",
        municipality_id=int(form.municipality.data) if form.municipality.data else None,
        since=start_of(form.date_from.data) if form.date_from.data else None,
        until=start_of(form.date_to.data + timedelta(days=1)) if form.date_to.data else None,
    )


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, filtered and paged; bad filters get a message next to the field."""
    form = _audit_form()
    args = link_args(request.args, AUDIT_ARGS)
    if not form.validate():
        return render_template("admin/audit_log.html", form=form, page=None, args=args), 422
    page = services.audit_page(_audit_filter(form), _page())
    names = services.staff_names({e.actor_id for e in page.items if e.actor_type == "staff" and e.actor_id})
    codes = {m.id: m.code for m in services.municipalities()}
    return render_template("admin/audit_log.html", form=form, page=page, args=args, names=names, codes=codes)


@bp.get("/audit.csv")
def audit_export() -> ResponseReturnValue:
    """The filtered audit log as CSV (the export itself is audited)."""
    form = _audit_form()
    if not form.validate():
        return redirect(url_for("admin.audit_log", **link_args(request.args, AUDIT_ARGS)))
    f = _audit_filter(form)
    services.record_export()
    filename = f"audit-log-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(services.audit_csv(f)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
