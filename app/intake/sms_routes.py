"""The newcomer's web route of the SMS conversation: "Continue by SMS" on the form and chat pages.

The button (``intake/_sms_start.html``, included by ``_channels.html``) shows only when the
conversation can start (:func:`app.intake.sms.why_not`); the POST sends the next question by SMS
and comes back to the page it was pressed on.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..conversation import answers_limited
from ..extensions import db
from ..models.filling import SMS_ACTIVE, SMS_SLEEPING
from . import bp, services, sms

REFUSALS = {
    sms.SUBMITTED: _l("You already sent your intake."),
    sms.NO_PHONE: _l("We have no mobile number for you. Ask your klantmanager to add it."),
    sms.OPTED_OUT: _l("You asked for no SMS from us. Send START to our number to get them again."),
    sms.NOT_BY_SMS: _l("These questions cannot be answered by SMS."),
    sms.FILE_CLOSED: _l("These questions cannot be answered by SMS."),
    sms.NOTHING_TO_ASK: _l("There are no more questions to answer by SMS. Please answer the rest here."),
}
"""What the newcomer reads when the conversation cannot start (the button is not shown then, so
this is for a page that was open while something changed)."""


@bp.app_template_global()
def intake_sms_offer() -> dict | None:
    """For ``_sms_start.html``: whether to offer "Continue by SMS" to the signed-in newcomer, and
    whether the conversation is already asking (``None``: not offered)."""
    newcomer = current_user.newcomer if current_user.is_authenticated else None
    if newcomer is None or sms.why_not(newcomer) is not None:
        return None
    intake = services.get_intake(newcomer)
    asking = intake is not None and sms.state(intake) in (SMS_ACTIVE, SMS_SLEEPING)
    return {"asking": asking}


def _back() -> str:
    """The page the button was pressed on: the chat or the form (never a URL from the request)."""
    if request.form.get("from") == "chat" and "intake.chat" in current_app.view_functions:
        return url_for("intake.chat")
    return url_for("intake.resume")


@bp.post("/sms/start")
@answers_limited
def sms_start() -> ResponseReturnValue:
    """Send the next question by SMS (CSRF-checked like every form; one budget with the other answers)."""
    newcomer = current_user.newcomer
    try:
        sms.start(newcomer, actor=("newcomer", newcomer.id))
    except sms.CannotStart as refused:
        db.session.rollback()
        flash(str(REFUSALS[refused.reason]), "warning")
    else:
        flash(str(_l("We sent you the next question by SMS. Answer it by replying to the SMS.")), "info")
    return redirect(_back(), code=303)
