"""The survey's public pages: ``/s/<token>``, a single-use link that needs no sign-in.

The page shows nothing personal besides the partner's name, in the person's language (a language
picked on this device wins), and works without JavaScript: the mark as radio buttons 1-10, or as a
face scale (``?scale=faces``) whose five faces store marks of the same 1-10 scale. It never shows
earlier answers (a phone may be shared: answers given by SMS are not filled in). One response per
invitation: once answered, expired or unknown, the link gives a friendly page (410).
"""

from __future__ import annotations

from flask import make_response, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, gettext

from workflows import engine
from workflows.engine import WEB, Progress
from workflows.surveys import CLOSED_FIELDS, COMMENT, FACES, MARK, SURVEYS

from ..extensions import db
from ..i18n import BY_CODE, DEFAULT
from ..models.survey import SurveyInvitation
from . import bp, services

FACES_SCALE = "faces"
NUMBERS_SCALE = "numbers"


def _language(invitation: SurveyInvitation) -> str:
    """The page's language: one picked on this device, else the person's own."""
    picked = session.get("lang")
    if picked in BY_CODE:
        return picked
    own = invitation.newcomer.language
    return own if own in BY_CODE else DEFAULT


def _private(response):  # noqa: ANN001, ANN202 - a Response
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _gone() -> ResponseReturnValue:
    return _private(make_response(render_template("surveys/gone.html", minimal=True), 410))


@bp.route("/s/<token>", methods=["GET", "POST"])
def survey(token: str) -> ResponseReturnValue:
    """The survey of one invitation: the form, or the thanks once it is sent."""
    invitation = services.by_token(token)
    if invitation is None:
        return _gone()
    language = _language(invitation)
    with force_locale(language):
        partner = services.partner_name(invitation)
        ctx = services.context(language, partner)
        filling = invitation.filling
        definition = services.workflow(filling) if filling is not None else SURVEYS[invitation.partner_kind]
        step = definition.steps[0]
        scale = FACES_SCALE if request.values.get("scale") == FACES_SCALE else NUMBERS_SCALE
        typed: dict[str, str] = {}
        errors: dict[str, str] = {}
        if request.method == "POST":
            typed = {f.id: request.form.get(f.id, "") for f in step.fields}
            result = engine.validate_step(step, typed, {}, ctx)
            if result.ok:
                if _finish(invitation, definition, step.id, result.values):
                    return _private(make_response(render_template("surveys/thanks.html", minimal=True)))
                return _gone()
            errors = {field_id: problem.text(ctx) for field_id, problem in result.errors.items()}
        fields = {f.id: f for f in step.fields}
        page = render_template(
            "surveys/form.html",
            minimal=True,
            ctx=ctx,
            token=token,
            title=gettext(definition.title),
            partner=partner,
            mark=fields[MARK],
            closed=[fields[f] for f in CLOSED_FIELDS if f in fields],
            comment=fields[COMMENT],
            faces=FACES,
            scale=scale,
            typed=typed,
            errors=errors,
        )
        return _private(make_response(page, 422 if errors else 200))


def _finish(invitation: SurveyInvitation, definition, step_id: str, values: dict) -> bool:  # noqa: ANN001
    """Store the page's answers and write the response (committed); ``False`` when it was answered meanwhile.

    The page answers every question, so it replaces what SMS answered before."""
    from ..intake.services import locked

    filling = invitation.filling
    if filling is None:  # pragma: no cover - an invitation is made with its filling-in
        return False
    locked(filling)
    new = engine.apply_step(definition, Progress(), step_id, values, channel=WEB)
    services.store(filling, new, WEB)
    response = services.complete(invitation, filling, WEB)
    if response is None:
        db.session.rollback()
        return False
    db.session.commit()
    return True
