"""The klantbeleving dashboard's aggregate queries: a fixed handful per page, whatever the data.

Every query is limited to the municipalities asked for, explicitly (on top of the request's
tenancy), and returns counts, sums and sums of squares only: the means, confidence intervals and
suppression are computed from them in Python (:mod:`.stats`, :mod:`.suppression`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal, select

from ...extensions import db
from ...models import Municipality, Newcomer
from ...models.partner import DEFAULT_KLANTBELEVING_TARGET, DEFAULT_MIN_CELL, Partner, Region
from ...models.survey import SKIPPED, SurveyInvitation, SurveyResponse
from ...models.types import AMSTERDAM

BY_PARTNER = "partner"
BY_MUNICIPALITY = "municipality"
BY_LEERROUTE = "leerroute"
BY_LANGUAGE = "language"
BY_DOELGROEP = "doelgroep"
BY_QUARTER = "quarter"
DIMENSIONS = (BY_PARTNER, BY_MUNICIPALITY, BY_LEERROUTE, BY_LANGUAGE, BY_DOELGROEP, BY_QUARTER)

_RESPONSE_COLUMN = {
    BY_PARTNER: SurveyResponse.partner_id,
    BY_MUNICIPALITY: SurveyResponse.municipality_id,
    BY_LEERROUTE: SurveyResponse.leerroute,
    BY_LANGUAGE: SurveyResponse.language,
    BY_DOELGROEP: SurveyResponse.doelgroep,
    BY_QUARTER: SurveyResponse.quarter,
}
_INVITATION_COLUMN = {
    BY_PARTNER: SurveyInvitation.partner_id,
    BY_MUNICIPALITY: SurveyInvitation.municipality_id,
    BY_LEERROUTE: Newcomer.leerroute,
    BY_LANGUAGE: Newcomer.language,
    BY_DOELGROEP: Newcomer.doelgroep,
}
"""The invitation carries partner and municipality; route, language and doelgroep are the person's now."""


@dataclass(frozen=True)
class Selection:
    """What the page asks for: whose responses, which period, which partner kind, broken down by what."""

    municipality_ids: tuple[int, ...]
    start: date
    end: date
    by: str = BY_PARTNER
    kind: str | None = None


@dataclass(frozen=True)
class Settings:
    """The policy settings that apply: the strictest smallest cell, and the target."""

    target: Decimal
    min_cell: int
    targets_differ: bool
    municipalities: dict[int, str]
    """Id to name of the municipalities the staff member may choose."""


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of the marks of one cell."""

    n: int = 0
    total: int = 0
    squares: int = 0

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares)


def quarter_of(day: date) -> str:
    """``2026-Q4``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(day: date) -> date:
    """The first day of the quarter ``day`` is in."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: date) -> date:
    """The last day of the quarter ``day`` is in."""
    first = quarter_start(day)
    after = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return after - timedelta(days=1)


def quarters_between(start: date, end: date) -> list[str]:
    """Every quarter the period touches, in order."""
    quarters, day = [], quarter_start(start)
    while day <= end:
        quarters.append(quarter_of(day))
        day = date(day.year + (day.month + 2) // 12, (day.month + 2) % 12 + 1, 1)
    return quarters


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From midnight of ``start`` in Amsterdam to midnight after ``end``, as UTC moments."""
    from datetime import UTC

    low = datetime.combine(start, time(), AMSTERDAM).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), AMSTERDAM).astimezone(UTC)
    return low, high


def settings(municipality_ids: tuple[int, ...]) -> Settings:
    """The settings of the regions of these municipalities (one query); defaults for one without a region."""
    rows = db.session.execute(
        select(Municipality.id, Municipality.name, Region.klantbeleving_target, Region.min_cell)
        .outerjoin(Region, Region.id == Municipality.region_id)
        .where(Municipality.id.in_(municipality_ids))
        .order_by(Municipality.name, Municipality.id)
    ).all()
    targets = {
        Decimal(str(r.klantbeleving_target)) if r.klantbeleving_target is not None else DEFAULT_KLANTBELEVING_TARGET
        for r in rows
    }
    cells = [r.min_cell if r.min_cell is not None else DEFAULT_MIN_CELL for r in rows]
    return Settings(
        target=max(targets) if targets else DEFAULT_KLANTBELEVING_TARGET,
        min_cell=max(cells) if cells else DEFAULT_MIN_CELL,
        targets_differ=len(targets) > 1,
        municipalities={r.id: r.name for r in rows},
    )


def _responses(selection: Selection):  # noqa: ANN202 - a list of SQL criteria
    where = [
        SurveyResponse.municipality_id.in_(selection.municipality_ids),
        SurveyResponse.answered_on >= selection.start,
        SurveyResponse.answered_on <= selection.end,
    ]
    if selection.kind:
        where.append(SurveyResponse.partner_kind == selection.kind)
    return where


def moments_by_quarter(selection: Selection) -> dict[tuple[object, str], Moments]:
    """(segment, quarter) -> count, sum and sum of squares of the marks: one GROUP BY."""
    segment = _RESPONSE_COLUMN[selection.by]
    mark = SurveyResponse.mark
    rows = db.session.execute(
        select(
            segment.label("segment"),
            SurveyResponse.quarter,
            func.count(),
            func.sum(mark),
            func.sum(mark * mark),
        )
        .where(*_responses(selection))
        .group_by(segment, SurveyResponse.quarter)
    ).all()
    return {(r[0], r[1]): Moments(int(r[2]), int(r[3] or 0), int(r[4] or 0)) for r in rows}


def distribution(selection: Selection) -> dict[object, dict[int, int]]:
    """Segment -> mark -> count: one GROUP BY."""
    segment = _RESPONSE_COLUMN[selection.by]
    rows = db.session.execute(
        select(segment.label("segment"), SurveyResponse.mark, func.count())
        .where(*_responses(selection))
        .group_by(segment, SurveyResponse.mark)
    ).all()
    result: dict[object, dict[int, int]] = {}
    for segment_value, mark, count in rows:
        result.setdefault(segment_value, {})[int(mark)] = int(count)
    return result


@dataclass(frozen=True)
class Invited:
    """Invitations sent (not skipped) in the period, and how many of those have a response."""

    sent: int = 0
    answered: int = 0

    def __add__(self, other: Invited) -> Invited:
        return Invited(self.sent + other.sent, self.answered + other.answered)

    @property
    def rate(self) -> float | None:
        """The share of these invitations answered (0 to 1); None without any sent."""
        return self.answered / self.sent if self.sent else None


def invitations(selection: Selection) -> dict[object, Invited]:
    """Segment -> invitations sent (not skipped) in the period and how many of them were answered: one GROUP BY.

    Answered means a response linked to that invitation, whenever it came: responses are not
    counted here, so a response whose invitation was erased with its file, or was made before
    the period, never lifts the rate above 100 %. By quarter, the quarter (in Amsterdam) the
    invitation was made in, from bounds computed here.
    """
    low, high = _utc_bounds(selection.start, selection.end)
    if selection.by == BY_QUARTER:
        whens = []
        for quarter in quarters_between(selection.start, selection.end):
            year, number = int(quarter[:4]), int(quarter[-1])
            first = date(year, 3 * number - 2, 1)
            after = date(year + (number == 4), (3 * number) % 12 + 1, 1)
            q_low, q_high = _utc_bounds(first, after - timedelta(days=1))
            whens.append(((SurveyInvitation.created_at >= q_low) & (SurveyInvitation.created_at < q_high), quarter))
        segment = case(*whens, else_=literal("")) if whens else literal("")
    else:
        segment = _INVITATION_COLUMN[selection.by]
    query = (
        select(segment.label("segment"), func.count(SurveyInvitation.id), func.count(SurveyResponse.id))
        .select_from(SurveyInvitation)
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(
            SurveyInvitation.municipality_id.in_(selection.municipality_ids),
            SurveyInvitation.status != SKIPPED,
            SurveyInvitation.created_at >= low,
            SurveyInvitation.created_at < high,
        )
    )
    if selection.by in (BY_LEERROUTE, BY_LANGUAGE, BY_DOELGROEP):
        query = query.join(Newcomer, Newcomer.id == SurveyInvitation.newcomer_id)
    if selection.kind:
        query = query.where(SurveyInvitation.partner_kind == selection.kind)
    rows = db.session.execute(query.group_by(segment)).all()
    return {r[0]: Invited(int(r[1]), int(r[2])) for r in rows}


def partner_names(ids: set[int]) -> dict[int, str]:
    """Partner id -> name, for the partners in a breakdown (one query; none when there are none)."""
    if not ids:
        return {}
    rows = db.session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all()
    return {row[0]: row[1] for row in rows}


@dataclass(frozen=True)
class Comment:
    """A comment as the page shows it: the text, its language, its segment and month; nothing of the person."""

    text: str
    language: str | None
    segment: object
    month: date


def comments(selection: Selection, segments: list[object], page: int, per_page: int) -> tuple[int, list[Comment]]:
    """The comments of these segments, newest first, one page of them, and how many there are (two queries)."""
    if not segments:
        return 0, []
    column = _RESPONSE_COLUMN[selection.by]
    values = [s for s in segments if s is not None]
    in_segments = column.in_(values) if values else literal(False)
    if None in segments:
        in_segments = in_segments | column.is_(None)
    where = [*_responses(selection), in_segments, SurveyResponse.comment.is_not(None), SurveyResponse.comment != ""]
    total = db.session.execute(select(func.count()).select_from(SurveyResponse).where(*where)).scalar_one()
    rows = db.session.execute(
        select(
            SurveyResponse.comment, SurveyResponse.comment_language, column.label("segment"), SurveyResponse.answered_on
        )
        .where(*where)
        .order_by(SurveyResponse.answered_on.desc(), SurveyResponse.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return int(total), [Comment(r[0], r[1], r[2], r[3].replace(day=1)) for r in rows]
