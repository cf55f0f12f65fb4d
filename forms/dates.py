"""Sane bounds for every date that staff type: one validator, used by every date field of every staff form.

A date like 9999-12-31 is a typing error, and left in it breaks what is computed from it (the
10-week deadline, the end of the integration term). Dates of the Wet inburgering are never before
the law (``DATE_EARLIEST``, default 2021-01-01) and never more than ``DATE_MAX_FUTURE_DAYS``
(default 366) after today. Both are app settings; a field can ask for a shorter future (0: not
after today).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import format_date
from flask_babel import gettext as _
from wtforms import Field
from wtforms.validators import ValidationError

EARLIEST = date(2021, 1, 1)
"""The Wet inburgering 2021 was adopted in 2021 (in force from 1 January 2022)."""
MAX_FUTURE_DAYS = 366
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def today() -> date:
    """Today in the Netherlands."""
    return datetime.now(AMSTERDAM).date()


def date_bounds(future_days: int | None = None, on: date | None = None) -> tuple[date, date]:
    """The earliest and the latest date staff may type (both allowed)."""
    config = current_app.config if has_app_context() else {}
    earliest = config.get("DATE_EARLIEST", EARLIEST)
    if isinstance(earliest, str):
        earliest = date.fromisoformat(earliest)
    ahead = config.get("DATE_MAX_FUTURE_DAYS", MAX_FUTURE_DAYS) if future_days is None else future_days
    return earliest, (on or today()) + timedelta(days=int(ahead))


def in_bounds(value: date, future_days: int | None = None) -> bool:
    """Whether ``value`` lies within :func:`date_bounds`."""
    earliest, latest = date_bounds(future_days)
    return earliest <= value <= latest


class SaneDate:
    """A date within :func:`date_bounds`; the message names both ends, in the reader's language.

    An empty field passes (``Optional`` or ``InputRequired`` decide about that).
    """

    def __init__(self, future_days: int | None = None) -> None:
        self.future_days = future_days

    def __call__(self, form: object, field: Field) -> None:
        """Refuse a date outside the bounds."""
        if field.data is None:
            return
        earliest, latest = date_bounds(self.future_days)
        if not earliest <= field.data <= latest:
            raise ValidationError(
                _(
                    "Type a date from %(earliest)s to %(latest)s.",
                    earliest=format_date(earliest),
                    latest=format_date(latest),
                )
            )
