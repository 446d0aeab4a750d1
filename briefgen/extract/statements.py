"""Proposed facts + the article's comparative words → comparisons and claims that check its arithmetic.

What ``arithmetic`` drafts, so an editor can predict it (every drafted claim is also listed for review):

- **Multiples** (``4倍``, ``4x``, ``twice``): a ratio of the two like-unit amounts nearest the word
  (same unit, the same metric preferred; its sentence first, then the rest of its paragraph), the
  larger over the smaller, and a claim asserting the multiple.
- **Fractions and shares** (``半分``, ``a third``, ``42% of``, ``全体の4割``): a share, the smaller
  part of the larger whole, and a claim asserting the fraction.
- **Ranks** (``2位``, ``No. 2``): the rank of the nearest amount among every amount with its unit
  and metric, and a claim asserting the place.
- **Currency pairs** (``240億ドル（約1738億人民元）``): an implied exchange-rate fact (the second
  amount over the first, from the first pair that is not a bound such as 以上), a ``currency``
  comparison for every pair, and a claim on each pair but the one the rate came from.
- **Count × price** (``10万台`` … ``1台あたり3-4万ドル`` … ``総額は40億ドル``): a product of the count
  and the per-unit price, and a claim asserting the total written in the price's sentence.
- **Suggestions**: for each metric with two or more amounts in one unit not compared yet, the ratio
  and the difference of the two largest.

A claim's direction comes from the article's qualifier (以上, at least → at_least; 以下, up to →
at_most; else about); its tolerance is 5 % for a fraction or an approximate word (約, about), else 2 %.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from briefgen.base import words
from briefgen.base.model import ComparisonSpec, Currency, Difference, Product, Rank, Ratio, Share
from briefgen.base.parse import PLACEHOLDER
from briefgen.extract.candidates import Candidate, Proposal, plain

Entry = dict[str, object]
CURRENCIES = frozenset({"USD", "CNY", "JPY", "EUR"})
_TIME_UNITS = frozenset({"year", "month", "week", "day", "hour"})
_DIRECTIONS = {"at_least": "at_least", "at_most": "at_most"}
_OPENING = re.compile(r"\s*[（(][^()（）]{0,15}$")  # between a pair's amounts: "(人民元換算で", " (about "
_FRACTION_WORDS = re.compile(r"半|half|halved|third|quarter", re.IGNORECASE)
SUGGESTED_GROUPS = 4


@dataclass(frozen=True)
class Mention:
    """Where a proposed amount fact is written (its first mention or a merged later one)."""

    fact: Proposal
    at: Candidate

    @property
    def unit(self) -> str:
        return self.fact.mention.unit


@dataclass(frozen=True)
class Arithmetic:
    """What ``arithmetic`` drafts: extra fact rows (implied rates), comparisons, claim entries, review lines."""

    rates: tuple[dict[str, str], ...]
    comparisons: tuple[ComparisonSpec, ...]
    claims: tuple[Entry, ...]
    review: tuple[words.Phrase, ...]


def is_statement(c: Candidate, text: str) -> bool:
    """A comparative word, not an amount: a multiple, a fraction, a rank, or a percentage *of* something."""
    if c.kind in ("times", "fraction", "rank"):
        return True
    if c.unit == "1" and c.value is not None and 0 < c.value < 1:
        return bool(_FRACTION_WORDS.search(c.expression))
    return c.unit == "percent" and c.value is not None and _percent_of(c, text)


def _percent_of(c: Candidate, text: str) -> bool:
    end = c.char_offset + len(c.expression)
    return bool(re.match(r"\s+of\b", text[end:end + 4]) or text[max(0, c.char_offset - 1):c.char_offset] == "の")


def arithmetic(facts: Sequence[Proposal], statements: Sequence[Candidate], text: str,
               source: str) -> Arithmetic:
    """Comparisons and claims from ``statements`` and the amounts among ``facts`` (module docstring)."""
    mentions = [Mention(p, c) for p in facts if comparable(p) for c in (p.mention, *p.merged)]
    drafted = _Drafted()
    for s in statements:
        _statement(s, mentions, drafted)
    rates = _currency_pairs(mentions, text, source, drafted)
    _products(mentions, drafted)
    _suggestions(facts, drafted)
    return Arithmetic(tuple(rates), tuple(drafted.comparisons.values()), tuple(drafted.claims), tuple(drafted.review))


class _Drafted:
    """Comparisons (by id), claims and review lines drafted so far, and the fact pairs compared."""

    def __init__(self) -> None:
        self.comparisons: dict[str, ComparisonSpec] = {}
        self.claims: list[Entry] = []
        self.review: list[words.Phrase] = []
        self.pairs: set[frozenset[str]] = set()

    def compare(self, spec: ComparisonSpec, *ids: str) -> str:
        self.comparisons.setdefault(spec.id, spec)
        self.pairs.add(frozenset(ids))
        return spec.id

    def claim(self, target: str, c: Candidate, asserted: Decimal, unit: str, what: str | words.Phrase) -> None:
        """A claim on ``target`` from ``c`` (the same statement written twice, 4x … 4×, is one claim)."""
        if any(e["target"] == target and e["quote"] == c.quote for e in self.claims):
            return
        claim_id = _unique(f"c_{target}", {str(e["id"]) for e in self.claims})
        tolerance = "0.05" if c.qualifier == "about" or c.kind == "fraction" or asserted < 1 else "0.02"
        entry: Entry = {"id": claim_id, "quote": c.quote, "target": target, "asserted": float(asserted)
                        if asserted != asserted.to_integral_value() else int(asserted), "unit": unit,
                        "tolerance": float(tolerance)}
        if c.qualifier in _DIRECTIONS:
            entry["direction"] = _DIRECTIONS[c.qualifier]
        self.claims.append(entry)
        self.review.append(words.phrase("review.claim", claim=claim_id, expression=c.expression, line=c.line,
                                        what=what))


def _unique(base: str, taken: set[str]) -> str:
    n, name = 1, base
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def comparable(p: Proposal) -> bool:
    """An amount fact that can be compared: not an event, a span or a percentage; above zero throughout."""
    c = p.mention
    above_zero = _size(c) > 0 and (c.low is None or c.low > 0)
    return not p.event and c.unit not in _TIME_UNITS and c.unit != "percent" and above_zero


def _size(c: Candidate) -> Decimal:
    if c.value is not None:
        return c.value
    if c.low is not None and c.high is not None:
        return (c.low + c.high) / 2
    return Decimal(0)


def _near(mentions: Iterable[Mention], c: Candidate) -> list[Mention]:
    """Mentions in ``c``'s paragraph, its own sentence first, nearest first."""
    return sorted((m for m in mentions if m.at.line == c.line),
                  key=lambda m: (m.at.sentence != c.sentence, abs(m.at.char_offset - c.char_offset)))


def _pair(mentions: Sequence[Mention], c: Candidate) -> tuple[Proposal, Proposal] | None:
    """The amount nearest ``c`` and the nearest other one in its unit (the same metric preferred)."""
    near = _near(mentions, c)
    for a in near:
        same = [m for m in near if m.fact.id != a.fact.id and m.unit == a.unit]
        same.sort(key=lambda m: m.fact.metric != a.fact.metric or a.fact.metric == PLACEHOLDER)
        if same:
            return a.fact, same[0].fact
    return None


def _statement(s: Candidate, mentions: Sequence[Mention], drafted: _Drafted) -> None:
    if s.kind == "rank":
        _rank(s, mentions, drafted)
        return
    pair = _pair(mentions, s)
    if pair is None or s.value is None:
        drafted.review.append(words.phrase("review.no_pair", line=s.line, expression=s.expression))
        return
    small, large = sorted(pair, key=lambda p: _size(p.mention))
    value = s.value / 100 if s.unit == "percent" else s.value
    if s.kind == "times" or value > 1:
        target = drafted.compare(Ratio(id=f"{large.id}_to_{small.id}", of=large.id, to=small.id),
                                 large.id, small.id)
        drafted.claim(target, s, value, "1", f"{large.id} ÷ {small.id}")
        return
    target = drafted.compare(Share(id=f"{small.id}_share_of_{large.id}", part=small.id, whole=large.id),
                             small.id, large.id)
    drafted.claim(target, s, value, "1", words.phrase("review.share", part=small.id, whole=large.id))


def _rank(s: Candidate, mentions: Sequence[Mention], drafted: _Drafted) -> None:
    near = [m for m in _near(mentions, s) if m.at.sentence == s.sentence]
    subject = near[0].fact if near else None
    among = [] if subject is None else list(dict.fromkeys(
        m.fact.id for m in mentions if m.unit == subject.mention.unit and m.fact.metric == subject.metric))
    if subject is None or len(among) < 2 or s.value is None:
        drafted.review.append(words.phrase("review.no_rank", line=s.line, expression=s.expression))
        return
    target = drafted.compare(Rank(id=f"{subject.id}_rank", subject=subject.id, among=tuple(among)), subject.id)
    drafted.claim(target, s, s.value, "1", words.phrase("review.rank", subject=subject.id,
                                                         among=", ".join(among)))


def _currency_pairs(mentions: Sequence[Mention], text: str, source: str,
                    drafted: _Drafted) -> list[dict[str, str]]:
    """Implied-rate facts and currency comparisons (and claims) for "A (about B)" in two currencies."""
    ordered = sorted(mentions, key=lambda m: m.at.char_offset)
    pairs = [(a, b) for a, b in zip(ordered, ordered[1:])
             if {a.unit, b.unit} <= CURRENCIES and a.unit != b.unit and a.at.value and b.at.value
             and _OPENING.fullmatch(text[a.at.char_offset + len(a.at.expression):b.at.char_offset])]
    rates: dict[tuple[str, str], tuple[dict[str, str], Mention]] = {}
    for a, b in sorted(pairs, key=lambda ab: ab[1].at.qualifier in _DIRECTIONS):
        rates.setdefault((a.unit, b.unit), (_rate_row(a, b, source), b))
    for a, b in pairs:
        row, origin = rates[(a.unit, b.unit)]
        target = drafted.compare(Currency(id=f"{a.fact.id}_in_{b.unit.lower()}", of=a.fact.id, rate=row["id"],
                                          to=b.unit), a.fact.id, b.fact.id)
        if origin is not b:
            assert b.at.value is not None  # pairs hold points only
            drafted.claim(target, b.at, b.at.value, b.unit, f"{a.fact.id} × {row['id']}")
    for row, b in rates.values():
        drafted.review.append(words.phrase("review.rate", fact=row["id"], value=row["value"], unit=row["unit"],
                                           sentence=b.at.sentence, line=b.at.line))
    return [row for row, _ in rates.values()]


def _rate_row(a: Mention, b: Mention, source: str) -> dict[str, str]:
    assert a.at.value is not None and b.at.value is not None
    rate = (b.at.value / a.at.value).quantize(Decimal("1e-4")).normalize()
    pair = f"{a.unit}/{b.unit}"
    return {"id": f"{a.unit.lower()}_{b.unit.lower()}_rate", "entity": pair, "metric": "exchange rate",
            "value": plain(rate), "low": "", "high": "", "unit": f"{b.unit}/{a.unit}", "as_of": b.fact.as_of,
            "source": source, "quote": b.at.sentence, "label_ja": words.text("draft.rate_label", "ja", pair=pair),
            "label_en": words.text("draft.rate_label", "en", pair=pair)}


def _products(mentions: Sequence[Mention], drafted: _Drafted) -> None:
    """Count × per-unit price, and a claim on the total written next to the price."""
    for price in mentions:
        top, _, per = price.unit.partition("/")
        if not per or top not in CURRENCIES:
            continue
        counts = [m for m in _near(mentions, price.at) if m.unit == per]
        totals = [m for m in _near(mentions, price.at) if m.unit == top and m.at.sentence == price.at.sentence]
        if not counts:
            continue
        count = counts[0].fact
        target = drafted.compare(Product(id=f"{count.id}_times_{price.fact.id}", of=(count.id, price.fact.id)),
                                 count.id, price.fact.id)
        total = totals[0].at if totals else None
        if total is not None and total.value is not None:
            drafted.claim(target, total, total.value, top, f"{count.id} × {price.fact.id}")


def _suggestions(facts: Sequence[Proposal], drafted: _Drafted) -> None:
    """Ratio and difference of the two largest amounts of each metric and unit not compared yet."""
    groups: dict[tuple[str, str], list[Proposal]] = {}
    for p in facts:
        if comparable(p) and p.metric != PLACEHOLDER:
            groups.setdefault((p.metric, p.mention.unit), []).append(p)
    made = 0
    for group in groups.values():
        if len(group) < 2 or made >= SUGGESTED_GROUPS:
            continue
        large, second = sorted(group, key=lambda p: _size(p.mention), reverse=True)[:2]
        if frozenset((large.id, second.id)) in drafted.pairs:
            continue
        drafted.compare(Ratio(id=f"{large.id}_to_{second.id}", of=large.id, to=second.id), large.id, second.id)
        drafted.compare(Difference(id=f"{large.id}_minus_{second.id}", of=large.id, minus=second.id),
                        large.id, second.id)
        made += 1
