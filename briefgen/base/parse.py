"""Text fields → typed values: plain numbers, amounts, precisions, partial dates and ids (the grammar every file shares).

Numbers (``parse_number``): plain decimals with optional thousands commas and exponent
(``1,234``, ``-3``, ``0.25``, ``1.5e9``). No words, no 万/億, no NaN/inf. Values must be finite with
a decimal exponent within ±300, so every value also fits a float (charts draw floats). A spec's
literal amount (``"1 year"``, ``parse_amount``) is such a number, a space and a known unit.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache

from briefgen.base import units
from briefgen.base.errors import Problem, quoted
from briefgen.base.model import MOST_SIGNIFICANT, Fact, FactSet, PartialDate, Precision, Quantity

#: What ``run.py draft`` writes for an entity or metric it could not tell; only a draft may keep it.
PLACEHOLDER = "?"
MAX_EXPONENT = 300

NUMBER_FORM = "a number such as 1,234 or -3 or 0.25 or 1.5e9 (digits only: no words, 万/億, NaN or inf)"
DATE_FORM = "a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD"
PRECISION_FORM = f"exact, or significant digits from 1 to {MOST_SIGNIFICANT} (e.g. 3)"
ID_FORM = "lower-case letters, digits and _ only, e.g. xai_h100_count"

_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
#: Fact and source ids; a brief spec's comparison, chart and claim ids follow the same grammar.
ID = re.compile(r"[a-z0-9_]+")


def parse_number(text: str) -> Decimal:
    """``"1,234"`` → ``Decimal("1234")``; anything but a plain finite number → ``ValueError``."""
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped) is None:
        raise ValueError(f"not a number: {quoted(text)}")
    number = Decimal(stripped.replace(",", "") if "," in stripped else stripped)
    if number and abs(number.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"number out of range: {quoted(text)} (|exponent| > {MAX_EXPONENT})")
    return number


def parse_amount(text: str) -> Quantity:
    """``"1 year"`` → 1 year: a number (``parse_number``), a space, a known unit; else ``ValueError``."""
    number, _, unit = text.strip().partition(" ")
    if not units.is_known(unit):
        raise ValueError(f"not an amount: {quoted(text)}")
    return Quantity.point(parse_number(number), unit.strip())


def parse_precision(text: str) -> Precision:
    """``"exact"`` → ``"exact"``; ``"3"`` → 3 (1 to 15 significant digits); else ``ValueError``."""
    stripped = text.strip()
    if stripped == "exact":
        return "exact"
    if not stripped.isdigit() or not 1 <= int(stripped) <= MOST_SIGNIFICANT:
        raise ValueError(f"not a precision: {quoted(text)}")
    return int(stripped)


@lru_cache(maxsize=4096)
def parse_partial_date(text: str) -> PartialDate:
    """``"2023-07"`` → ``PartialDate(2023, 7)``; a malformed or impossible date → ``ValueError``."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a date: {quoted(text)}")
    year, month, day = (None if part is None else int(part) for part in match.groups())
    try:
        dt.date(year or 0, 1 if month is None else month, 1 if day is None else day)
    except ValueError as exc:
        raise ValueError(f"impossible date: {quoted(text)} ({exc})") from exc
    return PartialDate(year or 0, month, day)


def placeholders(fact_set: FactSet) -> tuple[tuple[Fact, str], ...]:
    """(fact, field) for every entity or metric still ``?`` (left by ``run.py draft``)."""
    return tuple((fact, field) for fact in fact_set.facts.values()
                 for field, value in (("entity", fact.entity), ("metric", fact.metric)) if value == PLACEHOLDER)


def placeholder_problems(fact_set: FactSet) -> tuple[Problem, ...]:
    """``placeholders`` as located problems: what a brief that is not a draft refuses."""
    return tuple(Problem(fact.origin.path, f"placeholder {PLACEHOLDER!r} left by draft", fact.origin.line, field,
                         f"the fact's {field} (or draft: true in brief.yaml while the brief is a draft)")
                 for fact, field in placeholders(fact_set))
