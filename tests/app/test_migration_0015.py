"""Migration 0015 on a copy with real data: PIP relief flags become trajectories without a decision
date; closed statuses get ended_on/end_reason (or obligation_met_on) from their last status change.
On SQLite, and on a new PostgreSQL database when the suite runs there (``blank_any``)."""

from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app.extensions import db
from tests.app.test_migrations import blank_any, run  # noqa: F401 - the fixture

NEWCOMER = (
    "INSERT INTO newcomers (id, name, phone, language, doelgroep, status, municipality_id, created_at, updated_at)"
    " VALUES (:id, 'N', :phone, 'ar', 'statushouder', :status, 1, '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
)
PIP = (
    "INSERT INTO pips (newcomer_id, municipality_id, version, learnability_result, leerroute, level, literacy,"
    " pip_on, knm, pvt, map, z_participation, social_guidance, financial_relief_on, financial_relief_extended,"
    " created_at) VALUES (:n, 1, :v, 'feasible', 'B', 'B1', 'NVT', :on, :t, :t, :t, :f, :f, :relief, :extended,"
    " '2024-02-01 00:00:00')"
)
CHANGE = (
    "INSERT INTO status_changes (newcomer_id, municipality_id, from_status, to_status, at)"
    " VALUES (:n, 1, :from_status, :to_status, :at)"
)


def _copy(with_relief: bool) -> None:
    """A database at 0014 with closed files and their status changes; with PIPs that flag relief."""
    upgrade(revision="0014")
    run("INSERT INTO municipalities (id, code, name) VALUES (1, '0405', 'Hoorn')")
    statuses = {
        10: "in_route", 11: "in_route", 12: "moved_away", 13: "dispensation", 14: "ended", 15: "obligation_met",
        16: "exempted", 17: "pip_set",
    }  # fmt: skip
    for newcomer_id, status in statuses.items():
        run(NEWCOMER, id=newcomer_id, phone=f"+3161234{newcomer_id:04d}", status=status)
    # 12: moved away twice; the last change counts, on its day in Amsterdam (23:30 UTC is the next day).
    run(CHANGE, n=12, from_status="in_route", to_status="moved_away", at="2024-05-01 10:00:00")
    run(CHANGE, n=12, from_status="moved_away", to_status="in_route", at="2024-06-01 10:00:00")
    run(CHANGE, n=12, from_status="in_route", to_status="moved_away", at="2024-06-30 23:30:00")
    run(CHANGE, n=13, from_status="in_route", to_status="dispensation", at="2024-07-10 08:00:00")
    run(CHANGE, n=14, from_status="in_route", to_status="ended", at="2024-07-11 08:00:00")
    run(CHANGE, n=15, from_status="in_route", to_status="obligation_met", at="2025-01-20 12:00:00")
    # 16: exempted without any dated change: nobody can say when.
    if with_relief:
        yes, no = True, False
        # 10: relief on both versions, extended flagged: one trajectory from the newest version.
        run(PIP, n=10, v=1, on="2024-02-01", t=yes, f=no, relief="2024-08-31", extended=no)
        run(PIP, n=10, v=2, on="2024-03-01", t=yes, f=no, relief="2024-08-31", extended=yes)
        # 11: relief on the first version only: the newest holds none, so no trajectory.
        run(PIP, n=11, v=1, on="2024-02-01", t=yes, f=no, relief="2024-05-01", extended=no)
        run(PIP, n=11, v=2, on="2024-04-01", t=yes, f=no, relief=None, extended=None)
        # 17: relief, not extended.
        run(PIP, n=17, v=1, on="2024-02-01", t=yes, f=no, relief="2024-03-15", extended=None)


def _day(value):  # noqa: ANN001, ANN202 - SQLite returns text
    return date.fromisoformat(str(value)[:10]) if value is not None else None


def test_0015_dates_closed_files_from_their_last_status_change(blank_any):  # noqa: F811
    with blank_any.app_context():
        _copy(with_relief=False)
        upgrade(revision="0015")
        ends = {
            row.id: (_day(row.ended_on), row.end_reason, _day(row.obligation_met_on), bool(row.nareiziger))
            for row in db.session.execute(
                text("SELECT id, ended_on, end_reason, obligation_met_on, nareiziger FROM newcomers")
            )
        }
        assert ends == {
            10: (None, None, None, False),
            11: (None, None, None, False),
            12: (date(2024, 7, 1), "moved_away", None, False),
            13: (date(2024, 7, 10), "dispensed", None, False),
            14: (date(2024, 7, 11), "other", None, False),
            15: (None, None, date(2025, 1, 20), False),
            16: (None, None, None, False),
            17: (None, None, None, False),
        }
        # The PIPs themselves are untouched; the new column of the route progress exists.
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("route_progress")}
        assert "map_exempt_on" in columns


def test_0015_moves_relief_flags_into_trajectories_without_a_decision_date(blank_any):  # noqa: F811
    with blank_any.app_context():
        _copy(with_relief=True)
        upgrade(revision="0015")
        relief = {
            row.newcomer_id: row
            for row in db.session.execute(
                text(
                    "SELECT newcomer_id, municipality_id, started_on, six_months_on, extended, extension_decided_on,"
                    " ended_on FROM relief_trajectories"
                )
            )
        }
        assert sorted(relief) == [10, 17]
        assert (_day(relief[10].started_on), _day(relief[10].six_months_on), bool(relief[10].extended)) == (
            date(2024, 8, 31), date(2025, 2, 28), True,
        )  # fmt: skip
        assert relief[10].extension_decided_on is None  # a flag alone is not a decision
        assert relief[10].municipality_id == 1
        assert (_day(relief[17].started_on), bool(relief[17].extended), relief[17].ended_on) == (
            date(2024, 3, 15), False, None,
        )  # fmt: skip

        assert db.session.scalar(text("SELECT COUNT(*) FROM pips")) == 5  # the PIPs themselves stay
        # A new trajectory for a person who has one is refused (one per person).
        db.session.execute(
            text(
                "INSERT INTO relief_trajectories (newcomer_id, municipality_id, started_on, six_months_on, extended,"
                " updated_at) VALUES (11, 1, '2024-05-01', '2024-11-01', :f, '2024-05-01 00:00:00')"
            ),
            {"f": False},
        )
        db.session.commit()
        with pytest.raises(Exception, match="(?i)unique"):
            db.session.execute(
                text(
                    "INSERT INTO relief_trajectories (newcomer_id, municipality_id, started_on, six_months_on,"
                    " extended, updated_at) VALUES (10, 1, '2024-05-01', '2024-11-01', :f, '2024-05-01 00:00:00')"
                ),
                {"f": False},
            )
        db.session.rollback()
