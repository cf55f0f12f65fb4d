"""The newcomer's appointment page: what they read, "I will come", "I cannot come" (app/appointments/routes.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.models import Attendee, Newcomer, Staff
from app.models.conversation import ConversationMessage
from app.models.types import utcnow
from tests.conftest import csrf_token, sign_in, staff_sign_in


@pytest.fixture
def staff_id(app, make_staff):
    login = make_staff()
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        staff.name = "Sanne de Vries"
        db.session.commit()
    return login.id


def book(app, person, staff_id, *, days=7.0, mode="in_person", interpreter=None, **details):
    """Book an appointment for ``person`` (and return their attendee id)."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        values = {
            "kind": "intake_talk",
            "starts_at": (utcnow() + timedelta(days=days)).replace(microsecond=0),
            "mode": mode,
            "staff_id": staff_id,
            "note": "Staff only: speaks softly",
        }
        if mode == "in_person":
            values |= {"location": "Stadhuis", "room": "2.14", "address": "Nieuwe Steen 1, Hoorn"}
        values |= details
        _appointment, result = services.book(
            newcomer.municipality_id,
            Details(**values),
            [newcomer],
            actor=db.session.get(Staff, staff_id),
            interpreter={newcomer.id: interpreter} if interpreter else None,
        )
        db.session.commit()
        return result.invited[0].id if result.invited else result.waiting[0].id


def attendee(app, attendee_id):
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        db.session.expunge(row)
        return row


def cannot_come_messages(app, attendee_id):
    with app.app_context():
        return db.session.scalars(
            select(ConversationMessage).where(ConversationMessage.attendee_id == attendee_id)
        ).all()


def test_the_page_shows_what_when_where_who_and_what_to_bring_but_never_the_note(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id, interpreter="ar")
    page = signed_in.get(f"/appointments/{attendee_id}")
    assert page.status_code == 200
    assert "Intake talk" in page.text
    assert "Stadhuis, room 2.14" in page.text
    assert "Nieuwe Steen 1, Hoorn" in page.text
    assert 'href="https://www.openstreetmap.org/search?query=Nieuwe%20Steen%201%2C%20Hoorn"' in page.text
    assert "Sanne de Vries" in page.text
    assert "your ID card or residence permit" in page.text
    assert "the letter of the municipality" in page.text
    assert "An interpreter is asked for: Arabic." in page.text
    assert "Staff only" not in page.text
    assert '<script src="https://' not in page.text  # no third-party map script
    assert f'href="/appointments/{attendee_id}.ics"' in page.text
    assert 'href="/calendar"' in page.text


def test_the_time_is_in_amsterdam_time(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    with app.app_context():
        starts_at = db.session.get(Attendee, attendee_id).appointment.starts_at
    from zoneinfo import ZoneInfo

    local = starts_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    page = signed_in.get(f"/appointments/{attendee_id}")
    assert f"{local:%-I}:{local:%M}" in page.text
    assert str(local.year) in page.text


def test_by_phone_and_by_video(app, signed_in, newcomer, staff_id):
    phone = book(app, newcomer, staff_id, mode="phone")
    video = book(app, newcomer, staff_id, days=8, mode="video", video_link="https://meet.example.nl/abc")
    assert "By phone. We call you." in signed_in.get(f"/appointments/{phone}").text
    page = signed_in.get(f"/appointments/{video}").text
    assert "By video." in page
    assert 'href="https://meet.example.nl/abc"' in page
    assert "openstreetmap" not in page


def test_someone_elses_appointment_is_not_found(app, signed_in, make_newcomer, staff_id):
    other = make_newcomer(name="Yonas Tesfay", language="ti")
    attendee_id = book(app, other, staff_id)
    assert signed_in.get(f"/appointments/{attendee_id}").status_code == 404
    assert signed_in.get(f"/appointments/{attendee_id}.ics").status_code == 404
    assert signed_in.get(f"/appointments/{attendee_id}/cannot-come").status_code == 404
    token = csrf_token(signed_in.get("/calendar").text)
    assert signed_in.post(f"/appointments/{attendee_id}/confirm", data={"csrf_token": token}).status_code == 404
    assert attendee(app, attendee_id).response is None


@pytest.mark.parametrize("path", ["/appointments/2147483648", "/appointments/99999999999999", "/appointments/-1"])
def test_ids_out_of_range_are_not_found(signed_in, path):
    assert signed_in.get(path).status_code == 404
    assert signed_in.get(path + ".ics").status_code == 404


def test_staff_do_not_get_a_newcomers_page(app, client, newcomer, make_staff, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    staff_sign_in(client, make_staff())
    assert client.get(f"/appointments/{attendee_id}").status_code == 404
    assert client.get("/calendar").status_code == 404


def test_signing_in_is_needed(app, client, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    response = client.get(f"/appointments/{attendee_id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_i_will_come_confirms(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    page = signed_in.get(f"/appointments/{attendee_id}")
    response = signed_in.post(f"/appointments/{attendee_id}/confirm", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/appointments/{attendee_id}")
    row = attendee(app, attendee_id)
    assert row.response == "confirmed"
    assert row.response_channel == "web"
    assert row.response_sequence == 0
    assert cannot_come_messages(app, attendee_id) == []
    page = signed_in.get(f"/appointments/{attendee_id}").text
    assert "Thank you. You said you will come." in page
    assert "You said: I will come." in page


def test_i_cannot_come_writes_the_reason_into_the_conversation(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    form = signed_in.get(f"/appointments/{attendee_id}/cannot-come")
    assert form.status_code == 200
    response = signed_in.post(
        f"/appointments/{attendee_id}/cannot-come",
        data={"csrf_token": csrf_token(form.text), "reason": "My child is ill\x07 that day"},
    )
    assert response.status_code == 303
    row = attendee(app, attendee_id)
    assert row.response == "cannot_come"
    assert row.response_channel == "web"
    messages = cannot_come_messages(app, attendee_id)
    assert len(messages) == 1
    assert messages[0].body == "My child is ill that day"  # no control characters
    assert messages[0].direction == "in"
    assert messages[0].newcomer_id == newcomer.id
    page = signed_in.get(f"/appointments/{attendee_id}").text
    assert "Your klantmanager will contact you." in page
    assert "My child is ill" not in page  # the reason is not shown again on the page


def test_a_missing_or_too_long_reason_comes_back_with_the_text_kept(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    token = csrf_token(signed_in.get(f"/appointments/{attendee_id}/cannot-come").text)
    empty = signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422
    assert "Please write why you cannot come." in empty.text
    assert 'aria-invalid="true"' in empty.text
    long = "I am at work " * 40
    too_long = signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": long})
    assert too_long.status_code == 422
    assert "Write at most 500 characters." in too_long.text
    assert long.strip() in too_long.text
    assert cannot_come_messages(app, attendee_id) == []
    assert attendee(app, attendee_id).response is None


def test_a_double_submit_writes_one_message(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    token = csrf_token(signed_in.get(f"/appointments/{attendee_id}/cannot-come").text)
    for _ in range(2):
        response = signed_in.post(
            f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "I have to work"}
        )
        assert response.status_code == 303
    assert len(cannot_come_messages(app, attendee_id)) == 1


def test_a_cancelled_appointment_cannot_be_answered(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        services.cancel(row.appointment, "staff_unavailable", actor=db.session.get(Staff, staff_id))
        db.session.commit()
    page = signed_in.get(f"/appointments/{attendee_id}")
    assert "This appointment is cancelled." in page.text
    assert "the staff member is not available" in page.text
    assert "I will come" not in page.text
    token = csrf_token(page.text)
    response = signed_in.post(f"/appointments/{attendee_id}/confirm", data={"csrf_token": token})
    assert response.status_code == 303
    assert "This appointment is cancelled. You do not have to come." in signed_in.get(response.headers["Location"]).text
    response = signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 303
    assert signed_in.get(f"/appointments/{attendee_id}/cannot-come").status_code == 303
    assert attendee(app, attendee_id).response is None
    assert cannot_come_messages(app, attendee_id) == []


def test_the_waiting_list(app, client, make_newcomer, staff_id):
    first, second = make_newcomer(name="Eyob Kidane", language="en"), make_newcomer(name="Sara Haile", language="en")
    with app.app_context():
        newcomers = [db.session.get(Newcomer, p.id) for p in (first, second)]
        _appointment, result = services.book(
            newcomers[0].municipality_id,
            Details(kind="pvt_session", starts_at=utcnow() + timedelta(days=5), location="Bibliotheek", capacity=1),
            newcomers,
            actor=db.session.get(Staff, staff_id),
        )
        db.session.commit()
        waiting_id = result.waiting[0].id
    sign_in(client, second)
    page = client.get(f"/appointments/{waiting_id}").text
    assert "You are on the waiting list" in page
    assert "I will come" not in page
    assert client.get(f"/appointments/{waiting_id}.ics").status_code == 404


def test_an_appointment_that_began_cannot_be_answered(app, signed_in, newcomer, staff_id):
    import time_machine

    attendee_id = book(app, newcomer, staff_id, days=1 / 24)  # in an hour
    token = csrf_token(signed_in.get(f"/appointments/{attendee_id}").text)
    with time_machine.travel(utcnow() + timedelta(minutes=65), tick=False):  # within the session's idle time
        response = signed_in.post(f"/appointments/{attendee_id}/confirm", data={"csrf_token": token})
        assert response.status_code == 303
        assert "This appointment has already begun or is over." in signed_in.get(response.headers["Location"]).text
    assert attendee(app, attendee_id).response is None


def test_cannot_come_counts_against_the_same_limit_as_the_other_answers(app, make_app, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    limited = make_app(MESSAGE_REPLY_LIMIT="2 per minute")
    phone = limited.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(phone, newcomer)
    token = csrf_token(phone.get("/messages").text)
    assert phone.post("/messages", data={"csrf_token": token, "body": "Hello"}).status_code == 302
    form = f"/appointments/{attendee_id}/cannot-come"
    assert phone.post(form, data={"csrf_token": token, "reason": ""}).status_code == 422
    assert phone.post(form, data={"csrf_token": token, "reason": "I have to work"}).status_code == 429
    assert cannot_come_messages(app, attendee_id) == []
