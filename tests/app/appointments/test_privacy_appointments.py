"""Appointments, route progress and calendar subscriptions in the privacy export and in erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import Details
from app.backoffice import privacy_services
from app.extensions import db
from app.models import Appointment, Attendee, CalendarFeed, HoursEntry, Newcomer, RouteProgress, Staff

NOW = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)


def _file_with_appointments(app, make_newcomer, make_staff):
    login = make_staff()
    person = make_newcomer(name="Saba Tesfay", language="ti")
    other = make_newcomer(name="Other Person", language="nl")
    with app.app_context(), time_machine.travel(NOW - timedelta(days=10), tick=False):
        staff = db.session.get(Staff, login.id)
        newcomer, neighbour = db.session.get(Newcomer, person.id), db.session.get(Newcomer, other.id)
        newcomer.quiet_start, newcomer.quiet_end = time(9), time(17)
        past, _ = services.book(
            newcomer.municipality_id,
            Details(kind="pvt_session", starts_at=NOW - timedelta(days=3), location="Stadhuis"),
            [newcomer, neighbour],
            actor=staff,
        )
        future, _ = services.book(
            newcomer.municipality_id,
            Details(kind="pvt_session", starts_at=NOW + timedelta(days=3), location="Stadhuis"),
            [newcomer, neighbour],
            actor=staff,
        )
        db.session.flush()
        with time_machine.travel(NOW, tick=False):
            for attendee in past.attendees:
                services.record_attendance(attendee, "absent_excused", reason="sick child", actor=staff)
        db.session.add(
            RouteProgress(
                newcomer_id=newcomer.id,
                municipality_id=newcomer.municipality_id,
                map_exempt=True,
                map_exemption_reason="works full time",
                knm_themes=["housing"],
                map_themes=[],
            )
        )
        db.session.add(
            HoursEntry(
                newcomer_id=newcomer.id,
                municipality_id=newcomer.municipality_id,
                month=date(2026, 9, 1),
                kind="pvt",
                hours=4,
            )
        )
        db.session.add(CalendarFeed(newcomer_id=newcomer.id, token_hash="x" * 64))
        db.session.commit()
        return person.id, other.id, past.id, future.id


def test_the_export_holds_appointments_progress_hours_and_subscriptions(app, make_newcomer, make_staff):
    newcomer_id, _other, _past, _future = _file_with_appointments(app, make_newcomer, make_staff)
    with app.app_context():
        data = privacy_services.as_json(privacy_services.gather(db.session.get(Newcomer, newcomer_id)))
    assert [a["kind"] for a in data["appointments"]] == ["pvt_session", "pvt_session"]
    assert data["appointments"][0]["absence_reason"] == "sick child"
    assert "note" not in data["appointments"][0]
    assert data["route_progress"]["map_exemption_reason"] == "works full time"
    assert data["hours"] == [
        {
            "month": "2026-09-01",
            "kind": "pvt",
            "hours": 4,
            "source": "manual",
            "updated_at": data["hours"][0]["updated_at"],
        }
    ]
    assert len(data["calendar_subscriptions"]) == 1
    assert data["newcomer"]["quiet_start"] == "09:00"


def test_erasure_keeps_attendance_figures_and_removes_the_rest(app, make_newcomer, make_staff):
    newcomer_id, other_id, past_id, future_id = _file_with_appointments(app, make_newcomer, make_staff)
    with app.app_context(), time_machine.travel(NOW, tick=False):
        assert privacy_services.erase(db.session.get(Newcomer, newcomer_id))
        db.session.commit()
        rows = db.session.scalars(select(Attendee).where(Attendee.newcomer_id == newcomer_id)).all()
        assert [(r.appointment_id, r.attendance, r.absence_reason) for r in rows] == [(past_id, "absent_excused", None)]
        assert db.session.scalars(select(CalendarFeed).where(CalendarFeed.newcomer_id == newcomer_id)).all() == []
        progress = db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == newcomer_id))
        assert progress.map_exemption_reason is None
        assert progress.map_exempt is True
        newcomer = db.session.get(Newcomer, newcomer_id)
        assert newcomer.quiet_start is None
        # the group session goes on for the other person
        future = db.session.get(Appointment, future_id)
        assert [a.newcomer_id for a in future.attendees] == [other_id]
