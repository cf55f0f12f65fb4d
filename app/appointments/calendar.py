"""Calendar files: one ``.ics`` per appointment, and the newcomer's personal subscription (webcal).

Both are built with the ``icalendar`` library, in the shape Android and iOS calendars accept: a
VTIMEZONE for Europe/Amsterdam and DTSTART/DTEND with ``TZID=Europe/Amsterdam`` (no floating
times), a UID that stays the same for this person on this appointment (``Attendee.uid``), a
SEQUENCE that only goes up (``Attendee.calendar_sequence``: every move, cancellation or taking off),
and ``STATUS:CANCELLED`` for a cancelled appointment or a person taken off it, so calendars remove
the event.

What an event holds: the kind of appointment in the reader's language, the municipality, the time
and the place, and what to bring. Never the staff-only note, a surname, a phone number or the
reason a person gave for not coming: a calendar is shared with phones, computers and providers.

A subscription is a random token (:func:`create_feed`) of which only a keyed hash is stored
(``CalendarFeed.token_hash``, as invitation tokens are): the link cannot be shown again, only
replaced (which revokes the old one) or revoked.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from flask import current_app, url_for
from flask_babel import gettext
from icalendar import Alarm, Calendar, Event
from sqlalchemy import select, update

from workflows.appointments import BRING, CANCEL_REASONS, TYPES

from ..auth.services import digest
from ..extensions import db
from ..i18n import AMSTERDAM
from ..models import Newcomer
from ..models.appointment import CANCELLED, INVITED, PHONE, REMOVED, VIDEO, Appointment, Attendee, CalendarFeed
from ..models.types import utcnow

PRODID = "-//Gemeente inburgering//Afspraken//NL"
TOKEN_BYTES = 32
"""43 characters of URL-safe base64 (256 random bits)."""
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
FEED_PAST = timedelta(days=90)
"""How far back the subscription goes: calendars keep what they had, but need the cancellations."""
FEED_MAX_EVENTS = 500
FETCH_RECORD_EVERY = timedelta(hours=1)
"""``last_fetched_at`` is written at most this often (calendars fetch every few minutes)."""
ALARM_AT = time(19, 0)
"""The reminder in the calendar: at 19:00 the evening before (in Europe/Amsterdam)."""


# -- the events ------------------------------------------------------------------------------------


def is_cancelled(attendee: Attendee) -> bool:
    """The event is off for this person: the appointment is cancelled, or they were taken off it."""
    return attendee.appointment.status == CANCELLED or attendee.status == REMOVED


def in_calendar(attendee: Attendee) -> bool:
    """Whether this attendee has an event: invited (or taken off: their event is cancelled), never waiting."""
    return attendee.status in (INVITED, REMOVED)


def summary(attendee: Attendee) -> str:
    """The event's title in the current language: the kind of appointment and the municipality."""
    appointment = attendee.appointment
    return gettext(
        "%(what)s (%(municipality)s)",
        what=gettext(TYPES[appointment.kind].name),
        municipality=attendee.newcomer.municipality.name,
    )


def where(appointment: Appointment) -> str:
    """The place in one line: location, room and address; or by phone; or by video with the link."""
    if appointment.mode == PHONE:
        return gettext("By phone")
    if appointment.mode == VIDEO:
        return gettext("By video: %(link)s", link=appointment.video_link or "")
    return ", ".join(part for part in (appointment.location, appointment.room, appointment.address) if part)


def description(attendee: Attendee) -> str:
    """What to bring (and why the appointment is off, in the words every newcomer reads)."""
    appointment = attendee.appointment
    lines = []
    if appointment.status == CANCELLED and appointment.cancel_reason in CANCEL_REASONS:
        lines += [gettext(CANCEL_REASONS[appointment.cancel_reason]), ""]
    elif attendee.status == REMOVED:
        lines += [gettext("You are no longer on this appointment."), ""]
    bring = [gettext(BRING[key]) for key in appointment.bring if key in BRING]
    if bring:
        lines.append(gettext("Bring:"))
        lines += [f"- {item}" for item in bring]
    return "\n".join(lines).strip()


def event(attendee: Attendee, now: datetime) -> Event:
    """The VEVENT of one person on one appointment, in the current language."""
    appointment = attendee.appointment
    cancelled = is_cancelled(attendee)
    item = Event()
    item.add("uid", attendee.uid)
    item.add("dtstamp", now)
    item.add("dtstart", appointment.starts_at.astimezone(AMSTERDAM))
    item.add("dtend", appointment.ends_at.astimezone(AMSTERDAM))
    item.add("sequence", attendee.calendar_sequence)
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    title = summary(attendee)
    item.add("summary", gettext("Cancelled: %(what)s", what=title) if cancelled else title)
    if place := where(appointment):
        item.add("location", place)
    if text := description(attendee):
        item.add("description", text)
    item.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if not cancelled:
        item.add_component(_alarm(appointment, title))
    return item


def _alarm(appointment: Appointment, title: str) -> Alarm:
    """A reminder the evening before at 19:00 (as a time before the start, which every calendar reads)."""
    local_start = appointment.starts_at.astimezone(AMSTERDAM)
    evening = datetime.combine(local_start.date() - timedelta(days=1), ALARM_AT, tzinfo=AMSTERDAM)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", -(appointment.starts_at - evening))
    return alarm


def calendar(attendees: Iterable[Attendee], now: datetime | None = None, *, name: str | None = None) -> bytes:
    """A VCALENDAR (PUBLISH) with these attendees' events and the VTIMEZONE they use, as bytes (CRLF, folded)."""
    now = now or utcnow()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Amsterdam")
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    starts: list[date] = []
    for attendee in attendees:
        cal.add_component(event(attendee, now))
        starts.append(attendee.appointment.starts_at.date())
    # The rules of Europe/Amsterdam around the events (and today), from the zoneinfo database.
    starts.append(now.date())
    cal.add_missing_timezones(first_date=min(starts) - timedelta(days=366), last_date=max(starts) + timedelta(days=366))
    return cal.to_ical()


def filename(attendee: Attendee) -> str:
    """``appointment-2026-10-25.ics``: the date, nothing about the person."""
    return f"appointment-{attendee.appointment.starts_at.astimezone(AMSTERDAM).date().isoformat()}.ics"


# -- the subscription ------------------------------------------------------------------------------


def active_feed(newcomer: Newcomer) -> CalendarFeed | None:
    """The newcomer's subscription that works now, if any."""
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.newcomer_id == newcomer.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def revoke_feeds(newcomer: Newcomer, now: datetime | None = None) -> int:
    """Stop every subscription link of the newcomer at once; how many there were."""
    now = now or utcnow()
    result = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.newcomer_id == newcomer.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def create_feed(newcomer: Newcomer, now: datetime | None = None) -> str:
    """A new subscription link's token (shown once; only its hash is kept); the old link stops working."""
    now = now or utcnow()
    revoke_feeds(newcomer, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(CalendarFeed(newcomer_id=newcomer.id, token_hash=digest(token), created_at=now))
    db.session.flush()
    return token


def feed_of(token: str) -> CalendarFeed | None:
    """The working subscription with this token (``None`` for a malformed, unknown or revoked one)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    return db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.token_hash == digest(token), CalendarFeed.revoked_at.is_(None))
    )


def record_fetch(feed: CalendarFeed, now: datetime | None = None) -> bool:
    """Note when the subscription was last read, at most once an hour (no write per fetch); whether it wrote."""
    now = now or utcnow()
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < FETCH_RECORD_EVERY:
        return False
    feed.last_fetched_at = now
    return True


def feed_attendees(newcomer: Newcomer, now: datetime | None = None) -> list[Attendee]:
    """What the subscription holds: the newcomer's appointments of the last 90 days and all later ones,
    cancelled ones and those they were taken off included (so calendars remove them)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Attendee)
            .join(Appointment)
            .where(
                Attendee.newcomer_id == newcomer.id,
                Attendee.status.in_((INVITED, REMOVED)),
                Appointment.starts_at >= now - FEED_PAST,
            )
            .order_by(Appointment.starts_at)
            .limit(FEED_MAX_EVENTS)
        )
    )


def feed_links(token: str) -> tuple[str, str]:
    """(webcal link, https link) of a subscription token, on the public address of the app."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    https = base + url_for("route.feed", token=token)
    return "webcal://" + https.split("://", 1)[1], https
