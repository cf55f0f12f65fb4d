"""Answers to "Reply 1 if you come, 2 if you cannot" through Twilio's signed inbound webhook
(app/appointments/replies.py, hooked into app/sms/inbound.py), with the clock frozen.

A whole message that is a yes or a no (in any digit system or shipped language) answers the
appointment of the latest appointment SMS of the last 7 days; anything else is a conversation message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.models import Appointment, Attendee, Newcomer, Staff
from app.models.conversation import ConversationMessage
from app.models.message import OutboundMessage, SmsOptOut
from tests.app.test_webhooks import INBOUND, changes, new_sid, signed, sms_from
from tests.conftest import NOW

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 11, 10, 10, 30, tzinfo=AMSTERDAM)

YES = ["1", "١", "۱", "ja", "evet", "نعم", "بله", "haa", "እወ"]
NO = ["2", "٢", "۲", "Nee", "hayır", "لا", "نه", "maya", "ኣይፋል"]


@pytest.fixture
def staff_id(make_staff) -> int:  # noqa: ANN001
    return make_staff().id


@pytest.fixture
def person(make_newcomer):  # noqa: ANN001, ANN201
    return make_newcomer(name="Amal Al-Hassan", language="en")


def book(app: Flask, person, staff_id: int, start: datetime = START) -> int:  # noqa: ANN001
    """Book ``person`` now; the attendee id."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        _appointment, result = services.book(
            newcomer.municipality_id,
            Details(kind="pvt_session", starts_at=start, location="Stadhuis Hoorn"),
            [newcomer],
            actor=db.session.get(Staff, staff_id),
        )
        db.session.commit()
        return result.invited[0].id


def reply(client, person, body: str, sid: str | None = None):  # noqa: ANN001, ANN201
    response = signed(client, INBOUND, sms_from(person.phone, body, sid=sid))
    assert response.status_code == 200
    return response


def attendee(app: Flask, attendee_id: int) -> tuple:
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        return row.response, row.response_channel, row.response_sequence


def conversation(app: Flask, person) -> list[ConversationMessage]:  # noqa: ANN001
    with app.app_context():
        found = db.session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.newcomer_id == person.id)
            .order_by(ConversationMessage.id)
            .execution_options(all_municipalities=True)
        ).all()
        db.session.expunge_all()
        return found


def sent_kinds(app: Flask, sms, person) -> list[str]:  # noqa: ANN001
    """Run the worker; the kinds of everything that went to ``person``, in order."""
    sms.sent  # noqa: B018 - reading runs the worker
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.kind)
                .where(OutboundMessage.newcomer_id == person.id, OutboundMessage.status.in_(("sent", "delivered")))
                .order_by(OutboundMessage.sent_at, OutboundMessage.id)
            )
        )


# -- yes and no ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", YES)
def test_a_yes_confirms_the_appointment_and_is_thanked(hooks, client, person, staff_id, sms, clock, word):
    attendee_id = book(hooks, person, staff_id)
    assert sent_kinds(hooks, sms, person) == ["appointment_booked"]
    clock.move_to(START - timedelta(days=2))
    assert sent_kinds(hooks, sms, person) == ["appointment_booked", "appointment_reminder"]
    clock.move_to(START - timedelta(days=2, minutes=-30))
    reply(client, person, word)
    assert attendee(hooks, attendee_id) == ("confirmed", "sms", 0)
    assert conversation(hooks, person) == []
    assert sent_kinds(hooks, sms, person)[-1] == "appointment_confirmed_ack"
    thanks = sms.sent[-1][1]
    assert "thank you, we noted that you come to the PVT lesson" in thanks
    assert "Hoorn" in thanks


@pytest.mark.parametrize("word", NO)
def test_a_no_records_cannot_come_in_the_conversation(hooks, client, person, staff_id, sms, clock, word):
    attendee_id = book(hooks, person, staff_id)
    assert sent_kinds(hooks, sms, person) == ["appointment_booked"]
    clock.move_to(NOW + timedelta(hours=3))
    reply(client, person, word)
    assert attendee(hooks, attendee_id) == ("cannot_come", "sms", 0)
    (message,) = conversation(hooks, person)
    assert (message.direction, message.channel, message.attendee_id, message.body) == ("in", "sms", attendee_id, word)
    assert message.read_at is None
    assert sent_kinds(hooks, sms, person) == ["appointment_booked", "appointment_cannot_come_ack"]
    assert "we told your klantmanager you cannot come" in sms.sent[-1][1]


@pytest.mark.parametrize("body", ["1 maybe", "hello", "12", "yes please, but later"])
def test_anything_else_is_a_normal_conversation_message(hooks, client, person, staff_id, sms, clock, body):
    attendee_id = book(hooks, person, staff_id)
    sms.sent  # noqa: B018 - the confirmation goes
    reply(client, person, body)
    assert attendee(hooks, attendee_id) == (None, None, None)
    (message,) = conversation(hooks, person)
    assert (message.direction, message.channel, message.attendee_id, message.body) == ("in", "sms", None, body)
    assert sent_kinds(hooks, sms, person) == ["appointment_booked", "inbound_ack"]


# -- what it answers ------------------------------------------------------------------------------------


def test_no_appointment_sms_within_7_days_makes_it_a_plain_message(hooks, client, person, staff_id, sms, clock):
    start = NOW + timedelta(days=20)
    attendee_id = book(hooks, person, staff_id, start=start)
    assert sent_kinds(hooks, sms, person) == ["appointment_booked"]
    clock.move_to(NOW + timedelta(days=6, hours=23))
    reply(client, person, "1")  # within the 7 days: an answer
    assert attendee(hooks, attendee_id)[0] == "confirmed"
    clock.move_to(NOW + timedelta(days=7, minutes=1))
    reply(client, person, "2")  # the confirmation is older than 7 days, no reminder yet
    assert attendee(hooks, attendee_id)[0] == "confirmed"
    (message,) = conversation(hooks, person)
    assert (message.body, message.attendee_id) == ("2", None)


def test_someone_with_no_appointment_who_says_1_writes_a_plain_message(hooks, client, person, sms, clock):
    reply(client, person, "1")
    (message,) = conversation(hooks, person)
    assert (message.body, message.attendee_id) == ("1", None)
    assert sent_kinds(hooks, sms, person) == ["inbound_ack"]


def test_an_answer_after_the_start_goes_to_the_conversation(hooks, client, person, staff_id, sms, clock):
    attendee_id = book(hooks, person, staff_id)
    clock.move_to(START - timedelta(hours=2))
    assert sent_kinds(hooks, sms, person)[-1] == "appointment_reminder"
    clock.move_to(START + timedelta(minutes=10))
    reply(client, person, "1")
    assert attendee(hooks, attendee_id) == (None, None, None)
    assert [m.body for m in conversation(hooks, person)] == ["1"]


def test_an_answer_for_a_cancelled_appointment_goes_to_the_conversation(hooks, client, person, staff_id, sms, clock):
    attendee_id = book(hooks, person, staff_id)
    sms.sent  # noqa: B018
    with hooks.app_context():
        row = db.session.get(Attendee, attendee_id)
        services.cancel(row.appointment, "staff_unavailable", actor=db.session.get(Staff, staff_id))
        db.session.commit()
    reply(client, person, "2")
    assert attendee(hooks, attendee_id) == (None, None, None)
    assert [(m.body, m.attendee_id) for m in conversation(hooks, person)] == [("2", None)]


def test_stop_still_wins_over_an_answer(hooks, client, person, staff_id, sms, clock):
    attendee_id = book(hooks, person, staff_id)
    sms.sent  # noqa: B018
    reply(client, person, "STOP")
    assert attendee(hooks, attendee_id) == (None, None, None)
    assert conversation(hooks, person) == []
    with hooks.app_context():
        assert db.session.scalars(select(SmsOptOut.category).where(SmsOptOut.newcomer_id == person.id)).all() == ["all"]
    assert sent_kinds(hooks, sms, person) == ["appointment_booked", "keyword_stopped"]


def test_a_retried_webhook_changes_nothing_the_second_time(hooks, client, person, staff_id, sms, clock):
    attendee_id = book(hooks, person, staff_id)
    sms.sent  # noqa: B018
    sid = new_sid()
    reply(client, person, "2", sid=sid)
    after_first = changes(hooks)
    answered = attendee(hooks, attendee_id)
    clock.move_to(NOW + timedelta(minutes=5))
    reply(client, person, "2", sid=sid)
    reply(client, person, "1", sid=sid)  # the same SID with another body: still the first message's
    assert changes(hooks) == after_first
    assert attendee(hooks, attendee_id) == answered == ("cannot_come", "sms", 0)
    assert len(conversation(hooks, person)) == 1
    assert sent_kinds(hooks, sms, person) == ["appointment_booked", "appointment_cannot_come_ack"]


def test_with_two_appointments_the_latest_sms_decides_which_is_answered(hooks, client, person, staff_id, sms, clock):
    first = book(hooks, person, staff_id)
    sms.sent  # noqa: B018 - its confirmation
    clock.move_to(NOW + timedelta(hours=1))
    second = book(hooks, person, staff_id, start=START + timedelta(days=3))
    sms.sent  # noqa: B018 - the second confirmation, the latest SMS now
    reply(client, person, "1")
    assert attendee(hooks, first)[0] is None
    assert attendee(hooks, second)[0] == "confirmed"
    clock.move_to(START - timedelta(days=2))  # the first one's reminder is the latest now
    assert sent_kinds(hooks, sms, person)[-1] == "appointment_reminder"
    clock.move_to(START - timedelta(days=2, minutes=-10))
    reply(client, person, "2")
    assert attendee(hooks, first)[0] == "cannot_come"
    assert attendee(hooks, second)[0] == "confirmed"
    assert [m.attendee_id for m in conversation(hooks, person)] == [first]


def test_an_answer_after_a_move_is_for_the_new_time(hooks, client, person, staff_id, sms, clock):
    attendee_id = book(hooks, person, staff_id)
    sms.sent  # noqa: B018
    reply(client, person, "1")
    assert attendee(hooks, attendee_id) == ("confirmed", "sms", 0)
    clock.move_to(NOW + timedelta(hours=2))
    with hooks.app_context():
        appointment = db.session.get(Attendee, attendee_id).appointment
        services.move(appointment, START + timedelta(days=1), actor=db.session.get(Staff, staff_id))
        db.session.commit()
    assert sent_kinds(hooks, sms, person)[-1] == "appointment_moved"
    reply(client, person, "ja")
    assert attendee(hooks, attendee_id) == ("confirmed", "sms", 1)  # the answer is for sequence 1
    with hooks.app_context():
        assert db.session.scalar(select(Appointment.sequence)) == 1
