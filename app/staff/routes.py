"""Routes of staff sign-in: password, then the second factor (or enrolment), then a password change."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.staff import NewPasswordForm, SecondFactorForm, StaffLoginForm

from .. import audit
from ..auth.routes import sign_in
from ..auth.services import start_session
from ..extensions import db, limiter
from ..models import Staff, StaffSignIn
from . import bp, services

SIGN_IN = "staff_sign_in"
"""The session key of the pending sign-in's token (the state itself is on the server)."""
RECOVERY_CODES = "recovery_codes"


def _wrong() -> str:
    return _("The e-mail address, password or code is not right, or the account is locked for a while.")


def _pending() -> tuple[StaffSignIn, str] | tuple[None, None]:
    """The pending sign-in of this browser and its token, while the server still holds it."""
    token = session.get(SIGN_IN)
    sign_in_row = services.pending_sign_in(token)
    if sign_in_row is None:
        session.pop(SIGN_IN, None)
        return None, None
    return sign_in_row, token


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def login() -> ResponseReturnValue:
    """Step 1: e-mail address and password; the same answer whatever was wrong."""
    if current_user.is_authenticated and current_user.staff:
        return redirect(url_for("backoffice.home"))
    form = StaffLoginForm()
    if form.validate_on_submit():
        staff = services.authenticate(form.email.data, form.password.data)
        if staff is None:
            audit.record("staff.sign_in", result=audit.FAILED, actor=("anonymous", None))
            db.session.commit()
            form.password.errors = [_wrong()]
        else:
            session[SIGN_IN] = services.begin_sign_in(staff)
            return redirect(url_for("staff.second_factor" if staff.totp_secret else "staff.enrol"))
    return render_template("staff/login.html", form=form), 422 if form.errors else 200


def _failed(staff: Staff, action: str) -> None:
    """A wrong code: counted towards the lockout (which ends the pending sign-in), audited."""
    if services.count_failure(staff):
        session.pop(SIGN_IN, None)
    audit.record(action, "staff", staff.id, result=audit.FAILED, actor=("anonymous", None))
    db.session.commit()


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_IP"], methods=["POST"])
def second_factor() -> ResponseReturnValue:
    """Step 2: a TOTP code or a recovery code; failures count towards the lockout."""
    pending, _token = _pending()
    if pending is None or not pending.staff.totp_secret:
        return redirect(url_for("staff.login"))
    staff = pending.staff
    form = SecondFactorForm()
    if form.validate_on_submit():
        code = form.code.data
        ok = services.check_totp(staff, code) if code.isdigit() else services.use_recovery_code(staff, code)
        if ok and services.finish_sign_in(pending):
            return _complete(staff)
        db.session.rollback()
        _failed(staff, "staff.second_factor")
        form.code.errors = [_wrong()]
    return render_template("staff/second_factor.html", form=form), 422 if form.errors else 200


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_IP"], methods=["POST"])
def enrol() -> ResponseReturnValue:
    """First sign-in (or after a reset): add the account to an authenticator app and confirm a code."""
    pending, token = _pending()
    if pending is None or pending.staff.totp_secret:
        return redirect(url_for("staff.login"))
    staff = pending.staff
    secret = services.enrol_secret(pending, token)
    form = SecondFactorForm()
    if form.validate_on_submit():
        code = form.code.data
        if code.isdigit() and services.confirm_enrolment(staff, secret, code) and services.finish_sign_in(pending):
            return _complete(staff)
        db.session.rollback()
        _failed(staff, "staff.enrol")
        if services.pending_sign_in(token) is None:  # that was the fifth wrong code: locked
            return redirect(url_for("staff.login"))
        form.code.errors = [_("This code is not right. Check the time on your phone and try the newest code.")]
    uri = services.totp_uri(staff, secret)
    return render_template(
        "staff/enrol.html", form=form, secret=secret, qr=services.qr_data_uri(uri)
    ), 422 if form.errors else 200


def _complete(staff: Staff) -> ResponseReturnValue:
    """Both factors are right: a new session; then a new password or recovery codes if due."""
    services.signed_in(staff)
    audit.record("staff.sign_in", "staff", staff.id, actor=("staff", staff.id))
    codes = None if services.has_recovery_codes(staff) else services.new_recovery_codes(staff)
    db.session.commit()
    auth_session = start_session(staff=staff)
    sign_in(auth_session)
    if codes:
        session[RECOVERY_CODES] = services.stash_reveal(auth_session, RECOVERY_CODES, staff.id, "\n".join(codes))
        return redirect(url_for("staff.recovery_codes"))
    if staff.must_change_password:
        return redirect(url_for("staff.change_password"))
    return redirect(url_for("backoffice.home"))


def _staff_only() -> Staff:
    if current_user.staff is None:
        abort(404)
    return current_user.staff


@bp.get("/recovery-codes")
@login_required
def recovery_codes() -> ResponseReturnValue:
    """The new recovery codes, shown once."""
    staff = _staff_only()
    shown = services.take_reveal(session.pop(RECOVERY_CODES, None), current_user, RECOVERY_CODES)
    if shown is None:
        return redirect(url_for("backoffice.home"))
    codes = shown[1].split("\n")
    next_url = url_for("staff.change_password") if staff.must_change_password else url_for("backoffice.home")
    return render_template("staff/recovery_codes.html", codes=codes, next_url=next_url)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Choose a new password (required after a one-time password)."""
    staff = _staff_only()
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.set_password(staff, form.password.data)
        audit.record("staff.password_changed", "staff", staff.id)
        db.session.commit()
        flash(_("Your password has been changed."), "info")
        return redirect(url_for("backoffice.home"))
    return render_template("staff/password.html", form=form, forced=staff.must_change_password), (
        422 if form.errors else 200
    )


_ALWAYS_OPEN = frozenset(
    {"staff.change_password", "staff.recovery_codes", "auth.logout", "static", "main.set_language"}
)


@bp.before_app_request
def _force_password_change() -> ResponseReturnValue | None:
    """A one-time password only opens the page to choose a new one."""
    if request.endpoint in _ALWAYS_OPEN:  # checked first: a static file needs no session lookup
        return None
    if current_user.is_authenticated and current_user.staff is not None and current_user.staff.must_change_password:
        return redirect(url_for("staff.change_password"))
    return None
