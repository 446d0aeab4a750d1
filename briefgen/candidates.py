"""Candidate number expressions → rows in the facts.csv layout, and that table as a CSV file (edge)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from briefgen.errors import OutputError, Problem
from briefgen.numberwords import Kind, Qualifier

CSV_COLUMNS = ("id", "entity", "metric", "value", "low", "high", "unit", "as_of", "source", "quote",
               "label_ja", "label_en")


@dataclass(frozen=True)
class Candidate:
    """One number expression found in an article.

    A point has ``value``; a range has ``low`` and ``high`` (``value`` None); a date or a vague
    amount has neither (``date`` / ``vague``). ``unit`` is a ``briefgen.units`` expression, ``"1"``
    for a plain count or ratio, ``"date"`` for a date. ``counter`` is the word the article used
    (台, 枚, ヶ月, GPUs). ``char_offset`` indexes ``expression`` in the text; ``line`` is 1-based.
    """

    expression: str
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str
    line: int
    char_offset: int
    sentence: str
    quote: str
    counter: str = ""
    kind: Kind = "quantity"
    date: str = ""
    qualifier: Qualifier = ""
    vague: bool = False


def squash(text: str) -> str:
    """Every run of whitespace → one space (how sentences and quotes are shown and compared)."""
    return " ".join(text.split())


def _plain(number: Decimal | None) -> str:
    return "" if number is None else f"{number.normalize():f}"


def candidates_rows(cands: Iterable[Candidate], source: str = "") -> list[dict[str, str]]:
    """Rows in the ``facts.csv`` layout (ids ``n001``…), entity and metric left for the editor."""
    rows = []
    for i, c in enumerate(cands, start=1):
        rows.append({
            "id": f"n{i:03d}", "entity": "", "metric": "",
            "value": c.date if c.kind == "date" else _plain(c.value),
            "low": _plain(c.low), "high": _plain(c.high), "unit": c.unit, "as_of": "",
            "source": source, "quote": c.quote, "label_ja": "", "label_en": "",
        })
    return rows


def write_candidates_csv(cands: Iterable[Candidate], path: Path, source: str = "") -> Path:
    """Write the candidates table as UTF-8 CSV (edge); raise ``OutputError`` when it cannot."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(candidates_rows(cands, source))
    try:
        path.write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise OutputError(Problem(str(path), f"cannot write the candidates table: {exc.strerror}",
                                  expected="a writable file in an existing folder")) from exc
    return path
