"""A newcomer's own quiet hours, set on their file: validation, and the reminders planned again."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.models import Newcomer, Staff
from app.models.message import OutboundMessage
from tests.conftest import csrf_token, staff_sign_in

NOW = datetime(2027, 10, 5, 9, 0, tzinfo=UTC)
# Tuesday 12 October 2027, 15:00 in Hoorn (summer time): the 2-hour reminder is at 13:00, the 2-day
# one on Sunday at 15:00. Booked with the clock at NOW; the pages run at the real time, before it.
START = datetime(2027, 10, 12, 13, 0, tzinfo=UTC)


@pytest.fixture
def booked(app, client, make_newcomer, make_staff):
    login = make_staff()
    person = make_newcomer(name="Mehmet Yilmaz", language="tr")
    with app.app_context(), time_machine.travel(NOW, tick=False):
        staff = db.session.get(Staff, login.id)
        newcomer = db.session.get(Newcomer, person.id)
        services.book(
            newcomer.municipality_id,
            Details(kind="progress_talk", starts_at=START, location="Stadhuis"),
            [newcomer],
            actor=staff,
        )
        db.session.commit()
    staff_sign_in(client, login)
    return client, person.id


def _queued_reminders(app, newcomer_id):
    with app.app_context():
        return sorted(
            m.send_after
            for m in db.session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.newcomer_id == newcomer_id,
                    OutboundMessage.kind == "appointment_reminder",
                    OutboundMessage.status == "queued",
                )
            )
        )


def _post(client, newcomer_id, start, end):
    url = f"/backoffice/appointments/quiet-hours/{newcomer_id}"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_token(page.text), "quiet_start": start, "quiet_end": end})


def test_own_quiet_hours_plan_the_reminders_again(app, booked, audit_log):
    client, newcomer_id = booked
    assert _queued_reminders(app, newcomer_id) == [
        datetime(2027, 10, 10, 13, 0, tzinfo=UTC),
        datetime(2027, 10, 12, 11, 0, tzinfo=UTC),
    ]
    response = _post(client, newcomer_id, "09:00", "17:00")
    assert response.status_code == 302
    with app.app_context():
        newcomer = db.session.get(Newcomer, newcomer_id)
        assert (newcomer.quiet_start, newcomer.quiet_end) == (time(9), time(17))
    # both reminders fell in 09:00-17:00 Hoorn time: each moved to 08:45 that day (06:45 UTC)
    assert _queued_reminders(app, newcomer_id) == [
        datetime(2027, 10, 10, 6, 45, tzinfo=UTC),
        datetime(2027, 10, 12, 6, 45, tzinfo=UTC),
    ]
    assert [e.action for e in audit_log(action="file.quiet_hours_changed")] == ["file.quiet_hours_changed"]
    file_page = client.get(f"/backoffice/newcomers/{newcomer_id}")
    assert "from 09:00 until 17:00 (own hours)" in file_page.text


def test_clearing_them_goes_back_to_the_usual_hours(app, booked):
    client, newcomer_id = booked
    assert _post(client, newcomer_id, "09:00", "17:00").status_code == 302
    assert _post(client, newcomer_id, "", "").status_code == 302
    with app.app_context():
        assert db.session.get(Newcomer, newcomer_id).quiet_start is None
    assert len(_queued_reminders(app, newcomer_id)) == 2


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("09:00", "", "Give both times"),
        ("09:00", "09:00", "The two times must differ."),
        ("06:00", "23:30", "at most 16 hours"),
        ("25:00", "08:00", "Not a valid time value."),
        ("02:30", "10:00", "outside 02:00-03:00"),
        ("<script>", "08:00", "Not a valid time value."),
    ],
)
def test_bad_quiet_hours_are_refused_next_to_the_field(app, booked, start, end, message):
    client, newcomer_id = booked
    response = _post(client, newcomer_id, start, end)
    assert response.status_code == 422
    assert message in response.text
    assert "<script>" not in response.text
    with app.app_context():
        assert db.session.get(Newcomer, newcomer_id).quiet_start is None


def test_another_municipalitys_file_is_404(app, client, make_staff, booked):
    _client, newcomer_id = booked
    other = app.test_client()
    staff_sign_in(other, make_staff(codes=("0420",)))
    assert other.get(f"/backoffice/appointments/quiet-hours/{newcomer_id}").status_code == 404
    assert other.get(f"/backoffice/appointments/quiet-hours/{2**31}").status_code == 404
