"""Reminders: planning and re-planning many appointments, and the outbox's due query with a long
queue of reminders for later.

(a) 10,000 appointments booked through ``app.appointments.services.book`` (one newcomer each, so a
confirmation and two reminders each), then 30% of them moved and 10% cancelled, each verb in its own
transaction as a request makes it: time per appointment and outbox rows written, on PostgreSQL and
(with ``--sqlite``) on SQLite.

(b) The worker's own due query (``app.outbox.worker.due_rows``, as it claims: ``FOR UPDATE SKIP
LOCKED``) under EXPLAIN (ANALYZE, BUFFERS), with 1,000 and then 100,000 queued reminders whose
time has not come, and a few due rows: the index it reads, the buffers it touches and its time,
and their ratio between the two sizes (measured in one run). Constant per batch means the same
buffers at both sizes.

    .venv/bin/python bench/reminders.py [--appointments 10000] [--pending 1000 100000] [--sqlite]

The database is ``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench``),
created when missing and emptied. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Appointment, Newcomer, OutboundMessage, Staff  # noqa: E402
from app.models.types import utcnow  # noqa: E402

MOVED_SHARE = 0.30
CANCELLED_SHARE = 0.10
DUE = 5
"""Rows due now next to the pending ones (fewer than a batch: the query must not read on)."""


def bench_app(url: str):  # noqa: ANN201 - a Flask app
    return create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-only-not-secret"})


# -- (a) planning and re-planning ----------------------------------------------------------------------


@dataclass
class Planning:
    """One run of (a)."""

    database: str
    appointments: int
    book_seconds: float = 0.0
    moves: int = 0
    move_seconds: float = 0.0
    cancels: int = 0
    cancel_seconds: float = 0.0
    rows_booked: int = 0
    rows_after: int = 0
    queued: int = 0
    cancelled: int = 0

    @property
    def per_booking_ms(self) -> float:
        return 1000 * self.book_seconds / self.appointments

    @property
    def per_move_ms(self) -> float:
        return 1000 * self.move_seconds / self.moves if self.moves else 0.0

    @property
    def per_cancel_ms(self) -> float:
        return 1000 * self.cancel_seconds / self.cancels if self.cancels else 0.0


def people(count: int) -> tuple[int, int, list[int]]:
    """Hoorn, a klantmanager and ``count`` newcomers (languages in turn); their ids."""
    from app.staff.services import create_staff
    from bench.outbox import prepare

    hoorn = prepare(numbers=count)
    staff = db.session.scalar(select(Staff).where(Staff.email == "bench-km@example.nl"))
    if staff is None:
        staff, _password = create_staff("bench-km@example.nl", "klantmanager", ["0405"])
    languages = ("nl", "ar", "ti", "fa", "tr", "so", "en")
    ids = db.session.scalars(
        select(Newcomer.id).where(Newcomer.phone.like("+3164%")).order_by(Newcomer.id).limit(count)
    ).all()
    for n, newcomer_id in enumerate(ids):
        db.session.get(Newcomer, newcomer_id).language = languages[n % len(languages)]
    db.session.commit()
    return hoorn, staff.id, list(ids)


def outbox_rows() -> int:
    return db.session.scalar(select(func.count(OutboundMessage.id))) or 0


def plan(app, appointments: int, database: str, now: datetime | None = None) -> Planning:  # noqa: ANN001
    """Book ``appointments`` (one newcomer each), move 30% and cancel 10% of them; one commit per verb."""
    from app.appointments import services
    from app.appointments.services import Details

    now = now or utcnow()
    result = Planning(database, appointments)
    with app.app_context(), app.test_request_context():
        hoorn, staff_id, newcomer_ids = people(appointments)
        staff = db.session.get(Staff, staff_id)
        before = outbox_rows()
        booked: list[int] = []
        started = time.perf_counter()
        for n in range(appointments):
            # days ahead, at every quarter hour of the working day: some reminders land in quiet hours
            start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=3 + n % 60, minutes=15 * (n % 40))
            appointment, _invited = services.book(
                hoorn,
                Details(kind="pvt_session", starts_at=start, location="Stadhuis Hoorn", room="2.14"),
                [db.session.get(Newcomer, newcomer_ids[n])],
                actor=staff,
                now=now,
            )
            db.session.commit()
            booked.append(appointment.id)
        result.book_seconds = time.perf_counter() - started
        result.rows_booked = outbox_rows() - before
        moved = booked[: int(appointments * MOVED_SHARE)]
        cancelled = booked[len(booked) - int(appointments * CANCELLED_SHARE) :]
        started = time.perf_counter()
        for appointment_id in moved:
            appointment = db.session.get(Appointment, appointment_id)
            services.move(appointment, appointment.starts_at + timedelta(days=1, hours=2), actor=staff, now=now)
            db.session.commit()
        result.move_seconds, result.moves = time.perf_counter() - started, len(moved)
        started = time.perf_counter()
        for appointment_id in cancelled:
            services.cancel(db.session.get(Appointment, appointment_id), "staff_unavailable", actor=staff, now=now)
            db.session.commit()
        result.cancel_seconds, result.cancels = time.perf_counter() - started, len(cancelled)
        result.rows_after = outbox_rows() - before
        counts = dict(
            db.session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)).all()
        )
        result.queued, result.cancelled = counts.get("queued", 0), counts.get("cancelled", 0)
    return result


# -- (b) the due query with many reminders for later ------------------------------------------------------


def add_pending(count: int, tag: str) -> None:
    """``count`` queued reminders due between tomorrow and eight weeks from now (PostgreSQL, in SQL)."""
    from bench.outbox import _MESSAGE_COLUMNS, NUMBERS

    db.session.execute(
        text(
            f"INSERT INTO outbound_messages ({_MESSAGE_COLUMNS})"  # noqa: S608 - fixed names
            " SELECT n.id, n.municipality_id, n.phone, 'appointment_reminder', 'reminders', 0,"
            " 'bench:' || :tag || ':' || g, 'nl', 'Gemeente Hoorn: herinnering ' || g, 1, 'GSM-7', 'queued', 0,"
            " t.due, t.due, t.due + interval '2 hours', md5(:tag || g || random()::text), false, now()"
            " FROM generate_series(1, :count) g"
            " CROSS JOIN LATERAL (SELECT now() + interval '1 day' + random() * interval '56 days' AS due"
            "   WHERE g > 0) t"
            " JOIN newcomers n ON n.phone = '+3164' || lpad(((g - 1) % :numbers)::text, 7, '0')"
        ),
        {"count": count, "tag": tag, "numbers": NUMBERS},
    )


def explain_due(batch: int = 20, repeat: int = 5) -> dict[str, object]:
    """EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of the worker's due query as it claims; the best of ``repeat``
    (each in a transaction rolled back, so its row locks go)."""
    from app.outbox.worker import due_rows

    runs = []
    for _ in range(repeat):
        statement = due_rows(utcnow(), batch, lock=True)
        compiled = statement.compile(dialect=db.engine.dialect)
        raw = (
            db.session.connection()
            .exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {compiled}", compiled.params)
            .scalar()
        )
        db.session.rollback()
        document = (json.loads(raw) if isinstance(raw, str) else raw)[0]
        runs.append(document)
    document = min(runs, key=lambda d: d["Execution Time"])
    nodes: list[dict] = []

    def walk(node: dict) -> None:
        nodes.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(document["Plan"])
    root = document["Plan"]
    scans = [n for n in nodes if "Index Name" in n or n["Node Type"].startswith("Seq Scan")]
    return {
        "summary": " → ".join(n["Node Type"] + (f" {n['Index Name']}" if "Index Name" in n else "") for n in nodes),
        "indexes": sorted({n["Index Name"] for n in nodes if "Index Name" in n}),
        "seq_scans": [n for n in nodes if n["Node Type"] == "Seq Scan"],
        "sorts": [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")],
        "buffers": root.get("Shared Hit Blocks", 0) + root.get("Shared Read Blocks", 0),
        "entries": sum(n.get("Actual Rows", 0) * n.get("Actual Loops", 1) for n in scans)
        + sum(n.get("Rows Removed by Filter", 0) + n.get("Rows Removed by Index Recheck", 0) for n in scans),
        "rows": root.get("Actual Rows", 0),
        "ms": min(d["Execution Time"] for d in runs),
    }


def due_query(url: str, sizes: list[int], due: int = DUE) -> list[tuple[int, dict]]:
    """The due query's plan and cost with each number of pending reminders (and ``due`` due rows)."""
    from bench.outbox import add_due, empty_outbox, prepare, vacuum_analyze

    app = bench_app(url)
    found = []
    with app.app_context():
        prepare()
        for size in sizes:
            empty_outbox()
            add_pending(size, f"p{size}")
            add_due(due, f"d{size}")
            db.session.commit()
            vacuum_analyze(url)
            found.append((size, explain_due()))
        empty_outbox()
    return found


# -- the report ----------------------------------------------------------------------------------------------


def sqlite_url() -> str:
    from flask_migrate import upgrade

    url = f"sqlite:///{tempfile.mkdtemp()}/reminders.sqlite3"
    with bench_app(url).app_context():
        upgrade()
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=10000)
    parser.add_argument("--pending", type=int, nargs="*", default=[1000, 100000])
    parser.add_argument("--sqlite", action="store_true", help="also plan on SQLite (a fresh file)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench"),
    )
    args = parser.parse_args()
    from flask_migrate import upgrade

    from bench.outbox import fresh_database

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    fresh_database(args.database_url)
    with bench_app(args.database_url).app_context():
        upgrade()
    now = datetime.now(UTC)
    runs = [plan(bench_app(args.database_url), args.appointments, "PostgreSQL", now)]
    if args.sqlite:
        runs.append(plan(bench_app(sqlite_url()), args.appointments, "SQLite", now))
    plans = due_query(args.database_url, args.pending)
    elapsed = time.monotonic() - started
    print(
        f"Measured in {elapsed:.0f} s on one 2-core machine; load average {load_before:.1f} before,"
        f" {os.getloadavg()[0]:.1f} after."
    )
    print()
    print(
        f"(a) {args.appointments:,} appointments booked through `services.book` (one newcomer each; a PVT lesson"
        f" 3 to 62 days ahead), then {MOVED_SHARE:.0%} moved and {CANCELLED_SHARE:.0%} cancelled, one transaction"
        " per verb:"
    )
    print()
    print(
        "| database | book ms/appt | move ms/appt | cancel ms/appt | outbox rows after booking"
        " | after moves and cancels | queued | withdrawn |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        print(
            f"| {r.database} | {r.per_booking_ms:.1f} | {r.per_move_ms:.1f} | {r.per_cancel_ms:.1f} |"
            f" {r.rows_booked:,} ({r.rows_booked / r.appointments:.2f}/appt) |"
            f" {r.rows_after:,} ({r.rows_after / r.appointments:.2f}/appt) | {r.queued:,} | {r.cancelled:,} |"
        )
    print()
    print(
        f"(b) The worker's due query (`due_rows`, as it claims a batch of 20: `FOR UPDATE SKIP LOCKED`) with"
        f" {DUE} rows due and that many queued reminders for the coming 8 weeks, `VACUUM ANALYZE`d;"
        " EXPLAIN (ANALYZE, BUFFERS), the best of 5:"
    )
    print()
    print("| pending reminders | plan | buffers | rows out of the index scan | rows | ms |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, p in plans:
        print(f"| {size:,} | {p['summary']} | {p['buffers']} | {p['entries']} | {p['rows']} | {p['ms']:.3f} |")
    (small, first), (large, last) = plans[0], plans[-1]
    print()
    print(
        f"Ratio {large:,} / {small:,} pending: buffers {last['buffers'] / max(first['buffers'], 1):.2f},"
        f" time {last['ms'] / max(first['ms'], 0.001):.2f} (constant per batch: about 1)."
    )


if __name__ == "__main__":
    main()
