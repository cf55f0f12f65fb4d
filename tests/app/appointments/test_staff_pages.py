"""The klantmanager's appointment pages (app/appointments/staff_routes.py): booking one from the file,
group sessions with invitations and a waiting list, the detail page with every SMS's fate, moving,
cancelling, taking someone off, attendance, clashes, and hostile input.

Time is frozen (ticking) on a Tuesday in October 2026, summer time: 11:00 in Hoorn is 09:00 UTC.
The klantmanager signs in inside the frozen time, so the session and its TOTP code agree with it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment
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
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def booking(staff, **changes):
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
        "staff": str(staff.id),
        "bring": ["id", "letter"],
        "note": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post_booking(client, person_id, staff, **changes):
    page = client.get(f"{BASE}/new/{person_id}")
    assert page.status_code == 200
    return client.post(
        f"{BASE}/new/{person_id}", data={"csrf_token": csrf_token(page.text), **booking(staff, **changes)}
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
