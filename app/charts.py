"""Charts drawn on the server as inline SVG: no JavaScript, readable in print and in high contrast.

Every chart is a ``<figure>`` holding an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``
that says the figures in words, and beside it a ``<table>`` with the same numbers (a screen reader,
a printout without graphics and a copy into a spreadsheet all get them). Marks are drawn in
``currentColor`` and told apart by shape, dash pattern and direct labels, never by colour alone, so
forced-colors mode (Windows high contrast) and a black-and-white printer keep them apart.

Labels are text typed by staff (partner names): every one is escaped, in the SVG and the table.
Numbers are written as the current language writes them (a decimal comma in Dutch).

API (stable: the reports share it)::

    bar_chart(title, desc, labels, values, *, target=None, max_value=None, unit="") -> Markup
    line_chart(title, desc, x_labels, series, *, target=None, y_min=None, y_max=None) -> Markup
    histogram(title, desc, labels, counts, *, unit="") -> Markup

A value of ``None`` is "no figure" (no data, or hidden): it is drawn as no bar or a gap in the
line, and ``value_labels`` (bar chart, histogram) can say why ("fewer than 10").
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from workflows.i18n import native_digits

__all__ = ["bar_chart", "histogram", "line_chart", "nice_ticks", "number", "spread_labels"]

# Shapes and dash patterns that tell series apart without colour.
_MARKERS = ("circle", "square", "triangle", "diamond", "cross")
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
DASH = "\u2013"
_LABEL_CHARS = 30
"""A label longer than this is cut with an ellipsis in the SVG (the table has it whole)."""
_LABEL_GAP = 18
"""Pixels between the middles of two direct labels of a line chart (12 px text is some 16 px high in a browser)."""
_TICK_SPACING = 18
"""The least pixels between two numbered ticks of an axis."""


def number(value: float | int | None, decimals: int = 1) -> str:
    """A number with ``decimals`` decimals (rounded half up) as the current language writes it; "" for None."""
    if value is None:
        return ""
    try:
        from .i18n import formatting_locale

        locale = formatting_locale()
    except RuntimeError:  # no app or request context: a plain Dutch number
        locale = "nl"
    # Rounded half up (REPORTS.md: 7,25 is 7,3), from the decimal the number is written as.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    try:
        return native_digits(format_decimal(rounded, format=pattern, locale=locale), locale)
    except Exception:  # noqa: BLE001 - an unknown locale falls back to Dutch
        return format_decimal(rounded, format=pattern, locale="nl")


def _short(label: str) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\u2026"


def _id() -> str:
    return "chart-" + secrets.token_hex(4)


def _with_unit(text: str, unit: str) -> str:
    return f"{text}\u00a0{unit}" if unit and text else text


def _target_label(target: float, decimals: int, unit: str) -> str:
    return _("target %(value)s", value=_with_unit(number(target, decimals), unit))


def _words(labels: Sequence[str], shown: Sequence[str]) -> str:
    """The figures in words for ``<desc>``: "A: 7,2; B: no figure"."""
    no_figure = _("no figure")  # outside the f-string, where Babel's extractor finds it
    parts = [f"{' '.join(str(label).split())}: {text or no_figure}" for label, text in zip(labels, shown, strict=True)]
    return "; ".join(parts) + "." if parts else _("No figures.")


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> str:
    return (
        f'<svg class="chart-svg" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _table(chart_id: str, title: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(row[0])}</th>' + "".join(f"<td>{escape(c)}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="chart-data" id="{chart_id}-data"><caption>{escape(title)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
    )


def _figure(chart_id: str, svg: str, table: str, kind: str) -> Markup:
    # Every piece of text in svg and table was escaped where it was put in.
    return Markup(  # noqa: S704
        f'<figure class="chart chart-{kind}" id="{chart_id}"><div class="chart-image">{svg}</div>{table}</figure>'
    )


def _ceiling(value: float) -> float:
    """A round number at or above ``value`` for the top of an axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def nice_step(span: float, most: int) -> float:
    """The smallest round step (1, 2 or 5 times a power of ten) that cuts ``span`` into at most ``most`` parts."""
    if span <= 0 or most < 1:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if span / step <= most + 1e-9:
            return step
    return 10 * magnitude  # pragma: no cover - 10 always fits


def nice_ticks(low: float, high: float, most: int = 10) -> list[float]:
    """Round numbers from ``low`` to ``high`` at a nice step, at most ``most + 1`` of them."""
    step = nice_step(high - low, most)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [_round_tick(k * step, step) for k in range(first, last + 1)]


def _round_tick(value: float, step: float) -> float:
    """``value`` without the float noise of ``k * step`` (0.30000000000000004 is 0.3)."""
    return round(value, _decimals_of(step))


def _decimals_of(step: float) -> int:
    """The decimals a tick at this step needs: 0 for 1, 2, 5, 10; 1 for 0.5; 2 for 0.25."""
    text = f"{step:.10f}".rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


def spread_labels(wanted: Sequence[float], gap: float, top: float, bottom: float) -> list[float]:
    """Positions for labels that want to sit at ``wanted`` (y, downwards), at least ``gap`` apart.

    The labels keep their order (a label never passes another, so it stays beside its own line),
    overlapping ones are pushed apart as a block centred on where they want to be, and every block
    is kept between ``top`` and ``bottom`` (when they do not all fit, ``bottom`` gives way).
    """
    if not wanted:
        return []
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i], i))
    bottom = max(bottom, top + gap * (len(wanted) - 1))
    # Blocks of consecutive labels (in order): [first index in ``order``, count, y of the first].
    blocks: list[list[float]] = []
    for rank, i in enumerate(order):
        blocks.append([rank, 1, wanted[i]])
        while True:
            block = blocks[-1]
            block[2] = min(max(block[2], top), bottom - gap * (block[1] - 1))
            if len(blocks) > 1 and blocks[-2][2] + gap * blocks[-2][1] > block[2]:
                before = blocks.pop(-2)
                start, count = int(before[0]), int(before[1] + block[1])
                mean_wanted = sum(wanted[order[start + j]] - gap * j for j in range(count)) / count
                block[0], block[1], block[2] = start, count, mean_wanted
                continue
            break
    placed = [0.0] * len(wanted)
    for start, count, y in blocks:
        for j in range(int(count)):
            placed[order[int(start) + j]] = y + gap * j
    return placed


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def bar_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    target: float | None = None,
    max_value: float | None = None,
    unit: str = "",
    value_labels: Sequence[str | None] | None = None,
    decimals: int = 1,
    value_heading: str | None = None,
) -> Markup:
    """Horizontal bars, one per label, each with its value written at its end; an optional target line.

    ``value_labels`` replaces the written value of a bar (e.g. "fewer than 10" for a hidden cell).
    """
    labels = [str(label) for label in labels]
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    chart_id = _id()
    shown = [
        (value_labels[i] if value_labels and value_labels[i] else _with_unit(number(v, decimals), unit))
        for i, v in enumerate(values)
    ]
    top = max_value if max_value is not None else _ceiling(max(_finite(values) + [target or 0, 0]))
    top = top if top > 0 else 1.0
    label_w, bar_w, value_w, row_h, pad = 210, 300, 110, 26, 8
    width = label_w + bar_w + value_w
    height = pad * 2 + row_h * max(len(labels), 1) + (18 if target is not None else 0)
    parts = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = pad + i * row_h
        parts.append(
            f'<text class="chart-label" x="{label_w - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_short(label))}</text>"
        )
        if value is not None and math.isfinite(float(value)):
            w = max(0.0, min(float(value), top)) / top * bar_w
            parts.append(
                f'<rect class="chart-bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="currentColor" fill-opacity="0.35" stroke="currentColor"/>'
            )
            x_text = label_w + w + 4
        else:
            x_text = label_w + 4
        parts.append(
            f'<text class="chart-value" x="{x_text:.1f}" y="{y + row_h / 2 + 4:.1f}">{escape(shown[i])}</text>'
        )
    if target is not None:
        x = label_w + max(0.0, min(float(target), top)) / top * bar_w
        bottom = pad + row_h * max(len(labels), 1)
        parts.append(
            f'<line class="chart-target" x1="{x:.1f}" y1="{pad}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="currentColor" stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text class="chart-target-label" x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">'
            f"{escape(_target_label(target, decimals, unit))}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{label_w}" y1="{pad}" x2="{label_w}" y2="{pad + row_h * max(len(labels), 1)}" '
        f'stroke="currentColor"/>'
    )
    full_desc = " ".join(filter(None, [desc, _words(labels, shown)]))
    if target is not None:
        full_desc += " " + _("The target is %(value)s.", value=_with_unit(number(target, decimals), unit))
    svg = _svg(chart_id, title, full_desc, width, height, "".join(parts))
    table = _table(
        chart_id, title, ["", value_heading or _("Value")], [[label, s] for label, s in zip(labels, shown, strict=True)]
    )
    return _figure(chart_id, svg, table, "bar")


def histogram(
    title: str,
    desc: str,
    labels: Sequence[str],
    counts: Sequence[int | None],
    *,
    unit: str = "",
    value_labels: Sequence[str | None] | None = None,
    value_heading: str | None = None,
) -> Markup:
    """Vertical bars for a distribution (the marks 1-10), each count written above its bar."""
    labels = [str(label) for label in labels]
    if len(labels) != len(counts):
        raise ValueError("labels and counts differ in length")
    chart_id = _id()
    shown = [
        (value_labels[i] if value_labels and value_labels[i] else _with_unit(number(c, 0), unit))
        for i, c in enumerate(counts)
    ]
    top = _ceiling(max(_finite(counts) + [0]))
    col_w, plot_h, pad_top, pad_bottom, pad_left = 36, 140, 20, 26, 10
    width = pad_left * 2 + col_w * max(len(labels), 1)
    height = pad_top + plot_h + pad_bottom
    base = pad_top + plot_h
    parts = [
        f'<line class="chart-axis" x1="{pad_left}" y1="{base}" x2="{width - pad_left}" y2="{base}" '
        f'stroke="currentColor"/>'
    ]
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        x = pad_left + i * col_w
        h = 0.0
        if count is not None and math.isfinite(float(count)):
            h = max(0.0, float(count)) / top * plot_h
            parts.append(
                f'<rect class="chart-bar" x="{x + 4}" y="{base - h:.1f}" width="{col_w - 8}" height="{h:.1f}" '
                f'fill="currentColor" fill-opacity="0.35" stroke="currentColor"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{x + col_w / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">'
            f"{escape(shown[i] or DASH)}</text>"
            f'<text class="chart-label" x="{x + col_w / 2:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{escape(_short(label))}</text>"
        )
    full_desc = " ".join(filter(None, [desc, _words(labels, shown)]))
    svg = _svg(chart_id, title, full_desc, width, height, "".join(parts))
    table = _table(
        chart_id, title, ["", value_heading or _("Count")], [[label, s] for label, s in zip(labels, shown, strict=True)]
    )
    return _figure(chart_id, svg, table, "histogram")


def _marker(kind: str, x: float, y: float) -> str:
    r = 4.5
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="currentColor"/>'
    if kind == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" '
            f'fill="none" stroke="currentColor" stroke-width="2"/>'
        )
    if kind == "triangle":
        return (
            f'<path d="M{x:.1f} {y - r - 1:.1f} L{x + r + 1:.1f} {y + r:.1f} L{x - r - 1:.1f} {y + r:.1f} Z" '
            f'fill="currentColor"/>'
        )
    if kind == "diamond":
        return (
            f'<path d="M{x:.1f} {y - r - 1:.1f} L{x + r + 1:.1f} {y:.1f} '
            f'L{x:.1f} {y + r + 1:.1f} L{x - r - 1:.1f} {y:.1f} Z" '
            f'fill="none" stroke="currentColor" stroke-width="2"/>'
        )
    return (
        f'<path d="M{x - r:.1f} {y - r:.1f} L{x + r:.1f} {y + r:.1f} '
        f'M{x + r:.1f} {y - r:.1f} L{x - r:.1f} {y + r:.1f}" '
        f'stroke="currentColor" stroke-width="2"/>'
    )


def _leader(x1: float, y1: float, label_x: float, label_y: float) -> str:
    """A thin line from a line's end to its direct label, when the label had to move away from it."""
    if abs(y1 - label_y) < 1 and label_x - x1 <= 20:
        return ""
    return (
        f'<line class="chart-leader" x1="{x1:.1f}" y1="{y1:.1f}" x2="{label_x - 3:.1f}" y2="{label_y:.1f}" '
        f'stroke="currentColor" stroke-width="1"/>'
    )


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    target: float | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    decimals: int = 1,
    unit: str = "",
) -> Markup:
    """Lines over ``x_labels`` (quarters), one per series, told apart by marker and dash and labelled
    at their last point; ``None`` is a gap. An optional target line, labelled."""
    x_labels = [str(x) for x in x_labels]
    for name, values in series:
        if len(values) != len(x_labels):
            raise ValueError(f"series {name!r} differs in length from the x labels")
    chart_id = _id()
    every = [v for _name, values in series for v in _finite(values)] + ([float(target)] if target is not None else [])
    low = y_min if y_min is not None else (min(every + [0.0]) if every else 0.0)
    high = y_max if y_max is not None else _ceiling(max(every + [low + 1]))
    if high <= low:
        high = low + 1
    pad_left, pad_right, pad_top, pad_bottom = 44, 200, 14, 30
    step = 64
    plot_w = step * max(len(x_labels) - 1, 1)
    # Direct labels at the right, one per drawn series and the target's, each LABEL_GAP apart.
    labelled = sum(1 for _name, values in series if _finite(values)) + (target is not None)
    plot_h = max(180, _LABEL_GAP * (labelled - 1) + 2 * _LABEL_GAP)
    width, height = pad_left + plot_w + pad_right, pad_top + plot_h + pad_bottom
    right = pad_left + plot_w
    label_x = right + 18

    def sx(i: int) -> float:
        return pad_left + (i * step if len(x_labels) > 1 else plot_w / 2)

    def sy(v: float) -> float:
        return pad_top + plot_h - (max(low, min(high, v)) - low) / (high - low) * plot_h

    parts = []
    ticks = nice_ticks(low, high, max(1, plot_h // _TICK_SPACING))
    tick_decimals = _decimals_of(ticks[1] - ticks[0]) if len(ticks) > 1 else 0
    for v in ticks:  # y axis: round numbers at a round step
        y = sy(v)
        parts.append(
            f'<line class="chart-grid" x1="{pad_left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="0.2"/>'
            f'<text class="chart-tick" x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(number(v, tick_decimals))}</text>"
        )
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text class="chart-tick" x="{sx(i):.1f}" y="{pad_top + plot_h + 18}" text-anchor="middle">'
            f"{escape(_short(label))}</text>"
        )

    # Where each series ends (its last point) and where the target line ends: the labels' wishes.
    ends: list[tuple[float, float] | None] = []
    for _name, values in series:
        last = [(sx(i), sy(float(v))) for i, v in enumerate(values) if v is not None and math.isfinite(float(v))]
        ends.append(last[-1] if last else None)
    wishes = [end[1] for end in ends if end is not None]
    if target is not None:
        wishes.append(sy(float(target)))
    placed = iter(spread_labels(wishes, _LABEL_GAP, pad_top - 6, pad_top + plot_h - 3))
    label_y = [next(placed) if end is not None else None for end in ends]
    target_y = next(placed) if target is not None else None

    if target is not None and target_y is not None:
        y = sy(float(target))
        parts.append(
            f'<line class="chart-target" x1="{pad_left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-width="2" stroke-dasharray="5 3"/>'
            f"{_leader(right, y, label_x, target_y)}"
            f'<text class="chart-target-label" x="{label_x}" y="{target_y + 4:.1f}">'
            f"{escape(_target_label(target, decimals, unit))}</text>"
        )
    for n, (name, values) in enumerate(series):
        marker, dash = _MARKERS[n % len(_MARKERS)], _DASHES[n % len(_DASHES)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None or not math.isfinite(float(v)):
                runs.append([])
            else:
                runs[-1].append((sx(i), sy(float(v))))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        group = [f'<g class="chart-series chart-series-{n}">']
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                group.append(
                    f'<polyline points="{points}" fill="none" stroke="currentColor" stroke-width="2"{dash_attr}/>'
                )
            group.extend(_marker(marker, x, y) for x, y in run)
        end, y = ends[n], label_y[n]
        if end is not None and y is not None:
            group.append(_leader(end[0] + 7, end[1], label_x, y))
            group.append(
                f'<text class="chart-series-label" x="{label_x}" y="{y + 4:.1f}">{escape(_short(name))}</text>'
            )
        group.append("</g>")
        parts.append("".join(group))
    words = []
    for name, values in series:
        shown = [_with_unit(number(v, decimals), unit) for v in values]
        words.append(f"{' '.join(str(name).split())}: " + _words(x_labels, shown))
    full_desc = " ".join(filter(None, [desc, *words]))
    if target is not None:
        full_desc += " " + _("The target is %(value)s.", value=_with_unit(number(target, decimals), unit))
    svg = _svg(chart_id, title, full_desc, width, height, "".join(parts))
    head = ["", *x_labels]
    rows = [
        [str(name), *[_with_unit(number(v, decimals), unit) or "\u2013" for v in values]] for name, values in series
    ]
    if target is not None:
        rows.append([_("Target"), *[_with_unit(number(target, decimals), unit)] * len(x_labels)])
    table = _table(chart_id, title, head, rows)
    return _figure(chart_id, svg, table, "line")
