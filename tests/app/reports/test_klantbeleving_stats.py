"""The mean mark and its 95% t interval, against hand computations; rounding half up."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import pytest

from app.reports.klantbeleving import queries
from app.reports.klantbeleving.dashboard import Figure, default_period, flagged_pairs
from app.reports.klantbeleving.queries import quarter_of, quarters_between
from app.reports.klantbeleving.stats import estimate, rounded, t_975


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.706205), (2, 4.302653), (3, 3.182446), (4, 2.776445), (9, 2.262157), (29, 2.045230),
     (30, 2.042272), (100, 1.983972), (200, 1.971896), (201, 1.971837), (1000, 1.962339), (10**6, 1.959966)],
)  # fmt: skip
def test_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert t_975(df) == pytest.approx(expected, abs=2e-6)


def test_t_quantile_needs_a_degree_of_freedom() -> None:
    with pytest.raises(ValueError, match="degrees"):
        t_975(0)


def test_mean_and_interval_by_hand() -> None:
    # marks 5, 7, 8, 9: n 4, sum 29, squares 25 + 49 + 64 + 81 = 219
    e = estimate(4, 29, 219)
    mean = 29 / 4
    s = math.sqrt((219 - 29**2 / 4) / 3)  # 1.707825
    margin = 3.182446 * s / 2  # t(0.975, 3) from the table
    assert e.mean == pytest.approx(mean)
    assert e.low == pytest.approx(mean - margin, abs=1e-5)
    assert e.high == pytest.approx(mean + margin, abs=1e-5)
    assert e.exact == Fraction(29, 4)
    assert rounded(e.exact) == rounded(7.25)
    assert str(rounded(e.exact)) == "7.3"  # half up, not to even
    assert str(rounded(e.low)) == "4.5"  # 7.25 - 3.182446 * 1.707825 / 2 = 4.5324
    assert str(rounded(e.high)) == "10.0"  # 9.9675 rounds up to 10.0


def test_interval_is_cut_to_the_scale_and_empty_for_one_mark() -> None:
    e = estimate(2, 11, 101)  # marks 1 and 10: the t interval spans far beyond the scale
    assert (e.low, e.high) == (1, 10)
    one = estimate(1, 8, 64)
    assert one.mean == 8
    assert one.low is None
    assert one.high is None
    assert estimate(0, 0, 0).mean is None


def test_all_the_same_mark_has_no_width() -> None:
    e = estimate(10, 70, 490)
    assert e.low == e.high == 7


def test_rounding_half_up_from_the_exact_fraction() -> None:
    assert str(rounded(Fraction(143, 20))) == "7.2"  # 7.15
    assert str(rounded(Fraction(139, 20))) == "7.0"  # 6.95
    assert str(rounded(Fraction(2, 3))) == "0.7"
    assert rounded(None) is None


def test_quarters_and_the_default_period() -> None:
    assert quarter_of(date(2026, 12, 31)) == "2026-Q4"
    assert quarter_of(date(2026, 4, 1)) == "2026-Q2"
    assert quarters_between(date(2025, 11, 15), date(2026, 4, 1)) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert default_period(date(2026, 12, 2)) == (date(2025, 10, 1), date(2026, 9, 30))
    assert default_period(date(2026, 1, 1)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert [queries.quarter_end(date(2026, m, 15)) for m in (2, 5, 8, 11)] == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]  # fmt: skip


def test_two_quarters_in_a_row_below_target() -> None:
    below, above, hidden = Figure(False, 12, below_target=True), Figure(False, 12), Figure(True)
    quarters = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert flagged_pairs(quarters, [below, above, below, above]) == []
    assert flagged_pairs(quarters, [above, below, below, above]) == [("2026-Q2", "2026-Q3")]
    assert flagged_pairs(quarters, [below, hidden, below, below]) == [("2026-Q3", "2026-Q4")]
    assert flagged_pairs(quarters, [below, below, below, above]) == [("2026-Q1", "2026-Q2"), ("2026-Q2", "2026-Q3")]
