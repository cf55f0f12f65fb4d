"""The SMS outbox under load: worker processes, the fake Twilio on loopback, PostgreSQL.

Four ``flask --app wsgi worker`` processes (production settings, the real Twilio sender and SDK,
``TWILIO_API_BASE_URL`` pointing at the fake Twilio this script serves on 127.0.0.1) idle on an
empty queue; then 10,000 messages become due in one transaction (and one NOTIFY). Measured: how
long until the fake has accepted them all (messages/s), the time from due to accepted per message
(p50, p95), and the fake's own count per body (duplicates: a body accepted twice; lost: a message
never accepted). The same run follows with 1,000, 10,000 and 100,000 rows of history already in
the table (delivered, failed, expired messages and reminders queued for next week, with their
events), to show the due query does not slow down as the table grows. Then the due query's plan
(EXPLAIN, JSON) at the largest size, and the time from ``POST /login`` to the fake's accept of the
code while a worker runs: idle (woken by NOTIFY on PostgreSQL; a short poll on SQLite) and busy
with a backlog of notices. Prints Markdown tables.

    .venv/bin/python bench/outbox.py [--messages 10000] [--workers 4] [--history 1000 10000 100000]

The database is ``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench``),
created when missing and emptied.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Municipality  # noqa: E402
from app.models.message import WorkerHeartbeat  # noqa: E402
from app.models.types import utcnow  # noqa: E402
from tests.fake_twilio import FakeTwilio, start  # noqa: E402

SID = "AC" + "0" * 32  # made-up ids of the right shape
SERVICE = "MG" + "1" * 32
TOKEN = "bench-token"  # noqa: S105 - the fake's made-up auth token
SECRET_KEY = "test-only-not-secret"  # noqa: S105 - the test suite's, so its sealed secrets open
NUMBERS = 1000
"""Newcomers the generated messages go to (a lookup lists one number's messages)."""
PENDING_BENCH_ROWS = " ".join(
    (
        "SELECT count(*) FROM outbound_messages",
        "WHERE status IN ('queued', 'sending') AND idempotency_key LIKE 'bench:%'",
    )
)
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


# -- worker processes ------------------------------------------------------------------------------


def worker_environment(database_url: str, twilio_url: str, **settings: str) -> dict[str, str]:
    """A `flask --app wsgi worker` process's environment: production settings, Twilio at ``twilio_url``."""
    # A small environment, as a systemd unit gives (requests reads the whole environment for proxy
    # settings on every call, which costs a worker more CPU than one might think).
    environment = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TZ", "TMPDIR")}
    environment.update(
        APP_ENV="production",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        TWILIO_API_BASE_URL=twilio_url,
        TWILIO_TIMEOUT_SECONDS="2",
        OUTBOX_LEASE_SECONDS="30",
        OUTBOX_RETRY_BASE_SECONDS="1",
        OUTBOX_POLL_SECONDS="5",
        OUTBOX_PRIORITY_POLL_SECONDS="0.5",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    environment.update(settings)
    return environment


def start_worker(database_url: str, twilio_url: str, *args: str, **settings: str) -> subprocess.Popen:
    """Start ``flask --app wsgi worker`` (its stderr, with the start and stop lines, is piped)."""
    return subprocess.Popen(  # noqa: S603 - our own command
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "worker", *args],
        cwd=ROOT,
        env=worker_environment(database_url, twilio_url, **settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_heartbeats(processes: list[subprocess.Popen], timeout: float = 60) -> None:
    """Wait until every process has written its first heartbeat (it is in its loop)."""
    pids = [process.pid for process in processes]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited with {process.returncode}: {process.stderr.read()[-2000:]}")
        beating = db.session.scalar(
            select(func.count(WorkerHeartbeat.id)).where(
                WorkerHeartbeat.pid.in_(pids), WorkerHeartbeat.stopped_at.is_(None)
            )
        )
        db.session.rollback()
        if beating == len(pids):
            return
        time.sleep(0.1)
    raise RuntimeError("workers did not start in time")


def stop_workers(processes: list[subprocess.Popen], timeout: float = 30) -> list[int]:
    """SIGTERM every worker and wait; their exit codes (killed if they do not stop)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes = []
    for process in processes:
        try:
            process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        codes.append(process.returncode)
    return codes


# -- rows ------------------------------------------------------------------------------------------


def prepare(numbers: int = NUMBERS) -> int:
    """Hoorn and ``numbers`` newcomers to send to (PostgreSQL or SQLite); Hoorn's id."""
    hoorn = db.session.scalar(text("SELECT id FROM municipalities WHERE code = '0405'"))
    if hoorn is None:
        db.session.add(Municipality(code="0405", name="Hoorn"))
        db.session.flush()
        hoorn = db.session.scalar(text("SELECT id FROM municipalities WHERE code = '0405'"))
    have = db.session.scalar(text("SELECT count(*) FROM newcomers WHERE phone LIKE '+3164%'")) or 0
    now = utcnow()
    if have < numbers:
        db.session.execute(
            text(
                "INSERT INTO newcomers (municipality_id, name, phone, language, doelgroep, status, created_at,"
                " updated_at) VALUES (:m, :name, :phone, 'nl', 'statushouder', 'registered', :now, :now)"
            ),
            [{"m": hoorn, "name": f"Bench {n}", "phone": f"+3164{n:07d}", "now": now} for n in range(have, numbers)],
        )
    db.session.commit()
    return hoorn


def empty_outbox() -> None:
    for table in ("outbound_events", "outbound_messages", "worker_heartbeats"):
        db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    db.session.commit()


_MESSAGE_COLUMNS = (
    "newcomer_id, municipality_id, to_phone, kind, category, priority, idempotency_key, locale, body, segments,"
    " encoding, status, attempts, send_after, next_attempt_at, expires_at, callback_token, in_doubt, created_at"
)


def add_due(count: int, tag: str, *, kind: str = "bench_notice", priority: int = 0) -> None:
    """``count`` queued messages due now, each with its own body (PostgreSQL, in SQL), and a NOTIFY."""
    db.session.execute(
        text(
            f"INSERT INTO outbound_messages ({_MESSAGE_COLUMNS})"  # noqa: S608 - fixed names
            " SELECT n.id, n.municipality_id, n.phone, :kind, 'notices', :priority, 'bench:' || :tag || ':' || g,"
            " 'nl', 'Gemeente Hoorn: ' || :tag || ' bericht ' || g, 1, 'GSM-7', 'queued', 0, now(), now(),"
            " now() + interval '1 hour', md5(:tag || g || random()::text), false, now()"
            " FROM generate_series(1, :count) g"
            " JOIN newcomers n ON n.phone = '+3164' || lpad(((g - 1) % :numbers)::text, 7, '0')"
        ),
        {"count": count, "tag": tag, "kind": kind, "priority": priority, "numbers": NUMBERS},
    )
    db.session.execute(text("SELECT pg_notify('outbox', '')"))


def add_history(count: int) -> None:
    """``count`` rows of the past (PostgreSQL, in SQL): 90% delivered, 3% failed, 2% expired, 5% reminders
    queued for next week; two events each."""
    if not count:
        return
    db.session.execute(text("SELECT setseed(0.42)"))
    db.session.execute(
        text(
            f"INSERT INTO outbound_messages ({_MESSAGE_COLUMNS}, provider_id, sent_at, delivered_at, error_code)"  # noqa: S608
            " SELECT n.id, n.municipality_id, n.phone, h.kind, h.category, 0, 'history:' || g, 'nl',"
            " 'Gemeente Hoorn: eerder bericht ' || g, 1, 'GSM-7', h.status, 1, h.due, h.due,"
            " h.due + interval '3 days', md5('history' || g), false, h.due - interval '1 minute',"
            " CASE WHEN h.status = 'delivered' THEN 'SMhist' || g END, CASE WHEN h.status = 'delivered' THEN h.due END,"
            " CASE WHEN h.status = 'delivered' THEN h.due + interval '5 seconds' END,"
            " CASE WHEN h.status = 'failed' THEN '30005' END"
            " FROM generate_series(1, :count) g"
            " CROSS JOIN LATERAL (SELECT r, CASE WHEN r < 0.90 THEN 'delivered' WHEN r < 0.93 THEN 'failed'"
            "   WHEN r < 0.95 THEN 'expired' ELSE 'queued' END AS status,"
            "   CASE WHEN r < 0.95 THEN 'invitation' ELSE 'reminder' END AS kind,"
            "   CASE WHEN r < 0.95 THEN 'notices' ELSE 'reminders' END AS category,"
            "   CASE WHEN r < 0.95 THEN now() - random() * interval '365 days'"
            "   ELSE now() + interval '1 day' + random() * interval '7 days' END AS due"
            "   FROM (SELECT random() AS r WHERE g > 0) x) h"
            " JOIN newcomers n ON n.phone = '+3164' || lpad(((g - 1) % :numbers)::text, 7, '0')"
        ),
        {"count": count, "numbers": NUMBERS},
    )
    db.session.execute(
        text(
            "INSERT INTO outbound_events (message_id, at, status, source)"
            " SELECT id, created_at, 'queued', 'app' FROM outbound_messages WHERE idempotency_key LIKE 'history:%'"
            " UNION ALL SELECT id, next_attempt_at, status, 'worker' FROM outbound_messages"
            " WHERE idempotency_key LIKE 'history:%' AND status <> 'queued'"
        )
    )


def vacuum_analyze(url: str) -> None:
    """The state autovacuum keeps a live table in (VACUUM cannot run inside a transaction)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE outbound_messages"))
        connection.execute(text("VACUUM ANALYZE outbound_events"))
        connection.execute(text("VACUUM ANALYZE newcomers"))
    engine.dispose()


# -- one batch -------------------------------------------------------------------------------------


@dataclass
class Result:
    """One run: ``messages`` due at once for ``workers`` worker processes."""

    messages: int
    workers: int
    history: int
    seconds: float = 0.0
    per_second: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    duplicates: int = 0
    lost: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)


def _mean(runs: list[Result]) -> Result:
    """The runs of one size as one: means of the rates and times, sums of duplicates and lost."""
    mean = Result(sum(r.messages for r in runs) // len(runs), runs[0].workers, runs[0].history)
    for name in ("seconds", "per_second", "p50", "p95"):
        setattr(mean, name, sum(getattr(r, name) for r in runs) / len(runs))
    mean.duplicates, mean.lost = sum(r.duplicates for r in runs), sum(r.lost for r in runs)
    return mean


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else 0.0


def run_batch(
    app,  # noqa: ANN001 - a Flask app on the database to use
    twilio: FakeTwilio,
    *,
    messages: int,
    workers: int,
    history: int = 0,
    timeout: float = 600,
    settings: dict[str, str] | None = None,
) -> Result:
    """Empty the outbox, add ``history`` rows, start the workers, make ``messages`` due; measure."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    result = Result(messages, workers, history)
    tag = f"b{time.time_ns() % 10**9}"
    with app.app_context():
        prepare()
        empty_outbox()
        add_history(history)
        db.session.commit()
        vacuum_analyze(url)
        processes = [start_worker(url, twilio.base_url, **(settings or {})) for _ in range(workers)]
        try:
            wait_for_heartbeats(processes)
            add_due(messages, tag)
            db.session.commit()
            due_at = datetime.now(UTC)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                pending = db.session.scalar(text(PENDING_BENCH_ROWS))
                db.session.rollback()
                if pending == 0:
                    break
                time.sleep(0.1)
        finally:
            result.exit_codes = stop_workers(processes)
        bodies = db.session.scalars(
            text("SELECT body FROM outbound_messages WHERE idempotency_key LIKE :key"), {"key": f"bench:{tag}:%"}
        ).all()
        result.statuses = dict(
            db.session.execute(
                text("SELECT status, count(*) FROM outbound_messages WHERE idempotency_key LIKE :key GROUP BY status"),
                {"key": f"bench:{tag}:%"},
            ).all()
        )
        db.session.rollback()
    counts = twilio.counts()
    result.duplicates = sum(1 for body in bodies if counts[body] > 1)
    result.lost = sum(1 for body in bodies if counts[body] == 0)
    wanted = set(bodies)
    first: dict[str, datetime] = {}
    for accepted in list(twilio.accepted):
        if accepted["body"] in wanted:
            first.setdefault(accepted["body"], accepted["date_sent"])  # type: ignore[arg-type]
    latencies = [(moment - due_at).total_seconds() for moment in first.values()]
    if latencies:
        result.seconds = max(latencies)
        result.per_second = len(latencies) / result.seconds if result.seconds > 0 else 0.0
        result.p50, result.p95 = _percentile(latencies, 0.50), _percentile(latencies, 0.95)
    return result


# -- the due query's plan --------------------------------------------------------------------------


def due_plan(batch: int = 20, *, analyze: bool = False) -> dict[str, object]:
    """EXPLAIN (FORMAT JSON) of the worker's own due query (``due_rows``, as it claims) on PostgreSQL.

    ``analyze``: run it too (in a transaction rolled back, so its row locks go), for the time and
    the index entries it read.
    """
    from app.outbox.worker import due_rows

    statement = due_rows(utcnow(), batch, lock=True)
    compiled = statement.compile(dialect=db.engine.dialect)
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN ({options}) {compiled}", compiled.params).scalar()
    db.session.rollback()
    document = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    root = document["Plan"]
    nodes: list[dict] = []

    def walk(node: dict) -> None:
        nodes.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(root)
    return {
        "nodes": [n["Node Type"] for n in nodes],
        "indexes": [n["Index Name"] for n in nodes if "Index Name" in n],
        "sorts": [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")],
        "summary": " → ".join(n["Node Type"] + (f" {n['Index Name']}" if "Index Name" in n else "") for n in nodes),
        "index_cond": next((n.get("Index Cond") for n in nodes if "Index Name" in n), None),
        "rows_read": next((n.get("Actual Rows", 0) for n in nodes if "Index Name" in n), None),
        "ms": document.get("Execution Time", 0.0),
    }


# -- login codes -----------------------------------------------------------------------------------


def login_latencies(
    app,  # noqa: ANN001 - a Flask app on the database the worker uses, rate limits lifted
    twilio: FakeTwilio,
    phones: list[str],
    *,
    rounds: int,
    backlog: int = 0,
    settings: dict[str, str] | None = None,
) -> list[float]:
    """Seconds from ``POST /login`` to the fake's accept of the code, with one worker process running.

    ``backlog``: that many notices are due when the first request comes (PostgreSQL), so the
    worker is busy with batches of them while the codes arrive.
    """
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = CSRF.search(client.get("/login").text).group(1)
    latencies: list[float] = []
    with app.app_context():
        worker = start_worker(url, twilio.base_url, **(settings or {}))
        try:
            wait_for_heartbeats([worker])
            if backlog:
                add_due(backlog, f"backlog{time.time_ns() % 10**9}")
                db.session.commit()
            for n in range(rounds):
                phone = phones[n % len(phones)]
                seen = len(twilio.accepted)
                started = datetime.now(UTC)
                response = client.post("/login", data={"csrf_token": token, "phone": phone})
                if response.status_code != 302:
                    raise RuntimeError(f"POST /login answered {response.status_code}")
                deadline = time.monotonic() + 10
                accepted = None
                while accepted is None and time.monotonic() < deadline:
                    accepted = next(
                        (m for m in twilio.accepted[seen:] if m["to"] == phone and "code" in str(m["body"])), None
                    )
                    time.sleep(0.002)
                if accepted is None:
                    raise RuntimeError("a login code did not reach the fake Twilio within 10 s")
                latencies.append((accepted["date_sent"] - started).total_seconds())  # type: ignore[operator]
                time.sleep(0.05 + (n % 5) * 0.05)  # requests come at odd moments of the worker's wait
        finally:
            stop_workers([worker])
    return latencies


def login_app(url: str):  # noqa: ANN201 - a Flask app
    return create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET_KEY,
            "LOGIN_LIMIT_PER_IP": "1000000 per minute",
            "LOGIN_LIMIT_PER_NUMBER": "1000000 per minute",
        }
    )


def sqlite_login_latencies(twilio: FakeTwilio, rounds: int) -> list[float]:
    """The same on SQLite: a migrated database file, one worker polling for login codes."""
    from flask_migrate import upgrade

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/outbox.sqlite3"
    app = login_app(url)
    with app.app_context():
        upgrade()
        prepare(numbers=5)
    return login_latencies(app, twilio, [f"+3164{n:07d}" for n in range(5)], rounds=rounds)


# -- the report ------------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    from bench.throughput import fresh_database as fresh

    fresh(url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--history", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--history-messages", type=int, default=3000)
    parser.add_argument("--login-rounds", type=int, default=40)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench"),
    )
    args = parser.parse_args()
    from flask_migrate import upgrade

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    fresh_database(args.database_url)
    app = login_app(args.database_url)
    with app.app_context():
        upgrade()
    twilio = start(FakeTwilio(auth_token=TOKEN))
    try:
        main_run = run_batch(app, twilio, messages=args.messages, workers=args.workers)
        # Each size twice, in the order 0, 1k, 10k, 100k, 100k, 10k, 1k, 0: a machine that gets
        # busier or quieter during the runs weighs on every size alike.
        sizes = [0, *args.history]
        history_runs: dict[int, list[Result]] = {size: [] for size in sizes}
        for size in [*sizes, *reversed(sizes)]:
            history_runs[size].append(
                run_batch(app, twilio, messages=args.history_messages, workers=args.workers, history=size)
            )
        with app.app_context():
            empty_outbox()
            add_history(max(sizes))
            add_due(args.messages, "plan")
            db.session.commit()
            vacuum_analyze(args.database_url)
            plan = due_plan(analyze=True)
            table_rows = db.session.scalar(text("SELECT count(*) FROM outbound_messages"))
            db.session.rollback()
            empty_outbox()
        phones = [f"+3164{n:07d}" for n in range(NUMBERS)]
        idle = login_latencies(app, twilio, phones, rounds=args.login_rounds)
        busy = login_latencies(app, twilio, phones, rounds=args.login_rounds, backlog=3000)
        lite = sqlite_login_latencies(twilio, args.login_rounds)
    finally:
        twilio.stop()
    elapsed = time.monotonic() - started
    print(
        f"PostgreSQL, {args.workers} `flask --app wsgi worker` processes (production settings, the real Twilio sender"
        " and SDK), the fake Twilio on 127.0.0.1 in the benchmark's process, all on one 2-core machine."
        f" Measured in {elapsed:.0f} s; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after."
    )
    print()
    print(" | ".join(("| run", "messages", "workers", "rows already in the table", "seconds", "messages/s")), end="")
    print(" | due → accepted p50 s | p95 s | duplicates | lost |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [(f"{main_run.messages:,} due at once", main_run)] + [
        (f"{len(runs)} runs, mean", _mean(runs)) for runs in history_runs.values()
    ]
    for label, r in rows:
        print(
            f"| {label} | {r.messages:,} | {r.workers} | {r.history:,} | {r.seconds:.1f} | {r.per_second:.0f} |"
            f" {r.p50:.2f} | {r.p95:.2f} | {r.duplicates} | {r.lost} |"
        )
    means = {size: _mean(runs).per_second for size, runs in history_runs.items()}
    baseline = means[0]
    worst = min((size for size in means if size), key=lambda size: means[size], default=0)
    fall = 1 - means[worst] / baseline if baseline else 0
    every = ", ".join(
        f"{size:,}: " + " / ".join(f"{r.per_second:.0f}" for r in runs) for size, runs in history_runs.items()
    )
    print()
    print(
        f"Messages/s with {worst:,} rows already in the table against none: {means[worst]:.0f} / {baseline:.0f}"
        f" ({-fall:+.0%}; goal: falls by no more than 20%: {'met' if fall <= 0.20 else 'NOT met'})."
        f" Every run: {every}."
    )
    print()
    print(
        f"The due query's plan with {table_rows:,} rows in the table ({args.messages:,} of them due), EXPLAIN"
        f" (ANALYZE, FORMAT JSON) of the worker's own statement: {plan['summary']}; index condition"
        f" `{plan['index_cond']}`; {'no sort' if not plan['sorts'] else 'a SORT'};"
        f" {plan['rows_read']} index entries read for a batch of 20, {plan['ms']:.2f} ms."
    )
    print()
    print("Login codes: seconds from `POST /login` to the fake's accept, one worker process running:")
    print()
    print("| database | worker | codes | p50 s | p95 s | max s |")
    print("|---|---|---:|---:|---:|---:|")
    for database, situation, values in (
        ("PostgreSQL", "idle (LISTEN/NOTIFY)", idle),
        ("PostgreSQL", "busy with 3,000 due notices", busy),
        ("SQLite", "idle (polls every 0.5 s)", lite),
    ):
        print(
            f"| {database} | {situation} | {len(values)} | {_percentile(values, 0.5):.2f} |"
            f" {_percentile(values, 0.95):.2f} | {max(values):.2f} |"
        )
    worst_login = max(_percentile(v, 0.95) for v in (idle, busy, lite))
    print()
    print(f"Goal: p95 within 2 s; worst p95 {worst_login:.2f} s ({'met' if worst_login <= 2 else 'NOT met'}).")


if __name__ == "__main__":
    main()
