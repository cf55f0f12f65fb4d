"""End-to-end fixtures: the app served on 127.0.0.1 and a real Chromium driven by Playwright.

Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is an end-to-end test."""
    for item in items:
        if Path(__file__).parent in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(database_url: str, app: Flask) -> Iterator[str]:
    """The app (console SMS, dev inbox) served on a free port, with an outbox worker in a process
    of its own, as in production; the app's URL."""
    from tests.conftest import ROOT, _build_app, _dispose

    served = _build_app(database_url, SMS_BACKEND="console", DEV_ROUTES=True)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    served.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    worker = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "tests.e2e.worker_process", database_url, base], cwd=ROOT
    )
    yield base
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    server.shutdown()
    server.server_close()
    _dispose(served)


@pytest.fixture
def new_phone(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a new phone (a fresh browser context at 360x740): ``new_phone(javascript=True)``."""
    contexts: list[BrowserContext] = []

    def open_phone(javascript: bool = True, locale: str = "nl-NL") -> Page:
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()
