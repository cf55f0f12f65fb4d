"""The monitor's definitions, cell by cell, on small hand-made cohorts (pure Python, no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.models.newcomer import GEZINSMIGRANT, STATUSHOUDER
from app.models.records import (
    END_EXEMPTED,
    END_MOVED_AWAY,
    END_OTHER_EDUCATION,
    PAID_WORK,
    VOLUNTEER_WORK,
    WORK_PLACEMENT,
)
from app.reports.monitor import kpis
from app.reports.monitor.kpis import Activity, Person, Timeline

REF = date(2026, 6, 30)


def person(first_pip_on: date = date(2022, 3, 15), leerroute: str = "B", **kwargs: object) -> Person:
    """A person of municipality 1 (a statushouder unless told)."""
    kwargs.setdefault("doelgroep", STATUSHOUDER)
    return Person(municipality_id=1, first_pip_on=first_pip_on, leerroute=leerroute, **kwargs)  # type: ignore[arg-type]


def row(table: kpis.KpiTable, kpi_id: str) -> tuple[dict[str, kpis.Cell], kpis.Cell]:
    for kpi, cells, total in table.rows:
        if kpi.id == kpi_id:
            return cells, total
    raise AssertionError(kpi_id)


# -- the term ------------------------------------------------------------------------------------


def test_the_term_starts_the_day_after_the_pip_and_lasts_three_years():
    p = person(date(2022, 3, 15))
    assert p.term_starts_on == date(2022, 3, 16)
    assert p.term_ends_on == date(2025, 3, 15)
    assert p.first_year_ends_on == date(2023, 3, 15)
    assert p.cohort == "2022-Q1"


def test_an_extension_moves_the_end_of_the_term():
    assert person(date(2022, 3, 15), extension_days=90).term_ends_on == date(2025, 3, 15) + timedelta(days=90)


def test_a_leap_day_pip():
    p = person(date(2024, 2, 28))  # the term starts on 29 February
    assert p.term_starts_on == date(2024, 2, 29)
    assert p.term_ends_on == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [(date(2023, 1, 1), "2023-Q1"), (date(2023, 3, 31), "2023-Q1"), (date(2023, 4, 1), "2023-Q2"),
     (date(2023, 12, 31), "2023-Q4")],
)  # fmt: skip
def test_quarters(day, quarter):
    assert kpis.quarter_of(day) == quarter


# -- the obligation ------------------------------------------------------------------------------


def test_obligation_outcomes_of_one_b1_cohort():
    ref = date(2025, 6, 1)  # the 2022-Q1 terms (to 15 March 2025) have ended
    people = [
        person(obligation_met_on=date(2024, 5, 1)),  # met within the term
        person(obligation_met_on=date(2025, 4, 1)),  # met after the term: known, not met
        person(),  # term ended, not met
        person(extension_days=180),  # extended past the reference date: not yet known
        person(ended_on=date(2023, 1, 1), end_reason=END_MOVED_AWAY),  # left before the outcome
        person(obligation_met_on=date(2025, 7, 1)),  # met after the reference date: as it stood, not met
        person(leerroute="Z"),  # another route: term ended, not met (Z row)
    ]
    table = kpis.kpi_table(people, ref, min_known=1)
    cells, total = row(table, "obligation_b")
    cell = cells["2022-Q1"]
    assert (cell.size, cell.met, cell.known, cell.ended) == (6, 1, 4, 1)
    assert cell.percent == 25
    assert cell.on_target is False
    assert (total.met, total.known, total.size) == (1, 4, 6)
    z_cells, _z = row(table, "obligation_z")
    assert (z_cells["2022-Q1"].size, z_cells["2022-Q1"].met, z_cells["2022-Q1"].known) == (1, 0, 1)


def test_an_outcome_before_the_term_ends_is_known_only_when_met():
    ref = date(2023, 1, 1)
    people = [person(obligation_met_on=date(2022, 12, 1)), person(), person()]
    cell = row(kpis.kpi_table(people, ref, min_known=1), "obligation_b")[0]["2022-Q1"]
    assert (cell.met, cell.known, cell.size) == (1, 1, 3)
    assert cell.percent == 100  # a percentage over the known (the counts stand beside it)


def test_not_yet_measurable_while_too_few_outcomes_are_known():
    ref = date(2025, 6, 1)
    people = [person(obligation_met_on=date(2024, 1, 1)) for _ in range(2)] + [person()]
    cell = row(kpis.kpi_table(people, ref, min_known=4), "obligation_b")[0]["2022-Q1"]
    assert (cell.met, cell.known) == (2, 3)
    assert cell.percent is None
    assert cell.on_target is None
    assert not cell.measurable
    cell = row(kpis.kpi_table(people, ref, min_known=3), "obligation_b")[0]["2022-Q1"]
    assert cell.percent == 67  # 66.67 rounded half up
    assert cell.on_target is False


def test_an_extension_keeps_an_outcome_unknown():
    ref = date(2025, 4, 1)  # after the normal end (15 March 2025)
    plain, extended = person(), person(extension_days=30)
    assert kpis.obligation_outcome(plain, ref, "B") == kpis.NOT_MET
    assert kpis.obligation_outcome(extended, ref, "B") == kpis.UNKNOWN
    assert kpis.obligation_outcome(person(extension_days=30, obligation_met_on=date(2025, 4, 1)), ref, "B") == kpis.MET


def test_a_file_that_ended_after_its_term_is_a_known_outcome():
    p = person(ended_on=date(2025, 5, 1), end_reason=END_EXEMPTED)
    assert kpis.obligation_outcome(p, date(2025, 6, 1), "B") == kpis.NOT_MET
    assert kpis.obligation_outcome(person(ended_on=date(2024, 5, 1)), date(2025, 6, 1), "B") == kpis.ENDED


def test_people_whose_first_pip_is_after_the_reference_date_are_in_no_cohort():
    table = kpis.kpi_table([person(date(2026, 7, 1))], REF)
    assert table.people == 0
    assert table.cohorts == []


def test_cohorts_are_separate_and_sorted():
    people = [person(date(2022, 5, 1)), person(date(2022, 2, 1)), person(date(2023, 11, 30))]
    table = kpis.kpi_table(people, REF)
    assert table.cohorts == ["2022-Q1", "2022-Q2", "2023-Q4"]
    cells, total = row(table, "obligation_b")
    assert [cells[c].size for c in table.cohorts] == [1, 1, 1]
    assert total.size == 3


# -- financieel ontzorgen ------------------------------------------------------------------------


def test_self_reliant_after_six_months():
    ref = date(2023, 1, 1)
    people = [
        person(relief_six_months_on=date(2022, 9, 1), relief_extended=False),  # met
        person(relief_six_months_on=date(2022, 9, 1), relief_extended=True),  # extended: not met
        person(relief_six_months_on=date(2022, 9, 1), relief_extended=None),  # flag without a date
        person(relief_six_months_on=date(2023, 2, 1)),  # six months not reached
        person(),  # no relief: outside
        person(doelgroep=GEZINSMIGRANT, relief_six_months_on=date(2022, 9, 1)),  # not a statushouder
    ]
    cell = row(kpis.kpi_table(people, ref, min_known=1), "self_reliant")[0]["2022-Q1"]
    assert (cell.size, cell.met, cell.known, cell.unclear) == (4, 1, 2, 1)
    assert cell.percent == 50


# -- participation and work ----------------------------------------------------------------------


def test_participation_within_the_term():
    ref = date(2025, 6, 1)
    people = [
        person(activities=(Activity(VOLUNTEER_WORK, date(2023, 1, 1)),)),  # met
        person(activities=(Activity(VOLUNTEER_WORK, date(2025, 4, 1)),)),  # after the term: not met
        person(),  # term ended without: not met
        person(date(2024, 1, 10)),  # term running, none yet: unknown
        person(date(2024, 1, 10), activities=(Activity(PAID_WORK, date(2024, 6, 1)),)),  # met early: known
    ]
    cells, total = row(kpis.kpi_table(people, ref, min_known=1), "participation")
    assert (cells["2022-Q1"].met, cells["2022-Q1"].known) == (1, 3)
    assert (cells["2024-Q1"].met, cells["2024-Q1"].known, cells["2024-Q1"].size) == (1, 1, 2)
    assert (total.met, total.known, total.size) == (2, 4, 5)


def test_contact_with_work_in_the_first_year():
    ref = date(2024, 1, 1)  # the 2022-Q1 first years ended on 15 March 2023
    people = [
        person(activities=(Activity(WORK_PLACEMENT, date(2023, 3, 15)),)),  # last day of year one: met
        person(activities=(Activity(WORK_PLACEMENT, date(2023, 3, 16)),)),  # a day late: not met
        person(activities=(Activity(VOLUNTEER_WORK, date(2022, 6, 1)),)),  # volunteer work is not work
        person(ended_on=date(2022, 6, 1), end_reason=END_MOVED_AWAY),  # ended in year one: out
    ]
    cell = row(kpis.kpi_table(people, ref, min_known=1), "work_contact")[0]["2022-Q1"]
    assert (cell.met, cell.known, cell.ended, cell.size) == (1, 3, 1, 4)
    assert cell.percent == 33


def test_outflow_to_work_is_paid_work_when_the_outcome_is_known():
    ref = date(2025, 6, 1)
    people = [
        person(activities=(Activity(PAID_WORK, date(2024, 1, 1)),)),  # in work at the term's end
        person(activities=(Activity(PAID_WORK, date(2023, 1, 1), date(2024, 1, 1)),)),  # job ended before
        person(activities=(Activity(WORK_PLACEMENT, date(2024, 1, 1)),)),  # a placement is not a job
        person(date(2024, 1, 10), obligation_met_on=date(2025, 1, 1),
               activities=(Activity(PAID_WORK, date(2025, 2, 1)),)),  # met early, in work on the reference date
        person(date(2024, 1, 10), activities=(Activity(PAID_WORK, date(2025, 2, 1)),)),  # term running: unknown
    ]  # fmt: skip
    cells, total = row(kpis.kpi_table(people, ref, min_known=1), "outflow_b")
    assert (cells["2022-Q1"].met, cells["2022-Q1"].known) == (1, 3)
    assert (cells["2024-Q1"].met, cells["2024-Q1"].known, cells["2024-Q1"].size) == (1, 1, 2)
    assert total.percent == 50
    assert total.on_target is True


def test_onderwijsroute_outflow_counts_other_education():
    ref = date(2025, 6, 1)
    people = [
        person(leerroute="O", ended_on=date(2024, 9, 1), end_reason=END_OTHER_EDUCATION),
        person(leerroute="O", ended_on=date(2024, 9, 1), end_reason=END_EXEMPTED),
        person(leerroute="O"),
    ]
    cell = row(kpis.kpi_table(people, ref, min_known=1), "outflow_o")[0]["2022-Q1"]
    assert (cell.met, cell.known, cell.ended, cell.size) == (1, 2, 1, 3)


# -- targets -------------------------------------------------------------------------------------


def test_region_targets_replace_the_defaults_within_bounds():
    chosen = kpis.targets_for({"obligation_b": 60, "outflow_z": 101, "self_reliant": True, "nonsense": 5})
    assert chosen["obligation_b"] == 60
    assert chosen["outflow_z"] == 65  # out of range: the default
    assert chosen["self_reliant"] == 75  # not a number
    assert "nonsense" not in chosen
    assert kpis.DEFAULT_TARGETS == {
        "obligation_b": 75, "obligation_z": 80, "obligation_o": 80, "self_reliant": 75, "participation": 80,
        "work_contact": 80, "outflow_b": 50, "outflow_z": 65, "outflow_o": 50,
    }  # fmt: skip


def test_a_target_is_met_at_exactly_the_target():
    people = [person(obligation_met_on=date(2023, 1, 1))] * 3 + [person()]
    _cells, total = row(
        kpis.kpi_table(people, date(2025, 6, 1), targets={"obligation_b": 75}, min_known=1), "obligation_b"
    )
    assert total.percent == 75
    assert total.on_target is True


# -- lead times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([10], 10, 10), ([10, 20], 15, 19), ([1, 2, 3, 4], 2.5, 3.7), ([5, 1, 3], 3, 4.6), ([], None, None)],
)
def test_percentiles_interpolate_like_percentile_cont(values, median, p90):
    for fraction, expected in ((0.5, median), (0.9, p90)):
        found = kpis.percentile(values, fraction)
        assert (found is None) if expected is None else found == pytest.approx(expected)


def test_lead_times_per_municipality_and_quarter():
    ref = date(2024, 12, 31)
    timelines = [
        Timeline(1, date(2024, 1, 10), intake_started_on=date(2024, 1, 20), intake_submitted_on=date(2024, 2, 1),
                 first_pip_on=date(2024, 3, 1)),  # 51 days: within ten weeks
        Timeline(1, date(2024, 2, 1), settled_on=date(2024, 3, 1), first_pip_on=date(2024, 5, 1)),  # settling: within
        Timeline(1, date(2024, 3, 1), first_pip_on=date(2024, 6, 1)),  # 92 days: late
        Timeline(2, date(2024, 4, 1)),  # no PIP, the deadline passed: late
        Timeline(2, date(2024, 12, 1)),  # no PIP, deadline ahead: not yet known
        Timeline(2, date(2025, 1, 1)),  # after the reference date: left out
    ]  # fmt: skip
    table = kpis.lead_time_table(timelines, ref)
    assert table.quarters == ["2024-Q1", "2024-Q2", "2024-Q4"]
    q1 = table.by_municipality[1]["2024-Q1"]
    assert q1.notices == 3
    assert q1.stages["notice_to_intake"].days == [10]
    assert q1.stages["intake"].days == [12]
    assert q1.stages["intake_to_pip"].days == [29]
    assert sorted(q1.stages["notice_to_pip"].days) == [51, 90, 92]
    assert q1.stages["notice_to_pip"].median == 90
    assert q1.stages["notice_to_pip"].p90 == pytest.approx(91.6)
    assert (q1.within_term, q1.late, q1.within_percent) == (2, 1, 67)
    assert (table.by_municipality[2]["2024-Q2"].late, table.by_municipality[2]["2024-Q4"].term_known) == (1, 0)
    assert table.by_municipality[2]["2024-Q4"].within_percent is None
    assert sum(c.notices for c in table.total.values()) == 5


def test_a_step_dated_before_the_one_before_counts_as_zero_days():
    t = Timeline(1, date(2024, 1, 10), intake_started_on=date(2024, 1, 5))
    cell = kpis.lead_time_table([t], date(2024, 12, 31)).total["2024-Q1"]
    assert cell.stages["notice_to_intake"].days == [0]


# -- small cells ---------------------------------------------------------------------------------


def _notified(municipality_id: int, people: int, *, pip_after: int = 41, start: date = date(2024, 1, 10)) -> list:
    """``people`` notified in the same quarter, each with an intake and a PIP ``pip_after`` days on."""
    return [
        Timeline(
            municipality_id,
            start + timedelta(days=i),
            intake_started_on=start + timedelta(days=i + 3),
            intake_submitted_on=start + timedelta(days=i + 10),
            first_pip_on=start + timedelta(days=2 * i + pip_after),  # pip_after + i days after the notice
        )
        for i in range(people)
    ]


def test_a_lead_time_over_fewer_people_than_the_smallest_cell_is_hidden():
    ref = date(2024, 12, 31)
    table = kpis.lead_time_table(_notified(1, 4), ref, min_cell=5)
    cell = table.total["2024-Q1"]
    assert cell.notices == 4  # the count of notices stays, like the KPIs' counts
    for key, _label, _measure in kpis.STAGES:
        assert cell.stages[key].hidden
        assert cell.stages[key].median is None
        assert cell.stages[key].p90 is None
    assert cell.term_hidden
    assert cell.within_percent is None
    shown = kpis.lead_time_table(_notified(1, 5), ref, min_cell=5).total["2024-Q1"]
    assert not shown.stages["notice_to_pip"].hidden
    assert shown.stages["notice_to_pip"].median == 43  # 41, 42, 43, 44, 45
    assert shown.within_percent == 100
    raw = kpis.lead_time_table(_notified(1, 4), ref)  # without a smallest cell: the definitions alone
    assert raw.total["2024-Q1"].stages["notice_to_pip"].median == 42.5


def test_a_small_municipality_cannot_be_worked_out_from_the_total_and_the_others():
    """Hoorn 12, Medemblik 2 in Q1: Medemblik's 2 are hidden, and Hoorn's 12 with them (14 - 12 = 2)."""
    ref = date(2024, 12, 31)
    table = kpis.lead_time_table(_notified(1, 12) + _notified(2, 2) + _notified(3, 20), ref, min_cell=5)
    q1 = "2024-Q1"
    small, other, big = (table.by_municipality[m][q1] for m in (2, 1, 3))
    total = table.total[q1]
    assert small.stages["notice_to_pip"].hidden
    assert small.term_hidden
    assert other.stages["notice_to_pip"].hidden  # the smallest one shown would give the hidden one away
    assert other.term_hidden
    assert not big.stages["notice_to_pip"].hidden
    assert not total.stages["notice_to_pip"].hidden
    assert total.within_percent == 100
    # Hidden together they count 14 >= 5: neither can be worked out.
    hidden = [c for c in (small, other, big) if c.stages["notice_to_pip"].hidden]
    assert sum(c.stages["notice_to_pip"].n for c in hidden) >= 5


def test_only_the_stages_over_too_few_people_are_hidden():
    """Twelve notices, four intakes started: the intake stages are hidden, notice to PIP is not."""
    start, ref = date(2024, 1, 10), date(2024, 12, 31)
    timelines = [
        Timeline(1, start, intake_started_on=start + timedelta(days=2) if i < 4 else None, first_pip_on=start
                 + timedelta(days=50 + i))
        for i in range(12)
    ]  # fmt: skip
    cell = kpis.lead_time_table(timelines, ref, min_cell=10).total["2024-Q1"]
    assert cell.stages["notice_to_intake"].hidden
    assert cell.stages["notice_to_intake"].n == 4
    assert not cell.stages["notice_to_pip"].hidden
    assert cell.stages["notice_to_pip"].median == pytest.approx(55.5)
    assert not cell.term_hidden
    assert cell.within_percent == 100
