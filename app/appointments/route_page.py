"""The newcomer's "My route" page: where they stand in their route, and their appointments.

What the page says comes from :func:`~app.appointments.progress.route_status` (the parts of the PIP
with their progress) and from ``services.upcoming_for`` / ``past_for`` (the appointments). This
module turns both into plain words a person who reads little can follow: one short sentence per
item, an icon next to it (``route/_icons.html``). Nothing of the appointment's staff-only note is
read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from flask import abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflows.appointments import (
    ABSENT_EXCUSED,
    ABSENT_UNEXCUSED,
    BRING,
    CANCEL_REASONS,
    KNM,
    LANGUAGE,
    LATE_CANCEL,
    MAP,
    PRESENT,
    PVT,
    TYPES,
    Z_ROUTE,
    AppointmentType,
)

from ..backoffice.pip_services import add_months
from ..i18n import AMSTERDAM, BY_CODE, format_date, formatting_locale, number
from ..models import Newcomer
from ..models.appointment import (
    CANCELLED,
    CANNOT_COME,
    CONFIRMED,
    PHONE,
    REMOVED,
    VIDEO,
    WAITING,
    Appointment,
    Attendee,
)
from ..models.types import utcnow
from . import bp, services
from .progress import DONE, EXEMPT, NOT_STARTED, UNDER_WAY, Part, RouteStatus, route_status

CLOSE_DAYS = 92
"""From about three months before the term ends, the countdown is in days."""

PART_ICONS = {LANGUAGE: "language", KNM: "society", PVT: "pvt", MAP: "work", Z_ROUTE: "finish"}


def _newcomer() -> Newcomer:
    """The signed-in newcomer (404 for staff: the route page is a newcomer's own)."""
    if current_user.newcomer is None:
        abort(404)
    return current_user.newcomer


# -- the parts of the route ------------------------------------------------------------------------


def hours_text(hours: float) -> str:
    """Hours as a person reads them: whole, or with one decimal (1.5), in the language's digits."""
    rounded = round(hours, 1)
    return number(int(rounded) if rounded == int(rounded) else rounded)


@dataclass(frozen=True)
class Measure:
    """One progress bar of a part: ``value`` of ``total`` (hours or themes), and the bar's words."""

    value: float
    total: int
    text: str


@dataclass(frozen=True)
class PartView:
    """One part of the route as the newcomer reads it: its name, one sentence, its state, its bars."""

    part: Part

    @property
    def id(self) -> str:
        return self.part.id

    @property
    def state(self) -> str:
        return self.part.state

    @property
    def icon(self) -> str:
        return PART_ICONS[self.part.id]

    @property
    def title(self) -> str:
        """The part's name, with the term the newcomer will hear (PVT, MAP, KNM)."""
        return {
            LANGUAGE: _("Dutch lessons"),
            KNM: _("Life in the Netherlands (KNM)"),
            PVT: _("Participation statement (PVT)"),
            MAP: _("Work and taking part (MAP)"),
            Z_ROUTE: _("Taking part (Z-route)"),
        }[self.part.id]

    @property
    def sentence(self) -> str:
        """One short sentence: what the part is, or how it ended."""
        part = self.part
        if part.state == EXEMPT:
            return _("You do not need to do this part.")
        if part.state == DONE:
            if part.done_on is None:
                return _("You finished this part.")
            done_on = format_date(part.done_on, "long")
            if part.id == PVT:
                return _("You signed the statement on %(date)s.", date=done_on)
            if part.id == MAP:
                return _("You had the final talk on %(date)s.", date=done_on)
            return _("You finished this part on %(date)s.", date=done_on)
        return {
            LANGUAGE: _("You learn Dutch at a language school."),
            KNM: _("You learn how life in the Netherlands works: 8 themes."),
            PVT: _("At least 12 hours of lessons. At the end you sign a statement."),
            MAP: _("At least 40 hours of practice and 8 themes. At the end you have a final talk."),
            Z_ROUTE: _("You learn Dutch and take part in activities."),
        }[part.id]

    @property
    def state_text(self) -> str:
        """The part's state in plain words."""
        return {
            NOT_STARTED: _("Not started yet"),
            UNDER_WAY: _("Under way"),
            DONE: _("Done"),
            EXEMPT: _("Not needed for you"),
        }[self.part.state]

    @property
    def measures(self) -> list[Measure]:
        """The progress bars: hours of the hours needed, themes of the themes (none once done)."""
        part = self.part
        if part.state in (DONE, EXEMPT):
            return []
        measures = []
        if part.hours_needed:
            measures.append(
                Measure(
                    min(part.hours, part.hours_needed),
                    part.hours_needed,
                    _("%(done)s of %(total)s hours", done=hours_text(part.hours), total=number(part.hours_needed)),
                )
            )
        if part.themes_total:
            done = min(part.themes_done or 0, part.themes_total)
            measures.append(
                Measure(
                    done,
                    part.themes_total,
                    _("%(done)s of %(total)s themes", done=number(done), total=number(part.themes_total)),
                )
            )
        return measures

    @property
    def so_far(self) -> str | None:
        """Hours followed, for a part that counts hours without a number to reach (the language route)."""
        part = self.part
        if part.hours_needed or part.state in (DONE, EXEMPT) or not part.hours:
            return None
        return _("So far: %(hours)s hours", hours=hours_text(part.hours))

    @property
    def next_sentence(self) -> str:
        """What comes next in this part, in one sentence."""
        if self.part.state == UNDER_WAY:
            return {
                LANGUAGE: _("Keep going with your Dutch lessons."),
                KNM: _("Keep going with the KNM lessons."),
                PVT: _("Keep going with the PVT lessons. Then you sign the statement."),
                MAP: _("Keep going with the MAP. Then you have a final talk."),
                Z_ROUTE: _("Keep taking part in activities."),
            }[self.part.id]
        return {
            LANGUAGE: _("Your Dutch lessons start."),
            KNM: _("You start the KNM lessons."),
            PVT: _("You start the PVT lessons."),
            MAP: _("You start the MAP."),
            Z_ROUTE: _("You start taking part in activities."),
        }[self.part.id]


# -- the term --------------------------------------------------------------------------------------


def time_left(today: date, end: date) -> str:
    """How long until ``end``, as a person says it: "2 years and 3 months", or days when it is close."""
    days = (end - today).days
    if days < CLOSE_DAYS:
        return ngettext("%(count)s day", "%(count)s days", days, count=number(days))
    months = 0
    while add_months(today, months + 1) <= end:
        months += 1
    years, months = divmod(months, 12)
    years_text = ngettext("%(count)s year", "%(count)s years", years, count=number(years))
    months_text = ngettext("%(count)s month", "%(count)s months", months, count=number(months))
    if years and months:
        return _("%(years)s and %(months)s", years=years_text, months=months_text)
    return years_text if years else months_text


@dataclass(frozen=True)
class Term:
    """The end of the integration term and the countdown to it."""

    end: date
    days_left: int
    today: date

    @property
    def passed(self) -> bool:
        return self.days_left <= 0

    @property
    def close(self) -> bool:
        return 0 < self.days_left < CLOSE_DAYS

    @property
    def end_text(self) -> str:
        # the end is exclusive (the term has passed on that day): the last day is the day before
        return _("Your time ends on %(date)s.", date=format_date(self.end - timedelta(days=1), "long"))

    @property
    def countdown(self) -> str:
        if self.passed:
            return _("Your time has ended. Your klantmanager will talk with you about it.")
        return _("You have %(time)s left.", time=time_left(self.today, self.end))


def term_of(status: RouteStatus, today: date) -> Term | None:
    if status.term_end is None or status.days_left is None or status.term_end == date.max:
        return None
    return Term(status.term_end, status.days_left, today)


# -- the appointments ------------------------------------------------------------------------------


def map_link(address: str) -> str:
    """A map of the address on OpenStreetMap: a plain link, no third-party script on our page."""
    return "https://www.openstreetmap.org/search?query=" + quote(address, safe="")


def language_name(code: str) -> str:
    """A language in the reader's language ("Arabic"), or its own name when that is unknown."""
    try:
        name = Locale.parse(code).get_display_name(formatting_locale())
    except (ValueError, TypeError, UnknownLocaleError):
        name = None
    if not name:
        return BY_CODE[code].name if code in BY_CODE else code
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class Item:
    """One appointment as the newcomer reads it on their route page (their attendee row)."""

    attendee: Attendee

    @property
    def appointment(self) -> Appointment:
        return self.attendee.appointment

    @property
    def type(self) -> AppointmentType | None:
        return TYPES.get(self.appointment.kind)

    @property
    def name(self) -> str:
        return _(self.type.name) if self.type else _("Appointment")

    @property
    def icon(self) -> str:
        return self.type.icon if self.type else "calendar"

    @property
    def href(self) -> str:
        return appointment_href(self.attendee.id)

    @property
    def cancelled(self) -> bool:
        return self.appointment.status == CANCELLED

    @property
    def removed(self) -> bool:
        return self.attendee.status == REMOVED

    @property
    def waiting(self) -> bool:
        return self.attendee.status == WAITING

    @property
    def active(self) -> bool:
        """On it, and it goes ahead."""
        return not (self.cancelled or self.removed or self.waiting)

    @property
    def to_answer(self) -> bool:
        """It goes ahead, has not begun, and the newcomer has not answered for it as it is now."""
        return self.active and self.answer is None and self.starts_at > utcnow()

    @property
    def cancel_reason(self) -> str:
        key = self.appointment.cancel_reason or "other"
        return _(CANCEL_REASONS.get(key, CANCEL_REASONS["other"]))

    @property
    def mode(self) -> str:
        return self.appointment.mode

    @property
    def by_phone(self) -> bool:
        return self.mode == PHONE

    @property
    def by_video(self) -> bool:
        return self.mode == VIDEO

    @property
    def place(self) -> str:
        """The place and room in one line ("Town hall, room 2.14")."""
        parts = [self.appointment.location]
        if self.appointment.room:
            parts.append(_("room %(room)s", room=self.appointment.room))
        return ", ".join(p for p in parts if p)

    @property
    def address(self) -> str | None:
        return self.appointment.address

    @property
    def map_href(self) -> str | None:
        return map_link(self.appointment.address) if self.appointment.address else None

    @property
    def staff_name(self) -> str | None:
        return self.appointment.staff.name if self.appointment.staff else None

    @property
    def bring(self) -> list[str]:
        return [_(BRING[key]) for key in self.appointment.bring or () if key in BRING]

    @property
    def interpreter(self) -> str | None:
        """Whether an interpreter is arranged (or asked for), in plain words."""
        code = self.attendee.interpreter_language
        if not code:
            return None
        if self.attendee.interpreter_arranged:
            return _("An interpreter is arranged: %(language)s.", language=language_name(code))
        return _("An interpreter is asked for: %(language)s.", language=language_name(code))

    @property
    def answer(self) -> str | None:
        """The answer the newcomer gave for the appointment as it is now."""
        return self.attendee.current_response

    @property
    def confirmed(self) -> bool:
        return self.answer == CONFIRMED

    @property
    def cannot_come(self) -> bool:
        return self.answer == CANNOT_COME

    @property
    def attendance(self) -> str | None:
        """What the klantmanager recorded afterwards, in plain words."""
        return {
            PRESENT: _("You were there."),
            ABSENT_EXCUSED: _("You were not there."),
            ABSENT_UNEXCUSED: _("You were not there."),
            LATE_CANCEL: _("You were not there."),
        }.get(self.attendee.attendance or "")

    @property
    def attendance_present(self) -> bool:
        return self.attendee.attendance == PRESENT

    @property
    def starts_at(self) -> datetime:
        return self.appointment.starts_at


def appointment_href(attendee_id: int) -> str:
    """The appointment's own page (``route.appointment``: details, answer, calendar file)."""
    return url_for("route.appointment", attendee_id=attendee_id)


def next_appointment(upcoming: list[Item]) -> Item | None:
    """The first appointment that goes ahead with the newcomer on it."""
    return next((item for item in upcoming if item.active), None)


# -- the routes ------------------------------------------------------------------------------------


@bp.get("/r")
def short() -> ResponseReturnValue:
    """The short link in the SMS: the route page, through signing in when needed."""
    return redirect(url_for("route.page"))


@bp.get("/route")
@login_required
def page() -> ResponseReturnValue:
    """My route: the parts of the PIP with their progress, the term, what comes next, the appointments."""
    newcomer = _newcomer()
    now = utcnow()
    today = now.astimezone(AMSTERDAM).date()
    status = route_status(newcomer, today)
    upcoming = [Item(a) for a in services.upcoming_for(newcomer, now)]
    past = [Item(a) for a in services.past_for(newcomer, now)]
    return render_template(
        "route/page.html",
        status=status,
        term=term_of(status, today),
        upcoming=upcoming,
        past=past,
        coming=next_appointment(upcoming),
        done_all=status.pip is not None and status.next_part is None,
        parts=[PartView(part) for part in status.parts],
        next_part=PartView(status.next_part) if status.next_part else None,
    )
