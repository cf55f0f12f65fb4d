"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JsonColumn = JSON().with_variant(JSONB(), "postgresql")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
"""The zone every date of the product is in: a deadline, a report's period, "today"."""


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp, also on SQLite (which forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today in Europe/Amsterdam (between 23:00 and 24:00 UTC the machine's date is still yesterday)."""
    return datetime.now(AMSTERDAM).date()
