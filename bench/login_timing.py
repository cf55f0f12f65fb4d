"""Login timing: does asking for a code take longer for a known number than for an unknown one?

An attacker who can time POST /login could tell registered numbers from others. The request
writes the challenge and, for a known number, queues the code SMS in the outbox (the worker sends
it later); for an unknown number it does the same work with nothing to queue. This measures the
request in-process with the Flask test client on SQLite, alternating known and unknown numbers,
and prints the medians and their ratio (1.00 means indistinguishable).

    .venv/bin/python bench/login_timing.py [--rounds 400]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.cli import invite  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Municipality  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def measure(rounds: int) -> tuple[float, float]:
    """Median seconds of POST /login for a known and for unknown numbers, ``rounds`` requests in all."""
    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/timing.sqlite3",
            "LOGIN_LIMIT_PER_IP": "1000000 per minute",
            "LOGIN_LIMIT_PER_NUMBER": "1000000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        db.session.add(Municipality(code="0405", name="Hoorn"))
        db.session.commit()
        invite("Amal", "0612345601", "0405", "ar")
        db.session.commit()
    client = app.test_client()
    token = CSRF.search(client.get("/login").text).group(1)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(rounds):
        kind = "known" if n % 2 else "unknown"
        phone = "0612345601" if kind == "known" else f"06{30000000 + n}"
        start = time.perf_counter()
        response = client.post("/login", data={"csrf_token": token, "phone": phone})
        timings[kind].append(time.perf_counter() - start)
        assert response.status_code == 302
    with app.app_context():
        db.engine.dispose()
    return statistics.median(timings["known"]), statistics.median(timings["unknown"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    known, unknown = (seconds * 1000 for seconds in measure(args.rounds))
    print("| number | requests | median ms |")
    print("|---|---:|---:|")
    print(f"| known | {args.rounds // 2} | {known:.2f} |")
    print(f"| unknown | {args.rounds - args.rounds // 2} | {unknown:.2f} |")
    print(f"\nRatio known/unknown: **{known / unknown:.2f}**")


if __name__ == "__main__":
    main()
