"""The voortgangsrapportage's aggregate queries: every cell of seed 003's tables (docs/reports.md).

Every count cell is defined once, as a list of *parts*: a SELECT of ``(municipality_id, id)`` for
one kind of item (a file, a housed household member, a complaint), distinct by construction. The
counts of all cells are one UNION ALL query grouped by municipality (:func:`counts`); the files
behind a cell are the same parts without the grouping (:func:`cell_items`), so a count and its
list never disagree. The region is the sum of the municipalities, added up in Python.

Everything is judged as it stood on the reference date (the last day of the period):
- the PIP in force is the highest version dated (``pip_on``) on or before the reference date and
  recorded (``created_at``) before the end of that day; a version recorded later never counts,
  whatever date it carries;
- a file "ended" when its ``ended_on`` lies in the period; an end after it does not count.

The PIP facts several rows need (the first PIP's date, the route and social guidance of the version
in force) are one CTE per statement (:attr:`Scope.pips`), computed once for all the rows using it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from flask_babel import lazy_gettext as _l
from sqlalchemy import CTE, Select, and_, case, exists, func, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Newcomer
from ...models.appointment import RouteProgress
from ...models.newcomer import GEZINSMIGRANT, STATUSHOUDER
from ...models.partner import Partner, partner_municipalities
from ...models.pip import Pip
from ...models.records import (
    ACTIVITY_KINDS,
    FILED_WITH_MUNICIPALITY,
    OBLIGATION_ENDED,
    PAID_WORK,
    VOLUNTEER_WORK,
    WORK_PLACEMENT,
    WORK_PLACEMENT_ORIENTATION,
    Complaint,
    HouseholdMember,
    ParticipationActivity,
    ReliefTrajectory,
)
from ...models.survey import SurveyResponse
from ...models.types import AMSTERDAM

LAW_START = date(2022, 1, 1)
"""The Wet inburgering 2021 took effect: the default start of a report."""

# Kinds of item behind a cell.
FILE = "file"
MEMBER = "member"
COMPLAINT = "complaint"
ITEM_KINDS = (FILE, MEMBER, COMPLAINT)


@dataclass(frozen=True)
class Period:
    """A report's period ``[start, end)`` and its reference date, the last day of the period."""

    start: date
    end: date

    @property
    def reference_date(self) -> date:
        """The last day of the period: every state is judged as it stood at its end."""
        return self.end - timedelta(days=1)

    @property
    def reference_end(self) -> datetime:
        """The end of the reference date in Europe/Amsterdam, as a UTC timestamp."""
        return datetime.combine(self.end, time(0), tzinfo=AMSTERDAM).astimezone(UTC)


class Scope:
    """A period as one statement sees it: what several rows share is built here once, so the
    statement holds it once (a CTE referenced by every row that needs it)."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self.start, self.end = period.start, period.end
        self.reference_date, self.reference_end = period.reference_date, period.reference_end

    @cached_property
    def pips(self) -> CTE:
        """Per person with a PIP version recorded by the end of the reference date: ``first_on``, the
        earliest ``pip_on`` of those versions, and the ``version`` in force on the reference date (the
        highest dated on or before it) with its ``leerroute`` and ``social_guidance``; the last three
        are NULL when no recorded version is dated by then."""
        recorded = (
            select(
                Pip.newcomer_id.label("newcomer_id"),
                func.min(Pip.pip_on).label("first_on"),
                func.max(case((Pip.pip_on <= self.reference_date, Pip.version))).label("version"),
            )
            .where(Pip.created_at < self.reference_end)
            .group_by(Pip.newcomer_id)
            .subquery("recorded")
        )
        return (
            select(
                recorded.c.newcomer_id,
                recorded.c.first_on,
                recorded.c.version,
                Pip.leerroute.label("leerroute"),
                Pip.social_guidance.label("social_guidance"),
            )
            .outerjoin(Pip, and_(Pip.newcomer_id == recorded.c.newcomer_id, Pip.version == recorded.c.version))
            .cte("pip_facts")
        )


Part = tuple[str, Select]
"""An item kind and a SELECT of ``(municipality_id, id)`` for it."""


@dataclass(frozen=True)
class Row:
    """One row of a table: its stable id, its label, and how its parts are selected."""

    id: str
    label: object
    parts: Callable[[Scope], list[Part]]


@dataclass(frozen=True)
class Table:
    """One table of seed 003: a stable id, a title and its rows."""

    id: str
    title: object
    rows: tuple[Row, ...]


# -- building blocks ------------------------------------------------------------------------------


def _in_period(column, period: Period | Scope):  # noqa: ANN001, ANN202 - a column, a clause
    return and_(column >= period.start, column < period.end)


def _base(period: Scope, doelgroep: str | None = None):  # noqa: ANN202 - a clause
    """The obliged: a DUO notification of the obligation dated in the period (of one doelgroep)."""
    clause = _in_period(Newcomer.duo_notified_on, period)
    return and_(clause, Newcomer.doelgroep == doelgroep) if doelgroep else clause


def _files(*where) -> Select:  # noqa: ANN002 - clauses
    return select(Newcomer.municipality_id, Newcomer.id).where(*where)


def _with_pips(scope: Scope, *where) -> Select:  # noqa: ANN002 - clauses
    """Files joined to their PIP facts (:attr:`Scope.pips`; files without a recorded PIP drop out)."""
    pips = scope.pips
    return select(Newcomer.municipality_id, Newcomer.id).join(pips, pips.c.newcomer_id == Newcomer.id).where(*where)


def _with_pip_in_force(scope: Scope, *where) -> Select:  # noqa: ANN002 - clauses
    """Files with a PIP in force on the reference date (files without one drop out)."""
    return _with_pips(scope, scope.pips.c.version.is_not(None), *where)


def _ended_in(period: Scope):  # noqa: ANN202 - a clause
    return _in_period(Newcomer.ended_on, period)


def _not_lapsed(period: Scope):  # noqa: ANN202 - a clause
    """The PIP did not lapse by the reference date: no end then, or an end that is no end of the
    obligation (moving away: the file goes to the new municipality, the PIP stays in force)."""
    return or_(
        Newcomer.ended_on.is_(None),
        Newcomer.ended_on >= period.end,
        Newcomer.end_reason.is_(None),
        Newcomer.end_reason.not_in(sorted(OBLIGATION_ENDED)),
    )


def _route_progress(period: Scope, *where) -> Select:  # noqa: ANN002 - clauses
    return (
        select(Newcomer.municipality_id, Newcomer.id)
        .join(RouteProgress, RouteProgress.newcomer_id == Newcomer.id)
        .where(*where)
    )


def _completed(route: str, period: Scope):  # noqa: ANN202 - a clause
    """The route completed in the period (the Z-route also by DUO's datumAfrondingZroute)."""
    done = _in_period(RouteProgress.route_completed_on, period)
    return or_(done, _in_period(RouteProgress.z_completed_on, period)) if route == "Z" else done


# -- the rows -------------------------------------------------------------------------------------


def _housed(period: Scope) -> list[Part]:
    files = _files(Newcomer.doelgroep == STATUSHOUDER, _in_period(Newcomer.settled_on, period))
    holder = aliased(Newcomer)
    members = (
        select(HouseholdMember.municipality_id, HouseholdMember.id)
        .outerjoin(holder, holder.id == HouseholdMember.newcomer_id)
        .where(
            _in_period(HouseholdMember.housed_on, period), or_(holder.id.is_(None), holder.doelgroep == STATUSHOUDER)
        )
    )
    return [(FILE, files), (MEMBER, members)]


def _obliged(doelgroep: str) -> Callable[[Scope], list[Part]]:
    return lambda p: [(FILE, _files(_base(p, doelgroep)))]


def _pip_set(doelgroep: str) -> Callable[[Scope], list[Part]]:
    """The first PIP (of the versions recorded by the end of the reference date) is dated in the period."""
    return lambda p: [(FILE, _with_pips(p, _base(p, doelgroep), _in_period(p.pips.c.first_on, p)))]


def _ended(doelgroep: str) -> Callable[[Scope], list[Part]]:
    return lambda p: [(FILE, _files(_base(p, doelgroep), _ended_in(p)))]


def _route_started(route: str) -> Callable[[Scope], list[Part]]:
    def parts(p: Scope) -> list[Part]:
        query = _with_pip_in_force(p, _base(p, STATUSHOUDER), p.pips.c.leerroute == route)
        query = query.join(RouteProgress, RouteProgress.newcomer_id == Newcomer.id).where(
            _in_period(RouteProgress.route_started_on, p)
        )
        return [(FILE, query)]

    return parts


def _route_completed(doelgroep: str, route: str) -> Callable[[Scope], list[Part]]:
    def parts(p: Scope) -> list[Part]:
        query = _with_pip_in_force(p, _base(p, doelgroep), p.pips.c.leerroute == route)
        query = query.join(RouteProgress, RouteProgress.newcomer_id == Newcomer.id).where(_completed(route, p))
        return [(FILE, query)]

    return parts


def _route_set(route: str) -> Callable[[Scope], list[Part]]:
    def parts(p: Scope) -> list[Part]:
        query = _with_pip_in_force(
            p,
            _base(p, GEZINSMIGRANT),
            _in_period(p.pips.c.first_on, p),
            p.pips.c.leerroute == route,
            _not_lapsed(p),
        )
        return [(FILE, query)]

    return parts


def _map_done(p: Scope) -> list[Part]:
    return [(FILE, _route_progress(p, _in_period(RouteProgress.map_final_interview_on, p)))]


def _map_exempt(p: Scope) -> list[Part]:
    return [(FILE, _route_progress(p, RouteProgress.map_exempt.is_(True), _in_period(RouteProgress.map_exempt_on, p)))]


def _pvt_done(p: Scope) -> list[Part]:
    return [(FILE, _route_progress(p, _in_period(RouteProgress.pvt_signed_on, p)))]


def _relief(extended: bool) -> Callable[[Scope], list[Part]]:
    def parts(p: Scope) -> list[Part]:
        where = [_base(p, STATUSHOUDER), Newcomer.nareiziger.is_(False), _in_period(ReliefTrajectory.started_on, p)]
        if extended:
            where += [ReliefTrajectory.extended.is_(True), _in_period(ReliefTrajectory.extension_decided_on, p)]
        query = select(Newcomer.municipality_id, Newcomer.id).join(
            ReliefTrajectory, ReliefTrajectory.newcomer_id == Newcomer.id
        )
        return [(FILE, query.where(*where))]

    return parts


def _work(kind: str) -> Callable[[Scope], list[Part]]:
    def parts(p: Scope) -> list[Part]:
        activity = exists().where(
            ParticipationActivity.newcomer_id == Newcomer.id,
            ParticipationActivity.kind == kind,
            _in_period(ParticipationActivity.started_on, p),
        )
        return [(FILE, _files(_base(p), activity))]

    return parts


def _social_guidance(p: Scope) -> list[Part]:
    return [(FILE, _with_pip_in_force(p, _base(p, STATUSHOUDER), p.pips.c.social_guidance.is_(True)))]


def _complaints(p: Scope) -> list[Part]:
    query = select(Complaint.municipality_id, Complaint.id).where(
        Complaint.official.is_(True),
        Complaint.about_inburgering.is_(True),
        Complaint.filed_with == FILED_WITH_MUNICIPALITY,
        _in_period(Complaint.received_on, p),
    )
    return [(COMPLAINT, query)]


ROUTE_LABELS = {"Z": "Z", "B": "B1", "O": "O"}
"""How the tables name the routes (DUO's code B is the B1-route)."""

TABLES: tuple[Table, ...] = (
    Table(
        "statushouders",
        _l("Statushouders"),
        (
            Row("housed", _l("Number housed"), _housed),
            Row("obliged", _l("Number obliged to integrate"), _obliged(STATUSHOUDER)),
            Row("pip_set", _l("PIP decisions set"), _pip_set(STATUSHOUDER)),
            Row("ended", _l("Ended (early)"), _ended(STATUSHOUDER)),
        ),
    ),
    Table(
        "gezinsmigranten",
        _l("Family migrants and other migrants"),
        (
            Row("obliged", _l("Number obliged to integrate"), _obliged(GEZINSMIGRANT)),
            Row("pip_set", _l("PIP decisions set"), _pip_set(GEZINSMIGRANT)),
            Row("ended", _l("Ended (early)"), _ended(GEZINSMIGRANT)),
        ),
    ),
    Table(
        "leerroute_statushouders",
        _l("Learning route, statushouders"),
        (
            Row("z_started", _l("Z-route started"), _route_started("Z")),
            Row("z_completed", _l("Z-route completed"), _route_completed(STATUSHOUDER, "Z")),
            Row("b1_started", _l("B1-route started"), _route_started("B")),
            Row("b1_completed", _l("B1-route completed"), _route_completed(STATUSHOUDER, "B")),
            Row("o_started", _l("O-route started"), _route_started("O")),
            Row("o_completed", _l("O-route completed"), _route_completed(STATUSHOUDER, "O")),
        ),
    ),
    Table(
        "leerroute_gezinsmigranten",
        _l("Learning route, family migrants"),
        (
            Row("z_set", _l("Z-route set"), _route_set("Z")),
            Row("z_completed", _l("Z-route completed"), _route_completed(GEZINSMIGRANT, "Z")),
            Row("b1_set", _l("B1-route set"), _route_set("B")),
            Row("b1_completed", _l("B1-route completed"), _route_completed(GEZINSMIGRANT, "B")),
            Row("o_set", _l("O-route set"), _route_set("O")),
            Row("o_completed", _l("O-route completed"), _route_completed(GEZINSMIGRANT, "O")),
        ),
    ),
    Table(
        "map",
        _l("MAP, statushouders and family migrants"),
        (
            Row("completed", _l("Completed"), _map_done),
            Row("exempted", _l("Exemptions"), _map_exempt),
        ),
    ),
    Table("pvt", _l("PVT, statushouders and family migrants"), (Row("completed", _l("Completed"), _pvt_done),)),
    Table(
        "financieel_ontzorgen",
        _l("Financial relief (financieel ontzorgen)"),
        (
            Row("trajectories", _l("Number of trajectories"), _relief(extended=False)),
            Row("extended", _l("Extended after six months"), _relief(extended=True)),
        ),
    ),
    Table(
        "werk",
        _l("Work"),
        (
            Row(WORK_PLACEMENT_ORIENTATION, _l("Orientation on a work placement"), _work(WORK_PLACEMENT_ORIENTATION)),
            Row(WORK_PLACEMENT, _l("Work placement"), _work(WORK_PLACEMENT)),
            Row(VOLUNTEER_WORK, _l("Volunteer work"), _work(VOLUNTEER_WORK)),
            Row(PAID_WORK, _l("Paid work (full-time or part-time)"), _work(PAID_WORK)),
        ),
    ),
    Table(
        "maatschappelijke_begeleiding",
        _l("Social guidance, statushouders"),
        (Row("offered", _l("Offered social guidance"), _social_guidance),),
    ),
    Table(
        "klachten",
        _l("Complaints"),
        (Row("official", _l("Official complaints about inburgering filed with the municipality"), _complaints),),
    ),
)
KLANTBELEVING = "klantbeleving"
"""The last table: the mean mark per partner (not a count: :func:`marks`)."""

assert set(ACTIVITY_KINDS) == {r.id for r in TABLES[7].rows}  # noqa: S101 - every activity kind has its row
_KEY = re.compile(r"^[a-z0-9_]+$")
assert all(_KEY.match(t.id) and all(_KEY.match(r.id) for r in t.rows) for t in TABLES)  # noqa: S101 - SQL literals


def find_row(table_id: str, row_id: str) -> Row | None:
    """The row of a table by their ids, or ``None``."""
    for table in TABLES:
        if table.id == table_id:
            return next((r for r in table.rows if r.id == row_id), None)
    return None


# -- the queries ----------------------------------------------------------------------------------


def _limited(kind: str, query: Select, municipality_ids: Iterable[int]) -> Select:
    """The part limited to these municipalities (besides the request's tenancy)."""
    column = {FILE: Newcomer, MEMBER: HouseholdMember, COMPLAINT: Complaint}[kind].municipality_id
    return query.where(column.in_(sorted(municipality_ids)))


def counts(period: Period, municipality_ids: Iterable[int]) -> dict[tuple[str, str], dict[int, int]]:
    """Every count cell: ``{(table_id, row_id): {municipality_id: count}}``, in one query."""
    ids = sorted(municipality_ids)
    scope = Scope(period)  # one for the whole statement: the PIP facts are one CTE, computed once
    selects = []
    for table in TABLES:
        for row in table.rows:
            for kind, query in row.parts(scope):
                inner = _limited(kind, query, ids).subquery()
                key = f"{table.id}.{row.id}"
                selects.append(
                    select(
                        literal_column(f"'{key}'").label("cell"),
                        inner.c.municipality_id,
                        func.count(func.distinct(inner.c.id)).label("n"),
                    ).group_by(inner.c.municipality_id)
                )
    result: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if ids:
        for cell, municipality_id, n in db.session.execute(union_all(*selects)):
            table_id, row_id = cell.split(".", 1)
            result[(table_id, row_id)][municipality_id] += n
    return result


def cell_items(
    row: Row, period: Period, municipality_ids: Iterable[int], *, offset: int = 0, limit: int | None = None
) -> list[tuple[str, int]]:
    """The items behind one cell, ``(kind, id)`` in a stable order: the same parts as the count."""
    ids = sorted(municipality_ids)
    if not ids:
        return []
    selects = []
    for kind, query in row.parts(Scope(period)):
        inner = _limited(kind, query, ids).subquery()
        selects.append(select(literal_column(f"'{kind}'").label("kind"), inner.c.id).distinct())
    union = union_all(*selects).subquery()
    query = select(union.c.kind, union.c.id).order_by(union.c.kind, union.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(kind, item_id) for kind, item_id in db.session.execute(query)]


@dataclass(frozen=True)
class Mark:
    """The marks given to one partner in one municipality: their sum and their number."""

    total: int
    n: int
    hidden: bool = False
    """Not shown: too few responses, or hidden as well so that such a cell cannot be worked out."""

    @property
    def mean(self) -> Decimal | None:
        """The mean mark rounded half up to one decimal; ``None`` without responses or when hidden."""
        return None if self.hidden else mean_mark(self.total, self.n)


def mean_mark(total: int, n: int) -> Decimal | None:
    """``total / n`` rounded half up to one decimal (7.25 -> 7.3), or ``None`` when ``n`` is 0."""
    if not n:
        return None
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def marks(period: Period, municipality_ids: Iterable[int]) -> tuple[list[Partner], dict[int, dict[int, Mark]]]:
    """The partners serving these municipalities or rated there, and their marks per municipality.

    Two queries: the marks (sum and count per partner and municipality, answered in the period)
    and the partners. A partner without responses is listed with no mark.
    """
    ids = sorted(municipality_ids)
    if not ids:
        return [], {}
    rows = db.session.execute(
        select(
            SurveyResponse.partner_id,
            SurveyResponse.municipality_id,
            func.sum(SurveyResponse.mark),
            func.count(SurveyResponse.id),
        )
        .where(
            SurveyResponse.partner_id.is_not(None),
            SurveyResponse.municipality_id.in_(ids),
            _in_period(SurveyResponse.answered_on, period),
        )
        .group_by(SurveyResponse.partner_id, SurveyResponse.municipality_id)
    ).all()
    by_partner: dict[int, dict[int, Mark]] = defaultdict(dict)
    for partner_id, municipality_id, total, n in rows:
        by_partner[partner_id][municipality_id] = Mark(int(total), int(n))
    serving = select(partner_municipalities.c.partner_id).where(partner_municipalities.c.municipality_id.in_(ids))
    partners = db.session.scalars(
        select(Partner)
        .where(or_(Partner.id.in_(serving), Partner.id.in_(sorted(by_partner) or [0])))
        .order_by(Partner.kind, Partner.name, Partner.id)
    ).all()
    return list(partners), by_partner
