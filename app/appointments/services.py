"""The verbs of appointments: book, invite, move, cancel, take off, record attendance, respond.

Each verb changes the rows and writes the SMS it causes into the outbox **in the caller's
transaction** (the caller commits; a rollback leaves neither): a booking queues a confirmation and
the reminders of each invited newcomer; a move withdraws the queued SMS of the old time, queues a
notice and plans the reminders again; a cancellation withdraws them and queues a cancel notice.
The worker checks again when sending (:func:`_stale`): a reminder for a moved or cancelled
appointment, or for someone taken off it, is never sent, even if it was claimed before the change.

Outbox keys are ``appt:<attendee>:s<calendar sequence>:<what>``: unique per person, version of the
appointment and message, so a double submit queues nothing twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from workflows.appointments import ATTENDANCE, BRING, CANCEL_REASONS, SHORT_BRING, TYPES, AppointmentType
from workflows.reminders import Planned, QuietHours, plan_notice, plan_reminders

from .. import audit
from ..backoffice.privacy_services import ERASED_PHONE
from ..extensions import db
from ..i18n import AMSTERDAM
from ..models import Newcomer, Staff
from ..models.appointment import (
    CANCELLED,
    CANNOT_COME,
    CONFIRMED,
    IN_PERSON,
    INVITED,
    MODES,
    PHONE,
    PLANNED,
    REMOVED,
    VIDEO,
    WAITING,
    Appointment,
    Attendee,
)
from ..models.conversation import FROM_NEWCOMER, ConversationMessage
from ..models.message import NOTICES, QUEUED, REMINDERS, OutboundMessage
from ..models.types import utcnow
from ..outbox.rules import advance, cancel_when, lock
from ..sms import texts
from ..sms.services import queue_for

ATTENDEE_CAUSE = "appointment_attendee"
BOOKED = "appointment_booked"
REMINDER = "appointment_reminder"
MOVED = "appointment_moved"
CANCELLED_NOTICE = "appointment_cancelled"
APPOINTMENT_KINDS = (BOOKED, REMINDER, MOVED, CANCELLED_NOTICE)
"""The SMS an appointment causes (their cause is the attendee row)."""
ANSWERED_BY_REPLY = (BOOKED, REMINDER, MOVED)
"""The SMS that end in "Reply 1 if you come, 2 if you cannot"."""

MAX_DURATION = timedelta(hours=12)
MAX_CAPACITY = 200
WEB = "web"
SMS = "sms"


class AppointmentError(ValueError):
    """A change that cannot be made; ``code`` names it, ``str()`` says it in the reader's language."""

    MESSAGES = {
        "unknown_kind": _l("This kind of appointment does not exist."),
        "in_the_past": _l("The appointment must start in the future."),
        "too_far": _l("The appointment is too far in the future."),
        "ends_before_start": _l("The end must be after the start."),
        "too_long": _l("An appointment lasts at most 12 hours."),
        "unknown_mode": _l("Choose in person, by phone or by video."),
        "no_location": _l("Give the place of an appointment in person."),
        "no_video_link": _l("Give the video link (https://...)."),
        "bad_capacity": _l("The number of places must be between 1 and 200."),
        "unknown_bring": _l("Choose what to bring from the list."),
        "cancelled": _l("This appointment is cancelled: it cannot be changed."),
        "over": _l("This appointment is over: it cannot be moved or cancelled."),
        "not_over": _l("Attendance can be recorded once the appointment has begun."),
        "unknown_reason": _l("Choose a reason from the list."),
        "unknown_attendance": _l("Choose the attendance from the list."),
        "not_on_it": _l("This person is not on this appointment."),
        "too_long_text": _l("A place, address, room or link is too long."),
    }

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return str(self.MESSAGES[self.code])


@dataclass
class Details:
    """What a klantmanager fills in for an appointment (times aware, any zone)."""

    kind: str
    starts_at: datetime
    ends_at: datetime | None = None
    """``None``: the type's default duration."""
    mode: str = IN_PERSON
    location: str | None = None
    address: str | None = None
    room: str | None = None
    video_link: str | None = None
    bring: Sequence[str] | None = None
    """``None``: the type's default."""
    staff_id: int | None = None
    capacity: int | None = None
    """``None``: the type's default."""
    group_language: str | None = None
    note: str | None = None

    @property
    def type(self) -> AppointmentType:
        return TYPES[self.kind]


def check_details(details: Details, now: datetime) -> None:
    """Raise :class:`AppointmentError` for details no appointment may have (forms check first, in words)."""
    if details.kind not in TYPES:
        raise AppointmentError("unknown_kind")
    ends_at = details.ends_at or details.starts_at + details.type.duration
    if details.starts_at <= now:
        raise AppointmentError("in_the_past")
    if details.starts_at > now + timedelta(days=current_app.config["APPOINTMENT_MAX_FUTURE_DAYS"]):
        raise AppointmentError("too_far")
    if ends_at <= details.starts_at:
        raise AppointmentError("ends_before_start")
    if ends_at - details.starts_at > MAX_DURATION:
        raise AppointmentError("too_long")
    if details.mode not in MODES:
        raise AppointmentError("unknown_mode")
    if details.mode == IN_PERSON and not (details.location or "").strip():
        raise AppointmentError("no_location")
    if details.mode == VIDEO and not (details.video_link or "").startswith("https://"):
        raise AppointmentError("no_video_link")
    capacity = details.capacity if details.capacity is not None else details.type.default_capacity
    if not 1 <= capacity <= MAX_CAPACITY:
        raise AppointmentError("bad_capacity")
    if details.bring is not None and not set(details.bring) <= set(BRING):
        raise AppointmentError("unknown_bring")
    for value, limit in ((details.location, 80), (details.address, 200), (details.room, 40), (details.video_link, 300)):
        if value is not None and len(value.strip()) > limit:  # the columns' lengths (PostgreSQL refuses longer)
            raise AppointmentError("too_long_text")


# -- clashes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clash:
    """Someone already booked at that time: the staff member (``newcomer`` is ``None``) or a newcomer."""

    appointment: Appointment
    newcomer: Newcomer | None = None


def clashes(
    starts_at: datetime,
    ends_at: datetime,
    *,
    staff_id: int | None,
    newcomer_ids: Iterable[int] = (),
    ignore_appointment_id: int | None = None,
) -> list[Clash]:
    """Planned appointments overlapping ``[starts_at, ends_at)`` of the staff member or of these newcomers."""
    newcomer_ids = list(newcomer_ids)
    overlap = [
        Appointment.status == PLANNED,
        Appointment.starts_at < ends_at,
        Appointment.ends_at > starts_at,
    ]
    if ignore_appointment_id is not None:
        overlap.append(Appointment.id != ignore_appointment_id)
    found: list[Clash] = []
    if staff_id is not None:
        found += [
            Clash(a)
            for a in db.session.scalars(
                select(Appointment).where(*overlap, Appointment.staff_id == staff_id).order_by(Appointment.starts_at)
            )
        ]
    if newcomer_ids:
        rows = db.session.execute(
            select(Appointment, Newcomer)
            .join(Attendee, Attendee.appointment_id == Appointment.id)
            .join(Newcomer, Newcomer.id == Attendee.newcomer_id)
            .where(*overlap, Attendee.newcomer_id.in_(newcomer_ids), Attendee.status == INVITED)
            .order_by(Appointment.starts_at)
        )
        found += [Clash(appointment, newcomer) for appointment, newcomer in rows]
    return found


# -- booking and inviting --------------------------------------------------------------------------


@dataclass
class Invited:
    """What :func:`invite` did: who got a place, who is waiting, who was on it already."""

    invited: list[Attendee] = field(default_factory=list)
    waiting: list[Attendee] = field(default_factory=list)
    already: list[Attendee] = field(default_factory=list)
    no_notice: list[Attendee] = field(default_factory=list)
    """Invited, but no SMS can reach them before the start outside quiet hours (call them)."""


def book(
    municipality_id: int,
    details: Details,
    newcomers: Sequence[Newcomer],
    *,
    actor: Staff,
    interpreter: dict[int, str] | None = None,
    now: datetime | None = None,
) -> tuple[Appointment, Invited]:
    """A new appointment with these newcomers (up to its capacity; the rest on the waiting list)."""
    now = now or utcnow()
    check_details(details, now)
    kind = details.type
    appointment = Appointment(
        municipality_id=municipality_id,
        kind=details.kind,
        starts_at=details.starts_at,
        ends_at=details.ends_at or details.starts_at + kind.duration,
        mode=details.mode,
        location=_clean(details.location),
        address=_clean(details.address),
        room=_clean(details.room),
        video_link=_clean(details.video_link) if details.mode == VIDEO else None,
        bring=list(details.bring if details.bring is not None else kind.bring),
        staff_id=details.staff_id,
        capacity=details.capacity if details.capacity is not None else kind.default_capacity,
        group_language=details.group_language or None,
        note=_clean(details.note),
        status=PLANNED,
        sequence=0,
        created_by_staff_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.flush()
    audit.record("appointment.booked", "appointment", appointment.id, municipality_id=municipality_id)
    result = invite(appointment, newcomers, actor=actor, interpreter=interpreter, now=now, audited=False)
    return appointment, result


def invite(
    appointment: Appointment,
    newcomers: Sequence[Newcomer],
    *,
    actor: Staff,
    interpreter: dict[int, str] | None = None,
    now: datetime | None = None,
    audited: bool = True,
) -> Invited:
    """Put newcomers on the appointment: a place while there is one, else the waiting list."""
    now = now or utcnow()
    _changeable(appointment, now)
    interpreter = interpreter or {}
    result = Invited()
    existing = {a.newcomer_id: a for a in appointment.attendees}
    places = appointment.capacity - sum(1 for a in appointment.attendees if a.status == INVITED)
    for newcomer in newcomers:
        if newcomer.municipality_id != appointment.municipality_id or newcomer.phone.startswith(ERASED_PHONE):
            continue  # another municipality's file, or an erased one: nobody to invite
        attendee = existing.get(newcomer.id)
        if attendee is not None and attendee.status in (INVITED, WAITING):
            result.already.append(attendee)
            continue
        if attendee is None:
            attendee = Attendee(
                appointment=appointment,
                newcomer=newcomer,
                municipality_id=appointment.municipality_id,
                uid=f"{secrets.token_hex(16)}@appointments",
                sequence=0,
                created_at=now,
            )
            db.session.add(attendee)
            existing[newcomer.id] = attendee
        else:  # taken off before, back on now: a new version of their event
            attendee.sequence += 1
            attendee.response = attendee.response_channel = attendee.response_at = None
            attendee.response_sequence = None
        attendee.interpreter_language = interpreter.get(newcomer.id) or attendee.interpreter_language
        if places > 0:
            attendee.status, attendee.waiting_since = INVITED, None
            places -= 1
            result.invited.append(attendee)
        else:
            attendee.status, attendee.waiting_since = WAITING, now
            result.waiting.append(attendee)
    db.session.flush()
    for attendee in result.invited:
        if _queue_notice(attendee, BOOKED, now) is None:
            result.no_notice.append(attendee)
        _queue_reminders(attendee, now)
    if audited and (result.invited or result.waiting):
        audit.record("appointment.invited", "appointment", appointment.id, municipality_id=appointment.municipality_id)
    return result


def remove(attendee: Attendee, *, actor: Staff, now: datetime | None = None) -> Attendee | None:
    """Take a newcomer off (their event is cancelled, their SMS withdrawn); the first in line gets the place.

    Returns the attendee who moved up from the waiting list, if any.
    """
    now = now or utcnow()
    appointment = attendee.appointment
    _changeable(appointment, now)
    if attendee.status == REMOVED:
        return None
    had_place = attendee.status == INVITED
    _withdraw([attendee.id])
    attendee.status, attendee.waiting_since = REMOVED, None
    attendee.sequence += 1
    audit.record("appointment.removed", "appointment", appointment.id, municipality_id=appointment.municipality_id)
    if not had_place:
        return None
    return _promote(appointment, now)


def _promote(appointment: Appointment, now: datetime) -> Attendee | None:
    """Give a free place to the first on the waiting list (they get the booking's confirmation)."""
    waiting = sorted(
        (a for a in appointment.attendees if a.status == WAITING), key=lambda a: (a.waiting_since or now, a.id)
    )
    if not waiting or sum(1 for a in appointment.attendees if a.status == INVITED) >= appointment.capacity:
        return None
    first = waiting[0]
    first.status, first.waiting_since = INVITED, None
    db.session.flush()
    _queue_notice(first, BOOKED, now)
    _queue_reminders(first, now)
    return first


# -- moving and cancelling ------------------------------------------------------------------------


def move(
    appointment: Appointment,
    starts_at: datetime,
    ends_at: datetime | None = None,
    *,
    actor: Staff,
    location: str | None = None,
    address: str | None = None,
    room: str | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> list[Attendee]:
    """A new time (and place): SEQUENCE goes up, queued SMS of the old time are withdrawn, each invited
    newcomer gets a notice and new reminders. Returns those no notice can reach in time."""
    now = now or utcnow()
    _changeable(appointment, now)
    duration = appointment.ends_at - appointment.starts_at
    details = Details(
        kind=appointment.kind,
        starts_at=starts_at,
        ends_at=ends_at or starts_at + duration,
        mode=appointment.mode,
        location=location if location is not None else appointment.location,
        address=address,
        room=room,
        video_link=appointment.video_link,
        capacity=appointment.capacity,
    )
    check_details(details, now)
    invited = [a for a in appointment.attendees if a.status == INVITED]
    _withdraw([a.id for a in appointment.attendees])
    appointment.starts_at, appointment.ends_at = details.starts_at, details.ends_at
    if location is not None:
        appointment.location = _clean(location)
    if address is not None:
        appointment.address = _clean(address)
    if room is not None:
        appointment.room = _clean(room)
    if staff_id is not None:
        appointment.staff_id = staff_id
    appointment.sequence += 1
    appointment.updated_at = now
    db.session.flush()
    unreachable = []
    for attendee in invited:
        if _queue_notice(attendee, MOVED, now) is None:
            unreachable.append(attendee)
        _queue_reminders(attendee, now)
    audit.record("appointment.moved", "appointment", appointment.id, municipality_id=appointment.municipality_id)
    return unreachable


def cancel(appointment: Appointment, reason: str, *, actor: Staff, now: datetime | None = None) -> list[Attendee]:
    """Cancel: SEQUENCE goes up, queued SMS are withdrawn, each invited newcomer gets a cancel notice
    (the reason they read on their route page). Returns those no notice can reach in time."""
    now = now or utcnow()
    _changeable(appointment, now)
    if reason not in CANCEL_REASONS:
        raise AppointmentError("unknown_reason")
    invited = [a for a in appointment.attendees if a.status == INVITED]
    _withdraw([a.id for a in appointment.attendees])
    appointment.status, appointment.cancel_reason, appointment.cancelled_at = CANCELLED, reason, now
    appointment.sequence += 1
    appointment.updated_at = now
    db.session.flush()
    unreachable = [a for a in invited if _queue_notice(a, CANCELLED_NOTICE, now) is None]
    audit.record("appointment.cancelled", "appointment", appointment.id, municipality_id=appointment.municipality_id)
    return unreachable


def _changeable(appointment: Appointment, now: datetime) -> None:
    if appointment.status == CANCELLED:
        raise AppointmentError("cancelled")
    if appointment.starts_at <= now:
        raise AppointmentError("over")


# -- attendance and answers -------------------------------------------------------------------------


def record_attendance(
    attendee: Attendee, attendance: str, *, reason: str | None = None, actor: Staff, now: datetime | None = None
) -> None:
    """Present, absent with or without a reason, cancelled late: recorded once the appointment began."""
    now = now or utcnow()
    if attendance not in ATTENDANCE:
        raise AppointmentError("unknown_attendance")
    if attendee.status != INVITED:
        raise AppointmentError("not_on_it")
    if attendee.appointment.starts_at > now:
        raise AppointmentError("not_over")
    attendee.attendance = attendance
    attendee.absence_reason = _clean(reason) if attendance != "present" else None
    attendee.attendance_recorded_at = now
    audit.record(
        "appointment.attendance_recorded",
        "appointment",
        attendee.appointment_id,
        municipality_id=attendee.municipality_id,
    )


def respond(
    attendee: Attendee,
    response: str,
    channel: str,
    *,
    reason: str = "",
    sid: str | None = None,
    now: datetime | None = None,
) -> ConversationMessage | None:
    """The newcomer's answer for the appointment as it is now: "I will come" or "I cannot come".

    "I cannot come" goes into the file's conversation as a message from the newcomer (its text the
    reason they gave, or their SMS), so the klantmanager reads it where they read everything else.
    """
    now = now or utcnow()
    if response not in (CONFIRMED, CANNOT_COME):
        raise ValueError(response)
    attendee.response, attendee.response_channel, attendee.response_at = response, channel, now
    attendee.response_sequence = attendee.appointment.sequence
    if response != CANNOT_COME:
        return None
    message = ConversationMessage(
        newcomer_id=attendee.newcomer_id,
        municipality_id=attendee.municipality_id,
        direction=FROM_NEWCOMER,
        channel=channel,
        body=_clean(reason) or "",
        language=attendee.newcomer.language,
        sensitive=True,
        provider_sid=sid,
        attendee_id=attendee.id,
        created_at=now,
    )
    db.session.add(message)
    return message


# -- the SMS ------------------------------------------------------------------------------------------


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_hours_default() -> QuietHours:
    """The configured quiet hours (``QUIET_HOURS_START``/``_END``)."""
    config = current_app.config
    return QuietHours(_clock(config["QUIET_HOURS_START"]), _clock(config["QUIET_HOURS_END"]))


def quiet_hours(newcomer: Newcomer) -> QuietHours:
    """The newcomer's own quiet hours, or the configured ones (``QUIET_HOURS_START``/``_END``)."""
    if newcomer.quiet_start is not None and newcomer.quiet_end is not None:
        return QuietHours(newcomer.quiet_start, newcomer.quiet_end)
    return quiet_hours_default()


def set_quiet_hours(
    newcomer: Newcomer, start: time | None, end: time | None, *, actor: Staff, now: datetime | None = None
) -> int:
    """Set (or clear, with ``None``) the newcomer's own quiet hours and plan the reminders of their
    upcoming appointments again under them; how many appointments were re-planned.

    The queued reminders are withdrawn and planned again with keys of their own (``...:r<time>``);
    the appointment's version stays, so a booking notice still waiting for the morning still goes.
    """
    now = now or utcnow()
    newcomer.quiet_start, newcomer.quiet_end = start, end
    newcomer.updated_at = now
    upcoming = list(
        db.session.scalars(
            select(Attendee)
            .join(Appointment)
            .where(
                Attendee.newcomer_id == newcomer.id,
                Attendee.status == INVITED,
                Appointment.status == PLANNED,
                Appointment.starts_at > now,
            )
        )
    )
    _withdraw([a.id for a in upcoming], kinds=(REMINDER,))
    for attendee in upcoming:
        _queue_reminders(attendee, now, replanned=f"r{secrets.token_hex(4)}")
    audit.record("file.quiet_hours_changed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    return len(upcoming)


def key(attendee: Attendee, what: str) -> str:
    """The outbox key of one SMS of this attendee, for the appointment as it is now."""
    return f"appt:{attendee.id}:s{attendee.calendar_sequence}:{what}"


def sequence_of(message: OutboundMessage) -> int | None:
    """The calendar sequence an appointment SMS was written for (from its key)."""
    parts = message.idempotency_key.split(":")
    if len(parts) < 3 or not parts[2].startswith("s") or not parts[2][1:].isdigit():
        return None
    return int(parts[2][1:])


def first_name(newcomer: Newcomer) -> str:
    """The first name at most (an SMS may be read by someone else)."""
    name = (newcomer.name or "").split()
    return name[0][:20] if name else ""


def sms_when(moment: datetime) -> str:
    """The start as a short date and time in the current language ("di 13 okt. 10:30")."""
    from babel.dates import format_skeleton, format_time

    from ..i18n import formatting_locale, native_digits

    locale = formatting_locale()
    local = moment.astimezone(AMSTERDAM)
    text = f"{format_skeleton('MMMEd', local, locale=locale)} {format_time(local, 'HH:mm', locale=locale)}"
    return native_digits(text, locale)


def sms_where(appointment: Appointment) -> str:
    """Where, in as few words as an SMS has room for."""
    if appointment.mode == PHONE:
        return gettext("by phone")
    if appointment.mode == VIDEO:
        return gettext("by video")
    return ", ".join(part for part in (appointment.location, appointment.room) if part)


def sms_bring(appointment: Appointment) -> str:
    return ", ".join(gettext(SHORT_BRING[b]) for b in appointment.bring if b in SHORT_BRING)


def _writer(attendee: Attendee, what: str):  # noqa: ANN202 - the outbox's write(secret) -> str
    appointment, newcomer = attendee.appointment, attendee.newcomer
    municipality = newcomer.municipality.name
    kind = TYPES[appointment.kind]

    def write(_secret: str) -> str:
        values = {
            "name": first_name(newcomer),
            "what": gettext(kind.short),
            "when": sms_when(appointment.starts_at),
        }
        if what == CANCELLED_NOTICE:
            return texts.appointment_cancelled(municipality, link=route_link(), **values)
        values |= {"where": sms_where(appointment), "bring": sms_bring(appointment)}
        if what == MOVED:
            return texts.appointment_moved(municipality, **values)
        if what == REMINDER:
            return texts.appointment_reminder(municipality, **values)
        return texts.appointment_booked(municipality, **values)

    return write


def route_link() -> str:
    """``/r``: the short link of the route page, the same for everyone (signing in shows it)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/r"


def _queue(attendee: Attendee, kind: str, category: str, planned: Planned, suffix: str) -> OutboundMessage:
    return queue_for(
        attendee.newcomer,
        kind,
        category,
        _writer(attendee, kind),
        cause=(ATTENDEE_CAUSE, attendee.id),
        key=key(attendee, suffix),
        send_after=planned.send_at,
        expires_at=planned.expires_at,
    )


def _queue_notice(attendee: Attendee, kind: str, now: datetime) -> OutboundMessage | None:
    """A booked, moved or cancelled notice, now or when quiet hours end; ``None`` if it cannot be in time."""
    planned = plan_notice(now, attendee.appointment.starts_at, quiet_hours(attendee.newcomer), AMSTERDAM)
    if planned is None:
        return None
    return _queue(attendee, kind, NOTICES, planned, kind.removeprefix("appointment_"))


def _queue_reminders(attendee: Attendee, now: datetime, replanned: str = "") -> list[OutboundMessage]:
    """The reminders at the type's offsets, moved out of quiet hours (``workflows/reminders.py``)."""
    appointment = attendee.appointment
    planned = plan_reminders(
        appointment.starts_at, TYPES[appointment.kind].reminders, now, quiet_hours(attendee.newcomer), AMSTERDAM
    )
    return [
        _queue(
            attendee,
            REMINDER,
            REMINDERS,
            p,
            f"reminder:{int(p.offset.total_seconds())}{':' if replanned else ''}{replanned}",
        )
        for p in planned
        if p.offset is not None
    ]


def _withdraw(attendee_ids: list[int], kinds: tuple[str, ...] = APPOINTMENT_KINDS) -> int:
    """Cancel the still-queued SMS (of these kinds) of these attendees, each with a line in its history."""
    if not attendee_ids:
        return 0
    rows = db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.cause_type == ATTENDEE_CAUSE,
            OutboundMessage.cause_id.in_(attendee_ids),
            OutboundMessage.status == QUEUED,
            OutboundMessage.kind.in_(kinds),
        )
    ).all()
    withdrawn = 0
    for message in rows:
        lock(message)
        if message.status != QUEUED:  # the worker took it meanwhile: it checks again before sending
            continue
        message.cancel_reason = "appointment_changed"
        advance(message, "cancelled", "app", detail="appointment_changed", locked=True)
        withdrawn += 1
    return withdrawn


@cancel_when(BOOKED)
@cancel_when(REMINDER)
@cancel_when(MOVED)
def _stale(message: OutboundMessage) -> str | None:
    """At send time: the appointment as the SMS describes it must still be the one the person is on."""
    from ..sms.webhooks import original_of

    original = original_of(message)
    if original.cause_type != ATTENDEE_CAUSE or original.cause_id is None:
        return None
    attendee = db.session.get(Attendee, original.cause_id)
    if attendee is None or attendee.status != INVITED:
        return "appointment_changed"
    if attendee.appointment.status == CANCELLED:
        return "appointment_cancelled"
    if sequence_of(original) != attendee.calendar_sequence:
        return "appointment_changed"
    if attendee.appointment.starts_at <= utcnow():
        return "appointment_past"
    return None


@cancel_when(CANCELLED_NOTICE)
def _cancel_notice_pointless(message: OutboundMessage) -> str | None:
    from ..sms.webhooks import original_of

    original = original_of(message)
    attendee = db.session.get(Attendee, original.cause_id) if original.cause_type == ATTENDEE_CAUSE else None
    if attendee is not None and attendee.appointment.starts_at <= utcnow():
        return "appointment_past"
    return None


# -- reading ------------------------------------------------------------------------------------------


def upcoming_for(newcomer: Newcomer, now: datetime | None = None) -> list[Attendee]:
    """The newcomer's appointments from now on (cancelled ones too, so they see the reason), soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Attendee)
            .join(Appointment)
            .where(
                Attendee.newcomer_id == newcomer.id,
                Attendee.status.in_((INVITED, WAITING, REMOVED)),
                Appointment.ends_at > now,
            )
            .order_by(Appointment.starts_at)
        )
    )


def past_for(newcomer: Newcomer, now: datetime | None = None, limit: int = 50) -> list[Attendee]:
    """The newcomer's appointments that ended, latest first (those they were on)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Attendee)
            .join(Appointment)
            .where(
                Attendee.newcomer_id == newcomer.id,
                Attendee.status == INVITED,
                Appointment.status == PLANNED,
                Appointment.ends_at <= now,
            )
            .order_by(Appointment.starts_at.desc())
            .limit(limit)
        )
    )


def attendee_of(newcomer: Newcomer, attendee_id: int) -> Attendee | None:
    """The newcomer's own attendee row with this id (``None`` for anyone else's: a 404)."""
    return db.session.scalar(select(Attendee).where(Attendee.id == attendee_id, Attendee.newcomer_id == newcomer.id))


def messages_of(appointment: Appointment) -> dict[int, list[OutboundMessage]]:
    """Every SMS of the appointment per attendee id, oldest first: what went out, and its fate."""
    ids = [a.id for a in appointment.attendees]
    if not ids:
        return {}
    found: dict[int, list[OutboundMessage]] = {i: [] for i in ids}
    for message in db.session.scalars(
        select(OutboundMessage)
        .where(
            OutboundMessage.cause_type == ATTENDEE_CAUSE,
            OutboundMessage.cause_id.in_(ids),
            or_(OutboundMessage.kind.in_(APPOINTMENT_KINDS), OutboundMessage.kind.like("appointment_%")),
        )
        .order_by(OutboundMessage.send_after, OutboundMessage.id)
    ):
        found[message.cause_id].append(message)
    return found


def _clean(value: str | None) -> str | None:
    from ..params import clean_text

    if value is None:
        return None
    value = clean_text(value).strip()
    return value or None
