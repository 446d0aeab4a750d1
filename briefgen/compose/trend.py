"""A ```trend block + the fact history → a table of each fact's value by edition, and a line per fact.

```` ```trend xai_h100_count colossus_power ```` lists, for each fact, its value in every edition the
history holds (oldest first, this edition last) with the change from the edition before
(``numfmt.step``: ``+5万台（+50%）``), then draws a small line over the editions for each fact that
has two values or more in one unit. This edition's value carries the fact's source marker; earlier
values are as those editions printed them. Without an earlier edition the block says so.
"""

from __future__ import annotations

import re
from typing import Iterator

from briefgen.base import markdown, numfmt, words
from briefgen.base.errors import ComposeError, Problem, did_you_mean, quoted
from briefgen.base.model import Block, FactHistory, Lang, LineChart, Markup, Para, Point, Precision, Quantity, Table
from briefgen.compose.figures import Ctx, escape

_OPENING = re.compile(r"\s*```trend(\s.*|)")
FORM = "```trend and one or more fact ids, e.g. ```trend xai_h100_count colossus_power"

#: The table's columns (``words`` keys ``header.<column>``).
COLUMNS = ("item", "edition", "value", "change")


def trend(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    """The ```trend block: a table of values by edition, then a line chart per fact."""
    ids = _ids(d, ctx, origin)
    history = ctx.history
    if history is None or len(history.editions) < 2:
        return (Para(Markup(escape(words.text("trend.none", ctx.lang)))),)
    found = []
    for fact_id in ids:
        if fact_id not in history.facts:
            raise ComposeError(Problem(origin, f"```trend {fact_id}: the fact history given to compose does not "
                                       "hold it", line=d.line, expected="a history loaded for the template's ids"))
        found.append(history.facts[fact_id])
    rows = tuple(row for one in found for row in _rows(one, ctx))
    table = Table(tuple(words.text(f"header.{column}", ctx.lang) for column in COLUMNS), rows, widths=(4, 3, 3, 4))
    return (table, *(chart for one in found if (chart := _line(one, ctx)) is not None))


def _ids(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[str, ...]:
    """The block's fact ids: each a fact of this edition or of the history, and an amount, not an event."""
    ids = tuple(dict.fromkeys(d.arg.split()))
    if not ids:
        raise ComposeError(Problem(origin, "```trend names no fact", line=d.line, expected=FORM))
    known = () if ctx.history is None else ctx.history.facts
    for fact_id in ids:
        fact = ctx.facts.facts.get(fact_id)
        if fact is None and fact_id not in known:
            hint = did_you_mean(fact_id, ctx.facts.facts)
            raise ComposeError(Problem(origin, f"```trend: no fact {quoted(fact_id)}{hint}", line=d.line, expected=FORM))
        if fact is not None and fact.quantity is None:
            raise ComposeError(Problem(origin, f"```trend: {fact_id} is an event, not an amount", line=d.line,
                                       expected="facts with a value or a range"))
    return ids


def _precision(fact_id: str, ctx: Ctx) -> Precision:
    fact = ctx.facts.facts.get(fact_id)
    return "exact" if fact is None else fact.precision


def _rows(history: FactHistory, ctx: Ctx) -> Iterator[tuple[str, str, str, str]]:
    """One row per edition: the fact's label on its first, the edition, the value, the change."""
    lang = ctx.lang
    precision = _precision(history.fact_id, ctx)
    fact = ctx.facts.facts.get(history.fact_id)
    name = _name(history, lang)
    last = len(history.values) - 1
    before: Quantity | None = None
    for index, (date, value) in enumerate(history.values):
        shown = words.text("none", lang) if value is None else numfmt.quantity(value, lang, precision=precision)
        if index == last and value is not None and fact is not None:
            shown = f"{shown} {ctx.marker(fact)}"
        yield (name if index == 0 else "", numfmt.date(date, lang), shown,
               _change(before, value, index, lang, precision))
        before = value


def _change(before: Quantity | None, value: Quantity | None, index: int, lang: Lang, precision: Precision) -> str:
    if index == 0 or (before is None and value is None):
        return ""
    if before is None:
        return words.text("trend.new", lang)
    if value is None:
        return words.text("trend.absent", lang)
    return numfmt.step(before, value, lang, precision)


def _line(history: FactHistory, ctx: Ctx) -> LineChart | None:
    """The fact's values over the editions, when two or more editions have one, all in one unit."""
    present = [v for _, v in history.values if v is not None]
    if len(present) < 2 or len({v.unit for v in present}) > 1:
        return None
    precision = _precision(history.fact_id, ctx)
    points = tuple(Point(numfmt.month_day(d, ctx.lang), None) if v is None else
                   Point(numfmt.month_day(d, ctx.lang), float(v.mid), numfmt.quantity(v, ctx.lang, precision=precision))
                   for d, v in history.values)
    return LineChart(_name(history, ctx.lang), points)


def _name(history: FactHistory, lang: Lang) -> str:
    """The fact's label in ``lang``, else in the other language, else its id."""
    return history.label.own(lang) or history.label.other(lang) or history.fact_id


def asked(source: str) -> tuple[str, ...] | None:
    """The fact ids a template's ```trend blocks name (``()``: it has none); ``None`` when a block's ids
    are written with Jinja, so only the rendered template knows them (every fact's history is wanted)."""
    ids: list[str] = []
    for line in source.splitlines():
        opening = _OPENING.fullmatch(line)
        if opening and "{" in opening[1]:
            return None
        ids.extend(opening[1].split() if opening else ())
    return tuple(dict.fromkeys(ids))
