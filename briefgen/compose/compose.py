"""Spec + facts + comparisons (+ checks) → a Brief for one language, through a Jinja template.

A template (``templates/<spec.template>/<lang>.md``) is Jinja over a Markdown subset (see
``briefgen.base.markdown``). Templates see ``f.<fact_id>``, ``c.<comparison_id>``, ``brief`` (title,
date) and ``lang``, and the filters ``num`` (figure + source-note marker), ``formula``, ``date`` and
``label``. Fenced directives (keynumbers, chart <id>, comparisons, claims, conflicts, changes, facts,
trend <fact ids>, sources) become structured blocks built from data by ``briefgen.compose.directives``.

**Provenance.** Every figure ``num``, ``formula`` or ``date`` prints carries a note marker (see
``briefgen.compose.figures``; an as-of date cites its fact). Source notes are numbered by first citation, in
document order.

**Limits.** Templates run in a sandbox whose ``range`` stops at ``MAX_RANGE`` items, whose ``*`` and
``**`` refuse results longer than ``MAX_REPEAT`` items or larger than ``MAX_POWER_BITS`` bits, whose
output stops at ``MAX_OUTPUT`` characters and, given a clock (``template_env`` gives the monotonic
one), whose run stops after ``TEMPLATE_SECONDS``; each is a ``ComposeError`` naming template and line.

**Escaping.** Fact text is data. Every value Jinja prints passes through ``escape`` (via the
environment's ``finalize``). Filters return ``Escaped`` markup, which ``finalize`` lets through;
everything else — including any other ``Markup`` — is escaped.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Callable, Generator, Iterator, Mapping, Sequence, TypeVar, cast

import jinja2
import markupsafe
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from briefgen.base import caches, markdown, numfmt, units, words
from briefgen.base.errors import ComposeError, Problem, did_you_mean
from briefgen.base.model import (
    Block,
    Brief,
    BriefSpec,
    Bullets,
    Change,
    ClaimCheck,
    Comparison,
    Conflict,
    Digest,
    Fact,
    FactSet,
    Heading,
    History,
    KeyFigure,
    KeyNumbers,
    Lang,
    Markup,
    Para,
    PartialDate,
    SourceNote,
)
from briefgen.base.parse import PLACEHOLDER, placeholders
from briefgen.compose import directives, figures
from briefgen.compose.directives import DIRECTIVES, source_note
from briefgen.compose.figures import CITE, Ctx, Escaped, Item, escape

if TYPE_CHECKING:
    from _typeshed import TraceFunction

__all__ = ["Escaped", "compose", "environment", "escape", "template_env", "template_source"]

T = TypeVar("T")
#: The names a template sees.
CONTEXT = ("f", "c", "brief", "lang")
FILTERS = ("num", "formula", "date", "label")
_UNKNOWN_FILTER = re.compile(r"No (filter|test) named '([^']*)'(?: found)?\.?")

MAX_RANGE = 10_000
MAX_REPEAT = 100_000
MAX_POWER_BITS = 1_000
MAX_OUTPUT = 5_000_000
TEMPLATE_SECONDS = 10.0
Clock = Callable[[], float]
NAMES_FORM = ("names the template context defines (f.<fact id>, c.<comparison id>, brief, lang) and the "
              f"filters {', '.join(FILTERS)}")
LIMITS_FORM = (f"a template within the sandbox's limits: range up to {MAX_RANGE:,} items, text or lists "
               f"repeated up to {MAX_REPEAT:,} long, widths up to {MAX_REPEAT:,}, powers up to "
               f"2**{MAX_POWER_BITS}, output up to {MAX_OUTPUT:,} characters, {TEMPLATE_SECONDS:g} seconds")
#: A ``%`` or ``{}`` conversion whose width or precision is ``*``, nested or 6 digits or more.
_WIDE_FORMAT = re.compile(r"%[#0 +-]*(?:\*|[0-9]{6,}|[0-9]*\.(?:\*|[0-9]{6,}))|\{[^{}]*:[^{}]*(?:[0-9]{6,}|\{)")
#: Jinja's filters that take a width (and ``format``, whose format string can hold one).
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate", "format")


# --- the environment (edge: reads the templates folder) -------------------------------------------


def _finalize(value: object) -> Escaped:
    """Every value Jinja prints: filters' ``Escaped`` output as is, anything else escaped."""
    return value if isinstance(value, Escaped) else escape(str(value))


def template_env(templates_dir: Path) -> jinja2.Environment:
    """A sandboxed, strict Jinja environment over ``templates_dir``; every template is parsed now."""
    if not templates_dir.is_dir():
        raise ComposeError(Problem(str(templates_dir), "templates folder not found",
                                   expected="a folder holding <template>/<lang>.md files"))
    _COMPILED.read_from(caches.folder(JINJA_CACHE))
    return environment(jinja2.FileSystemLoader(str(templates_dir)), bytecode_cache=_COMPILED,
                       clock=time.monotonic)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates, keyed by name and source checksum (Jinja recompiles an edited template):
    read from the set-up cache (``run.py cache``) on first use, then kept for the life of the
    process, so a cold start, each scheduled run and each warm build skip compiling. Nothing is
    written to disk here."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._disk: jinja2.BytecodeCache | None = None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])
        elif self._disk is not None:
            self._disk.load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def read_from(self, folder: Path | None) -> None:
        """Also look in ``folder`` (a ``jinja2.FileSystemBytecodeCache`` folder) for what is not in memory."""
        self._disk = None if folder is None else jinja2.FileSystemBytecodeCache(str(folder))


_COMPILED = _CompiledTemplates()
#: The folder of compiled templates under var/cache/ (the suffix changes when the sandbox compiles
#: templates differently: code compiled for another sandbox must not be read back).
JINJA_CACHE = f"jinja-{jinja2.__version__}-limited"


def write_cache(templates_dir: Path, root: Path) -> Path:
    """Compile every template of ``templates_dir`` into ``root`` (set-up time; see ``briefgen.base.caches``),
    in place of what an earlier set-up compiled: templates since removed, other Jinja versions."""
    folder = root / JINJA_CACHE
    for older in root.glob("jinja-*"):
        if older != folder and older.is_dir():
            shutil.rmtree(older)
    folder.mkdir(parents=True, exist_ok=True)
    compiled = jinja2.FileSystemBytecodeCache(str(folder))
    compiled.clear()
    environment(jinja2.FileSystemLoader(str(templates_dir)), compiled)
    return folder


def environment(loader: jinja2.BaseLoader, bytecode_cache: jinja2.BytecodeCache | None = None,
                clock: Clock | None = None) -> jinja2.Environment:
    """The briefgen environment over any loader; syntax errors and unknown directives in any
    ``.md`` template raise one ``ComposeError`` naming each file and line. With a ``clock``, a
    template that runs longer than ``TEMPLATE_SECONDS`` stops."""
    env = LimitedEnvironment(loader=loader, undefined=_Undefined, finalize=_finalize,
                             autoescape=False, trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=bytecode_cache, clock=clock)
    env.filters.update(num=_num, formula=_formula_filter, date=_date_filter, label=_label_filter)
    problems = [p for name in env.list_templates(extensions=["md"]) for p in _check(env, name)]
    if problems:
        raise ComposeError(*problems)
    return env


class LimitedEnvironment(SandboxedEnvironment):
    """The sandbox with bounded ``range``, ``*`` and ``**`` (checked before they run) and a clock."""

    intercepted_binops = frozenset(("*", "**", "%"))

    def __init__(self, *, clock: Clock | None, **options: Any) -> None:
        super().__init__(**options)
        self.clock = clock
        self.globals["range"] = _range
        self.filters.update({name: _narrow(name, self.filters[name]) for name in _WIDTH_FILTERS})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif isinstance(left, str):
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range({', '.join(map(str, args))}) has {len(numbers):,} items (at most {MAX_RANGE:,} in a template)")
    return numbers


def _check_repeat(left: object, right: object) -> None:
    """``'x' * n`` or ``[…] * n`` longer than ``MAX_REPEAT`` → ``SecurityError``."""
    for items, times in ((left, right), (right, left)):
        if isinstance(items, (str, list, tuple)) and isinstance(times, int) and len(items) * times > MAX_REPEAT:
            raise SecurityError(f"repeating {len(items):,} items {times:,} times makes more than "
                                f"{MAX_REPEAT:,} (the most a template may make)")


def _check_format(text: str) -> None:
    wide = _WIDE_FORMAT.search(text)
    if wide:
        raise SecurityError(f"the format {wide[0]!r} has a width of * or above {MAX_REPEAT:,}")


def _narrow(name: str, jinja_filter: Callable[..., str]) -> Callable[..., str]:
    """A width-taking filter that refuses widths above ``MAX_REPEAT`` (``'x'|center(10**9)``)."""
    def checked(*args: object, **kwargs: object) -> str:
        if name == "format" and isinstance(args[0], str):
            _check_format(args[0])
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, int) and arg > MAX_REPEAT:
                raise SecurityError(f"the width {arg:,} is above {MAX_REPEAT:,}")
        return jinja_filter(*args, **kwargs)

    return functools.update_wrapper(checked, jinja_filter)  # keeps Jinja's pass_environment mark


def _check_power(base: object, exponent: object) -> None:
    """An integer power larger than ``MAX_POWER_BITS`` bits → ``SecurityError``."""
    if isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1 and exponent > 0:
        bits = exponent * math.log2(abs(base))
        if bits > MAX_POWER_BITS:
            raise SecurityError(f"a power of about 2**{bits:,.0f} is larger than 2**{MAX_POWER_BITS} "
                                "(the largest a template may compute)")


def _check(env: jinja2.Environment, name: str) -> list[Problem]:
    source, origin = template_source(env, name)
    try:
        env.get_template(name)  # compiles (finding unknown filters too) and caches for compose
    except jinja2.TemplateSyntaxError as exc:
        return [Problem(origin, _unknown_filter(env, exc.message or "syntax error"), line=exc.lineno,
                        expected=f"valid Jinja2 syntax, with the filters {', '.join(FILTERS)}")]
    return [Problem(origin, f"unknown directive ```{kind}{did_you_mean(kind, DIRECTIVES, '```{}')}", line=line,
                    expected=f"one of {', '.join(sorted(DIRECTIVES))}")
            for line, kind in markdown.fences(source) if kind not in DIRECTIVES]


def _unknown_filter(env: jinja2.Environment, message: str) -> str:
    """Jinja's "No filter named 'nmu'." with the close names added: "…; did you mean 'num'?"."""
    found = _UNKNOWN_FILTER.fullmatch(message)
    if found is None:
        return message
    known = env.filters if found[1] == "filter" else env.tests
    return f"No {found[1]} named {found[2]!r}{did_you_mean(found[2], known)}"


def template_source(env: jinja2.Environment, name: str) -> tuple[str, str]:
    """A template's text and the file it was read from (for ``lint``)."""
    assert env.loader is not None
    try:
        source, filename, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        raise _not_found(name) from None
    return source, filename or name


def _not_found(name: str) -> ComposeError:
    return ComposeError(Problem(name, "template not found", expected=f"a file {name} in the templates folder"))

# --- what templates see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """A fact or comparison as templates see it (underscored fields are out of a sandbox's reach)."""

    _item: Item
    _ctx: Ctx

    @property
    def id(self) -> str:
        return self._item.id

    @property
    def label(self) -> str:
        return figures.label(self._item, self._ctx)

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


class _Undefined(jinja2.StrictUndefined):
    """``StrictUndefined`` whose message names what exists: ``f.xai_h100_cuont: no fact
    'xai_h100_cuont'; did you mean f.xai_h100_count?``, ``… has no attribute 'lable'; did you mean
    'label'?``."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint or not isinstance(name, str):
            return str(super()._undefined_message)
        if obj is jinja2.utils.missing:
            return f"{name!r} is undefined{did_you_mean(name, CONTEXT)}"
        if isinstance(obj, Views):
            return _no_item(name, obj._ctx, obj._prefix)
        known = obj if isinstance(obj, dict) else _public(obj)
        return f"{_shown(obj)} has no attribute {name!r}{did_you_mean(name, known)}"


def _no_item(name: str, ctx: Ctx, prefix: str) -> str:
    """``f.<name>`` or ``c.<name>`` names nothing: what it may have meant, in either namespace."""
    facts, comparisons = list(ctx.facts.facts), list(ctx.comparisons)
    own, other = (facts, comparisons) if prefix == "f" else (comparisons, facts)
    kind, other_kind, other_prefix = ("fact", "comparison", "c") if prefix == "f" else ("comparison", "fact", "f")
    hint = (f"; {name} is a {other_kind}: {other_prefix}.{name}" if name in other
            else did_you_mean(name, own, prefix + ".{}") or did_you_mean(name, other, other_prefix + ".{}"))
    return f"{prefix}.{name}: no {kind} {name!r}{hint}"


def _shown(obj: object) -> str:
    """How a template writes ``obj``: ``f.xai_h100_count``, ``f.xai_round_amount.as_of``, ``brief``."""
    if isinstance(obj, View):
        return f"{_prefix(obj)}.{obj.id}"
    if isinstance(obj, AsOf):
        return f"{_shown(obj._view)}.as_of"
    return "brief" if isinstance(obj, BriefView) else str(jinja2.utils.object_type_repr(obj))


def _prefix(view: View) -> str:
    return "f" if isinstance(view._item, Fact) else "c"


def _public(obj: object) -> list[str]:
    return [n for n in dir(obj) if not n.startswith("_")]


class Views:
    """``f`` or ``c`` as templates see them: each view made when the template asks for it (a brief
    of 1,000,000 facts does not build 1,000,000 views for a template that prints ten).

    Not a ``Mapping``: a template's ``f.items`` or ``c.keys`` must reach the fact or comparison of
    that id, not a dict method, so the only public names are the ids (plus iteration and ``len``)."""

    __slots__ = ("_items", "_ctx", "_prefix")

    def __init__(self, items: Mapping[str, Item], ctx: Ctx, prefix: str) -> None:
        self._items = items
        self._ctx = ctx
        self._prefix = prefix  # how templates name it: f or c

    def __getitem__(self, item_id: str) -> View:
        return View(self._items[item_id], self._ctx)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _view(value: object, filter_name: str) -> View:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing fact or comparison
    if not isinstance(value, View):
        raise jinja2.TemplateRuntimeError(f"filter {filter_name} expects f.<fact id> or "
                                          f"c.<comparison id>, got {type(value).__name__}")
    return value


def _num(value: object, compact: bool = True) -> Escaped:
    view = _view(value, "num")
    return _with_marker(escape(figures.figure(view._item, view._ctx.lang, compact)), view)


def _formula_filter(value: object) -> Escaped:
    view = _view(value, "formula")
    if not isinstance(view._item, Comparison):
        raise jinja2.TemplateRuntimeError(f"filter formula expects c.<comparison id>, got f.{view.id}")
    return _with_marker(escape(figures.formula(view._item, view._ctx.lang)), view)


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
    return figures.superscript(text, view._ctx.marker(view._item))


# --- compose --------------------------------------------------------------------------------------


def compose(spec: BriefSpec, facts: FactSet, comparisons: Sequence[Comparison], lang: Lang,
            today: dt.date, env: jinja2.Environment, checks: Sequence[ClaimCheck] = (),
            conflicts: Sequence[Conflict] = (), changes: Sequence[Change] | None = None,
            history: History | None = None) -> Brief:
    """Render ``templates/<spec.template>/<lang>.md`` and turn it into a numbered, escaped Brief.

    ``changes`` are the differences from the previous edition (``snapshot.diff``); ``None`` means
    there is no previous edition (a first edition), ``()`` that nothing changed. ``history`` holds
    the facts ```trend blocks show across editions (``history.load_history``; ``None``: no earlier
    editions known).
    """
    with units.using(facts.units):
        ctx = Ctx(spec, facts, {c.id: c for c in comparisons}, lang, checks, conflicts, changes, history)
        title = spec.title.get(lang, spec.id)
        name = f"{spec.template}/{lang}.md"
        text, origin = _render(env, name, {
            "f": Views(facts.facts, ctx, "f"), "c": Views(ctx.comparisons, ctx, "c"),
            "brief": BriefView(title, today), "lang": lang,
        })  # the CONTEXT names
        with _template_lines(env, name, text, origin):
            parsed = markdown.parse(text, origin, lang)
            blocks = tuple(b for p in parsed for b in (
                DIRECTIVES[p.name](p, ctx, origin) if isinstance(p, markdown.Directive) else (p,)))
        numbers = _Numbers()
        blocks = tuple(_map_text(b, numbers.replace) for b in blocks)
        if numbers.order and not any(isinstance(p, markdown.Directive) and p.name == "sources"
                                     for p in parsed):
            raise ComposeError(Problem(origin, "the brief cites sources but has no ```sources block",
                                       expected="a ```sources block where the source notes go"))
        sources = list(facts.sources.values())
        notes = tuple(SourceNote(n, source_note(sources[i], lang)) for i, n in numbers.order.items())
        return Brief(brief_id=spec.id, title=title, lang=lang, date=today, blocks=_to_review(spec, facts, lang) + blocks,
                     notes=notes, subject=_subject(title, today, lang), author=spec.author,
                     digest=_digest(blocks, ctx, origin), draft=spec.draft)


def _to_review(spec: BriefSpec, fact_set: FactSet, lang: Lang) -> tuple[Block, ...]:
    """A draft's first section: the spec's ``review:`` lines, then every ``?`` left in the facts."""
    if not spec.draft:
        return ()
    left = [words.text("review.placeholder", lang, fact=fact.id, field=field, placeholder=PLACEHOLDER,
                       where=f"{Path(fact.origin.path).name}:{fact.origin.line}")
            for fact, field in placeholders(fact_set)]
    lines = [*spec.review, *left] or [words.text("review.done", lang)]
    return (Heading(Markup(escape(words.text("review.heading", lang)))),
            Bullets(tuple(Markup(escape(line)) for line in lines)))


@contextmanager
def _template_lines(env: jinja2.Environment, name: str, text: str, origin: str) -> Iterator[None]:
    """A ComposeError about the rendered text → the same error at the template's own lines.

    Markdown and directive problems are found in the rendered text, whose lines move when a
    ``{% for %}`` or ``{% if %}`` above them expands. Each fence line a template writes literally is
    matched, in order, to its line in the template source; a problem on a line that matches nothing
    (built by expressions) keeps its rendered line, said to be one."""
    try:
        yield
    except ComposeError as exc:
        lines = _fence_lines(text, _source(env, name))
        raise ComposeError(*(_at_template_line(p, origin, lines) for p in exc.problems)) from None


def _source(env: jinja2.Environment, name: str) -> str:
    assert env.loader is not None  # _render found the template through it
    return env.loader.get_source(env, name)[0]


def _fence_lines(rendered: str, source: str) -> dict[int, int]:
    """Rendered line number → template line number, for each fence line found in the source in order."""
    source_lines, mapping, start = [line.strip() for line in source.splitlines()], {}, 0
    for number, line in enumerate(rendered.splitlines(), 1):
        if line.lstrip().startswith("```") and line.strip() in source_lines[start:]:
            start = source_lines.index(line.strip(), start) + 1
            mapping[number] = start
    return mapping


def _at_template_line(problem: Problem | str, origin: str, lines: Mapping[int, int]) -> Problem | str:
    if not isinstance(problem, Problem) or problem.origin != origin or problem.line is None:
        return problem
    if problem.line in lines:
        return replace(problem, line=lines[problem.line])
    return replace(problem, origin=f"{origin} (rendered text)")


def _render(env: jinja2.Environment, name: str, context: Mapping[str, object]) -> tuple[str, str]:
    """Render one template within its limits; any failure in it → ComposeError naming the template
    file and line."""
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise _not_found(name) from None
    filename = template.filename or "<template>"
    origin = name if filename.startswith("<") else filename
    try:
        return _limited_run(template, context, getattr(env, "clock", None)), origin
    except (jinja2.TemplateError, ArithmeticError, RecursionError) as exc:
        raise ComposeError(_template_problem(env, exc, origin, filename)) from None


def _template_problem(env: jinja2.Environment, exc: Exception, origin: str, filename: str) -> Problem:
    """A template mistake names what templates may use; a limit (or an arithmetic error) names the limits."""
    line = _template_line(exc.__traceback__, filename)
    if isinstance(exc, jinja2.TemplateError) and not isinstance(exc, SecurityError):
        return Problem(origin, _unknown_filter(env, exc.message or type(exc).__name__), line=line,
                       expected=NAMES_FORM)
    what = str(exc.args[-1]) if exc.args else type(exc).__name__  # OverflowError: (34, 'Numerical …')
    return Problem(origin, what, line=line, expected=LIMITS_FORM)


def _limited_run(template: jinja2.Template, context: Mapping[str, object], clock: Clock | None) -> str:
    """The template's output, stopped (by an error raised at the template's current line) when it
    passes ``MAX_OUTPUT`` characters or, with a clock, runs past ``TEMPLATE_SECONDS``."""
    chunks: list[str] = []
    size = 0
    generator = cast(Generator[str, None, None], template.generate(context))
    with _time_limit(template.filename, clock):
        for chunk in generator:
            size += len(chunk)
            if size > MAX_OUTPUT:
                generator.throw(SecurityError(f"the template printed more than {MAX_OUTPUT:,} characters"))
            chunks.append(chunk)
    return "".join(chunks)


@contextmanager
def _time_limit(filename: str | None, clock: Clock | None) -> Iterator[None]:
    """Check ``clock`` on every line the template's own code runs; past the budget, raise there."""
    if clock is None or filename is None:
        yield
        return
    deadline = clock() + TEMPLATE_SECONDS

    def on_line(frame: FrameType, event: str, arg: Any) -> "TraceFunction":
        if event == "line" and clock() > deadline:
            raise SecurityError(f"the template ran longer than {TEMPLATE_SECONDS:g} seconds")
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> "TraceFunction | None":
        return on_line if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)


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
        return CITE.sub(lambda m: str(self.order.setdefault(int(m[1]), len(self.order) + 1)), text)


def _map_text(value: T, fn: Callable[[str], str]) -> T:
    """Apply ``fn`` to every string inside a block (dataclasses and tuples walked, numbers kept)."""
    if isinstance(value, str):
        return type(value)(fn(value)) if isinstance(value, markupsafe.Markup) else fn(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_map_text(v, fn) for v in value)  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _map_text(getattr(value, f.name), fn) for f in fields(value)})
    return value


def _subject(title: str, today: dt.date, lang: Lang) -> str:
    return words.text("pdf.subject", lang, title=title, date=numfmt.date(today, lang))


_LEDE = re.compile(r"<b>(.*?)</b>")


def _digest(blocks: Sequence[Block], ctx: Ctx, origin: str) -> Digest:
    """What the email says: the lede's bold opening (the brief's headline; none without one), the
    key numbers as the PDF's panel captions them (the spec's key numbers when the template has no
    panel) and the claim warnings, as plain text without source markers."""
    lede = next((b for b in blocks if isinstance(b, (Para, Heading))), None)
    bold = _LEDE.match(lede.text) if isinstance(lede, Para) else None
    panel = next((b.items for b in blocks if isinstance(b, KeyNumbers)), None)
    items = directives.key_numbers(ctx, {}, origin) if panel is None else panel
    return Digest(headline=markdown.plain(bold[1]) if bold else "",
                  key_numbers=tuple(KeyFigure(markdown.plain(k.figure), markdown.plain(k.label)) for k in items),
                  warnings=directives.claim_warnings(ctx))
