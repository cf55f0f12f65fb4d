"""The reports at regional scale, on PostgreSQL: klantbeleving, the progress report and the monitor.

For each scale the script builds a schema from the migrations and generates, in SQL
(``INSERT ... SELECT generate_series``, ``setseed`` so every run is the same), one region of 7
municipalities with partners of every kind (and who serves whom), the newcomers with realistic
records (DUO notice, housing, ends and met obligations, PIP versions, route progress dates, the
brede intake's filling, relief trajectories, participation activities, housed household members,
complaints, route partners) and ten survey answers per newcomer (``SurveyResponse`` with its
``SurveyInvitation``; twelve invitations each, ten answered), then runs ``VACUUM ANALYZE``.

It signs in a beleidsmedewerker of the whole region and a klantmanager of one municipality through
the real flow and requests each report page with the Flask test client, in-process, the scales
taking turns request by request: p50 and p95 of the whole request, the SQL statements per request
(the same at every scale when the pages' query count is constant), the page's own SELECTs captured
from the request and run again alone through psycopg, and a hand-written raw SQL aggregate of the
page's headline figures run alone (ratio page/raw). Prints Markdown tables.

    .venv/bin/python bench/reports.py [--rounds 20] [--scales 10000 100000]

The database is ``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/bench_r``),
created when missing and emptied.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models.types import local_today  # noqa: E402
from bench.caseload import fresh_schemas, p95, schema_url  # noqa: E402
from tests.conftest import StaffLogin, staff_sign_in  # noqa: E402

MUNICIPALITIES = 7
ANSWERS_PER_NEWCOMER = 10
INVITATIONS_PER_NEWCOMER = 12
PARTNERS = {"language_school": 3, "social_guidance": 2, "municipality": MUNICIPALITIES, "work_partner": 1,
            "map_pvt_provider": 2}  # fmt: skip
"""Partners per kind: one municipality partner per municipality, the others serve the whole region."""
PAGES = {
    "klantbeleving": "/reports/klantbeleving",
    "progress": "/reports/progress",
    "monitor": "/reports/monitor",
}
BUDGET = 20.0
"""Seconds of requests per page, role and scale at the largest scale: a slower page gets fewer rounds."""
ROLES = ("beleidsmedewerker (region)", "klantmanager (1 municipality)")
TABLES = (
    "newcomers", "pips", "route_progress", "fillings", "relief_trajectories", "participation_activities",
    "household_members", "complaints", "partners", "partner_municipalities", "route_partners",
    "survey_invitations", "survey_responses",
)  # fmt: skip

# The occasions of one person's twelve invitations: (trigger, occasion, partner kind, days after the notice).
OCCASIONS = [("intake_approved", "intake_approved", "municipality", 30)]
OCCASIONS += [("pvt_signed", "pvt_signed", "map_pvt_provider", 200), ("map_final_interview", "map_final_interview",
              "map_pvt_provider", 260)]  # fmt: skip
SIX_MONTHLY_KINDS = ("language_school", "social_guidance", "work_partner", "municipality")
OCCASIONS += [("six_monthly", f"six_monthly:{k}", SIX_MONTHLY_KINDS[k % 4], 90 + 182 * k) for k in range(1, 9)]
OCCASIONS += [("route_end", "route_end", "language_school", 1100)]


def _values(rows: list[tuple]) -> str:
    """A VALUES list of literals (constants of this file only)."""

    def lit(v: object) -> str:
        return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def generate(files: int, today: date) -> None:  # noqa: PLR0915 - one statement per table, in order
    """The region's records, in SQL; every date is on or before ``today``."""
    run = db.session.execute
    p = {"n": files, "today": today, "start": date(2022, 1, 1)}
    run(text("SELECT setseed(0.42)"))
    run(text("INSERT INTO regions (name, targets) VALUES ('Westfriesland', '{}')"))
    run(
        text(
            "INSERT INTO municipalities (code, name, region_id) SELECT lpad(g::text, 4, '0'), 'Gemeente ' || g,"
            " (SELECT id FROM regions) FROM generate_series(1, :m) g"
        ),
        {"m": MUNICIPALITIES},
    )
    kinds = _values([(kind, count) for kind, count in PARTNERS.items()])
    run(
        text(
            "INSERT INTO partners (name, kind, active, created_at)"  # noqa: S608 - constants
            " SELECT initcap(replace(k.kind, '_', ' ')) || ' ' || s, k.kind, true, TIMESTAMPTZ '2021-06-01'"
            f" FROM (VALUES {kinds}) k(kind, n) CROSS JOIN LATERAL generate_series(1, k.n) s ORDER BY k.kind, s"
        )
    )
    # slot: which partner of its kind serves a newcomer (municipality partners: the municipality's number - 1)
    run(
        text(
            "CREATE TEMP TABLE bench_partner ON COMMIT DROP AS SELECT id AS partner_id, kind,"
            " (row_number() OVER (PARTITION BY kind ORDER BY id) - 1)::int AS slot,"
            " count(*) OVER (PARTITION BY kind)::int AS n FROM partners"
        )
    )
    run(
        text(
            "INSERT INTO partner_municipalities (partner_id, municipality_id) SELECT b.partner_id, m.id"
            " FROM bench_partner b JOIN municipalities m"
            " ON b.kind <> 'municipality' OR m.code::int - 1 = b.slot"
        )
    )
    run(
        text(
            "INSERT INTO newcomers (municipality_id, name, phone, language, doelgroep, status, duo_notified_on,"
            " settled_on, pip_deadline_on, leerroute, ended_on, end_reason, obligation_met_on, nareiziger,"
            " created_at, updated_at)"
            " SELECT m.id, 'Bench ' || g, '+3162' || lpad(g::text, 8, '0'), f.language, f.doelgroep, f.status,"
            " f.notified, f.settled, greatest(f.notified, coalesce(f.settled, f.notified)) + 70, f.leerroute,"
            " f.ended, CASE WHEN f.ended IS NOT NULL THEN (ARRAY['moved_away','moved_away','exempted','dispensed',"
            "'other_education','left_country','purpose_changed','deceased','other'])[1 + floor(random() * 9)::int]"
            " END, CASE WHEN f.ended IS NULL AND f.r_met < 0.55 AND f.notified + 500 + floor(f.r_met * 900)::int"
            " <= :today THEN f.notified + 500 + floor(f.r_met * 900)::int END,"
            " f.doelgroep = 'statushouder' AND random() < 0.06, f.notified::timestamptz, f.notified::timestamptz"
            " FROM generate_series(1, :n) g CROSS JOIN LATERAL (SELECT"
            " (ARRAY['ar','ti','fa','tr','so','nl','en','ar','ti'])[1 + floor(random() * 9)::int] AS language,"
            " d.doelgroep, d.notified,"
            " CASE WHEN d.doelgroep = 'statushouder' THEN least(d.notified + floor(random() * 90)::int, :today) END"
            " AS settled,"
            " (ARRAY['B','B','B','B','B','Z','Z','O','O',NULL])[1 + floor(random() * 10)::int] AS leerroute,"
            " (ARRAY['pip_set','in_route','in_route','in_route','intake_approved','obligation_met','ended'])"
            "[1 + floor(random() * 7)::int] AS status,"
            " CASE WHEN random() < 0.12 THEN least(d.notified + 60 + floor(random() * 1000)::int, :today) END"
            " AS ended, random() AS r_met"
            " FROM (SELECT CASE WHEN random() < 0.8 THEN 'statushouder' ELSE 'gezinsmigrant_overig' END AS doelgroep,"
            " CAST(:start AS date) + floor(random() * (CAST(:today AS date) - CAST(:start AS date) - 20))::int"
            " AS notified WHERE g > 0) d) f"
            " JOIN municipalities m ON m.code = lpad((1 + g % :m)::text, 4, '0')"
        ),
        p | {"m": MUNICIPALITIES},
    )
    # The brede intake: started 3-30 days after the notice, submitted 1-21 days later (90%).
    run(
        text(
            "INSERT INTO fillings (newcomer_id, municipality_id, workflow_id, workflow_version, occasion, answers,"
            " completed_steps, asked, answer_channels, channel, locale, status, started_at, updated_at, submitted_at,"
            " sms_sequence, sms_tries)"
            " SELECT n.id, n.municipality_id, 'brede_intake', 1, '', '{}', '[]', '[]', '{}', 'web', n.language,"
            " CASE WHEN f.submitted <= :today THEN 'submitted' ELSE 'in_progress' END, f.started, f.started,"
            " CASE WHEN f.submitted <= :today THEN f.submitted END, 0, 0"
            " FROM newcomers n CROSS JOIN LATERAL (SELECT"
            " (n.duo_notified_on + 3 + floor(random() * 28)::int)::timestamptz + INTERVAL '10 hours' AS started,"
            " CASE WHEN random() < 0.9 THEN (n.duo_notified_on + 35 + floor(random() * 20)::int)::timestamptz"
            " + INTERVAL '14 hours' END AS submitted WHERE n.id > 0) f"
            " WHERE f.started <= :today"
        ),
        p,
    )
    # PIP version 1 (92% of files), 30-90 days after the notice; version 2 for a fifth of them.
    pip_cols = (
        "INSERT INTO pips (newcomer_id, municipality_id, version, learnability_result, leerroute, level, literacy,"
        " pip_on, knm, pvt, map, z_participation, social_guidance, created_at)"
    )
    level = "CASE f.r WHEN 'B' THEN 'B1' WHEN 'Z' THEN 'A1' ELSE 'B2' END"
    run(
        text(
            f"{pip_cols} SELECT n.id, n.municipality_id, 1,"  # noqa: S608 - constants
            f" 'unknown', f.r, {level}, 'NVT',"
            " f.pip_on, true, true, true, f.r = 'Z', n.doelgroep = 'statushouder' AND random() < 0.6,"
            " f.pip_on::timestamptz + INTERVAL '11 hours'"
            " FROM newcomers n CROSS JOIN LATERAL (SELECT coalesce(n.leerroute, 'B') AS r,"
            " n.duo_notified_on + 30 + floor(random() * 60)::int AS pip_on WHERE n.id > 0) f"
            " WHERE f.pip_on <= :today AND random() < 0.92"
        ),
        p,
    )
    run(
        text(
            f"{pip_cols} SELECT v.newcomer_id, v.municipality_id, 2,"  # noqa: S608 - constants
            f" 'unknown', f.r, {level},"
            " 'NVT', f.pip_on, true, true, true, f.r = 'Z', v.social_guidance OR random() < 0.2,"
            " f.pip_on::timestamptz + INTERVAL '11 hours'"
            " FROM pips v CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.3 THEN 'Z' ELSE v.leerroute END AS r,"
            " v.pip_on + 60 + floor(random() * 400)::int AS pip_on WHERE v.id > 0) f"
            " WHERE v.version = 1 AND f.pip_on <= :today AND random() < 0.2"
        ),
        p,
    )

    def dated(expression: str, share: float) -> str:
        """The date, when it falls on or before today and with this probability; else NULL."""
        return f"CASE WHEN {expression} <= :today AND random() < {share} THEN {expression} END"

    run(
        text(
            "INSERT INTO route_progress (newcomer_id, municipality_id, route_started_on, route_completed_on,"  # noqa: S608
            " knm_themes, pvt_signed_on, map_themes, map_final_interview_on, map_exempt, map_exempt_on,"
            " z_completed_on, updated_at)"
            " SELECT v.newcomer_id, v.municipality_id, f.started, CASE WHEN f.started IS NOT NULL THEN"
            f" {dated('f.started + f.d_done', 0.45)} END, '[]', {dated('v.pip_on + f.d_pvt', 0.7)}, '[]',"
            f" {dated('v.pip_on + f.d_map', 0.6)}, f.exempt, CASE WHEN f.exempt THEN v.pip_on + 20 END,"
            f" CASE WHEN v.leerroute = 'Z' THEN {dated('v.pip_on + f.d_done', 0.35)} END,"
            " v.created_at"
            " FROM pips v CROSS JOIN LATERAL (SELECT"
            f" {dated('v.pip_on + 14 + floor(random() * 45)::int', 0.9)} AS started,"
            " 300 + floor(random() * 600)::int AS d_done, 60 + floor(random() * 500)::int AS d_pvt,"
            " 90 + floor(random() * 600)::int AS d_map, v.pip_on + 20 <= :today AND random() < 0.04 AS exempt"
            " WHERE v.id > 0) f WHERE v.version = 1"
        ),
        p,
    )
    # Financieel ontzorgen: 70% of housed statushouders (nareizigers get none of their own).
    run(
        text(
            "INSERT INTO relief_trajectories (newcomer_id, municipality_id, started_on, six_months_on, extended,"
            " extension_decided_on, ended_on, updated_at)"
            " SELECT n.id, n.municipality_id, n.settled_on, (n.settled_on + INTERVAL '6 months')::date, f.ext,"
            " CASE WHEN f.ext THEN (n.settled_on + INTERVAL '6 months')::date - 7 END,"
            " CASE WHEN (n.settled_on + INTERVAL '12 months')::date <= :today AND random() < 0.8"
            " THEN (n.settled_on + INTERVAL '6 months')::date + CASE WHEN f.ext THEN 182 ELSE 0 END END,"
            " n.settled_on::timestamptz"
            " FROM newcomers n CROSS JOIN LATERAL (SELECT random() < 0.3"
            " AND (n.settled_on + INTERVAL '6 months')::date <= :today AS ext WHERE n.id > 0) f"
            " WHERE n.doelgroep = 'statushouder' AND NOT n.nareiziger AND n.settled_on IS NOT NULL"
            " AND random() < 0.7"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO participation_activities (newcomer_id, municipality_id, kind, started_on, ended_on,"
            " partner_id, hours_per_week, created_at)"
            " SELECT v.newcomer_id, v.municipality_id, (ARRAY['work_placement_orientation','work_placement',"
            "'volunteer_work','paid_work'])[1 + floor(random() * 4)::int], f.started,"
            " CASE WHEN f.started + 180 <= :today AND random() < 0.5 THEN f.started + 180 END,"
            " (SELECT partner_id FROM bench_partner WHERE kind = 'work_partner' LIMIT 1),"
            " 8 + floor(random() * 24)::int, f.started::timestamptz"
            " FROM pips v CROSS JOIN generate_series(1, 2) k CROSS JOIN LATERAL (SELECT"
            " v.pip_on + 30 + floor(random() * 700)::int AS started WHERE k > 0) f"
            " WHERE v.version = 1 AND f.started <= :today AND random() < 0.45"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO household_members (newcomer_id, municipality_id, kind, birth_year, housed_on, nareiziger,"
            " created_at)"
            " SELECT n.id, n.municipality_id, f.kind, CASE f.kind WHEN 'child' THEN 2010 + floor(random() * 15)::int"
            " WHEN 'elderly' THEN 1940 + floor(random() * 15)::int ELSE 1970 END, f.housed, f.housed > n.settled_on,"
            " n.settled_on::timestamptz"
            " FROM newcomers n CROSS JOIN generate_series(1, 2) k CROSS JOIN LATERAL (SELECT"
            " (ARRAY['child','child','child','elderly','other'])[1 + floor(random() * 5)::int] AS kind,"
            " CASE WHEN random() < 0.1 THEN least(n.settled_on + 100 + floor(random() * 300)::int, :today)"
            " ELSE n.settled_on END AS housed WHERE k > 0) f"
            " WHERE n.doelgroep = 'statushouder' AND n.settled_on IS NOT NULL AND random() < 0.35"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO complaints (newcomer_id, municipality_id, received_on, official, about_inburgering,"
            " filed_with, partner_id, subject, handled_on, created_at)"
            " SELECT n.id, n.municipality_id, f.received, random() < 0.6, random() < 0.85, f.filed,"
            " CASE WHEN f.filed = 'partner' THEN (SELECT partner_id FROM bench_partner"
            " WHERE kind = 'language_school' AND slot = n.id % 3) END, 'Bench complaint',"
            " CASE WHEN f.received + 30 <= :today THEN f.received + 30 END, f.received::timestamptz"
            " FROM newcomers n CROSS JOIN LATERAL (SELECT least(n.duo_notified_on + floor(random() * 700)::int,"
            " :today) AS received, CASE WHEN random() < 0.7 THEN 'municipality' ELSE 'partner' END AS filed"
            " WHERE n.id > 0) f WHERE random() < 0.03"
        ),
        p,
    )
    # One partner per kind and person, from the first PIP on.
    run(
        text(
            "INSERT INTO route_partners (newcomer_id, municipality_id, partner_id, kind, started_on, created_at)"
            " SELECT v.newcomer_id, v.municipality_id, b.partner_id, b.kind, v.pip_on, v.created_at"
            " FROM pips v JOIN municipalities m ON m.id = v.municipality_id JOIN bench_partner b"
            " ON b.slot = CASE WHEN b.kind = 'municipality' THEN m.code::int - 1 ELSE v.newcomer_id % b.n END"
            " WHERE v.version = 1"
        )
    )
    occasions = _values(
        [(i + 1, trigger, occasion, kind, days) for i, (trigger, occasion, kind, days) in enumerate(OCCASIONS)]
    )
    # Twelve invitations a person, ten of them answered (two chosen by the id: exactly ten per person).
    run(
        text(
            "INSERT INTO survey_invitations (newcomer_id, municipality_id, trigger, occasion, survey_id,"  # noqa: S608
            " partner_id, partner_kind, status, skip_reason, token_hash, expires_at, channel, responded_at,"
            " created_at)"
            " SELECT n.id, n.municipality_id, o.trigger, o.occasion, 'survey_' || o.kind, b.partner_id, o.kind,"
            " CASE WHEN f.answered THEN 'responded' WHEN o.i % 2 = 0 THEN 'expired' ELSE 'skipped' END,"
            " CASE WHEN NOT f.answered AND o.i % 2 = 1 THEN 'opted_out' END, NULL,"
            " f.created + INTERVAL '30 days', CASE WHEN f.answered THEN f.channel END,"
            " CASE WHEN f.answered THEN least(f.created + f.after, CAST(:today AS timestamptz)) END, f.created"
            f" FROM newcomers n CROSS JOIN (VALUES {occasions}) o(i, trigger, occasion, kind, days)"
            " JOIN municipalities m ON m.id = n.municipality_id"
            " JOIN bench_partner b ON b.kind = o.kind"
            " AND b.slot = CASE WHEN b.kind = 'municipality' THEN m.code::int - 1 ELSE n.id % b.n END"
            " CROSS JOIN LATERAL (SELECT"
            " (n.duo_notified_on + least(o.days + floor(random() * 60)::int,"
            " floor((CAST(:today AS date) - 1 - n.duo_notified_on) * (o.i - 1 + random()) / 12)::int))::timestamptz"
            " + INTERVAL '9 hours' AS created,"
            " o.i NOT IN (1 + n.id % 12, 1 + (n.id + 5) % 12) AS answered,"
            " CASE WHEN random() < 0.7 THEN 'web' ELSE 'sms' END AS channel,"
            " random() * INTERVAL '5 days' AS after WHERE o.i > 0) f"
        ),
        p,
    )
    run(
        text(
            "INSERT INTO survey_responses (invitation_id, municipality_id, survey_id, partner_id, partner_kind,"
            " trigger, mark, heard, clear, own_language, comment, comment_language, channel, language, doelgroep,"
            " leerroute, answered_at, answered_on, quarter)"
            " SELECT i.id, i.municipality_id, i.survey_id, i.partner_id, i.partner_kind, i.trigger, f.mark,"
            " 1 + floor(random() * 3)::int, 1 + floor(random() * 3)::int,"
            " CASE WHEN random() < 0.8 THEN 1 + floor(random() * 3)::int END,"
            " CASE WHEN random() < 0.15 THEN 'Bench comment ' || i.id END,"
            " CASE WHEN random() < 0.15 THEN n.language END, i.channel, n.language, n.doelgroep, n.leerroute,"
            " i.responded_at, f.on, to_char(f.on, 'YYYY') || '-Q' || to_char(f.on, 'Q')"
            " FROM survey_invitations i JOIN newcomers n ON n.id = i.newcomer_id CROSS JOIN LATERAL (SELECT"
            " greatest(1, least(10, round(7.2 + 1.6 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"
            " - CASE i.partner_kind WHEN 'map_pvt_provider' THEN 0.6 ELSE 0 END)))::int AS mark,"
            " (i.responded_at AT TIME ZONE 'Europe/Amsterdam')::date AS on WHERE i.id > 0) f"
            " WHERE i.status = 'responded'"
        )
    )


def build(app, files: int) -> tuple[dict[str, StaffLogin], dict[str, object]]:  # noqa: ANN001
    """One scale's schema: the region's records, a beleidsmedewerker of the region, a klantmanager of one."""
    from flask_migrate import upgrade

    from app.staff.services import create_staff

    timings: dict[str, float] = {}
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        generate(files, local_today())
        db.session.commit()
        timings["generate"] = time.perf_counter() - start
        start = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        timings["vacuum"] = time.perf_counter() - start
        codes = [f"{n:04d}" for n in range(1, MUNICIPALITIES + 1)]
        logins = {}
        for role, email, granted in (
            (ROLES[0], "beleid@example.nl", codes),
            (ROLES[1], "sanne@example.nl", codes[:1]),
        ):
            staff, password = create_staff(email, role.split()[0], granted, name=email.split("@")[0])
            staff.language = "en"
            db.session.commit()
            logins[role] = StaffLogin(staff.id, staff.email, password, staff.totp_secret)
        ids = {
            ROLES[0]: [m for (m,) in db.session.execute(text("SELECT id FROM municipalities ORDER BY id"))],
            ROLES[1]: [db.session.scalar(text("SELECT id FROM municipalities WHERE code = '0001'"))],
        }
        counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}  # noqa: S608
    return logins, {"timings": timings, "counts": counts, "ids": ids}


def periods(today: date) -> dict[str, dict[str, object]]:
    """The periods the pages show by default, as the raw aggregates read them."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    year_before = date(quarter_start.year - 1, quarter_start.month, 1)
    month_start = today.replace(day=1)
    return {
        "klantbeleving": {"start": year_before, "end": quarter_start},
        "progress": {"start": date(2022, 1, 1), "end": month_start, "ref": month_start - timedelta(days=1)},
        "monitor": {"ref": today},
    }


RAW = {
    # Mean, n, sum of squares by partner and by quarter, the distribution 1-10, the invitations sent.
    "klantbeleving": [
        "SELECT partner_id, count(*), sum(mark), sum(mark * mark) FROM survey_responses"
        " WHERE municipality_id = ANY(%(m)s) AND answered_on >= %(start)s AND answered_on < %(end)s"
        " GROUP BY partner_id",
        "SELECT quarter, partner_id, count(*), sum(mark) FROM survey_responses"
        " WHERE municipality_id = ANY(%(m)s) AND answered_on >= %(start)s AND answered_on < %(end)s"
        " GROUP BY quarter, partner_id",
        "SELECT mark, count(*) FROM survey_responses"
        " WHERE municipality_id = ANY(%(m)s) AND answered_on >= %(start)s AND answered_on < %(end)s GROUP BY mark",
        "SELECT count(*) FROM survey_invitations WHERE municipality_id = ANY(%(m)s) AND status <> 'skipped'"
        " AND created_at >= %(start)s AND created_at < %(end)s",
    ],
    # Seed 003's tables per municipality: housed, PIPs in force by route, MAP/PVT, relief, work, complaints, marks.
    "progress": [
        "SELECT municipality_id, doelgroep, count(*) FILTER (WHERE settled_on >= %(start)s AND settled_on <= %(ref)s),"
        " count(*) FILTER (WHERE ended_on >= %(start)s AND ended_on <= %(ref)s) FROM newcomers"
        " WHERE municipality_id = ANY(%(m)s) GROUP BY municipality_id, doelgroep",
        "SELECT municipality_id, count(*) FROM household_members WHERE municipality_id = ANY(%(m)s)"
        " AND housed_on >= %(start)s AND housed_on <= %(ref)s GROUP BY municipality_id",
        "SELECT v.municipality_id, n.doelgroep, v.leerroute, count(*), count(*) FILTER (WHERE v.social_guidance)"
        " FROM (SELECT DISTINCT ON (newcomer_id) newcomer_id, municipality_id, leerroute, social_guidance FROM pips"
        " WHERE municipality_id = ANY(%(m)s) AND pip_on <= %(ref)s AND created_at < %(ref)s::date + 1"
        " ORDER BY newcomer_id, version DESC) v JOIN newcomers n ON n.id = v.newcomer_id"
        " WHERE n.ended_on IS NULL OR n.ended_on > %(ref)s OR n.end_reason = 'moved_away'"
        " GROUP BY v.municipality_id, n.doelgroep, v.leerroute",
        "SELECT municipality_id, count(route_started_on) FILTER (WHERE route_started_on >= %(start)s"
        " AND route_started_on <= %(ref)s), count(*) FILTER (WHERE map_final_interview_on >= %(start)s"
        " AND map_final_interview_on <= %(ref)s), count(*) FILTER (WHERE map_exempt_on >= %(start)s"
        " AND map_exempt_on <= %(ref)s), count(*) FILTER (WHERE pvt_signed_on >= %(start)s"
        " AND pvt_signed_on <= %(ref)s) FROM route_progress WHERE municipality_id = ANY(%(m)s)"
        " GROUP BY municipality_id",
        "SELECT municipality_id, count(*) FILTER (WHERE started_on >= %(start)s AND started_on <= %(ref)s),"
        " count(*) FILTER (WHERE extension_decided_on >= %(start)s AND extension_decided_on <= %(ref)s)"
        " FROM relief_trajectories WHERE municipality_id = ANY(%(m)s) GROUP BY municipality_id",
        "SELECT municipality_id, kind, count(*) FROM participation_activities WHERE municipality_id = ANY(%(m)s)"
        " AND started_on >= %(start)s AND started_on <= %(ref)s GROUP BY municipality_id, kind",
        "SELECT municipality_id, count(*) FROM complaints WHERE municipality_id = ANY(%(m)s) AND official"
        " AND about_inburgering AND filed_with = 'municipality' AND received_on >= %(start)s"
        " AND received_on <= %(ref)s GROUP BY municipality_id",
        "SELECT municipality_id, partner_id, avg(mark) FROM survey_responses WHERE municipality_id = ANY(%(m)s)"
        " AND answered_on >= %(start)s AND answered_on <= %(ref)s GROUP BY municipality_id, partner_id",
    ],
    # Cohorts by quarter of the first PIP (met / known / size per route) and lead times per municipality/quarter.
    "monitor": [
        "SELECT to_char(f.first_on, 'YYYY-\"Q\"Q'), f.leerroute, count(*),"
        " count(*) FILTER (WHERE n.obligation_met_on IS NOT NULL OR (f.first_on + 1 + INTERVAL '3 years')::date"
        " <= %(ref)s), count(*) FILTER (WHERE n.obligation_met_on <= (f.first_on + 1 + INTERVAL '3 years')::date)"
        " FROM (SELECT DISTINCT ON (newcomer_id) newcomer_id, pip_on AS first_on, leerroute FROM pips"
        " WHERE municipality_id = ANY(%(m)s) ORDER BY newcomer_id, version) f JOIN newcomers n ON n.id = f.newcomer_id"
        " GROUP BY 1, 2",
        "SELECT r.municipality_id, count(*) FILTER (WHERE NOT r.extended) , count(*) FROM relief_trajectories r"
        " WHERE r.municipality_id = ANY(%(m)s) AND r.six_months_on <= %(ref)s GROUP BY r.municipality_id",
        "SELECT n.municipality_id, to_char(n.duo_notified_on, 'YYYY-\"Q\"Q'),"
        " percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.started_at::date - n.duo_notified_on),"
        " percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.submitted_at::date - n.duo_notified_on),"
        " percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY p.first_on - n.duo_notified_on),"
        " avg((p.first_on <= greatest(n.duo_notified_on, coalesce(n.settled_on, n.duo_notified_on)) + 70)::int)"
        " FROM newcomers n LEFT JOIN fillings f ON f.newcomer_id = n.id AND f.workflow_id = 'brede_intake'"
        " LEFT JOIN (SELECT newcomer_id, min(pip_on) AS first_on FROM pips GROUP BY newcomer_id) p"
        " ON p.newcomer_id = n.id WHERE n.municipality_id = ANY(%(m)s) AND n.duo_notified_on <= %(ref)s"
        " GROUP BY 1, 2",
    ],
}


class Scale:
    """One scale's schema, app, signed-in browsers, and the statements of the last request."""

    def __init__(self, files: int, url: str) -> None:
        self.files = files
        self.schema = f"reports_{files}"
        self.url = schema_url(url, self.schema)
        self.app = create_app(
            {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": self.url, "LOGIN_LIMIT_PER_IP": "1000 per minute"}
        )
        self.captured: list[tuple[str, object]] = []

    def build(self) -> None:
        self.logins, self.facts = build(self.app, self.files)
        self.clients = {}
        for role, login in self.logins.items():
            self.clients[role] = self.app.test_client()
            staff_sign_in(self.clients[role], login)
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._capture)

    def _capture(self, _conn, _cursor, statement, parameters, *_) -> None:  # noqa: ANN001, ANN002
        self.captured.append((statement, parameters))

    def raw(self) -> psycopg.Connection:
        parsed = make_url(self.url)
        dsn = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        return psycopg.connect(dsn, options=parsed.query["options"], autocommit=True)


def _page_selects(captured: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The request's read statements on the report tables (not the session, the staff member or the audit)."""
    skip = ("FROM staff_members", "FROM staff_municipalities", "FROM user_sessions", "FROM audit")
    return [
        (q, p)
        for q, p in captured
        if q.lstrip().upper().startswith(("SELECT", "WITH")) and not any(s in q for s in skip)
    ]


def _run_alone(raw: psycopg.Connection, statements: list[tuple[str, object]]) -> list[float]:
    """Each statement's time, run alone through psycopg."""
    times = []
    with raw.cursor() as cursor:
        for statement, parameters in statements:
            start = time.perf_counter()
            cursor.execute(statement, parameters)
            cursor.fetchall()
            times.append(time.perf_counter() - start)
    return times


def _rounds(seconds: float, rounds: int) -> int:
    """Fewer rounds for a page slower than BUDGET / rounds at the largest scale (at least 3)."""
    return max(3, min(rounds, int(BUDGET / max(seconds, 1e-3))))


def measure(scales: list[Scale], rounds: int) -> tuple[dict, dict]:
    """Every page for both roles at every scale, the scales taking turns request by request."""
    today = local_today()
    results: dict[tuple[str, str], dict] = {}
    missing: dict[str, str] = {}
    raws = {s.files: s.raw() for s in scales}
    for page, path in PAGES.items():
        try:
            status = {role: scales[0].clients[role].get(path).status_code for role in ROLES}
        except Exception as error:  # noqa: BLE001 - a page being built may fail: say so, measure the rest
            missing[page] = f"fails ({type(error).__name__}: {str(error)[:80]})"
            continue
        if set(status.values()) != {200}:
            missing[page] = "answers " + ", ".join(f"{code} to the {role}" for role, code in status.items())
            continue
        for role in ROLES:
            warm = 0.0
            for s in scales:  # warm: once, three times when it is quick
                for _ in range(3):
                    start = time.perf_counter()
                    response = s.clients[role].get(path)
                    warm = time.perf_counter() - start
                    assert response.status_code == 200, (page, role, response.status_code)
                    if warm > 1:
                        break
            n = _rounds(warm, rounds)
            times: dict[int, list[float]] = {s.files: [] for s in scales}
            counts: dict[int, set[int]] = {s.files: set() for s in scales}
            selects: dict[int, list] = {}
            for _ in range(n):
                for s in scales:
                    s.captured.clear()
                    start = time.perf_counter()
                    response = s.clients[role].get(path)
                    times[s.files].append(time.perf_counter() - start)
                    assert response.status_code == 200, (page, role)
                    counts[s.files].add(len(s.captured))
                    selects[s.files] = _page_selects(s.captured)
            params = {s.files: periods(today)[page] | {"m": s.facts["ids"][role]} for s in scales}
            alone: dict[int, list[list[float]]] = {s.files: [] for s in scales}
            reference: dict[int, list[float]] = {s.files: [] for s in scales}
            for _ in range(n):
                for s in scales:
                    alone[s.files].append(_run_alone(raws[s.files], selects[s.files]))
                    reference[s.files].append(sum(_run_alone(raws[s.files], [(q, params[s.files]) for q in RAW[page]])))
            results[(page, role)] = {"rounds": n}
            for s in scales:
                each = [statistics.median(t) for t in zip(*alone[s.files], strict=True)]
                slowest = max(range(len(each)), key=each.__getitem__) if each else None
                results[(page, role)][s.files] = {
                    "statements": counts[s.files],
                    "selects": len(selects[s.files]),
                    "p50": statistics.median(times[s.files]) * 1000,
                    "p95": p95(times[s.files]) if len(times[s.files]) >= 20 else max(times[s.files]) * 1000,
                    "alone p50": statistics.median(sum(t) for t in alone[s.files]) * 1000,
                    "raw p50": statistics.median(reference[s.files]) * 1000,
                    "slowest": None if slowest is None else (selects[s.files][slowest][0], each[slowest] * 1000),
                }
    for raw in raws.values():
        raw.close()
    return results, missing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--scales", nargs="+", type=int, default=[10000, 100000])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_r"),
    )
    args = parser.parse_args()
    started = time.perf_counter()
    built = [Scale(files, args.database_url) for files in args.scales]
    fresh_schemas(args.database_url, [s.schema for s in built])
    for s in built:
        s.build()
        t = s.facts["timings"]
        print(f"{s.files}: generated in {t['generate']:.0f} s, VACUUM ANALYZE {t['vacuum']:.0f} s", file=sys.stderr)
    load_before = os.getloadavg()[0]
    measuring = time.perf_counter()
    results, missing = measure(built, args.rounds)
    measured, load_after = time.perf_counter() - measuring, os.getloadavg()[0]
    first, last = built[0].files, built[-1].files
    short = {s.files: f"{s.files // 1000}k" if s.files % 1000 == 0 else f"{s.files:,}" for s in built}

    print(
        f"PostgreSQL, in-process Flask test client, {args.rounds} requests per page, role and scale (fewer, at"
        f" least 3, for a page whose request at {built[-1].files:,} takes over {BUDGET / args.rounds:.0f} s: the"
        " rounds column) after up to 3 warm-up requests, the scales taking turns request by request; ms per"
        " whole request (session, staff"
        " member, the page's queries, template). One region of 7 municipalities; the beleidsmedewerker is"
        " granted all 7, the klantmanager one. Default page parameters."
        f" Measured in {measured:.0f} s (whole run {time.perf_counter() - started:.0f} s); load average"
        f" {load_before:.1f} before, {load_after:.1f} after (2 cores, shared)\n"
    )
    print("| rows | " + " | ".join(f"{s.files:,} newcomers" for s in built) + " |")
    print("|---|" + "---:|" * len(built))
    for table in TABLES:
        print(f"| {table} | " + " | ".join(f"{s.facts['counts'][table]:,}" for s in built) + " |")
    for what in ("generate", "vacuum"):
        label = "generated in (s)" if what == "generate" else "VACUUM ANALYZE (s)"
        print(f"| {label} | " + " | ".join(f"{s.facts['timings'][what]:.0f}" for s in built) + " |")
    if results:
        header = " | ".join(f"{short[s.files]} p50 | p95" for s in built)
        ratio = f"{short[last]}/{short[first]}"
        print(f"\n| page | role | rounds | statements | {header} | p50 {ratio} | p95 {ratio} |")
        print("|---|---|---:|---:|" + "---:|---:|" * len(built) + "---:|---:|")
        for (page, role), r in results.items():
            counts = sorted(set().union(*(r[s.files]["statements"] for s in built)))
            cells = " | ".join(f"{r[s.files]['p50']:.1f} | {r[s.files]['p95']:.1f}" for s in built)
            growth = [r[last][q] / r[first][q] for q in ("p50", "p95")]
            print(
                f"| {page} | {role} | {r['rounds']} | {', '.join(map(str, counts))} | {cells} | {growth[0]:.2f}x"
                f" | {growth[1]:.2f}x |"
            )
        print(
            "\nAgainst SQL alone (psycopg, same run): the page's own SELECTs captured from the request and"
            " run again, and a hand-written raw aggregate of the page's headline figures (RAW in"
            " bench/reports.py: an estimate of the work, not the page's exact definitions); ms p50, and"
            f" the ratio page p50 / raw p50 at {short[last]}:\n"
        )
        header = " | ".join(f"{short[s.files]} page SELECTs alone | {short[s.files]} raw aggregate" for s in built)
        print(f"| page | role | SELECTs | {header} | page/raw {short[last]} |")
        print("|---|---|---:|" + "---:|---:|" * len(built) + "---:|")
        for (page, role), r in results.items():
            cells = " | ".join(f"{r[s.files]['alone p50']:.1f} | {r[s.files]['raw p50']:.1f}" for s in built)
            print(f"| {page} | {role} | {r[last]['selects']} | {cells} | {r[last]['p50'] / r[last]['raw p50']:.1f}x |")
        print(f"\nThe slowest SELECT of each page at {short[last]}, alone (p50 ms; its first 160 characters):\n")
        for (page, role), r in results.items():
            slowest = r[last]["slowest"]
            if slowest:
                print(f"- {page}, {role}: {slowest[1]:.1f} ms, `{' '.join(slowest[0].split())[:160]}`")
        steady = [
            key
            for key, r in results.items()
            if all(len(r[s.files]["statements"]) == 1 for s in built)
            and len(set().union(*(r[s.files]["statements"] for s in built))) == 1
        ]
        print(f"\nQuery count the same at {short[first]} and {short[last]}: {len(steady)} of {len(results)} page/role.")
    for page, why in missing.items():
        print(f"\nNot measured: /reports/{page} {why}.")


if __name__ == "__main__":
    main()
