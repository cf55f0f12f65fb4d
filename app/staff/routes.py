"""Routes of staff sign-in: password, then the second factor (or enrolment), then a password change."""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.staff import NewPasswordForm, SecondFactorForm, StaffLoginForm

from .. import audit
from ..auth.routes import sign_in
from ..auth.services import start_session
from ..extensions import db, limiter
from ..models import Staff
from . import bp, services

PENDING = "staff_pending"
PENDING_SECONDS = 600
WRONG = "The e-mail address, password or code is not right, or the account is locked for a while."


def _pending() -> Staff | None:
    """The account whose password was right in this browser, for the next 10 minutes."""
    pending = session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    staff = db.session.get(Staff, pending["id"])
    return staff if staff is not None and staff.disabled_at is None else None


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
            form.password.errors = [_(WRONG)]
        else:
            session[PENDING] = {"id": staff.id, "at": time.time()}
            return redirect(url_for("staff.second_factor" if staff.totp_secret else "staff.enrol"))
    return render_template("staff/login.html", form=form), 422 if form.errors else 200


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_IP"], methods=["POST"])
def second_factor() -> ResponseReturnValue:
    """Step 2: a TOTP code or a recovery code; failures count towards the lockout."""
    staff = _pending()
    if staff is None or not staff.totp_secret:
        return redirect(url_for("staff.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        code = form.code.data
        ok = services.check_totp(staff, code) if code.isdigit() else services.use_recovery_code(staff, code)
        if ok:
            return _complete(staff)
        if services.count_failure(staff):
            session.pop(PENDING, None)
        audit.record("staff.second_factor", "staff", staff.id, result=audit.FAILED, actor=("anonymous", None))
        db.session.commit()
        form.code.errors = [_(WRONG)]
    return render_template("staff/second_factor.html", form=form), 422 if form.errors else 200


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_IP"], methods=["POST"])
def enrol() -> ResponseReturnValue:
    """First sign-in (or after a reset): add the account to an authenticator app and confirm a code."""
    staff = _pending()
    if staff is None or staff.totp_secret:
        return redirect(url_for("staff.login"))
    secret = session.setdefault("staff_enrol_secret", services.new_totp_secret())
    form = SecondFactorForm()
    if form.validate_on_submit():
        if form.code.data.isdigit() and services.check_totp(staff, form.code.data, secret=secret):
            staff.totp_secret = secret
            session.pop("staff_enrol_secret", None)
            return _complete(staff)
        form.code.errors = [_("This code is not right. Check the time on your phone and try the newest code.")]
    uri = services.totp_uri(staff, secret)
    return render_template(
        "staff/enrol.html", form=form, secret=secret, qr=services.qr_data_uri(uri)
    ), 422 if form.errors else 200


def _complete(staff: Staff) -> ResponseReturnValue:
    """Both factors are right: a new session; then a new password or recovery codes if due."""
    services.signed_in(staff)
    audit.record("staff.sign_in", "staff", staff.id, actor=("staff", staff.id))
    codes = services.new_recovery_codes(staff) if not staff.recovery_code_hashes else None
    db.session.commit()
    sign_in(start_session(staff=staff))
    if codes:
        session["staff_new_codes"] = codes
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
    codes = session.pop("staff_new_codes", None)
    if not codes:
        return redirect(url_for("backoffice.home"))
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
