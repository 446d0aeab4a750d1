"""Claims, facts and comparisons → verdicts on the article's claims, and conflicts between facts.

Verdicts on a figure (tolerance ``tol`` and contradiction threshold ``beyond`` are relative to the
computed value; ``beyond`` is the claim's ``contradicted_beyond``, 0.25 unless it says otherwise):

* ``about``: *holds* when the asserted figure lies in ``[low·(1−tol), high·(1+tol)]`` of the computed
  quantity; above that band it is *overstated*, below it *understated* — and *contradicted* when it is
  off the nearer end by more than ``beyond`` (a "5×" against a computed 2.73× is 83 % off: contradicted),
  of the opposite sign, or the end is zero.
* ``at_least`` ("290億以上"): holds when the computed high end ≥ asserted·(1−tol); otherwise the article
  claims too much: overstated within ``beyond``, contradicted past it. ``at_most`` is the mirror image.

Order claims (``kind: less_than | greater_than``, ``of`` and ``than``): *holds* when the two computed
figures (``than`` in ``of``'s unit) are strictly in the claimed order, ranges included; *contradicted*
when they are in the other order or equal; *unverifiable* (note ``ranges overlap``) when their ranges
overlap so the facts cannot tell.

A claim whose target is an unavailable comparison (``if_unavailable: na``) gets no verdict: it is
*unverifiable*, ``computed`` is ``None`` and ``note`` is the comparison's reason.

An asserted range is judged by its midpoint. ``ClaimCheck.deviation`` is how far the asserted figure
is from the nearer computed end, relative to it (``None`` inside a computed range); the brief words it
per language with the tolerance (``directives``). ``ClaimCheck.note`` is machine-neutral:
``"upper end of 3e+9–4e+9"``, ``"lower end of …"``, ``"within …"``, ``"below …"``/``"above …"`` (a
one-sided claim that holds clear of the range), or ``"computed 0.4196 vs asserted 0.5"``; numbers are
rounded to 4 significant digits.

Conflicts: facts with the same entity, metric and ``as_of`` that are comparable (both events, or
amounts of the same dimension — a CNY figure restates a USD one, it does not contradict it) and
disagree (amounts whose ranges do not overlap; event dates that differ at the precision both know).
Rule for ``Conflict.used``: the first fact in file order wins — editors put the figure they trust
first — and every fact disagreeing with it is listed after it in ``Conflict.facts``.
"""

from __future__ import annotations

from decimal import Context, Decimal, localcontext
from typing import Callable, Sequence

from briefgen.base import units
from briefgen.base.errors import ComparisonError, Problem, quoted
from briefgen.base.model import (
    ClaimCheck,
    ClaimKind,
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
from briefgen.compute import compare

_SHOWN = Context(prec=4)


def check_claims(claims: Sequence[ClaimSpec], facts: FactSet,
                 comparisons: Sequence[Comparison]) -> tuple[ClaimCheck, ...]:
    """Judge each claim against the fact or comparison it targets."""
    by_id = {c.id: c for c in comparisons}
    with localcontext(compare.DECIMALS), units.using(facts.units):
        return tuple(_check(claim, facts, by_id) for claim in claims)


def find_conflicts(facts: FactSet) -> tuple[Conflict, ...]:
    """Comparable facts about the same entity, metric and date that disagree (first one is used)."""
    first: dict[tuple[str, str, PartialDate | None, str], Fact] = {}
    groups: dict[tuple[str, str, PartialDate | None, str], list[Fact]] = {}  # only those of 2 or more
    kinds: dict[str | None, str] = {}  # unit → kind: one parse per unit, not per fact
    with localcontext(compare.DECIMALS), units.using(facts.units):
        for fact in facts.facts.values():
            unit = None if fact.quantity is None else fact.quantity.unit
            kind = kinds.get(unit) or kinds.setdefault(unit, _kind(fact))
            key = (fact.entity, fact.metric, fact.as_of, kind)
            earlier = first.setdefault(key, fact)
            if earlier is not fact:
                groups.setdefault(key, [earlier]).append(fact)
        found = [_conflict(group) for group in groups.values()]
    return tuple(c for c in found if c is not None)


# --- claims ---------------------------------------------------------------------------------------


def _check(claim: ClaimSpec, facts: FactSet, comparisons: dict[str, Comparison]) -> ClaimCheck:
    computed = _amount(claim, claim.target, "target" if claim.asserted is not None else "of", facts, comparisons)
    if not isinstance(computed, Quantity):
        return ClaimCheck(claim, None, "unverifiable", computed)
    if claim.asserted is None:
        return _order(claim, computed, facts, comparisons)
    asserted = _in_unit(claim, claim.asserted, computed.unit, "asserted unit").mid
    verdict = _verdict(asserted, computed, claim)
    position = _position(asserted, computed, claim.tolerance) if computed.is_range else ""
    return ClaimCheck(claim, computed, verdict, _note(verdict, asserted, computed, position), position,
                      _deviation(asserted, computed))


def _amount(claim: ClaimSpec, item_id: str, key: str, facts: FactSet,
            comparisons: dict[str, Comparison]) -> Quantity | str:
    """The quantity ``item_id`` stands for, or the reason it is unavailable."""
    field = f"{claim.id}.{key}"
    target = compare.lookup(facts, comparisons, item_id, origin=claim.origin, field=field)
    if isinstance(target, Comparison) and target.value is None:
        return target.unavailable
    return compare.quantity_of(target, origin=claim.origin, field=field)


def _in_unit(claim: ClaimSpec, q: Quantity, unit: str, what: str) -> Quantity:
    """``q`` in ``unit``; a unit of another dimension is a located error (``what``: whose unit)."""
    try:
        return compare.in_unit(q, unit)
    except ValueError:
        key = "than" if what == "than" else "unit"
        raise ComparisonError(Problem(
            claim.origin, f"{what} {quoted(q.unit)} does not fit {claim.target} ({unit})",
            field=f"{claim.id}.{key}", expected=f"a unit of the same dimension as {unit}")) from None


def _order(claim: ClaimSpec, computed: Quantity, facts: FactSet,
           comparisons: dict[str, Comparison]) -> ClaimCheck:
    other = _amount(claim, claim.than, "than", facts, comparisons)
    if not isinstance(other, Quantity):
        return ClaimCheck(claim, None, "unverifiable", other)
    other = _in_unit(claim, other, computed.unit, "than")
    verdict: Verdict = _ORDER[claim.kind](computed, other)
    return ClaimCheck(claim, computed, verdict, "ranges overlap" if verdict == "unverifiable" else "",
                      other=other)


def _less(a: Quantity, b: Quantity) -> Verdict:
    if a.high < b.low:
        return "holds"
    return "contradicted" if a.low >= b.high else "unverifiable"


_ORDER: dict[ClaimKind, Callable[[Quantity, Quantity], Verdict]] = {
    "less_than": _less, "greater_than": lambda a, b: _less(b, a),
}


def _verdict(asserted: Decimal, computed: Quantity, claim: ClaimSpec) -> Verdict:
    tol, beyond = claim.tolerance, claim.contradicted_beyond
    if claim.direction == "at_least":
        if computed.high >= asserted - abs(asserted) * tol:
            return "holds"
        return _off(asserted, computed.high, "overstated", beyond)
    if claim.direction == "at_most":
        if computed.low <= asserted + abs(asserted) * tol:
            return "holds"
        return _off(asserted, computed.low, "understated", beyond)
    if asserted > computed.high + abs(computed.high) * tol:
        return _off(asserted, computed.high, "overstated", beyond)
    if asserted < computed.low - abs(computed.low) * tol:
        return _off(asserted, computed.low, "understated", beyond)
    return "holds"


def _off(asserted: Decimal, nearest: Decimal, side: Verdict, beyond: Decimal) -> Verdict:
    """``side`` when asserted is within ``beyond`` of ``nearest`` (relative, same sign), else contradicted."""
    if nearest == 0 or (asserted < 0) != (nearest < 0):
        return "contradicted"
    return side if abs(asserted - nearest) <= abs(nearest) * beyond else "contradicted"


def _deviation(asserted: Decimal, computed: Quantity) -> Decimal | None:
    """(asserted − nearer end) ÷ |nearer end|: +0.19 is 19 % above; None inside a range or from zero."""
    if computed.is_range and computed.low <= asserted <= computed.high:
        return None
    nearest = computed.high if asserted > computed.high else computed.low
    return None if nearest == 0 else (asserted - nearest) / abs(nearest)


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
