"""Comparison specs and a FactSet → computed headline comparisons with their provenance.

Each kind has its spec type (``model.Ratio`` … ``model.Pace``, with that kind's arguments); ``compute``
matches on the type and computes with a function per kind.

Every operand is a fact id or the id of an *earlier* comparison in the list, so comparisons chain
(``pace_ratio = xai_pace ÷ openai_pace``). Ranges propagate as closed intervals (interval arithmetic:
the result's ends are the min and max over the operands' ends); ``rank`` orders by midpoints, and
``convert`` takes either ``per`` or ``over`` (an id or a literal such as ``"1 year"``), not both.

Arithmetic is ``Decimal`` at 28 digits (``DECIMALS``), exact for sums and products of sourced
figures; each result is rounded once to 15 significant digits (float-level precision, far beyond any
sourced figure). Unit conversion factors come from pint's float magnitudes rounded to 15 digits,
which recovers the exact factor for pint's decimal definitions (1 gallon = 0.003785411784 m³).
Display rounding is ``numfmt``'s job. Nothing here reads files, the clock or the environment.

**Unavailable.** A zero (or zero-touching) baseline — the divisor of a ratio, share or ``per``, a
pace's span — and an id missing from the facts are errors, unless the comparison's spec says
``if_unavailable: na``: then it is computed as *unavailable* (``Comparison.value`` is ``None`` and
``unavailable`` holds the reason) and a warning names the spec, the comparison and the reason. Every
comparison using an unavailable one is unavailable too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Iterable, Mapping, Sequence, assert_never

from briefgen.base import units
from briefgen.base.errors import ComparisonError, Problem, did_you_mean, quoted
from briefgen.base.model import (
    Comparison,
    ComparisonSpec,
    Convert,
    Currency,
    Difference,
    Fact,
    FactSet,
    Pace,
    Precision,
    Product,
    Quantity,
    Rank,
    Ratio,
    Share,
    Sum,
)
from briefgen.base.parse import parse_amount

#: The decimal arithmetic of comparisons and claim checks: 28 digits while computing, errors trapped.
DECIMALS = Context(prec=28, traps=[InvalidOperation, DivisionByZero, Overflow])
#: Each comparison's result is rounded once to 15 significant digits.
_RESULT = Context(prec=15)

_LOG = logging.getLogger("briefgen")
_ANY_ID = "a fact id or the id of an earlier comparison"
_Interval = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class _Operand:
    """A resolved operand: where it came from (id), its quantity, and the facts behind it."""

    id: str
    quantity: Quantity
    inputs: tuple[Fact, ...]
    precision: Precision | None = "exact"  # how the formula prints it: its fact's or comparison's


class _Skipped(Exception):
    """An operand names a comparison that already failed (its problem is reported once)."""


class _Unavailable(ComparisonError):
    """A zero baseline or an id missing from the facts: an error, unless the spec opts into n/a.

    ``inherited``: an operand is itself unavailable, so the result is unavailable whatever the spec says.
    """

    def __init__(self, problem: Problem, *, inherited: bool = False) -> None:
        super().__init__(problem)
        self.reason, self.inherited = problem.problem, inherited


# --- public helpers -------------------------------------------------------------------------------


def compute(specs: Sequence[ComparisonSpec], facts: FactSet) -> tuple[Comparison, ...]:
    """Compute every comparison in order; raise one ``ComparisonError`` listing every problem."""
    done: dict[str, Comparison] = {}
    failed: set[str] = set()
    scope = _Scope(facts, done, failed)
    problems: list[Problem | str] = []
    with localcontext(DECIMALS), units.using(facts.units):
        for spec in specs:
            try:
                done[spec.id] = _compute_one(spec, scope)
            except _Unavailable as exc:
                if spec.if_unavailable == "na" or exc.inherited:
                    done[spec.id] = _unavailable(spec, exc.reason)
                else:
                    problems.extend(exc.problems)
                    failed.add(spec.id)
            except ComparisonError as exc:
                problems.extend(exc.problems)
                failed.add(spec.id)
            except _Skipped:
                failed.add(spec.id)
    if problems:
        raise ComparisonError(*problems)
    return tuple(done.values())


def _unavailable(spec: ComparisonSpec, reason: str) -> Comparison:
    _LOG.warning("%s: %s: not available, printed as n/a: %s", spec.origin, spec.id, reason)
    return Comparison(id=spec.id, kind=spec.kind, value=None, inputs=(), operands=(), operator="",
                      spec_origin=spec.origin, unavailable=reason)


def lookup(facts: FactSet, comparisons: Sequence[Comparison] | Mapping[str, Comparison],
           item_id: str, *, origin: str = "", field: str | None = None) -> Fact | Comparison:
    """The fact or comparison called ``item_id``; an unknown id raises, naming close matches."""
    by_id = comparisons if isinstance(comparisons, Mapping) else {c.id: c for c in comparisons}
    if item_id in by_id:
        return by_id[item_id]
    if item_id in facts:
        return facts[item_id]
    raise _unknown(item_id, [*facts.facts, *by_id], origin, field)


def quantity_of(item: Fact | Comparison, *, origin: str = "", field: str | None = None) -> Quantity:
    """The amount of a fact or comparison; an event (a date) or an unavailable comparison raises."""
    if isinstance(item, Comparison):
        if item.value is None:
            raise ComparisonError(Problem(origin or item.spec_origin, f"{item.id} is not available: "
                                          f"{item.unavailable}", field=field, expected="a computed comparison"))
        return item.value
    if item.quantity is None:
        raise ComparisonError(Problem(origin or str(item.origin), _event_problem(item), field=field,
                                      expected="a fact with a value or low/high, or a comparison"))
    return item.quantity


def in_unit(q: Quantity, unit: str) -> Quantity:
    """``q`` expressed in ``unit``; ``ValueError`` when the unit is unknown or of another dimension."""
    low, high = _scaled((q.low, q.high), conversion_factor(units.parse(q.unit), unit))
    return Quantity(low, high, unit)


def conversion_factor(source: units.Unit, target: str) -> Decimal:
    """How many ``target`` units one ``source`` unit is; ``ValueError`` across dimensions."""
    goal = units.parse(target)
    if source.dimensionality != goal.dimensionality:
        raise ValueError(f"{_unit_text(source)} cannot be expressed in {target}")
    return Decimal(f"{units.factor(source, goal):.15g}")


# --- resolving operands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """What a comparison may refer to: the facts, the comparisons before it, those that failed (``compute``
    fills ``done`` and ``failed`` as it goes)."""

    facts: FactSet
    done: Mapping[str, Comparison]
    failed: set[str]

    def operand(self, spec: ComparisonSpec, name: str, item_id: str) -> _Operand:
        """The operand ``item_id``, given as argument ``name`` of ``spec``."""
        if item_id in self.failed:
            raise _Skipped(item_id)
        item = lookup(self.facts, self.done, item_id, origin=spec.origin, field=_field(spec, name))
        if isinstance(item, Comparison):
            if item.value is None:
                raise _Unavailable(Problem(spec.origin, f"{item.id} is not available ({item.unavailable})",
                                           field=_field(spec, name)), inherited=True)
            return _Operand(item.id, item.value, item.inputs, item.precision)
        quantity = quantity_of(item, origin=spec.origin, field=_field(spec, name))
        return _Operand(item.id, quantity, (item,), item.precision)

    def operands(self, spec: ComparisonSpec, name: str, ids: Sequence[str]) -> list[_Operand]:
        """The operands listed by argument ``name`` (at least two)."""
        if len(ids) < 2:
            raise _error(spec, name, f"only {len(ids)} id{'' if len(ids) == 1 else 's'}",
                         expected=f"a list of at least two ids ({_ANY_ID})")
        return [self.operand(spec, name, item_id) for item_id in ids]

    def amount_or_literal(self, spec: ComparisonSpec, name: str, text: str) -> _Operand:
        """An operand given as an id, or as a literal amount such as ``"1 year"``."""
        if text in self.facts or text in self.done:
            return self.operand(spec, name, text)
        try:
            return _Operand(text, parse_amount(text), ())
        except ValueError:
            return self.operand(spec, name, text)


def _unit(spec: ComparisonSpec, name: str, text: str) -> str:
    """``text``, a unit expression given as argument ``name``; one the unit table cannot read raises."""
    try:
        units.parse(text)
    except ValueError as exc:
        raise _error(spec, name, str(exc)) from None
    return text


# --- the kinds ------------------------------------------------------------------------------------


def _compute_one(spec: ComparisonSpec, scope: _Scope) -> Comparison:
    if spec.id in scope.facts or spec.id in scope.done:
        raise _error(spec, "", f"id {quoted(spec.id)} is already used by a fact or an earlier comparison",
                     expected="a unique comparison id")
    match spec:
        case Ratio():
            return _ratio(spec, scope.operand(spec, "of", spec.of), scope.operand(spec, "to", spec.to), "to")
        case Share():
            return _share(spec, scope)
        case Difference():
            return _difference(spec, scope)
        case Rank():
            return _rank(spec, scope)
        case Product():
            return _product(spec, scope)
        case Sum():
            return _sum(spec, scope)
        case Convert():
            return _convert(spec, scope)
        case Currency():
            return _currency(spec, scope)
        case Pace():
            return _pace(spec, scope)
        case _:
            assert_never(spec)


def _ratio(spec: Ratio | Share, a: _Operand, b: _Operand, bottom: str) -> Comparison:
    """``a ÷ b``, where ``b`` is argument ``bottom`` of ``spec``."""
    value = _divide(_interval(a), _nonzero(spec, bottom, b, _same_unit(spec, a, b)))
    return _result(spec, Quantity(*value, "1"), (a, b), "÷")


def _share(spec: Share, scope: _Scope) -> Comparison:
    """A ratio of part to whole that is also checked as a share: a negative part or whole, or a part
    larger than the whole, computes but is rarely what was meant (a wrong fact, or the wrong whole),
    so a warning names the comparison, the operands and the share."""
    share = _ratio(spec, scope.operand(spec, "part", spec.part), scope.operand(spec, "whole", spec.whole), "whole")
    if share.value is None:
        return share
    part, whole = share.operands
    low, high = share.value.low, share.value.high
    if min(part.low, whole.low) < 0 or low < 0:
        odd = "is negative" if high < 0 else "can be negative"
    elif high > 1:
        odd = "is over 100%" if low > 1 else "can be over 100%"
    else:
        return share
    _LOG.warning("%s: %s: the share %s (%s ÷ %s = %s): a share of a whole is 0–100%%; check the facts or the "
                 "whole", spec.origin, spec.id, odd, spec.part, spec.whole, _percent_span(low, high))
    return share


def _percent_span(low: Decimal, high: Decimal) -> str:
    ends = [f"{(end * 100).normalize():f}%" for end in (low, high)]
    return ends[0] if low == high else f"{ends[0]}–{ends[1]}"


def _difference(spec: Difference, scope: _Scope) -> Comparison:
    a, b = scope.operand(spec, "of", spec.of), scope.operand(spec, "minus", spec.minus)
    (a_low, a_high), (b_low, b_high) = _interval(a), _same_unit(spec, a, b)
    return _result(spec, Quantity(a_low - b_high, a_high - b_low, a.quantity.unit), (a, b), "−")


def _sum(spec: Sum, scope: _Scope) -> Comparison:
    items = scope.operands(spec, "of", spec.of)
    parts = [_same_unit(spec, items[0], item) for item in items]
    total = (sum((p[0] for p in parts), Decimal(0)), sum((p[1] for p in parts), Decimal(0)))
    return _result(spec, Quantity(*total, items[0].quantity.unit), items, "+")


def _product(spec: Product, scope: _Scope) -> Comparison:
    items = scope.operands(spec, "of", spec.of)
    value, unit = _interval(items[0]), units.parse(items[0].quantity.unit)
    for item in items[1:]:
        value, unit = _multiply(value, _interval(item)), unit * units.parse(item.quantity.unit)
    return _result(spec, Quantity(*value, _unit_text(unit)), items, "×")


def _rank(spec: Rank, scope: _Scope) -> Comparison:
    subject = spec.subject
    among = scope.operands(spec, "among", spec.among)
    if subject not in [a.id for a in among]:
        raise _error(spec, "subject", f"{quoted(subject)} is not one of among", expected="one of the among ids")
    derived = [a.id for a in among if a.id in scope.done]
    if derived:
        raise _error(spec, "among", f"{', '.join(derived)} is a comparison; a ranking holds facts",
                     expected="fact ids")
    first = next(a for a in among if a.id == subject)
    mids = {a.id: _mid(_same_unit(spec, first, a)) for a in among}
    ranked = sorted(among, key=lambda a: mids[a.id], reverse=True)
    position = 1 + sum(1 for a in among if mids[a.id] > mids[subject])
    ranking = tuple(a.inputs[0] for a in ranked)
    return _result(spec, Quantity.point(position, "1"), ranked, ">", ranking=ranking, subject=subject)


def _convert(spec: Convert, scope: _Scope) -> Comparison:
    of, target = scope.operand(spec, "of", spec.of), _unit(spec, "to", spec.to)
    if spec.per is not None and spec.over is not None:
        raise _error(spec, "over", "per and over together", expected="either per or over (chain two "
                     "comparisons for both)")
    value, unit, operands, operator = _interval(of), units.parse(of.quantity.unit), [of], "→"
    if spec.per is not None:
        per = scope.amount_or_literal(spec, "per", spec.per)
        value = _divide(value, _nonzero(spec, "per", per, _interval(per)))
        unit, operands, operator = unit / units.parse(per.quantity.unit), [of, per], "÷"
    if spec.over is not None:
        over = scope.amount_or_literal(spec, "over", spec.over)
        value = _multiply(value, _interval(over))
        unit, operands, operator = unit * units.parse(over.quantity.unit), [of, over], "×"
    factor = _factor(spec, "to", unit, target, f" {operator} ".join(o.id for o in operands))
    return _result(spec, Quantity(*_scaled(value, factor), target), operands, operator)


def _currency(spec: Currency, scope: _Scope) -> Comparison:
    of, rate = scope.operand(spec, "of", spec.of), scope.operand(spec, "rate", spec.rate)
    target = _unit(spec, "to", spec.to)
    want = units.parse(target) / units.parse(of.quantity.unit)
    if units.parse(rate.quantity.unit).dimensionality != want.dimensionality:
        raise _error(spec, "rate", f"{rate.id} is in {rate.quantity.unit}; converting {of.id} "
                     f"({of.quantity.unit}) to {target} needs a rate in {_unit_text(want)}",
                     expected=f"an exchange-rate fact in {target}/{of.quantity.unit}")
    unit = units.parse(of.quantity.unit) * units.parse(rate.quantity.unit)
    factor = _factor(spec, "to", unit, target, f"{of.id} × {rate.id}")
    value = _scaled(_multiply(_interval(of), _interval(rate)), factor)
    return _result(spec, Quantity(*value, target), (of, rate), "×")


def _pace(spec: Pace, scope: _Scope) -> Comparison:
    of, span = scope.operand(spec, "of", spec.of), scope.operand(spec, "span", spec.span)
    per = _unit(spec, "per", spec.per)
    if not units.same_dimension(per, "day"):
        raise _error(spec, "per", f"{quoted(per)} is not a unit of time", expected="a time unit such as month")
    factor = _factor(spec, "span", units.parse(span.quantity.unit), per, span.id)
    duration = _scaled(_interval(span), factor)
    if duration[0] <= 0:
        error = _zero if duration[1] >= 0 else _error
        raise error(spec, "span", f"{span.id} is a negative or zero duration ({_show(span.quantity)})",
                    expected="a positive duration")
    value = _divide(_interval(of), duration)
    return _result(spec, Quantity(*value, f"{of.quantity.unit}/{per}"), (of, span), "÷")


def _result(spec: ComparisonSpec, value: Quantity, operands: Iterable[_Operand], operator: str, *,
            ranking: tuple[Fact, ...] = (), subject: str = "") -> Comparison:
    operands = tuple(operands)
    inputs = {fact.id: fact for operand in operands for fact in operand.inputs}
    value = Quantity(_tidy(value.low), _tidy(value.high), value.unit)
    return Comparison(id=spec.id, kind=spec.kind, value=value, inputs=tuple(inputs.values()),
                      operands=tuple(o.quantity for o in operands), operator=operator,
                      ranking=ranking, subject=subject, spec_origin=spec.origin, precision=spec.precision,
                      operand_precision=tuple(o.precision for o in operands))


# --- units and intervals --------------------------------------------------------------------------


def _same_unit(spec: ComparisonSpec, a: _Operand, b: _Operand) -> _Interval:
    """``b``'s interval in ``a``'s unit; different dimensions raise, naming both units."""
    ua, ub = a.quantity.unit, b.quantity.unit
    if not units.same_dimension(ua, ub):
        raise _error(spec, "", f"{a.id} ({ua}) and {b.id} ({ub}) have different dimensions",
                     expected="quantities of the same dimension")
    return _scaled(_interval(b), conversion_factor(units.parse(ub), ua))


def _factor(spec: ComparisonSpec, name: str, source: units.Unit, target: str, what: str) -> Decimal:
    try:
        return conversion_factor(source, target)
    except ValueError:
        raise _error(spec, name, f"{what} is in {_unit_text(source)}, which cannot be expressed in "
                     f"{target}", expected=f"a unit of the same dimension as {_unit_text(source)}") from None


def _unit_text(unit: units.Unit) -> str:
    """A unit as text: the spelling the unit table uses when it has one, else pint's long form."""
    for expr, _ in units.current().words:
        if units.parse(expr) == unit:
            return expr
    return units.compact(unit)


def _tidy(value: Decimal) -> Decimal:
    """Round to 15 significant digits and drop trailing zeros (3E+9 is written 3000000000)."""
    short = _RESULT.plus(value).normalize(_RESULT)
    exponent = short.as_tuple().exponent
    if isinstance(exponent, int) and 0 < exponent and short.adjusted() < DECIMALS.prec:
        return short.quantize(Decimal(1), context=DECIMALS)
    return short


def _mid(value: _Interval) -> Decimal:
    return (value[0] + value[1]) / 2


def _interval(operand: _Operand) -> _Interval:
    return operand.quantity.low, operand.quantity.high


def _scaled(value: _Interval, factor: Decimal) -> _Interval:
    return _multiply(value, (factor, factor))


def _multiply(a: _Interval, b: _Interval) -> _Interval:
    ends = [x * y for x in a for y in b]
    return min(ends), max(ends)


def _divide(a: _Interval, b: _Interval) -> _Interval:
    """``a ÷ b``; callers have checked that ``b`` does not touch zero (``_nonzero``, pace's span)."""
    ends = [x / y for x in a for y in b]
    return min(ends), max(ends)


def _nonzero(spec: ComparisonSpec, name: str, operand: _Operand, value: _Interval) -> _Interval:
    if value[0] <= 0 <= value[1]:
        raise _zero(spec, name, f"{operand.id} is {_show(operand.quantity)}, which is or touches zero; "
                     "cannot divide by it", expected="a non-zero baseline")
    return value


def _show(q: Quantity) -> str:
    return f"{q.low} {q.unit}" if not q.is_range else f"{q.low}–{q.high} {q.unit}"


# --- errors ---------------------------------------------------------------------------------------


def _field(spec: ComparisonSpec, name: str) -> str:
    return f"{spec.id}.{name}" if name else spec.id


def _error(spec: ComparisonSpec, name: str, problem: str, *, expected: str | None = None) -> ComparisonError:
    return ComparisonError(Problem(spec.origin, problem, field=_field(spec, name), expected=expected))


def _zero(spec: ComparisonSpec, name: str, problem: str, *, expected: str) -> ComparisonError:
    """A baseline that is or touches zero: unavailable when the spec opts in, else an error."""
    return _Unavailable(Problem(spec.origin, problem, field=_field(spec, name), expected=expected))


def _event_problem(fact: Fact) -> str:
    return f"{fact.id} is an event dated {fact.event} ({fact.origin}), not a number"


def _unknown(item_id: str, known: Sequence[str], origin: str, field: str | None) -> ComparisonError:
    return _Unavailable(Problem(origin, f"unknown id {quoted(item_id)}{did_you_mean(item_id, known)}", field=field,
                                expected=_ANY_ID))
