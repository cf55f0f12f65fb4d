"""Appointments of the route, who is invited to them, and the progress the klantmanager records.

An :class:`Appointment` is one meeting: a talk with one newcomer, or a group session (PVT, KNM,
MAP) with a capacity. Each newcomer on it is an :class:`Attendee` row, invited or on the waiting
list, with their answer (confirmed / cannot come) and, afterwards, their attendance. The calendar
identity is per attendee (``uid``): every newcomer's calendar holds their own event, which can be
cancelled for one person (taken off a group) without touching the others'. ``SEQUENCE`` in the
calendar file is ``appointment.sequence + attendee.sequence``: both only ever go up.

Times are stored in UTC and shown in Europe/Amsterdam. Types (``kind``) are data in
``workflows/appointments.py``.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .newcomer import Newcomer
from .staff import Staff
from .tenancy import TenantOwned
from .types import JsonColumn, UTCDateTime, utcnow

# Appointment status
PLANNED = "planned"
CANCELLED = "cancelled"

# Ways to meet
IN_PERSON = "in_person"
PHONE = "phone"
VIDEO = "video"
MODES = (IN_PERSON, PHONE, VIDEO)

# Attendee status: on the appointment, waiting for a place, or taken off it.
INVITED = "invited"
WAITING = "waiting"
REMOVED = "removed"

# The newcomer's answer
CONFIRMED = "confirmed"
CANNOT_COME = "cannot_come"


class Appointment(TenantOwned, db.Model):
    """One meeting of the route, single or a group session."""

    __tablename__ = "appointments"
    __table_args__ = (
        # The agenda: a municipality's appointments in a period, and a staff member's.
        Index("ix_appointments_municipality_starts", "municipality_id", "starts_at"),
        Index("ix_appointments_staff_starts", "staff_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    """An id of ``workflows.appointments.TYPES``."""
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(10), default=IN_PERSON)
    location: Mapped[str | None] = mapped_column(String(80))
    """A short name of the place (the town hall, the language school): what an SMS has room for."""
    address: Mapped[str | None] = mapped_column(String(200))
    room: Mapped[str | None] = mapped_column(String(40))
    video_link: Mapped[str | None] = mapped_column(String(300))
    bring: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    """Keys of ``workflows.appointments.BRING``."""
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    """Who leads it (the klantmanager, a PVT trainer with an account)."""
    capacity: Mapped[int] = mapped_column(default=1)
    group_language: Mapped[str | None] = mapped_column(String(8))
    """A group session held in one mother tongue (PVT groups), or ``None``."""
    note: Mapped[str | None] = mapped_column(Text)
    """For staff only; never shown to the newcomer nor sent."""
    status: Mapped[str] = mapped_column(String(10), default=PLANNED)
    cancel_reason: Mapped[str | None] = mapped_column(String(30))
    """A key of ``workflows.appointments.CANCEL_REASONS``: the newcomer reads it in their language."""
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sequence: Mapped[int] = mapped_column(default=0)
    """Raised on every move or cancellation (the calendar's SEQUENCE; stale reminders see it)."""
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id])
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="appointment", order_by="Attendee.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_group(self) -> bool:
        return self.capacity > 1


class Attendee(TenantOwned, db.Model):
    """A newcomer on an appointment: invited or waiting, their answer, and their attendance."""

    __tablename__ = "appointment_attendees"
    __table_args__ = (
        UniqueConstraint("appointment_id", "newcomer_id"),
        Index("ix_attendees_newcomer", "newcomer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    """The calendar event's UID, stable for this person on this appointment."""
    status: Mapped[str] = mapped_column(String(10), default=INVITED)
    sequence: Mapped[int] = mapped_column(default=0)
    """Raised when this person is taken off (their calendar event is cancelled)."""
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """On the waiting list since: the first in line gets the next free place."""
    interpreter_language: Mapped[str | None] = mapped_column(String(8))
    """An interpreter is requested in this language."""
    interpreter_arranged: Mapped[bool] = mapped_column(default=False)
    response: Mapped[str | None] = mapped_column(String(12))
    """``confirmed`` or ``cannot_come``, or no answer yet."""
    response_channel: Mapped[str | None] = mapped_column(String(3))
    """``web`` or ``sms``."""
    response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_sequence: Mapped[int | None]
    """The appointment's sequence the answer was given for: after a move, an old answer is stale."""
    attendance: Mapped[str | None] = mapped_column(String(20))
    """One of ``workflows.appointments.ATTENDANCE``, recorded afterwards."""
    absence_reason: Mapped[str | None] = mapped_column(String(300))
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="attendees")
    newcomer: Mapped[Newcomer] = relationship()

    @property
    def calendar_sequence(self) -> int:
        return self.appointment.sequence + self.sequence

    @property
    def current_response(self) -> str | None:
        """The answer, if it was given for the appointment as it is now (not before a move)."""
        if self.response is None or self.response_sequence != self.appointment.sequence:
            return None
        return self.response


class CalendarFeed(db.Model):
    """A newcomer's personal calendar subscription (webcal): a random token, stored hashed, revocable."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RouteProgress(TenantOwned, db.Model):
    """What the klantmanager recorded of a newcomer's route (one row per newcomer).

    The dates and ``*_verwijtbaar`` flags map onto DUO's MAP-PVT-Zroute API without loss
    (``app/appointments/duo.py``): ``datumEindgesprekMap``, ``datumOndertekeningPvt``,
    ``datumAfrondingZroute`` and ``verwijtbaar`` (Ja/Nee).
    """

    __tablename__ = "route_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), unique=True)
    route_started_on: Mapped[date | None]
    """The first lesson of the language route."""
    route_completed_on: Mapped[date | None]
    knm_themes: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    """Keys of ``workflows.appointments.KNM_THEMES`` done."""
    pvt_signed_on: Mapped[date | None]
    pvt_verwijtbaar: Mapped[bool | None]
    """DUO's ``verwijtbaar``: the PVT was not completed through the person's own fault."""
    map_themes: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    map_final_interview_on: Mapped[date | None]
    map_verwijtbaar: Mapped[bool | None]
    map_exempt: Mapped[bool] = mapped_column(default=False)
    map_exemption_reason: Mapped[str | None] = mapped_column(String(200))
    map_exempt_on: Mapped[date | None]
    """The date of the MAP exemption (the report counts exemptions dated in its period)."""
    z_completed_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))


# Kinds of hours (per month). The last three are DUO's GevolgdeUren counters.
HOURS_PVT = "pvt"
HOURS_MAP = "map_practical"
HOURS_Z_PARTICIPATION = "participatieactiviteiten"
"""DUO: ParticipatieactiviteitenBredeIntake (Z-route participation, brede intake hours count)."""
HOURS_LANGUAGE = "participatietaalles"
"""DUO: ParticipatieAlsTaalles (language lessons and KNM at a course provider)."""
HOURS_INTAKE_LANGUAGE = "bredeintake_taallesknm"
"""DUO: TaallesEnKnmBredeIntake (language and KNM lessons during the brede intake)."""
HOUR_KINDS = (HOURS_PVT, HOURS_MAP, HOURS_Z_PARTICIPATION, HOURS_LANGUAGE, HOURS_INTAKE_LANGUAGE)


class HoursEntry(TenantOwned, db.Model):
    """Hours followed in one month, of one kind, by one newcomer: entered by hand or imported.

    Hours of attended appointments are not stored here (they are counted from the attendance);
    one row per (newcomer, month, kind, source), so importing a month again replaces its hours.
    """

    __tablename__ = "hours_entries"
    __table_args__ = (UniqueConstraint("newcomer_id", "month", "kind", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    month: Mapped[date]
    """The first day of the month."""
    kind: Mapped[str] = mapped_column(String(30))
    hours: Mapped[int]
    """Whole hours, 0-9999 (DUO's bounds)."""
    source: Mapped[str] = mapped_column(String(10), default="manual")
    """``manual`` or ``import``."""
    import_job_id: Mapped[int | None] = mapped_column(ForeignKey("import_jobs.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))


def quiet_hours_of(newcomer: Newcomer) -> tuple[time, time] | None:
    """The newcomer's own quiet hours (shift work), or ``None`` for the configured default."""
    if newcomer.quiet_start is None or newcomer.quiet_end is None:
        return None
    return newcomer.quiet_start, newcomer.quiet_end
