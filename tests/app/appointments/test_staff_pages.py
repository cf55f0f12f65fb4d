"""The klantmanager's appointment pages (app/appointments/staff_routes.py): booking one from the file,
group sessions with invitations and a waiting list, the detail page with every SMS's fate, moving,
cancelling, taking someone off, attendance, clashes, and hostile input.

Time is frozen (ticking) on a Tuesday in October 2026, summer time: 11:00 in Hoorn is 09:00 UTC.
The klantmanager signs in inside the frozen time, so the session and its TOTP code agree with it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import select

from app.appointments import services
from app.extensions import db
from app.models import Appointment, Attendee, Newcomer, Staff
from app.models.message import OutboundMessage
from tests.conftest import csrf_token, staff_sign_in

NOW = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
START = datetime(2026, 10, 13, 8, 30, tzinfo=UTC)
"""Tuesday 13 October 2026, 10:30 in Hoorn."""
BASE = "/backoffice/appointments"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def staff(client, make_staff, clock):
    """A klantmanager of Hoorn, signed in (the client is theirs)."""
    login = make_staff()
    staff_sign_in(client, login)
    return login


@pytest.fixture
def amal(make_newcomer):
    return make_newcomer(name="Amal Al-Hassan", language="en")


def text_of(html: str) -> str:
    """The page's text as a reader sees it (inline elements joined to their words)."""
    html = re.sub(r"</?(?:bdi|a|span|b)\b[^>]*>", "", html)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def booking(login, **changes):
    data = {
        "kind": "intake_talk",
        "day": "2026-10-13",
        "start": "10:30",
        "duration": "90",
        "end": "",
        "mode": "in_person",
        "location": "Stadhuis",
        "address": "Nieuwe Noord 2, Hoorn",
        "room": "2.14",
        "video_link": "",
        "staff": str(login.id),
        "bring": ["id", "letter"],
        "note": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post_booking(client, person_id, login, **changes):
    page = client.get(f"{BASE}/new/{person_id}")
    assert page.status_code == 200
    return client.post(
        f"{BASE}/new/{person_id}", data={"csrf_token": csrf_token(page.text), **booking(login, **changes)}
    )


def appointments(app):
    with app.app_context():
        rows = db.session.scalars(select(Appointment).order_by(Appointment.id)).all()
        db.session.expunge_all()
        return rows


def test_the_book_page_renders(client, app, staff, amal):
    response = post_booking(client, amal.id, staff)
    assert response.status_code == 302, text_of(response.text)
    detail = client.get(response.headers["Location"])
    assert detail.status_code == 200, detail.text


def detail_of(client, appointment_id):
    page = client.get(f"{BASE}/{appointment_id}")
    assert page.status_code == 200
    return page


def attendees_of(app, appointment_id):
    with app.app_context():
        rows = db.session.scalars(
            select(Attendee).where(Attendee.appointment_id == appointment_id).order_by(Attendee.id)
        ).all()
        db.session.expunge_all()
        return rows


def outbox_of(app, attendee_id):
    with app.app_context():
        return [
            (m.kind, m.status)
            for m in db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.cause_type == services.ATTENDEE_CAUSE, OutboundMessage.cause_id == attendee_id)
                .order_by(OutboundMessage.send_after, OutboundMessage.id)
            )
        ]


def service_booking(app, login, people, *, kind="pvt_session", start=START, capacity=None, now=NOW, **details):
    """An appointment booked through the service (``now`` may be in the past: a begun appointment)."""
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        newcomers = [db.session.get(Newcomer, p.id) for p in people]
        municipality_id = staff.municipality_ids[0]
        appointment, _result = services.book(
            municipality_id,
            services.Details(
                kind=kind, starts_at=start, location="Stadhuis", capacity=capacity, staff_id=staff.id, **details
            ),
            newcomers,
            actor=staff,
            now=now,
        )
        db.session.commit()
        return appointment.id


# -- booking one -----------------------------------------------------------------------------------


def test_booking_from_the_file_books_in_amsterdam_time_and_queues_the_sms(client, app, staff, amal):
    file_page = client.get(f"/backoffice/newcomers/{amal.id}")
    assert f'href="{BASE}/new/{amal.id}"' in file_page.text
    assert "No upcoming appointments." in text_of(file_page.text)

    response = post_booking(client, amal.id, staff, note="Bring the papers of the housing")
    assert response.status_code == 302
    [appointment] = appointments(app)
    assert response.headers["Location"].endswith(f"{BASE}/{appointment.id}")
    assert appointment.starts_at == START  # 10:30 in Hoorn in summer time
    assert appointment.ends_at == START + timedelta(minutes=90)
    assert appointment.bring == ["id", "letter"]
    assert appointment.staff_id == staff.id
    assert appointment.created_by_staff_id == staff.id
    [attendee] = attendees_of(app, appointment.id)
    assert attendee.newcomer_id == amal.id
    assert outbox_of(app, attendee.id) == [
        ("appointment_booked", "queued"),
        ("appointment_reminder", "queued"),
        ("appointment_reminder", "queued"),
    ]

    page = text_of(detail_of(client, appointment.id).text)
    assert "Intake talk" in page
    assert "Stadhuis, room 2.14" in page
    assert "Bring the papers of the housing" in page  # the staff note, on the staff page
    assert "Amal Al-Hassan" in page
    assert "Confirmation of a new appointment" in page
    assert "Appointment reminder" in page
    assert "waiting to be sent" in page
    assert "no answer yet" in page

    file_page = text_of(client.get(f"/backoffice/newcomers/{amal.id}").text)
    assert "Intake talk" in file_page
    assert "no answer yet" in file_page


def test_the_map_link_is_a_plain_openstreetmap_search_for_the_address(client, app, staff, amal):
    post_booking(client, amal.id, staff, address="Nieuwe Noord 2 & 3, Hoorn")
    [appointment] = appointments(app)
    html = detail_of(client, appointment.id).text
    assert 'href="https://www.openstreetmap.org/search?query=Nieuwe%20Noord%202%20%26%203%2C%20Hoorn"' in html
    assert "<script src=" not in html.replace('<script src="/static/', "")  # no third-party script


def test_picking_a_kind_fills_in_its_duration_and_what_to_bring(client, app, staff, amal):
    page = client.get(f"{BASE}/new/{amal.id}?kind=learnability_test")
    assert page.status_code == 200
    assert 'name="duration" type="number" value="180"' in page.text
    for key in ("id", "letter", "glasses"):
        assert f'value="{key}" checked' in page.text
    assert 'value="pen" checked' not in page.text
    assert "Held without an interpreter." in text_of(page.text)

    # the button keeps everything typed and only fills in the kind's usual values
    response = client.post(
        f"{BASE}/new/{amal.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "prefill": "1",
            **booking(staff, kind="progress_talk", location="Bibliotheek"),
        },
    )
    assert response.status_code == 200
    assert 'name="duration" type="number" value="45"' in response.text
    assert 'value="Bibliotheek"' in response.text
    assert appointments(app) == []


def test_an_end_time_instead_of_a_duration(client, app, staff, amal):
    assert post_booking(client, amal.id, staff, duration="", end="12:15").status_code == 302
    [appointment] = appointments(app)
    assert appointment.ends_at == START + timedelta(minutes=105)


def test_a_group_kind_is_not_offered_for_one_newcomer(client, app, staff, amal):
    response = post_booking(client, amal.id, staff, kind="pvt_session")
    assert response.status_code == 422
    assert "Not a valid choice" in response.text or "Choose" in response.text
    assert appointments(app) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"day": "9999-12-31"}, "day", "Type a date from"),
        ({"day": "2026-10-05"}, "day", "Type a date from"),
        ({"day": "13-10-2026"}, "day", "Not a valid date"),
        ({"day": "2026-10-06", "start": "10:00"}, "start", "The appointment must start in the future."),
        ({"day": "2027-03-28", "start": "02:30"}, "start", "the clocks go forward"),
        ({"start": ""}, "start", "Give the start time"),
        ({"duration": "", "end": ""}, "duration", "Give the duration or the end time."),
        ({"duration": "99999"}, "duration", "A duration from 5 to 720 minutes."),
        ({"duration": "", "end": "09:00"}, "end", "The end must be after the start."),
        ({"location": ""}, "location", "Give the place of an appointment in person."),
        ({"location": "x" * 81}, "location", "Write at most 80 characters."),
        ({"mode": "video", "video_link": "http://meet.example.org/x"}, "video_link", "Give the video link"),
        ({"mode": "video", "video_link": "https:// spaces"}, "video_link", "Give the video link"),
        ({"mode": "teleport"}, "mode", "Not a valid choice"),
        ({"staff": "2147483648"}, "staff", "Choose a staff member from the list."),
        ({"staff": ""}, "staff", "Choose the staff member."),
        ({"staff": "999999"}, "staff", "Choose a staff member from the list."),
        ({"bring": ["id", "passport_of_the_cat"]}, "bring", "Choose what to bring from the list."),
        (
            {"kind": "learnability_test", "interpreter": "y", "interpreter_language": "ar"},
            "interpreter_language",
            "held without an interpreter",
        ),
        (
            {"interpreter": "y", "interpreter_language": "xx"},
            "interpreter_language",
            "Choose a language from the list.",
        ),
        (
            {"interpreter": "y", "interpreter_language": ""},
            "interpreter_language",
            "Choose the language of the interpreter.",
        ),
    ],
)
def test_a_mistake_is_shown_next_to_its_field_and_nothing_typed_is_lost(
    client, app, staff, amal, changes, field, message
):
    response = post_booking(client, amal.id, staff, note="Kept <b>note</b>", room="Kamer 7", **changes)
    assert response.status_code == 422
    errors = re.findall(
        r'<p class="utrecht-form-field-error-message" id="([\w-]+)-error">(.*?)</p>', response.text, re.S
    )
    assert any(name.startswith(field) and message in unescape(text) for name, text in errors), errors
    assert "Kept &lt;b&gt;note&lt;/b&gt;" in response.text
    assert 'value="Kamer 7"' in response.text
    assert appointments(app) == []


def test_a_video_appointment_keeps_its_link_and_no_place(client, app, staff, amal):
    response = post_booking(client, amal.id, staff, mode="video", video_link="https://meet.example.org/abc")
    assert response.status_code == 302
    [appointment] = appointments(app)
    assert appointment.video_link == "https://meet.example.org/abc"
    assert appointment.location is None
    assert "openstreetmap" not in detail_of(client, appointment.id).text


def test_an_interpreter_request_and_the_arranged_toggle(client, app, staff, amal):
    post_booking(client, amal.id, staff, interpreter="y", interpreter_language="ar")
    [appointment] = appointments(app)
    [attendee] = attendees_of(app, appointment.id)
    assert attendee.interpreter_language == "ar"
    assert attendee.interpreter_arranged is False
    page = detail_of(client, appointment.id)
    assert "not arranged yet" in page.text
    action = f"{BASE}/{appointment.id}/attendees/{attendee.id}/interpreter"
    assert client.post(action, data={"arranged": "1"}).status_code == 400  # no CSRF token
    response = client.post(action, data={"csrf_token": csrf_token(page.text), "arranged": "1"})
    assert response.status_code == 302
    assert attendees_of(app, appointment.id)[0].interpreter_arranged is True
    assert "Mark as not arranged" in detail_of(client, appointment.id).text


# -- clashes and double submits ---------------------------------------------------------------------


def test_a_clash_warns_and_books_only_with_book_anyway(client, app, staff, amal):
    assert post_booking(client, amal.id, staff).status_code == 302
    response = post_booking(client, amal.id, staff, kind="pip_talk", start="11:00", duration="60")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Double-booked" in page
    assert "Nothing is saved yet." in page
    assert "Amal Al-Hassan: Intake talk" in page
    assert "the staff member" in page
    assert 'name="anyway"' in response.text
    assert 'value="11:00"' in response.text  # what was typed is kept
    assert len(appointments(app)) == 1

    response = post_booking(client, amal.id, staff, kind="pip_talk", start="11:00", duration="60", anyway="y")
    assert response.status_code == 302
    assert len(appointments(app)) == 2


def test_a_double_submit_books_once(client, app, staff, amal):
    page = client.get(f"{BASE}/new/{amal.id}")
    data = {"csrf_token": csrf_token(page.text), **booking(staff)}
    first = client.post(f"{BASE}/new/{amal.id}", data=data)
    second = client.post(f"{BASE}/new/{amal.id}", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    [appointment] = appointments(app)
    [attendee] = attendees_of(app, appointment.id)
    assert [kind for kind, _status in outbox_of(app, attendee.id)].count("appointment_booked") == 1
    assert "This appointment was booked already." in client.get(second.headers["Location"]).text


def test_the_same_booking_later_is_a_clash_not_a_duplicate(client, app, staff, amal, clock):
    page = client.get(f"{BASE}/new/{amal.id}")
    data = {"csrf_token": csrf_token(page.text), **booking(staff)}
    assert client.post(f"{BASE}/new/{amal.id}", data=data).status_code == 302
    clock.shift(timedelta(minutes=2))
    response = client.post(f"{BASE}/new/{amal.id}", data=data)
    assert response.status_code == 200
    assert "Double-booked" in response.text
    assert len(appointments(app)) == 1
