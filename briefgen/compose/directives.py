"""Fenced directives + composed data → model blocks (key numbers, charts, tables, source notes).

``DIRECTIVES`` maps each directive name (keynumbers, chart <id>, comparisons, claims, conflicts,
changes, facts, sources; trend <fact ids> from ``briefgen.compose.trend``) to the handler that builds
its blocks from data, never from template text.
Table cells and chart labels are plain text (``render`` escapes them). The claims panel words each
check as "what the article says → what the facts compute (verdict)", e.g. ``“half” → 42%:
overstated``, and names any conflict behind the claimed figure and the value used.

An unavailable comparison (``if_unavailable: na``) prints ``NA`` (n/a, 算出不可) without a marker
wherever its figure or formula would go, a claim on it is "not checkable", and a chart leaves its bar
out and says so in the caption.
"""

from __future__ import annotations

import logging
import re
from itertools import islice
from pathlib import PurePath
from typing import Callable, Iterable, Mapping, TypeVar

from briefgen.base import markdown, numfmt, units, words
from briefgen.base.errors import ComposeError, Problem, did_you_mean, quoted
from briefgen.base.model import (
    Bar,
    Block,
    Bullets,
    Change,
    Chart,
    ClaimCheck,
    ClaimSpec,
    ClaimWarning,
    Comparison,
    Fact,
    KeyNumber,
    KeyNumbers,
    Lang,
    Localized,
    Markup,
    Para,
    PartialDate,
    Quantity,
    Source,
    Table,
    Tone,
    Verdict,
)
from briefgen.compose import trend
from briefgen.compose.figures import (
    Ctx,
    Escaped,
    Item,
    computed,
    escape,
    figure,
    formula,
    inputs,
    label,
    superscript,
    unmarked,
)

log = logging.getLogger("briefgen")

_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")

#: Rows a ```facts, ```conflicts or ```changes block shows unless its fence says (```facts 50);
#: a longer list is cut there with a line saying how many are shown and where the rest are.
MAX_ROWS = 200
ROWS_LIMIT = 10_000
ROWS_FORM = f"a whole number of rows from 1 to {ROWS_LIMIT:,} after the directive (default {MAX_ROWS})"
T = TypeVar("T")
#: Each verdict's tone (render colours the check: red, amber, green); its mark is ``mark.<verdict>``.
TONES: dict[Verdict, Tone] = {
    "contradicted": "alert", "overstated": "caution", "understated": "caution", "holds": "ok", "unverifiable": "",
}
_PLAIN: Tone = ""
#: Each table's header cells (``header.<id>`` in the word table).
HEADERS: dict[str, tuple[str, ...]] = {
    "comparisons": ("comparison", "value", "formula"),
    "claims": ("said", "check", "note"),
    "conflicts": ("item", "value", "as_written", "status"),
    "facts": ("item", "value", "as_of", "source"),
}


def _header(table: str, lang: Lang) -> tuple[str, ...]:
    return tuple(words.text(f"header.{cell}", lang) for cell in HEADERS[table])


def _labels(d: markdown.Directive, ctx: Ctx, origin: str) -> dict[str, str]:
    """Label overrides from a directive body: one ``id: label`` per line."""
    found: dict[str, str] = {}
    for line in d.body:
        item_id, sep, text = line.partition(":")
        if not sep or not text.strip():
            raise ComposeError(Problem(origin, f"bad line {line[:60]!r} in ```{d.name}", line=d.line,
                                       expected="id: label"))
        ctx.item(item_id.strip(), origin, d.line)
        found[item_id.strip()] = text.strip()
    return found


# --- the blocks -----------------------------------------------------------------------------------


def _keynumbers(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    labels = _labels(d, ctx, origin)
    stray = [i for i in labels if i not in ctx.spec.key_numbers]
    if stray:
        raise ComposeError(Problem(origin, f"```keynumbers labels {', '.join(stray)}, which the brief "
                                   "spec does not list as key numbers", line=d.line,
                                   expected=f"labels for {', '.join(ctx.spec.key_numbers) or 'none'}"))
    return (KeyNumbers(key_numbers(ctx, labels, origin)),)


def key_numbers(ctx: Ctx, labels: Mapping[str, str], origin: str) -> tuple[KeyNumber, ...]:
    """The spec's key numbers with their captions: a ```keynumbers label, else the item's own label."""
    items = []
    for item_id in ctx.spec.key_numbers:
        item = ctx.item(item_id, ctx.spec.origin)
        shown = superscript(escape(figure(item, ctx.lang)), ctx.marker(item))
        named = markdown.inline(labels[item_id], origin, ctx.lang) if item_id in labels else escape(label(item, ctx))
        items.append(KeyNumber(Markup(shown), Markup(named)))
    return tuple(items)


def _chart(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    spec = next((c for c in ctx.spec.charts if c.id == d.arg), None)
    if spec is None:
        hint = did_you_mean(d.arg, [c.id for c in ctx.spec.charts])
        raise ComposeError(Problem(origin, f"```chart {d.arg!r} is not in the brief spec{hint}", line=d.line,
                                   expected=f"one of {', '.join(c.id for c in ctx.spec.charts)}"))
    items = [ctx.item(i, ctx.spec.origin) for i in spec.items]
    drawn = [i for i in items if not _unavailable(i)]
    bars = tuple(Bar(label(i, ctx), _magnitude(i, spec.unit, origin), figure(i, ctx.lang))
                 for i in drawn)
    return (Chart(spec.title.get(ctx.lang, spec.id), bars, _chart_caption(drawn, items, ctx)),)


def _chart_caption(drawn: list[Item], items: list[Item], ctx: Ctx) -> str:
    """``Sources: [1][2]``, then the items left out because they are unavailable."""
    cites = "".join(dict.fromkeys(ctx.marker(i) for i in drawn))
    skipped = ", ".join(label(i, ctx) or i.id for i in items if _unavailable(i))
    parts = (words.text("chart.sources", ctx.lang, markers=cites) if cites else "",
             words.text("chart.not_drawn", ctx.lang, items=skipped) if skipped else "")
    return " ".join(p for p in parts if p)


def _unavailable(item: Item) -> bool:
    return isinstance(item, Comparison) and item.value is None


def _magnitude(item: Item, unit: str, origin: str) -> float:
    q = item.value if isinstance(item, Comparison) else item.quantity
    if q is None:
        raise ComposeError(Problem(origin, f"{item.id} is an event, not an amount", field="chart",
                                   expected="facts or comparisons with a quantity"))
    try:
        return float(q.mid) * units.factor(units.parse(q.unit), units.parse(unit))
    except ValueError as exc:
        raise ComposeError(Problem(origin, f"{item.id} ({q.unit}) cannot be drawn in {unit}: {exc}",
                                   field="chart", expected=f"items in a unit convertible to {unit}")) from None


def _comparisons(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    labels = {k: markdown.visible(v) for k, v in _labels(d, ctx, origin).items()}
    rows = tuple((labels.get(c.id) or label(c, ctx), figure(c, ctx.lang),
                  f"{formula(c, ctx.lang)} {ctx.marker(c)}".strip()) for c in ctx.comparisons.values())
    return (Table(_header("comparisons", ctx.lang), rows),)


def _claims(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    if not ctx.checks:
        return _notice("claim.none", ctx.lang)
    rows = tuple(_claim_row(check, ctx) for check in ctx.checks)
    tones = tuple((_PLAIN, TONES[check.verdict], _PLAIN) for check in ctx.checks)
    return (Table(_header("claims", ctx.lang), rows, widths=(3, 4, 4), tones=tones),)


def _claim_row(check: ClaimCheck, ctx: Ctx) -> tuple[str, str, str]:
    """「半分」→ 42%（誇張） [1] — the article's figure, the computed one, the verdict, the sources; the
    note says computed vs asserted, how far off, and the tolerance, in the edition's language."""
    quote, said, marker, note = _claim_cells(check, ctx)
    return quote, f"{said} {marker}".rstrip(), note


#: The verdicts an email warns about: the article's figure is wrong, or off by more than its tolerance.
WARNED = ("contradicted", "overstated", "understated")


def claim_warnings(ctx: Ctx) -> tuple[ClaimWarning, ...]:
    """The claims the facts contradict or that over/understate them, worded as in the claims table
    (without the source markers, which only the PDF's notes resolve)."""
    return tuple(ClaimWarning(check.verdict, quote, unmarked(said), unmarked(note))
                 for check in ctx.checks if check.verdict in WARNED
                 for quote, said, _, note in (_claim_cells(check, ctx),))


def _claim_cells(check: ClaimCheck, ctx: Ctx) -> tuple[str, str, str, str]:
    """A claim's quote, finding, source marker and note."""
    target = ctx.item(check.claim.target, check.claim.origin)
    if check.claim.asserted is None:
        return _order_cells(check, target, ctx)
    kind = target.kind if isinstance(target, Comparison) else None
    said = words.text("claim.check", ctx.lang, said=_asserted(check.claim, kind, ctx.lang),
                      verdict=verdict(check.verdict, ctx.lang), mark=mark(check.verdict, ctx.lang),
                      computed=computed(check, target, ctx.lang))
    notes = (words.text(f"position.{check.position}", ctx.lang) if check.position else "", measure(check, target, ctx.lang),
             *_conflict_notes(target, ctx), _claim_note(check.claim, ctx.lang))
    return _claim_quote(check.claim, ctx.lang), said, ctx.marker(target), _notes(notes, ctx.lang)


def _notes(notes: Iterable[str], lang: Lang) -> str:
    return words.text("note.sep", lang).join(n for n in notes if n)


def measure(check: ClaimCheck, target: Item, lang: Lang) -> str:
    """``computed 42% vs asserted 50% (+19.2%); tolerance ±5%, contradicted beyond ±25%`` (ja: 計算値…);
    "" for an order claim or an unverifiable one."""
    claim = check.claim
    if check.computed is None or claim.asserted is None:
        return ""
    kind = target.kind if isinstance(target, Comparison) else None
    off = words.text("claim.deviation", lang, value=numfmt.deviation(check.deviation, lang)) \
        if check.deviation is not None else ""
    return words.text("claim.measure", lang, computed=computed(check, target, lang), deviation=off,
                      asserted=numfmt.quantity(claim.asserted, lang, kind=kind, precision="exact"),
                      tolerance=numfmt.plus_minus(claim.tolerance, lang),
                      beyond=numfmt.plus_minus(claim.contradicted_beyond, lang))


def verdict(name: Verdict, lang: Lang) -> str:
    """A verdict in words: ``誇張`` / ``overstated``."""
    return words.text(f"verdict.{name}", lang)


def mark(name: Verdict, lang: Lang) -> str:
    """A verdict's mark: ``✗ ▲ ▼ ✓``, and ``？`` / ``?`` for a claim the facts cannot check."""
    return words.text(f"mark.{name}", lang)


_CLAIMED = {"less_than": "<", "greater_than": ">"}


def order_text(check: ClaimCheck, of: Item, than: Item, names: tuple[str, str], lang: Lang) -> str:
    """``Frontier power < Aurora power → 22.7 MW < 38.7 MW: holds`` (``names``: of's and than's; the
    computed relation between the figures: ``<``, ``>``, ``=``, or ``≈`` when their ranges overlap)."""
    b = words.text("na", lang) if check.other is None else numfmt.quantity(check.other, lang, precision=than.precision)
    return words.text("claim.order", lang, of=names[0], claimed=_CLAIMED[check.claim.kind], than=names[1],
                      a=computed(check, of, lang), b=b, actual=_actual(check),
                      verdict=verdict(check.verdict, lang), mark=mark(check.verdict, lang))


def _actual(check: ClaimCheck) -> str:
    a, b = check.computed, check.other
    if a is None or b is None:
        return "?"
    if a.high < b.low:
        return "<"
    if a.low > b.high:
        return ">"
    return "=" if (a.low, a.high) == (b.low, b.high) else "≈"


def _order_cells(check: ClaimCheck, of: Item, ctx: Ctx) -> tuple[str, str, str, str]:
    than = ctx.item(check.claim.than, check.claim.origin)
    marker = ctx.cite((*inputs(of), *inputs(than)), check.claim.id) if check.computed is not None else ""
    notes = (words.text("claim.overlap", ctx.lang) if check.note == "ranges overlap" else "",
             *_conflict_notes(of, ctx), *_conflict_notes(than, ctx), _claim_note(check.claim, ctx.lang))
    return (_claim_quote(check.claim, ctx.lang),
            order_text(check, of, than, (label(of, ctx), label(than, ctx)), ctx.lang), marker,
            _notes(notes, ctx.lang))


def _asserted(claim: ClaimSpec, kind: str | None, lang: Lang) -> str:
    """What the article asserts, in words: ``半分`` / ``half`` for a share of 0.5, ``290億元以上``."""
    asserted = claim.asserted
    if asserted is None:
        return ""
    if kind == "share" and asserted.unit == "1" and not asserted.is_range:
        text = numfmt.share_words(asserted.mid, lang)
    else:
        text = numfmt.quantity(asserted, lang, kind=kind, precision="exact")
    return words.text(f"direction.{claim.direction}", lang, value=text)


def foreign(text: str, lang: Lang) -> bool:
    """Is ``text`` in the other edition's language (Japanese in the en edition, none in the ja one)?"""
    japanese = bool(_JAPANESE.search(text))
    return japanese if lang == "en" else not japanese and any(c.isalpha() for c in text)


def _claim_quote(claim: ClaimSpec, lang: Lang) -> str:
    """The article's words; with the editor's translation when they are in the other language."""
    quoted = words.text("quote", lang, text=claim.quote)
    gloss = claim.gloss.own(lang)
    if gloss and foreign(claim.quote, lang):
        return words.text("gloss", lang, quote=quoted, gloss=words.text("gloss.quote", lang, text=gloss))
    return quoted


def _claim_note(claim: ClaimSpec, lang: Lang) -> str:
    """The editor's note in the Note column: the edition's own, else the other's (logged), else the
    note written once for both."""
    if not claim.note:
        return claim.acknowledged
    return _own_or_other(claim.note, lang, claim.origin, f"claim {claim.id}", "acknowledged", None)


def fact_quote(fact: Fact, lang: Lang) -> str:
    """A fact's quote with the editor's note for this edition: its translation when the quote is in
    the other language (else the other edition's note, logged), a note when it is in this one (the
    other edition's note is then that edition's translation, and is left out)."""
    quoted = words.text("quote", lang, text=fact.quote)
    own = fact.note.own(lang)
    if not foreign(fact.quote, lang):
        return words.text("noted", lang, quote=quoted, note=own) if own else quoted
    if own:
        return words.text("gloss", lang, quote=quoted, gloss=words.text("gloss.quote", lang, text=own))
    other = _own_or_other(fact.note, lang, fact.origin.path, f"fact {fact.id}", "note", fact.origin.line)
    return words.text("noted", lang, quote=quoted, note=other) if other else quoted


def _own_or_other(text: Localized, lang: Lang, where: str, what: str, field: str, line: int | None) -> str:
    own, other = text.own(lang), text.other(lang)
    if other and not own:
        theirs = "en" if lang == "ja" else "ja"
        log.warning("%s", Problem(where, f"{what} has no {lang} {field}; the {lang} edition prints the {theirs} one",
                                  line=line, field=f"{field}_{lang}" if line else f"{field}.{lang}",
                                  expected=f"the {field} in both languages"))
    return own or other


def _conflict_notes(target: Item, ctx: Ctx) -> tuple[str, ...]:
    """For each conflict behind ``target``: ``conflicting figures: $130B vs $24B → used $24B [1]``."""
    ids = {f.id for f in inputs(target)}
    found = [c for c in ctx.conflicts if ids & {f.id for f in c.facts}]
    return tuple(words.text(
        "claim.conflict", ctx.lang, rivals=" vs ".join(figure(f, ctx.lang) for f in c.facts if f.id != c.used.id),
        used=figure(c.used, ctx.lang)) + f" {ctx.cite(c.facts, c.used.id)}" for c in found)


def _conflicts(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    if not ctx.conflicts:
        return _notice("conflict.none", ctx.lang)
    rows = ((f.label(ctx.lang), f"{figure(f, ctx.lang)} {ctx.marker(f)}".strip(),
             fact_quote(f, ctx.lang), words.text("conflict.used" if f.id == c.used.id else "conflict.unused", ctx.lang))
            for c in ctx.conflicts for f in c.facts)
    shown, total = _cut(rows, _max_rows(d, origin), sum(len(c.facts) for c in ctx.conflicts))
    return (Table(_header("conflicts", ctx.lang), shown), *_cut_note("cut.conflicts", len(shown), total, ctx))


def _changes(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    if not ctx.changes:
        return _notice("change.first" if ctx.changes is None else "change.none", ctx.lang)
    shown, total = _cut(ctx.changes, _max_rows(d, origin), len(ctx.changes))
    return (Bullets(tuple(Markup(_change_line(c, ctx)) for c in shown)),
            *_cut_note("cut.changes", len(shown), total, ctx))


def _max_rows(d: markdown.Directive, origin: str) -> int:
    if not d.arg:
        return MAX_ROWS
    if not d.arg.isdigit() or not 1 <= int(d.arg) <= ROWS_LIMIT:
        raise ComposeError(Problem(origin, f"bad row count {quoted(d.arg)} in ```{d.name}", line=d.line,
                                   expected=ROWS_FORM))
    return int(d.arg)


def _cut(items: Iterable[T], most: int, total: int) -> tuple[tuple[T, ...], int]:
    """The first ``most`` of ``total`` items (the rest are never built), and ``total``."""
    return tuple(islice(items, most)), total


def _cut_note(key: str, shown: int, total: int, ctx: Ctx) -> tuple[Block, ...]:
    """Under a cut list: how many rows it shows of how many, and where the rest are."""
    if shown >= total:
        return ()
    text = words.text(key, ctx.lang, shown=f"{shown:,}", total=f"{total:,}",
                      file=PurePath(ctx.facts.origin).name or words.text("cut.facts_file", ctx.lang))
    return (Para(Markup(escape(text))),)


def _change_line(change: Change, ctx: Ctx) -> Escaped:
    """``xAIのH100 GPU数：10万台 → 15万台（+50%）[1]``; new facts with their value, removed ones."""
    lang = ctx.lang
    fact = ctx.facts.facts.get(change.fact_id)
    named = fact.label(ctx.lang) if fact else (change.label_ja if ctx.lang == "ja" else change.label_en)
    named = named or change.fact_id
    old = _value_text(change.old, change.old_event, ctx.lang)
    new = _value_text(change.new, change.new_event, ctx.lang)
    if change.kind == "removed":
        return escape(words.text("change.removed", lang, label=named) + words.text("change.was", lang, value=old))
    if change.kind == "new":
        text = words.text("change.new", lang, label=named) + words.text("sep", lang) + new
    elif change.old is not None and change.new is not None:
        text = named + words.text("sep", lang) + numfmt.change(change.old, change.new, lang)
    else:
        text = f"{named}{words.text('sep', lang)}{old} {numfmt.ARROW} {new}"
    return superscript(escape(text), ctx.cite((fact,) if fact else (), change.fact_id))


def _notice(key: str, lang: Lang) -> tuple[Block, ...]:
    """A directive with nothing to list says so in one paragraph."""
    return (Para(Markup(escape(words.text(key, lang)))),)


def _value_text(q: Quantity | None, event: PartialDate | None, lang: Lang) -> str:
    if q is not None:
        return numfmt.quantity(q, lang)
    return numfmt.date(event, lang) if event is not None else words.text("none", lang)


def _facts(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    none = words.text("none", ctx.lang)
    rows = ((f.label(ctx.lang), figure(f, ctx.lang),
             numfmt.date(f.as_of, ctx.lang) if f.as_of else none, ctx.marker(f))
            for f in ctx.facts.facts.values())
    shown, total = _cut(rows, _max_rows(d, origin), len(ctx.facts.facts))
    return (Table(_header("facts", ctx.lang), shown), *_cut_note("cut.facts", len(shown), total, ctx))


def _sources(d: markdown.Directive, ctx: Ctx, origin: str) -> tuple[Block, ...]:
    """No blocks: ``compose`` numbers the notes once every block exists (see ``source_note``)."""
    return ()


Handler = Callable[[markdown.Directive, Ctx, str], tuple[Block, ...]]

DIRECTIVES: dict[str, Handler] = {
    "keynumbers": _keynumbers, "chart": _chart, "comparisons": _comparisons, "claims": _claims,
    "conflicts": _conflicts, "changes": _changes, "facts": _facts, "sources": _sources, "trend": trend.trend,
}


def source_note(source: Source, lang: Lang) -> str:
    """One note of the sources list: publisher, “title”, date, URL."""
    parts = [source.publisher, words.text("quote", lang, text=source.title),
             numfmt.date(source.date, lang) if source.date else words.text("source.no_date", lang),
             source.url or words.text("source.no_url", lang)]
    return words.text("list.sep", lang).join(p for p in parts if p)
