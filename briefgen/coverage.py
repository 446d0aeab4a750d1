"""Candidates + a brief's facts → the numbers no fact covers, and the fact quotes the article no longer has."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterable, Sequence

from briefgen import compare
from briefgen.candidates import Candidate, squash
from briefgen.model import Fact, FactSet, PartialDate, Quantity


def uncovered(cands: Iterable[Candidate], facts: FactSet, tolerance: Decimal = Decimal("0.01"),
              quotes: Iterable[str] = ()) -> tuple[Candidate, ...]:
    """Candidates no fact accounts for: not in any fact's quote and no fact with that value + unit.

    Values match within the relative ``tolerance`` after unit conversion; dates match a fact's
    event or as_of date (a date written without its year matches any year). ``quotes`` are more
    quoted passages that count as covered (a brief's claim quotes).
    """
    pool = list(facts.facts.values())
    quotes = [squash(q) for q in (*(f.quote for f in pool), *quotes)]

    def covered(c: Candidate) -> bool:
        if any(squash(c.expression) in q for q in quotes):
            return True
        if c.kind == "date":
            return _date_covered(c, pool)
        return any(_amount_covers(f, c, tolerance) for f in pool)

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


def _amount_covers(fact: Fact, c: Candidate, tolerance: Decimal) -> bool:
    """The candidate's value (or both ends of its range) match the fact's, within ``tolerance``."""
    q = fact.quantity
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
