"""Where a newcomer stands in their route: the parts their PIP holds, each with its progress.

Progress comes from two sources: attendance (an attended PVT session, MAP workshop, KNM lesson or
Z-route talk counts its hours for that part; ``counts_for`` in ``workflows/appointments.py``) and
what the klantmanager recorded (:class:`~app.models.appointment.RouteProgress`: themes, dates,
exemptions; :class:`~app.models.appointment.HoursEntry`: hours per month, by hand or imported).
Both the newcomer's route page and the file page read :func:`route_status`; it runs a fixed number
of queries whatever the history holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from workflows.appointments import (
    KNM,
    KNM_THEMES,
    LANGUAGE,
    MAP,
    MAP_MIN_PRACTICAL_HOURS,
    MAP_THEMES,
    PRESENT,
    PVT,
    PVT_MIN_HOURS,
    TYPES,
    Z_PARTICIPATION_HOURS,
    Z_ROUTE,
)

from ..backoffice import pip_services
from ..extensions import db
from ..models import Newcomer
from ..models.appointment import (
    HOURS_INTAKE_LANGUAGE,
    HOURS_LANGUAGE,
    HOURS_MAP,
    HOURS_PVT,
    HOURS_Z_PARTICIPATION,
    INVITED,
    PLANNED,
    Appointment,
    Attendee,
    HoursEntry,
    RouteProgress,
)
from ..models.newcomer import STATUSHOUDER
from ..models.pip import Pip

HOUR_KINDS_OF_PART = {
    PVT: (HOURS_PVT,),
    MAP: (HOURS_MAP,),
    Z_ROUTE: (HOURS_Z_PARTICIPATION,),
    LANGUAGE: (HOURS_LANGUAGE, HOURS_INTAKE_LANGUAGE),
    KNM: (),
}

NOT_STARTED, UNDER_WAY, DONE, EXEMPT = "not_started", "under_way", "done", "exempt"


@dataclass(frozen=True)
class Part:
    """One part of the route (``language``, ``knm``, ``pvt``, ``map``, ``z_route``) and how far it is."""

    id: str
    state: str
    """``not_started``, ``under_way``, ``done`` or ``exempt``."""
    hours: float = 0
    """Hours so far: attended appointments plus recorded hours."""
    hours_needed: int | None = None
    themes_done: int | None = None
    themes_total: int | None = None
    done_on: date | None = None
    started_on: date | None = None

    @property
    def percent(self) -> int:
        """How far, 0-100, for a progress bar (hours or themes, whichever the part counts)."""
        if self.state in (DONE, EXEMPT):
            return 100
        shares = []
        if self.hours_needed:
            shares.append(min(1.0, self.hours / self.hours_needed))
        if self.themes_total:
            shares.append(min(1.0, (self.themes_done or 0) / self.themes_total))
        return round(100 * sum(shares) / len(shares)) if shares else 0


@dataclass(frozen=True)
class RouteStatus:
    """The route of one newcomer: ``pip`` is ``None`` before a PIP exists (the empty state)."""

    pip: Pip | None
    term_end: date | None
    days_left: int | None
    parts: list[Part] = field(default_factory=list)
    record: RouteProgress | None = None

    @property
    def next_part(self) -> Part | None:
        """The first part that is not done: what happens next."""
        return next((p for p in self.parts if p.state in (NOT_STARTED, UNDER_WAY)), None)


def attended_hours(newcomer_id: int) -> dict[str, float]:
    """Hours of attended appointments per part they count for (one query)."""
    counting = [t.id for t in TYPES.values() if t.counts_for]
    rows = db.session.execute(
        select(Appointment.kind, Appointment.starts_at, Appointment.ends_at)
        .join(Attendee, Attendee.appointment_id == Appointment.id)
        .where(
            Attendee.newcomer_id == newcomer_id,
            Attendee.status == INVITED,
            Attendee.attendance == PRESENT,
            Appointment.status == PLANNED,
            Appointment.kind.in_(counting),
        )
    )
    hours: dict[str, float] = {}
    for kind, starts_at, ends_at in rows:
        part = TYPES[kind].counts_for
        hours[part] = hours.get(part, 0) + (ends_at - starts_at).total_seconds() / 3600
    return hours


def recorded_hours(newcomer_id: int) -> dict[str, int]:
    """Recorded hours per kind, summed over the months (one query).

    A month of a kind that was imported (DUO's counters, from the course provider's records) counts
    the imported hours only; hours typed by hand count for the months nothing was imported for, so
    a month typed and later imported is never counted twice.
    """
    rows = db.session.execute(
        select(HoursEntry.kind, HoursEntry.month, HoursEntry.source, HoursEntry.hours).where(
            HoursEntry.newcomer_id == newcomer_id
        )
    )
    months: dict[tuple[str, date], tuple[str, int]] = {}
    for kind, month, source, hours in rows:
        kept = months.get((kind, month))
        if kept is None or (source == "import" and kept[0] != "import"):
            months[(kind, month)] = (source, hours)
    totals: dict[str, int] = {}
    for (kind, _month), (_source, hours) in months.items():
        totals[kind] = totals.get(kind, 0) + int(hours or 0)
    return totals


def record_of(newcomer: Newcomer) -> RouteProgress | None:
    return db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == newcomer.id))


def route_status(newcomer: Newcomer, today: date) -> RouteStatus:
    """The parts of the newcomer's route that their PIP holds, with progress, and the term's end."""
    summary = pip_services.summary(newcomer, today)
    pip = summary.current
    record = record_of(newcomer)
    if pip is None:
        return RouteStatus(None, None, None, [], record)
    attended = attended_hours(newcomer.id)
    recorded = recorded_hours(newcomer.id)

    def hours(part: str) -> float:
        return attended.get(part, 0) + sum(recorded.get(kind, 0) for kind in HOUR_KINDS_OF_PART[part])

    def state(done: bool, started: bool) -> str:
        return DONE if done else UNDER_WAY if started else NOT_STARTED

    parts: list[Part] = []
    started_on = record.route_started_on if record else None
    completed_on = record.route_completed_on if record else None
    parts.append(
        Part(
            LANGUAGE,
            state(completed_on is not None, started_on is not None or hours(LANGUAGE) > 0),
            hours=hours(LANGUAGE),
            done_on=completed_on,
            started_on=started_on,
        )
    )
    if pip.knm:
        knm_done = len(set(record.knm_themes or ()) & set(KNM_THEMES)) if record else 0
        parts.append(
            Part(
                KNM,
                state(knm_done >= len(KNM_THEMES), knm_done > 0 or attended.get(KNM, 0) > 0),
                hours=attended.get(KNM, 0),
                themes_done=knm_done,
                themes_total=len(KNM_THEMES),
            )
        )
    if pip.pvt:
        signed = record.pvt_signed_on if record else None
        parts.append(
            Part(
                PVT,
                state(signed is not None, hours(PVT) > 0),
                hours=hours(PVT),
                hours_needed=PVT_MIN_HOURS,
                done_on=signed,
            )
        )
    if pip.map and pip.leerroute in ("B", "Z"):
        if record is not None and record.map_exempt:
            parts.append(Part(MAP, EXEMPT))
        else:
            map_done = len(set(record.map_themes or ()) & set(MAP_THEMES)) if record else 0
            final = record.map_final_interview_on if record else None
            parts.append(
                Part(
                    MAP,
                    state(final is not None, hours(MAP) > 0 or map_done > 0),
                    hours=hours(MAP),
                    hours_needed=MAP_MIN_PRACTICAL_HOURS,
                    themes_done=map_done,
                    themes_total=len(MAP_THEMES),
                    done_on=final,
                )
            )
    if pip.leerroute == "Z":
        finished = record.z_completed_on if record else None
        needed = Z_PARTICIPATION_HOURS if newcomer.doelgroep == STATUSHOUDER and pip.z_participation else None
        parts.append(
            Part(
                Z_ROUTE,
                state(finished is not None, hours(Z_ROUTE) > 0),
                hours=hours(Z_ROUTE),
                hours_needed=needed,
                done_on=finished,
            )
        )
    days_left = (summary.term_end - today).days if summary.term_end else None
    return RouteStatus(pip, summary.term_end, days_left, parts, record)
