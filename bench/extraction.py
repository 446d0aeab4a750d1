"""Labelled articles → extract's precision and recall, per file and overall (a Markdown table).

``python bench/extraction.py`` scores every ``*.txt`` in ``tests/fixtures/extract/corpus/`` (plus the
English paragraph and the reference article) against its ``*.expected.csv``: one row per number
expression a careful reader would note (``line, expression, value, low, high, unit, date,
qualifier, vague``). A candidate is correct when its line and expression are listed and its value,
range, unit, date, qualifier and vagueness all match; precision = correct / found, recall =
correct / listed. ``tests/test_extract_corpus.py`` asserts the targets on the same numbers.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefgen.extract.extract import Candidate, extract  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "extract"
REFERENCE = ROOT / "tests" / "fixtures" / "reference" / "data" / "xai-colossus" / "article-ja.txt"  # = data/'s


@dataclass(frozen=True)
class Score:
    """What extract found in one article against its labelled list."""

    name: str
    found: int
    listed: int
    correct: int
    wrong: tuple[str, ...]    # found but not listed, or listed with another value/unit/date/qualifier
    missed: tuple[str, ...]   # listed and not found

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.listed if self.listed else 1.0


def articles() -> list[tuple[Path, Path]]:
    """(article, labels) for the corpus, the English paragraph and the reference article."""
    corpus = sorted((FIXTURES / "corpus").glob("*.txt"))
    pairs = [(text, text.with_suffix(".expected.csv")) for text in corpus]
    return [*pairs, (FIXTURES / "para-en.txt", FIXTURES / "para-en.expected.csv"),
            (REFERENCE, FIXTURES / "article-ja.expected.csv")]


def labels(path: Path) -> dict[tuple[int, str], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {(int(r["line"]), r["expression"]): r for r in rows}


def _number(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def right(c: Candidate, row: dict[str, str]) -> bool:
    """The candidate says what the labelled row says."""
    return (c.value == _number(row["value"]) and c.low == _number(row["low"])
            and c.high == _number(row["high"]) and c.unit == row["unit"] and c.date == row["date"]
            and c.qualifier == row["qualifier"] and c.vague == (row["vague"] == "true"))


def score(article: Path, expected: Path) -> Score:
    wanted = labels(expected)
    found = extract(article.read_text(encoding="utf-8"))
    good = [c for c in found if (c.line, c.expression) in wanted and right(c, wanted[(c.line, c.expression)])]
    keys = {(c.line, c.expression) for c in good}
    wrong = tuple(f"{c.line}: {c.expression} → {c.value or c.date or (c.low, c.high)} {c.unit} {c.qualifier}"
                  for c in found if (c.line, c.expression) not in keys)
    missed = tuple(f"{line}: {expr}" for line, expr in wanted
                   if (line, expr) not in {(c.line, c.expression) for c in found})
    return Score(article.name, len(found), len(wanted), len(good), wrong, missed)


def table(scores: list[Score]) -> str:
    lines = ["| article | listed | found | correct | precision | recall |", "|---|---|---|---|---|---|"]
    for s in scores:
        lines.append(f"| {s.name} | {s.listed} | {s.found} | {s.correct} | {s.precision:.1%} | {s.recall:.1%} |")
    total = Score("all", *(sum(getattr(s, f) for s in scores) for f in ("found", "listed", "correct")), (), ())
    lines.append(f"| **all** | {total.listed} | {total.found} | {total.correct} | **{total.precision:.1%}** "
                 f"| **{total.recall:.1%}** |")
    return "\n".join(lines)


def main() -> int:
    scores = [score(article, expected) for article, expected in articles()]
    print(table(scores))
    for s in scores:
        for line in (*s.wrong, *s.missed):
            print(f"  {s.name} {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
