"""Fixtures: one app and one migrated database per run, emptied after every test.

The database is SQLite (a file in a temporary folder) unless ``TEST_DATABASE_URL`` names another,
such as PostgreSQL; ``scripts/test`` runs the suite on both.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, func, inspect, select, text

from app import create_app
from app.extensions import db, limiter
from app.models import Municipality, Newcomer

ROOT = Path(__file__).resolve().parent.parent

# Property tests check behaviour, not speed: no per-example deadline on a busy two-core CI machine.
settings.register_profile("project", deadline=None)
settings.load_profile("project")


TOKEN = "test-token"  # noqa: S105 - the test account's Twilio auth token
BASE = "https://intake.example.nl"
"""The public address behind the proxy, as Twilio signs its webhook requests for it."""
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
"""The moment the ``clock`` fixture stops time at (a Tuesday morning, inside the SMS hours)."""


@pytest.fixture
def hooks(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The test app with a Twilio auth token and an https public address (as behind a proxy)."""
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE + "/")
    return app


@pytest.fixture
def clock(time_machine):  # noqa: ANN001, ANN201 - time-machine's fixture
    """Time stands still at NOW."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, migrated to the newest revision by Alembic (not by create_all)."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    _reset_schema(url)
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _reset_schema(url: str) -> None:
    """Drop whatever an earlier run left in a shared database (PostgreSQL)."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _build_app(database_url: str, **overrides: object) -> Flask:
    settings = {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": database_url}
    settings.update(overrides)
    return create_app(settings)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(database_url: str, app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with some settings changed (closed after the test)."""
    built: list[Flask] = []

    def make(**overrides: object) -> Flask:
        built.append(_build_app(database_url, **overrides))
        return built[-1]

    yield make
    for other in built:
        _dispose(other)


@pytest.fixture(scope="session")
def _session_app(database_url: str) -> Iterator[Flask]:
    app = _build_app(database_url)
    yield app
    _dispose(app)


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The app; every table emptied and rate limits reset afterwards.

    No app context stays pushed during a test: requests must get their own, as in production
    (``g`` and Flask-Login's cached user would otherwise leak from one request to the next).
    Tests read and write the database inside ``with app.app_context():``.
    """
    yield _session_app
    wait_for_sms()  # a message still being sent must not outlive its test's rows
    with _session_app.app_context():
        empty_tables()
        limiter.reset()
    _session_app.extensions["sms_sender"].sent.clear()
    _session_app.extensions["sms_sender"].fail_with = None


def empty_tables() -> None:
    """Delete every row, children first (the schema stays); the audit log is append-only and stays."""
    names = set(inspect(db.engine).get_table_names()) - {"alembic_version", "audit_events"}
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            if table.name in names:
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser without cookies that prefers English (tests read the source strings)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


class OutboxSms:
    """The test app's fake sender, read after the outbox worker has sent what is due.

    Reading ``sent`` first runs the real worker code once in this process (``drain``): requests
    only queue messages, as in production, and the worker is what talks to the sender.
    """

    def __init__(self, app: Flask) -> None:
        object.__setattr__(self, "app", app)
        object.__setattr__(self, "sender", app.extensions["sms_sender"])

    @property
    def sent(self) -> list[tuple[str, str]]:
        drain_outbox(self.app)
        return self.sender.sent

    def __getattr__(self, name: str) -> object:
        return getattr(self.sender, name)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self.sender, name, value)


def drain_outbox(app: Flask) -> int:
    """Send every due outbox row through the app's sender (the worker's own code); how many were sent."""
    from app.outbox.worker import drain

    return drain(app, "test-worker")


@pytest.fixture
def sms(app: Flask) -> OutboxSms:
    """The fake SMS sender of the test app: ``sms.sent`` lists (to, body) once the outbox is sent."""
    return OutboxSms(app)


@dataclass(frozen=True)
class Person:
    """What a test knows of a newcomer it created (the row itself lives in the database)."""

    id: int
    name: str
    phone: str
    language: str


@pytest.fixture
def municipality_id(app: Flask) -> int:
    """Hoorn (0405)."""
    with app.app_context():
        hoorn = Municipality(code="0405", name="Hoorn")
        db.session.add(hoorn)
        db.session.commit()
        return hoorn.id


@pytest.fixture
def make_newcomer(app: Flask, municipality_id: int) -> Callable[..., Person]:
    """Create newcomers: ``make_newcomer(name=..., phone=..., language=...)``."""
    counter = iter(range(10, 99))

    def make(name: str = "Amal Al-Hassan", phone: str | None = None, language: str = "ar") -> Person:
        with app.app_context():
            row = Newcomer(
                name=name,
                phone=phone or f"+316123456{next(counter):02d}",
                municipality_id=municipality_id,
                language=language,
            )
            db.session.add(row)
            db.session.commit()
            return Person(row.id, row.name, row.phone, row.language)

    return make


@pytest.fixture
def newcomer(make_newcomer: Callable[..., Person]) -> Person:
    """Amal, with English as her language here so tests read the source strings."""
    return make_newcomer(language="en")


def wait_for_sms() -> None:
    """Wait for work handed to background threads (named ``sms-...``)."""
    for thread in threading.enumerate():
        if thread.name.startswith("sms-"):
            thread.join(timeout=10)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def invitation_path(app: Flask, person: Person) -> str:
    """A fresh invitation link's path for ``person``."""
    from app.auth.services import create_invitation

    with app.app_context():
        link = create_invitation(db.session.get(Newcomer, person.id))
        db.session.commit()
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def sign_in(client: FlaskClient, person: Person) -> None:
    """Sign in through an invitation link, as a newcomer would."""
    path = invitation_path(client.application, person)
    page = client.get(path)
    response = client.post(path, data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302, response.text


@pytest.fixture
def signed_in(client: FlaskClient, newcomer: Person) -> FlaskClient:
    """A client signed in as Amal."""
    sign_in(client, newcomer)
    return client


@dataclass(frozen=True)
class StaffLogin:
    """A staff account a test created: its id, e-mail, one-time password and TOTP secret."""

    id: int
    email: str
    password: str
    totp_secret: str


@pytest.fixture
def make_staff(app: Flask, municipality_id: int) -> Callable[..., StaffLogin]:
    """Create staff: ``make_staff(role="klantmanager", codes=("0405",))``; other codes are created as needed."""
    from app.staff.services import create_staff

    counter = iter(range(1, 1000))

    def make(role: str = "klantmanager", codes: tuple[str, ...] = ("0405",), email: str | None = None) -> StaffLogin:
        with app.app_context():
            for code in codes:
                if db.session.scalar(select(Municipality.id).where(Municipality.code == code)) is None:
                    db.session.add(Municipality(code=code, name=f"Gemeente {code}"))
            db.session.flush()
            staff, password = create_staff(email or f"staff{next(counter)}@example.nl", role, list(codes))
            staff.language = "en"  # staff read Dutch by default; tests read the English source strings
            db.session.commit()
            return StaffLogin(staff.id, staff.email, password, staff.totp_secret)

    return make


def staff_sign_in(client: FlaskClient, login: StaffLogin, new_password: str = "a long new password 123") -> None:
    """The whole staff sign-in: password, TOTP code, recovery codes page, forced password change."""
    import pyotp

    page = client.get("/staff/login")
    response = client.post(
        "/staff/login", data={"csrf_token": csrf_token(page.text), "email": login.email, "password": login.password}
    )
    assert response.status_code == 302, response.text
    page = client.get("/staff/2fa")
    response = client.post(
        "/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(login.totp_secret).now()}
    )
    assert response.status_code == 302, response.text
    if response.headers["Location"].endswith("/staff/recovery-codes"):
        client.get("/staff/recovery-codes")
    page = client.get("/staff/password")
    if page.status_code == 200:
        client.post(
            "/staff/password",
            data={"csrf_token": csrf_token(page.text), "password": new_password, "confirm": new_password},
        )


@pytest.fixture
def klantmanager(client: FlaskClient, make_staff: Callable[..., StaffLogin]) -> FlaskClient:
    """A client signed in as a klantmanager of Hoorn (0405)."""
    staff_sign_in(client, make_staff())
    return client


@pytest.fixture
def audit_log(app: Flask) -> Callable[..., list]:
    """The audit entries written during this test (the log is append-only, so earlier ones stay)."""
    from app.models import AuditEvent

    with app.app_context():
        start = db.session.scalar(select(func.max(AuditEvent.id))) or 0

    def entries(**where: object) -> list:
        with app.app_context():
            query = select(AuditEvent).where(AuditEvent.id > start).order_by(AuditEvent.id)
            for key, value in where.items():
                query = query.where(getattr(AuditEvent, key) == value)
            rows = db.session.scalars(query).all()
            db.session.expunge_all()
            return rows

    return entries


# -- no English on a Dutch page -------------------------------------------------------------------
#
# Every page a test renders in Dutch is scanned for the English message ids of the catalog: a msgid
# of four words or more whose Dutch translation differs (or is missing) must not appear verbatim,
# because then a string was not translated (or not marked). Strings added since the last
# translation pass fail here until ./scripts/translations update and the Dutch entries are filled.

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
_ATTRIBUTE_TEXT = re.compile(r'\b(?:aria-label|alt|title|placeholder|aria-valuetext)="([^"]*)"')


def _words(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
def english_on_dutch_pages() -> tuple[str, ...]:
    """Fragments of English msgids (4+ words, placeholders cut out) that a Dutch page must not show."""
    from babel.messages.pofile import read_po

    def catalog(code: str):  # noqa: ANN202
        with (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            return read_po(handle)

    dutch = catalog("nl")
    fragments = set()
    for message in catalog("en"):
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if not msgid:
            continue
        translated = dutch.get(message.id)
        string = translated.string if translated is not None else ""
        string = string[0] if isinstance(string, tuple) else string
        if _words(string) == _words(msgid):
            continue  # the same in Dutch ("PIP", "KNM", names)
        for part in _PLACEHOLDER.split(msgid):
            if len(part.split()) >= 4:
                fragments.add(_words(part))
    return tuple(sorted(fragments))


_OTHER_LANGUAGE = re.compile(r'<(\w+)\b[^>]*\slang="(?!nl")[^"]*"[^>]*>.*?</\1>', re.S)


def visible_text(html: str) -> str:
    """The Dutch text a reader gets from a page: its text nodes and its labelling attributes.

    Elements marked as another language (``lang="ar"``: the language menu, a recorded SMS in the
    newcomer's language) are left out: they are not meant to be Dutch.
    """
    from html import unescape

    html = _OTHER_LANGUAGE.sub(" ", html)
    attributes = " ".join(_ATTRIBUTE_TEXT.findall(html))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return _words(unescape(re.sub(r"<[^>]+>", " ", body) + " " + attributes))


def english_fragments(html: str) -> list[str]:
    """The untranslated English fragments on a page."""
    text = visible_text(html)
    return [fragment for fragment in english_on_dutch_pages() if fragment in text]


@pytest.fixture(autouse=True)
def _no_english_on_dutch_pages() -> Iterator[None]:
    """Fail a test when a page it rendered in Dutch shows an English msgid of the catalog."""
    from flask import request_finished

    found: list[str] = []

    def check(sender: Flask, response, **_extra: object) -> None:  # noqa: ANN001
        if response.direct_passthrough or response.is_streamed or response.mimetype != "text/html":
            return
        from flask import request as current

        html = response.get_data(as_text=True)
        if '<html lang="nl"' not in html or current.path.startswith("/dev/"):  # the dev inbox is English
            return
        found.extend(f"{current.path}: {fragment!r}" for fragment in english_fragments(html))

    request_finished.connect(check)
    yield
    request_finished.disconnect(check)
    if found:
        pytest.fail("English text on a Dutch page (untranslated msgid):\n" + "\n".join(sorted(set(found))))
