"""A real outbox worker process for the end-to-end tests: the test app's settings, the console sender.

Usage: ``python -m tests.e2e.worker_process DATABASE_URL PUBLIC_BASE_URL`` (the live_server fixture
starts and stops it). It polls often, so a login code reaches the dev inbox within a fraction of a
second, as it does in the demo.
"""

from __future__ import annotations

import sys

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
    worker = Worker(app, "e2e-worker")
    worker.install_signal_handlers()
    worker.run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
