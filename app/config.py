"""Settings, read from the environment only here: one class per environment.

``APP_ENV`` picks the class (production, development, test); every other setting is documented in
the README's table. Production refuses to start without ``SECRET_KEY``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))  # type: ignore[arg-type]


def _codes(name: str, default: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in (_env(name, default) or "").split(",") if code.strip())


def _database_url() -> str:
    url = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'intake.sqlite3'}")
    # Heroku-style URLs name the old driver; we use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):  # type: ignore[union-attr]
            return "postgresql+psycopg://" + url[len(prefix) :]  # type: ignore[index]
    return url  # type: ignore[return-value]


class Config:
    """Production defaults: safe unless told otherwise."""

    ENV_NAME = "production"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # hide_parameters: a database error never carries the values (names, phone numbers, notes)
    # into an exception message, and so never into a log line.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    PROXY_FIX = _int("PROXY_FIX", 0)
    """How many trusted proxies stand before the app (0: none); see docs/deployment.md."""
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Requests and sessions
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 256 * 1024)
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)  # CSV uploads only (backoffice.import_form)
    SESSION_COOKIE_NAME = "intake_session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 120))
    STAFF_SESSION_IDLE_TIMEOUT = timedelta(minutes=_int("STAFF_SESSION_IDLE_MINUTES", 30))
    SESSION_MAX_AGE = timedelta(hours=_int("SESSION_MAX_HOURS", 12))
    WTF_CSRF_TIME_LIMIT = None  # valid for the whole session: a slow newcomer never loses a step
    WTF_CSRF_SSL_STRICT = True
    HSTS = True
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)  # static URLs carry a content hash

    # Sign-in
    INVITATION_TTL = timedelta(days=_int("INVITATION_TTL_DAYS", 7))
    LOGIN_CODE_TTL = timedelta(minutes=10)
    LOGIN_CODE_MAX_ATTEMPTS = 5
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_IP = _env("LOGIN_LIMIT_PER_IP", "10 per minute; 50 per hour")
    LOGIN_LIMIT_PER_NUMBER = _env("LOGIN_LIMIT_PER_NUMBER", "3 per 15 minutes; 10 per day")
    CODE_LIMIT_PER_IP = _env("CODE_LIMIT_PER_IP", "20 per minute; 100 per hour")
    MESSAGE_REPLY_LIMIT = _env("MESSAGE_REPLY_LIMIT", "10 per minute; 60 per day")
    """Answers a newcomer may write on the web (per newcomer, not per address)."""

    # Languages
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent.parent / "translations")
    # Offered first in country and language lists, in this order: where newcomers come from now
    # (DOMAIN.md); ISO 3166 and CLDR codes, comma-separated in the environment.
    COMMON_COUNTRIES = _codes("COMMON_COUNTRIES", "SY,TR,ER,YE,AF,IQ,SO,IR,ET")
    COMMON_LANGUAGES = _codes("COMMON_LANGUAGES", "ar,ti,fa_AF,fa,tr,so,ku,ckb,ps,am,en")

    # SMS
    SMS_BACKEND = _env("SMS_BACKEND", "twilio")
    TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
    TWILIO_MESSAGING_SERVICE_SID = _env("TWILIO_MESSAGING_SERVICE_SID")
    TWILIO_FROM = _env("TWILIO_FROM")
    TWILIO_TIMEOUT_SECONDS = _int("TWILIO_TIMEOUT_SECONDS", 10)
    TWILIO_HTTP_CLIENT = None  # tests inject a client that talks to a local fake Twilio
    TWILIO_API_BASE_URL = _env("TWILIO_API_BASE_URL", "https://api.twilio.com")
    """For load and fault tests only: a local Twilio stand-in (docs/deployment.md)."""
    SMS_WEBHOOK_MAX_BYTES = _int("SMS_WEBHOOK_MAX_BYTES", 16 * 1024)
    SMS_WEBHOOK_LIMIT = _env("SMS_WEBHOOK_LIMIT", "600 per minute")

    # The outbox worker (app/outbox/worker.py, docs/outbox.md)
    OUTBOX_BATCH = _int("OUTBOX_BATCH", 20)
    """Rows one worker claims at a time."""
    OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 120)
    """How long a claim holds; a row still ``sending`` after it belonged to a worker that died."""
    OUTBOX_POLL_SECONDS = float(_env("OUTBOX_POLL_SECONDS", "5"))
    """How long an idle worker sleeps between looks (PostgreSQL wakes it at once with NOTIFY)."""
    OUTBOX_PRIORITY_POLL_SECONDS = float(_env("OUTBOX_PRIORITY_POLL_SECONDS", "0.5"))
    """On SQLite (no NOTIFY): how often an idle worker looks for login codes."""
    OUTBOX_RETRY_BASE_SECONDS = _int("OUTBOX_RETRY_BASE_SECONDS", 30)
    OUTBOX_RETRY_MAX_SECONDS = _int("OUTBOX_RETRY_MAX_SECONDS", 3600)
    OUTBOX_DEFAULT_TTL = timedelta(hours=_int("OUTBOX_DEFAULT_TTL_HOURS", 72))
    """A notice not sent within this is expired, not sent late."""
    OUTBOX_LOOKUP_TRIES = _int("OUTBOX_LOOKUP_TRIES", 5)
    """How often a worker asks Twilio about a message in doubt before calling it unknown."""
    HEALTH_MAX_DUE_AGE_SECONDS = _int("HEALTH_MAX_DUE_AGE_SECONDS", 300)
    """/healthz answers 503 when the oldest due message has waited longer."""

    # Dates typed by staff (forms/dates.py): not before the law, not far into the future
    QUIET_HOURS_START = _env("QUIET_HOURS_START", "21:00")
    QUIET_HOURS_END = _env("QUIET_HOURS_END", "08:00")
    """No appointment SMS in this period (Europe/Amsterdam); a newcomer's own quiet hours override it."""
    APPOINTMENT_REPLY_DAYS = _int("APPOINTMENT_REPLY_DAYS", 7)
    """An SMS reply 1/2 is matched to the appointment of the latest reminder sent this many days back."""
    CALENDAR_FEED_LIMIT = _env("CALENDAR_FEED_LIMIT", "60 per hour")
    """Fetches of one calendar subscription link (per link: calendar servers share a few addresses)."""
    APPOINTMENT_MAX_FUTURE_DAYS = _int("APPOINTMENT_MAX_FUTURE_DAYS", 730)
    DATE_EARLIEST = _env("DATE_EARLIEST", "2021-01-01")
    DATE_MAX_FUTURE_DAYS = _int("DATE_MAX_FUTURE_DAYS", 366)

    # Privacy: files in a final status are anonymised this long after (flask purge-expired)
    RETENTION_YEARS = _int("RETENTION_YEARS", 5)

    DEV_ROUTES = False
    BENCH_ROUTES = _env("BENCH_ROUTES") == "1"
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")


class DevelopmentConfig(Config):
    """The embedded default: SQLite, console SMS with a dev inbox, plain HTTP on localhost."""

    ENV_NAME = "development"
    SECRET_KEY = _env("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_SSL_STRICT = False
    HSTS = False
    SMS_BACKEND = _env("SMS_BACKEND", "console")
    DEV_ROUTES = True


class TestConfig(DevelopmentConfig):
    """For the test suite: a throwaway database, a fake SMS sender unless a test says otherwise."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    SMS_BACKEND = "fake"
    RATELIMIT_STORAGE_URI = "memory://"


CONFIGS: dict[str, type[Config]] = {
    "production": Config,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def load_config(overrides: dict | None = None) -> dict:
    """The settings for ``APP_ENV`` (default production) as a dict, with ``overrides`` applied."""
    name = (overrides or {}).get("ENV_NAME") or _env("APP_ENV", "production")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    cls = CONFIGS[name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    settings.update(overrides or {})
    if not settings.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is required in production: set it in the environment")
    return settings
