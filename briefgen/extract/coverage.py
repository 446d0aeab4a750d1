"""Candidates + a brief's facts → the numbers no fact covers (by value and unit), and the fact quotes
the article no longer has."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterable, Sequence

from briefgen.base.model import Fact, FactSet, PartialDate, Quantity
from briefgen.compute import compare
from briefgen.extract.candidates import Candidate, squash


def uncovered(cands: Iterable[Candidate], facts: FactSet, tolerance: Decimal = Decimal("0.01"),
              claims: Iterable[tuple[str, Quantity]] = ()) -> tuple[Candidate, ...]:
    """Candidates no fact accounts for: no fact has that value in that unit (or that date).

    Values match within the relative ``tolerance`` after unit conversion (a new "12拠点" is not
    covered by a "12GW" fact, whatever the quotes say); dates match a fact's event or as_of date
    (a date written without its year matches any year). ``claims`` are a brief's claims as
    (quote, asserted amount): a candidate inside a claim's quote with the asserted amount is
    covered by it (the article's "4倍" checked by a claim).
    """
    pool = list(facts.facts.values())
    stated = [(squash(quote), amount) for quote, amount in claims]

    def covered(c: Candidate) -> bool:
        if c.kind == "date":
            return _date_covered(c, pool)
        return (any(_amount_covers(f.quantity, c, tolerance) for f in pool)
                or any(squash(c.expression) in quote and _amount_covers(amount, c, tolerance)
                       for quote, amount in stated))

    return tuple(c for c in cands if not covered(c))


def stale_quotes(text: str, facts: FactSet) -> tuple[Fact, ...]:
    """Facts whose quote no longer appears verbatim in ``text`` (whitespace runs count as one space)."""
    article = squash(text)
    return tuple(f for f in facts.facts.values() if squash(f.quote) not in article)


def _close(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def _in_unit(number: Decimal, unit: str, target: str) -> Decimal | None:
    """``number`` of ``unit`` in ``target`` (``compare.in_unit``); None for unknown units or across
    dimensions."""
    if unit == target:
        return number
    try:
        return compare.in_unit(Quantity.point(number, unit), target).low
    except ValueError:
        return None


def _amount_covers(q: Quantity | None, c: Candidate, tolerance: Decimal) -> bool:
    """The candidate's value (or both ends of its range) match ``q``'s, within ``tolerance``."""
    low, high = (c.value, c.value) if c.value is not None else (c.low, c.high)
    if q is None or low is None or high is None:
        return False
    ends = (_in_unit(low, c.unit, q.unit), _in_unit(high, c.unit, q.unit))
    return (ends[0] is not None and ends[1] is not None
            and _close(ends[0], q.low, tolerance) and _close(ends[1], q.high, tolerance))


_ISO = re.compile(r"(\d{4}|-)(?:-(\d\d))?(?:-(\d\d))?")


def _same_date(written: str, known: PartialDate | None) -> bool:
    """``2024-05-26`` or ``--05-26`` (any year) against a fact's partial date, to the same precision."""
    m = _ISO.fullmatch(written)
    if known is None or m is None:
        return False
    year, month, day = m.groups()
    return ((year == "-" or int(year) == known.year)
            and known.month == (int(month) if month else None)
            and known.day == (int(day) if day else None))


def _date_covered(c: Candidate, facts: Sequence[Fact]) -> bool:
    """Each end of the date (``2015/2018`` has two) is some fact's event or as_of date."""
    return all(any(_same_date(end, f.event) or _same_date(end, f.as_of) for f in facts)
               for end in c.date.split("/"))
