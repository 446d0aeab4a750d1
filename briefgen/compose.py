"""Spec + facts + comparisons (+ checks) → a Brief for one language, through a Jinja template.

A template (``templates/<spec.template>/<lang>.md``) is Jinja over a Markdown subset (see
``briefgen.markdown``). Templates see ``f.<fact_id>``, ``c.<comparison_id>``, ``brief`` (title,
date) and ``lang``, and the filters ``num`` (figure + source-note marker), ``formula``, ``date`` and
``label``. Fenced directives (keynumbers, chart <id>, comparisons, claims, conflicts, changes, facts,
sources) become structured blocks built from data, never from template text.

**Provenance.** Every figure ``num``, ``formula`` or ``date`` prints carries a note marker: a fact's
source, or for a computed figure the sources of all its inputs (an as-of date cites its fact). A
figure whose source is not in the sources table raises ``ComposeError`` instead of printing bare.
The claims panel words each check as "what the article says → what the facts compute (verdict)",
e.g. ``“half” → 42%: overstated``, and names any conflict behind the claimed figure and the value used.

**Escaping.** Fact text is data. Every value Jinja prints passes through ``escape`` (via the
environment's ``finalize``): XML specials become entities, Markdown specials become numeric
character references and newlines become spaces, so a value can never open a tag, a block or
emphasis. Filters return ``Escaped`` markup, which ``finalize`` lets through; everything else —
including any other ``Markup`` — is escaped. Table cells and chart labels are plain text (``render``
escapes them). Source notes are numbered by first citation, in document order.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

import jinja2
import markupsafe
from jinja2.sandbox import SandboxedEnvironment

from briefgen import markdown, numfmt, units
from briefgen.errors import ComposeError, Problem
from briefgen.model import (
    Bar,
    Block,
    Brief,
    BriefSpec,
    Bullets,
    Chart,
    ClaimCheck,
    ClaimSpec,
    Comparison,
    Conflict,
    Fact,
    FactSet,
    KeyNumber,
    KeyNumbers,
    Lang,
    Markup,
    Para,
    PartialDate,
    Quantity,
    Source,
    SourceNote,
    Table,
)
from briefgen.snapshot import Change

_CITE = re.compile("\ue000(\\d+)\ue001")
_SPECIALS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "*": "&#42;",
             "_": "&#95;", "`": "&#96;", "#": "&#35;", "-": "&#45;", "[": "&#91;", "]": "&#93;",
             "|": "&#124;", "\\": "&#92;", "\ue000": "", "\ue001": ""}
_BLANKS = [*range(0x20), 0x7F, 0x85, 0x2028, 0x2029]
_TRANSLATION = str.maketrans({**_SPECIALS, **{chr(c): " " for c in _BLANKS}})

WORDS: dict[Lang, dict[str, str]] = {
    "ja": {"holds": "正しい", "overstated": "誇張", "understated": "過小", "contradicted": "矛盾",
           "used": "採用", "unused": "不採用", "upper": "上限値を採用", "lower": "下限値を採用",
           "within": "範囲内の値", "above": "範囲を上回る", "below": "範囲を下回る",
           "about": "{}", "at_least": "{}以上", "at_most": "{}以下",
           "check": "「{said}」→ {computed}（{verdict}）",
           "conflict": "食い違い：{rivals} vs {used} → {used}を採用",
           "sources": "出典：", "none": "—", "sep": "：",
           "no_claims": "検証した記述はありません。", "no_conflicts": "食い違う数値はありません。",
           "first_edition": "初回の号のため、前号との比較はありません。",
           "no_changes": "前号からの変更はありません。", "new": "新規：{}", "removed": "削除：{}",
           "was": "（前号：{}）", "no_url": "URLなし", "no_date": "日付不明", "quote": "「{}」"},
    "en": {"holds": "holds", "overstated": "overstated", "understated": "understated",
           "contradicted": "contradicted", "used": "used", "unused": "not used",
           "upper": "article used the high end", "lower": "article used the low end",
           "within": "within the range", "above": "above the range", "below": "below the range",
           "about": "{}", "at_least": "at least {}", "at_most": "at most {}",
           "check": "“{said}” → {computed}: {verdict}",
           "conflict": "conflicting figures: {rivals} vs {used} → used {used}",
           "sources": "Sources: ", "none": "—", "sep": ": ",
           "no_claims": "No claims were checked.", "no_conflicts": "No conflicting figures.",
           "first_edition": "This is the first edition: there is no earlier edition to compare with.",
           "no_changes": "No changes since the last edition.", "new": "New: {}",
           "removed": "Removed: {}", "was": " (was {})", "no_url": "no URL", "no_date": "date unknown",
           "quote": "“{}”"},
}
HEADERS: dict[str, dict[Lang, tuple[str, ...]]] = {
    "comparisons": {"ja": ("比較", "値", "計算式"), "en": ("Comparison", "Value", "Formula")},
    "claims": {"ja": ("記事の記述", "検証（記事 → 計算値）", "注記"),
               "en": ("The article says", "Check (article → computed)", "Note")},
    "conflicts": {"ja": ("項目", "値", "記事の記述", "扱い"),
                  "en": ("Item", "Value", "As written", "Status")},
    "facts": {"ja": ("項目", "値", "時点", "出典"), "en": ("Item", "Value", "As of", "Source")},
}

Item = Fact | Comparison
T = TypeVar("T")


class Escaped(markupsafe.Markup):
    """Markup that went through ``escape`` (or was built by a filter from escaped parts)."""

    @classmethod
    def escape(cls, s: object) -> "Escaped":
        return s if isinstance(s, Escaped) else escape(str(s))


def escape(text: str) -> Escaped:
    """The one escape for data: XML entities, Markdown specials as references, newlines → spaces."""
    return Escaped(text.translate(_TRANSLATION))


def _finalize(value: object) -> Escaped:
    return value if isinstance(value, Escaped) else escape(str(value))


# --- the environment (edge: reads the templates folder) -------------------------------------------


def template_env(templates_dir: Path) -> jinja2.Environment:
    """A sandboxed, strict Jinja environment over ``templates_dir``; every template is parsed now."""
    if not templates_dir.is_dir():
        raise ComposeError(Problem(str(templates_dir), "templates folder not found",
                                   expected="a folder holding <template>/<lang>.md files"))
    return environment(jinja2.FileSystemLoader(str(templates_dir)), bytecode_cache=_COMPILED)


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by name and source checksum (Jinja
    recompiles an edited template), so each scheduled run or warm build skips recompiling."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _MemoryBytecodeCache()


def environment(loader: jinja2.BaseLoader,
                bytecode_cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """The briefgen environment over any loader; syntax errors and unknown directives in any
    ``.md`` template raise one ``ComposeError`` naming each file and line."""
    env = SandboxedEnvironment(loader=loader, undefined=jinja2.StrictUndefined, finalize=_finalize,
                               autoescape=False, trim_blocks=True, lstrip_blocks=True,
                               bytecode_cache=bytecode_cache)
    env.filters.update(num=_num, formula=_formula_filter, date=_date_filter, label=_label_filter)
    problems = [p for name in env.list_templates(extensions=["md"]) for p in _check(env, name)]
    if problems:
        raise ComposeError(*problems)
    return env


def _check(env: jinja2.Environment, name: str) -> list[Problem]:
    assert env.loader is not None
    source, filename, _ = env.loader.get_source(env, name)
    origin = filename or name
    try:
        env.get_template(name)  # compiles (finding unknown filters too) and caches for compose
    except jinja2.TemplateSyntaxError as exc:
        return [Problem(origin, exc.message or "syntax error", line=exc.lineno,
                        expected="valid Jinja2 syntax, with the filters num, formula, date, label")]
    return [Problem(origin, f"unknown directive ```{kind}", line=line,
                    expected=f"one of {', '.join(sorted(_DIRECTIVES))}")
            for line, kind in markdown.fences(source) if kind not in _DIRECTIVES]


# --- what templates see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    spec: BriefSpec
    facts: FactSet
    comparisons: Mapping[str, Comparison]
    lang: Lang
    checks: Sequence[ClaimCheck] = ()
    conflicts: Sequence[Conflict] = ()
    changes: Sequence[Change] | None = None

    def item(self, item_id: str, origin: str) -> Item:
        if item_id in self.comparisons:
            return self.comparisons[item_id]
        if item_id in self.facts:
            return self.facts[item_id]
        raise ComposeError(Problem(origin, f"unknown id {item_id!r}",
                                   expected="a fact id or a computed comparison id"))

    def marker(self, item: Item) -> str:
        """``[`` + one placeholder per source behind ``item`` + ``]`` (numbered later)."""
        return self.cite(_inputs(item), item.id)

    def cite(self, facts: Iterable[Fact], what: str) -> str:
        """The marker for ``facts``; a figure with no citable source raises ``ComposeError``."""
        cited = tuple(facts)
        missing = next((f for f in cited if f.source.id not in self.facts.sources), None)
        if missing is not None or not cited:
            where = str(missing.origin) if missing else self.spec.origin
            why = (f"{what}: source {missing.source.id!r} of fact {missing.id} is not in the sources "
                   "table") if missing else f"{what} has no source to cite"
            raise ComposeError(Problem(where, why, field="source",
                                       expected="every printed figure traceable to a listed source"))
        order = list(self.facts.sources)
        ids = dict.fromkeys(f.source.id for f in cited)
        return "[" + ",".join(f"\ue000{order.index(i)}\ue001" for i in ids) + "]"


@dataclass(frozen=True)
class View:
    """A fact or comparison as templates see it (underscored fields are out of a sandbox's reach)."""

    _item: Item
    _ctx: _Ctx

    @property
    def id(self) -> str:
        return self._item.id

    @property
    def label(self) -> str:
        return _label(self._item, self._ctx)

    @property
    def quote(self) -> str:
        return self._item.quote if isinstance(self._item, Fact) else ""

    @property
    def entity(self) -> str:
        return self._item.entity if isinstance(self._item, Fact) else ""

    @property
    def as_of(self) -> "AsOf | None":
        if isinstance(self._item, Fact) and self._item.as_of is not None:
            return AsOf(self._item.as_of, self)
        return None


@dataclass(frozen=True)
class AsOf:
    """A fact's as-of date as templates see it: ``|date`` prints it with the fact's note marker."""

    when: PartialDate
    _view: View

    def __str__(self) -> str:
        return str(self.when)


@dataclass(frozen=True)
class BriefView:
    title: str
    date: dt.date


def _view(value: object, filter_name: str) -> View:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing fact or comparison
    if not isinstance(value, View):
        raise jinja2.TemplateRuntimeError(f"filter {filter_name} expects f.<fact id> or "
                                          f"c.<comparison id>, got {type(value).__name__}")
    return value


def _num(value: object, compact: bool = True) -> Escaped:
    view = _view(value, "num")
    return _with_marker(escape(_figure(view._item, view._ctx.lang, compact)), view)


def _formula_filter(value: object) -> Escaped:
    view = _view(value, "formula")
    if not isinstance(view._item, Comparison):
        raise jinja2.TemplateRuntimeError(f"filter formula expects c.<comparison id>, got f.{view.id}")
    return _with_marker(escape(_formula(view._item, view._ctx.lang)), view)


@jinja2.pass_context
def _date_filter(context: jinja2.runtime.Context, value: object) -> Escaped:
    """``brief.date`` as such; an as-of date (``f.x.as_of``) or an event fact with the fact's marker."""
    if isinstance(value, AsOf):
        return _with_marker(escape(numfmt.date(value.when, value._view._ctx.lang)), value._view)
    if isinstance(value, (PartialDate, dt.date)):
        lang: Lang = "ja" if context.get("lang") == "ja" else "en"
        return escape(numfmt.date(value, lang))
    return _num(_view(value, "date"))


def _label_filter(value: object) -> Escaped:
    return escape(_view(value, "label").label)


def _with_marker(text: Escaped, view: View) -> Escaped:
    return _superscript(text, view._ctx.marker(view._item))


def _superscript(text: Escaped, cite: str) -> Escaped:
    return Escaped(text + Escaped(f"<super>{cite}</super>"))


# --- figures, labels and formulas as plain text ---------------------------------------------------


def _figure(item: Item, lang: Lang, compact: bool = True) -> str:
    if isinstance(item, Comparison):
        return numfmt.quantity(item.value, lang, kind=item.kind, compact=compact)
    if item.quantity is not None:
        return numfmt.quantity(item.quantity, lang, compact=compact)
    return numfmt.date(item.event, lang) if item.event is not None else ""


def _label(item: Item, ctx: _Ctx) -> str:
    """A fact's label; a comparison's is its operands' labels joined by its operator."""
    if isinstance(item, Fact):
        return item.label(ctx.lang)
    spec = next((s for s in ctx.spec.comparisons if s.id == item.id), None)
    named = _arg_ids(tuple(spec.args.values())) if spec else [f.id for f in item.inputs]
    ids = [i for i in named if i in ctx.facts or i in ctx.comparisons]
    if item.kind == "rank" and item.subject in ctx.facts:
        return ctx.facts[item.subject].label(ctx.lang)
    return f" {item.operator} ".join(_label(ctx.item(i, ctx.spec.origin), ctx) for i in ids)


def _arg_ids(values: object) -> list[str]:
    if isinstance(values, str):
        return [values]
    if isinstance(values, (list, tuple)):
        return [i for v in values for i in _arg_ids(v)]
    return []


def _formula(c: Comparison, lang: Lang) -> str:
    """``100,000台 ÷ 25,000台``; a one-operand conversion shows its result: ``130万ガロン/日 → …``."""
    parts = [numfmt.quantity(q, lang, compact=False) for q in c.operands]
    if len(parts) == 1:
        parts.append(numfmt.quantity(c.value, lang, kind=c.kind, compact=False))
    return f" {c.operator} ".join(parts)


def _inputs(item: Item) -> tuple[Fact, ...]:
    return item.inputs if isinstance(item, Comparison) else (item,)


def _plain(markup: str) -> str:
    """Editor markup (a directive body line) → plain text for a table cell."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _labels(d: markdown.Directive, ctx: _Ctx, origin: str) -> dict[str, str]:
    """Label overrides from a directive body: one ``id: label`` per line."""
    found: dict[str, str] = {}
    for line in d.body:
        item_id, sep, text = line.partition(":")
        if not sep or not text.strip():
            raise ComposeError(Problem(origin, f"bad line {line[:60]!r} in ```{d.name}", line=d.line,
                                       expected="id: label"))
        ctx.item(item_id.strip(), origin)
        found[item_id.strip()] = text.strip()
    return found


# --- directives -----------------------------------------------------------------------------------


def _keynumbers(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    labels = _labels(d, ctx, origin)
    stray = [i for i in labels if i not in ctx.spec.key_numbers]
    if stray:
        raise ComposeError(Problem(origin, f"```keynumbers labels {', '.join(stray)}, which the brief "
                                   "spec does not list as key numbers", line=d.line,
                                   expected=f"labels for {', '.join(ctx.spec.key_numbers) or 'none'}"))
    items = []
    for item_id in ctx.spec.key_numbers:
        item = ctx.item(item_id, ctx.spec.origin)
        figure = _with_marker(escape(_figure(item, ctx.lang)), View(item, ctx))
        label = markdown.inline(labels[item_id], origin) if item_id in labels else escape(
            _label(item, ctx))
        items.append(KeyNumber(Markup(figure), Markup(label)))
    return (KeyNumbers(tuple(items)),)


def _chart(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    spec = next((c for c in ctx.spec.charts if c.id == d.arg), None)
    if spec is None:
        raise ComposeError(Problem(origin, f"```chart {d.arg!r} is not in the brief spec", line=d.line,
                                   expected=f"one of {', '.join(c.id for c in ctx.spec.charts)}"))
    items = [ctx.item(i, ctx.spec.origin) for i in spec.items]
    bars = tuple(Bar(_label(i, ctx), _magnitude(i, spec.unit, origin), _figure(i, ctx.lang))
                 for i in items)
    cites = "".join(dict.fromkeys(ctx.marker(i) for i in items))
    return (Chart(spec.title.get(ctx.lang, spec.id), bars, WORDS[ctx.lang]["sources"] + cites),)


def _magnitude(item: Item, unit: str, origin: str) -> float:
    q = item.value if isinstance(item, Comparison) else item.quantity
    if q is None:
        raise ComposeError(Problem(origin, f"{item.id} is an event, not an amount", field="chart",
                                   expected="facts or comparisons with a quantity"))
    try:
        return float(units.registry().Quantity(float(q.mid), units.parse(q.unit)).to(unit).magnitude)
    except Exception as exc:  # pint raises several unrelated types for a failed conversion
        raise ComposeError(Problem(origin, f"{item.id} ({q.unit}) cannot be drawn in {unit}: {exc}",
                                   field="chart", expected=f"items in a unit convertible to {unit}")) from None


def _comparisons(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    labels = {k: _plain(v) for k, v in _labels(d, ctx, origin).items()}
    rows = tuple((labels.get(c.id) or _label(c, ctx), _figure(c, ctx.lang),
                  f"{_formula(c, ctx.lang)} {ctx.marker(c)}".strip()) for c in ctx.comparisons.values())
    return (Table(HEADERS["comparisons"][ctx.lang], rows),)


def _claims(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    if not ctx.checks:
        return (Para(Markup(escape(WORDS[ctx.lang]["no_claims"]))),)
    rows = tuple(_claim_row(check, ctx) for check in ctx.checks)
    return (Table(HEADERS["claims"][ctx.lang], rows, widths=(3, 4, 4)),)


def _claim_row(check: ClaimCheck, ctx: _Ctx) -> tuple[str, str, str]:
    """「半分」→ 42%（誇張） [1] — the article's figure, the computed one, the verdict, the sources."""
    words = WORDS[ctx.lang]
    target = ctx.item(check.claim.target, check.claim.origin)
    kind = target.kind if isinstance(target, Comparison) else None
    said = words["check"].format(said=_asserted(check.claim, kind, ctx.lang), verdict=words[check.verdict],
                                 computed=numfmt.against(check.computed, check.claim.asserted, ctx.lang,
                                                         kind=kind))
    notes = (words[check.position] if check.position else "", *_conflict_notes(target, ctx),
             check.claim.acknowledged)
    return (words["quote"].format(check.claim.quote), f"{said} {ctx.marker(target)}",
            "; ".join(n for n in notes if n))


def _asserted(claim: ClaimSpec, kind: str | None, lang: Lang) -> str:
    """What the article asserts, in words: ``半分`` / ``half`` for a share of 0.5, ``290億元以上``."""
    if kind == "share" and claim.asserted.unit == "1" and not claim.asserted.is_range:
        text = numfmt.share_words(claim.asserted.mid, lang)
    else:
        text = numfmt.quantity(claim.asserted, lang, kind=kind)
    return WORDS[lang][claim.direction].format(text)


def _conflict_notes(target: Item, ctx: _Ctx) -> tuple[str, ...]:
    """For each conflict behind ``target``: ``conflicting figures: $130B vs $24B → used $24B [1]``."""
    ids = {f.id for f in _inputs(target)}
    found = [c for c in ctx.conflicts if ids & {f.id for f in c.facts}]
    return tuple(WORDS[ctx.lang]["conflict"].format(
        rivals=" vs ".join(_figure(f, ctx.lang) for f in c.facts if f.id != c.used.id),
        used=_figure(c.used, ctx.lang)) + f" {ctx.cite(c.facts, c.used.id)}" for c in found)


def _conflicts(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    words = WORDS[ctx.lang]
    if not ctx.conflicts:
        return (Para(Markup(escape(words["no_conflicts"]))),)
    rows = tuple((f.label(ctx.lang), f"{_figure(f, ctx.lang)} {ctx.marker(f)}".strip(),
                  words["quote"].format(f.quote), words["used" if f.id == c.used.id else "unused"])
                 for c in ctx.conflicts for f in c.facts)
    return (Table(HEADERS["conflicts"][ctx.lang], rows),)


def _changes(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    words = WORDS[ctx.lang]
    if not ctx.changes:
        return (Para(Markup(escape(words["first_edition" if ctx.changes is None else "no_changes"]))),)
    return (Bullets(tuple(Markup(_change_line(c, ctx)) for c in ctx.changes)),)


def _change_line(change: Change, ctx: _Ctx) -> Escaped:
    """``xAIのH100 GPU数：10万台 → 15万台（+50%）[1]``; new facts with their value, removed ones."""
    words = WORDS[ctx.lang]
    fact = ctx.facts.facts.get(change.fact_id)
    label = fact.label(ctx.lang) if fact else (change.label_ja if ctx.lang == "ja" else change.label_en)
    label = label or change.fact_id
    old = _value_text(change.old, change.old_event, ctx.lang)
    new = _value_text(change.new, change.new_event, ctx.lang)
    if change.kind == "removed":
        return escape(words["removed"].format(label) + words["was"].format(old))
    if change.kind == "new":
        text = words["new"].format(label) + words["sep"] + new
    elif change.old is not None and change.new is not None:
        text = label + words["sep"] + numfmt.change(change.old, change.new, ctx.lang)
    else:
        text = f"{label}{words['sep']}{old} {numfmt.ARROW} {new}"
    return _superscript(escape(text), ctx.cite((fact,) if fact else (), change.fact_id))


def _value_text(q: Quantity | None, event: PartialDate | None, lang: Lang) -> str:
    if q is not None:
        return numfmt.quantity(q, lang)
    return numfmt.date(event, lang) if event is not None else WORDS[lang]["none"]


def _facts(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    none = WORDS[ctx.lang]["none"]
    rows = tuple((f.label(ctx.lang), _figure(f, ctx.lang),
                  numfmt.date(f.as_of, ctx.lang) if f.as_of else none, ctx.marker(f) or none)
                 for f in ctx.facts.facts.values())
    return (Table(HEADERS["facts"][ctx.lang], rows),)


def _sources(d: markdown.Directive, ctx: _Ctx, origin: str) -> tuple[Block, ...]:
    return ()


_DIRECTIVES: dict[str, Callable[[markdown.Directive, _Ctx, str], tuple[Block, ...]]] = {
    "keynumbers": _keynumbers, "chart": _chart, "comparisons": _comparisons, "claims": _claims,
    "conflicts": _conflicts, "changes": _changes, "facts": _facts, "sources": _sources,
}


# --- compose --------------------------------------------------------------------------------------


def compose(spec: BriefSpec, facts: FactSet, comparisons: Sequence[Comparison], lang: Lang,
            today: dt.date, env: jinja2.Environment, checks: Sequence[ClaimCheck] = (),
            conflicts: Sequence[Conflict] = (), changes: Sequence[Change] | None = None) -> Brief:
    """Render ``templates/<spec.template>/<lang>.md`` and turn it into a numbered, escaped Brief.

    ``changes`` are the differences from the previous edition (``snapshot.diff``); ``None`` means
    there is no previous edition (a first edition), ``()`` that nothing changed.
    """
    ctx = _Ctx(spec, facts, {c.id: c for c in comparisons}, lang, checks, conflicts, changes)
    title = spec.title.get(lang, spec.id)
    name = f"{spec.template}/{lang}.md"
    text, origin = _render(env, name, {
        "f": {i: View(f, ctx) for i, f in facts.facts.items()},
        "c": {i: View(c, ctx) for i, c in ctx.comparisons.items()},
        "brief": BriefView(title, today), "lang": lang,
    })
    parsed = markdown.parse(text, origin)
    blocks = tuple(b for p in parsed for b in (
        _DIRECTIVES[p.name](p, ctx, origin) if isinstance(p, markdown.Directive) else (p,)))
    numbers = _Numbers()
    blocks = tuple(_map_text(b, numbers.replace) for b in blocks)
    if numbers.order and not any(isinstance(p, markdown.Directive) and p.name == "sources"
                                 for p in parsed):
        raise ComposeError(Problem(origin, "the brief cites sources but has no ```sources block",
                                   expected="a ```sources block where the source notes go"))
    sources = list(facts.sources.values())
    notes = tuple(SourceNote(n, _note(sources[i], lang)) for i, n in numbers.order.items())
    return Brief(brief_id=spec.id, title=title, lang=lang, date=today, blocks=blocks, notes=notes,
                 subject=_subject(title, today, lang), author=spec.author,
                 summary=tuple(_summary_line(ctx.item(i, spec.origin), ctx) for i in spec.key_numbers))


def _render(env: jinja2.Environment, name: str, context: Mapping[str, object]) -> tuple[str, str]:
    """Render one template; any Jinja failure → ComposeError naming the template file and line."""
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise ComposeError(Problem(name, "template not found",
                                   expected=f"a file {name} in the templates folder")) from None
    filename = template.filename or "<template>"
    origin = name if filename.startswith("<") else filename
    try:
        return template.render(context), origin
    except jinja2.TemplateError as exc:
        raise ComposeError(Problem(origin, exc.message or type(exc).__name__,
                                   line=_template_line(exc.__traceback__, filename),
                                   expected="names the template context defines (f.<fact id>, "
                                   "c.<comparison id>, brief, lang) and the filters num, formula, "
                                   "date, label")) from None


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The last traceback line inside the template (Jinja rewrites frames to template lines)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class _Numbers:
    """Source placeholders → note numbers, in the order the brief first cites each source."""

    def __init__(self) -> None:
        self.order: dict[int, int] = {}

    def replace(self, text: str) -> str:
        return _CITE.sub(lambda m: str(self.order.setdefault(int(m[1]), len(self.order) + 1)), text)


def _map_text(value: T, fn: Callable[[str], str]) -> T:
    """Apply ``fn`` to every string inside a block (dataclasses and tuples walked, numbers kept)."""
    if isinstance(value, str):
        return type(value)(fn(value)) if isinstance(value, markupsafe.Markup) else fn(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_map_text(v, fn) for v in value)  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _map_text(getattr(value, f.name), fn) for f in fields(value)})
    return value


def _note(source: Source, lang: Lang) -> str:
    words = WORDS[lang]
    parts = [source.publisher, words["quote"].format(source.title),
             numfmt.date(source.date, lang) if source.date else words["no_date"],
             source.url or words["no_url"]]
    return ("、" if lang == "ja" else ", ").join(p for p in parts if p)


def _subject(title: str, today: dt.date, lang: Lang) -> str:
    edition = numfmt.date(today, lang)
    return f"{title}（{edition}）" if lang == "ja" else f"{title} — {edition}"


def _summary_line(item: Item, ctx: _Ctx) -> str:
    line = f"{_label(item, ctx)}: {_figure(item, ctx.lang)}"
    if isinstance(item, Comparison):
        line += f" ({_formula(item, ctx.lang)})"
    return line
