"""Routes of the newcomer's sign-in; the verbs are in ``services``."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import CodeForm, ConfirmForm, PhoneForm
from workflows.fields import parse_phone

from ..extensions import db, limiter, login
from . import bp, services


@login.user_loader
def _load_user(token: str):  # noqa: ANN202 - Flask-Login's hook
    return services.load_session(token)


def sign_in(auth_session) -> None:  # noqa: ANN001
    """A fresh cookie session (new id, nothing carried over) holding the new session's token."""
    language = session.get("lang")
    session.clear()
    if language:  # a language picked before signing in is the person's choice: keep it
        session["lang"] = language
        (auth_session.newcomer or auth_session.staff).language = language
        db.session.commit()
    login_user(auth_session)


AFTER_SIGN_IN = ("/messages", "/route", "/calendar")
"""Pages a sign-in may lead back to (``?next=``, set by ``login_required``) instead of the intake:
an allow-list of paths, so the parameter can never send anyone elsewhere."""


def _next_args() -> dict[str, str]:
    """``next`` to carry from the sign-in page to the code page, when it is one of :data:`AFTER_SIGN_IN`."""
    target = request.args.get("next", "")
    return {"next": target} if target in AFTER_SIGN_IN else {}


def _after_sign_in() -> str:
    return _next_args().get("next") or url_for("intake.resume")


def _number_key() -> str:
    """Rate-limit key for one phone number (hashed: the number itself is never stored here)."""
    number = parse_phone(request.form.get("phone", "")[:40]) or "invalid"
    return "number:" + services.digest(number)[:24]


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_IP"], methods=["POST"])
def invitation(token: str) -> ResponseReturnValue:
    """An invitation link: GET only shows a button, so link previewers cannot use it up."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        auth_session = services.redeem_invitation(token)
        if auth_session is not None:
            sign_in(auth_session)
            return redirect(url_for("intake.resume"))
    elif request.method == "GET" and (inv := services.find_invitation(token)) is not None:
        g.locale_hint = inv.newcomer.language  # speak their language before they sign in
        return render_template("auth/invitation.html", form=form, municipality=inv.newcomer.municipality.name)
    return render_template("auth/invitation_invalid.html"), 410


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_NUMBER"], key_func=_number_key, methods=["POST"])
def login_page() -> ResponseReturnValue:
    """Ask for a phone number and send a code to it, if it is known: the answer is the same either way."""
    if current_user.is_authenticated and current_user.newcomer:
        return redirect(_after_sign_in())
    form = PhoneForm()
    if form.validate_on_submit():
        code_request = services.request_code(form.e164)  # the SMS is queued for the worker
        session["challenge"] = code_request.challenge.public_id
        return redirect(url_for("auth.code", **_next_args()))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_IP"], methods=["POST"])
def code() -> ResponseReturnValue:
    """Ask for the code from the SMS."""
    public_id = session.get("challenge")
    if not public_id:
        return redirect(url_for("auth.login_page"))
    form = CodeForm()
    dead = False
    if form.validate_on_submit():
        check = services.verify_code(public_id, form.code.data)
        if check.session is not None:
            sign_in(check.session)
            return redirect(_after_sign_in())
        if check.problem == services.WRONG:
            form.code.errors = [
                ngettext(
                    "This code is not right. You can try %(num)d more time.",
                    "This code is not right. You can try %(num)d more times.",
                    check.tries_left,
                )
            ]
        else:
            dead = True
            session.pop("challenge", None)
    status = 422 if form.errors or dead else 200
    return render_template("auth/code.html", form=form, dead=dead), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session on the server and forget the cookie."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    was_staff = current_user.staff_id is not None
    services.end_session(current_user._get_current_object())
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("staff.login" if was_staff else "auth.login_page", signed_out=1))
