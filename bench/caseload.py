"""The caseload at national scale, on PostgreSQL: 20,000 files, 200,000 in one municipality, 1,000,000 over 340.

For each scale the script builds the database from the migrations, generates the files in SQL
(``INSERT ... SELECT generate_series``: statuses, target groups, routes, languages, deadlines,
responsible klantmanagers spread at random, 5% without a deadline), runs ``VACUUM ANALYZE`` (the
state autovacuum keeps a live database in), signs a klantmanager in through the real flow and
requests each page type with the Flask test client, in-process: p50 and p95 of the whole request,
the SQL statements per request, and the plan of the caseload's statements (EXPLAIN, JSON: how
``newcomers`` is read). The same statements, captured from the request with their parameters, are
also timed alone through psycopg ("SQL alone"). Prints Markdown tables.

    .venv/bin/python bench/caseload.py [--rounds 40] [--scales 20000:1 200000:1 1000000:340]

The database is ``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench``),
created when missing and emptied.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Newcomer  # noqa: E402
from app.models.casefile import STATUSES  # noqa: E402
from bench.throughput import fresh_database  # noqa: E402
from tests.conftest import StaffLogin, staff_sign_in  # noqa: E402

FIRST = ["Amal", "Yonas", "Zahra", "Mehmet", "Hodan", "Ahmad", "Selam", "Fatima", "Omar", "Leyla", "Dawit", "Noor"]
LAST = ["Al-Hassan", "Tesfay", "Ahmadi", "Yılmaz", "Abdi", "Haile", "Rahimi", "Demir", "Ali", "Osman", "Kaya"]
GRANTED = 3
"""A klantmanager's municipalities when there are many (usually 1-3): the heaviest usual case."""
DEEP = 300
"""The deep page: it exists at every scale (the klantmanager sees about 8,800 files of 1,000,000 over 340)."""
MINE = 0.1
"""The share of a municipality's files the signed-in klantmanager is responsible for."""


def _sql_list(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(files: int, municipalities: int, staff_id: int) -> None:
    """The municipalities' files, in SQL (``setseed`` makes every run the same)."""
    db.session.execute(text("SELECT setseed(0.7)"))
    db.session.execute(
        text(
            "INSERT INTO newcomers (municipality_id, name, phone, language, doelgroep, status, duo_notified_on,"  # noqa: S608
            " pip_deadline_on, leerroute, klantmanager_id, created_at, updated_at)"
            " SELECT m.id, f.first || ' ' || f.last || ' ' || g, '+3161' || lpad(g::text, 8, '0'), f.language,"
            " f.doelgroep, f.status, f.notified, CASE WHEN random() < 0.05 THEN NULL ELSE f.notified + 70 END,"
            " f.leerroute, CASE WHEN random() < :mine THEN :staff END, f.created, f.created"
            " FROM generate_series(1, :files) g"
            " CROSS JOIN LATERAL (SELECT"
            f" ({_sql_list(FIRST)})[1 + floor(random() * {len(FIRST)})::int] AS first,"
            f" ({_sql_list(LAST)})[1 + floor(random() * {len(LAST)})::int] AS last,"
            " (ARRAY['ar','ti','fa','tr','so','nl','en'])[1 + floor(random() * 7)::int] AS language,"
            " (ARRAY['statushouder','statushouder','gezinsmigrant_overig'])[1 + floor(random() * 3)::int] AS doelgroep,"
            f" ({_sql_list(list(STATUSES))})[1 + floor(random() * {len(STATUSES)})::int] AS status,"
            " DATE '2026-11-23' - floor(random() * 400)::int AS notified,"
            " (ARRAY[NULL,'B','Z','O'])[1 + floor(random() * 4)::int] AS leerroute,"
            " TIMESTAMPTZ '2026-11-23' - random() * INTERVAL '400 days' AS created,"
            " 1 + (g % :municipalities) AS municipality_number"
            " WHERE g > 0) f"
            " JOIN municipalities m ON m.code = lpad(f.municipality_number::text, 4, '0')"
        ),
        {"files": files, "municipalities": municipalities, "mine": MINE, "staff": staff_id},
    )


def build(app, files: int, municipalities: int) -> tuple[StaffLogin, dict[str, str]]:  # noqa: ANN001
    """The database of one scale; the signed-in klantmanager and facts the pages need (a name, a cursor)."""
    from flask_migrate import upgrade

    from app.backoffice.caseload import CaseloadFilter, caseload_query, cursor_of
    from app.models.tenancy import limit_to
    from app.staff.services import create_staff

    with app.app_context():
        upgrade()
        db.session.execute(
            text(
                "INSERT INTO municipalities (code, name) SELECT lpad(g::text, 4, '0'), 'Gemeente ' || g"
                " FROM generate_series(1, :n) g"
            ),
            {"n": municipalities},
        )
        db.session.commit()
        codes = [f"{n:04d}" for n in range(1, min(GRANTED, municipalities) + 1)]
        staff, password = create_staff("sanne@example.nl", "klantmanager", codes, name="Sanne")
        staff.language = "en"
        db.session.commit()
        login = StaffLogin(staff.id, staff.email, password, staff.totp_secret)
        mine = tuple(m.id for m in staff.municipalities)
        generate(files, municipalities, staff.id)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        count = db.session.scalar(select(db.func.count()).select_from(Newcomer))
        visible = db.session.scalar(
            select(db.func.count()).select_from(Newcomer).where(Newcomer.municipality_id.in_(mine))
        )
    with app.test_request_context():
        limit_to(mine)
        # the last file of page DEEP - 1 (25 a page) of the whole team: its cursor opens page DEEP
        deep = db.session.scalars(caseload_query(CaseloadFilter()).offset((DEEP - 1) * 25 - 1).limit(1)).first()
        someone = db.session.scalars(caseload_query(CaseloadFilter()).offset(visible // 2).limit(1)).first()
        facts = {"cursor": cursor_of(deep) if deep else "", "name": someone.name, "visible": f"{visible:,}"}
        db.session.remove()
    facts["count"] = f"{count:,}"
    return login, facts


def pages(facts: dict[str, str], has_today: bool) -> dict[str, tuple[str, str]]:
    """Label -> (path, name searched for)."""
    team = "/backoffice/caseload?klantmanager=all"
    listed = {
        "my files (default page)": ("/backoffice/caseload", ""),
        "team, by deadline": (team, ""),
        "team, status filter, by name": (f"{team}&status=intake_submitted&sort=name", ""),
        "team, route Z, 100 per page": (f"{team}&leerroute=Z&per_page=100", ""),
        "team, search 'ahm'": (f"{team}&kept=1", "ahm"),
        "team, search one name": (f"{team}&kept=1", facts["name"]),
        f"team, page {DEEP} (cursor)": (f"{team}&page={DEEP}&after={facts['cursor']}", ""),
    }
    if has_today:
        listed["today page"] = ("/backoffice/today", "")
    return listed


def explain(raw: psycopg.Connection, statement: str, parameters: object) -> str:
    """How the statement reads ``newcomers``: scan types and indexes, from the JSON plan."""
    with raw.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = cursor.fetchone()[0][0]["Plan"]
    scans: dict[str, int] = {}

    def walk(node: dict) -> None:
        if node.get("Relation Name") == "newcomers" or (
            "Index Name" in node and str(node["Index Name"]).startswith("ix_newcomers")
        ):
            if node["Node Type"] != "Bitmap Heap Scan":
                what = node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else "")
                scans[what] = scans.get(what, 0) + 1
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    shown = [f"{what} ×{n}" if n > 1 else what for what, n in scans.items()]
    return ", ".join(s.replace("ix_newcomers_", "") for s in shown) or "no newcomers"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] * 1000


def schema_url(url: str, schema: str) -> str:
    """The database URL with this scale's schema first on the search path (pg_trgm lives in public)."""
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema},public"}).render_as_string(False)


def fresh_schemas(url: str, schemas: list[str]) -> None:
    fresh_database(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        for schema in schemas:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


class Scale:
    """One scale's database (a schema), app, signed-in browser, and the statements of its last request."""

    def __init__(self, scale: str, url: str) -> None:
        self.scale = scale
        self.files, self.municipalities = (int(x) for x in scale.split(":"))
        self.url = schema_url(url, f"scale_{self.files}_{self.municipalities}")
        self.app = create_app(
            {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": self.url, "LOGIN_LIMIT_PER_IP": "1000 per minute"}
        )
        self.captured: list[tuple[str, object]] = []

    def build(self) -> None:
        start = time.perf_counter()
        self.login, self.facts = build(self.app, self.files, self.municipalities)
        self.seconds = time.perf_counter() - start
        self.client = self.app.test_client()
        staff_sign_in(self.client, self.login)
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._capture)

    def _capture(self, _conn, _cursor, statement, parameters, *_) -> None:  # noqa: ANN001, ANN002
        self.captured.append((statement, parameters))

    def raw(self) -> psycopg.Connection:
        parsed = make_url(self.url)
        dsn = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        return psycopg.connect(dsn, options=parsed.query["options"])


def measure(scales: list[Scale], rounds: int) -> dict[str, dict[str, dict]]:
    """Every page at every scale, the scales taking turns request by request (so load hits all alike)."""
    has_today = "backoffice.today_page" in scales[0].app.view_functions
    labels = list(pages(scales[0].facts, has_today))
    results: dict[str, dict[str, dict]] = {s.scale: {} for s in scales}
    raws = {s.scale: s.raw() for s in scales}
    for label in labels:
        paths = {}
        for s in scales:
            path, q = pages(s.facts, has_today)[label]
            paths[s.scale] = path
            token = csrf(s.client.get("/backoffice/caseload").text)
            # The name searched for travels in a POST body into the session, never in the URL.
            assert s.client.post("/backoffice/caseload/search", data={"csrf_token": token, "q": q}).status_code == 302
            for _ in range(3):  # warm
                assert s.client.get(path).status_code == 200, (label, path)
        times: dict[str, list[float]] = {s.scale: [] for s in scales}
        counts: dict[str, set[int]] = {s.scale: set() for s in scales}
        statements: dict[str, list] = {}
        for _ in range(rounds):
            for s in scales:
                s.captured.clear()
                start = time.perf_counter()
                response = s.client.get(paths[s.scale])
                times[s.scale].append(time.perf_counter() - start)
                assert response.status_code == 200
                counts[s.scale].add(len(s.captured))
                statements[s.scale] = list(s.captured)
                if "kept=1" in paths[s.scale]:
                    assert "No files match" not in response.text, label
                if "after=" in paths[s.scale]:
                    assert f"Page {DEEP}" in response.text, label
        caseload_sql = {
            scale: [(q, p) for q, p in captured if "FROM newcomers" in q or "newcomers." in q]
            for scale, captured in statements.items()
        }
        alone: dict[str, list[float]] = {s.scale: [] for s in scales}
        for _ in range(rounds):
            for s in scales:
                start = time.perf_counter()
                with raws[s.scale].cursor() as cursor:
                    for statement, parameters in caseload_sql[s.scale]:
                        cursor.execute(statement, parameters)
                        cursor.fetchall()
                alone[s.scale].append(time.perf_counter() - start)
        for s in scales:
            results[s.scale][label] = {
                "statements": counts[s.scale],
                "p50": statistics.median(times[s.scale]) * 1000,
                "p95": p95(times[s.scale]),
                "sql p50": statistics.median(alone[s.scale]) * 1000,
                "sql p95": p95(alone[s.scale]),
                "plan": " + ".join(explain(raws[s.scale], q, p) for q, p in caseload_sql[s.scale]),
            }
    for raw in raws.values():
        raw.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--scales", nargs="+", default=["20000:1", "200000:1", "1000000:340"])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench"),
    )
    args = parser.parse_args()
    built = [Scale(scale, args.database_url) for scale in args.scales]
    fresh_schemas(args.database_url, [make_url(s.url).query["options"].split("=")[1].split(",")[0] for s in built])
    for s in built:
        s.build()
        print(f"{s.scale}: built in {s.seconds:.0f} s", file=sys.stderr)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    results = measure(built, args.rounds)
    measured, load_after = time.perf_counter() - started, os.getloadavg()[0]
    scales = [s.scale for s in built]
    facts = {s.scale: s.facts for s in built}
    timings = {s.scale: s.seconds for s in built}

    def title(scale: str) -> str:
        files, municipalities = scale.split(":")
        where = "one municipality" if municipalities == "1" else f"{int(municipalities):,} municipalities"
        return f"{int(files):,} in {where}"

    print(
        f"PostgreSQL, in-process Flask test client, {args.rounds} requests per page and scale after 3 warm-up"
        " requests, the scales taking turns request by request; ms per request (session, staff member, team,"
        f" caseload statements, template). Measured in {measured:.0f} s; load average"
        f" {load_before:.1f} before, {load_after:.1f} after (2 cores, shared)\n"
    )
    for scale in scales:
        f = facts[scale]
        count = min(GRANTED, int(scale.split(":")[1]))
        granted = "1 municipality" if count == 1 else f"{count} municipalities"
        print(
            f"- {title(scale)}: the klantmanager sees {f['visible']} files"
            f" ({granted} granted), {MINE:.0%} of them theirs;"
            f" generated and indexed in {timings[scale]:.0f} s"
        )
    first, last = scales[0], scales[-1]
    short = {s: title(s).split(" in ")[0] for s in scales}
    header = " | ".join(f"{title(s)} p50 | p95" for s in scales)
    ratio = f"{short[last]}/{short[first]}"
    print(f"\n| page | statements | {header} | p50 {ratio} | p95 {ratio} |")
    print("|---|---:|" + "---:|---:|" * len(scales) + "---:|---:|")
    for label in results[first]:
        counts = sorted(set().union(*(results[s][label]["statements"] for s in scales)))
        cells = " | ".join(f"{results[s][label]['p50']:.1f} | {results[s][label]['p95']:.1f}" for s in scales)
        growth = {q: results[last][label][q] / results[first][label][q] for q in ("p50", "p95")}
        print(f"| {label} | {', '.join(map(str, counts))} | {cells} | {growth['p50']:.2f}x | {growth['p95']:.2f}x |")
    print("\nThe caseload's statements alone (captured from the request, run again through psycopg), ms:\n")
    header = " | ".join(f"{title(s)} p50 | p95" for s in scales)
    print(f"| page | {header} |")
    print("|---|" + "---:|---:|" * len(scales))
    for label in results[first]:
        cells = " | ".join(f"{results[s][label]['sql p50']:.1f} | {results[s][label]['sql p95']:.1f}" for s in scales)
        print(f"| {label} | {cells} |")
    print(
        "\nHow each page reads `newcomers` (EXPLAIN, JSON plan; count + rows; index names without `ix_newcomers_`):\n"
    )
    print("| page | " + " | ".join(title(s) for s in scales) + " |")
    print("|---|" + "---|" * len(scales))
    for label in results[first]:
        print(f"| {label} | " + " | ".join(results[s][label]["plan"] for s in scales) + " |")
    worst = max(results[last], key=lambda label: results[last][label]["p95"])
    growths = {label: results[last][label]["p95"] / results[first][label]["p95"] for label in results[first]}
    steepest = max(growths, key=growths.get)
    met = [label for label in results[last] if results[last][label]["p95"] <= 50 and growths[label] < 2]
    print(
        f"\nTarget: p95 at most 50 ms and growth under 2x from {title(first)} to {title(last)}. Worst p95 at"
        f" {short[last]}: {results[last][worst]['p95']:.1f} ms ({worst}); steepest growth: {growths[steepest]:.2f}x"
        f" ({steepest}); both met by {len(met)} of {len(growths)} pages."
    )


if __name__ == "__main__":
    main()
