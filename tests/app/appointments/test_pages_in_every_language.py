"""Every new page of appointments, route and progress renders in Dutch without English left over
(the conftest scans Dutch pages for untranslated msgids), and the newcomer's pages in Arabic right
to left with Arabic text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.models import Attendee, Newcomer, Pip, Staff
from tests.conftest import sign_in, staff_sign_in
from workflows.appointments import TYPES

START = (datetime.now(UTC) + timedelta(days=10)).replace(hour=8, minute=30, second=0, microsecond=0)


@pytest.fixture
def booked(app, make_newcomer, make_staff):
    login = make_staff()
    dutch = make_newcomer(name="Sanne Bakker", language="nl")
    arabic = make_newcomer(name="Amal Al-Hassan", language="ar")
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        staff.language = "nl"
        people = [db.session.get(Newcomer, p.id) for p in (dutch, arabic)]
        for person in people:
            db.session.add(
                Pip(
                    newcomer_id=person.id,
                    municipality_id=person.municipality_id,
                    version=1,
                    leerroute="B",
                    level="B1",
                    pip_on=datetime.now(UTC).date() - timedelta(days=30),
                )
            )
        appointment, _ = services.book(
            people[0].municipality_id,
            Details(kind="pvt_session", starts_at=START, location="Stadhuis", room="2.14", address="Nieuwe Steen 1"),
            people,
            actor=staff,
        )
        db.session.commit()
        attendees = {a.newcomer_id: a.id for a in db.session.scalars(select(Attendee))}
        return login, dutch, arabic, appointment.id, attendees


def test_the_klantmanagers_pages_are_dutch(app, client, booked):
    login, dutch, _arabic, appointment_id, _attendees = booked
    staff_sign_in(client, login)
    week = START.date().isocalendar()
    paths = [
        f"/backoffice/newcomers/{dutch.id}",
        f"/backoffice/appointments/new/{dutch.id}",
        "/backoffice/appointments/groups",
        "/backoffice/appointments/groups/new",
        f"/backoffice/appointments/{appointment_id}",
        f"/backoffice/appointments/{appointment_id}/invite",
        f"/backoffice/appointments/{appointment_id}/move",
        f"/backoffice/appointments/{appointment_id}/cancel",
        f"/backoffice/appointments/agenda/day?date={START.date().isoformat()}",
        f"/backoffice/appointments/agenda/week?week={week.year}-W{week.week:02d}",
        f"/backoffice/appointments/{dutch.id}/progress",
        "/backoffice/appointments/hours-import",
        f"/backoffice/appointments/quiet-hours/{dutch.id}",
    ]
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="nl"' in page.text, path  # so the conftest's scan looks at it
    assert "Stadhuis" in client.get(f"/backoffice/appointments/{appointment_id}").text


def test_the_newcomers_pages_are_dutch(app, client, booked):
    _login, dutch, _arabic, _appointment_id, attendees = booked
    sign_in(client, dutch)
    attendee_id = attendees[dutch.id]
    for path in ("/route", f"/appointments/{attendee_id}", f"/appointments/{attendee_id}/cannot-come", "/calendar"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="nl"' in page.text, path
    with app.test_request_context(), force_locale("nl"):
        assert gettext(TYPES["pvt_session"].name) in client.get("/route").text


def test_the_newcomers_pages_are_arabic_right_to_left(app, client, booked):
    _login, _dutch, arabic, _appointment_id, attendees = booked
    sign_in(client, arabic)
    attendee_id = attendees[arabic.id]
    with app.test_request_context(), force_locale("ar"):
        name, route_title = gettext(TYPES["pvt_session"].name), gettext("My route")
    assert name != TYPES["pvt_session"].name  # translated
    for path in ("/route", f"/appointments/{attendee_id}", f"/appointments/{attendee_id}/cannot-come", "/calendar"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'lang="ar" dir="rtl"' in page.text, path
    route = client.get("/route").text
    assert name in route
    assert route_title in route
    ics = client.get(f"/appointments/{attendee_id}.ics")
    assert ics.status_code == 200
    assert name in ics.get_data(as_text=True).replace("\r\n ", "")
