"""Article text → candidate number expressions (value, unit, sentence) for an editor to review.

The core (``extract``, ``candidates_rows``, ``uncovered``, ``stale_quotes``) is pure; only
``write_candidates_csv`` touches a file. Rules the code follows, so an editor can predict it:

- A candidate is a number with what it counts or measures: ``10万台``, ``$6 billion``, ``4倍``,
  ``2023年7月``. Approximation words next to it (約, 最大, 以上, わずか, about, up to, only …) are
  part of the expression and set ``qualifier``.
- Digits glued to Latin letters are names, not numbers (``H100``, ``GPT-4``, ``Grok-1.5V``); so is a
  bare number right after a capitalised word (``Grok 2``).
- ``1台あたり`` / ``毎日`` / ``a day`` / ``per GPU`` are denominators: never candidates themselves,
  they turn the neighbouring amount into a rate (``USD/GPU``, ``gallon/day``). Power units are
  already rates and ignore them (``1時間あたり150メガワット`` stays ``MW``).
- Kanji numerals count only before a counter and never as a lone 一 (一つ, 一人, 世界一 are idioms).
- Vague amounts (``数千万ドル``, ``tens of millions of dollars``) are kept with ``vague=True`` and no
  value, so the editor sees them.
- Dates carry a partial ISO string in ``date``: ``2023-07``, ``2024-04-13``, ``--04-13`` (year not
  written), ``2015/2018`` (a span).

Here: the context around each raw hit (qualifiers, denominators, sentence, quote). The words and
regex pieces live in ``numberwords``, the per-language rules in ``numbergrammar``, the table in
``candidates`` and the check against a brief's facts in ``coverage``; this module is the entry point
for all of them.
"""

from __future__ import annotations

import bisect
import re

from briefgen.base.model import Lang
from briefgen.extract.candidates import CSV_COLUMNS, Candidate, candidates_rows, squash, write_candidates_csv
from briefgen.extract.coverage import stale_quotes, uncovered
from briefgen.extract.numbergrammar import GRAMMARS, Grammar, Hit, resolve_unit, scan
from briefgen.extract.numberwords import FULLWIDTH, NO_PER, Qualifier

__all__ = ["CSV_COLUMNS", "Candidate", "candidates_rows", "detect_lang", "extract", "stale_quotes",
           "uncovered", "write_candidates_csv"]

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def detect_lang(text: str) -> Lang:
    """``ja`` when the text holds any kana or kanji, else ``en``."""
    return "ja" if _JAPANESE.search(text) else "en"


def extract(text: str, lang: Lang | None = None) -> tuple[Candidate, ...]:
    """Every number expression in ``text``, in reading order (``lang`` None → ``detect_lang``)."""
    g = GRAMMARS[lang or detect_lang(text)]
    norm = text.translate(FULLWIDTH)  # one character for one: offsets stay valid in ``text``
    spans = _sentence_spans(norm, g)
    return tuple(_candidate(h, text, norm, g, spans) for h in scan(norm, g) if h.emit)


def _candidate(hit: Hit, text: str, norm: str, g: Grammar,
               spans: list[tuple[int, int]]) -> Candidate:
    """A raw hit with its context: qualifier words, a denominator, its sentence and quote."""
    start, end, qualifier = _qualify(norm, hit, g)
    unit = _per_unit(norm, hit, start, end, g)
    span = spans[bisect.bisect_right(spans, (start, len(norm) + 1)) - 1]
    is_point = hit.low is not None and hit.low == hit.high
    return Candidate(
        expression=text[start:end],
        value=hit.low if is_point else None,
        low=None if is_point else hit.low,
        high=None if is_point else hit.high,
        unit=unit, line=text.count("\n", 0, start) + 1, char_offset=start,
        sentence=squash(text[span[0]:span[1]]), quote=_quote(text, norm, start, end, span, g),
        counter=hit.counter, kind=hit.kind, date=hit.date, qualifier=qualifier, vague=hit.vague,
    )


def _qualify(norm: str, hit: Hit, g: Grammar) -> tuple[int, int, Qualifier]:
    """The hit's span grown over a qualifier word either side (約, 以上, up to), and what it says."""
    if hit.kind == "date":
        return hit.start, hit.end, ""
    start, end = hit.start, hit.end
    qualifier: Qualifier = hit.qualifier
    after = g.after.match(norm, end)
    if after:
        end, qualifier = after.end(), g.qualifiers[after.group(1)]
    before = g.before.search(norm[max(0, start - 20):start])
    if before:
        start -= len(before.group(0))
        qualifier = g.qualifiers[before.group(1).lower()]
    return start, end, qualifier


def _per_unit(norm: str, hit: Hit, start: int, end: int, g: Grammar) -> str:
    """The hit's unit, made a rate by a denominator next to it (``USD/GPU``, ``gallon/day``)."""
    if hit.unit in NO_PER or hit.kind != "quantity" or hit.vague:
        return hit.unit
    m = g.per.search(norm[max(0, start - 20):start]) if g.lang == "ja" else g.per.match(norm, end)
    if not m:
        return hit.unit
    word = next(w for w in m.groups() if w)
    per = g.per_units.get(word, word)
    if word in ("台", "枚"):
        per = resolve_unit(word, g, norm, (start - 20, end)).unit  # "1台あたり" next to "H100"
    return hit.unit if per == "1" else f"{hit.unit}/{per}"


def _sentence_spans(norm: str, g: Grammar) -> list[tuple[int, int]]:
    """(start, end) of every sentence, in order, covering the whole text."""
    spans, pos = [], 0
    for m in g.sentence_end.finditer(norm):
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, len(norm)))
    return spans


def _clause_stop(norm: str, pos: int, limit: int, g: Grammar) -> int:
    m = g.clause_end.search(norm, pos, limit)
    return m.start() if m else limit


def _quote(text: str, norm: str, start: int, end: int, span: tuple[int, int], g: Grammar) -> str:
    """The clause around the expression, grown to the right until it has some context."""
    s0, s1 = span
    left = max((m.end() for m in g.clause_end.finditer(norm, s0, start)), default=s0)
    right = _clause_stop(norm, end, s1, g)
    least, most = g.context
    while right < s1 and (right - left) - (end - start) < least:
        right = _clause_stop(norm, right + 1, s1, g)
    left, right = max(left, start - most), min(right, end + most)
    while left < start and _ascii_word(norm[left - 1:left + 1]):
        left += 1  # never cut a Latin word in two
    while right > end and _ascii_word(norm[right - 1:right + 1]):
        right -= 1
    return squash(text[left:right]).strip(" 、，,;。")


def _ascii_word(pair: str) -> bool:
    return len(pair) == 2 and pair.isascii() and pair.isalnum()
