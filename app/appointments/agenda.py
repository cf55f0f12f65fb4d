"""The klantmanager's agenda: their appointments of a day or an ISO week, on screen and on paper.

A page costs a fixed number of statements whatever the number of appointments: one for the
appointments (with their leader), one for the attendees and one for their newcomers (``selectinload``).
The tenancy filter limits every one of them to the staff member's municipalities; "mine" adds
``staff_id``. Dates come from the query string (``date=2026-10-13``, ``week=2026-W42``): anything
else, or a year outside 2000-2100, shows the current day or week with a message, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from babel.dates import format_time
from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload
from werkzeug.routing import BuildError

from workflows.appointments import ATTENDANCE_LABELS, CANCEL_REASONS, TYPES
from workflows.i18n import native_digits

from ..backoffice.access import current_staff, requires
from ..extensions import db
from ..i18n import AMSTERDAM, formatting_locale
from ..models.appointment import (
    CANCELLED,
    CANNOT_COME,
    CONFIRMED,
    INVITED,
    PHONE,
    VIDEO,
    WAITING,
    Appointment,
    Attendee,
)
from ..models.staff import KLANTMANAGER, Staff
from ..models.types import utcnow
from . import staff_bp

FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The agenda's calendar: a date outside it is a typing error, not a plan."""
MAX_APPOINTMENTS = 500
"""At most this many on one page (a whole team's busy week fits easily)."""
EVERYONE = "all"

MODES = {PHONE: _l("By phone"), VIDEO: _l("By video")}
ANSWERS = {CONFIRMED: _l("Confirmed"), CANNOT_COME: _l("Cannot come")}
NO_ANSWER = _l("No answer yet")

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


# -- the request's period ----------------------------------------------------------------------------


def today() -> date:
    """Today in Europe/Amsterdam."""
    return utcnow().astimezone(AMSTERDAM).date()


def parse_day(value: str | None) -> date | None:
    """``2026-10-13`` as a date within the agenda's years, else ``None``."""
    if not value or not _DAY.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def parse_week(value: str | None) -> date | None:
    """``2026-W42`` as the Monday of that ISO week within the agenda's years, else ``None``."""
    match = _WEEK.fullmatch(value or "")
    if match is None:
        return None
    year, week = int(match[1]), int(match[2])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:  # week 0, or week 53 of a year with 52
        return None


def week_of(day: date) -> str:
    """The ISO week of ``day`` as the URL writes it (``2026-W42``)."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _within(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


@dataclass(frozen=True)
class Scope:
    """Whose appointments: the staff member's own (``staff_id``) or everyone's in their municipalities."""

    staff_id: int | None
    arg: str | None
    """The ``staff`` query value that keeps this scope in links (``None``: mine)."""
    colleague: str | None = None
    """The name of the colleague whose agenda this is (``None``: mine or everyone's)."""

    @property
    def everyone(self) -> bool:
        return self.staff_id is None


def _scope(value: str | None, me: Staff) -> tuple[Scope, str | None]:
    """The scope asked for, and a message when it cannot be had (then: mine)."""
    if value == EVERYONE:
        return Scope(None, EVERYONE), None
    if not value or value == str(me.id):
        return Scope(me.id, None), None
    from ..params import bounded_int

    other_id = bounded_int(value)
    other = db.session.get(Staff, other_id) if other_id is not None else None
    if other is None or not set(other.municipality_ids) & set(me.municipality_ids):
        return Scope(me.id, None), _("This colleague's agenda cannot be shown: here is yours.")
    return Scope(other.id, str(other.id), other.name), None


# -- what a page shows ---------------------------------------------------------------------------------


@dataclass
class Item:
    """One appointment as the agenda shows it."""

    appointment: Appointment
    attendees: list[Attendee]
    """Invited (on it), in the order they were added."""
    waiting: int
    detail_url: str

    @property
    def cancelled(self) -> bool:
        return self.appointment.status == CANCELLED

    @property
    def type_name(self) -> str:
        kind = TYPES.get(self.appointment.kind)
        return _(kind.name) if kind is not None else self.appointment.kind

    @property
    def cancel_reason(self) -> str:
        reason = self.appointment.cancel_reason
        return _(CANCEL_REASONS[reason]) if reason in CANCEL_REASONS else ""

    @property
    def where(self) -> str:
        """The place and room, or by phone / by video."""
        appointment = self.appointment
        if appointment.mode in MODES:
            return str(MODES[appointment.mode])
        return ", ".join(part for part in (appointment.location, appointment.room) if part)

    @property
    def places_taken(self) -> int:
        return len(self.attendees)


@dataclass
class Day:
    """One day of the agenda and its appointments in time order."""

    day: date
    items: list[Item] = field(default_factory=list)


def answer_of(attendee: Attendee) -> str:
    """Confirmed, cannot come, or no answer yet (an answer given before a move is no answer now)."""
    response = attendee.current_response
    return str(ANSWERS[response]) if response in ANSWERS else str(NO_ANSWER)


def attendance_of(attendee: Attendee) -> str:
    """The attendance recorded, or an empty string."""
    recorded = attendee.attendance
    return _(ATTENDANCE_LABELS[recorded]) if recorded in ATTENDANCE_LABELS else ""


def clock(moment: datetime) -> str:
    """A moment's time of day in Europe/Amsterdam, as the staff member's language writes it."""
    locale = formatting_locale()
    return native_digits(format_time(moment.astimezone(AMSTERDAM), "short", locale=locale), locale)


def detail_url(appointment_id: int) -> str:
    """The appointment's page in the back office."""
    try:
        return url_for("backoffice.appointments.detail", appointment_id=appointment_id)
    except BuildError:  # the page is not there yet: its path is known
        return f"{request.script_root}/backoffice/appointments/{appointment_id}"


def appointments_between(first: date, last: date, scope: Scope) -> list[Appointment]:
    """The appointments starting on ``first`` .. ``last`` (Amsterdam days), with attendees and newcomers."""
    start = datetime.combine(first, time(), AMSTERDAM)
    end = datetime.combine(last + timedelta(days=1), time(), AMSTERDAM)
    query = (
        select(Appointment)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .options(
            selectinload(Appointment.attendees).selectinload(Attendee.newcomer),
            joinedload(Appointment.staff).options(lazyload(Staff.municipalities)),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(MAX_APPOINTMENTS + 1)
    )
    if scope.staff_id is not None:
        query = query.where(Appointment.staff_id == scope.staff_id)
    return list(db.session.scalars(query).unique())


def days_of(first: date, count: int, appointments: list[Appointment]) -> list[Day]:
    """``count`` days from ``first``, each with its appointments (already in time order)."""
    days = [Day(first + timedelta(days=n)) for n in range(count)]
    by_date = {d.day: d for d in days}
    for appointment in appointments[:MAX_APPOINTMENTS]:
        on = by_date.get(appointment.starts_at.astimezone(AMSTERDAM).date())
        if on is None:
            continue
        attendees = [a for a in appointment.attendees if a.status == INVITED]
        waiting = sum(1 for a in appointment.attendees if a.status == WAITING)
        on.items.append(Item(appointment, attendees, waiting, detail_url(appointment.id)))
    return days


def _render(template: str, **values: object) -> str:
    return render_template(
        template,
        answer_of=answer_of,
        attendance_of=attendance_of,
        clock=clock,
        week_of=week_of,
        within=_within,
        today=today(),
        timedelta_day=timedelta(days=1),
        timedelta_week=timedelta(weeks=1),
        **values,
    )


# -- the pages -----------------------------------------------------------------------------------------


@staff_bp.get("/agenda/day")
@login_required
@requires(KLANTMANAGER)
def agenda_day() -> ResponseReturnValue:
    """The klantmanager's appointments of one day, in time order."""
    me = current_staff()
    scope, notice = _scope(request.args.get("staff"), me)
    asked = request.args.get("date")
    day = parse_day(asked)
    if day is None:
        if asked:
            notice = _("That date cannot be shown: here is today.")
        day = today()
    appointments = appointments_between(day, day, scope)
    (shown,) = days_of(day, 1, appointments)
    return _render(
        "appointments/agenda_day.html",
        day=shown,
        scope=scope,
        notice=notice,
        too_many=len(appointments) > MAX_APPOINTMENTS,
    )


@staff_bp.get("/agenda/week")
@login_required
@requires(KLANTMANAGER)
def agenda_week() -> ResponseReturnValue:
    """The klantmanager's appointments of one ISO week, Monday to Sunday."""
    me = current_staff()
    scope, notice = _scope(request.args.get("staff"), me)
    asked = request.args.get("week")
    monday = parse_week(asked)
    if monday is None:
        if asked:
            notice = _("That week cannot be shown: here is this week.")
        monday = today() - timedelta(days=today().weekday())
    appointments = appointments_between(monday, monday + timedelta(days=6), scope)
    return _render(
        "appointments/agenda_week.html",
        days=days_of(monday, 7, appointments),
        monday=monday,
        scope=scope,
        notice=notice,
        too_many=len(appointments) > MAX_APPOINTMENTS,
    )
