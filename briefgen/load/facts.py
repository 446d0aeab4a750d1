"""Fact and source tables → a validated ``FactSet`` (every problem in both files reported at once).

Rules a fact row must follow (each broken rule is one located ``Problem``):

- ``id`` matches ``[a-z0-9_]+`` and is unique; ``entity``, ``metric``, ``quote`` are not empty;
  ``entity`` and ``metric`` may be the placeholder ``?`` only in a draft (``placeholders``);
- ``unit`` is a known unit (``briefgen.base.units``), or ``date`` for an event whose ``value`` is a
  partial ISO date (``2025``, ``2023-07``, ``2024-04-13``);
- an amount has ``value`` (a point) **or** ``low`` and ``high`` (a range, ``low <= high``), never both;
- ``as_of`` is a partial ISO date or empty; ``source`` names a row of the sources table;
- ``precision`` (optional) is empty or ``exact`` (print the value as given, the default) or 1–15
  significant digits (``parse_precision``), for text, formulas and charts; the facts table prints
  the value as given either way;
- ``note_ja``/``note_en`` (optional) are the editor's note on the quote for each edition (printed
  after it, as its translation where the quote is in the other language).

Numbers, amounts, precisions and dates follow ``briefgen.base.parse``.
"""

from __future__ import annotations

import gc
import re
import sys
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from briefgen.base import units
from briefgen.base.errors import FactsError, Problem, quoted
from briefgen.base.model import (
    Fact,
    FactSet,
    Localized,
    Origin,
    PartialDate,
    Precision,
    Quantity,
    Source,
)
from briefgen.base.parse import (
    DATE_FORM,
    ID,
    ID_FORM,
    NUMBER_FORM,
    PRECISION_FORM,
    parse_number,
    parse_partial_date,
    parse_precision,
)
from briefgen.load.tables import Cells, Row, iter_rows

FACT_COLUMNS = ("id", "entity", "metric", "value", "low", "high", "unit", "as_of", "source", "quote")
FACT_OPTIONAL = ("label_ja", "label_en", "precision", "note_ja", "note_en")
NO_NOTE = Localized()  # shared by every fact without a note (a million facts need no million empty notes)
SOURCE_COLUMNS = ("id", "publisher", "title", "date", "url", "lang")
EVENT_UNIT = "date"
_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def load_facts(facts_path: Path, sources_path: Path, unit_table: units.UnitTable | None = None) -> FactSet:
    """Read and validate both tables with ``unit_table`` (default: the one in force); raise one
    ``FactsError`` listing every problem in either."""
    with cyclic_gc_paused(), units.using(unit_table) as table:
        return replace(_load(facts_path, sources_path), units=table)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector while building many objects that all stay alive.

    Loading creates several long-lived objects per row (row, fact, quantity, origin); the collector
    would rescan them again and again for cycles that cannot exist (about a third of the time for
    100,000 facts). Reference counting still frees garbage; the previous state is restored. What the
    block allocated joins the oldest generation unscanned (frozen, then unfrozen): the collector's
    first young pass after the block would otherwise scan all of it at once (30 ms after a cold
    build); a cycle left in it is found by the next full collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
            gc.unfreeze()


def _load(facts_path: Path, sources_path: Path) -> FactSet:
    problems: list[Problem] = []
    source_rows = list(_rows(sources_path, SOURCE_COLUMNS, (), problems))
    if problems:  # a sources table with problems of its own: no row of it is checked
        source_rows = []
    row_problems: list[Problem] = []
    sources = _sources(source_rows, row_problems)
    checked = len(row_problems)
    before = len(problems)
    facts = _facts(_rows(facts_path, FACT_COLUMNS, FACT_OPTIONAL, problems), sources, row_problems)
    if len(problems) > before:  # likewise the facts table (its rows were read before its problems were known)
        del row_problems[checked:]
    problems += row_problems
    if problems:
        raise FactsError(*problems)
    return FactSet(facts=facts, sources=sources, origin=str(facts_path))


def _rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...],
          problems: list[Problem]) -> Iterator[Row]:
    """The table's rows as the file is read (each let go once its fact is built: rows and facts
    never both fill memory); the table's own problems go to ``problems`` when the rows run out."""
    try:
        yield from iter_rows(path, required, optional)
    except FactsError as exc:
        problems += [p if isinstance(p, Problem) else Problem(str(path), p) for p in exc.problems]


class _RowCheck:
    """Field readers for one row that record a located problem instead of raising."""

    def __init__(self, row: Row, problems: list[Problem]) -> None:
        self.row = row
        self.values = row.values.todict() if isinstance(row.values, Cells) else row.values
        self.problems = problems

    def fail(self, field: str, problem: str, expected: str) -> None:
        self.problems.append(Problem(self.row.origin, problem, self.row.line, field, expected))

    def text(self, field: str, expected: str = "a non-empty value") -> str:
        value = self.values[field]
        if not value:
            self.fail(field, "empty", expected)
        return value

    def ident(self, seen: dict[str, int]) -> str:
        value = self.text("id", ID_FORM)
        if value and ID.fullmatch(value) is None:
            self.fail("id", f"bad id {quoted(value)}", ID_FORM)
        elif value in seen:
            self.fail("id", f"duplicate id {quoted(value)} (first on line {seen[value]})", "each id once")
        seen.setdefault(value, self.row.line)
        return value

    def number(self, field: str) -> Decimal | None:
        text = self.values[field]
        try:
            return parse_number(text) if text else None
        except ValueError as exc:
            self.fail(field, str(exc), NUMBER_FORM)
            return None

    def precision(self, field: str) -> Precision:
        text = self.values.get(field, "")
        try:
            return parse_precision(text) if text else "exact"
        except ValueError as exc:
            self.fail(field, str(exc), PRECISION_FORM)
            return "exact"

    def date(self, field: str) -> PartialDate | None:
        text = self.values[field]
        try:
            return parse_partial_date(text) if text else None
        except ValueError as exc:
            self.fail(field, str(exc), DATE_FORM)
            return None


def _sources(rows: Iterable[Row], problems: list[Problem]) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    seen: dict[str, int] = {}
    for row in rows:
        check = _RowCheck(row, problems)
        source_id = check.ident(seen)
        url, lang = check.values["url"], check.values["lang"]
        if url and not url.startswith(("https://", "http://")):
            check.fail("url", f"not a web address: {quoted(url)}", "an http(s):// URL, or empty")
        if lang and _LANG.fullmatch(lang) is None:
            check.fail("lang", f"not a language code: {quoted(lang)}", "a code such as ja or en, or empty")
        sources.setdefault(source_id, Source(source_id, check.text("publisher"), check.text("title"),
                                             check.date("date"), url, lang))
    return sources


def _facts(rows: Iterable[Row], sources: Mapping[str, Source], problems: list[Problem]) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    seen: dict[str, int] = {}
    for row in rows:
        check = _RowCheck(row, problems)
        fact_id = check.ident(seen)
        before = len(problems)
        fact = _fact(check, fact_id, sources)
        if len(problems) == before and fact_id not in facts:
            facts[fact_id] = fact
    return facts


def _fact(check: _RowCheck, fact_id: str, sources: Mapping[str, Source]) -> Fact:
    values = check.values
    unit = sys.intern(check.text("unit", f"{EVENT_UNIT} or a unit such as GPU, USD, USD/GPU, MW, gallon/day, 1"))
    event = _event(check) if unit == EVENT_UNIT else None
    quantity = _quantity(check, unit) if unit and unit != EVENT_UNIT else None
    source_id = check.text("source", "the id of a row in the sources table")
    source = sources.get(source_id)
    if source_id and source is None:
        check.fail("source", f"unknown source {quoted(source_id)}", "the id of a row in the sources table")
    return Fact(
        id=fact_id, entity=sys.intern(check.text("entity")), metric=sys.intern(check.text("metric")),
        quantity=quantity, event=event, as_of=check.date("as_of"),
        source=source or Source(source_id, "", "", None, ""),
        quote=check.text("quote", "the article's own words for this fact"),
        origin=Origin(check.row.origin, check.row.line),
        label_ja=values["label_ja"], label_en=values["label_en"], precision=check.precision("precision"),
        note=Localized(values["note_ja"], values["note_en"]) if values["note_ja"] or values["note_en"] else NO_NOTE,
    )


def _event(check: _RowCheck) -> PartialDate | None:
    for field in ("low", "high"):
        if check.values[field]:
            check.fail(field, "an event has no range", f"empty {field}; the date goes in value")
    if not check.values["value"]:
        check.fail("value", "empty", f"the event's date: {DATE_FORM}")
        return None
    return check.date("value")


def _quantity(check: _RowCheck, unit: str) -> Quantity | None:
    try:
        units.parse(unit)
    except ValueError as exc:
        check.fail("unit", str(exc), f"{EVENT_UNIT}, or {units.FORM}")
    value, low, high = check.number("value"), check.number("low"), check.number("high")
    given = [bool(check.values[f]) for f in ("value", "low", "high")]
    if given == [False, False, False]:
        check.fail("value", "no amount", "value for a point, or low and high for a range")
    elif given[0] and (given[1] or given[2]):
        check.fail("value", "both value and low/high given", "value alone, or low and high alone")
    elif given[1] != given[2]:
        missing = "high" if given[1] else "low"
        check.fail(missing, "empty (a range needs both ends)", "low and high both given")
    elif low is not None and high is not None and low > high:
        check.fail("low", f"low {low} is greater than high {high}", "low <= high")
    if value is not None:
        return Quantity(value, value, unit)
    return None if low is None or high is None else Quantity(low, high, unit)
