"""A model.Chart or LineChart → a ReportLab vector Drawing: a titled bar chart, or a line over editions.

Bars are drawn by hand (rects + strings) so labels, truncation and value placement stay exact.
Labels are plain text and drawn as strings, so nothing is escaped here. A string is drawn in runs
of the faces that have its glyphs, as a paragraph is (``fonts.runs``): Latin in Noto Sans inside
Japanese, Japanese in IPAex inside English, other scripts in a fallback.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from reportlab.graphics.shapes import Circle, DirectDraw, Drawing, Line, PolyLine, Rect  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]

from briefgen.base.errors import Problem, RenderError
from briefgen.base.model import Bar, Chart, LineChart
from briefgen.render import fonts

log = logging.getLogger("briefgen")

#: The brief's palette: one accent colour, ink, a muted grey for secondary text, hairline rules.
ACCENT = colors.HexColor("#A61E22")
INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#5F6368")
RULE = colors.HexColor("#C8C8C8")
TINT = colors.HexColor("#F6F3EF")
#: Verdict tones: contradicted, over/understated, holds (always beside a text mark, never alone).
ALERT = colors.HexColor("#C4161C")
CAUTION = colors.HexColor("#A15C00")
OK = colors.HexColor("#1E7B34")

TITLE_SIZE = 10.0
LABEL_SIZE = 8.5
ROW = 18.0
BAR = 11.0
GAP = 6.0
ELLIPSIS = "…"


@dataclass(frozen=True)
class _Frame:
    """Horizontal geometry: where labels end, where zero is, and points per unit of value."""

    label_width: float
    zero: float
    scale: float


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut and ended with … if it is wider than ``width`` points."""
    if fonts.width(text, font, size) <= width:
        return text
    while text and fonts.width(text + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


class Text(DirectDraw):  # type: ignore[misc]  # ReportLab's shapes are untyped
    """A string drawn as one PDF text object in runs of the faces that have its glyphs
    (``fonts.runs``), so text extraction keeps it whole; ReportLab's ``String`` has one font only."""

    def __init__(self, x: float, y: float, text: str, font: str, size: float, color: colors.Color,
                 anchor: str = "start") -> None:
        super().__init__()
        self.text, self.size, self.color = text, size, color
        self.runs = [(face, part, fonts.width(part, face, size)) for face, part in fonts.runs(text, font)]
        self.width = sum(part_width for _, _, part_width in self.runs)
        self.x = x - {"start": 0.0, "middle": self.width / 2, "end": self.width}[anchor]
        self.y = y

    def getBounds(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.x + self.width, self.y + self.size

    def drawDirectly(self, renderer: Any) -> None:
        canvas = renderer._canvas  # renderPDF draws on its canvas
        canvas.saveState()
        canvas.setFillColor(self.color)
        draw_runs(canvas, self.x, self.y, [(face, part) for face, part, _ in self.runs], self.size)
        canvas.restoreState()


def draw_runs(canvas: Any, x: float, y: float, runs: list[tuple[str, str]], size: float) -> None:
    """(face, text) runs from ``x`` as one PDF text object, in the canvas's fill colour."""
    text = canvas.beginText(x, y)
    for face, part in runs:
        text.setFont(face, size)
        text.textOut(part)
    canvas.drawText(text)


def _check(title: str, values: Iterable[tuple[str, float]]) -> None:
    for label, value in values:
        if not math.isfinite(value):
            raise RenderError(Problem(f"chart {title!r}", f"bar {label!r} has value {value}",
                                      field="value", expected="a finite number"))


def _frame(chart: Chart, width: float, font: str) -> _Frame:
    widest = max(fonts.width(b.label, font, LABEL_SIZE) for b in chart.bars)
    label_width = min(widest, width * 0.34)
    value_width = max(fonts.width(b.display, font, LABEL_SIZE) for b in chart.bars)
    low = min(0.0, *(b.value for b in chart.bars))
    high = max(0.0, *(b.value for b in chart.bars))
    left = label_width + GAP + (value_width + GAP if low < 0 else 0)
    right = width - value_width - GAP
    scale = (right - left) / ((high - low) or 1.0)
    return _Frame(label_width, left - low * scale, scale)


def _bar(drawing: Drawing, bar: Bar, y: float, frame: _Frame, font: str) -> None:
    end = frame.zero + bar.value * frame.scale
    if bar.value:
        drawing.add(Rect(min(frame.zero, end), y, abs(end - frame.zero), BAR, fillColor=ACCENT,
                         strokeColor=None))
    label = fit(bar.label, font, LABEL_SIZE, frame.label_width)
    baseline = y + (BAR - LABEL_SIZE) / 2 + 1
    drawing.add(Text(frame.label_width, baseline, label, font, LABEL_SIZE, INK, "end"))
    forward = bar.value >= 0
    drawing.add(Text(end + (3 if forward else -3), baseline, bar.display, font, LABEL_SIZE, INK,
                        "start" if forward else "end"))


def bar_chart(chart: Chart, width: float, font: str) -> Drawing:
    """A horizontal bar chart ``width`` points wide, one row per bar, value text at each bar's end."""
    _check(chart.title, ((b.label, b.value) for b in chart.bars))
    rows = max(len(chart.bars), 1)
    height = TITLE_SIZE + 10 + rows * ROW
    drawing = Drawing(width, height, initialFontName=font, initialFontSize=LABEL_SIZE)
    drawing.add(Text(0, height - TITLE_SIZE, fit(chart.title, font, TITLE_SIZE, width), font,
                        TITLE_SIZE, INK))
    if not chart.bars:
        log.warning("chart %r has no bars; printing it empty", chart.title)
        drawing.add(Text(0, ROW / 2, "—", font, LABEL_SIZE, MUTED))
        return drawing
    frame = _frame(chart, width, font)
    top = height - TITLE_SIZE - 10
    for index, bar in enumerate(chart.bars):
        _bar(drawing, bar, top - (index + 1) * ROW + (ROW - BAR) / 2, frame, font)
    drawing.add(Line(frame.zero, 0, frame.zero, top, strokeColor=MUTED, strokeWidth=0.6))
    return drawing


LINE_HEIGHT = 72.0
POINT = 2.2
GAP_DASH = (2, 2)  # the dashes of a line across editions without a value


def line_chart(chart: LineChart, width: float, font: str) -> Drawing:
    """A small titled line ``width`` points wide: one column per edition with its label under it, a
    dot and the value over it where the edition has one (every value when they fit side by side, else
    the first and the last); the dots of consecutive editions are joined by a line, and across editions
    without a value by a dashed one, so the line never passes for a value nobody reported."""
    drawn = [(index, p, p.value) for index, p in enumerate(chart.points) if p.value is not None]
    _check(chart.title, ((p.label, value) for _, p, value in drawn))
    drawing = Drawing(width, LINE_HEIGHT + TITLE_SIZE + 2 * LABEL_SIZE + 20, initialFontName=font,
                      initialFontSize=LABEL_SIZE)
    drawing.add(Text(0, drawing.height - TITLE_SIZE, fit(chart.title, font, TITLE_SIZE, width), font,
                        TITLE_SIZE, INK))
    step = width / max(len(chart.points), 1)
    bottom = LABEL_SIZE + 6
    drawing.add(Line(0, bottom, width, bottom, strokeColor=RULE, strokeWidth=0.6))
    for index, point in enumerate(chart.points):
        drawing.add(Text(step * (index + 0.5), 0, fit(point.label, font, LABEL_SIZE, step), font, LABEL_SIZE,
                            MUTED, "middle"))
    if not drawn:
        return drawing
    y = _scale([value for _, _, value in drawn], bottom)
    xys = [(step * (index + 0.5), y(value)) for index, _, value in drawn]
    runs = _runs([index for index, _, _ in drawn], xys)
    for run in runs:
        if len(run) > 1:
            drawing.add(PolyLine([c for xy in run for c in xy], strokeColor=ACCENT, strokeWidth=1.4))
    for (x0, y0), (x1, y1) in ((before[-1], after[0]) for before, after in itertools.pairwise(runs)):
        drawing.add(Line(x0, y0, x1, y1, strokeColor=ACCENT, strokeWidth=0.8, strokeDashArray=GAP_DASH))
    widest = max(fonts.width(p.display, font, LABEL_SIZE) for _, p, _ in drawn)
    labelled = range(len(drawn)) if widest + GAP <= step else (0, len(drawn) - 1)
    for order, ((x, top), (_, point, _)) in enumerate(zip(xys, drawn)):
        drawing.add(Circle(x, top, POINT, fillColor=ACCENT, strokeColor=None))
        if order in labelled:
            drawing.add(Text(x, top + POINT + 3, point.display, font, LABEL_SIZE, INK, "middle"))
    return drawing


def _runs(indexes: list[int], xys: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """The points of editions that follow one another with a value each, run by run."""
    runs: list[list[tuple[float, float]]] = []
    for order, (index, xy) in enumerate(zip(indexes, xys)):
        if order and index == indexes[order - 1] + 1:
            runs[-1].append(xy)
        else:
            runs.append([xy])
    return runs


def _scale(values: list[float], bottom: float) -> Callable[[float], float]:
    """Value → height: the lowest and highest values a tenth of the range inside the plot (a flat line
    in the middle)."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return lambda value: bottom + (value - low + pad) / (high - low + 2 * pad) * LINE_HEIGHT
