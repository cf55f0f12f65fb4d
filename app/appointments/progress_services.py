"""The verbs of recording route progress: check the rules, save the record and a month's hours.

One :class:`~app.models.appointment.RouteProgress` row per newcomer, created on the first save;
hours by hand are :class:`~app.models.appointment.HoursEntry` rows with ``source="manual"``, one
per (month, kind): saving a month again replaces its hours. The record carries its version
(``updated_at``): a save on a form opened before someone else saved is refused
(:class:`ProgressConflict`), so nobody overwrites what they did not see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forms.progress import version_of

from .. import audit
from ..backoffice import pip_services
from ..extensions import db
from ..models import Newcomer, Staff
from ..models.appointment import HOUR_KINDS, HoursEntry, RouteProgress
from ..models.pip import Pip
from ..models.types import utcnow

MANUAL, IMPORTED = "manual", "import"
MAP_ROUTES = ("B", "Z")
"""The routes the MAP belongs to (DUO: not the onderwijsroute)."""


@dataclass(frozen=True)
class Violation:
    """A broken rule: the field it is shown next to and the message, in the reader's language."""

    field: str
    message: str


class ProgressRefused(Exception):  # noqa: N818 - a refusal, with its reasons
    """The values break rules; ``violations`` says which, per field."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(", ".join(v.field for v in violations))
        self.violations = violations


class ProgressConflict(Exception):  # noqa: N818
    """Someone else saved this record after the form was opened."""


@dataclass(frozen=True)
class PipFacts:
    """What the rules need of the PIP: the first PIP's date (the term starts after it) and the current route."""

    first_on: date | None
    leerroute: str | None


def pip_facts(newcomer: Newcomer) -> PipFacts:
    """The PIP facts of a newcomer (one query)."""
    versions: list[Pip] = pip_services.versions_of(newcomer)
    if not versions:
        return PipFacts(None, None)
    return PipFacts(min(v.pip_on for v in versions), versions[0].leerroute)


def check(values: dict[str, Any], month: date | None, hours: dict[str, int], pip: PipFacts) -> list[Violation]:
    """The rules that combine fields, or need the PIP; an empty list when all is well."""
    found: list[Violation] = []

    def refuse(field: str, message: str) -> None:
        found.append(Violation(field, message))

    started, completed = values.get("route_started_on"), values.get("route_completed_on")
    if completed is not None and started is None:
        refuse("route_started_on", _("Fill in the first lesson too: a route is completed after it started."))
    elif completed is not None and started is not None and completed < started:
        refuse(
            "route_completed_on",
            _("The route cannot be completed before its first lesson (%(date)s).", date=format_date(started)),
        )
    signed = values.get("pvt_signed_on")
    if signed is not None:
        if pip.first_on is None:
            refuse("pvt_signed_on", _("Record the PIP first: the participation statement is signed after it."))
        elif signed < pip.first_on:
            refuse(
                "pvt_signed_on",
                _("The statement cannot be signed before the PIP date (%(date)s).", date=format_date(pip.first_on)),
            )
    final = values.get("map_final_interview_on")
    if final is not None and pip.leerroute not in MAP_ROUTES:
        refuse("map_final_interview_on", _("A MAP final interview is only part of the B1-route and the Z-route."))
    if values.get("map_exempt"):
        if not values.get("map_exemption_reason"):
            refuse("map_exemption_reason", _("Write the reason for the exemption."))
        if final is not None:
            refuse(
                "map_final_interview_on",
                _("An exempted MAP has no final interview: remove the date or the exemption."),
            )
    elif values.get("map_exemption_reason"):
        refuse("map_exemption_reason", _("Tick the exemption, or leave the reason empty."))
    if values.get("z_completed_on") is not None and pip.leerroute != "Z":
        refuse("z_completed_on", _("Only a Z-route can be completed here: the PIP's route is another."))
    if hours and month is None:
        refuse("hours_month", _("Fill in the month of these hours."))
    elif month is not None and not hours:
        refuse("hours_month", _("Fill in the hours of at least one kind for this month."))
    return found


def save(
    newcomer: Newcomer,
    staff: Staff,
    values: dict[str, Any],
    *,
    version: str,
    month: date | None = None,
    hours: dict[str, int] | None = None,
) -> RouteProgress:
    """Check and save the record and a month's hours, audited as ``progress.recorded``; committed.

    ProgressRefused when rules are broken, ProgressConflict when the record changed since ``version``.
    """
    hours = hours or {}
    violations = check(values, month, hours, pip_facts(newcomer))
    if violations:
        raise ProgressRefused(violations)
    record = db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == newcomer.id).with_for_update())
    if version_of(record) != (version or ""):
        db.session.rollback()
        raise ProgressConflict
    now = utcnow()
    if record is None:
        record = RouteProgress(newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id)
        db.session.add(record)
    for column, value in values.items():
        setattr(record, column, value)
    record.updated_at = now
    record.updated_by_staff_id = staff.id
    if month is not None:
        _set_hours(newcomer, month, hours, source=MANUAL, staff_id=staff.id, now=now)
    audit.record("progress.recorded", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    try:
        db.session.commit()
    except IntegrityError:  # the first record, created by someone else at the same moment
        db.session.rollback()
        raise ProgressConflict from None
    return record


def _set_hours(
    newcomer: Newcomer, month: date, hours: dict[str, int], *, source: str, staff_id: int | None, now: object
) -> None:
    existing = {
        entry.kind: entry
        for entry in db.session.scalars(
            select(HoursEntry).where(
                HoursEntry.newcomer_id == newcomer.id, HoursEntry.month == month, HoursEntry.source == source
            )
        )
    }
    for kind, value in hours.items():
        if kind not in HOUR_KINDS:
            raise ValueError(kind)
        entry = existing.get(kind)
        if entry is None:
            db.session.add(
                HoursEntry(
                    newcomer_id=newcomer.id,
                    municipality_id=newcomer.municipality_id,
                    month=month,
                    kind=kind,
                    hours=value,
                    source=source,
                    updated_at=now,
                    updated_by_staff_id=staff_id,
                )
            )
        elif entry.hours != value:
            entry.hours, entry.updated_at, entry.updated_by_staff_id = value, now, staff_id


@dataclass(frozen=True)
class MonthHours:
    """One month's recorded hours: per kind, by hand and imported."""

    month: date
    manual: dict[str, int]
    imported: dict[str, int]


def hours_by_month(newcomer: Newcomer) -> list[MonthHours]:
    """Every month with recorded hours, newest first (one query)."""
    by_month: dict[date, dict[str, dict[str, int]]] = defaultdict(lambda: {MANUAL: {}, IMPORTED: {}})
    rows = db.session.execute(
        select(HoursEntry.month, HoursEntry.kind, HoursEntry.source, HoursEntry.hours).where(
            HoursEntry.newcomer_id == newcomer.id
        )
    )
    for month, kind, source, value in rows:
        by_month[month][IMPORTED if source == IMPORTED else MANUAL][kind] = value
    return [
        MonthHours(month, kinds[MANUAL], kinds[IMPORTED]) for month, kinds in sorted(by_month.items(), reverse=True)
    ]
