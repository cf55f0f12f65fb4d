"""The mean mark and its 95% confidence interval from count, sum and sum of squares.

The interval is Student's t: mean +/- t(0.975, n - 1) * s / sqrt(n), with s the sample standard
deviation. The quantile is computed here (no SciPy): exactly, by bisection on the t distribution's
closed form for whole degrees of freedom (Abramowitz & Stegun 26.7.3-4) up to 200 degrees of
freedom, and by the Cornish-Fisher expansion above that (error below 1e-6). The interval is cut to
the scale, 1 to 10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Z_975 = 1.959963984540054
MARK_LOW, MARK_HIGH = 1, 10


def _two_sided(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with ``df`` whole degrees of freedom."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        if df == 1:
            return 2 * theta / math.pi
        term, total = 1.0, 1.0
        for k in range(1, (df - 3) // 2 + 1):
            term *= (2 * k) / (2 * k + 1) * c2
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    term, total = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= (2 * k - 1) / (2 * k) * c2
        total += term
    return math.sin(theta) * total


def t_975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (>= 1)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df > 200:
        z, v = Z_975, float(df)
        return (
            z
            + (z**3 + z) / (4 * v)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        )
    low, high = 0.0, 700.0  # t(0.975, 1) is 12.7; bisection to the float's precision
    for _ in range(200):
        middle = (low + high) / 2
        if _two_sided(middle, df) < 0.95:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@dataclass(frozen=True)
class Estimate:
    """A cell's mean mark with its 95% interval (no interval for fewer than two marks)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None
    exact: Fraction | None = None
    """The mean as a fraction (for rounding half up without float error)."""


def estimate(n: int, total: int, squares: int) -> Estimate:
    """Mean and 95% t interval from the count, the sum and the sum of squares of the marks."""
    if n <= 0:
        return Estimate(0, None, None, None)
    mean = Fraction(total, n)
    if n == 1:
        return Estimate(1, float(mean), None, None, mean)
    variance = (Fraction(squares) - Fraction(total * total, n)) / (n - 1)  # exact: never below zero
    margin = t_975(n - 1) * math.sqrt(max(float(variance), 0.0)) / math.sqrt(n)
    return Estimate(n, float(mean), max(MARK_LOW, float(mean) - margin), min(MARK_HIGH, float(mean) + margin), mean)


def rounded(value: Fraction | float | None, decimals: int = 1) -> Decimal | None:
    """Half up to ``decimals`` (REPORTS.md: the mean "rounded half up to one decimal")."""
    if value is None:
        return None
    exact = Fraction(value) if isinstance(value, Fraction) else Fraction(repr(value))
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
    )
