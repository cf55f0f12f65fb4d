"""Changing an appointment on the klantmanager's pages: moving (with a confirmation, and "call them"
for whom no SMS reaches in time), cancelling with a reason the newcomer reads, attendance once it
has begun, the fate of every SMS and the answers; and hostile input: other municipalities, ids out
of bounds, scripts, control characters, missing CSRF tokens, a newcomer's session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.appointments import services
from app.extensions import db
from app.models import Appointment, Attendee, Staff
from app.models.message import OutboundMessage
from tests.app.appointments import test_staff_pages as pages
from tests.app.appointments.test_staff_pages import (
    BASE,
    NOW,
    START,
    appointments,
    attendees_of,
    detail_of,
    outbox_of,
    post_booking,
    service_booking,
    text_of,
)
from tests.conftest import csrf_token, staff_sign_in

clock, staff, amal = pages.clock, pages.staff, pages.amal


def move_to(client, appointment_id, confirm=True, **changes):
    page = client.get(f"{BASE}/{appointment_id}/move")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.text),
        "day": "2026-10-14",
        "start": "14:00",
        "duration": "90",
        "end": "",
        "location": "Stadhuis",
        "address": "",
        "room": "3.01",
        "staff": "",
    }
    data.update(changes)
    response = client.post(f"{BASE}/{appointment_id}/move", data=data)
    if not confirm or response.status_code != 200:
        return response
    return client.post(f"{BASE}/{appointment_id}/move", data={**data, "confirmed": "y"})


def one_appointment(client, app, login, person):
    assert post_booking(client, person.id, login).status_code == 302
    [appointment] = appointments(app)
    [attendee] = attendees_of(app, appointment.id)
    return appointment.id, attendee.id


# -- moving -----------------------------------------------------------------------------------------------


def test_moving_asks_first_then_sends_a_notice_and_new_reminders(client, app, staff, amal):
    appointment_id, attendee_id = one_appointment(client, app, staff, amal)
    page = client.get(f"{BASE}/{appointment_id}/move")
    assert 'name="start" type="time" value="10:30"' in page.text  # the present time, in Hoorn
    assert 'name="day" type="date" value="2026-10-13"' in page.text

    confirm = move_to(client, appointment_id, confirm=False)
    assert confirm.status_code == 200
    text = text_of(confirm.text)
    assert "Confirm the move" in text
    assert "1 newcomer gets an SMS about the new time, and new reminders:" in text
    assert "Amal Al-Hassan" in text
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).sequence == 0  # nothing moved yet

    response = move_to(client, appointment_id)
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.starts_at == datetime(2026, 10, 14, 12, 0, tzinfo=UTC)
        assert appointment.room == "3.01"
        assert appointment.sequence == 1
    messages = outbox_of(app, attendee_id)
    assert ("appointment_moved", "queued") in messages
    assert messages.count(("appointment_reminder", "cancelled")) == 2
    assert messages.count(("appointment_reminder", "queued")) == 2
    text = text_of(detail_of(client, appointment_id).text)
    assert "The appointment is moved. 1 newcomer gets an SMS." in text
    assert "Notice of a moved appointment" in text
    assert "The appointment was moved, or the person taken off it, before it was sent." in text  # old reminders
    assert "Call them" not in text


def test_a_move_that_no_sms_can_announce_in_time_says_whom_to_call(client, app, make_staff, make_newcomer):
    late = datetime(2026, 10, 6, 20, 30, tzinfo=UTC)  # 22:30 in Hoorn: quiet hours until 08:00
    with time_machine.travel(late, tick=True):
        login = make_staff()
        staff_sign_in(client, login)
        person = make_newcomer(name="Selam Haile", language="ti")
        appointment_id = service_booking(
            app, login, [person], kind="progress_talk", start=datetime(2026, 10, 8, 8, 30, tzinfo=UTC), now=late
        )
        assert "Call them" not in detail_of(client, appointment_id).text  # the confirmation goes at 08:00
        response = move_to(client, appointment_id, day="2026-10-07", start="07:30", duration="45")
        assert response.status_code == 302
        text = text_of(detail_of(client, appointment_id).text)
    assert "1 newcomer cannot be reached by SMS in time: call them (see below)." in text
    assert "Call them" in text
    assert "Selam Haile" in text[text.index("Call them") :]
    [attendee] = attendees_of(app, appointment_id)
    assert ("appointment_moved", "queued") not in outbox_of(app, attendee.id)


def test_a_move_onto_a_clash_needs_move_anyway(client, app, staff, amal, make_newcomer):
    appointment_id, _ = one_appointment(client, app, staff, amal)
    other = make_newcomer(name="Omar Haddad", language="en")
    service_booking(app, staff, [other], kind="progress_talk", start=datetime(2026, 10, 14, 12, 0, tzinfo=UTC))
    confirm = move_to(client, appointment_id, confirm=False)
    assert "Double-booked" in confirm.text
    response = move_to(client, appointment_id)  # confirmed, but the box is not ticked
    assert response.status_code == 422
    assert "Tick the box to move it anyway, or change the time." in response.text
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).sequence == 0
    assert move_to(client, appointment_id, anyway="y").status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).sequence == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"day": "9999-12-31"}, "Type a date from"),
        ({"day": "2026-10-06", "start": "08:00"}, "The appointment must start in the future."),
        ({"location": ""}, "Give the place of an appointment in person."),
        ({"staff": "2147483648"}, "Choose a staff member from the list."),
    ],
)
def test_a_wrong_new_time_is_a_field_error(client, app, staff, amal, changes, message):
    appointment_id, _ = one_appointment(client, app, staff, amal)
    response = move_to(client, appointment_id, confirm=False, **changes)
    assert response.status_code == 422
    assert message in text_of(response.text)
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).sequence == 0


# -- cancelling and taking off --------------------------------------------------------------------------------


def test_cancelling_shows_what_the_newcomer_reads_and_asks_first(client, app, staff, amal):
    appointment_id, attendee_id = one_appointment(client, app, staff, amal)
    page = client.get(f"{BASE}/{appointment_id}/cancel")
    assert page.status_code == 200
    assert "Your appointment cannot go ahead: the location is not available." in page.text
    token = csrf_token(page.text)
    for reason in ("", "because", "x" * 500):
        response = client.post(f"{BASE}/{appointment_id}/cancel", data={"csrf_token": token, "reason": reason})
        assert response.status_code == 422
        assert "Choose a reason from the list." in response.text

    confirm = client.post(f"{BASE}/{appointment_id}/cancel", data={"csrf_token": token, "reason": "staff_unavailable"})
    assert confirm.status_code == 200
    text = text_of(confirm.text)
    assert "The newcomers read this, in their own language:" in text
    assert "Your appointment cannot go ahead: the staff member is not available." in text
    assert "This cannot be undone." in text
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "planned"

    response = client.post(
        f"{BASE}/{appointment_id}/cancel",
        data={"csrf_token": csrf_token(confirm.text), "reason": "staff_unavailable", "confirmed": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.status == "cancelled"
        assert appointment.cancel_reason == "staff_unavailable"
    assert ("appointment_cancelled", "queued") in outbox_of(app, attendee_id)
    page = detail_of(client, appointment_id)
    assert "Cancelled on" in page.text
    assert f"{BASE}/{appointment_id}/move" not in page.text
    assert client.get(f"{BASE}/{appointment_id}/move").status_code == 302  # back to the page, with the reason
    assert client.get(f"{BASE}/{appointment_id}/cancel").status_code == 302
    assert "cancelled" in text_of(client.get(f"/backoffice/newcomers/{amal.id}").text)


def test_taking_off_asks_first(client, app, staff, amal):
    appointment_id, attendee_id = one_appointment(client, app, staff, amal)
    url = f"{BASE}/{appointment_id}/attendees/{attendee_id}/remove"
    page = client.get(url)
    assert "Take off the appointment: Amal Al-Hassan" in text_of(page.text)
    assert client.post(url).status_code == 400  # no CSRF token
    assert attendees_of(app, appointment_id)[0].status == "invited"
    assert client.post(url, data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert attendees_of(app, appointment_id)[0].status == "removed"


# -- attendance ----------------------------------------------------------------------------------------------------


def test_attendance_once_the_appointment_has_begun(client, app, staff, make_newcomer):
    yonas = make_newcomer(name="Yonas Tesfay", language="ti")
    selam = make_newcomer(name="Selam Haile", language="ti")
    appointment_id = service_booking(
        app, staff, [yonas, selam], start=NOW - timedelta(hours=1), now=NOW - timedelta(days=3)
    )
    rows = {a.newcomer_id: a.id for a in attendees_of(app, appointment_id)}
    assert "Record attendance" in detail_of(client, appointment_id).text
    page = client.get(f"{BASE}/{appointment_id}/attendance")
    assert page.status_code == 200
    token = csrf_token(page.text)
    y, s = rows[yonas.id], rows[selam.id]

    response = client.post(
        f"{BASE}/{appointment_id}/attendance",
        data={"csrf_token": token, f"a{y}": "present", f"a{s}": "absent_excused", f"r{s}": ""},
    )
    assert response.status_code == 422
    assert "Give the reason of the absence." in response.text
    assert 'value="present" checked' in response.text  # Yonas's choice is kept
    assert [a.attendance for a in attendees_of(app, appointment_id)] == [None, None]

    response = client.post(
        f"{BASE}/{appointment_id}/attendance",
        data={"csrf_token": token, f"a{y}": "present", f"a{s}": "absent_excused", f"r{s}": "Ziek <b>"},
    )
    assert response.status_code == 302
    found = {a.id: (a.attendance, a.absence_reason) for a in attendees_of(app, appointment_id)}
    assert found == {y: ("present", None), s: ("absent_excused", "Ziek <b>")}
    text = text_of(detail_of(client, appointment_id).text)
    assert "Absent with a reason: Ziek <b>" in text  # escaped on the page, read back as text

    assert (
        client.post(f"{BASE}/{appointment_id}/attendance", data={"csrf_token": token, "all_present": "y"}).status_code
        == 302
    )
    assert {a.attendance for a in attendees_of(app, appointment_id)} == {"present"}

    response = client.post(f"{BASE}/{appointment_id}/attendance", data={"csrf_token": token, f"a{y}": "asleep"})
    assert response.status_code == 422


def test_attendance_waits_until_the_appointment_begins(client, app, staff, amal):
    appointment_id, _ = one_appointment(client, app, staff, amal)
    response = client.get(f"{BASE}/{appointment_id}/attendance")
    assert response.status_code == 302
    assert "Attendance can be recorded once the appointment has begun." in client.get(response.headers["Location"]).text


# -- the fate of each SMS, the answers -------------------------------------------------------------------------------


def test_the_detail_page_shows_each_sms_fate_and_the_answers(client, app, staff, amal, sms):
    appointment_id, attendee_id = one_appointment(client, app, staff, amal)
    assert len(sms.sent) == 1  # the confirmation went out now; the reminders wait
    with app.app_context():
        reminder = db.session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.cause_id == attendee_id, OutboundMessage.kind == "appointment_reminder"
            )
        ).first()
        reminder.status, reminder.error_code = "failed", "30005"
        attendee = db.session.get(Attendee, attendee_id)
        services.respond(attendee, "cannot_come", "sms", reason="2 ik ben dan bij de dokter")
        db.session.commit()
    text = text_of(detail_of(client, appointment_id).text)
    assert "Confirmation of a new appointment sent" in text
    assert "This number does not exist (any more). Ask for the current number." in text
    assert "cannot come (by SMS," in text
    assert "2 ik ben dan bij de dokter" in text
    assert "cannot come" in text_of(client.get(f"/backoffice/newcomers/{amal.id}").text)


# -- hostile input -------------------------------------------------------------------------------------------


def test_another_municipalitys_appointment_does_not_exist(client, app, staff, amal, make_staff, audit_log):
    login = make_staff(codes=("0532",))
    with app.app_context():
        theirs = db.session.get(Staff, login.id)
        other = theirs.municipalities[0]
        appointment, _ = services.book(
            other.id,
            services.Details(kind="pvt_session", starts_at=START, location="Raadhuis"),
            [],
            actor=theirs,
            now=NOW,
        )
        db.session.commit()
        theirs_id = appointment.id
    page = client.get(f"{BASE}/groups")
    assert "Raadhuis" not in page.text
    for path in ("", "/move", "/cancel", "/invite", "/attendance"):
        assert client.get(f"{BASE}/{theirs_id}{path}").status_code == 404
    token = (
        csrf_token(page.text) if 'name="csrf_token"' in page.text else csrf_token(client.get(f"{BASE}/groups/new").text)
    )
    assert (
        client.post(
            f"{BASE}/{theirs_id}/cancel", data={"csrf_token": token, "reason": "other", "confirmed": "y"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(Appointment, theirs_id).status == "planned"
    entries = audit_log(record_type="appointment", record_id=theirs_id)
    assert [e.action for e in entries if e.result == "ok"] == ["appointment.booked"]  # by their own staff
    assert len([e for e in entries if e.result == "denied"]) == 6


@pytest.mark.parametrize(
    "path",
    [
        "/2147483648",
        "/99999999999999999999",
        "/-1",
        "/2147483648/move",
        "/1/attendees/2147483648/remove",
        "/new/2147483648",
        "/new/1",
    ],
)
def test_impossible_ids_are_404_not_500(client, staff, path):
    assert client.get(f"{BASE}{path}").status_code == 404


def test_scripts_are_escaped_and_control_characters_stripped(client, app, staff, amal):
    response = post_booking(
        client, amal.id, staff, location="<script>alert(1)</script>", room="2\x00.1\x1b4", note="a\x7fb<img src=x>"
    )
    assert response.status_code == 302
    [appointment] = appointments(app)
    assert appointment.room == "2.14"
    assert appointment.note == "ab<img src=x>"
    html = detail_of(client, appointment.id).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html


def test_every_write_needs_the_csrf_token(client, app, staff, amal):
    assert client.post(f"{BASE}/new/{amal.id}", data=pages.booking(staff)).status_code == 400
    assert client.post(f"{BASE}/groups/new", data={"kind": "pvt_session"}).status_code == 400
    assert appointments(app) == []


def test_a_newcomer_gets_404_on_the_staff_pages(signed_in, app, newcomer, make_staff):
    login = make_staff()
    appointment_id = service_booking(app, login, [newcomer])
    [attendee] = attendees_of(app, appointment_id)
    for path in (
        f"/{appointment_id}",
        f"/{appointment_id}/move",
        f"/{appointment_id}/cancel",
        f"/{appointment_id}/invite",
        f"/{appointment_id}/attendance",
        f"/{appointment_id}/attendees/{attendee.id}/remove",
        f"/new/{newcomer.id}",
        "/groups",
        "/groups/new",
    ):
        assert signed_in.get(f"{BASE}{path}").status_code == 404, path


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_get_404(client, app, make_staff, amal, role, clock):
    staff_sign_in(client, make_staff(role=role))
    assert client.get(f"{BASE}/new/{amal.id}").status_code == 404
    assert client.get(f"{BASE}/groups").status_code == 404
