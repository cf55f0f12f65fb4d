"""The newcomer's "My route" page: the parts of the PIP with their progress, the term, what comes
next, and their appointments (app/appointments/route_page.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.models import Attendee, Newcomer, Staff
from app.models.appointment import HOURS_MAP, HOURS_PVT, HOURS_Z_PARTICIPATION, HoursEntry, RouteProgress
from app.models.pip import Pip
from tests.conftest import sign_in

# A Tuesday in October (summer time, UTC+2).
NOW = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=30)
PIP_ON = date(2026, 1, 10)  # the term ends on 11 January 2029 (exclusive): 2 years and 3 months from NOW


def text(response) -> str:  # noqa: ANN001
    """The page's words, tags taken out and white space folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def add_pip(app, person, pip_on=PIP_ON, **fields) -> None:  # noqa: ANN001, ANN003
    fields.setdefault("leerroute", "B")
    fields.setdefault("level", "B1")
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        db.session.add(
            Pip(newcomer_id=person.id, municipality_id=newcomer.municipality_id, version=1, pip_on=pip_on, **fields)
        )
        db.session.commit()


def add_record(app, person, hours: dict[str, int] = (), **fields) -> None:  # noqa: ANN001, ANN003
    """What the klantmanager recorded: a route progress row and hours per kind (one month)."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        db.session.add(RouteProgress(newcomer_id=person.id, municipality_id=newcomer.municipality_id, **fields))
        for kind, value in dict(hours).items():
            db.session.add(
                HoursEntry(
                    newcomer_id=person.id,
                    municipality_id=newcomer.municipality_id,
                    month=date(2026, 9, 1),
                    kind=kind,
                    hours=value,
                )
            )
        db.session.commit()


@pytest.fixture
def staff_id(make_staff) -> int:  # noqa: ANN001
    return make_staff().id


def book(app, staff_id, people, kind="pvt_session", start=NOW + timedelta(days=7), now=NOW, **details) -> list[int]:  # noqa: ANN001, ANN003
    """Book an appointment for these people; the attendee ids (invited, then waiting)."""
    details.setdefault("location", "Stadhuis")
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        newcomers = [db.session.get(Newcomer, p.id) for p in people]
        interpreter = details.pop("interpreter", None)
        _appointment, result = services.book(
            newcomers[0].municipality_id,
            Details(kind=kind, starts_at=start, staff_id=staff_id, **details),
            newcomers,
            actor=staff,
            interpreter=interpreter,
            now=now,
        )
        db.session.commit()
        return [a.id for a in result.invited + result.waiting]


def attended(app, staff_id, attendee_id, attendance="present") -> None:  # noqa: ANN001
    with app.app_context():
        services.record_attendance(
            db.session.get(Attendee, attendee_id), attendance, actor=db.session.get(Staff, staff_id), now=NOW
        )
        db.session.commit()


def route_page(client, person, at=NOW):  # noqa: ANN001, ANN201
    """The route page as ``person`` sees it at ``at`` (signed in then: a session does not outlive a jump in time)."""
    with time_machine.travel(at, tick=False):
        sign_in(client, person)
        response = client.get("/route")
    assert response.status_code == 200, response.headers.get("Location")
    return response


# -- before the PIP ----------------------------------------------------------------------------------


def test_before_a_pip_the_page_says_a_plan_comes_after_the_intake_and_lists_the_intake_talk(
    app, client, newcomer, staff_id
):
    book(app, staff_id, [newcomer], kind="intake_talk", start=NOW + timedelta(days=2))
    page = text(route_page(client, newcomer))
    assert "After your intake, your klantmanager" in page
    assert "makes a plan with you." in page
    assert "What happens next" not in page
    assert "Intake talk" in page
    assert "Thursday, October 8, 2026" in page  # 8 October, in the newcomer's locale (en)


def test_without_appointments_the_page_says_so(client, newcomer):
    page = text(route_page(client, newcomer))
    assert "You have no appointments planned." in page
    assert "Past appointments" not in page


# -- the parts and their progress -------------------------------------------------------------------


def test_pvt_map_and_knm_show_hours_and_themes_from_attendance_and_records(app, client, newcomer, staff_id):
    add_pip(app, newcomer)
    # a PVT session of 2 hours attended, 3 hours recorded: 5 of 12; an absence counts nothing
    (present,) = book(app, staff_id, [newcomer], start=NOW - timedelta(days=7), now=EARLIER)
    (absent,) = book(app, staff_id, [newcomer], start=NOW - timedelta(days=3), now=EARLIER)
    attended(app, staff_id, present)
    attended(app, staff_id, absent, "absent_unexcused")
    add_record(
        app,
        newcomer,
        hours={HOURS_PVT: 3, HOURS_MAP: 20},
        knm_themes=["housing", "health_care"],
        map_themes=["networking", "finding_work", "work_culture"],
        route_started_on=date(2026, 3, 1),
    )
    response = route_page(client, newcomer)
    page = text(response)
    assert "Participation statement (PVT) Under way" in page
    assert "5 of 12 hours" in page
    assert '<progress id="part-pvt-1" max="12" value="5"' in response.text
    assert "20 of 40 hours" in page
    assert "3 of 8 themes" in page  # MAP
    assert "2 of 8 themes" in page  # KNM
    assert "Dutch lessons Under way" in page
    # the next part not done: the language route is the first
    assert "Keep going with your Dutch lessons." in page
    assert "You were there." in page
    assert "You were not there." in page


def test_a_signed_pvt_is_done_with_a_tick_and_an_exempt_map_needs_nothing(app, client, newcomer):
    add_pip(app, newcomer)
    add_record(app, newcomer, pvt_signed_on=date(2026, 6, 2), map_exempt=True, hours={HOURS_PVT: 12})
    response = route_page(client, newcomer)
    page = text(response)
    assert "Participation statement (PVT) ✓ Done You signed the statement on June 2, 2026." in page
    assert "Work and taking part (MAP) ✓ Not needed for you You do not need to do this part." in page
    assert "of 40 hours" not in page
    assert 'id="part-pvt-1"' not in response.text  # no bar once done
    assert "You start the KNM lessons." not in page  # the language route comes first
    assert "Your Dutch lessons start." in page


def test_when_every_part_is_done_the_page_says_well_done(app, client, newcomer):
    add_pip(app, newcomer, knm=False, map=False)
    add_record(app, newcomer, route_started_on=date(2026, 2, 1), route_completed_on=date(2026, 9, 1),
               pvt_signed_on=date(2026, 6, 2))  # fmt: skip
    page = text(route_page(client, newcomer))
    assert "You did all parts of your route. Well done!" in page
    assert "Life in the Netherlands (KNM)" not in page  # not in this PIP
    assert "Work and taking part (MAP)" not in page


def test_the_z_route_shows_participation_hours_of_the_800(app, client, newcomer):
    add_pip(app, newcomer, leerroute="Z", level="A1", z_participation=True, map=False)
    add_record(app, newcomer, hours={HOURS_Z_PARTICIPATION: 120})
    response = route_page(client, newcomer)
    page = text(response)
    assert "Taking part (Z-route) Under way" in page
    assert "120 of 800 hours" in page
    assert '<progress id="part-z_route-1" max="800" value="120"' in response.text


# -- the term ----------------------------------------------------------------------------------------


def test_the_term_counts_down_in_years_and_months(app, client, newcomer):
    add_pip(app, newcomer)
    page = text(route_page(client, newcomer))
    assert "You have 2 years and 3 months left." in page
    assert "Your time ends on January 10, 2029." in page  # the last day: the end date itself is exclusive


def test_close_to_the_end_the_countdown_is_in_days_and_after_it_says_it_ended(app, client, newcomer):
    add_pip(app, newcomer)
    assert "You have 41 days left." in text(route_page(client, newcomer, at=datetime(2028, 12, 1, 12, tzinfo=UTC)))
    assert "You have 1 day left." in text(route_page(client, newcomer, at=datetime(2029, 1, 10, 12, tzinfo=UTC)))
    page = text(route_page(client, newcomer, at=datetime(2029, 1, 11, 12, tzinfo=UTC)))
    assert "Your time has ended." in page
    assert "left." not in page


def test_the_countdown_in_persian_uses_persian_digits(app, client, make_newcomer):
    person = make_newcomer(language="fa")
    add_pip(app, person)
    response = route_page(client, person)
    assert 'dir="rtl"' in response.text
    assert "۲" in text(response)  # 2 years and 3 months
    assert "۳" in text(response)


# -- the appointments --------------------------------------------------------------------------------


def test_an_upcoming_appointment_shows_when_where_who_what_to_bring_the_interpreter_and_the_answer(
    app, client, newcomer, staff_id
):
    (attendee_id,) = book(
        app,
        staff_id,
        [newcomer],
        kind="intake_talk",
        start=datetime(2026, 10, 13, 8, 30, tzinfo=UTC),
        room="2.14",
        address="Nieuwe Steen 1, Hoorn",
        note="Staff only: talk about the debts",
        interpreter={newcomer.id: "ar"},
    )
    with app.app_context():
        attendee = db.session.get(Attendee, attendee_id)
        attendee.interpreter_arranged = True
        services.respond(attendee, "confirmed", "web", now=NOW)
        staff_name = db.session.get(Staff, staff_id).name
        db.session.commit()
    response = route_page(client, newcomer)
    page = text(response)
    assert "Tuesday, October 13, 2026, 10:30 AM" in page  # Amsterdam time (UTC+2)
    assert "Stadhuis, room 2.14" in page
    assert 'href="https://www.openstreetmap.org/search?query=Nieuwe%20Steen%201%2C%20Hoorn"' in response.text
    assert f"With {staff_name}" in page
    assert "your ID card or residence permit" in page
    assert "your diplomas and certificates" in page
    assert "An interpreter is arranged: Arabic." in page
    assert "You said: I will come." in page
    assert f'href="/appointments/{attendee_id}"' in response.text
    assert "debts" not in page  # the staff-only note
    assert "<script" not in response.text.split("<main", 1)[1]


def test_by_phone_and_the_answer_cannot_come(app, client, newcomer, staff_id):
    (attendee_id,) = book(app, staff_id, [newcomer], kind="progress_talk", mode="phone", location=None)
    with app.app_context():
        services.respond(db.session.get(Attendee, attendee_id), "cannot_come", "web", reason="I am ill", now=NOW)
        db.session.commit()
    page = text(route_page(client, newcomer))
    assert "By phone. We call you." in page
    assert "You said: I cannot come." in page
    assert "Tell us if you will come" not in page
    assert "Bring:" not in page  # nothing to bring to a phone call
    assert "I am ill" not in page  # the reason they gave stays in the conversation


def test_a_cancelled_appointment_shows_its_reason_and_a_waiting_list_place_is_marked(
    app, client, newcomer, make_newcomer, staff_id
):
    add_pip(app, newcomer)
    other = make_newcomer(name="Other Person", language="en")
    (cancelled_id,) = book(app, staff_id, [newcomer], kind="knm_lesson")
    with app.app_context():
        services.cancel(
            db.session.get(Attendee, cancelled_id).appointment,
            "too_few_people",
            actor=db.session.get(Staff, staff_id),
            now=NOW,
        )
        db.session.commit()
    book(app, staff_id, [other, newcomer], kind="pvt_session", capacity=1, start=NOW + timedelta(days=9))
    response = route_page(client, newcomer)
    page = text(response)
    assert "Cancelled. The group session cannot go ahead: too few people signed up." in page
    assert "Waiting list. You get a message when there is a place for you." in page
    # what happens next is neither the cancelled lesson nor the session they wait for
    next_section = response.text.split('id="route-next"', 1)[1].split("</section>", 1)[0]
    assert "<time" not in next_section
    assert "Your Dutch lessons start." in next_section


def test_the_next_appointment_is_what_happens_next(app, client, newcomer, staff_id):
    add_pip(app, newcomer)
    book(app, staff_id, [newcomer], kind="pvt_session", start=datetime(2026, 10, 20, 12, tzinfo=UTC))
    book(app, staff_id, [newcomer], kind="pip_talk", start=datetime(2026, 10, 8, 12, tzinfo=UTC))
    response = route_page(client, newcomer)
    next_section = text(response).split("What happens next", 1)[1].split("The parts of your route", 1)[0]
    assert "Talk about your plan (PIP)" in next_section
    assert "Thursday, October 8, 2026, 2:00 PM" in next_section
    assert "PVT) session" not in next_section


def test_past_appointments_are_listed_latest_first(app, client, newcomer, staff_id):
    book(app, staff_id, [newcomer], kind="intake_talk", start=NOW - timedelta(days=20), now=EARLIER)
    book(app, staff_id, [newcomer], kind="learnability_test", start=NOW - timedelta(days=10), now=EARLIER)
    book(app, staff_id, [newcomer], kind="pip_talk", start=NOW + timedelta(days=1))
    page = text(route_page(client, newcomer))
    upcoming, past = page.split("Past appointments")
    assert "Talk about your plan (PIP)" in upcoming
    assert "Tell us if you will come" in upcoming  # not answered yet
    assert "Tell us if you will come" not in past
    assert past.index("Learnability test") < past.index("Intake talk")
    assert "Sep 26, 2026" in past


def test_another_newcomers_appointments_are_never_shown(app, client, newcomer, make_newcomer, staff_id):
    other = make_newcomer(name="Other Person", language="en")
    book(app, staff_id, [other], kind="map_workshop", location="Elsewhere House")
    book(app, staff_id, [newcomer], kind="pip_talk")
    page = text(route_page(client, newcomer))
    assert "Talk about your plan (PIP)" in page
    assert "MAP) workshop" not in page
    assert "Elsewhere House" not in page


# -- who may see it ----------------------------------------------------------------------------------


def test_staff_get_a_404(klantmanager):
    assert klantmanager.get("/route").status_code == 404


def test_without_signing_in_the_page_leads_to_the_sign_in(client):
    response = client.get("/route")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Froute"


def test_the_short_link_of_the_sms_leads_to_the_route_page(client, newcomer):
    assert client.get("/r").headers["Location"] == "/route"
    sign_in(client, newcomer)
    response = client.get("/r", follow_redirects=True)
    assert response.request.path == "/route"
    assert "My route" in response.text


def test_a_month_typed_and_imported_counts_the_imported_hours_once(app, make_newcomer):
    from app.appointments.progress import recorded_hours
    from app.models import HoursEntry

    person = make_newcomer(name="Hours Person", language="nl")
    with app.app_context():
        municipality_id = db.session.get(Newcomer, person.id).municipality_id
        for month, source, hours in ((1, "manual", 3), (1, "import", 5), (2, "manual", 2)):
            db.session.add(
                HoursEntry(
                    newcomer_id=person.id,
                    municipality_id=municipality_id,
                    month=date(2026, month, 1),
                    kind="pvt",
                    hours=hours,
                    source=source,
                )
            )
        db.session.commit()
        assert recorded_hours(person.id) == {"pvt": 7}


def test_the_route_page_links_to_the_calendar_subscription(signed_in):
    page = signed_in.get("/route")
    assert page.status_code == 200
    assert 'href="/calendar"' in page.text
