"""Throughput: one intake step cycle vs a bare route, under gunicorn (2 workers) on PostgreSQL.

Both run in the same app and server, in the same run, with the same 50 concurrent users (threads,
each with its own signed-in session), for a bounded time against 127.0.0.1:

- intake cycle: GET /intake/languages, POST valid answers, follow the redirect (GET the next step);
- baseline: GET /bench/baseline (one SELECT, a small template).

Prints requests per second, p50/p95 latency and errors for both, and their ratio (target >= 0.5).

    .venv/bin/python bench/throughput.py [--users 50] [--seconds 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app.test_intake import WEB  # noqa: E402

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass
class Tally:
    """What one phase measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cycles: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(url: str) -> None:
    """Create the benchmark database if needed and empty it."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(cmd: list[str], env: dict[str, str]) -> str:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def sign_in(base: str, link: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = session.get(base + path)
    session.post(base + path, data={"csrf_token": CSRF.search(page.text).group(1)}, allow_redirects=False)
    page = session.get(f"{base}/intake/about_you")
    token = CSRF.search(page.text).group(1)
    done = session.post(
        f"{base}/intake/about_you", data={"csrf_token": token, **WEB["about_you"]}, allow_redirects=False
    )
    assert done.status_code == 302, done.status_code
    return session, token


def phase(users: list[tuple[requests.Session, str]], base: str, seconds: float, work: str) -> tuple[Tally, float]:
    tally = Tally()
    stop = time.monotonic() + seconds
    start_gate = threading.Barrier(len(users) + 1)

    def user(session: requests.Session, token: str) -> None:
        start_gate.wait()
        while time.monotonic() < stop:
            if work == "baseline":
                t = time.perf_counter()
                r = session.get(f"{base}/bench/baseline")
                tally.add(time.perf_counter() - t, r.status_code == 200)
                continue
            t = time.perf_counter()
            r = session.get(f"{base}/intake/languages")
            tally.add(time.perf_counter() - t, r.status_code == 200)
            t = time.perf_counter()
            r = session.post(
                f"{base}/intake/languages", data={"csrf_token": token, **WEB["languages"]}, allow_redirects=False
            )
            ok = r.status_code == 302
            tally.add(time.perf_counter() - t, ok)
            if ok:
                t = time.perf_counter()
                r = session.get(base + r.headers["Location"])
                tally.add(time.perf_counter() - t, r.status_code == 200)
            with tally.lock:
                tally.cycles += 1

    threads = [threading.Thread(target=user, args=u) for u in users]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - began


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench")
    args = parser.parse_args()

    fresh_database(args.database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        APP_ENV="development",
        DATABASE_URL=args.database_url,
        BENCH_ROUTES="1",
        SMS_BACKEND="console",
        PUBLIC_BASE_URL=base,
        LOG_LEVEL="WARNING",
        CODE_LIMIT_PER_IP="100000 per minute",
        SECRET_KEY="bench-only",  # noqa: S106 - a throwaway benchmark server
    )
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    run([*flask, "db", "upgrade"], env)
    run([*flask, "add-municipality", "--code", "0405", "--name", "Hoorn"], env)
    links = []
    for n in range(args.users):
        out = run(
            [
                *flask,
                "invite-newcomer",
                "--name",
                f"Bench {n}",
                "--phone",
                f"06{20000000 + n}",
                "--gemeente",
                "0405",
                "--language",
                "ar",
            ],
            env,
        )
        links.append(out.strip().splitlines()[-1])

    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        users = [sign_in(base, link) for link in links]
        phase(users, base, args.warmup, "intake")
        phase(users, base, args.warmup, "baseline")
        results = {}
        for work in ("baseline", "intake"):
            tally, elapsed = phase(users, base, args.seconds, work)
            results[work] = (tally, elapsed)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    print(
        f"{args.users} concurrent users, {args.seconds:.0f} s per phase, gunicorn -w 2 (sync), PostgreSQL, "
        f"client and server on one {os.cpu_count()}-core machine\n"
    )
    print("| | requests | requests/s | cycles/s | p50 ms | p95 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rates = {}
    for work, label in (
        ("baseline", "bare route (1 SELECT + small template)"),
        ("intake", "intake step cycle (GET, POST, redirect)"),
    ):
        tally, elapsed = results[work]
        rates[work] = len(tally.latencies) / elapsed
        cycles = f"{tally.cycles / elapsed:.1f}" if work == "intake" else ""
        print(
            f"| {label} | {len(tally.latencies):,} | {rates[work]:.1f} | {cycles} | "
            f"{percentile(tally.latencies, 50):.1f} | {percentile(tally.latencies, 95):.1f} | {tally.errors} |"
        )
    print(
        f"\nRatio (intake requests/s / bare requests/s): **{rates['intake'] / rates['baseline']:.2f}** (target >= 0.5)"
    )


if __name__ == "__main__":
    main()
