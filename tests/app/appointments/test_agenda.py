"""The klantmanager's agenda: a day and an ISO week of appointments (app/appointments/agenda.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import event, select

from app.appointments import agenda, services
from app.appointments.services import Details
from app.extensions import db
from app.models import Attendee, Municipality, Newcomer, Staff
from tests.conftest import sign_in, staff_sign_in

# Monday 12 October 2026, 09:00 in Hoorn (summer time, UTC+2): week 42.
NOW = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 10, 13, 8, 30, tzinfo=UTC)  # 10:30 in Hoorn
DAY = "/backoffice/appointments/agenda/day"
WEEK = "/backoffice/appointments/agenda/week"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def me(frozen, client, make_staff):
    """The signed-in klantmanager of Hoorn (0405); the client is theirs."""
    login = make_staff()
    staff_sign_in(client, login)
    return login.id


@pytest.fixture
def people(frozen, make_newcomer):
    names = ("Selam Tesfay", "Amal Al-Hassan", "Yonas Berhane", "Hodan Abdi")
    return [make_newcomer(name=name, language="en").id for name in names]


def book(app, staff_id, newcomer_ids, *, kind="pvt_session", start=TUESDAY, capacity=None, municipality=None, **extra):
    """Book through the service as a klantmanager would; the appointment's id."""
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        newcomers = [db.session.get(Newcomer, i) for i in newcomer_ids]
        municipality_id = municipality or newcomers[0].municipality_id
        details = Details(kind=kind, starts_at=start, capacity=capacity, staff_id=staff_id, **extra)
        if details.mode == "in_person" and "location" not in extra:
            details.location, details.room = "Stadhuis", "2.14"
        now = min(agenda.utcnow(), start - timedelta(days=3))
        appointment, _result = services.book(municipality_id, details, newcomers, actor=staff, now=now)
        db.session.commit()
        return appointment.id


def attendee(app, appointment_id, newcomer_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Attendee.id).where(Attendee.appointment_id == appointment_id, Attendee.newcomer_id == newcomer_id)
        )


def respond(app, attendee_id, response):
    with app.app_context():
        services.respond(db.session.get(Attendee, attendee_id), response, "web", reason="")
        db.session.commit()


def articles(html: str) -> list[str]:
    return re.findall(r"<article.*?</article>", html, re.S)


def test_the_day_shows_single_and_group_appointments_in_time_order_with_each_answer(app, client, me, people):
    group = book(app, me, people, capacity=3, group_language="ti")
    single = book(
        app, me, people[1:2], kind="intake_talk", start=TUESDAY - timedelta(hours=2), mode="phone", location=None
    )
    with app.app_context():
        talk = db.session.get(Attendee, attendee(app, single, people[1]))
        talk.interpreter_language = "ar"
        db.session.commit()
    respond(app, attendee(app, group, people[0]), "confirmed")
    respond(app, attendee(app, group, people[1]), "cannot_come")

    page = client.get(f"{DAY}?date=2026-10-13")

    assert page.status_code == 200
    first, second = articles(page.text)
    assert "08:30" in first or "8:30" in first  # 10:30 local minus two hours
    assert "Intake talk" in first
    assert "By phone" in first
    assert "Single appointment" in first
    assert '<bdi class="agenda-attendees__name">Amal Al-Hassan</bdi>' in first
    assert "Interpreter Arabic" in first
    assert "not arranged yet" in first
    assert "Participation statement (PVT) session" in second
    assert "10:30" in second
    assert "Stadhuis, 2.14" in second
    assert "3 of 3 places taken" in second
    assert "1 on the waiting list" in second
    assert "Tigrinya" in second
    names = re.findall(r'agenda-attendees__name">([^<]+)<', second)
    assert names == ["Selam Tesfay", "Amal Al-Hassan", "Yonas Berhane"]  # Hodan waits: not on it
    answers = re.findall(r'class="agenda-answer agenda-answer--(\w+)">([^<]+)<', second)
    assert answers == [("confirmed", "Confirmed"), ("cannot_come", "Cannot come"), ("none", "No answer yet")]
    assert f'href="/backoffice/appointments/{group}"' in second


def test_an_answer_given_before_a_move_is_no_answer_now(app, client, me, people):
    appointment_id = book(app, me, people[:1], kind="progress_talk")
    respond(app, attendee(app, appointment_id, people[0]), "confirmed")
    with app.app_context():
        appointment = db.session.get(Attendee, attendee(app, appointment_id, people[0])).appointment
        services.move(appointment, TUESDAY + timedelta(hours=3), actor=db.session.get(Staff, me))
        db.session.commit()

    page = client.get(f"{DAY}?date=2026-10-13")

    assert "No answer yet" in page.text
    assert "agenda-answer--confirmed" not in page.text


def test_a_cancelled_appointment_is_struck_through_with_its_reason(app, client, me, people):
    appointment_id = book(app, me, people[:2], kind="knm_lesson")
    with app.app_context():
        appointment = db.session.get(Attendee, attendee(app, appointment_id, people[0])).appointment
        services.cancel(appointment, "too_few_people", actor=db.session.get(Staff, me))
        db.session.commit()

    (item,) = articles(client.get(f"{DAY}?date=2026-10-13").text)

    assert "agenda-item--cancelled" in item
    assert "Cancelled" in item
    assert "The group session cannot go ahead: too few people signed up." in item


def test_attendance_recorded_is_shown(app, client, me, people):
    earlier = NOW - timedelta(hours=2)  # 07:00 today in Hoorn
    appointment_id = book(app, me, people[:1], kind="progress_talk", start=earlier)
    with app.app_context():
        services.record_attendance(
            db.session.get(Attendee, attendee(app, appointment_id, people[0])),
            "present",
            actor=db.session.get(Staff, me),
        )
        db.session.commit()

    page = client.get(DAY)  # today

    assert "Attendance: Present" in page.text
    assert "Agenda: Monday, October 12, 2026" in page.text


def test_an_empty_day_says_so(client, me):
    page = client.get(f"{DAY}?date=2026-10-14")
    assert page.status_code == 200
    assert "No appointments this day." in page.text
    assert articles(page.text) == []


@pytest.mark.parametrize(
    "query",
    ["date=2026-13-40", "date=9999-12-31", "date=1999-12-31", "date=2101-01-01", "date=20261013", "date=%3Cb%3E"],
)
def test_a_bad_date_shows_today_with_a_message(client, me, query):
    page = client.get(f"{DAY}?{query}")
    assert page.status_code == 200
    assert "That date cannot be shown: here is today." in page.text
    assert "Agenda: Monday, October 12, 2026" in page.text


@pytest.mark.parametrize(
    "query", ["week=2026-W54", "week=2026-W00", "week=2101-W01", "week=1999-W52", "week=42", "week=x"]
)
def test_a_bad_week_shows_this_week_with_a_message(client, me, query):
    page = client.get(f"{WEEK}?{query}")
    assert page.status_code == 200
    assert "That week cannot be shown: here is this week." in page.text
    assert "week 42" in page.text


def test_an_unknown_colleague_shows_my_own_agenda_with_a_message(client, me):
    for value in ("99999999999999", "2147483647", "-1", "me"):
        page = client.get(f"{DAY}?date=2026-10-13&staff={value}")
        assert page.status_code == 200
        assert "This colleague's agenda cannot be shown: here is yours." in unescape(page.text)


def test_the_week_runs_monday_to_sunday_with_each_appointment_on_its_day(app, client, me, people):
    book(app, me, people[:1], kind="intake_talk")  # Tuesday
    book(app, me, people[1:2], kind="pip_talk", start=TUESDAY + timedelta(days=4))  # Saturday

    page = client.get(f"{WEEK}?week=2026-W42")

    assert page.status_code == 200
    days = re.findall(r'<h2 class="utrecht-heading-2 agenda-week__heading" id="day-([\d-]+)"', page.text)
    assert days == [f"2026-10-{d}" for d in range(12, 19)]
    sections = dict(re.findall(r'id="day-([\d-]+)">(.*?)</section>', page.text, re.S))
    assert "Intake talk" in sections["2026-10-13"]
    assert "Talk about your plan (PIP)" in sections["2026-10-17"]
    assert "No appointments this day." in sections["2026-10-12"]
    assert "week=2026-W41" in page.text
    assert "week=2026-W43" in page.text


def test_the_week_across_the_year_end_and_its_neighbours(client, me):
    page = client.get(f"{WEEK}?week=2026-W53")
    assert page.status_code == 200
    assert 'id="day-2026-12-28"' in page.text
    assert 'id="day-2027-01-03"' in page.text
    assert "week=2027-W01" in page.text


def test_mine_and_everyone_in_my_municipalities(app, client, me, people, make_staff):
    colleague = make_staff().id
    mine = book(app, me, people[:1], kind="intake_talk")
    theirs = book(app, colleague, people[1:2], kind="progress_talk")

    own = client.get(f"{DAY}?date=2026-10-13").text
    everyone = client.get(f"{DAY}?date=2026-10-13&staff=all").text
    one_colleague = client.get(f"{DAY}?date=2026-10-13&staff={colleague}").text

    assert f"/backoffice/appointments/{mine}" in own
    assert f"/backoffice/appointments/{theirs}" not in own
    assert f"/backoffice/appointments/{mine}" in everyone
    assert f"/backoffice/appointments/{theirs}" in everyone
    assert f"/backoffice/appointments/{theirs}" in one_colleague
    assert f"/backoffice/appointments/{mine}" not in one_colleague
    assert "The agenda of your colleague" in one_colleague


def test_another_municipality_s_appointments_are_not_shown(app, client, me, make_staff, make_newcomer):
    other = make_staff(codes=("0420",)).id
    with app.app_context():
        medemblik = db.session.scalar(select(Municipality.id).where(Municipality.code == "0420"))
        person = Newcomer(name="Zahra Ahmadi", phone="+31612345699", municipality_id=medemblik, language="fa")
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    hidden = book(app, other, [person_id], kind="intake_talk")
    also_hidden = book(app, me, [person_id], kind="progress_talk")  # led by me, but not in my municipalities

    for path in (f"{DAY}?date=2026-10-13&staff=all", f"{DAY}?date=2026-10-13", f"{WEEK}?week=2026-W42&staff=all"):
        page = client.get(path).text
        assert "Zahra" not in page
        assert f"/backoffice/appointments/{hidden}" not in page
        assert f"/backoffice/appointments/{also_hidden}" not in page
    assert "This colleague's agenda cannot be shown" in unescape(client.get(f"{DAY}?staff={other}").text)


def _statements(app, client, path: str) -> int:
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return len(seen)


def test_a_page_costs_the_same_statements_for_one_appointment_or_many(app, client, me, people, make_staff):
    colleague = make_staff().id
    book(app, me, people, capacity=3)
    paths = (f"{DAY}?date=2026-10-13&staff=all", f"{WEEK}?week=2026-W42&staff=all", f"{WEEK}?week=2026-W42")
    few = {path: _statements(app, client, path) for path in paths}
    for hours in range(1, 7):
        book(app, colleague if hours % 2 else me, people, capacity=2, start=TUESDAY + timedelta(hours=hours))
        book(app, me, people[:1], kind="intake_talk", start=TUESDAY + timedelta(days=2, hours=hours))
    many = {path: _statements(app, client, path) for path in paths}
    assert many == few
    assert max(many.values()) <= 8, many  # 5 now: the sign-in, the appointments, attendees, newcomers


def test_a_newcomer_gets_404(app, client, newcomer):
    sign_in(client, newcomer)
    assert client.get(DAY).status_code == 404
    assert client.get(WEEK).status_code == 404


def test_other_roles_and_strangers_do_not_get_the_agenda(app, client, make_staff):
    assert client.get(DAY).status_code in (302, 401, 404)
    staff_sign_in(client, make_staff(role="beleidsmedewerker"))
    assert client.get(DAY).status_code == 404
    assert client.get(WEEK).status_code == 404


def test_the_endpoints_are_named_for_the_navigation(app):
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert endpoints["backoffice.appointments.agenda_day"] == "/backoffice/appointments/agenda/day"
    assert endpoints["backoffice.appointments.agenda_week"] == "/backoffice/appointments/agenda/week"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-10-13", "2026-10-13"), ("2000-01-01", "2000-01-01"), ("2100-12-31", "2100-12-31"), ("2026-02-29", None)],
)
def test_parse_day(value, expected):
    parsed = agenda.parse_day(value)
    assert (parsed.isoformat() if parsed else None) == expected


def test_parse_week_gives_the_monday():
    assert agenda.parse_week("2026-W42").isoformat() == "2026-10-12"
    assert agenda.parse_week("2026-W53").isoformat() == "2026-12-28"
    assert agenda.parse_week("2027-W53") is None  # 2027 has 52 weeks
    assert agenda.week_of(agenda.parse_week("2026-W01")) == "2026-W01"


def test_the_link_of_each_appointment_is_its_back_office_page(app):
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    if "backoffice.appointments.detail" not in rules:
        pytest.skip("the appointment page is not there yet: the agenda links to its known path")
    assert rules["backoffice.appointments.detail"] == "/backoffice/appointments/<int:appointment_id>"
    with app.test_request_context():
        assert agenda.detail_url(7) == "/backoffice/appointments/7"


def test_seed_demo_books_the_demo_appointments_once(app):
    from app.models import Appointment

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert first.output.count("invited)") == 3
    assert "booked before" in second.output
    with app.app_context():
        rows = db.session.scalars(select(Appointment).order_by(Appointment.starts_at)).all()
        kinds = {a.kind: a for a in rows}
        assert sorted(kinds) == ["intake_talk", "progress_talk", "pvt_session"]
        assert len(rows) == 3
        assert [a.attendance for a in kinds["progress_talk"].attendees] == ["present"]
        assert len(kinds["pvt_session"].attendees) == 3
        assert kinds["pvt_session"].is_group
        assert [a.interpreter_language for a in kinds["intake_talk"].attendees] == ["so"]
        now = agenda.utcnow()
        assert kinds["intake_talk"].starts_at > now
        assert kinds["pvt_session"].starts_at > now + timedelta(days=1)


def test_a_name_in_the_heading_is_escaped(app, client, me, make_staff):
    with app.app_context():
        colleague = db.session.get(Staff, make_staff().id)
        colleague.name = "<script>x</script> Bakker"
        db.session.commit()
        colleague_id = colleague.id
    page = client.get(f"{DAY}?staff={colleague_id}").text
    assert "The agenda of your colleague <bdi>&lt;script&gt;x&lt;/script&gt; Bakker</bdi>" in page
    assert "<script>x" not in page
