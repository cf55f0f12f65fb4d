"""The monitor's queries: the facts its KPIs and lead times are computed from, nothing more.

Every query reads dates, kinds and counts of the selected municipalities (never a name, a phone
number or a BSN) as they stood on the reference date: an event dated after it is left out, and a
PIP version recorded after the end of that day too (the progress report's rule). A fixed number of
queries per page, whatever the number of people. Every query names an ORM entity, so the request's
tenancy limits it as well as the explicit ``municipality_id IN (...)``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Filling, Municipality, Newcomer, Pip, Staff, TermExtension
from ...models.partner import DEFAULT_MIN_CELL, Region
from ...models.records import ParticipationActivity, ReliefTrajectory
from ...models.types import AMSTERDAM
from .kpis import Activity, Person, Timeline

INTAKE = "brede_intake"


def end_of(day: date) -> datetime:
    """The first moment after ``day`` in the Netherlands, in UTC (timestamps before it happened on or before it)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=AMSTERDAM).astimezone(UTC)


def local_date(moment: datetime | None) -> date | None:
    """The Dutch calendar day of a UTC timestamp."""
    return moment.astimezone(AMSTERDAM).date() if moment is not None else None


# -- what the page may show ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A choice on the page: one municipality, or the staff member's municipalities of a region."""

    key: str
    """``m<id>`` or ``r<id>``."""
    label: str
    municipality_ids: tuple[int, ...]
    region: Region | None
    partial: bool = False
    """A region of which the staff member has only some municipalities."""

    @property
    def min_cell(self) -> int:
        """The smallest number of known outcomes that shows a percentage."""
        return self.region.min_cell if self.region is not None else DEFAULT_MIN_CELL

    @property
    def targets(self) -> dict:
        """The region's KPI targets (missing ones take the defaults)."""
        return dict(self.region.targets or {}) if self.region is not None else {}


def scopes(staff: Staff) -> list[Scope]:
    """The regions of the staff member's municipalities first, then each municipality alone."""
    mine = set(staff.municipality_ids)
    municipalities = list(
        db.session.scalars(select(Municipality).where(Municipality.id.in_(mine)).order_by(Municipality.name))
    )
    region_ids = {m.region_id for m in municipalities if m.region_id is not None}
    regions = (
        list(db.session.scalars(select(Region).where(Region.id.in_(region_ids)).order_by(Region.name)))
        if region_ids
        else []
    )
    by_id = {r.id: r for r in regions}
    found = []
    for region in regions:
        members = [m.id for m in municipalities if m.region_id == region.id]
        total = db.session.scalar(select(func.count(Municipality.id)).where(Municipality.region_id == region.id))
        found.append(Scope(f"r{region.id}", region.name, tuple(members), region, partial=len(members) < (total or 0)))
    for m in municipalities:
        found.append(Scope(f"m{m.id}", m.name, (m.id,), by_id.get(m.region_id)))  # type: ignore[arg-type]
    return found


def municipality_names(ids: tuple[int, ...]) -> dict[int, str]:
    """Names of these municipalities by id."""
    rows = db.session.execute(select(Municipality.id, Municipality.name).where(Municipality.id.in_(ids)))
    return dict(rows.all())


# -- the facts -----------------------------------------------------------------------------------


def _visible_pips(ids: tuple[int, ...], ref: date):  # noqa: ANN202 - a Select
    """PIP versions of these municipalities' files as they stood on ``ref``."""
    return (
        select(Pip.newcomer_id, Pip.version, Pip.leerroute, Pip.pip_on)
        .join(Newcomer, Newcomer.id == Pip.newcomer_id)
        .where(Newcomer.municipality_id.in_(ids), Pip.pip_on <= ref, Pip.created_at < end_of(ref))
    )


def cohort_people(ids: tuple[int, ...], ref: date) -> list[Person]:
    """Everyone with a PIP on ``ref`` in these municipalities, with what the KPIs need (two queries)."""
    if not ids:
        return []
    visible = _visible_pips(ids, ref).subquery()
    pips = (
        select(
            visible.c.newcomer_id,
            func.min(visible.c.pip_on).label("first_on"),
            func.max(visible.c.version).label("version"),
        )
        .group_by(visible.c.newcomer_id)
        .subquery()
    )
    extensions = (
        select(TermExtension.newcomer_id, func.sum(TermExtension.days).label("days"))
        .join(Newcomer, Newcomer.id == TermExtension.newcomer_id)
        .where(Newcomer.municipality_id.in_(ids), TermExtension.decided_on <= ref)
        .group_by(TermExtension.newcomer_id)
        .subquery()
    )
    newest = aliased(Pip)
    facts = db.session.execute(
        select(
            Newcomer.id,
            Newcomer.municipality_id,
            Newcomer.doelgroep,
            Newcomer.obligation_met_on,
            Newcomer.ended_on,
            Newcomer.end_reason,
            pips.c.first_on,
            newest.leerroute,
            extensions.c.days,
            ReliefTrajectory.six_months_on,
            ReliefTrajectory.extended,
            ReliefTrajectory.extension_decided_on,
        )
        .join(pips, pips.c.newcomer_id == Newcomer.id)
        .join(newest, and_(newest.newcomer_id == Newcomer.id, newest.version == pips.c.version))
        .outerjoin(extensions, extensions.c.newcomer_id == Newcomer.id)
        .outerjoin(
            ReliefTrajectory,
            and_(ReliefTrajectory.newcomer_id == Newcomer.id, ReliefTrajectory.started_on <= ref),
        )
        .where(Newcomer.municipality_id.in_(ids))
    ).all()
    if not facts:
        return []

    activities: dict[int, list[Activity]] = defaultdict(list)
    for newcomer_id, kind, started_on, ended_on in db.session.execute(
        select(
            ParticipationActivity.newcomer_id,
            ParticipationActivity.kind,
            ParticipationActivity.started_on,
            ParticipationActivity.ended_on,
        ).where(
            ParticipationActivity.newcomer_id.in_(select(pips.c.newcomer_id)),
            ParticipationActivity.started_on <= ref,
        )
    ):
        activities[newcomer_id].append(Activity(kind, started_on, ended_on if ended_on and ended_on <= ref else None))

    people = []
    for (
        newcomer_id,
        municipality_id,
        doelgroep,
        met_on,
        ended_on,
        end_reason,
        first_on,
        leerroute,
        extension_days,
        six_months_on,
        extended,
        decided_on,
    ) in facts:
        ended = ended_on is not None and ended_on <= ref
        relief_extended: bool | None = False
        if extended:
            relief_extended = None if decided_on is None else decided_on <= ref
        people.append(
            Person(
                municipality_id=municipality_id,
                doelgroep=doelgroep,
                first_pip_on=first_on,
                leerroute=leerroute,
                extension_days=int(extension_days or 0),
                obligation_met_on=met_on if met_on is not None and met_on <= ref else None,
                ended_on=ended_on if ended else None,
                end_reason=end_reason if ended else None,
                relief_six_months_on=six_months_on,
                relief_extended=relief_extended,
                activities=tuple(activities.get(newcomer_id, ())),
            )
        )
    return people


def timelines(ids: tuple[int, ...], ref: date) -> list[Timeline]:
    """Everyone notified by DUO on or before ``ref`` here, with their way to the PIP (one query)."""
    if not ids:
        return []
    notified = (
        Newcomer.municipality_id.in_(ids),
        Newcomer.duo_notified_on.is_not(None),
        Newcomer.duo_notified_on <= ref,
    )
    until = end_of(ref)
    first_pip = (
        select(Pip.newcomer_id, func.min(Pip.pip_on).label("first_on"))
        .join(Newcomer, Newcomer.id == Pip.newcomer_id)
        .where(*notified, Pip.pip_on <= ref, Pip.created_at < until)
        .group_by(Pip.newcomer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Newcomer.municipality_id,
            Newcomer.duo_notified_on,
            Newcomer.settled_on,
            Filling.started_at,
            Filling.submitted_at,
            first_pip.c.first_on,
        )
        .outerjoin(
            Filling,
            and_(Filling.newcomer_id == Newcomer.id, Filling.workflow_id == INTAKE, Filling.occasion == ""),
        )
        .outerjoin(first_pip, first_pip.c.newcomer_id == Newcomer.id)
        .where(*notified)
    )
    found = []
    for municipality_id, notified_on, settled_on, started_at, submitted_at, first_on in rows:
        started = local_date(started_at) if started_at is not None and started_at < until else None
        submitted = (
            local_date(submitted_at)
            if started is not None and submitted_at is not None and submitted_at < until
            else None
        )
        found.append(
            Timeline(
                municipality_id=municipality_id,
                duo_notified_on=notified_on,
                settled_on=settled_on if settled_on is not None and settled_on <= ref else None,
                intake_started_on=started,
                intake_submitted_on=submitted,
                first_pip_on=first_on,
            )
        )
    return found
