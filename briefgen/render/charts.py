"""A model.Chart → a ReportLab vector Drawing: a titled horizontal bar chart with value labels.

Bars are drawn by hand (rects + strings) so labels, truncation and value placement stay exact.
Labels are plain text and drawn as strings, so nothing is escaped here. A string is drawn in runs
of the faces that have its glyphs, as a paragraph is (``fonts.runs``): Latin in Noto Sans inside
Japanese, Japanese in IPAex inside English, other scripts in a fallback.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.shapes import DirectDraw, Drawing, Line, Rect  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]

from briefgen.base.errors import Problem, RenderError
from briefgen.base.model import Bar, Chart
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


def _check(chart: Chart) -> None:
    for bar in chart.bars:
        if not math.isfinite(bar.value):
            raise RenderError(Problem(f"chart {chart.title!r}", f"bar {bar.label!r} has value {bar.value}",
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
    _check(chart)
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
