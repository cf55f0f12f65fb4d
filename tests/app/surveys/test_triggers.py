"""The survey triggers: one invitation per person and occasion, none to people who said STOP, none
for closed files, the right partner, and a scan that two workers may run at once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from app.extensions import db
from app.models import Newcomer, OutboundMessage
from app.models.message import SmsOptOut
from app.models.partner import LANGUAGE_SCHOOL, MAP_PVT_PROVIDER, WORK_PARTNER
from app.models.survey import SurveyInvitation
from app.models.types import utcnow
from app.surveys import scan
from tests.app.surveys.conftest import NOW, add_partner, approve_intake, invitations, run_scan, set_route

TODAY = NOW.date()


def test_intake_approved_invites_once_however_often_the_scan_runs(phone):
    assert run_scan(phone.app) == 1
    assert run_scan(phone.app) == 0
    assert run_scan(phone.app) == 0
    [invitation] = invitations(phone.app)
    assert (invitation.trigger, invitation.occasion, invitation.status) == (
        "intake_approved",
        "intake_approved",
        "invited",
    )
    assert invitation.partner_id is None
    assert invitation.partner_kind == "municipality"
    assert invitation.survey_id == "survey_municipality"
    assert invitation.token_hash
    assert len(invitation.token_hash) == 64
    [invitation_sms] = [m for m in phone.messages() if m.kind == "survey_invitation"]
    assert invitation_sms.category == "surveys"
    assert invitation_sms.idempotency_key == f"survey_invitation:{invitation.id}"
    assert phone.token() not in invitation_sms.body  # the stored body keeps the token masked
    [body] = phone.bodies()
    assert body.startswith("Municipality of Hoorn: how would you rate the municipality of Hoorn?")
    assert "Reply with a mark from 1 to 10" in body


def test_the_municipality_partner_linked_is_rated_by_name(phone):
    partner_id = add_partner(phone.app, phone.person, "municipality", "Gemeente Hoorn, team inburgering")
    run_scan(phone.app)
    [invitation] = invitations(phone.app)
    assert invitation.partner_id == partner_id
    assert "how would you rate Gemeente Hoorn, team inburgering?" in phone.last()


def test_an_old_approval_is_not_asked_about(hooks, newcomer, clock):
    approve_intake(hooks, newcomer, utcnow() - timedelta(days=45))
    assert run_scan(hooks) == 0
    assert invitations(hooks) == []


def test_opted_out_of_surveys_or_everything_gets_a_skipped_invitation_and_no_sms(hooks, make_newcomer, sms, clock):
    surveys_stop, all_stop, notices_stop = (make_newcomer(language="en") for _ in range(3))
    with hooks.app_context():
        db.session.add(SmsOptOut(newcomer_id=surveys_stop.id, category="surveys", source="sms"))
        db.session.add(SmsOptOut(newcomer_id=all_stop.id, category="all", source="sms"))
        db.session.add(SmsOptOut(newcomer_id=notices_stop.id, category="notices", source="sms"))
        db.session.commit()
    for person in (surveys_stop, all_stop, notices_stop):
        approve_intake(hooks, person)
    assert run_scan(hooks) == 1  # only the one who stopped notices, not surveys
    by_person = {i.newcomer_id: i for i in invitations(hooks)}
    assert (by_person[surveys_stop.id].status, by_person[surveys_stop.id].skip_reason) == ("skipped", "opted_out")
    assert (by_person[all_stop.id].status, by_person[all_stop.id].skip_reason) == ("skipped", "opted_out")
    assert by_person[surveys_stop.id].token_hash is None
    assert by_person[notices_stop.id].status == "invited"
    assert [to for to, _ in sms.sent] == [notices_stop.phone]
    assert run_scan(hooks) == 0  # a skipped occasion stays skipped


def test_a_stop_after_the_invitation_cancels_its_sms_at_send_time(phone, clock):
    run_scan(phone.app)
    with phone.app.app_context():
        db.session.add(SmsOptOut(newcomer_id=phone.person.id, category="surveys", source="sms"))
        db.session.commit()
    assert phone.bodies() == []
    assert {m.kind: m.status for m in phone.messages()}["survey_invitation"] == "cancelled"


@pytest.mark.parametrize(("status", "ended"), [("moved_away", None), ("ended", None), ("in_route", date(2026, 10, 1))])
def test_closed_files_get_nothing(hooks, newcomer, sms, clock, status, ended):
    approve_intake(hooks, newcomer)
    with hooks.app_context():
        row = db.session.get(Newcomer, newcomer.id)
        row.status, row.ended_on = status, ended
        db.session.commit()
    assert run_scan(hooks) == 0
    assert invitations(hooks) == []
    assert sms.sent == []


def test_pvt_signed_rates_the_map_pvt_provider_and_needs_one(hooks, newcomer, sms, clock):
    set_route(hooks, newcomer, pvt_signed_on=TODAY - timedelta(days=2))
    assert run_scan(hooks) == 0  # no provider linked: nobody to rate
    partner_id = add_partner(hooks, newcomer, MAP_PVT_PROVIDER, "Participatiebureau West")
    assert run_scan(hooks) == 1
    [invitation] = invitations(hooks)
    assert (invitation.trigger, invitation.partner_id, invitation.survey_id) == (
        "pvt_signed",
        partner_id,
        "survey_map_pvt_provider",
    )
    assert "Participatiebureau West" in sms.sent[-1][1]


def test_a_partner_who_started_after_the_date_or_ended_before_is_not_the_one(hooks, newcomer, clock):
    set_route(hooks, newcomer, map_final_interview_on=TODAY - timedelta(days=10))
    add_partner(hooks, newcomer, MAP_PVT_PROVIDER, "Later", started_days_ago=3)
    work = add_partner(hooks, newcomer, WORK_PARTNER, "WerkSaam", started_days_ago=200)
    run_scan(hooks)
    [invitation] = invitations(hooks)
    assert (invitation.trigger, invitation.partner_id, invitation.partner_kind) == (
        "map_final_interview",
        work,
        WORK_PARTNER,
    )


def test_six_monthly_in_the_route_and_at_its_end(hooks, newcomer, sms, clock):
    school = add_partner(hooks, newcomer, LANGUAGE_SCHOOL, "Taalschool Hoorn", started_days_ago=800)
    set_route(hooks, newcomer, route_started_on=TODAY - relativedelta(months=12) - timedelta(days=5))
    assert run_scan(hooks) == 1
    [invitation] = invitations(hooks)
    assert (invitation.occasion, invitation.partner_id) == ("six_monthly:2", school)
    assert run_scan(hooks) == 0
    # Six months later: the third.
    clock.move_to(NOW + relativedelta(months=6), tick=False)
    assert run_scan(hooks) == 1
    assert [i.occasion for i in invitations(hooks)] == ["six_monthly:2", "six_monthly:3"]
    # The route ends: the end survey, and no more six-monthly ones.
    set_route(hooks, newcomer, route_completed_on=(NOW + relativedelta(months=6)).date() - timedelta(days=1))
    assert run_scan(hooks) == 1
    clock.move_to(NOW + relativedelta(months=12), tick=False)
    assert run_scan(hooks) == 0
    assert [i.occasion for i in invitations(hooks)] == ["six_monthly:2", "six_monthly:3", "route_end"]


def test_the_obligation_met_is_the_end_of_the_route_too(hooks, newcomer, clock):
    add_partner(hooks, newcomer, LANGUAGE_SCHOOL, "Taalschool Hoorn")
    with hooks.app_context():
        row = db.session.get(Newcomer, newcomer.id)
        row.obligation_met_on, row.status = TODAY - timedelta(days=1), "obligation_met"
        db.session.commit()
    assert run_scan(hooks) == 1
    assert [i.trigger for i in invitations(hooks)] == ["route_end"]


def test_a_date_in_the_future_or_far_away_fires_nothing(hooks, newcomer, clock):
    add_partner(hooks, newcomer, MAP_PVT_PROVIDER, "Participatiebureau West")
    set_route(hooks, newcomer, pvt_signed_on=date(9999, 12, 31), map_final_interview_on=date(1900, 1, 1))
    assert run_scan(hooks) == 0


def test_the_scan_is_bounded_per_batch(hooks, make_newcomer, monkeypatch, clock):
    people = [make_newcomer(language="en") for _ in range(5)]
    for person in people:
        approve_intake(hooks, person)
    monkeypatch.setattr(scan, "BATCH", 2)
    assert run_scan(hooks) == 2
    assert run_scan(hooks) == 2
    assert run_scan(hooks) == 1
    assert run_scan(hooks) == 0


def test_the_cli_runs_one_scan(phone):
    result = phone.app.test_cli_runner().invoke(args=["survey-scan"])
    assert result.exit_code == 0, result.output
    assert "1 survey invitation(s) made" in result.output
    assert len(invitations(phone.app)) == 1


def test_the_job_runner_scans_at_most_every_few_minutes(phone, make_newcomer):
    from app.outbox.worker import JOB_RUNNERS

    assert scan.scan_job in JOB_RUNNERS

    class Worker:
        pass

    worker = Worker()
    with phone.app.app_context():
        assert scan.scan_job(worker) is False
    assert len(invitations(phone.app)) == 1
    approve_intake(phone.app, make_newcomer(language="en"))
    with phone.app.app_context():
        assert scan.scan_job(worker) is False  # paced: the next scan is minutes away
    assert len(invitations(phone.app)) == 1
    with phone.app.app_context():
        assert scan.scan_job(Worker()) is False  # another worker scans on its own pace
    assert len(invitations(phone.app)) == 2


def test_two_scans_at_the_same_moment_make_one_invitation_and_one_sms(hooks, make_newcomer, clock):
    people = [make_newcomer(language="en") for _ in range(6)]
    for person in people:
        approve_intake(hooks, person)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            with hooks.app_context():
                barrier.wait(timeout=10)
                scan.scan()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            with hooks.app_context():
                db.session.remove()

    if hooks.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("two writers at once: PostgreSQL (SQLite takes one writer)")
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with hooks.app_context():
        per_person = db.session.execute(
            select(SurveyInvitation.newcomer_id, func.count()).group_by(SurveyInvitation.newcomer_id)
        ).all()
        invitation_sms = db.session.scalar(
            select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "survey_invitation")
        )
    assert sorted(count for _, count in per_person) == [1] * 6
    assert invitation_sms == 6
