"""The newcomer's pages of one appointment: what, when, where, who, what to bring; "I will come" and
"I cannot come"; its calendar file; and the personal calendar subscription (webcal) with its feed.

Thin: the answers are ``services.respond``, the calendar files ``calendar``. Every page is the
signed-in newcomer's own (someone else's appointment, or a staff member, gets a 404), except the
feed, which calendars fetch without signing in and which only its unguessable token opens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_time
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.routing import BuildError

from forms.appointment_answers import MAX_REASON, ActionForm, CannotComeForm
from workflows.i18n import native_digits

from ..auth.services import digest
from ..conversation import answers_limited
from ..extensions import db, limiter
from ..i18n import AMSTERDAM, BY_CODE, formatting_locale
from ..models import Newcomer
from ..models.appointment import CANNOT_COME, CONFIRMED, INVITED, PLANNED, WAITING, Attendee
from ..models.conversation import FROM_NEWCOMER, ConversationMessage
from ..models.types import utcnow
from . import bp, calendar, services
from .route_page import Item

DOUBLE_SUBMIT = timedelta(seconds=30)
"""A second "I cannot come" this soon after the first is the same press twice: it writes nothing."""
FEED_CACHE = "private, max-age=900"


def _newcomer() -> Newcomer:
    """The signed-in newcomer (404 for staff: these pages are a newcomer's own)."""
    if current_user.newcomer is None:
        abort(404)
    return current_user.newcomer


def _attendee_or_404(attendee_id: int, *, lock: bool = False) -> Attendee:
    newcomer = _newcomer()
    attendee = services.attendee_of(newcomer, attendee_id)
    if attendee is None:
        abort(404)
    if lock:  # two presses at once answer one after the other (PostgreSQL; SQLite writes one at a time anyway)
        db.session.scalar(select(Attendee.id).where(Attendee.id == attendee.id).with_for_update())
        db.session.refresh(attendee)
    return attendee


def answerable(attendee: Attendee, now: datetime | None = None) -> bool:
    """Whether the newcomer can still say they will come or not: invited, planned, not yet begun."""
    now = now or utcnow()
    appointment = attendee.appointment
    return attendee.status == INVITED and appointment.status == PLANNED and appointment.starts_at > now


def _not_answerable(attendee: Attendee) -> ResponseReturnValue:
    """Why an answer cannot be given any more, on the appointment's page (never a 500)."""
    appointment = attendee.appointment
    if appointment.status != PLANNED:
        flash(_("This appointment is cancelled. You do not have to come."), "warning")
    elif attendee.status == WAITING:
        flash(_("You are on the waiting list. We let you know when there is a place for you."), "warning")
    elif attendee.status != INVITED:
        flash(_("You are no longer on this appointment. You do not have to come."), "warning")
    else:
        flash(_("This appointment has already begun or is over."), "warning")
    return redirect(url_for("route.appointment", attendee_id=attendee.id), 303)


def _back_link() -> str:
    """The route page (``route.page``), where every appointment is listed."""
    try:
        return url_for("route.page")
    except BuildError:
        return url_for("main.index")


def _clock(moment: datetime) -> str:
    """A time of day in Europe/Amsterdam, as the current language writes it ("14:30", native digits)."""
    code = formatting_locale()
    return native_digits(format_time(moment.astimezone(AMSTERDAM), "short", locale=code), code)


def _detail(attendee: Attendee, form: CannotComeForm | None = None, code: int = 200) -> ResponseReturnValue:
    """The appointment's page, or its "I cannot come" form (with the mistakes and the text kept)."""
    template = "newcomer_cannot_come" if form is not None else "newcomer_appointment"
    return (
        render_template(
            f"appointments/{template}.html",
            item=Item(attendee),
            attendee=attendee,
            appointment=attendee.appointment,
            ends=_clock(attendee.appointment.ends_at),
            answerable=answerable(attendee),
            in_calendar=calendar.in_calendar(attendee),
            back=_back_link(),
            action_form=ActionForm(formdata=None),
            form=form,
            max_reason=MAX_REASON,
        ),
        code,
    )


@bp.get("/appointments/<int:attendee_id>")
@login_required
def appointment(attendee_id: int) -> ResponseReturnValue:
    """One of the newcomer's appointments: what, when, where, who, what to bring, and their answer."""
    return _detail(_attendee_or_404(attendee_id))


@bp.post("/appointments/<int:attendee_id>/confirm")
@login_required
def confirm(attendee_id: int) -> ResponseReturnValue:
    """ "I will come"."""
    attendee = _attendee_or_404(attendee_id, lock=True)
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "warning")
        return redirect(url_for("route.appointment", attendee_id=attendee.id), 303)
    if not answerable(attendee):
        db.session.rollback()
        return _not_answerable(attendee)
    services.respond(attendee, CONFIRMED, services.WEB)
    db.session.commit()
    flash(_("Thank you. You said you will come."), "info")
    return redirect(url_for("route.appointment", attendee_id=attendee.id), 303)


def _just_said_cannot_come(attendee: Attendee, now: datetime) -> bool:
    """A "cannot come" message for this appointment was written a moment ago (the same press twice)."""
    latest = db.session.scalar(
        select(ConversationMessage.created_at)
        .where(ConversationMessage.attendee_id == attendee.id, ConversationMessage.direction == FROM_NEWCOMER)
        .order_by(ConversationMessage.created_at.desc())
        .limit(1)
    )
    return (
        latest is not None
        and now - latest < DOUBLE_SUBMIT
        and attendee.current_response == CANNOT_COME
        and attendee.response_channel == services.WEB
    )


@bp.route("/appointments/<int:attendee_id>/cannot-come", methods=["GET", "POST"])
@login_required
def cannot_come(attendee_id: int) -> ResponseReturnValue:
    """ "I cannot come": the form with the reason, and sending it.

    One rule for both methods: with two, an id beyond the bounds on the POST was a 405 instead of
    a 404 (werkzeug's matcher reported the GET rule's methods after the id converter refused).
    """
    if request.method == "POST":
        return cannot_come_send(attendee_id)
    attendee = _attendee_or_404(attendee_id)
    if not answerable(attendee):
        return _not_answerable(attendee)
    return _detail(attendee, CannotComeForm(formdata=None))


@answers_limited
def cannot_come_send(attendee_id: int) -> ResponseReturnValue:
    """The reason goes into the file's conversation; the klantmanager contacts them."""
    attendee = _attendee_or_404(attendee_id, lock=True)
    if not answerable(attendee):
        db.session.rollback()
        return _not_answerable(attendee)
    form = CannotComeForm()
    if not form.validate_on_submit():
        db.session.rollback()
        if form.csrf_token.errors and not form.reason.errors:
            form.reason.errors = [_("The form had expired. Please send it again.")]
        return _detail(attendee, form, 422)
    now = utcnow()
    if not _just_said_cannot_come(attendee, now):
        services.respond(attendee, CANNOT_COME, services.WEB, reason=form.reason.data or "", now=now)
    db.session.commit()
    flash(_("Thank you for letting us know. Your klantmanager will contact you."), "info")
    return redirect(url_for("route.appointment", attendee_id=attendee.id), 303)


@bp.get("/appointments/<int:attendee_id>.ics")
@login_required
def appointment_ics(attendee_id: int) -> ResponseReturnValue:
    """The appointment as a calendar file (in the page's language)."""
    attendee = _attendee_or_404(attendee_id)
    if not calendar.in_calendar(attendee):
        abort(404)
    return _ics(calendar.calendar([attendee]), calendar.filename(attendee))


def _ics(body: bytes, name: str | None = None) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    if name:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- the subscription ------------------------------------------------------------------------------


def _calendar_page(newcomer: Newcomer, token: str | None = None) -> ResponseReturnValue:
    links = calendar.feed_links(token) if token else None
    return render_template(
        "appointments/calendar.html",
        feed=calendar.active_feed(newcomer),
        webcal=links[0] if links else None,
        https=links[1] if links else None,
        form=ActionForm(formdata=None),
    )


@bp.get("/calendar", endpoint="calendar")
@login_required
def calendar_page() -> ResponseReturnValue:
    """The newcomer's calendar subscription: make a link, or stop it."""
    return _calendar_page(_newcomer())


@bp.post("/calendar")
@login_required
def calendar_create() -> ResponseReturnValue:
    """A new subscription link (the old one stops working), shown on this answer only: it is not kept."""
    newcomer = _newcomer()
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "warning")
        return redirect(url_for("route.calendar"), 303)
    token = calendar.create_feed(newcomer)
    db.session.commit()
    return _calendar_page(newcomer, token)


@bp.post("/calendar/stop")
@login_required
def calendar_revoke() -> ResponseReturnValue:
    """Stop the subscription link: calendars that use it get nothing more, at once."""
    newcomer = _newcomer()
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "warning")
        return redirect(url_for("route.calendar"), 303)
    calendar.revoke_feeds(newcomer)
    db.session.commit()
    flash(_("Your calendar link is stopped. Your calendar no longer gets your appointments."), "info")
    return redirect(url_for("route.calendar"), 303)


def _feed_key() -> str:
    """Rate-limit key: the token (hashed), so that calendar servers sharing an address do not share a limit."""
    token = (request.view_args or {}).get("token", "")
    return "feed:" + digest(token)[:32]


def _feed_limit() -> str:
    return current_app.config.get("CALENDAR_FEED_LIMIT", "60 per hour")


@bp.get("/cal/<string(minlength=20, maxlength=64):token>.ics")
@limiter.limit(_feed_limit, key_func=_feed_key)
def feed(token: str) -> ResponseReturnValue:
    """The subscription: the newcomer's appointments, in their language, for calendars (no sign-in)."""
    subscription = calendar.feed_of(token)
    if subscription is None:
        abort(404)
    newcomer = db.session.get(Newcomer, subscription.newcomer_id)
    if newcomer is None:
        abort(404)
    now = utcnow()
    language = newcomer.language if newcomer.language in BY_CODE else "nl"
    with force_locale(language):
        body = calendar.calendar(
            calendar.feed_attendees(newcomer, now),
            now,
            name=_("Appointments (%(municipality)s)", municipality=newcomer.municipality.name),
        )
    if calendar.record_fetch(subscription, now):
        db.session.commit()
    response = _ics(body)
    response.headers["Content-Disposition"] = 'inline; filename="appointments.ics"'
    return response


@bp.after_app_request
def _feed_may_be_cached(response: Response) -> Response:
    """Calendars fetch the feed often: they may keep it 15 minutes (every other page is ``no-store``).

    Runs after the app's security headers (blueprint hooks registered before them run last).
    """
    if request.endpoint == "route.feed" and response.status_code == 200:
        response.headers["Cache-Control"] = FEED_CACHE
        response.headers["Vary"] = "Accept-Encoding"
    return response
