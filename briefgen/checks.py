"""Claims, facts and comparisons → verdicts on the article's claims, and conflicts between facts.

Verdicts (tolerance ``tol`` is relative):

* ``about``: *holds* when the asserted figure lies in ``[low·(1−tol), high·(1+tol)]`` of the computed
  quantity; above that band it is *overstated*, below it *understated*, and *contradicted* when it is
  off by more than a factor of 2 from the nearer end (or of the opposite sign, or the end is zero).
* ``at_least`` ("290億以上"): holds when the computed high end ≥ asserted·(1−tol); otherwise the article
  claims too much: overstated within 2×, contradicted beyond. ``at_most`` is the mirror image.

A claim whose target is an unavailable comparison (``if_unavailable: na``) gets no verdict: it is
*unverifiable*, ``computed`` is ``None`` and ``note`` is the comparison's reason.

An asserted range is judged by its midpoint. ``ClaimCheck.note`` is machine-neutral (compose writes
the sentence per language): ``"upper end of 3e+9–4e+9"``, ``"lower end of …"``, ``"within …"``,
``"below …"``/``"above …"`` (a one-sided claim that holds clear of the range), or
``"computed 0.4196 vs asserted 0.5"``; numbers are rounded to 4 significant digits.

Conflicts: facts with the same entity, metric and ``as_of`` that are comparable (both events, or
amounts of the same dimension — a CNY figure restates a USD one, it does not contradict it) and
disagree (amounts whose ranges do not overlap; event dates that differ at the precision both know).
Rule for ``Conflict.used``: the first fact in file order wins — editors put the figure they trust
first — and every fact disagreeing with it is listed after it in ``Conflict.facts``.
"""

from __future__ import annotations

from decimal import Context, Decimal, localcontext
from typing import Sequence

from briefgen import compare, units
from briefgen.errors import ComparisonError, Problem
from briefgen.model import (
    ClaimCheck,
    ClaimSpec,
    Comparison,
    Conflict,
    Fact,
    FactSet,
    PartialDate,
    Position,
    Quantity,
    Verdict,
)

_SHOWN = Context(prec=4)


def check_claims(claims: Sequence[ClaimSpec], facts: FactSet,
                 comparisons: Sequence[Comparison]) -> tuple[ClaimCheck, ...]:
    """Judge each claim against the fact or comparison it targets."""
    by_id = {c.id: c for c in comparisons}
    with localcontext(compare.DECIMALS):
        return tuple(_check(claim, facts, by_id) for claim in claims)


def find_conflicts(facts: FactSet) -> tuple[Conflict, ...]:
    """Comparable facts about the same entity, metric and date that disagree (first one is used)."""
    groups: dict[tuple[str, str, PartialDate | None, str], list[Fact]] = {}
    for fact in facts.facts.values():
        groups.setdefault((fact.entity, fact.metric, fact.as_of, _kind(fact)), []).append(fact)
    with localcontext(compare.DECIMALS):
        found = [_conflict(group) for group in groups.values()]
    return tuple(c for c in found if c is not None)


# --- claims ---------------------------------------------------------------------------------------


def _check(claim: ClaimSpec, facts: FactSet, comparisons: dict[str, Comparison]) -> ClaimCheck:
    field = f"{claim.id}.target"
    target = compare.lookup(facts, comparisons, claim.target, origin=claim.origin, field=field)
    if isinstance(target, Comparison) and target.value is None:
        return ClaimCheck(claim, None, "unverifiable", target.unavailable)
    computed = compare.quantity_of(target, origin=claim.origin, field=field)
    try:
        asserted = compare.in_unit(claim.asserted, computed.unit).mid
    except ValueError:
        raise ComparisonError(Problem(
            claim.origin, f"asserted unit {claim.asserted.unit!r} does not fit {claim.target} "
            f"({computed.unit})", field=f"{claim.id}.unit",
            expected=f"a unit of the same dimension as {computed.unit}")) from None
    verdict = _verdict(asserted, computed, claim.tolerance, claim.direction)
    position = _position(asserted, computed, claim.tolerance) if computed.is_range else ""
    return ClaimCheck(claim, computed, verdict, _note(verdict, asserted, computed, position), position)


def _verdict(asserted: Decimal, computed: Quantity, tol: Decimal, direction: str) -> Verdict:
    if direction == "at_least":
        if computed.high >= asserted - abs(asserted) * tol:
            return "holds"
        return _off(asserted, computed.high, "overstated")
    if direction == "at_most":
        if computed.low <= asserted + abs(asserted) * tol:
            return "holds"
        return _off(asserted, computed.low, "understated")
    if asserted > computed.high + abs(computed.high) * tol:
        return _off(asserted, computed.high, "overstated")
    if asserted < computed.low - abs(computed.low) * tol:
        return _off(asserted, computed.low, "understated")
    return "holds"


def _off(asserted: Decimal, nearest: Decimal, within_2x: Verdict) -> Verdict:
    """``within_2x`` when asserted is within a factor of 2 of ``nearest`` (same sign), else contradicted."""
    if nearest == 0:
        return "contradicted"
    factor = asserted / nearest
    return within_2x if Decimal("0.5") <= factor <= 2 else "contradicted"


def _note(verdict: Verdict, asserted: Decimal, computed: Quantity, position: Position) -> str:
    span = f"{_num(computed.low)}–{_num(computed.high)}"
    if verdict == "holds" and computed.is_range:
        return f"{_POSITION_WORDS[position]} {span}"
    if asserted == computed.low == computed.high:
        return ""
    shown = span if computed.is_range else _num(computed.low)
    return f"computed {shown} vs asserted {_num(asserted)}"


_POSITION_WORDS = {"upper": "upper end of", "lower": "lower end of", "above": "above",
                   "below": "below", "within": "within", "": ""}


def _position(asserted: Decimal, computed: Quantity, tol: Decimal) -> Position:
    """Which end of a computed range the asserted figure picked (within tolerance), else where it lies."""
    if abs(asserted - computed.high) <= abs(computed.high) * tol:
        return "upper"
    if abs(asserted - computed.low) <= abs(computed.low) * tol:
        return "lower"
    if asserted > computed.high:
        return "above"
    return "below" if asserted < computed.low else "within"


def _num(value: Decimal) -> str:
    return f"{_SHOWN.plus(value).normalize(_SHOWN):g}"


# --- conflicts ------------------------------------------------------------------------------------


def _kind(fact: Fact) -> str:
    """What a fact can be compared with: other events, or amounts of the same dimension."""
    if fact.quantity is None:
        return "event"
    return str(units.parse(fact.quantity.unit).dimensionality)


def _conflict(group: list[Fact]) -> Conflict | None:
    used = group[0]
    rivals = tuple(fact for fact in group[1:] if _disagree(used, fact))
    if not rivals:
        return None
    return Conflict(used.entity, used.metric, (used, *rivals), used)


def _disagree(a: Fact, b: Fact) -> bool:
    if a.event is not None and b.event is not None:
        return _dates_differ(a.event, b.event)
    qa, qb = compare.quantity_of(a), compare.quantity_of(b)
    qb = compare.in_unit(qb, qa.unit)
    return qb.high < qa.low or qb.low > qa.high


def _dates_differ(a: PartialDate, b: PartialDate) -> bool:
    """True when the dates differ at the precision both know ("2024-03" and "2024-03-15" agree)."""
    pairs = ((a.year, b.year), (a.month, b.month), (a.day, b.day))
    return any(x is not None and y is not None and x != y for x, y in pairs)
