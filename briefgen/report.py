"""Claim checks, conflicts and extracted numbers → plain text for a terminal (``check``, ``extract``)."""

from __future__ import annotations

from functools import partial
from typing import Callable, Sequence

from briefgen.base import numfmt, words
from briefgen.base.model import ClaimCheck, Comparison, Conflict, Fact, FactSet, Lang
from briefgen.compose.directives import measure, order_text, verdict
from briefgen.compose.figures import Item, computed
from briefgen.compute import compare
from briefgen.extract.candidates import Candidate, plain


def checks_text(checks: Sequence[ClaimCheck], conflicts: Sequence[Conflict],
                comparisons: Sequence[Comparison], facts: FactSet, lang: str) -> str:
    """One line per claim (verdict, quote, asserted vs computed, how far off and the tolerance) and
    per conflict."""
    code: Lang = "ja" if lang == "ja" else "en"
    item = partial(compare.lookup, facts, comparisons)
    lines = [f"{words.text('report.claims', code)}:"]
    lines += [_claim_line(check, item, code) for check in checks] or [f"  {words.text('report.no_claims', code)}"]
    lines.append(f"{words.text('report.conflicts', code)}:")
    lines += [_conflict_line(c, code) for c in conflicts] or [f"  {words.text('report.no_conflicts', code)}"]
    return "\n".join(lines) + "\n"


def _claim_line(check: ClaimCheck, item: Callable[[str], Item], lang: Lang) -> str:
    claim = check.claim
    contradicted = check.verdict == "contradicted" and not claim.acknowledged
    flag = "?" if check.verdict == "unverifiable" and claim.asserted is not None else "!" if contradicted else " "
    target = item(claim.target)
    text = f"{flag} [{verdict(check.verdict, lang)}] {claim.id}: {words.text('report.quote', lang, text=claim.quote)} "
    if claim.asserted is None:
        text += order_text(check, target, item(claim.than), (claim.target, claim.than), lang)
    else:
        kind = target.kind if isinstance(target, Comparison) else None
        asserted = numfmt.quantity(claim.asserted, lang, kind=kind, precision="exact")
        text += f"{asserted} → {computed(check, target, lang)}"
    if check.verdict == "unverifiable":
        text += f" ({words.text('claim.overlap', lang) if check.note == 'ranges overlap' else check.note})"
    if check.position:
        text += f" ({words.text(f'position.{check.position}', lang)})"
    if measure(check, target, lang):
        text += f" — {measure(check, target, lang)}"
    if check.claim.acknowledged:
        text += f" — {words.text('report.reviewed', lang, note=check.claim.acknowledged)}"
    return text


def _conflict_line(conflict: Conflict, lang: Lang) -> str:
    values = ", ".join(f"{fact.id}={_value(fact, lang)}" for fact in conflict.facts)
    return f"  {conflict.entity} / {conflict.metric}: {values}; {words.text('report.used', lang)}: {conflict.used.id}"


def _value(fact: Fact, lang: Lang) -> str:
    if fact.quantity is not None:
        return numfmt.quantity(fact.quantity, lang)
    return numfmt.date(fact.event, lang) if fact.event is not None else "?"


def candidates_text(cands: Sequence[Candidate]) -> str:
    """One line per candidate: line number, expression, value (or range or date) and unit."""
    lines = []
    for c in cands:
        value = c.date or plain(c.value) or (f"{plain(c.low)}–{plain(c.high)}" if c.low is not None else "(vague)")
        lines.append(f"{c.line:>4}  {c.expression}\t{value} {c.unit}".rstrip())
    return "\n".join(lines) + ("\n" if lines else "")


def coverage_text(uncovered: Sequence[Candidate], stale: Sequence[Fact]) -> str:
    """What ``extract --against`` found: numbers no fact covers, facts whose quote left the article."""
    lines = [f"Numbers in the article that no fact covers: {len(uncovered)}"]
    lines += [f"  line {c.line}: {c.expression}  — {c.quote}" for c in uncovered]
    lines.append(f"Facts whose quote is no longer in the article: {len(stale)}")
    lines += [f"  {fact.origin}: {fact.id}: {words.text('report.quote', 'en', text=fact.quote)}" for fact in stale]
    return "\n".join(lines) + "\n"
