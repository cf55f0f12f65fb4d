"""Small-cell suppression: hand-made cases, and brute force that no hidden figure can be worked out.

The brute-force checks do not use the module's own linear algebra: one repeats subtraction along
every line until nothing new follows; the other enumerates every table of whole numbers that agrees
with what is shown and requires each hidden figure to take at least two values across them.
"""

from __future__ import annotations

import itertools
import random

import pytest

from app.reports.klantbeleving.suppression import (
    TOTAL,
    Line,
    cell,
    column,
    determined,
    one_way_lines,
    row,
    suppress,
    two_way_lines,
)


def one_way(values: dict[str, int]) -> tuple[dict, list[Line]]:
    counts = {row(k): v for k, v in values.items()} | {TOTAL: sum(values.values())}
    return counts, one_way_lines(values)


def two_way(table: dict[tuple[str, str], int]) -> tuple[dict, list[Line]]:
    segments = sorted({s for s, _q in table})
    quarters = sorted({q for _s, q in table})
    counts = {cell(s, q): v for (s, q), v in table.items()}
    counts |= {row(s): sum(table[(s, q)] for q in quarters) for s in segments}
    counts |= {column(q): sum(table[(s, q)] for s in segments) for q in quarters}
    counts[TOTAL] = sum(table.values())
    return counts, two_way_lines(segments, quarters)


def by_subtraction(counts: dict, lines: list[Line], hidden: frozenset) -> set:
    """Hidden keys worked out by subtracting along lines, over and over (chains included)."""
    known = {k for k in counts if k not in hidden}
    found: set = set()
    progress = True
    while progress:
        progress = False
        for line in lines:
            members = (line.total, *line.parts)
            unknown = [m for m in members if m not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                found.add(unknown[0])
                progress = True
    return found


def values_each_hidden_can_take(counts: dict, lines: list[Line], hidden: frozenset, high: int) -> dict:
    """Every whole-number table (interior 0..high) that agrees with the shown figures: the values per hidden key."""
    interior = sorted({p for line in lines for p in line.parts if p[0] == "cell" or not any(
        p == other.total for other in lines)}, key=repr)  # fmt: skip
    free = [k for k in interior if k in hidden]
    seen: dict = {k: set() for k in hidden}
    for guess in itertools.product(range(high + 1), repeat=len(free)):
        value = {k: counts.get(k, 0) for k in interior} | dict(zip(free, guess, strict=True))
        # margins from the interior, in the order the lines are given (rows and columns before the total)
        for line in sorted(lines, key=lambda line_: line_.total == TOTAL):
            value[line.total] = sum(value[p] for p in line.parts)
        if any(value[k] != counts.get(k, 0) for k in value if k not in hidden):
            continue
        for k in hidden:
            seen[k].add(value[k])
    return seen


def test_one_small_partner_hides_the_next_smallest_too() -> None:
    counts, lines = one_way({"Taalhuis": 3, "WerkSaam": 20, "Vluchtelingenwerk": 30})
    hidden = suppress(counts, lines, 10)
    assert hidden == {row("Taalhuis"), row("WerkSaam")}


def test_hidden_parts_together_must_be_a_full_cell() -> None:
    counts, lines = one_way({"A": 3, "B": 4, "C": 30, "D": 40})
    # A and B together are 7: not enough, so the next-smallest, C, goes too
    assert suppress(counts, lines, 10) == {row("A"), row("B"), row("C")}


def test_nothing_hidden_when_every_cell_is_big_enough() -> None:
    counts, lines = one_way({"A": 10, "B": 15})
    assert suppress(counts, lines, 10) == frozenset()


def test_a_total_below_the_minimum_hides_everything() -> None:
    counts, lines = one_way({"A": 3, "B": 4})
    assert suppress(counts, lines, 10) == {row("A"), row("B"), TOTAL}


def test_the_minimum_is_configurable() -> None:
    counts, lines = one_way({"A": 3, "B": 4, "C": 30})
    assert suppress(counts, lines, 3) == frozenset()
    assert suppress(counts, lines, 5) == {row("A"), row("B")}


def test_two_way_hand_case() -> None:
    # Partner A is big over the period but small in Q1; B is small in Q2.
    table = {("A", "Q1"): 4, ("A", "Q2"): 30, ("B", "Q1"): 25, ("B", "Q2"): 2, ("C", "Q1"): 40, ("C", "Q2"): 35}
    counts, lines = two_way(table)
    hidden = suppress(counts, lines, 10)
    assert cell("A", "Q1") in hidden
    assert cell("B", "Q2") in hidden
    # each row and each quarter with a hidden cell has a second one
    for line in lines:
        members = (line.total, *line.parts)
        assert sum(m in hidden for m in members) != 1
    assert not by_subtraction(counts, lines, hidden)
    assert not determined(counts, lines, hidden)
    seen = values_each_hidden_can_take(counts, lines, hidden, 45)
    assert all(len(v) >= 2 for v in seen.values()), seen
    # the period figures of A, B and C stay visible: each is at least 10 and nothing forces them
    assert {row("A"), row("B"), row("C"), TOTAL}.isdisjoint(hidden)


def test_a_bridge_between_two_safe_blocks_is_found_by_the_exact_check() -> None:
    # Lines each with two hidden figures can still pin one down: hidden (A,Q1),(A,Q2),(B,Q1),(B,Q2) form a
    # block; the exact check must not leave a figure that a combination of lines fixes.
    table = {(s, q): v for (s, q), v in zip(itertools.product("ABCD", ("Q1", "Q2", "Q3")), [
        2, 3, 40, 3, 2, 40, 40, 40, 2, 40, 40, 3], strict=True)}  # fmt: skip
    counts, lines = two_way(table)
    hidden = suppress(counts, lines, 10)
    assert not determined(counts, lines, hidden)
    assert not by_subtraction(counts, lines, hidden)


def test_zeros_are_not_small_cells() -> None:
    counts, lines = one_way({"A": 0, "B": 12, "C": 15})
    assert suppress(counts, lines, 10) == frozenset()


def test_determined_finds_a_figure_pinned_by_two_lines() -> None:
    counts, lines = one_way({"A": 3, "B": 20})
    assert determined(counts, lines, {row("A")}) == {row("A")}
    assert determined(counts, lines, {row("A"), row("B")}) == set()


@pytest.mark.parametrize("seed", range(150))
def test_brute_force_one_way(seed: int) -> None:
    rng = random.Random(seed)
    min_cell = rng.choice([3, 5, 10])
    values = {f"s{i}": rng.choice([0, 1, 2, 3, 4, 6, 9, 10, 12, 20, 35]) for i in range(rng.randint(1, 6))}
    counts, lines = one_way(values)
    hidden = suppress(counts, lines, min_cell)
    shown = [k for k in counts if k not in hidden]
    assert all(counts[k] == 0 or counts[k] >= min_cell for k in shown)
    assert not by_subtraction(counts, lines, hidden)
    if TOTAL not in hidden:
        hidden_parts = [k for k in hidden if k != TOTAL]
        assert not hidden_parts or sum(counts[k] for k in hidden_parts) >= min_cell
    free = [k for k in hidden if k != TOTAL]
    if len(free) <= 4:
        seen = values_each_hidden_can_take(counts, lines, hidden, max(values.values()) + min_cell)
        assert all(len(v) >= 2 for v in seen.values()), (values, hidden, seen)


@pytest.mark.parametrize("seed", range(120))
def test_brute_force_two_way(seed: int) -> None:
    rng = random.Random(1000 + seed)
    min_cell = rng.choice([3, 5])
    segments = [f"s{i}" for i in range(rng.randint(1, 3))]
    quarters = [f"q{i}" for i in range(rng.randint(1, 3))]
    table = {(s, q): rng.choice([0, 1, 2, 4, 5, 7, 9]) for s in segments for q in quarters}
    counts, lines = two_way(table)
    hidden = suppress(counts, lines, min_cell)
    shown = [k for k in counts if k not in hidden]
    assert all(counts[k] == 0 or counts[k] >= min_cell for k in shown)
    assert not by_subtraction(counts, lines, hidden)
    assert not determined(counts, lines, hidden)
    free = [k for k in hidden if k[0] == "cell"]
    if len(free) <= 4:
        seen = values_each_hidden_can_take(counts, lines, hidden, 10)
        assert all(len(v) >= 2 for v in seen.values()), (table, sorted(hidden, key=repr), seen)
