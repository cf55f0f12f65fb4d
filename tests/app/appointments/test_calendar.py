"""Calendar files and the calendar subscription, parsed back with icalendar (app/appointments/calendar.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import get_locale
from icalendar import Calendar
from sqlalchemy import select

from app.appointments import calendar, services
from app.appointments.services import Details
from app.auth.services import digest
from app.extensions import db
from app.models import Attendee, CalendarFeed, Newcomer, Staff
from app.models.types import utcnow
from tests.conftest import csrf_token, sign_in, staff_sign_in

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The last Sunday of October 2027: summer time ends at 03:00 that night, so 10:00 is 09:00 UTC (not 08:00).
AFTER_THE_CHANGE = datetime(2027, 10, 31, 10, 0, tzinfo=AMSTERDAM)
BOOKED_ON = datetime(2027, 10, 1, 9, 0, tzinfo=UTC)  # summer time still


@pytest.fixture
def staff_id(app, make_staff):
    return make_staff().id


def book(app, person, staff_id, *, starts_at=None, now=None, kind="pvt_session", mode="in_person"):
    """Book an appointment with ``person`` on it; their attendee id."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        details = Details(
            kind=kind,
            starts_at=starts_at or (utcnow() + timedelta(days=7)).replace(microsecond=0),
            mode=mode,
            location="Stadhuis" if mode == "in_person" else None,
            room="2.14" if mode == "in_person" else None,
            address="Nieuwe Steen 1, Hoorn" if mode == "in_person" else None,
            staff_id=staff_id,
            note="Staff only: hard of hearing",
        )
        _appointment, result = services.book(
            newcomer.municipality_id, details, [newcomer], actor=db.session.get(Staff, staff_id), now=now
        )
        db.session.commit()
        return result.invited[0].id


def event_of(body: bytes):
    """The one VEVENT of a calendar file (and the file itself)."""
    parsed = Calendar.from_ical(body)
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    return parsed, events[0]


def ics(client, attendee_id):
    response = client.get(f"/appointments/{attendee_id}.ics")
    assert response.status_code == 200
    return response


def staff(app, staff_id):
    return db.session.get(Staff, staff_id)


# -- one appointment ----------------------------------------------------------------------------------


def test_the_file_is_a_published_calendar_with_the_amsterdam_time_zone(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    response = ics(signed_in, attendee_id)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        local_day = row.appointment.starts_at.astimezone(AMSTERDAM).date()
        uid = row.uid
    assert response.headers["Content-Disposition"] == f'attachment; filename="appointment-{local_day.isoformat()}.ics"'
    assert b"\r\n" in response.data
    parsed, event = event_of(response.data)
    assert parsed["VERSION"] == "2.0"
    assert parsed["METHOD"] == "PUBLISH"
    assert parsed["CALSCALE"] == "GREGORIAN"
    assert parsed["PRODID"]
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert event["DTEND"].params["TZID"] == "Europe/Amsterdam"
    assert event["DTSTAMP"]
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Participation statement (PVT) session (Hoorn)"
    assert str(event["LOCATION"]) == "Stadhuis, 2.14, Nieuwe Steen 1, Hoorn"
    assert "your ID card or residence permit" in str(event["DESCRIPTION"])
    assert event.walk("VALARM")


def test_no_floating_times_in_the_file(app, signed_in, newcomer, staff_id):
    body = ics(signed_in, book(app, newcomer, staff_id)).data.decode()
    assert "DTSTART;TZID=Europe/Amsterdam:" in body
    assert "DTEND;TZID=Europe/Amsterdam:" in body


def test_the_file_holds_no_note_nor_personal_data(app, signed_in, newcomer, staff_id):
    body = ics(signed_in, book(app, newcomer, staff_id)).data.decode()
    assert "Staff only" not in body
    assert "Al-Hassan" not in body
    assert newcomer.phone not in body
    assert newcomer.phone.removeprefix("+31") not in body


def test_the_times_are_right_across_the_end_of_summer_time(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id, starts_at=AFTER_THE_CHANGE, now=BOOKED_ON)
    body = ics(signed_in, attendee_id).data
    _parsed, event = event_of(body)
    assert b"DTSTART;TZID=Europe/Amsterdam:20271031T100000" in body
    assert b"DTEND;TZID=Europe/Amsterdam:20271031T120000" in body
    start = event.decoded("DTSTART")
    assert start == AFTER_THE_CHANGE
    assert start.astimezone(UTC) == datetime(2027, 10, 31, 9, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=1)
    # the VTIMEZONE says when the offset changes, so a calendar without the tz database gets it right too
    standard = [s for s in Calendar.from_ical(body).walk("STANDARD") if s["TZOFFSETFROM"].td == timedelta(hours=2)]
    assert any(b"20271031T030000" in s.to_ical() for s in standard)  # as DTSTART or in RDATE


def test_a_move_keeps_the_uid_and_raises_the_sequence(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    _, before = event_of(ics(signed_in, attendee_id).data)
    with app.app_context():
        appointment = db.session.get(Attendee, attendee_id).appointment
        new_start = appointment.starts_at + timedelta(days=1, hours=2)
        services.move(appointment, new_start, actor=staff(app, staff_id))
        db.session.commit()
    _, after = event_of(ics(signed_in, attendee_id).data)
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART") == new_start
    assert after["STATUS"] == "CONFIRMED"


def test_a_cancelled_appointment_is_cancelled_in_the_calendar(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    _, before = event_of(ics(signed_in, attendee_id).data)
    with app.app_context():
        appointment = db.session.get(Attendee, attendee_id).appointment
        services.cancel(appointment, "location_unavailable", actor=staff(app, staff_id))
        db.session.commit()
    _, after = event_of(ics(signed_in, attendee_id).data)
    assert after["STATUS"] == "CANCELLED"
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert "the location is not available" in str(after["DESCRIPTION"])
    assert not after.walk("VALARM")


def test_a_person_taken_off_gets_a_cancelled_event(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    with app.app_context():
        services.remove(db.session.get(Attendee, attendee_id), actor=staff(app, staff_id))
        db.session.commit()
    _, event = event_of(ics(signed_in, attendee_id).data)
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1


def locales_used(monkeypatch) -> list[str]:
    """The language each event's title is written in (catalogs are filled in later; the choice is tested here)."""
    used: list[str] = []
    real = calendar.summary

    def spy(attendee):  # noqa: ANN001, ANN202
        used.append(str(get_locale()))
        return real(attendee)

    monkeypatch.setattr(calendar, "summary", spy)
    return used


def test_the_file_is_in_the_pages_language(app, signed_in, newcomer, staff_id, monkeypatch):
    attendee_id = book(app, newcomer, staff_id)
    page = signed_in.get("/calendar")
    signed_in.post("/language", data={"csrf_token": csrf_token(page.text), "lang": "tr", "next": "/calendar"})
    used = locales_used(monkeypatch)
    ics(signed_in, attendee_id)
    assert used == ["tr"]


# -- the subscription -----------------------------------------------------------------------------------


def make_link(client) -> tuple[str, str]:
    """Make a calendar link on the calendar page: (webcal link, https link)."""
    page = client.get("/calendar")
    assert page.status_code == 200
    response = client.post("/calendar", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 200
    webcal = re.search(r'href="(webcal://[^"]+)"', response.text).group(1)
    https = re.search(r'value="(http[^"]+\.ics)"', response.text).group(1)
    return webcal, https


def feed_path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_the_calendar_page_makes_a_link_stored_only_as_a_hash(app, signed_in, newcomer):
    webcal, https = make_link(signed_in)
    token = https.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 32
    assert webcal == "webcal://" + https.split("://", 1)[1]
    with app.app_context():
        feeds = db.session.scalars(select(CalendarFeed)).all()
        assert len(feeds) == 1
        assert feeds[0].newcomer_id == newcomer.id
        assert token not in feeds[0].token_hash
        assert feeds[0].token_hash == digest(token)
    again = signed_in.get("/calendar").text
    assert token not in again  # shown once only
    assert "You have a calendar link since" in again


def test_the_feed_holds_the_appointments_without_personal_data(app, client, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    _, https = make_link(signed_in)
    signed_in.post("/logout")
    anonymous = app.test_client()
    response = anonymous.get(feed_path(https))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=900"
    body = response.data.decode()
    assert "Al-Hassan" not in body
    assert "Amal" not in body
    assert newcomer.phone not in body
    assert newcomer.phone.removeprefix("+31") not in body
    assert "Staff only" not in body
    parsed = Calendar.from_ical(response.data)
    assert parsed.walk("VTIMEZONE")
    with app.app_context():
        uid = db.session.get(Attendee, attendee_id).uid
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == [uid]


def test_the_feed_is_in_the_newcomers_language_whatever_the_calendar_app_asks(
    app, make_newcomer, staff_id, client, monkeypatch
):
    tigrinya = make_newcomer(name="Yonas Tesfay", language="ti")
    book(app, tigrinya, staff_id)
    sign_in(client, tigrinya)
    _, https = make_link(client)
    used = locales_used(monkeypatch)
    response = app.test_client().get(feed_path(https), headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert used == ["ti"]


def test_the_feed_has_cancelled_and_recent_appointments_but_not_old_ones(app, signed_in, newcomer, staff_id):
    now = utcnow()
    kept = book(app, newcomer, staff_id)
    cancelled = book(app, newcomer, staff_id, starts_at=(now + timedelta(days=9)).replace(microsecond=0))
    recent = book(app, newcomer, staff_id, starts_at=now - timedelta(days=30), now=now - timedelta(days=40))
    old = book(app, newcomer, staff_id, starts_at=now - timedelta(days=120), now=now - timedelta(days=130))
    with app.app_context():
        services.cancel(db.session.get(Attendee, cancelled).appointment, "not_needed", actor=staff(app, staff_id))
        db.session.commit()
        uids = {i: db.session.get(Attendee, i).uid for i in (kept, cancelled, recent, old)}
    _, https = make_link(signed_in)
    events = {str(e["UID"]): e for e in Calendar.from_ical(app.test_client().get(feed_path(https)).data).walk("VEVENT")}
    assert set(events) == {uids[kept], uids[cancelled], uids[recent]}
    assert events[uids[cancelled]]["STATUS"] == "CANCELLED"
    assert events[uids[kept]]["STATUS"] == "CONFIRMED"


def test_a_revoked_link_is_not_found_at_once(app, signed_in, newcomer, staff_id):
    book(app, newcomer, staff_id)
    _, https = make_link(signed_in)
    anonymous = app.test_client()
    assert anonymous.get(feed_path(https)).status_code == 200
    page = signed_in.get("/calendar")
    response = signed_in.post("/calendar/stop", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 303
    assert "Your calendar link is stopped." in signed_in.get("/calendar").text
    assert anonymous.get(feed_path(https)).status_code == 404


def test_a_new_link_revokes_the_old_one(app, signed_in, newcomer):
    _, first = make_link(signed_in)
    _, second = make_link(signed_in)
    anonymous = app.test_client()
    assert anonymous.get(feed_path(first)).status_code == 404
    assert anonymous.get(feed_path(second)).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None))) is not None
        assert len(db.session.scalars(select(CalendarFeed)).all()) == 2


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 65, "A" * 42 + "!", "%00" * 15])
def test_unknown_or_malformed_tokens_are_not_found(client, token):
    assert client.get(f"/cal/{token}.ics").status_code == 404


def test_fetching_is_recorded_at_most_once_an_hour(app, signed_in, newcomer):
    _, https = make_link(signed_in)
    anonymous = app.test_client()
    start = utcnow()

    def last_fetched():
        with app.app_context():
            return db.session.scalar(select(CalendarFeed.last_fetched_at))

    with time_machine.travel(start, tick=False):
        anonymous.get(feed_path(https))
    first = last_fetched()
    assert first is not None
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        anonymous.get(feed_path(https))
    assert last_fetched() == first
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        anonymous.get(feed_path(https))
    assert last_fetched() > first


def test_the_feed_is_rate_limited_per_link(app, make_app, signed_in, newcomer):
    _, https = make_link(signed_in)
    limited = make_app(CALENDAR_FEED_LIMIT="2 per hour").test_client()
    assert [limited.get(feed_path(https)).status_code for _ in range(3)] == [200, 200, 429]


def test_staff_have_no_calendar_page(client, make_staff):
    staff_sign_in(client, make_staff())
    assert client.get("/calendar").status_code == 404
