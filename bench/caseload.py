"""Caseload with 20,000 newcomers in one municipality, on PostgreSQL: latency and SQL queries per page.

Generates the newcomers (statuses, target groups, routes, languages and deadlines spread out),
signs a klantmanager in through the real flow, then requests caseload pages (filtered, sorted,
searched, deep pages) with the Flask test client, counting SQL statements per page; in the same run
it times the raw SQL of the same pages (count + rows, psycopg, no ORM, no template). Prints a Markdown
table.

    .venv/bin/python bench/caseload.py [--newcomers 20000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import event, insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Municipality, Newcomer  # noqa: E402
from app.models.casefile import STATUSES  # noqa: E402
from bench.throughput import fresh_database  # noqa: E402
from tests.conftest import StaffLogin, staff_sign_in  # noqa: E402

FIRST = ["Amal", "Yonas", "Zahra", "Mehmet", "Hodan", "Ahmad", "Selam", "Fatima", "Omar", "Leyla", "Dawit", "Noor"]
LAST = ["Al-Hassan", "Tesfay", "Ahmadi", "Yılmaz", "Abdi", "Haile", "Rahimi", "Demir", "Ali", "Osman", "Kaya"]

PAGES = {
    "default (deadline, page 1)": ("/backoffice/caseload", {}),
    "status filter, by name": (
        "/backoffice/caseload?status=intake_submitted&sort=name",
        {"status": "intake_submitted"},
    ),
    "search 'ahm'": ("/backoffice/caseload", {"q": "ahm"}),
    "route Z, 100 per page": ("/backoffice/caseload?leerroute=Z&per_page=100", {"leerroute": "Z", "per_page": 100}),
    "page 400": ("/backoffice/caseload?page=400", {"page": 400}),
}


def raw_sql(
    municipality_id: int, status: str = "", q: str = "", leerroute: str = "", page: int = 1, per_page: int = 25
) -> tuple[str, str, list]:
    """The same page as hand-written SQL: a count and the rows (with the municipality's name)."""
    where, params = ["n.municipality_id = %s"], [municipality_id]
    if status:
        where.append("n.status = %s")
        params.append(status)
    if leerroute:
        where.append("n.leerroute = %s")
        params.append(leerroute)
    if q:
        where.append("lower(n.name) LIKE %s")
        params.append(f"%{q}%")
    order = "n.name ASC" if status else "n.pip_deadline_on ASC NULLS LAST"
    clause = " AND ".join(where)
    count = f"SELECT count(*) FROM newcomers n WHERE {clause}"  # noqa: S608 - our own constants
    rows = (
        "SELECT n.id, n.name, n.status, n.doelgroep, n.leerroute, n.language, n.pip_deadline_on, m.name "  # noqa: S608
        f"FROM newcomers n JOIN municipalities m ON m.id = n.municipality_id WHERE {clause} "
        f"ORDER BY {order}, n.id LIMIT {per_page} OFFSET {(page - 1) * per_page}"
    )
    return count, rows, params


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--newcomers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench")
    args = parser.parse_args()
    fresh_database(args.database_url)
    app = create_app(
        {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": args.database_url, "LOGIN_LIMIT_PER_IP": "1000 per minute"}
    )
    rng = random.Random(7)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        hoorn = Municipality(code="0405", name="Hoorn")
        db.session.add(hoorn)
        db.session.commit()
        today = date(2026, 11, 23)
        rows = []
        for n in range(args.newcomers):
            notified = today - timedelta(days=rng.randint(0, 200))
            rows.append(
                {
                    "municipality_id": hoorn.id,
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}",
                    "phone": f"+3161{n:07d}",
                    "language": rng.choice(["ar", "ti", "fa", "tr", "so", "nl", "en"]),
                    "doelgroep": rng.choice(["statushouder", "statushouder", "gezinsmigrant_overig"]),
                    "status": rng.choice(STATUSES),
                    "duo_notified_on": notified,
                    "pip_deadline_on": notified + timedelta(weeks=10),
                    "leerroute": rng.choice([None, "B", "Z", "O"]),
                }
            )
        db.session.execute(insert(Newcomer), rows)
        db.session.commit()
        from app.staff.services import create_staff

        staff, password = create_staff("sanne@example.nl", "klantmanager", ["0405"])
        staff.language = "en"
        db.session.commit()
        login = StaffLogin(staff.id, staff.email, password, staff.totp_secret)
        municipality_id = hoorn.id
        engine = db.engine
        count_check = db.session.scalar(select(db.func.count()).select_from(Newcomer))
    client = app.test_client()
    staff_sign_in(client, login)

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    dsn = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    results = []
    with psycopg.connect(dsn) as raw:
        for label, (path, filters) in PAGES.items():
            token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).text).group(1)
            # The name searched for travels in a POST body into the session, never in the URL.
            client.post("/backoffice/caseload/search", data={"csrf_token": token, "q": filters.get("q", "")})
            client.get(path)  # warm
            app_times, raw_times, queries = [], [], set()
            count_sql, rows_sql, params = raw_sql(municipality_id, **filters)
            for _ in range(args.rounds):
                statements.clear()
                start = time.perf_counter()
                response = client.get(path)
                app_times.append(time.perf_counter() - start)
                assert response.status_code == 200
                queries.add(len(statements))
                start = time.perf_counter()
                with raw.cursor() as cursor:
                    cursor.execute(count_sql, params)
                    cursor.fetchone()
                    cursor.execute(rows_sql, params)
                    cursor.fetchall()
                raw_times.append(time.perf_counter() - start)
            results.append(
                (
                    label,
                    queries,
                    statistics.median(app_times) * 1000,
                    p95(app_times),
                    statistics.median(raw_times) * 1000,
                    p95(raw_times),
                )
            )

    print(f"{count_check:,} newcomers in one municipality, PostgreSQL, {args.rounds} requests per page, in-process\n")
    print("| page | SQL statements per request | app p50 ms | app p95 ms | raw SQL p50 ms | raw SQL p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, queries, a50, a95, r50, r95 in results:
        print(f"| {label} | {', '.join(map(str, sorted(queries)))} | {a50:.1f} | {a95:.1f} | {r50:.1f} | {r95:.1f} |")


if __name__ == "__main__":
    main()
