"""The monitor's definitions: cohort KPIs against the policy targets, and lead times.

Pure functions over facts that :mod:`.queries` reads (dates, kinds, counts: never a name).
docs/monitor.md explains every definition in words; the tests check them cell by cell.

**Cohort.** A person belongs to the cohort of the quarter of their first PIP's date (pip_on, the
dagtekening). The integration term starts the day after it and lasts three years, plus the days of
every term extension DUO decided on or before the reference date.

**Known outcome.** A KPI's percentage is taken only over the people whose outcome is known on the
reference date (the term has ended, or the obligation was met, or the KPI's own moment has passed:
the six-month date of financieel ontzorgen, the end of the first year for contact with work). A
file that ended before its outcome was known (moved away, exempted, ...) leaves the count and is
shown apart. While fewer outcomes are known than the region's smallest cell, the cell says "not yet
measurable" and shows only the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l

from ...models.newcomer import PIP_TERM, STATUSHOUDER
from ...models.partner import DEFAULT_MIN_CELL
from ...models.records import END_OTHER_EDUCATION, PAID_WORK, WORK_PLACEMENT, WORK_PLACEMENT_ORIENTATION
from ..klantbeleving.suppression import Line, cell, column, suppress

TERM_YEARS = 3
WORK_CONTACT = frozenset({WORK_PLACEMENT_ORIENTATION, WORK_PLACEMENT, PAID_WORK})
"""Activities that are contact with work (volunteer work is participation, not work)."""

# What a KPI says of one person on the reference date.
MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"
"""Not yet known: the moment the KPI measures has not come."""
ENDED = "ended"
"""The file ended before the outcome was known: outside the percentage."""
UNCLEAR = "unclear"
"""The records cannot tell (an extension flag without the date it was decided)."""
OUTSIDE = "outside"
"""Not in this KPI's population (another route, no relief trajectory)."""


@dataclass(frozen=True)
class Activity:
    """A participation activity: its kind and dates."""

    kind: str
    started_on: date
    ended_on: date | None = None

    def ongoing_on(self, day: date) -> bool:
        """Whether it had started and not ended on ``day``."""
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)


@dataclass(frozen=True, slots=True)
class Person:
    """What the KPIs need of one person, as it stood on the reference date (no name, no id)."""

    municipality_id: int
    doelgroep: str
    first_pip_on: date
    leerroute: str
    """Of the PIP version in force on the reference date."""
    extension_days: int = 0
    obligation_met_on: date | None = None
    ended_on: date | None = None
    end_reason: str | None = None
    relief_six_months_on: date | None = None
    """None: no relief trajectory (started on or before the reference date)."""
    relief_extended: bool | None = False
    """True: extension decided on or before the reference date; None: flagged without a decision date."""
    activities: tuple[Activity, ...] = ()
    """Started on or before the reference date."""

    term_starts_on: date = field(init=False)
    """The day after the first PIP's date."""
    term_ends_on: date = field(init=False)
    """The last day of the term: three years from its start, plus the extensions."""
    first_year_ends_on: date = field(init=False)
    """The last day of the first year of the term."""
    cohort: str = field(init=False)
    """The quarter of the first PIP, e.g. ``2023-Q1``."""

    def __post_init__(self) -> None:
        # Computed once here, not as cached properties: a KPI table reads them ~10 times per person,
        # and functools.cached_property takes a lock on every read before Python 3.12.
        starts_on, ends_on, first_year_ends_on, cohort = _term_of(self.first_pip_on)
        object.__setattr__(self, "term_starts_on", starts_on)
        object.__setattr__(self, "term_ends_on", ends_on + timedelta(days=self.extension_days))
        object.__setattr__(self, "first_year_ends_on", first_year_ends_on)
        object.__setattr__(self, "cohort", cohort)


@lru_cache(maxsize=8192)
def _term_of(first_pip_on: date) -> tuple[date, date, date, str]:
    """The term's first day, its last day before extensions, the first year's last day and the cohort.

    Cached: a region's people share a few thousand PIP dates.
    """
    starts_on = first_pip_on + timedelta(days=1)
    return (
        starts_on,
        add_years(starts_on, TERM_YEARS) - timedelta(days=1),
        add_years(starts_on, 1) - timedelta(days=1),
        quarter_of(first_pip_on),
    )


def add_years(day: date, years: int) -> date:
    """``day`` so many years later; 29 February becomes 1 March in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def quarter_of(day: date) -> str:
    """``2023-Q1`` for any day of January to March 2023."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


# -- the KPIs ------------------------------------------------------------------------------------


def _ended_before(person: Person, moment: date, ref: date) -> bool:
    """Whether the file ended on or before the reference date and on or before ``moment``."""
    return person.ended_on is not None and person.ended_on <= ref and person.ended_on <= moment


def _met_by(person: Person, ref: date) -> date | None:
    return person.obligation_met_on if person.obligation_met_on and person.obligation_met_on <= ref else None


def obligation_outcome(person: Person, ref: date, route: str) -> str:
    """Met the obligation within the term (``route`` people only)."""
    if person.leerroute != route:
        return OUTSIDE
    met_on = _met_by(person, ref)
    if met_on is not None and not _ended_before(person, met_on - timedelta(days=1), ref):
        return MET if met_on <= person.term_ends_on else NOT_MET
    if _ended_before(person, min(ref, person.term_ends_on), ref):
        return ENDED
    return NOT_MET if person.term_ends_on < ref else UNKNOWN


def self_reliant_outcome(person: Person, ref: date) -> str:
    """Statushouders with financieel ontzorgen: not extended after six months."""
    if person.doelgroep != STATUSHOUDER or person.relief_six_months_on is None:
        return OUTSIDE
    if person.relief_six_months_on > ref:
        return UNKNOWN
    if person.relief_extended is None:
        return UNCLEAR
    return NOT_MET if person.relief_extended else MET


def participation_outcome(person: Person, ref: date) -> str:
    """Participates locally: any activity of the four kinds, started within the term."""
    end = min(ref, person.term_ends_on)
    firsts = [a.started_on for a in person.activities if a.started_on <= end]
    if firsts and not _ended_before(person, min(firsts) - timedelta(days=1), ref):
        return MET
    if _ended_before(person, end, ref):
        return ENDED
    return NOT_MET if person.term_ends_on < ref else UNKNOWN


def work_contact_outcome(person: Person, ref: date) -> str:
    """Contact with work in the first year: an orientation, a work placement or paid work started in it."""
    end = min(ref, person.first_year_ends_on)
    firsts = [a.started_on for a in person.activities if a.kind in WORK_CONTACT and a.started_on <= end]
    if firsts and not _ended_before(person, min(firsts) - timedelta(days=1), ref):
        return MET
    if _ended_before(person, end, ref):
        return ENDED
    return NOT_MET if person.first_year_ends_on < ref else UNKNOWN


def outflow_outcome(person: Person, ref: date, route: str, *, education: bool = False) -> str:
    """In paid work when the outcome is known (``route`` people only).

    Known once the term has ended (measured on its last day) or the obligation was met (measured on
    the reference date, capped at the term's end). With ``education`` (the onderwijsroute), a file
    that ended for other education counts as outflow to education.
    """
    if person.leerroute != route:
        return OUTSIDE
    if education and person.end_reason == END_OTHER_EDUCATION and _ended_before(person, person.term_ends_on, ref):
        return MET
    measured_on = min(ref, person.term_ends_on)
    known = person.term_ends_on < ref or _met_by(person, ref) is not None
    if _ended_before(person, measured_on, ref):
        return ENDED
    if not known:
        return UNKNOWN
    in_work = any(a.kind == PAID_WORK and a.ongoing_on(measured_on) for a in person.activities)
    return MET if in_work else NOT_MET


@dataclass(frozen=True)
class Kpi:
    """One policy KPI: an id (stored in Region.targets), its label, its default target in percent."""

    id: str
    label: Any
    target: int
    measure: Any
    """``measure(person, ref) -> MET | NOT_MET | UNKNOWN | ENDED | UNCLEAR | OUTSIDE``."""
    note: Any = None


KPIS: tuple[Kpi, ...] = (
    Kpi("obligation_b", _l("B1-route: obligation met within the term"), 75,
        lambda p, ref: obligation_outcome(p, ref, "B")),
    Kpi("obligation_z", _l("Z-route: obligation met within the term"), 80,
        lambda p, ref: obligation_outcome(p, ref, "Z")),
    Kpi("obligation_o", _l("Onderwijsroute: obligation met within the term"), 80,
        lambda p, ref: obligation_outcome(p, ref, "O")),
    Kpi("self_reliant", _l("Financially self-reliant after six months"), 75, self_reliant_outcome,
        _l("Statushouders with financieel ontzorgen whose relief was not extended at the six-month date.")),
    Kpi("participation", _l("Participates locally"), 80, participation_outcome,
        _l("Any participation activity (orientation, work placement, volunteer work, paid work) in the term.")),
    Kpi("work_contact", _l("Contact with work in the first year"), 80, work_contact_outcome,
        _l("An orientation on a work placement, a work placement or paid work started in the term's first year.")),
    Kpi("outflow_b", _l("B1-route: outflow to work"), 50, lambda p, ref: outflow_outcome(p, ref, "B"),
        _l("In paid work at the end of the term, or on the reference date once the obligation is met.")),
    Kpi("outflow_z", _l("Z-route: outflow to work"), 65, lambda p, ref: outflow_outcome(p, ref, "Z")),
    Kpi("outflow_o", _l("Onderwijsroute: outflow to work or education"), 50,
        lambda p, ref: outflow_outcome(p, ref, "O", education=True),
        _l("Education counts only when the file ended for other education: "
           "the product does not record a study begun after the route, so this is a lower bound.")),
)  # fmt: skip
KPI_IDS = tuple(k.id for k in KPIS)
DEFAULT_TARGETS = {k.id: k.target for k in KPIS}


def targets_for(region_targets: Mapping[str, Any] | None) -> dict[str, int]:
    """The region's targets by KPI id, the defaults for any missing or out of range (0-100)."""
    chosen = dict(DEFAULT_TARGETS)
    for kpi_id, value in (region_targets or {}).items():
        if kpi_id in chosen and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
            chosen[kpi_id] = value
    return chosen


@dataclass
class Cell:
    """One KPI for one cohort: the counts, and the percentage once enough outcomes are known."""

    size: int = 0
    """People of the cohort in this KPI's population."""
    met: int = 0
    not_met: int = 0
    ended: int = 0
    unclear: int = 0
    min_known: int = DEFAULT_MIN_CELL
    target: int = 0

    @property
    def known(self) -> int:
        """Outcomes known on the reference date (the percentage's denominator)."""
        return self.met + self.not_met

    @property
    def measurable(self) -> bool:
        """Enough outcomes known to show a percentage."""
        return self.known > 0 and self.known >= self.min_known

    @property
    def percent(self) -> int | None:
        """Met over known, rounded half up to a whole percent; None while not measurable."""
        if not self.measurable:
            return None
        return int((Decimal(100 * self.met) / Decimal(self.known)).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def on_target(self) -> bool | None:
        """Whether the percentage reaches the target; None while not measurable."""
        return None if self.percent is None else self.percent >= self.target

    def add(self, outcome: str) -> None:
        """Count one person's outcome."""
        if outcome == OUTSIDE:
            return
        self.size += 1
        if outcome == MET:
            self.met += 1
        elif outcome == NOT_MET:
            self.not_met += 1
        elif outcome == ENDED:
            self.ended += 1
        elif outcome == UNCLEAR:
            self.unclear += 1


@dataclass
class KpiTable:
    """Every KPI by cohort, and over all cohorts together."""

    cohorts: list[str]
    rows: list[tuple[Kpi, dict[str, Cell], Cell]]
    """Per KPI: its cells by cohort, and the total over all cohorts."""
    people: int = 0


def kpi_table(
    people: Iterable[Person], ref: date, *, targets: Mapping[str, int] | None = None, min_known: int = DEFAULT_MIN_CELL
) -> KpiTable:
    """Each KPI per cohort quarter (oldest first) and in total, as it stood on ``ref``."""
    chosen = targets_for(targets) if targets is not None else dict(DEFAULT_TARGETS)
    people = [p for p in people if p.first_pip_on <= ref]
    cohorts = sorted({p.cohort for p in people})
    rows = []
    for kpi in KPIS:
        cells = {c: Cell(min_known=min_known, target=chosen[kpi.id]) for c in cohorts}
        total = Cell(min_known=min_known, target=chosen[kpi.id])
        for person in people:
            outcome = kpi.measure(person, ref)
            cells[person.cohort].add(outcome)
            total.add(outcome)
        rows.append((kpi, cells, total))
    return KpiTable(cohorts=cohorts, rows=rows, people=len(people))


# -- lead times ----------------------------------------------------------------------------------


def percentile(values: Sequence[int | float], fraction: float) -> float | None:
    """The percentile by linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Timeline:
    """The dates of one person's way to the PIP, as they stood on the reference date (no name, no id)."""

    municipality_id: int
    duo_notified_on: date
    settled_on: date | None = None
    intake_started_on: date | None = None
    intake_submitted_on: date | None = None
    first_pip_on: date | None = None

    deadline: date = field(init=False)
    """Ten weeks from DUO's notice, or from settling when that is later."""

    def __post_init__(self) -> None:
        later = self.duo_notified_on if self.settled_on is None else max(self.duo_notified_on, self.settled_on)
        object.__setattr__(self, "deadline", later + PIP_TERM)


def _days(start: date | None, end: date | None) -> int | None:
    """Whole days from ``start`` to ``end``; 0 when the later step is dated first (it happens with imports)."""
    if start is None or end is None:
        return None
    return max(0, (end - start).days)


STAGES = (
    ("notice_to_intake", _l("DUO notice to intake started"), lambda t: _days(t.duo_notified_on, t.intake_started_on)),
    ("intake", _l("Intake started to submitted"), lambda t: _days(t.intake_started_on, t.intake_submitted_on)),
    ("intake_to_pip", _l("Intake submitted to PIP"), lambda t: _days(t.intake_submitted_on, t.first_pip_on)),
    ("notice_to_pip", _l("DUO notice to PIP"), lambda t: _days(t.duo_notified_on, t.first_pip_on)),
)


@dataclass
class Durations:
    """The median and 90th percentile of one stage's durations in days."""

    days: list[int] = field(default_factory=list)
    hidden: bool = False
    """Over too few people (or needed to keep such a cell from being worked out): n, median and p90 are not shown."""

    @property
    def n(self) -> int:
        """How many people went through this stage."""
        return len(self.days)

    @property
    def median(self) -> float | None:
        """The median in days; None when hidden."""
        return None if self.hidden else percentile(self.days, 0.5)

    @property
    def p90(self) -> float | None:
        """The 90th percentile in days; None when hidden."""
        return None if self.hidden else percentile(self.days, 0.9)


@dataclass
class LeadTimeCell:
    """Lead times of one municipality (or the whole selection) in one quarter of DUO's notice."""

    notices: int = 0
    stages: dict[str, Durations] = field(default_factory=lambda: {key: Durations() for key, _label, _measure in STAGES})
    within_term: int = 0
    late: int = 0
    """PIP after the deadline, or none yet while the deadline has passed."""
    term_hidden: bool = False
    """The share within the term is over too few people: not shown."""

    @property
    def term_known(self) -> int:
        """People with a PIP, or whose deadline has passed without one."""
        return self.within_term + self.late

    @property
    def within_percent(self) -> int | None:
        """The share with a PIP within the ten-week term, in whole percent (half up); None: none known, or hidden."""
        if not self.term_known or self.term_hidden:
            return None
        share = Decimal(100 * self.within_term) / Decimal(self.term_known)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def count(self, days: Sequence[int | None], within: bool | None) -> None:
        """Count one person's stage durations (in the order of STAGES) and whether their PIP came in time."""
        self.notices += 1
        for (key, _label, _measure), value in zip(STAGES, days, strict=True):
            if value is not None:
                self.stages[key].days.append(value)
        if within is True:
            self.within_term += 1
        elif within is False:
            self.late += 1


def stage_days(timeline: Timeline) -> tuple[int | None, ...]:
    """The days of each stage of STAGES (None: the stage is not through)."""
    return tuple(measure(timeline) for _key, _label, measure in STAGES)


def within_term(timeline: Timeline, ref: date) -> bool | None:
    """Whether the first PIP came within the ten-week term; False also for none while the deadline has
    passed; None while it is not known (no PIP, the deadline still to come)."""
    if timeline.first_pip_on is not None:
        return timeline.first_pip_on <= timeline.deadline
    return False if timeline.deadline < ref else None


@dataclass
class LeadTimeTable:
    """Lead times per quarter of DUO's notice, per municipality and for the whole selection."""

    quarters: list[str]
    by_municipality: dict[int, dict[str, LeadTimeCell]]
    total: dict[str, LeadTimeCell]


def lead_time_table(timelines: Iterable[Timeline], ref: date, *, min_cell: int | None = None) -> LeadTimeTable:
    """Lead times of the people notified on or before ``ref``, by municipality and quarter of the notice.

    With ``min_cell``, the figures over fewer people are hidden (:func:`hide_small_cells`).
    """
    by_municipality: dict[int, dict[str, LeadTimeCell]] = {}
    total: dict[str, LeadTimeCell] = {}
    for timeline in timelines:
        if timeline.duo_notified_on > ref:
            continue
        quarter = quarter_of(timeline.duo_notified_on)
        days, within = stage_days(timeline), within_term(timeline, ref)
        cells = by_municipality.setdefault(timeline.municipality_id, {})
        for cell_of in (cells, total):
            found = cell_of.get(quarter)
            if found is None:
                found = cell_of[quarter] = LeadTimeCell()
            found.count(days, within)
    table = LeadTimeTable(quarters=sorted(total), by_municipality=by_municipality, total=total)
    if min_cell is not None:
        hide_small_cells(table, min_cell)
    return table


def hide_small_cells(table: LeadTimeTable, min_cell: int) -> None:
    """Hide each stage's durations and the share within the term where they are over too few people.

    The rule of the klantbeleving dashboard (:func:`..klantbeleving.suppression.suppress`), per stage
    and for the term: a figure over 1 to ``min_cell - 1`` people is hidden, and so many more that
    none can be worked out from the others, since each quarter's total over the selection is the sum
    of its municipalities (the people counted are; medians are not, but a hidden count hides them).
    """
    municipalities = sorted(table.by_municipality)
    lines = [Line(column(q), tuple(cell(m, q) for m in municipalities)) for q in table.quarters]

    def figures(measure: Callable[[LeadTimeCell], int]) -> dict:
        counts = {column(q): measure(c) for q, c in table.total.items()}
        for m, cells in table.by_municipality.items():
            counts |= {cell(m, q): measure(c) for q, c in cells.items()}
        return counts

    def cells_of(key: tuple) -> LeadTimeCell:
        return table.total[key[1]] if key[0] == "col" else table.by_municipality[key[1]][key[2]]

    for stage, _label, _measure in STAGES:
        for key in suppress(figures(lambda c, stage=stage: c.stages[stage].n), lines, min_cell):
            if _present(table, key):
                cells_of(key).stages[stage].hidden = True
    for key in suppress(figures(lambda c: c.term_known), lines, min_cell):
        if _present(table, key):
            cells_of(key).term_hidden = True


def _present(table: LeadTimeTable, key: tuple) -> bool:
    """Whether the page has this cell (a municipality without notices in a quarter has none)."""
    if key[0] == "col":
        return key[1] in table.total
    return key[0] == "cell" and key[2] in table.by_municipality.get(key[1], {})
