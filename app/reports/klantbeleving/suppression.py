"""Small-cell suppression: which figures of a page to hide so that no small cell shows or can be worked out.

Pure functions over a table of counts; no Flask, no database. A page's figures are cells that add
up along *lines*: a line says ``total = part + part + ...`` (the whole period is the sum of the
segments; a quarter's total is the sum of the segments in that quarter; a segment's period figure
is the sum of its quarters). The rule, applied to every figure the page shows:

1. Primary: a figure from fewer than ``min_cell`` responses (and more than none) is hidden.
2. Secondary, per line: a line may not have exactly one hidden figure (it would be the shown total
   minus the shown parts), and when its total is shown, the hidden parts together must count at
   least ``min_cell`` responses (else the hidden remainder is itself a small cell). Until that holds,
   the smallest shown part with responses is hidden too (then a shown empty part, then the total).
3. Exact check: the hidden figures are the unknowns of the lines' equations; a figure that the
   equations pin down (by any combination of subtractions, not only within one line) is found by
   Gaussian elimination over the rationals, and one more figure on its lines is hidden. Repeat.

Counts, sums and sums of squares are additive over the same lines, so a hidden count that cannot be
worked out hides the mean, the distribution and the confidence interval behind it as well.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

TOTAL = ("total",)


def row(segment: Hashable) -> tuple:
    """The key of a segment's figure over the whole period."""
    return ("row", segment)


def column(quarter: Hashable) -> tuple:
    """The key of a quarter's total over all segments."""
    return ("col", quarter)


def cell(segment: Hashable, quarter: Hashable) -> tuple:
    """The key of one segment in one quarter."""
    return ("cell", segment, quarter)


@dataclass(frozen=True)
class Line:
    """``total`` is the sum of ``parts`` (all keys of the same table of counts)."""

    total: Hashable
    parts: tuple[Hashable, ...]


def one_way_lines(segments: Iterable[Hashable]) -> list[Line]:
    """The lines of a breakdown with its total: the total is the sum of the segments."""
    return [Line(TOTAL, tuple(row(s) for s in segments))]


def two_way_lines(segments: Sequence[Hashable], quarters: Sequence[Hashable]) -> list[Line]:
    """The lines of segments by quarter with every margin shown: rows, columns and the total both ways."""
    lines = [Line(TOTAL, tuple(row(s) for s in segments)), Line(TOTAL, tuple(column(q) for q in quarters))]
    lines += [Line(row(s), tuple(cell(s, q) for q in quarters)) for s in segments]
    lines += [Line(column(q), tuple(cell(s, q) for s in segments)) for q in quarters]
    return lines


def suppress(counts: Mapping[Hashable, int], lines: Sequence[Line], min_cell: int) -> frozenset:
    """The keys of ``counts`` to hide (see the module's rule). A key missing from ``counts`` counts 0."""
    min_cell = max(int(min_cell), 1)
    keys = set(counts)
    for line in lines:
        keys.add(line.total)
        keys.update(line.parts)
    n = {key: int(counts.get(key, 0)) for key in keys}
    hidden = {key for key in keys if 0 < n[key] < min_cell}
    while True:
        _secondary(n, lines, hidden, min_cell)
        pinned = determined(n, lines, hidden)
        if not pinned:
            return frozenset(hidden)
        grew = False
        for key in sorted(pinned, key=_order(n)):
            for line in lines:
                if key == line.total or key in line.parts:
                    extra = _complement(n, line, hidden)
                    if extra is not None:
                        hidden.add(extra)
                        grew = True
                        break
            if grew:
                break
        if not grew:  # nothing left to hide on its lines: hide the pinned figure's last neighbour, anything shown
            shown = sorted((k for k in keys if k not in hidden), key=_order(n))
            if not shown:
                return frozenset(hidden)
            hidden.add(shown[0])


def _order(n: Mapping[Hashable, int]):  # noqa: ANN202 - a sort key
    """Smallest first; ties in a stable order of the key's text."""
    return lambda key: (n[key], repr(key))


def _complement(n: Mapping[Hashable, int], line: Line, hidden: set) -> Hashable | None:
    """The figure of ``line`` to hide next: the smallest shown part with responses, an empty one, the total."""
    shown = [p for p in line.parts if p not in hidden]
    with_responses = sorted((p for p in shown if n[p] > 0), key=_order(n))
    if with_responses:
        return with_responses[0]
    empty = sorted((p for p in shown if n[p] == 0), key=_order(n))
    if empty:
        return empty[0]
    return line.total if line.total not in hidden else None


def _secondary(n: Mapping[Hashable, int], lines: Sequence[Line], hidden: set, min_cell: int) -> None:
    """Rule 2 until it holds on every line."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            members = (line.total, *line.parts)
            count = sum(1 for m in members if m in hidden)
            if count == 0:
                continue
            hidden_parts = [p for p in line.parts if p in hidden]
            too_small = line.total not in hidden and hidden_parts and sum(n[p] for p in hidden_parts) < min_cell
            if count == 1 or too_small:
                extra = _complement(n, line, hidden)
                if extra is not None:
                    hidden.add(extra)
                    changed = True


def determined(n: Mapping[Hashable, int], lines: Sequence[Line], hidden: Iterable[Hashable]) -> set:
    """The hidden keys whose value the shown figures and the lines fix exactly (by linear algebra)."""
    unknowns = sorted(set(hidden), key=repr)
    if not unknowns:
        return set()
    index = {key: i for i, key in enumerate(unknowns)}
    matrix: list[list[Fraction]] = []
    for line in lines:
        members = [(line.total, 1)] + [(p, -1) for p in line.parts]
        coefficients = [Fraction(0)] * len(unknowns)
        involved = False
        for key, sign in members:
            if key in index:
                coefficients[index[key]] += sign
                involved = True
        if involved:
            matrix.append(coefficients)
    pivots = _reduce(matrix, len(unknowns))
    free = set(range(len(unknowns))) - {column for column, _row in pivots}
    pinned = set()
    for column_index, row_index in pivots:
        if all(matrix[row_index][f] == 0 for f in free):
            pinned.add(unknowns[column_index])
    return pinned


def _reduce(matrix: list[list[Fraction]], width: int) -> list[tuple[int, int]]:
    """Reduced row echelon form in place; the (column, row) of every pivot."""
    pivots = []
    r = 0
    for c in range(width):
        if r >= len(matrix):
            break
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][c] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        lead = matrix[r][c]
        matrix[r] = [value / lead for value in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][c] != 0:
                factor = matrix[i][c]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        pivots.append((c, r))
        r += 1
    return pivots
