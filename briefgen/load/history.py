"""Edition snapshots → a fact's values across editions (``model.History``), read with pandas.

Every edition leaves a snapshot of its facts beside its PDFs (``snapshot``; read here only through
``snapshot.editions`` and ``snapshot.load_snapshot``). The latest ``MAX_EDITIONS`` earlier editions
and this one's facts become one DataFrame indexed by edition date × fact id, holding the stored
strings (low, high, unit, labels) and the file each row came from. pandas keeps each date's latest
revision, selects the facts a template asks for, gives every selected fact a row in every edition
(empty where the edition did not have it) and takes each fact's newest labels; ``parse.parse_number``
turns the strings into amounts. The DataFrame never leaves this module: compose gets the frozen
``History``.

A snapshot that cannot be read (damaged, unreadable, or missing beside an edition's PDFs) leaves its
edition out with a warning naming the file; a value that does not parse leaves that one value out.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

from briefgen.base import parse
from briefgen.base.errors import FactsError, Problem
from briefgen.base.model import FactHistory, FactSet, History, Localized, Quantity
from briefgen.load import snapshot

log = logging.getLogger("briefgen")

#: The earlier editions a history reads, newest first: a quarter of weekly editions.
MAX_EDITIONS = 12
COLUMNS = ["edition", "revision", "fact", "low", "high", "unit", "label_ja", "label_en", "file"]
_INDEX = ["edition", "fact"]
_EDITION_ROW = ""
#: A frame cell: the stored text, or empty (None, or NaN where a row was filled in).
_Cell = str | float | None
_Row = tuple[dt.date, int, str, "str | None", "str | None", "str | None", "str | None", "str | None", str]


def load_history(reports_dir: Path, brief_id: str, edition: str, facts: FactSet,
                 ids: Sequence[str] | None = None) -> History:
    """The values of ``ids`` (every fact, when ``None``) in the latest ``MAX_EDITIONS`` editions of
    ``brief_id`` before ``edition`` and in ``edition`` itself, whose values are ``facts``."""
    date, revision = _dated(edition)
    wanted = None if ids is None else tuple(dict.fromkeys(ids))
    current = {i: facts.facts[i] for i in (facts.facts if wanted is None else wanted) if i in facts}
    rows = list(_rows(date, revision, snapshot.snapshot(FactSet(current, facts.sources)), wanted, "this edition"))
    for key, path in _latest(snapshot.editions(reports_dir, brief_id, edition), date):
        stored = _stored(key, path)
        if stored is not None:
            rows.extend(_rows(*_dated(key), stored, wanted, str(path)))
    return _history(_frame(rows), wanted or tuple(current))


def _dated(edition: str) -> tuple[dt.date, int]:
    """``2024-07-29-r2`` → (2024-07-29, 2)."""
    day, revision = snapshot.edition_order(edition)
    return dt.date.fromisoformat(day), revision


def _latest(editions: Sequence[tuple[str, Path]], today: dt.date) -> list[tuple[str, Path]]:
    """The editions of the ``MAX_EDITIONS`` latest dates before ``today`` (every revision of each:
    the newest one that reads wins)."""
    dates = sorted({_dated(key)[0] for key, _ in editions} - {today})[-MAX_EDITIONS:]
    return [(key, path) for key, path in editions if _dated(key)[0] in dates]


def _stored(key: str, path: Path) -> snapshot.Snapshot | None:
    """The snapshot of edition ``key``, or ``None`` (warned) when it is missing or damaged."""
    try:
        stored = snapshot.load_snapshot(path)
    except FactsError as exc:
        log.warning("%s; edition %s is left out of the fact history", exc, key)
        return None
    if stored is None:
        log.warning("%s", Problem(str(path), f"missing: edition {key} has PDFs but no facts snapshot, so it is "
                                  "left out of the fact history", expected="the snapshot the edition was built with"))
    return stored


def _rows(date: dt.date, revision: int, stored: snapshot.Snapshot, wanted: Sequence[str] | None,
          file: str) -> Iterator[_Row]:
    """One row per chosen fact of one edition, after a row for the edition itself (fact ``""``), so an
    edition that has none of the facts still counts."""
    yield date, revision, _EDITION_ROW, None, None, None, None, None, file
    chosen = stored if wanted is None else (i for i in wanted if i in stored)
    for fact_id in chosen:
        record = stored[fact_id]
        yield (date, revision, fact_id, record.get("low"), record.get("high"), record.get("unit"),
               record.get("label_ja") or None, record.get("label_en") or None, file)


def _frame(rows: list[_Row]) -> pd.DataFrame:
    """The rows as a DataFrame indexed by edition × fact, each date's latest revision kept, and every
    fact given a row in every edition (empty where that edition did not have it)."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    latest = frame.groupby("edition")["revision"].transform("max")
    frame = frame[frame["revision"] == latest].set_index(_INDEX)
    editions = sorted(frame.index.unique("edition"))
    facts = [i for i in frame.index.unique("fact") if i != _EDITION_ROW]
    full = pd.MultiIndex.from_product([editions, facts], names=_INDEX)
    return frame.reindex(full)


def _history(frame: pd.DataFrame, first: Sequence[str]) -> History:
    """The frame as a ``History``: its facts in the order of ``first``, then any others by id."""
    by_fact = {str(fact_id): rows for fact_id, rows in frame.groupby(level="fact")}
    labels = frame.groupby(level="fact")[["label_ja", "label_en"]].last()
    named = {fact_id: Localized(_text(ja), _text(en)) for fact_id, ja, en in labels.itertuples()}
    order = [i for i in dict.fromkeys([*first, *sorted(by_fact)]) if i in by_fact]
    facts = {i: FactHistory(i, named[i], tuple(_values(i, by_fact[i]))) for i in order}
    return History(tuple(frame.index.unique("edition")), facts)


def _values(fact_id: str, rows: pd.DataFrame) -> Iterator[tuple[dt.date, Quantity | None]]:
    for (date, _), low, high, unit, file in rows[["low", "high", "unit", "file"]].itertuples():
        yield date, _quantity(fact_id, low, high, unit, file)


def _quantity(fact_id: str, low: _Cell, high: _Cell, unit: _Cell, file: _Cell) -> Quantity | None:
    """An edition's stored amount; ``None`` for an event or a fact the edition lacks, or (warned) a
    value ``parse_number`` refuses."""
    if pd.isna(low):
        return None
    try:
        return Quantity(parse.parse_number(str(low)), parse.parse_number(str(high)), _text(unit))
    except ValueError as exc:
        log.warning("%s", Problem(str(file), f"{exc}; the value is left out of the fact history", field=fact_id,
                                  expected=parse.NUMBER_FORM))
        return None


def _text(value: _Cell) -> str:
    return "" if pd.isna(value) else str(value)
