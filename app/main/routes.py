"""Home, the language switcher, the favicon, the health check and the development SMS inbox."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..i18n import BY_CODE
from ..models import DevSms
from ..models.types import utcnow
from ..outbox.monitor import due_summary, worker_summary
from . import bp


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The icon, for browsers and tools that ask for it without reading the page."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


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
    a shared phone) must not change it silently: the next pages ask whether messages should come
    in this language too (``message_language``), until they answer.
    """
    code = request.form.get("lang", "")
    if code not in BY_CODE:
        abort(400)
    session["lang"] = code
    if current_user.is_authenticated and current_user.staff is not None:
        current_user.staff.language = code
        db.session.commit()
    elif current_user.is_authenticated:
        session["ask_message_language"] = current_user.newcomer.language != code
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/language/messages")
def message_language() -> ResponseReturnValue:
    """The newcomer's answer: SMS messages in the page language from now on, or as they were."""
    if not current_user.is_authenticated or current_user.newcomer is None:
        return redirect(url_for("main.index"))
    choice = request.form.get("messages")
    if choice not in ("page", "keep"):
        abort(400)
    page = BY_CODE.get(session.get("lang", ""))
    if choice == "page" and page is not None:
        current_user.newcomer.language = page.code
        db.session.commit()
    session.pop("ask_message_language", None)
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The app, its database and the SMS outbox, in numbers without personal data.

    200 when all is well; 503 when the database does not answer, or when the oldest due message
    has waited longer than ``HEALTH_MAX_DUE_AGE_SECONDS`` (no worker sends). ``?scope=web`` leaves
    the outbox out of the status code (still reported), for a load balancer that must not take the
    web processes out of service because the workers are stuck (docs/deployment.md).
    """
    try:
        db.session.execute(text("SELECT 1"))
        now = utcnow()
        due = due_summary(now)
        workers = worker_summary(now)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: database unavailable")
        return jsonify(status="error", database="unavailable"), 503
    limit = current_app.config["HEALTH_MAX_DUE_AGE_SECONDS"]
    stale = due.oldest_age_seconds is not None and due.oldest_age_seconds > limit
    body = {
        "status": "stale" if stale else "ok",
        "database": "ok",
        "outbox": {
            "due": due.count,
            "due_capped": due.capped,
            "oldest_due_age_seconds": due.oldest_age_seconds,
            "max_due_age_seconds": limit,
        },
        "workers": {"live": workers.live, "last_heartbeat_seconds_ago": workers.last_seen_seconds},
    }
    return jsonify(body), 503 if stale and request.args.get("scope") != "web" else 200


@bp.get("/dev/sms")
def dev_inbox() -> ResponseReturnValue:
    """Development only: the messages the console sender "sent", newest first."""
    if not current_app.config["DEV_ROUTES"]:
        abort(404)
    messages = db.session.scalars(select(DevSms).order_by(DevSms.id.desc()).limit(50)).all()
    return render_template("main/dev_inbox.html", messages=messages)
