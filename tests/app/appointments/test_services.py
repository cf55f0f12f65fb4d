"""The verbs of appointments and the SMS they write into the outbox (app/appointments/services.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import AppointmentError, Details
from app.extensions import db
from app.models import Appointment, Attendee, Newcomer, Staff
from app.models.message import OutboundMessage

# A Tuesday in October (summer time, UTC+2): 10:30 in Hoorn is 08:30 UTC.
NOW = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
START = datetime(2026, 10, 13, 8, 30, tzinfo=UTC)


@pytest.fixture
def setting(app, make_newcomer, make_staff):
    login = make_staff()
    people = [make_newcomer(name=f"Person{i} Family", language=lang) for i, lang in enumerate(("ti", "ar", "nl"))]
    with app.app_context():
        municipality_id = db.session.get(Newcomer, people[0].id).municipality_id
    return login, people, municipality_id


def _book(app, setting, kind="pvt_session", capacity=None, start=START, count=3):
    login, people, municipality_id = setting
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        newcomers = [db.session.get(Newcomer, p.id) for p in people[:count]]
        appointment, result = services.book(
            municipality_id,
            Details(kind=kind, starts_at=start, location="Stadhuis", room="2.14", capacity=capacity, staff_id=staff.id),
            newcomers,
            actor=staff,
            now=NOW,
        )
        db.session.commit()
        return appointment.id, [a.id for a in result.invited], [a.id for a in result.waiting]


def _messages(app, attendee_id):
    with app.app_context():
        return [
            (m.kind, m.status, m.send_after, m.expires_at, m.body)
            for m in db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.cause_type == services.ATTENDEE_CAUSE, OutboundMessage.cause_id == attendee_id)
                .order_by(OutboundMessage.send_after)
            )
        ]


def test_a_booking_queues_a_confirmation_and_two_reminders_per_person_in_their_language(app, setting):
    _appointment_id, invited, waiting = _book(app, setting)
    assert len(invited) == 3
    assert waiting == []
    messages = _messages(app, invited[2])  # the Dutch one
    assert [m[0] for m in messages] == ["appointment_booked", "appointment_reminder", "appointment_reminder"]
    assert messages[0][2] == NOW
    assert messages[1][2] == START - timedelta(days=2)
    assert messages[2][2] == START - timedelta(hours=2)
    assert all(m[3] <= START for m in messages)
    body = messages[1][4]
    assert "Hoorn: Person2, " in body
    assert "Family" not in body  # the first name at most
    assert "10:30" in body
    assert "Stadhuis, 2.14" in body


def test_a_group_fills_to_capacity_and_the_rest_waits_for_a_place(app, setting):
    appointment_id, invited, waiting = _book(app, setting, capacity=2)
    assert len(invited) == 2
    assert len(waiting) == 1
    assert _messages(app, waiting[0]) == []
    login = setting[0]
    with app.app_context(), time_machine.travel(NOW, tick=False):
        promoted = services.remove(db.session.get(Attendee, invited[0]), actor=db.session.get(Staff, login.id))
        db.session.commit()
        assert promoted.id == waiting[0]
    assert [m[1] for m in _messages(app, invited[0])] == ["cancelled"] * 3
    assert [m[0] for m in _messages(app, waiting[0])][0] == "appointment_booked"


def test_moving_withdraws_the_old_reminders_and_plans_new_ones(app, setting):
    appointment_id, invited, _ = _book(app, setting, count=1)
    login = setting[0]
    later = START + timedelta(days=1)
    with app.app_context(), time_machine.travel(NOW, tick=False):
        appointment = db.session.get(Appointment, appointment_id)
        services.move(appointment, later, actor=db.session.get(Staff, login.id))
        db.session.commit()
        assert appointment.sequence == 1
    messages = _messages(app, invited[0])
    assert [(m[0], m[1]) for m in messages if m[1] == "cancelled"] == [
        ("appointment_booked", "cancelled"),
        ("appointment_reminder", "cancelled"),
        ("appointment_reminder", "cancelled"),
    ]
    live = [(m[0], m[2]) for m in messages if m[1] == "queued"]
    assert live == [
        ("appointment_moved", NOW),
        ("appointment_reminder", later - timedelta(days=2)),
        ("appointment_reminder", later - timedelta(hours=2)),
    ]


def test_a_reminder_claimed_before_a_move_is_cancelled_when_the_worker_checks_it(app, setting, sms):
    appointment_id, invited, _ = _book(app, setting, count=1)
    login = setting[0]
    with app.app_context():
        # the worker has the first reminder in hand (claimed) while the klantmanager moves the appointment
        reminder = db.session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.cause_id == invited[0], OutboundMessage.kind == "appointment_reminder"
            )
        ).first()
        reminder.status = "sending"
        db.session.commit()
        with time_machine.travel(NOW, tick=False):
            services.move(
                db.session.get(Appointment, appointment_id),
                START + timedelta(days=3),
                actor=db.session.get(Staff, login.id),
            )
            db.session.commit()
        reminder = db.session.get(OutboundMessage, reminder.id)
        assert reminder.status == "sending"  # not withdrawn: the worker holds it
        from app.outbox.rules import cancel_reason

        assert cancel_reason(reminder) == "appointment_changed"


def test_cancelling_sends_a_notice_and_nothing_else(app, setting, sms):
    appointment_id, invited, _ = _book(app, setting, count=1)
    login = setting[0]
    with app.app_context(), time_machine.travel(NOW, tick=False):
        services.cancel(
            db.session.get(Appointment, appointment_id), "staff_unavailable", actor=db.session.get(Staff, login.id)
        )
        db.session.commit()
    assert [(m[0], m[1]) for m in _messages(app, invited[0]) if m[1] == "queued"] == [
        ("appointment_cancelled", "queued")
    ]
    with app.app_context(), time_machine.travel(NOW, tick=False):
        with pytest.raises(AppointmentError):
            services.move(db.session.get(Appointment, appointment_id), START, actor=db.session.get(Staff, login.id))


def test_a_booking_in_the_evening_sends_its_confirmation_in_the_morning(app, setting):
    login, people, municipality_id = setting
    evening = datetime(2026, 10, 6, 20, 30, tzinfo=UTC)  # 22:30 in Hoorn
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        appointment, result = services.book(
            municipality_id,
            Details(kind="intake_talk", starts_at=START, location="Stadhuis"),
            [db.session.get(Newcomer, people[2].id)],
            actor=staff,
            now=evening,
        )
        db.session.commit()
        booked = _messages(app, result.invited[0].id)[0]
    assert booked[0] == "appointment_booked"
    assert booked[2] == datetime(2026, 10, 7, 6, 0, tzinfo=UTC)  # 08:00 in Hoorn


def test_clashes_name_the_newcomer_and_the_staff_member(app, setting):
    appointment_id, _invited, _ = _book(app, setting, count=1)
    login, people, _ = setting
    with app.app_context():
        found = services.clashes(
            START + timedelta(minutes=30), START + timedelta(hours=1), staff_id=login.id, newcomer_ids=[people[0].id]
        )
        assert {(c.appointment.id, c.newcomer.id if c.newcomer else None) for c in found} == {
            (appointment_id, None),
            (appointment_id, people[0].id),
        }
        assert services.clashes(START + timedelta(hours=3), START + timedelta(hours=4), staff_id=login.id) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"starts_at": NOW - timedelta(hours=1)}, "in_the_past"),
        ({"starts_at": datetime(9999, 12, 31, tzinfo=UTC)}, "too_far"),
        ({"ends_at": START - timedelta(minutes=1)}, "ends_before_start"),
        ({"ends_at": START + timedelta(hours=13)}, "too_long"),
        ({"kind": "party"}, "unknown_kind"),
        ({"location": "  "}, "no_location"),
        ({"mode": "video", "video_link": "javascript:alert(1)"}, "no_video_link"),
        ({"capacity": 2**31}, "bad_capacity"),
        ({"bring": ["cake"]}, "unknown_bring"),
        ({"location": "x" * 81}, "too_long_text"),
        ({"room": "x" * 41}, "too_long_text"),
    ],
)
def test_details_no_appointment_may_have_are_refused(app, change, code):
    values = {"kind": "intake_talk", "starts_at": START, "location": "Stadhuis"} | change
    with app.app_context(), pytest.raises(AppointmentError) as refused:
        services.check_details(Details(**values), NOW)
    assert refused.value.code == code


def test_the_outbox_refuses_a_priority_the_worker_would_never_claim(app):
    from app.outbox import queue_sms

    with app.app_context(), pytest.raises(ValueError, match="priority"):
        queue_sms(
            to="+31612345678", kind="x", category="notices", locale="nl", write=lambda _s: "x", key="k", priority=7
        )
