"""The reports' query counts do not grow with the data: bench/reports.py in small, on the test database.

A region of three municipalities is filled in SQL (a recursive CTE, on SQLite and PostgreSQL alike)
with 20 newcomers and their records and ten survey answers each, every page is requested by a
beleidsmedewerker of the region and a klantmanager of one municipality and its SQL statements
counted; then 180 newcomers more (200, with 2,000 answers) and the same again: the same number of
statements, and figures that changed. No timing here: bench/reports.py measures that.
"""

# ruff: noqa: S608 - the SQL is built from this file's constants only; every value is a bound parameter

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text

from app.extensions import db
from app.models import Municipality, Newcomer
from app.models.partner import PARTNER_KINDS, Partner, Region
from app.models.survey import SurveyInvitation, SurveyResponse
from app.models.types import local_today
from tests.conftest import StaffLogin, staff_sign_in

PAGES = ("/reports/klantbeleving", "/reports/progress", "/reports/monitor")
CODES = ("0405", "0532", "0416")
SIZES = (20, 200)
ANSWERS = 10
"""Answers per newcomer (of twelve invitations, two not answered)."""


def _sql(postgres: bool) -> dict[str, Callable[..., str]]:
    """The few expressions SQLite and PostgreSQL spell differently."""
    if postgres:
        return {
            "day": lambda d, n: f"(CAST({d} AS DATE) + ({n}))",
            "at": lambda d, n: f"CAST(CAST({d} AS DATE) + ({n}) AS TIMESTAMP) AT TIME ZONE 'UTC' + INTERVAL '10 hours'",
            "quarter": lambda d: f"to_char({d}, 'YYYY') || '-Q' || to_char({d}, 'Q')",
        }
    return {
        "day": lambda d, n: f"date({d}, printf('%+d days', {n}))",
        "at": lambda d, n: f"datetime({d}, printf('%+d days', {n}), '+10 hours')",
        "quarter": lambda d: f"strftime('%Y', {d}) || '-Q' || ((CAST(strftime('%m', {d}) AS INTEGER) + 2) / 3)",
    }


def grow(first: int, last: int, municipality_ids: list[int]) -> None:
    """Newcomers number ``first``..``last`` with PIPs, route progress, intake, relief, work, household,
    complaints, route partners and twelve survey invitations each (ten answered), in SQL."""
    s = _sql(db.engine.dialect.name == "postgresql")
    day, at, quarter = s["day"], s["at"], s["quarter"]
    before = db.session.scalar(select(func.coalesce(func.max(Newcomer.id), 0)))
    today = local_today()
    p = {"first": first, "last": last, "base": (today - timedelta(days=1100)).isoformat(), "today": today.isoformat()}
    p |= {f"m{i}": m for i, m in enumerate(municipality_ids)}
    p["before"] = before
    seq = "WITH RECURSIVE g(k) AS (SELECT CAST(:first AS INTEGER) UNION ALL SELECT k + 1 FROM g WHERE k < :last) "
    run = db.session.execute
    run(
        text(
            seq + "INSERT INTO newcomers (municipality_id, name, phone, language, doelgroep, status, duo_notified_on,"
            " settled_on, leerroute, ended_on, end_reason, obligation_met_on, nareiziger, created_at, updated_at)"
            " SELECT CASE k % 3 WHEN 0 THEN :m0 WHEN 1 THEN :m1 ELSE :m2 END, 'Scale ' || k,"
            " '+3163' || CAST(1000000 + k AS TEXT), CASE k % 3 WHEN 0 THEN 'ar' WHEN 1 THEN 'ti' ELSE 'nl' END,"
            " CASE WHEN k % 5 = 0 THEN 'gezinsmigrant_overig' ELSE 'statushouder' END, 'in_route',"
            f" {day(':base', 'k * 37 % 600')},"
            f" CASE WHEN k % 5 <> 0 THEN {day(':base', 'k * 37 % 600 + 20')} END,"
            " CASE k % 4 WHEN 0 THEN 'Z' WHEN 1 THEN 'O' ELSE 'B' END,"
            f" CASE WHEN k % 10 = 0 THEN {day(':base', 'k * 37 % 600 + 300')} END,"
            " CASE WHEN k % 10 = 0 THEN 'moved_away' END,"
            f" CASE WHEN k % 3 = 0 THEN {day(':base', 'k * 37 % 600 + 500')} END, k % 17 = 0,"
            f" {at(':base', 'k * 37 % 600')}, {at(':base', 'k * 37 % 600')} FROM g"
        ),
        p,
    )
    mine = "FROM newcomers n WHERE n.id > :before"
    pip = (
        "INSERT INTO pips (newcomer_id, municipality_id, version, learnability_result, leerroute, level, literacy,"
        " pip_on, knm, pvt, map, z_participation, social_guidance, created_at)"
    )
    run(
        text(
            f"{pip} SELECT n.id, n.municipality_id, 1, 'unknown', coalesce(n.leerroute, 'B'), 'B1', 'NVT',"
            f" {day('n.duo_notified_on', 45)}, 1 = 1, 1 = 1, 1 = 1, n.leerroute = 'Z', n.id % 2 = 0,"
            f" {at('n.duo_notified_on', 45)} {mine}"
        ),
        p,
    )
    run(
        text(
            f"{pip} SELECT n.id, n.municipality_id, 2, 'unknown', 'Z', 'A1', 'NVT', {day('n.duo_notified_on', 200)},"
            f" 1 = 1, 1 = 1, 1 = 1, 1 = 1, 1 = 0, {at('n.duo_notified_on', 200)} {mine} AND n.id % 4 = 0"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO route_progress (newcomer_id, municipality_id, route_started_on, knm_themes, pvt_signed_on,"
            " map_themes, map_final_interview_on, map_exempt, map_exempt_on, z_completed_on, updated_at)"
            f" SELECT n.id, n.municipality_id, {day('n.duo_notified_on', 60)}, '[]',"
            f" CASE WHEN n.id % 2 = 0 THEN {day('n.duo_notified_on', 300)} END, '[]',"
            f" CASE WHEN n.id % 3 = 0 THEN {day('n.duo_notified_on', 400)} END, n.id % 11 = 0,"
            f" CASE WHEN n.id % 11 = 0 THEN {day('n.duo_notified_on', 90)} END,"
            f" CASE WHEN n.leerroute = 'Z' AND n.id % 2 = 1 THEN {day('n.duo_notified_on', 450)} END,"
            f" {at('n.duo_notified_on', 60)} {mine}"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO fillings (newcomer_id, municipality_id, workflow_id, workflow_version, occasion, answers,"
            " completed_steps, asked, answer_channels, channel, locale, status, started_at, updated_at,"
            " submitted_at, sms_sequence, sms_tries)"
            " SELECT n.id, n.municipality_id, 'brede_intake', 1, '', '{}', '[]', '[]', '{}', 'web', n.language,"
            f" 'submitted', {at('n.duo_notified_on', 5)}, {at('n.duo_notified_on', 20)},"
            f" {at('n.duo_notified_on', '20 + n.id % 9')}, 0, 0 {mine}"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO relief_trajectories (newcomer_id, municipality_id, started_on, six_months_on, extended,"
            " extension_decided_on, updated_at)"
            f" SELECT n.id, n.municipality_id, n.settled_on, {day('n.settled_on', 182)}, n.id % 3 = 0,"
            f" CASE WHEN n.id % 3 = 0 THEN {day('n.settled_on', 175)} END, {at('n.settled_on', 0)}"
            f" {mine} AND n.settled_on IS NOT NULL AND n.nareiziger = (1 = 0)"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO participation_activities (newcomer_id, municipality_id, kind, started_on, created_at)"
            " SELECT n.id, n.municipality_id, CASE n.id % 4 WHEN 0 THEN 'work_placement_orientation'"
            " WHEN 1 THEN 'work_placement' WHEN 2 THEN 'volunteer_work' ELSE 'paid_work' END,"
            f" {day('n.duo_notified_on', 100)}, {at('n.duo_notified_on', 100)} {mine}"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO household_members (newcomer_id, municipality_id, kind, birth_year, housed_on, nareiziger,"
            f" created_at) SELECT n.id, n.municipality_id, 'child', 2015, n.settled_on, n.id % 6 = 0,"
            f" {at('n.settled_on', 0)} {mine} AND n.settled_on IS NOT NULL AND n.id % 2 = 0"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO complaints (newcomer_id, municipality_id, received_on, official, about_inburgering,"
            " filed_with, subject, created_at)"
            f" SELECT n.id, n.municipality_id, {day('n.duo_notified_on', 150)}, n.id % 2 = 0, 1 = 1,"
            f" 'municipality', 'Scale', {at('n.duo_notified_on', 150)} {mine} AND n.id % 5 = 0"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO route_partners (newcomer_id, municipality_id, partner_id, kind, started_on, created_at)"
            f" SELECT n.id, n.municipality_id, pa.id, pa.kind, {day('n.duo_notified_on', 45)},"
            f" {at('n.duo_notified_on', 45)} FROM newcomers n CROSS JOIN partners pa WHERE n.id > :before"
        ),
        p,
    )
    kinds = " ".join(f"WHEN {i} THEN '{kind}'" for i, kind in enumerate(PARTNER_KINDS))
    answered = "o.i NOT IN (1 + n.id % 12, 1 + (n.id + 5) % 12)"
    ago = "-(30 + (n.id * 13 + o.i * 29) % 330)"
    run(
        text(
            "WITH RECURSIVE o(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM o WHERE i < 12)"  # noqa: S608 - constants
            " INSERT INTO survey_invitations (newcomer_id, municipality_id, trigger, occasion, survey_id,"
            " partner_id, partner_kind, status, expires_at, channel, responded_at, created_at)"
            " SELECT n.id, n.municipality_id, 'six_monthly', 'six_monthly:' || o.i, 'survey_' || pa.kind, pa.id,"
            f" pa.kind, CASE WHEN {answered} THEN 'responded' ELSE 'expired' END, {at(':today', f'{ago} + 28')},"
            f" CASE WHEN {answered} THEN 'web' END, CASE WHEN {answered} THEN {at(':today', ago)} END,"
            f" {at(':today', f'{ago} - 2')}"
            f" FROM newcomers n CROSS JOIN o JOIN partners pa ON pa.kind = CASE o.i % {len(PARTNER_KINDS)} {kinds} END"
            " WHERE n.id > :before"
        ),
        p,
    )
    on = day(":today", "-(30 + (n.id * 13 + CAST(substr(i.occasion, 13) AS INTEGER) * 29) % 330)")
    run(
        text(
            "INSERT INTO survey_responses (invitation_id, municipality_id, survey_id, partner_id, partner_kind,"
            " trigger, mark, heard, clear, own_language, comment, comment_language, channel, language, doelgroep,"
            " leerroute, answered_at, answered_on, quarter)"
            " SELECT i.id, i.municipality_id, i.survey_id, i.partner_id, i.partner_kind, i.trigger,"
            " 3 + (i.id * 7) % 8, 1 + i.id % 3, 1 + (i.id + 1) % 3, 1 + (i.id + 2) % 3,"
            " CASE WHEN i.id % 7 = 0 THEN 'Scale comment' END, CASE WHEN i.id % 7 = 0 THEN n.language END, 'web',"
            f" n.language, n.doelgroep, n.leerroute, i.responded_at, {on}, {quarter(on)}"
            " FROM survey_invitations i JOIN newcomers n ON n.id = i.newcomer_id"
            " WHERE n.id > :before AND i.status = 'responded'"
        ),
        p,
    )
    db.session.commit()


@pytest.fixture
def region(app: Flask, make_staff: Callable[..., StaffLogin]) -> dict[str, object]:
    """Three municipalities of one region, a partner of every kind, and two signed-in staff members."""
    beleid = make_staff(role="beleidsmedewerker", codes=CODES)
    klantmanager = make_staff(role="klantmanager", codes=CODES[:1])
    with app.app_context():
        db.session.add(Region(name="Westfriesland", targets={}))
        db.session.flush()
        region_id = db.session.scalar(select(Region.id))
        ids = []
        for code in CODES:
            row = db.session.scalar(select(Municipality).where(Municipality.code == code))
            row.region_id = region_id
            ids.append(row.id)
        for kind in PARTNER_KINDS:
            partner = Partner(name=f"{kind} partner", kind=kind)
            partner.municipalities = db.session.scalars(select(Municipality)).all()
            db.session.add(partner)
        db.session.commit()
    clients = {}
    for role, login in (("beleidsmedewerker", beleid), ("klantmanager", klantmanager)):
        clients[role] = app.test_client()
        clients[role].environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # tests read the source strings
        staff_sign_in(clients[role], login)
    return {"ids": ids, "clients": clients}


def _requests(app: Flask, clients: dict[str, FlaskClient], path: str) -> dict[str, tuple[int, str]]:
    """The page for every role: (statements, HTML)."""
    seen: dict[str, tuple[int, str]] = {}
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for role, client in clients.items():
            client.get(path)  # warm: the first request loads what later ones keep
            statements.clear()
            response = client.get(path)
            if response.status_code == 404 and role == "beleidsmedewerker":
                pytest.skip(f"{path} is not built yet (answers 404)")
            assert response.status_code == 200, (path, role, response.status_code)
            seen[role] = (len(statements), response.text)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_generated_region_has_the_rows_asked_for(app: Flask, region: dict[str, object]) -> None:
    with app.app_context():
        grow(1, SIZES[1], region["ids"])
        assert db.session.scalar(select(func.count()).select_from(Newcomer)) == SIZES[1]
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == SIZES[1] * ANSWERS
        assert db.session.scalar(select(func.count()).select_from(SurveyInvitation)) == SIZES[1] * 12
        latest = db.session.scalar(select(func.max(SurveyResponse.answered_on)))
        assert latest <= local_today()
        marks = db.session.execute(select(func.min(SurveyResponse.mark), func.max(SurveyResponse.mark))).one()
        assert marks == (3, 10)


@pytest.mark.parametrize("path", PAGES)
def test_query_count_is_the_same_at_two_sizes(app: Flask, region: dict[str, object], path: str) -> None:
    clients = region["clients"]
    with app.app_context():
        grow(1, SIZES[0], region["ids"])
    small = _requests(app, clients, path)
    with app.app_context():
        grow(SIZES[0] + 1, SIZES[1], region["ids"])
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == SIZES[1] * ANSWERS
    large = _requests(app, clients, path)
    for key in small:
        assert small[key][0] == large[key][0], (key, small[key][0], large[key][0])
        assert small[key][1] != large[key][1], f"{key}: the page shows the same at {SIZES[0]} and {SIZES[1]} files"
