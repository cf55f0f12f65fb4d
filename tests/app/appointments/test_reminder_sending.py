"""The SMS of an appointment through the real outbox worker, with the clock frozen and moved on:
the confirmation at once, reminders when they are due, nothing for a moved or cancelled time or for
someone taken off, opt-outs, quiet hours (also a newcomer's own), and the texts in every language.

Times are in Europe/Amsterdam; November 2026 has no summer-time change (workflows/reminders.py's
own tests cover those). The ``sms`` fixture's ``sent`` runs the worker once at the frozen time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.i18n import LANGUAGES
from app.models import Appointment, Attendee, Newcomer, Staff
from app.models.message import OutboundMessage, SmsOptOut
from app.models.types import utcnow
from app.outbox.worker import Worker
from app.sms.segments import count
from workflows.reminders import QuietHours

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)


NOW = local(2026, 11, 3, 10, 0)  # Tuesday
START = local(2026, 11, 10, 10, 30)  # the Tuesday after: reminders on Sunday 8 Nov 10:30 and at 08:30
TWO_DAYS_BEFORE = local(2026, 11, 8, 10, 30)
TWO_HOURS_BEFORE = local(2026, 11, 10, 8, 30)
SENT = ("sent", "delivered")
LONG_PLACE = "Wijkcentrum De Kreek, ingang achterkant naast de fietsenstalling, 2e verdieping!"
"""80 characters: the most ``Appointment.location`` holds."""


@pytest.fixture
def clock(time_machine):  # noqa: ANN001, ANN201 - time-machine's fixture
    """The frozen clock, at :data:`NOW`; ``clock.move_to(moment)`` moves it."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def staff_id(make_staff) -> int:  # noqa: ANN001
    return make_staff().id


def book(app, person, staff_id: int, start: datetime = START, **details) -> tuple[int, int]:  # noqa: ANN001
    """Book ``person`` at ``start`` now (the frozen clock); (appointment id, attendee id)."""
    values = {"kind": "pvt_session", "starts_at": start, "location": "Stadhuis Hoorn", "room": "2.14"} | details
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        newcomer = db.session.get(Newcomer, person.id)
        appointment, result = services.book(newcomer.municipality_id, Details(**values), [newcomer], actor=staff)
        db.session.commit()
        return appointment.id, result.invited[0].id


def move(app, appointment_id: int, staff_id: int, start: datetime) -> None:  # noqa: ANN001
    with app.app_context():
        services.move(db.session.get(Appointment, appointment_id), start, actor=db.session.get(Staff, staff_id))
        db.session.commit()


def cancel(app, appointment_id: int, staff_id: int) -> None:  # noqa: ANN001
    with app.app_context():
        services.cancel(
            db.session.get(Appointment, appointment_id), "staff_unavailable", actor=db.session.get(Staff, staff_id)
        )
        db.session.commit()


def rows(app, person) -> list[OutboundMessage]:  # noqa: ANN001
    """The appointment SMS of ``person``, oldest first."""
    with app.app_context():
        found = db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.newcomer_id == person.id, OutboundMessage.kind.in_(services.APPOINTMENT_KINDS))
            .order_by(OutboundMessage.id)
        ).all()
        db.session.expunge_all()
        return found


def sent(app, sms, person) -> list[str]:  # noqa: ANN001
    """Run the worker now; the kinds of ``person``'s appointment SMS that went out so far, in order."""
    bodies = [body for to, body in sms.sent if to == person.phone]
    went = sorted((m for m in rows(app, person) if m.status in SENT), key=lambda m: (m.sent_at, m.id))
    assert [m.body for m in went] == [b for b in bodies if b in {m.body for m in went}]
    return [m.kind for m in went]


# -- the life of an appointment ---------------------------------------------------------------------


def test_the_confirmation_goes_at_once_and_each_reminder_when_it_is_due(app, make_newcomer, staff_id, sms, clock):
    person = make_newcomer(name="Amal Al-Hassan", language="en")
    book(app, person, staff_id)
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(TWO_DAYS_BEFORE - timedelta(minutes=1))
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(TWO_DAYS_BEFORE)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_reminder"]
    clock.move_to(TWO_HOURS_BEFORE)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_reminder", "appointment_reminder"]
    clock.move_to(START + timedelta(days=1))
    assert len(sent(app, sms, person)) == 3
    reminder = [m for m in rows(app, person) if m.kind == "appointment_reminder"][0]
    assert reminder.sent_at == TWO_DAYS_BEFORE
    assert "Reply 1 if you come, 2 if you cannot." in reminder.body


def test_after_a_move_the_old_reminders_never_go_and_the_new_ones_do(app, make_newcomer, staff_id, sms, clock):
    person = make_newcomer(language="en")
    appointment_id, _attendee = book(app, person, staff_id)
    assert sent(app, sms, person) == ["appointment_booked"]
    later = START + timedelta(days=3)  # Friday 13 Nov 10:30
    clock.move_to(NOW + timedelta(hours=1))
    move(app, appointment_id, staff_id, later)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_moved"]
    for moment in (TWO_DAYS_BEFORE, TWO_HOURS_BEFORE, START):
        clock.move_to(moment)
        assert sent(app, sms, person) == ["appointment_booked", "appointment_moved"]
    clock.move_to(later - timedelta(days=2))
    assert sent(app, sms, person)[-1] == "appointment_reminder"
    clock.move_to(later - timedelta(hours=2))
    assert sent(app, sms, person) == [
        "appointment_booked",
        "appointment_moved",
        "appointment_reminder",
        "appointment_reminder",
    ]
    old = [m for m in rows(app, person) if m.status == "cancelled"]
    assert [(m.kind, m.cancel_reason) for m in old] == [("appointment_reminder", "appointment_changed")] * 2
    assert {m.sent_at for m in rows(app, person) if m.kind == "appointment_reminder" and m.status in SENT} == {
        later - timedelta(days=2),
        later - timedelta(hours=2),
    }


def test_after_a_cancellation_only_the_cancel_notice_goes(app, make_newcomer, staff_id, sms, clock):
    person = make_newcomer(language="en")
    appointment_id, _attendee = book(app, person, staff_id)
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(NOW + timedelta(days=1))
    cancel(app, appointment_id, staff_id)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_cancelled"]
    for moment in (TWO_DAYS_BEFORE, TWO_HOURS_BEFORE, START + timedelta(hours=1)):
        clock.move_to(moment)
        assert sent(app, sms, person) == ["appointment_booked", "appointment_cancelled"]
    body = [m for m in rows(app, person) if m.kind == "appointment_cancelled"][0].body
    assert "does not go ahead" in body


def test_a_person_taken_off_gets_nothing_more(app, make_newcomer, staff_id, sms, clock):
    person = make_newcomer(language="en")
    other = make_newcomer(name="Yonas Tesfay", language="en")
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        newcomers = [db.session.get(Newcomer, p.id) for p in (person, other)]
        appointment, result = services.book(
            newcomers[0].municipality_id,
            Details(kind="pvt_session", starts_at=START, location="Stadhuis Hoorn"),
            newcomers,
            actor=staff,
        )
        db.session.commit()
        taken_off, appointment_id = result.invited[0].id, appointment.id
    clock.move_to(NOW + timedelta(hours=2))
    with app.app_context():
        services.remove(db.session.get(Attendee, taken_off), actor=db.session.get(Staff, staff_id))
        db.session.commit()
    assert sent(app, sms, person) == []  # not even the confirmation: it was still queued
    clock.move_to(TWO_DAYS_BEFORE)
    move(app, appointment_id, staff_id, START + timedelta(hours=4))
    clock.move_to(TWO_HOURS_BEFORE + timedelta(hours=4))
    assert sent(app, sms, person) == []
    cancel(app, appointment_id, staff_id)
    clock.move_to(START + timedelta(hours=3))
    assert sent(app, sms, person) == []
    assert {m.status for m in rows(app, person)} == {"cancelled"}
    assert "appointment_cancelled" in sent(app, sms, other)  # the one still on it is told


def test_an_opt_out_of_reminders_stops_reminders_but_not_the_notices(app, make_newcomer, staff_id, sms, clock):
    person = make_newcomer(language="en")
    with app.app_context():
        db.session.add(SmsOptOut(newcomer_id=person.id, category="reminders", source="sms", created_at=utcnow()))
        db.session.commit()
    appointment_id, _attendee = book(app, person, staff_id)
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(TWO_DAYS_BEFORE + timedelta(minutes=5))
    assert sent(app, sms, person) == ["appointment_booked"]
    cancel(app, appointment_id, staff_id)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_cancelled"]
    clock.move_to(TWO_HOURS_BEFORE)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_cancelled"]
    reminders = [m for m in rows(app, person) if m.kind == "appointment_reminder"]
    assert [(m.status, m.cancel_reason) for m in reminders] == [
        ("cancelled", "opted_out"),  # the worker's check when it was due
        ("cancelled", "appointment_changed"),  # withdrawn by the cancellation
    ]


def test_a_reminder_the_worker_claimed_before_a_move_is_cancelled_when_it_would_be_sent(
    app, make_newcomer, staff_id, sms, clock
):
    person = make_newcomer(language="en")
    appointment_id, _attendee = book(app, person, staff_id)
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(TWO_DAYS_BEFORE)
    worker = Worker(app, "claiming-worker")
    with app.app_context():
        claims = worker.claim()  # committed: the row is "sending", the worker holds it
        assert len(claims) == 1
        move(app, appointment_id, staff_id, START + timedelta(days=1))  # meanwhile, in a request
        claimed = db.session.get(OutboundMessage, claims[0].id, populate_existing=True)
        assert (claimed.kind, claimed.status) == ("appointment_reminder", "sending")  # not withdrawn: held
        worker.process(claims[0].id)
    reminder = next(m for m in rows(app, person) if m.id == claims[0].id)
    assert (reminder.status, reminder.cancel_reason, reminder.sent_at) == ("cancelled", "appointment_changed", None)
    assert sent(app, sms, person) == ["appointment_booked", "appointment_moved"]
    assert sms.sender.sent == [(to, body) for to, body in sms.sender.sent if "reminder" not in body]


# -- quiet hours -------------------------------------------------------------------------------------


def test_a_booking_in_the_evening_is_confirmed_at_08_00_and_an_early_reminder_goes_at_20_45(
    app, make_newcomer, staff_id, sms, clock
):
    person = make_newcomer(language="en")
    clock.move_to(local(2026, 11, 3, 22, 30))
    book(app, person, staff_id, start=local(2026, 11, 10, 8, 30))  # its 2-hour reminder would be at 06:30
    assert sent(app, sms, person) == []
    clock.move_to(local(2026, 11, 4, 7, 59))
    assert sent(app, sms, person) == []
    clock.move_to(local(2026, 11, 4, 8, 0))
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(local(2026, 11, 8, 8, 30))
    assert sent(app, sms, person) == ["appointment_booked", "appointment_reminder"]  # the 2-day one
    clock.move_to(local(2026, 11, 9, 20, 44))
    assert sent(app, sms, person) == ["appointment_booked", "appointment_reminder"]
    clock.move_to(local(2026, 11, 9, 20, 45))
    assert sent(app, sms, person) == ["appointment_booked", "appointment_reminder", "appointment_reminder"]
    assert rows(app, person)[-1].sent_at == local(2026, 11, 9, 20, 45)


def test_a_reminder_the_worker_did_not_send_before_21_00_is_not_sent_in_the_night(
    app, make_newcomer, staff_id, sms, clock
):
    person = make_newcomer(language="en")
    book(app, person, staff_id, start=local(2026, 11, 10, 8, 30))
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(local(2026, 11, 9, 21, 0))  # the worker was down from 20:45 to 21:00
    assert sent(app, sms, person) == ["appointment_booked"]
    clock.move_to(local(2026, 11, 10, 8, 0))
    assert sent(app, sms, person) == ["appointment_booked"]
    late = rows(app, person)[-1]
    assert (late.kind, late.status) == ("appointment_reminder", "expired")


@pytest.mark.parametrize(
    ("quiet", "booked_at", "confirmed_at"),
    [
        ((None, None), local(2026, 11, 3, 21, 20), local(2026, 11, 4, 8, 0)),  # the configured 21:00-08:00
        ((time(9, 0), time(17, 0)), local(2026, 11, 3, 10, 0), local(2026, 11, 3, 17, 0)),  # sleeps by day
        ((time(23, 0), time(6, 0)), local(2026, 11, 3, 21, 20), local(2026, 11, 3, 21, 20)),  # a late worker
    ],
    ids=["default", "daytime-window", "short-night"],
)
def test_no_sms_goes_out_in_quiet_hours_as_the_clock_walks_through_the_week(
    app, make_newcomer, staff_id, sms, clock, quiet, booked_at, confirmed_at
):
    """Appointments at every few hours of two days; the worker runs every 20 minutes for a week (some
    runs late for a reminder planned at a quarter to). Every SMS that went out went out of quiet hours."""
    person = make_newcomer(language="en")
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        newcomer.quiet_start, newcomer.quiet_end = quiet
        db.session.commit()
        window = services.quiet_hours(db.session.get(Newcomer, person.id))
    clock.move_to(booked_at)
    for hours in range(0, 48, 5):
        book(app, person, staff_id, start=local(2026, 11, 8, 7, 30) + timedelta(hours=hours))
    moment = booked_at
    while moment < local(2026, 11, 10, 12, 0):
        clock.move_to(moment)
        sms.sent  # noqa: B018 - reading runs the worker
        moment += timedelta(minutes=20)
    messages = rows(app, person)
    went = [m for m in messages if m.status in SENT]
    assert min(m.sent_at for m in went) == confirmed_at
    assert len([m for m in went if m.kind == "appointment_reminder"]) >= 10
    assert not [m for m in went if window.contains(m.sent_at.astimezone(AMSTERDAM).time())]
    assert {m.status for m in messages} <= {"sent", "expired"}


# -- the text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", [language.code for language in LANGUAGES])
@pytest.mark.parametrize("place", ["Stadhuis Hoorn", LONG_PLACE], ids=["everyday", "very-long-place"])
def test_every_sms_of_an_appointment_names_the_municipality_and_first_name_in_two_segments(
    app, make_newcomer, staff_id, sms, clock, language, place
):
    person = make_newcomer(name="Mohammed-Amin Abdullahi Warsame", language=language)
    appointment_id, _attendee = book(app, person, staff_id, kind="pvt_session", location=place, room="2.14")
    sms.sent  # noqa: B018 - reading runs the worker
    clock.move_to(NOW + timedelta(hours=1))
    move(app, appointment_id, staff_id, START + timedelta(days=1))
    sms.sent  # noqa: B018
    clock.move_to(NOW + timedelta(hours=2))
    cancel(app, appointment_id, staff_id)
    messages = rows(app, person)
    assert {m.kind for m in messages} == set(services.APPOINTMENT_KINDS)
    assert len(LONG_PLACE) == 80
    with app.test_request_context(), force_locale(language):
        moments = {services.sms_when(START), services.sms_when(START + timedelta(days=1))}
    for message in messages:
        body = message.body
        assert message.locale == language
        assert "Hoorn" in body, body
        assert "Mohammed-Amin" in body
        assert "Abdullahi" not in body
        assert "Warsame" not in body
        assert any(moment in body for moment in moments), (body, moments)  # the newcomer's date format
        segments = count(body)
        assert segments.count <= 2, (message.kind, segments, body)
        assert (message.segments, message.encoding) == (segments.count, segments.encoding)
    booked = messages[0]
    if place == "Stadhuis Hoorn" and count(booked.body).encoding == "GSM-7":
        assert "Stadhuis Hoorn, 2.14" in booked.body
    sent_bodies = [body for to, body in sms.sent if to == person.phone]
    assert sent_bodies == [m.body for m in rows(app, person) if m.status in SENT]
    assert [m.kind for m in rows(app, person) if m.status in SENT] == [
        "appointment_booked",
        "appointment_moved",
        "appointment_cancelled",
    ]


def test_the_times_in_the_sms_are_amsterdam_time_on_both_sides_of_a_change(app, make_newcomer, staff_id, clock):
    person = make_newcomer(language="en")
    clock.move_to(local(2026, 10, 20, 10, 0))  # summer time
    book(app, person, staff_id, start=local(2026, 10, 26, 10, 30))  # winter time (09:30 UTC)
    reminder = [m for m in rows(app, person) if m.kind == "appointment_reminder"][0]
    assert "10:30" in reminder.body
    assert reminder.send_after == local(2026, 10, 24, 10, 30)  # 2 days before on the wall clock: 49 hours
    assert reminder.send_after == datetime(2026, 10, 24, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("language", [language.code for language in LANGUAGES])
def test_every_kind_fits_two_segments_with_the_longest_first_name_and_place(app, language):
    """The writers over every kind of appointment, a first name of 20 letters (the most an SMS gets),
    a very long place and dates with long day and month names in the newcomer's language."""
    from flask_babel import gettext

    from app.sms import texts
    from workflows.appointments import TYPES

    too_long = []
    with app.test_request_context(), force_locale(language):
        for kind in TYPES.values():
            for moment in (START, local(2026, 9, 30, 10, 30), local(2027, 2, 24, 16, 45)):
                values = {
                    "name": "Abdirahmaanabdullahi",
                    "what": gettext(kind.short),
                    "when": services.sms_when(moment),
                }
                bodies = [
                    write("Hoorn", where=LONG_PLACE, bring="ID, pen", **values)
                    for write in (texts.appointment_booked, texts.appointment_reminder, texts.appointment_moved)
                ]
                bodies.append(texts.appointment_cancelled("Hoorn", link=services.route_link(), **values))
                too_long += [(kind.id, count(body).units, body) for body in bodies if count(body).count > 2]
    assert too_long == []


# -- the benchmark, small (bench/reminders.py; the figures are in docs/benchmarks.md) ---------------------


def test_the_planning_bench_in_small(app):
    """200 appointments booked, 30% moved, 10% cancelled through the services: the rows each verb writes."""
    from bench.reminders import plan

    result = plan(app, 200, "test")
    assert (result.moves, result.cancels) == (60, 20)
    assert result.rows_booked == 200 * 3  # a confirmation and two reminders each
    assert result.rows_after == result.rows_booked + 60 * 3 + 20  # a notice and two reminders a move; a notice
    assert result.cancelled == 60 * 3 + 20 * 3  # everything still queued of the old time is withdrawn
    assert result.queued == result.rows_after - result.cancelled
    with app.app_context():
        queued = db.session.scalars(select(OutboundMessage).where(OutboundMessage.status == "queued")).all()
        night = QuietHours()
        assert not [m for m in queued if night.contains(m.send_after.astimezone(AMSTERDAM).time())]
        assert all(m.send_after < m.expires_at for m in queued)


def test_the_due_query_reads_the_same_buffers_with_1000_or_50000_reminders_for_later(app, database_url):
    """EXPLAIN (ANALYZE, BUFFERS) of the worker's due query: one index range per priority, so a long
    queue of reminders for later costs nothing (bench/reminders.py measures 1,000 against 100,000)."""
    from bench.outbox import add_due, prepare
    from bench.reminders import add_pending, explain_due

    if not database_url.startswith("postgresql"):
        pytest.skip("EXPLAIN's plan is PostgreSQL's")
    found = []
    with app.app_context():
        prepare()
        add_due(5, "due")
        for size, tag in ((1000, "small"), (49000, "large")):
            add_pending(size, tag)
            db.session.commit()
            db.session.execute(text("ANALYZE outbound_messages"))
            db.session.commit()
            found.append(explain_due())
    for plan in found:
        assert plan["indexes"] == ["ix_outbound_due"], plan["summary"]
        assert (plan["sorts"], plan["seq_scans"], plan["rows"]) == ([], [], 5), plan["summary"]
    small, large = found
    assert large["buffers"] <= small["buffers"] + 6, (small, large)  # one index level more, per priority


def test_the_due_query_knows_every_priority():
    from app.models import message
    from app.outbox.worker import PRIORITIES

    levels = {value for name, value in vars(message).items() if name.startswith("PRIORITY_")}
    assert set(PRIORITIES) == levels
    assert list(PRIORITIES) == sorted(PRIORITIES, reverse=True)
