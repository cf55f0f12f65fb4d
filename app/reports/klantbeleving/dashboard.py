"""The dashboard's figures, put together from the aggregates of :mod:`.queries`: what the page shows.

Everything that decides what may be shown lives here or in :mod:`.suppression`; the template only
renders. A hidden figure is ``None`` with ``hidden=True``: the template says "fewer than N".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import queries
from .queries import BY_QUARTER, Moments, Selection, Settings
from .stats import Estimate, estimate, rounded
from .suppression import TOTAL, cell, column, one_way_lines, row, suppress, two_way_lines

MARKS = tuple(range(1, 11))
COMMENTS_PER_PAGE = 20
TREND_SERIES = 6
"""At most this many segments drawn in the trend chart besides the total (the table has all)."""


@dataclass
class Figure:
    """One cell of the page: its estimate, or hidden."""

    hidden: bool
    n: int | None = None
    mean: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    below_target: bool = False

    @classmethod
    def of(cls, moments: Moments, hidden: bool, target: Decimal) -> Figure:
        """The figure of ``moments``, or a hidden one."""
        if hidden:
            return cls(hidden=True)
        e: Estimate = estimate(moments.n, moments.total, moments.squares)
        mean = rounded(e.exact)
        return cls(
            hidden=False,
            n=moments.n,
            mean=mean,
            low=rounded(e.low),
            high=rounded(e.high),
            below_target=mean is not None and mean < target,
        )


@dataclass
class Segment:
    """A row of the breakdown: its figure over the period, by quarter, its distribution and rate."""

    key: object
    label: str
    figure: Figure
    quarters: list[Figure]
    distribution: list[int] | None
    rate: float | None
    flagged: list[tuple[str, str]] = field(default_factory=list)
    """Pairs of consecutive quarters both below target."""


@dataclass
class Dashboard:
    """What the page shows for one selection."""

    settings: Settings
    selection: Selection
    quarters: list[str]
    total: Figure | None = None
    total_quarters: list[Figure] = field(default_factory=list)
    total_distribution: list[int] | None = None
    total_rate: float | None = None
    total_flagged: list[tuple[str, str]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    comments_total: int = 0
    comments: list[queries.Comment] = field(default_factory=list)
    comment_labels: dict[object, str] = field(default_factory=dict)
    page: int = 1

    @property
    def empty(self) -> bool:
        """No responses at all in the selection."""
        return self.total is None

    @property
    def all_hidden(self) -> bool:
        """There are responses, but too few to show anything."""
        return self.total is not None and self.total.hidden

    @property
    def hidden_segments(self) -> int:
        return sum(1 for s in self.segments if s.figure.hidden)

    @property
    def pages(self) -> int:
        return max(1, -(-self.comments_total // COMMENTS_PER_PAGE))

    @property
    def page_info(self) -> PageInfo:
        """The comments' paging, as the pagination macro reads it."""
        return PageInfo(self.page, self.pages)


@dataclass(frozen=True)
class PageInfo:
    """Page ``page`` of ``pages``."""

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return min(self.page - 1, self.pages)

    @property
    def next_num(self) -> int:
        return self.page + 1


def flagged_pairs(quarters: list[str], figures: list[Figure]) -> list[tuple[str, str]]:
    """Consecutive quarters in which the shown mean is below target in both (hidden ones never count)."""
    return [
        (quarters[i], quarters[i + 1])
        for i in range(len(quarters) - 1)
        if not figures[i].hidden
        and not figures[i + 1].hidden
        and figures[i].below_target
        and figures[i + 1].below_target
    ]


def build(selection: Selection, settings: Settings, labels, page: int = 1) -> Dashboard:  # noqa: ANN001 - labeller
    """The dashboard of ``selection``: a fixed number of queries, whatever the number of segments.

    ``labels(by, keys)`` names the segments (partner names are fetched once, in one query).
    """
    quarters = queries.quarters_between(selection.start, selection.end)
    board = Dashboard(settings=settings, selection=selection, quarters=quarters, page=page)
    moments = queries.moments_by_quarter(selection)
    if not moments:
        return board
    target, min_cell = settings.target, settings.min_cell
    by_quarter = selection.by == BY_QUARTER
    keys = sorted({segment for segment, _quarter in moments}, key=lambda k: (k is None, str(k)))
    per_segment = {k: Moments() for k in keys}
    per_quarter = {q: Moments() for q in quarters}
    everything = Moments()
    for (segment, quarter), m in moments.items():
        per_segment[segment] += m
        per_quarter[quarter] = per_quarter.get(quarter, Moments()) + m
        everything += m
    if by_quarter:
        counts = {row(k): per_segment[k].n for k in keys} | {TOTAL: everything.n}
        lines = one_way_lines(keys)
    else:
        counts = {cell(s, q): m.n for (s, q), m in moments.items()}
        counts |= {row(k): per_segment[k].n for k in keys}
        counts |= {column(q): per_quarter[q].n for q in quarters}
        counts[TOTAL] = everything.n
        lines = two_way_lines(keys, quarters)
    hidden = suppress(counts, lines, min_cell)

    distributions = queries.distribution(selection)
    sent = queries.invitations(selection)
    names = labels(selection.by, keys)

    board.total = Figure.of(everything, TOTAL in hidden, target)
    if not board.total.hidden:
        combined = {mark: sum(d.get(mark, 0) for d in distributions.values()) for mark in MARKS}
        board.total_distribution = [combined[mark] for mark in MARKS]
        board.total_rate = sum(sent.values(), queries.Invited()).rate
    if by_quarter:
        board.total_quarters = [
            Figure.of(per_segment.get(q, Moments()), row(q) in hidden or TOTAL in hidden, target)
            if q in per_segment
            else Figure(hidden=False, n=0)
            for q in quarters
        ]
    else:
        board.total_quarters = [Figure.of(per_quarter[q], column(q) in hidden, target) for q in quarters]
    board.total_flagged = flagged_pairs(quarters, board.total_quarters)

    for k in keys:
        figure = Figure.of(per_segment[k], row(k) in hidden, target)
        if by_quarter:
            by_q = [figure if q == k else Figure(hidden=False, n=0) for q in quarters]
        else:
            by_q = [Figure.of(moments.get((k, q), Moments()), cell(k, q) in hidden, target) for q in quarters]
        segment = Segment(
            key=k,
            label=names.get(k, str(k)),
            figure=figure,
            quarters=by_q,
            distribution=None if figure.hidden else [distributions.get(k, {}).get(mark, 0) for mark in MARKS],
            rate=None if figure.hidden else sent.get(k, queries.Invited()).rate,
            flagged=[] if by_quarter else flagged_pairs(quarters, by_q),
        )
        board.segments.append(segment)
    if not by_quarter:
        board.segments.sort(key=lambda s: (s.key is None, s.label.casefold()))

    visible = [s.key for s in board.segments if not s.figure.hidden]
    board.comments_total, board.comments = queries.comments(selection, visible, page, COMMENTS_PER_PAGE)
    board.comment_labels = {s.key: s.label for s in board.segments}
    return board


def default_period(today: date) -> tuple[date, date]:
    """The last four full quarters before today's."""
    first = queries.quarter_start(today)
    return date(first.year - 1, first.month, 1), date.fromordinal(first.toordinal() - 1)
