"""The server-drawn SVG charts: bar lengths in proportion, every label escaped, empty input."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from workplace.charts import (
    WIDTH,
    Segment,
    StackedRow,
    conversion_chart,
    funnel_chart,
    percent,
    stacked_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The chart as XML (it must be well-formed)."""
    return ET.fromstring(svg)  # noqa: S314 -- our own drawing, not untrusted input


def bars(svg: str, fill: str) -> list[float]:
    """The widths of the bars of one colour, top to bottom."""
    root = parse(svg)
    return [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if r.get("fill") == fill]


def test_funnel_bars_are_in_proportion_and_centred() -> None:
    svg = str(funnel_chart([("Новая", 40), ("Переговоры", 10), ("Успех", 0)], "Воронка"))
    assert bars(svg, "#2563eb") == [WIDTH, WIDTH / 4]  # a stage nobody reached has no bar
    second = next(r for r in parse(svg).iter(f"{SVG}rect") if r.get("width") == "100")
    assert float(second.get("x", "0")) == (WIDTH - 100) / 2
    assert ">40<" in svg and ">10<" in svg and ">0<" in svg


def test_conversion_bars_are_shares_of_the_full_width() -> None:
    svg = str(conversion_chart([("А → Б", 0.5), ("Б → В", None), ("В → Г", 1.0)], "Конверсия"))
    assert bars(svg, "#0e9f6e") == [WIDTH / 2, WIDTH]
    assert "50\u00a0%" in svg and "—" in svg


def test_a_stacked_bar_splits_the_width_by_the_counts() -> None:
    row = StackedRow(
        "Форма на сайте · Сайт",
        "квал. 75 %",
        [Segment("Конвертировано", 1, "#111111"), Segment("Брак", 3, "#222222")],
    )
    svg = str(stacked_chart([row], "Качество"))
    assert bars(svg, "#111111") == [WIDTH / 4] and bars(svg, "#222222") == [WIDTH * 3 / 4]
    rects = [r for r in parse(svg).iter(f"{SVG}rect") if r.get("fill") == "#222222"]
    assert float(rects[0].get("x", "0")) == WIDTH / 4  # stacked after the first part


def test_every_label_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    charts = [
        funnel_chart([(evil, 3)], evil),
        conversion_chart([(evil, 0.5)], evil),
        stacked_chart([StackedRow(evil, evil, [Segment(evil, 1, "#000")])], evil),
    ]
    for chart in charts:
        svg = str(chart)
        assert "<script" not in svg and "&lt;script&gt;" in svg
        parse(svg)  # still well-formed


def test_empty_or_zero_input_draws_no_bars_and_no_division_by_zero() -> None:
    assert bars(str(funnel_chart([], "Пусто")), "#2563eb") == []
    assert bars(str(funnel_chart([("Новая", 0)], "Нули")), "#2563eb") == []
    row = StackedRow("Канал", "—", [Segment("Брак", 0, "#222222")])
    assert bars(str(stacked_chart([row], "Нули")), "#222222") == []


def test_the_drawing_scales_with_its_view_box() -> None:
    svg = str(funnel_chart([("Новая", 1), ("Успех", 1)], "Воронка"))
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert view and int(view.group(1)) == WIDTH and 'width="100%"' in svg


def test_percent_is_rounded_and_says_when_there_is_nothing() -> None:
    assert percent(0.456) == "46\u00a0%"
    assert percent(None) == "—"
