"""Facts and comparisons → escaped text, plain-text figures, labels, formulas and source-note markers.

The pieces ``compose`` (template filters) and ``directives`` (structured blocks) both print.

**Provenance.** Every printed figure carries a note marker: a fact's source, or for a computed figure
the sources of all its inputs. A figure whose source is not in the sources table raises
``ComposeError`` instead of printing bare. Markers hold placeholders (``CITE``) that ``compose``
numbers by first citation, in document order.

**Escaping.** Fact text is data: ``escape`` turns XML specials into entities, Markdown specials into
numeric character references and newlines into spaces, so a value can never open a tag, a block or
emphasis. It is the one place untrusted text enters markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import markupsafe

from briefgen.base import numfmt, words
from briefgen.base.errors import ComposeError, Problem, did_you_mean, quoted
from briefgen.base.model import BriefSpec, Change, ClaimCheck, Comparison, Conflict, Fact, FactSet, History, Lang

CITE = re.compile("\ue000(\\d+)\ue001")
_MARKER = re.compile(" ?\\[(?:\ue000\\d+\ue001,?)+\\]")
_SPECIALS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "*": "&#42;",
             "_": "&#95;", "`": "&#96;", "#": "&#35;", "-": "&#45;", "[": "&#91;", "]": "&#93;",
             "|": "&#124;", "\\": "&#92;", "\ue000": "", "\ue001": ""}
_BLANKS = [*range(0x20), 0x7F, 0x85, 0x2028, 0x2029]
_TRANSLATION = str.maketrans({**_SPECIALS, **{chr(c): " " for c in _BLANKS}})

Item = Fact | Comparison


class Escaped(markupsafe.Markup):
    """Markup that went through ``escape`` (or was built by a filter from escaped parts)."""

    @classmethod
    def escape(cls, s: object) -> "Escaped":
        return s if isinstance(s, Escaped) else escape(str(s))


def unmarked(text: str) -> str:
    """Plain text without its source-note markers (for text that leaves the PDF and its notes)."""
    return _MARKER.sub("", text)


def escape(text: str) -> Escaped:
    """The one escape for data: XML entities, Markdown specials as references, newlines → spaces."""
    return Escaped(text.translate(_TRANSLATION))


def superscript(text: Escaped, cite: str) -> Escaped:
    """``text`` followed by its note marker, raised (no marker: ``text`` as is)."""
    if not cite:
        return text
    return Escaped(text + Escaped(f"<super>{cite}</super>"))


@dataclass(frozen=True)
class Ctx:
    """Everything one language of one brief is composed from."""

    spec: BriefSpec
    facts: FactSet
    comparisons: Mapping[str, Comparison]
    lang: Lang
    checks: Sequence[ClaimCheck] = ()
    conflicts: Sequence[Conflict] = ()
    changes: Sequence[Change] | None = None
    #: The facts a template's ```trend blocks name, across editions (``None``: none loaded).
    history: History | None = None

    def item(self, item_id: str, origin: str, line: int | None = None) -> Item:
        if item_id in self.comparisons:
            return self.comparisons[item_id]
        if item_id in self.facts:
            return self.facts[item_id]
        known = (*self.facts.facts, *self.comparisons)
        raise ComposeError(Problem(origin, f"unknown id {quoted(item_id)}{did_you_mean(item_id, known)}", line=line,
                                   expected="a fact id or a computed comparison id"))

    def marker(self, item: Item) -> str:
        """``[`` + one placeholder per source behind ``item`` + ``]`` (numbered later); an unavailable
        comparison prints no figure, so it has no marker (``""``)."""
        if isinstance(item, Comparison) and item.value is None:
            return ""
        return self.cite(inputs(item), item.id)

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


def figure(item: Item, lang: Lang, compact: bool = True, *, exact: bool = False) -> str:
    """A fact's amount or event date, or a comparison's result, as plain text, at the item's precision
    (``exact``: a fact as the source printed it, whatever its precision — the facts table)."""
    if isinstance(item, Comparison):
        if item.value is None:
            return words.text("na", lang)
        return numfmt.quantity(item.value, lang, kind=item.kind, compact=compact, precision=item.precision)
    if item.quantity is not None:
        return numfmt.quantity(item.quantity, lang, compact=compact,
                               precision="exact" if exact else item.precision)
    return numfmt.date(item.event, lang) if item.event is not None else ""


def label(item: Item, ctx: Ctx) -> str:
    """A fact's label; a comparison's is its operands' labels joined by its operator."""
    if isinstance(item, Fact):
        return item.label(ctx.lang)
    spec = next((s for s in ctx.spec.comparisons if s.id == item.id), None)
    named = spec.names if spec else [f.id for f in item.inputs]
    ids = [i for i in named if i in ctx.facts or i in ctx.comparisons]
    if item.kind == "rank" and item.subject in ctx.facts:
        return ctx.facts[item.subject].label(ctx.lang)
    return f" {item.operator} ".join(label(ctx.item(i, ctx.spec.origin), ctx) for i in ids)


def formula(c: Comparison, lang: Lang) -> str:
    """``100,000台 ÷ 25,000台``; a one-operand conversion shows its result: ``130万ガロン/日 → …``;
    an unavailable comparison has no formula: ``NA``."""
    if c.value is None:
        return words.text("na", lang)
    precision = c.operand_precision or (None,) * len(c.operands)
    parts = [numfmt.quantity(q, lang, compact=False, precision=p) for q, p in zip(c.operands, precision)]
    if len(parts) == 1:
        parts.append(numfmt.quantity(c.value, lang, kind=c.kind, compact=False, precision=c.precision))
    return f" {c.operator} ".join(parts)


def computed(check: ClaimCheck, target: Item, lang: Lang) -> str:
    """What the facts compute for a claim's ``target``, at its precision, worded against the asserted
    figure (``NA`` when unverifiable)."""
    if check.computed is None:
        return words.text("na", lang)
    kind, precision = (target.kind, target.precision) if isinstance(target, Comparison) else (None, target.precision)
    if check.claim.asserted is None:
        return numfmt.quantity(check.computed, lang, kind=kind, precision=precision)
    return numfmt.against(check.computed, check.claim.asserted, lang, kind=kind, precision=precision)


def inputs(item: Item) -> tuple[Fact, ...]:
    """The facts behind ``item``: itself, or a comparison's inputs."""
    return item.inputs if isinstance(item, Comparison) else (item,)
