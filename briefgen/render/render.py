"""A Brief → PDF bytes: an A4 newsroom brief laid out with ReportLab platypus, fonts embedded as subsets.

Pure: no files are written and nothing depends on the clock. The same Brief gives the same bytes
(``invariant=1`` on the document, and the PDF dates are the edition date). Markup blocks arrive
escaped from ``compose``; table cells, chart text, titles and source notes are plain text and are
escaped here, where they enter a Paragraph.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache, partial
from html import escape
from io import BytesIO
from itertools import pairwise, zip_longest
from typing import Any, Callable, Sequence

from briefgen.base.lazyimports import import_with_lazy_patterns

import_with_lazy_patterns("reportlab.platypus.paragraph")  # first: its unused Unicode-wide patterns wait for their first use

from reportlab import rl_config  # type: ignore[import-untyped]
from reportlab.lib.colors import HexColor  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import getAscentDescent, getFont, stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError  # type: ignore[import-untyped]
from reportlab.platypus.paragraph import FragLine, ParaLines, _handleBulletWidth  # type: ignore[import-untyped]

from briefgen.base import markdown, numfmt, words
from briefgen.base.errors import Problem, RenderError
from briefgen.base.model import Block, Brief, Bullets, Chart, Heading, KeyNumbers, Lang, LineChart, Markup, Para, Tone
from briefgen.base.model import Table as TableBlock
from briefgen.render import charts, fonts, linebreak
from briefgen.render.charts import ACCENT, ALERT, CAUTION, INK, MUTED, OK, RULE, TINT

MARGIN = 20 * mm
FRAME_PADDING = 6  # ReportLab's default Frame padding on each side
FRAME_WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
KEEP_START = 60  # points of a long table or paragraph a heading needs under it to stay on the page

DRAFT = "DRAFT"
DRAFT_INK = HexColor("#B3261E")
_IMG = re.compile(r"<\s*img\b", re.I)
_HEADINGS = frozenset({"title", "h1", "h2"})
_TONES = {"alert": ALERT, "caution": CAUTION, "ok": OK}
OBJECT = "\ufffc"  # stands in the line breaker's text for a fragment that has no text (an anchor)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@lru_cache(maxsize=None)
def _font(lang: Lang) -> str:
    """Register the edition's font family and forbid ReportLab from fetching any URL (global settings).

    Fallback fonts are registered on first need (``fonts.split_frags``/``font_for``), so a brief the
    core families cover never pays for reading them.
    """
    rl_config.trustedHosts = None
    rl_config.trustedSchemes = []
    return fonts.family(lang)


# --- styles ----------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _styles(lang: Lang) -> dict[str, ParagraphStyle]:
    font = _font(lang)
    heavy = fonts.bold(font)
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=16 if lang == "ja" else 15,
                          textColor=INK, spaceAfter=7, wordWrap="CJK")

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "body": base,
        "brand": style("brand", fontName=heavy, fontSize=10, leading=12, textColor=ACCENT),
        "meta": style("meta", fontSize=8.5, leading=12, textColor=MUTED, alignment=TA_RIGHT),
        "title": style("title", fontName=heavy, fontSize=20, leading=26, spaceBefore=6, spaceAfter=4),
        "dek": style("dek", fontSize=10.5, leading=16, textColor=MUTED, spaceAfter=2),
        "h1": style("h1", fontName=heavy, fontSize=13, leading=18, spaceBefore=2, spaceAfter=6,
                    keepWithNext=1),
        "h2": style("h2", fontName=heavy, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=4,
                    textColor=ACCENT, keepWithNext=1),
        "bullet": style("bullet", leftIndent=12, bulletIndent=2, spaceAfter=3, bulletFontName=font),
        "figure": style("figure", fontName=heavy, fontSize=20, leading=24, textColor=ACCENT,
                        spaceAfter=2),
        "label": style("label", fontSize=8.5, leading=12, textColor=MUTED, spaceAfter=0),
        "cell": style("cell", fontSize=8.5, leading=12, spaceAfter=0),
        "head": style("head", fontName=heavy, fontSize=8.5, leading=12, spaceAfter=0),
        "caption": style("caption", fontSize=8.5, leading=12, textColor=MUTED, spaceBefore=2, spaceAfter=4),
        "note": style("note", fontSize=8, leading=11.5, textColor=MUTED, leftIndent=16, bulletIndent=0, bulletFontSize=8,
                      spaceAfter=2, bulletFontName=font),
    }


# --- text entering paragraphs ----------------------------------------------------------------------


class _Paragraph(Paragraph):  # type: ignore[misc]
    """A Paragraph whose characters are each set in a face that has them (``fonts.split_frags``) and
    whose lines, in CJK wrapping, break where ``linebreak`` allows (ReportLab's own CJK wrapping
    knows only a few line-start characters and nothing of numbers, markers or widows)."""

    balance = False

    def _setup(self, text: str, style: ParagraphStyle, bulletText: Any, frags: Any, cleaner: Any) -> None:
        super()._setup(text, style, bulletText, frags, cleaner)
        if frags is None:
            parsed: list[Any] = self.__dict__["frags"]
            self.frags = fonts.split_frags(parsed)

    def wrap(self, availWidth: float, availHeight: float) -> Any:
        """ReportLab's wrap, not redone at the width of the last one while all it left stands (a table
        wraps each cell several times at one width; a split that finds no room drops the lines)."""
        left = self.__dict__
        memo = left.get("_briefgen_wrap")
        if (memo is not None and memo[0] == availWidth and memo[1] is left.get("blPara")
                and memo[2] == (left.get("width"), left.get("height"))):
            return memo[3]
        size = super().wrap(availWidth, availHeight)
        self._briefgen_wrap = (availWidth, left.get("blPara"), (left.get("width"), left.get("height")), size)
        return size

    def breakLinesCJK(self, maxWidths: Any) -> Any:
        if hasattr(self, "blPara") and getattr(self, "_splitpara", False):
            return self.blPara
        widths = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]
        self.height = 0
        _handleBulletWidth(self.bulletText, self.style, widths)
        return ParaLines(kind=1, lines=list(self._lines(tuple(widths))))

    def _lines(self, widths: tuple[float, ...]) -> tuple[Any, ...]:
        """The lines at these widths, broken once (tables wrap a cell several times at one width)."""
        memo: dict[tuple[float, ...], tuple[Any, ...]] = self.__dict__.setdefault("_briefgen_lines", {})
        if widths not in memo:
            chars = _Chars.of(self.frags)
            starts = linebreak.line_starts(chars.text, chars.widths, widths, forced=sorted(chars.forced),
                                           glued=chars.glued, balance=self.balance)
            memo[widths] = tuple(_line(chars, a, b, widths[min(n, len(widths) - 1)], b in chars.forced)
                                 for n, (a, b) in enumerate(zip(starts, [*starts[1:], len(chars.text)])))
        return memo[widths]


class _Heading(_Paragraph):
    """A title or heading: two lines are balanced, so no word is left alone on the last line."""

    balance = True


@dataclass(frozen=True)
class _Chars:
    """A paragraph flattened for line breaking: one entry per character (a fragment without text,
    such as an anchor, is one ``OBJECT`` character of no width), and the explicit line breaks."""

    text: str
    frags: tuple[Any, ...]
    cuts: tuple[int, ...]  # where each run of one fragment starts, and the end of the text
    widths: tuple[float, ...]
    glued: tuple[bool, ...]
    forced: frozenset[int]

    @classmethod
    def of(cls, fragments: Sequence[Any]) -> _Chars:
        text: list[str] = []
        frags: list[Any] = []
        cuts: list[int] = []
        widths: list[float] = []
        glued: list[bool] = []
        forced: set[int] = set()
        for frag in fragments:
            if hasattr(frag, "lineBreak"):
                forced.add(len(frags))  # the index of the next character
                continue
            shown = frag.text or OBJECT
            text.append(shown)
            if not frags or frags[-1] is not frag:
                cuts.append(len(frags))
            frags.extend([frag] * len(shown))
            widths.extend(_widths(frag) if frag.text else [float(getattr(getattr(frag, "cbDefn", None), "width", 0))])
            glued.extend([bool(getattr(frag, "rise", 0))] * len(shown))
        return cls("".join(text), tuple(frags), (*cuts, len(frags)), tuple(widths), tuple(glued), frozenset(forced))


def _widths(frag: Any) -> list[float]:
    """Each character's advance in the fragment's font (ReportLab's own TrueType width table)."""
    face = getattr(getFont(frag.fontName), "face", None)
    if face is None:
        return [float(stringWidth(char, frag.fontName, frag.fontSize)) for char in frag.text]
    table, default, scale = face.charWidths, face.defaultWidth, frag.fontSize / 1000
    return [table.get(ord(char), default) * scale for char in frag.text]


def _line(chars: _Chars, start: int, end: int, width: float, forced: bool) -> Any:
    """One line of ``chars`` as ReportLab's CJK line: runs of one fragment, its widest ascent and descent."""
    runs = []
    for cut, next_cut in pairwise(chars.cuts[bisect_right(chars.cuts, start) - 1:]):
        first, stop = max(cut, start), min(next_cut, end)
        if first >= stop:
            break
        shown = chars.text[first:stop]
        runs.append(chars.frags[first].clone(text="" if shown == OBJECT * len(shown) else shown))
    metrics = [getAscentDescent(name, size) for name, size in {(run.fontName, run.fontSize) for run in runs}]
    used = sum(chars.widths[start:end])
    return FragLine(kind=1, extraSpace=width - used, wordCount=1, words=runs,
                    fontSize=max((w.fontSize for w in runs), default=0),
                    ascent=max((a for a, _ in metrics), default=0), descent=min((d for _, d in metrics), default=0),
                    maxWidth=width, currentWidth=used, lineBreak=forced)


def _plain(text: str) -> Markup:
    """Plain text → paragraph markup (the one escape for table cells, titles and notes)."""
    return Markup(escape(text, quote=False))


def _para(markup: Markup, style: ParagraphStyle, where: str, bullet: str | None = None) -> Paragraph:
    if _IMG.search(markup):
        raise RenderError(Problem(where, "images are not allowed in brief text",
                                  expected="text markup only (<b>, <i>, <super>, <font>, entities)"))
    try:
        return (_Heading if style.name in _HEADINGS else _Paragraph)(markup, style, bulletText=bullet)
    except ValueError as exc:
        reason = " ".join(str(exc).split())[:300]
        raise RenderError(Problem(where, f"invalid paragraph markup: {reason}",
                                  expected="ReportLab paragraph markup (<b>, <i>, <super>, entities)")) from exc


# --- blocks ----------------------------------------------------------------------------------------


def _heading(block: Heading, lang: Lang, where: str) -> list[Flowable]:
    if block.level > 1:
        return [_para(block.text, _styles(lang)["h2"], where)]
    rule = HRFlowable(width="100%", thickness=0.6, color=RULE, spaceBefore=12, spaceAfter=6)
    rule.keepWithNext = 1
    return [rule, _para(block.text, _styles(lang)["h1"], where)]


def _bullets(block: Bullets, lang: Lang, where: str) -> list[Flowable]:
    items = [_para(item, _styles(lang)["bullet"], where, bullet="•") for item in block.items]
    return [*items, Spacer(1, 4)]


def _table_style(lang: Lang, commands: list[tuple[Any, ...]]) -> TableStyle:
    """A TableStyle whose own text font is the embedded one (ReportLab's default is Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), _font(lang)), *commands])


def _columns(count: int) -> int:
    """2–4 columns: all in one row up to 4, else the width that leaves the fewest empty cells."""
    if count <= 4:
        return max(count, 1)
    return min((4, 3), key=lambda cols: ((-count) % cols, -cols))


def _figure_style(style: ParagraphStyle, figures: Sequence[Markup], width: float) -> ParagraphStyle:
    """The figure style, shrunk (down to 11pt) so the widest figure stays on one line of ``width``:
    one size for every figure of the panel."""
    wide = max(fonts.width(markdown.visible(f), style.fontName, style.fontSize) for f in figures)
    size = max(11.0, min(style.fontSize, style.fontSize * width / wide)) if wide else style.fontSize
    return ParagraphStyle("figure-fit", parent=style, fontSize=size, leading=max(size * 1.2, 16))


def _key_numbers(block: KeyNumbers, lang: Lang, where: str) -> list[Flowable]:
    if not block.items:
        return []
    styles = _styles(lang)
    cols = _columns(len(block.items))
    figure = _figure_style(styles["figure"], [k.figure for k in block.items], FRAME_WIDTH / cols - 24)
    cells = [[_para(k.figure, figure, where),
              _para(k.label, styles["label"], where)] for k in block.items]
    rows = [cells[i:i + cols] + [[]] * (cols - len(cells[i:i + cols])) for i in range(0, len(cells), cols)]
    table = Table(rows, colWidths=[FRAME_WIDTH / cols] * cols, splitInRow=1)
    table.setStyle(_table_style(lang, [
        ("BACKGROUND", (0, 0), (-1, -1), TINT),
        ("LINEABOVE", (0, 0), (-1, 0), 2, ACCENT),
        ("LINEBEFORE", (1, 0), (-1, -1), 0.5, RULE),
        ("LINEBELOW", (0, 0), (-1, -2), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 9),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
        ("LEFTPADDING", (0, 0), (-1, -1), 10),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
    ]))
    return [Spacer(1, 4), table, Spacer(1, 12)]


def _chart(block: Chart | LineChart, lang: Lang, where: str) -> list[Flowable]:
    draw = charts.bar_chart(block, FRAME_WIDTH, _font(lang)) if isinstance(block, Chart) else \
        charts.line_chart(block, FRAME_WIDTH, _font(lang))
    parts: list[Flowable] = [draw]
    if block.caption:
        parts.append(_para(_plain(block.caption), _styles(lang)["caption"], where))
    return [Spacer(1, 6), KeepTogether(parts), Spacer(1, 8)]


def _weights(block: TableBlock) -> list[float]:
    """Column widths in points: the block's own weights, else proportional to each column's longest cell."""
    if block.widths:
        weights = list(block.widths)
    else:
        weights = [min(max(sum(2 if ord(c) > 0x2E7F else 1 for c in cell) for cell in column), 36) + 4
                   for column in zip(block.header, *block.rows)]
    total = sum(weights)
    return [FRAME_WIDTH * w / total for w in weights]


def _toned(style: ParagraphStyle, tone: Tone | None) -> ParagraphStyle:
    """The cell style in a tone's colour (an alert also in bold)."""
    if not tone:
        return style
    return ParagraphStyle(f"{style.name}-{tone}", parent=style, textColor=_TONES[tone],
                          fontName=fonts.bold(style.fontName) if tone == "alert" else style.fontName)


def _check_table(block: TableBlock, where: str) -> None:
    width = len(block.header)
    if block.widths and (len(block.widths) != width or min(block.widths) <= 0):
        raise RenderError(Problem(where, f"table widths {block.widths} do not fit {width} columns",
                                  field="widths", expected=f"{width} positive numbers, or none"))
    for number, row in enumerate(block.rows, start=1):
        if len(row) != width:
            raise RenderError(Problem(where, f"table row {number} has {len(row)} cells", line=number,
                                      expected=f"{width} cells, like the header"))
    if block.tones and [len(t) for t in block.tones] != [width] * len(block.rows):
        raise RenderError(Problem(where, "table tones do not match its cells", field="tones",
                                  expected=f"none, or {width} tones for each of the {len(block.rows)} rows"))


def _table(block: TableBlock, lang: Lang, where: str) -> list[Flowable]:
    _check_table(block, where)
    styles = _styles(lang)
    rows = [[_para(_plain(c), styles["head"], where) for c in block.header]]
    tones: Sequence[Sequence[Tone]] = block.tones or [()] * len(block.rows)
    rows += [[_para(_plain(c), _toned(styles["cell"], tone), where) for c, tone in zip_longest(row, row_tones)]
             for row, row_tones in zip(block.rows, tones)]
    table = Table(rows, colWidths=_weights(block), repeatRows=1, splitInRow=1)
    table.setStyle(_table_style(lang, [
        ("LINEABOVE", (0, 0), (-1, 0), 1, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    caption = [_para(_plain(block.caption), styles["caption"], where)] if block.caption else []
    return [*caption, table, Spacer(1, 10)]


def _block(block: Block, lang: Lang, where: str) -> list[Flowable]:
    if isinstance(block, Heading):
        return _heading(block, lang, where)
    if isinstance(block, Para):
        return [_para(block.text, _styles(lang)["body"], where)]
    if isinstance(block, Bullets):
        return _bullets(block, lang, where)
    if isinstance(block, KeyNumbers):
        return _key_numbers(block, lang, where)
    if isinstance(block, (Chart, LineChart)):
        return _chart(block, lang, where)
    return _table(block, lang, where)


# --- the whole brief -------------------------------------------------------------------------------


def _edition(brief: Brief) -> str:
    return words.text("pdf.edition", brief.lang, date=numfmt.date(brief.date, brief.lang))


def _masthead(brief: Brief) -> list[Flowable]:
    styles = _styles(brief.lang)
    where = f"{brief.brief_id} ({brief.lang}) masthead"
    meta = f"{_edition(brief)}  ·  {words.text('pdf.language', brief.lang)}"
    top = Table([[_para(Markup("briefgen"), styles["brand"], where), _para(_plain(meta), styles["meta"], where)]],
                colWidths=[FRAME_WIDTH / 2] * 2)
    top.setStyle(_table_style(brief.lang, [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                             ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                             ("LINEBELOW", (0, 0), (-1, 0), 2, ACCENT)]))
    parts = [top, _para(_plain(brief.title), styles["title"], where)]
    if brief.subject and not brief.subject.startswith(brief.title):
        parts.append(_para(_plain(brief.subject), styles["dek"], where))
    return [*parts, HRFlowable(width="100%", thickness=0.6, color=INK, spaceBefore=6, spaceAfter=10)]


def _notes(brief: Brief) -> list[Flowable]:
    if not brief.notes:
        return []
    where = f"{brief.brief_id} ({brief.lang}) source notes"
    heading = _heading(Heading(_plain(words.text("pdf.sources", brief.lang))), brief.lang, where)
    style = _styles(brief.lang)["note"]
    return heading + [_para(_plain(n.text), style, where, bullet=f"{n.number}.") for n in brief.notes]


def _story(brief: Brief) -> list[Flowable]:
    """Every flowable, each tagged with the section (last heading) it belongs to, for error messages."""
    story = _tagged(_masthead(brief), "masthead")
    section = "(before the first heading)"
    for index, block in enumerate(brief.blocks, start=1):
        if isinstance(block, Heading):
            section = markdown.visible(block.text)
        where = f"{brief.brief_id} ({brief.lang}) block {index} ({type(block).__name__}, section {section!r})"
        story += _tagged(_block(block, brief.lang, where), section)
    return story + _tagged(_notes(brief), words.text("pdf.sources", brief.lang))


def _tagged(flowables: list[Flowable], section: str) -> list[Flowable]:
    for flowable in flowables:
        flowable.briefgen_section = section
    return flowables


class _KeepWithStart(KeepTogether):  # type: ignore[misc]
    """A heading kept with the start of what follows, not all of it.

    ReportLab's keepWithNext keeps a heading with the whole next flowable, so a table that does not
    fit under its heading moves to the next page whole and leaves a gap. Here, when at least
    ``KEEP_START`` points of it fit under the heading, they flow on together and it splits there.
    """

    def split(self, aW: float, aH: float) -> list[Flowable]:
        *head, last = self._content
        used = sum(f.wrapOn(self.canv, aW, aH)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in head)
        room = aH - used - last.getSpaceBefore()
        if room >= KEEP_START and last.split(aW, room):
            return list(self._content)
        return list(super().split(aW, aH))


class _BriefDoc(SimpleDocTemplate):  # type: ignore[misc]
    """An A4 document that remembers which section it is laying out, to name it when layout fails."""

    section = "masthead"

    def handle_flowable(self, flowables: list[Flowable]) -> None:
        self.section = getattr(flowables[0], "briefgen_section", self.section) if flowables else self.section
        super().handle_flowable(flowables)


def _pdf_date(day: dt.date, *_: int) -> str:
    return f"D:{day:%Y%m%d}000000+00'00'"


def _footer(canvas: Canvas, brief: Brief, page: int, total: int) -> None:
    font = _font(brief.lang)
    y = MARGIN - 10 * mm
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    left, right = MARGIN + FRAME_PADDING, A4[0] - MARGIN - FRAME_PADDING
    canvas.line(left, y + 11, right, y + 11)
    canvas.setFillColor(MUTED)
    numbers = f"{page} / {total}"
    charts.draw_runs(canvas, left, y, fonts.runs(charts.fit(brief.title, font, 8, FRAME_WIDTH * 0.8), font), 8)
    canvas.setFont(font, 8)
    canvas.drawRightString(right, y, numbers)
    canvas.restoreState()
    if brief.draft:
        _draft_marks(canvas, brief, font)


def _draft_marks(canvas: Canvas, brief: Brief, font: str) -> None:
    """A draft's page: a line above the frame saying so, and DRAFT across the page, faint."""
    canvas.saveState()
    canvas.setFillColor(DRAFT_INK)
    charts.draw_runs(canvas, MARGIN + FRAME_PADDING, A4[1] - MARGIN + 6 * mm,
                     fonts.runs(words.text("pdf.draft", brief.lang), font), 9)
    canvas.setFillAlpha(0.12)
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(45)
    canvas.setFont(font, 110)
    canvas.drawCentredString(0, -40, DRAFT)
    canvas.restoreState()


def _canvas_maker(brief: Brief) -> Callable[..., Canvas]:
    """A canvas class that holds pages back until the end, to print "page / pages" in each footer."""

    class BriefCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.setDateFormatter(partial(_pdf_date, brief.date))
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for page, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                _footer(self, brief, page, len(self._held))
                super().showPage()
            super().save()

    return BriefCanvas


def _build(brief: Brief, story: Sequence[Flowable]) -> bytes:
    buffer = BytesIO()
    doc = _BriefDoc(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                    bottomMargin=MARGIN, title=f"{DRAFT}: {brief.title}" if brief.draft else brief.title,
                    author=brief.author, subject=brief.subject or brief.title, creator="briefgen", lang=brief.lang, invariant=1,
                    initialFontName=_font(brief.lang), keepTogetherClass=_KeepWithStart)
    try:
        doc.build(list(story), canvasmaker=_canvas_maker(brief))
    except LayoutError as exc:
        raise RenderError(Problem(
            f"{brief.brief_id} ({brief.lang})",
            f"section {doc.section!r} does not fit on an A4 page: {_ADDRESS.sub('', str(exc))}",
            expected="content that can split across pages (shorter table cells, fewer chart bars)")) from exc
    return buffer.getvalue()


def render_pdf(brief: Brief) -> bytes:
    """The brief as PDF bytes: masthead, key numbers, text, charts, tables, source notes, "n / N" footers."""
    return _build(brief, _story(brief))
