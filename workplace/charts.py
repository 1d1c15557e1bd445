"""Charts as inline SVG drawn on the server: numbers in, escaped markup out, no JavaScript.

Every chart has a fixed logical width (`WIDTH`) and scales with its `viewBox`, so one drawing
serves a laptop and a 360 px phone. Labels sit above their bars, not beside them, so the bars
get the whole width and the text stays readable when the drawing shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 400
BAR = 18  # bar height
LABEL = 18  # the line of text above a bar
GAP = 12  # between rows
FONT = 13
LABEL_CHARS = 32  # a longer label is cut with "…" (the whole one stays in the <title>)
FUNNEL_FILL = "#2563eb"
CONVERSION_FILL = "#0e9f6e"
TRACK_FILL = "#eef1f6"
TEXT_FILL = "#1d2330"
MUTED_FILL = "#667085"


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a stacked bar: what it counts, how many, and its colour."""

    name: str
    value: int
    fill: str


@dataclass(frozen=True, slots=True)
class StackedRow:
    """One stacked bar: its label, the figure shown at its right, and its parts."""

    label: str
    note: str
    segments: Sequence[Segment]


def funnel_chart(rows: Sequence[tuple[str, int]], title: str) -> Markup:
    """The classic funnel: one centred bar per stage, its width the stage's count relative to
    the largest one, the count written above it."""
    top = max((value for _, value in rows), default=0)
    parts: list[str] = []
    for i, (label, value) in enumerate(rows):
        y = _row_y(i)
        width = _length(value, top)
        x = (WIDTH - width) / 2
        parts.append(_label_line(y, label, str(value)))
        parts.append(_rect(0, y + LABEL, WIDTH, BAR, TRACK_FILL))
        if width > 0:
            parts.append(_rect(x, y + LABEL, width, BAR, FUNNEL_FILL, f"{label}: {value}"))
    return _svg(title, len(rows), parts)


def conversion_chart(rows: Sequence[tuple[str, float | None]], title: str) -> Markup:
    """The conversion funnel: one bar per step, its width the share (0..1) that went on."""
    parts: list[str] = []
    for i, (label, rate) in enumerate(rows):
        y = _row_y(i)
        parts.append(_label_line(y, label, percent(rate)))
        parts.append(_rect(0, y + LABEL, WIDTH, BAR, TRACK_FILL))
        width = _length(min(max(rate or 0.0, 0.0), 1.0), 1.0)
        if width > 0:
            parts.append(
                _rect(0, y + LABEL, width, BAR, CONVERSION_FILL, f"{label}: {percent(rate)}")
            )
    return _svg(title, len(rows), parts)


def bar_chart(rows: Sequence[tuple[str, float, str]], title: str) -> Markup:
    """One bar per row from the left, its length the value relative to the largest one, the
    row's text (an amount as the page writes it) at its right."""
    top = max((value for _, value, _ in rows), default=0.0)
    parts: list[str] = []
    for i, (label, value, text) in enumerate(rows):
        y = _row_y(i)
        parts.append(_label_line(y, label, text))
        parts.append(_rect(0, y + LABEL, WIDTH, BAR, TRACK_FILL))
        width = _length(value, top)
        if width > 0:
            parts.append(_rect(0, y + LABEL, width, BAR, FUNNEL_FILL, f"{label}: {text}"))
    return _svg(title, len(rows), parts)


def stacked_chart(rows: Sequence[StackedRow], title: str) -> Markup:
    """One full-width bar per row split into its segments in proportion to their values."""
    parts: list[str] = []
    for i, row in enumerate(rows):
        y = _row_y(i)
        parts.append(_label_line(y, row.label, row.note))
        parts.append(_rect(0, y + LABEL, WIDTH, BAR, TRACK_FILL))
        total = sum(max(s.value, 0) for s in row.segments)
        x = 0.0
        for segment in row.segments:
            width = _length(max(segment.value, 0), total)
            if width > 0:
                tip = f"{row.label}: {segment.name} {segment.value}"
                parts.append(_rect(x, y + LABEL, width, BAR, segment.fill, tip))
            x += width
    return _svg(title, len(rows), parts)


def percent(share: float | None) -> str:
    """`45 %` (a share 0..1, rounded to a whole percent), `—` when there is nothing to divide."""
    if share is None:
        return "—"
    return f"{round(share * 100)}\u00a0%"


def height(rows: int) -> int:
    """The logical height of a chart of `rows` bars."""
    return max(rows, 1) * (LABEL + BAR + GAP)


def _row_y(index: int) -> int:
    return index * (LABEL + BAR + GAP)


def _length(value: float, whole: float) -> float:
    """The bar length of `value` out of `whole` on the chart's width (0 when whole is 0)."""
    if whole <= 0 or value <= 0:
        return 0.0
    return round(WIDTH * value / whole, 2)


def _label_line(y: int, label: str, value: str) -> str:
    short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
    baseline = y + FONT
    return (
        f'<text x="0" y="{baseline}" font-size="{FONT}" fill="{TEXT_FILL}">'
        f"<title>{escape(label)}</title>{escape(short)}</text>"
        f'<text x="{WIDTH}" y="{baseline}" font-size="{FONT}" fill="{MUTED_FILL}"'
        f' text-anchor="end" font-weight="600">{escape(value)}</text>'
    )


def _rect(x: float, y: float, width: float, h: float, fill: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="{h:g}" rx="3"'
        f' fill="{escape(fill)}">{title}</rect>'
    )


def _svg(title: str, rows: int, parts: Sequence[str]) -> Markup:
    h = height(rows)
    return Markup(  # noqa: S704 -- every text above went through escape()
        f'<svg class="chart" viewBox="0 0 {WIDTH} {h}" width="100%" role="img"'
        f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"'
        f' font-family="system-ui, sans-serif" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
