"""A real outbox worker process for the end-to-end tests: the test app's settings, the console sender.

Usage: ``python -m tests.e2e.worker_process DATABASE_URL PUBLIC_BASE_URL`` (the live_server fixture
starts and stops it). It polls often, so a login code reaches the dev inbox within a fraction of a
second, as it does in the demo.

Two environment variables, for a test that needs a worker at another time (a reminder days ahead):

- ``E2E_WORKER_AT``: an ISO 8601 moment with its offset (``2026-10-12T10:00:00+00:00``); the
  process's clock starts there and runs on (time_machine), so the worker sends what is due then.
- ``E2E_WORKER_ONCE=1``: send what is due, then exit (as ``flask worker --once``); the number sent
  is the last line on stdout.

Without them the worker runs on the real clock until SIGTERM, as before.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import datetime

from app.outbox.worker import Worker
from tests.conftest import _build_app


def main(database_url: str, base_url: str) -> None:
    app = _build_app(
        database_url,
        SMS_BACKEND="console",
        PUBLIC_BASE_URL=base_url,
        OUTBOX_PRIORITY_POLL_SECONDS=0.1,
        OUTBOX_POLL_SECONDS=0.5,
    )
    once = os.environ.get("E2E_WORKER_ONCE") == "1"
    worker = Worker(app, "e2e-worker-at" if os.environ.get("E2E_WORKER_AT") else "e2e-worker")
    worker.install_signal_handlers()
    sent = worker.run(once=once)
    if once:
        print(sent, flush=True)  # noqa: T201 - the test reads it


def _clock() -> contextlib.AbstractContextManager:
    """The simulated clock of ``E2E_WORKER_AT`` (ticking on from there), or the real one."""
    at = os.environ.get("E2E_WORKER_AT")
    if not at:
        return contextlib.nullcontext()
    import time_machine

    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise SystemExit("E2E_WORKER_AT needs an offset (+00:00)")
    return time_machine.travel(moment, tick=True)


if __name__ == "__main__":
    with _clock():
        main(sys.argv[1], sys.argv[2])
