"""Home, the language switcher, the health check and the development SMS inbox."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from wtforms import ValidationError

from ..extensions import db
from ..i18n import BY_CODE
from ..models import DevSms
from . import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    """Signed in: continue the intake; otherwise the welcome page."""
    if current_user.is_authenticated:
        return redirect(url_for("intake.resume" if current_user.newcomer else "backoffice.home"))
    return render_template("main/index.html")


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //): never an open redirect."""
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    unsafe = any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target
    if unsafe or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    return target


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    """Switch the page language on this device.

    Staff have one language, stored on their profile. A signed-in newcomer's profile language is
    also the language of every SMS we send them, so one tap on the menu (perhaps by someone else on
    a shared phone) must not change it silently: the next page asks whether messages should come
    in this language too.
    """
    code = request.form.get("lang", "")
    if code not in BY_CODE:
        abort(400)
    session["lang"] = code
    target = _safe_next(request.form.get("next"))
    if current_user.is_authenticated and current_user.staff is not None:
        current_user.staff.language = code
        db.session.commit()
    elif current_user.is_authenticated and current_user.newcomer.language != code:
        return redirect(url_for("main.message_language", next=target))
    return redirect(target)


@bp.route("/language/messages", methods=["GET", "POST"])
def message_language() -> ResponseReturnValue:
    """Ask a newcomer who changed the page language whether their SMS messages should follow."""
    if not current_user.is_authenticated or current_user.newcomer is None:
        return redirect(url_for("main.index"))
    newcomer = current_user.newcomer
    page, messages = BY_CODE.get(session.get("lang", "")), BY_CODE.get(newcomer.language)
    target = _safe_next(request.values.get("next"))
    if page is None or page.code == newcomer.language:
        return redirect(target)
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            abort(400)
        if request.form.get("messages") == "page":
            newcomer.language = page.code
            db.session.commit()
        elif request.form.get("messages") != "keep":
            abort(400)
        return redirect(target)
    return render_template("main/message_language.html", page=page, messages=messages, next=target)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the app and its database answer, 503 when the database does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: database unavailable")
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/dev/sms")
def dev_inbox() -> ResponseReturnValue:
    """Development only: the messages the console sender "sent", newest first."""
    if not current_app.config["DEV_ROUTES"]:
        abort(404)
    messages = db.session.scalars(select(DevSms).order_by(DevSms.id.desc()).limit(50)).all()
    return render_template("main/dev_inbox.html", messages=messages)
