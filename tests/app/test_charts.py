"""The inline SVG charts: accessible, escaped, the same figures in the table as in the picture."""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree

import pytest
from flask import Flask

from app.charts import bar_chart, histogram, line_chart, nice_ticks, number, spread_labels

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ElementTree.Element:
    """The chart's SVG parsed as XML (it must be well formed)."""
    match = re.search(r"<svg\b.*?</svg>", str(markup), re.S)
    assert match, "no svg in the chart"
    return ElementTree.fromstring(match.group(0))  # noqa: S314 - our own output


def _table_cells(markup: str) -> list[str]:
    return re.findall(r"<t[hd](?:\s[^>]*)?>(.*?)</t[hd]>", str(markup))


def test_number_rounds_half_up_with_a_decimal_comma(app: Flask) -> None:
    with app.test_request_context("/"):
        assert number(7.25) == "7,3"
        assert number(7.15) == "7,2"
        assert number(7) == "7,0"
        assert number(12345, 0) == "12.345"
        assert number(None) == ""


def test_bar_chart_is_an_image_with_title_desc_and_table(app: Flask) -> None:
    with app.test_request_context("/"):
        html = bar_chart("Mean mark", "By partner.", ["Taalhuis", "WerkSaam"], [7.25, 6.0], target=7, max_value=10)
    svg = _svg(html)
    assert svg.get("role") == "img"
    ids = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == ids[0]
    assert svg.find(f"{SVG}desc").get("id") == ids[1]
    assert svg.find(f"{SVG}title").text == "Mean mark"
    desc = svg.find(f"{SVG}desc").text
    assert "Taalhuis: 7,3" in desc
    assert "WerkSaam: 6,0" in desc
    assert "7,0" in desc  # the target in words
    # bars in proportion to max_value: 7.25 of 10 over the 300 px bar area
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect")]
    assert widths == [pytest.approx(217.5, abs=0.1), pytest.approx(180.0, abs=0.1)]
    assert _table_cells(html)[2:] == ["Taalhuis", "7,3", "WerkSaam", "6,0"]
    # no colour but currentColor: forced colours and print keep it
    assert not re.search(r'(fill|stroke)="#', str(html))
    assert "<script" not in str(html)
    assert "style=" not in str(html)


def test_labels_are_escaped_everywhere(app: Flask) -> None:
    hostile = "<script>alert(1)</script>\"&'"
    with app.test_request_context("/"):
        charts = [
            bar_chart(hostile, hostile, [hostile], [5.0]),
            histogram(hostile, hostile, [hostile], [3]),
            line_chart(hostile, hostile, [hostile], [(hostile, [5.0])], target=7),
        ]
    for html in charts:
        assert "<script>" not in str(html)
        assert "&lt;script&gt;" in str(html)
        _svg(html)  # still well-formed XML


def test_a_hidden_value_has_no_bar_and_says_why(app: Flask) -> None:
    with app.test_request_context("/"):
        html = bar_chart("t", "", ["A", "B"], [8.0, None], value_labels=[None, "fewer than 10"])
    svg = _svg(html)
    assert len(list(svg.iter(f"{SVG}rect"))) == 1
    assert "B: fewer than 10" in svg.find(f"{SVG}desc").text
    assert "fewer than 10" in _table_cells(html)


def test_histogram_counts(app: Flask) -> None:
    marks = [str(m) for m in range(1, 11)]
    counts = [0, 0, 0, 0, 1, 2, 5, 10, 3, 1]
    with app.test_request_context("/"):
        html = histogram("Marks", "", marks, counts)
    svg = _svg(html)
    heights = [float(r.get("height")) for r in svg.iter(f"{SVG}rect")]
    assert len(heights) == 10
    assert heights[7] == max(heights)
    assert heights[6] == pytest.approx(heights[7] / 2, abs=0.2)
    assert "8: 10" in svg.find(f"{SVG}desc").text
    assert _table_cells(html)[2:6] == ["1", "0", "2", "0"]


def test_line_chart_gaps_target_and_series_apart_without_colour(app: Flask) -> None:
    quarters = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    series = [("Taalhuis", [7.0, None, 6.5, 6.8]), ("WerkSaam", [8.0, 8.2, 8.1, 8.4])]
    with app.test_request_context("/"):  # the default locale is Dutch
        html = line_chart("Trend", "Mean mark per quarter.", quarters, series, target=7, y_min=1, y_max=10)
    svg = _svg(html)
    groups = [g for g in svg.iter(f"{SVG}g") if "chart-series" in (g.get("class") or "")]
    assert len(groups) == 2
    # the gap splits Taalhuis into a lone point and a line of two
    assert len(list(groups[0].iter(f"{SVG}polyline"))) == 1
    assert len(list(groups[1].iter(f"{SVG}polyline"))) == 1
    dashes = [next(g.iter(f"{SVG}polyline")).get("stroke-dasharray") for g in groups]
    assert dashes[0] != dashes[1]  # told apart by the dash, not the colour
    labels = [t.text for g in groups for t in g.iter(f"{SVG}text")]
    assert labels == ["Taalhuis", "WerkSaam"]  # direct labels
    assert any("streefwaarde 7,0" in (t.text or "") for t in svg.iter(f"{SVG}text"))
    desc = svg.find(f"{SVG}desc").text
    assert "2026-Q2: geen cijfer" in desc
    assert "WerkSaam: 2026-Q1: 8,0" in desc
    cells = _table_cells(html)
    assert cells[:5] == ["", *quarters]
    assert cells[5:10] == ["Taalhuis", "7,0", "\u2013", "6,5", "6,8"]
    assert cells[-5:] == ["Streefwaarde", "7,0", "7,0", "7,0", "7,0"]


def test_empty_and_mismatched_input(app: Flask) -> None:
    with app.test_request_context("/"):
        assert "Geen cijfers." in str(bar_chart("t", "", [], []))  # the default locale is Dutch
        _svg(line_chart("t", "", [], []))
        with pytest.raises(ValueError, match="length"):
            bar_chart("t", "", ["a"], [])
        with pytest.raises(ValueError, match="length"):
            line_chart("t", "", ["a", "b"], [("s", [1.0])])


def test_ids_are_unique_per_chart(app: Flask) -> None:
    with app.test_request_context("/"):
        first, second = bar_chart("t", "", ["a"], [1.0]), bar_chart("t", "", ["a"], [1.0])
    assert _svg(first).get("aria-labelledby") != _svg(second).get("aria-labelledby")


# -- the y axis and the direct labels of the line chart --------------------------------------------


def _ticks(svg: ElementTree.Element) -> list[str]:
    """The y axis's numbers, bottom up (the x axis's quarters are the ticks that are not numbers)."""
    texts = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-tick" and t.get("text-anchor") == "end"]
    return [t.text for t in sorted(texts, key=lambda t: -float(t.get("y")))]


def test_nice_ticks_are_round_numbers_at_a_round_step() -> None:
    assert nice_ticks(1, 10, 10) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert nice_ticks(1, 10, 5) == [2, 4, 6, 8, 10]
    assert nice_ticks(0, 100, 10) == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert nice_ticks(0, 2.5, 5) == [0, 0.5, 1, 1.5, 2, 2.5]
    assert nice_ticks(0, 0.3, 3) == [0, 0.1, 0.2, 0.3]  # not 0.30000000000000004
    for low, high, most in [(1, 10, 4), (0, 37, 6), (3.2, 8.9, 7), (0, 1234, 9)]:
        ticks = nice_ticks(low, high, most)
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
        assert len(steps) == 1, ticks
        [step] = steps
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 9) in (1, 2, 5), (low, high, step)
        assert len(ticks) <= most + 1
        assert low <= ticks[0] < low + step
        assert high - step < ticks[-1] <= high


def test_the_line_chart_axis_reads_whole_marks_in_dutch(app: Flask) -> None:
    with app.test_request_context("/"):  # the default locale is Dutch
        marks = _svg(line_chart("t", "", ["2026-Q1", "2026-Q2"], [("A", [7.25, 6.5])], target=7, y_min=1, y_max=10))
        shares = _svg(line_chart("t", "", ["2026-Q1", "2026-Q2"], [("A", [0.35, 1.2])]))
    assert _ticks(marks) == [str(m) for m in range(1, 11)]
    assert _ticks(shares) == ["0,0", "0,2", "0,4", "0,6", "0,8", "1,0", "1,2", "1,4", "1,6", "1,8", "2,0"]


def test_spread_labels_keep_their_order_and_a_gap_within_bounds() -> None:
    assert spread_labels([40, 100, 160], 15, 0, 200) == [40, 100, 160]  # apart already: not moved
    assert spread_labels([100, 100], 16, 0, 200) == [92, 108]  # centred on where they want to be
    assert spread_labels([0, 2, 4], 15, 10, 200) == [10, 25, 40]  # kept below the top
    assert spread_labels([199, 198], 15, 0, 200) == [200, 185]  # and above the bottom, order kept
    wanted = [70.0, 71.0, 70.5, 69.5, 140.0, 71.5]
    placed = spread_labels(wanted, 18, 8, 191)
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    assert [placed[i] for i in order] == sorted(placed)  # no label passes another
    assert all(b - a >= 18 - 1e-9 for a, b in zip(sorted(placed), sorted(placed)[1:], strict=False))
    assert all(8 <= y <= 191 for y in placed)


def test_direct_labels_do_not_overlap_and_stay_beside_their_own_line(app: Flask) -> None:
    quarters = ["2026-Q1", "2026-Q2", "2026-Q3"]
    series = [
        ("All responses", [6.9, 7.0, 6.9]),
        ("Taalschool Noord", [8.0, 8.0, 8.0]),
        ("Taalschool Oost", [7.0, 7.0, 7.0]),
        ("Taalschool West", [5.5, 5.5, 5.5]),
        ("Taalschool Zuid", [7.1, None, None]),  # ends early: its label at the right, with a leader
    ]
    with app.test_request_context("/"):
        svg = _svg(line_chart("Trend", "", quarters, series, target=7, y_min=1, y_max=10))
    groups = [g for g in svg.iter(f"{SVG}g") if "chart-series" in (g.get("class") or "")]
    labels, ends = {}, {}
    for (name, _values), group in zip(series, groups, strict=True):
        [text] = group.iter(f"{SVG}text")
        assert text.text == name
        labels[name] = float(text.get("y")) - 4  # the middle of the text
        markers = [m for m in group if m.tag in (f"{SVG}circle", f"{SVG}rect", f"{SVG}path")]
        ends[name] = _marker_middle(markers[-1])
        leaders = [line for line in group.iter(f"{SVG}line") if line.get("class") == "chart-leader"]
        if abs(labels[name] - ends[name][1]) >= 1 or name == "Taalschool Zuid":
            # moved (or far from its line's end): a leader from its line's end to the label
            [leader] = leaders
            assert float(leader.get("y1")) == pytest.approx(ends[name][1], abs=1)  # a triangle sits 0.5 high
            assert float(leader.get("y2")) == pytest.approx(labels[name], abs=0.1)
            assert float(leader.get("x1")) > ends[name][0]
            assert float(leader.get("x2")) < float(text.get("x"))
        else:
            assert leaders == []
    [target] = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-target-label"]
    assert target.text == "streefwaarde 7,0"
    middles = sorted([*labels.values(), float(target.get("y")) - 4])
    assert all(b - a >= 16 for a, b in zip(middles, middles[1:], strict=False))  # 12 px text, no overlap
    # The labels read top to bottom in the order the lines end (ties: the order they are drawn).
    by_end = sorted(labels, key=lambda name: ends[name][1])
    assert by_end == sorted(labels, key=lambda name: labels[name])
    assert by_end[0] == "Taalschool Noord"
    assert by_end[-1] == "Taalschool West"
    with app.test_request_context("/"):  # far apart, at the right edge: where the lines end, no leader
        apart = _svg(line_chart("t", "", quarters, [("A", [8.0, 8.0, 9.0]), ("B", [3.0, 2.0, 2.0])], y_min=1, y_max=10))
    assert [float(t.get("y")) - 4 for t in apart.iter(f"{SVG}text") if t.get("class") == "chart-series-label"] == [
        pytest.approx(34.0),
        pytest.approx(174.0),
    ]
    assert not [line for line in apart.iter(f"{SVG}line") if line.get("class") == "chart-leader"]


def _marker_middle(marker: ElementTree.Element) -> tuple[float, float]:
    if marker.tag == f"{SVG}circle":
        return float(marker.get("cx")), float(marker.get("cy"))
    if marker.tag == f"{SVG}rect":
        return float(marker.get("x")) + float(marker.get("width")) / 2, float(marker.get("y")) + float(
            marker.get("height")
        ) / 2
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", marker.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
