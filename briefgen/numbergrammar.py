"""Text → raw number hits: each language's match rules, applied leftmost-longest, and its context words.

A ``Grammar`` holds what ``extract`` needs to read one language: the rules that find numbers, ranges,
dates and vague amounts (each with a builder that turns a match into a ``Hit``), and the qualifier,
denominator, sentence and clause patterns that ``extract`` applies around each hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from briefgen.model import Lang
from briefgen.numberwords import (
    DEVICE,
    DEVICE_WORDS,
    EN_CUR,
    EN_CURRENCIES,
    EN_MONTH,
    EN_NOT_GLUED,
    EN_NUM,
    EN_SCALE,
    EN_UNIT,
    EN_UNITS,
    JA_KANJI,
    JA_NOT_GLUED,
    JA_NUM,
    JA_SEP,
    JA_UNIT,
    JA_UNIT_UNNAMED,
    JA_UNITS,
    SERVER_WORDS,
    YEAR,
    Kind,
    Qualifier,
    UnitWord,
    en_number,
    ja_number,
    month_number,
    unit_of,
)


@dataclass(frozen=True)
class Hit:
    """A raw match before context (qualifiers, denominators, sentence) is applied."""

    start: int
    end: int
    low: Decimal | None = None
    high: Decimal | None = None
    unit: str = "1"
    counter: str = ""
    kind: Kind = "quantity"
    date: str = ""
    vague: bool = False
    emit: bool = True  # False for a denominator marker (1台あたり): it only blocks other matches


Builder = Callable[[re.Match[str], str, "Grammar"], "Hit | None"]


@dataclass(frozen=True)
class Grammar:
    """One language's rules (tried in order; earlier wins a tie) and the words around a number."""

    lang: Lang
    rules: tuple[tuple[re.Pattern[str], Builder], ...]
    units: tuple[UnitWord, ...]
    number: Callable[[str, str | None], tuple[Decimal, int]]
    qualifiers: dict[str, Qualifier]
    before: re.Pattern[str]          # a qualifier word just before the number
    after: re.Pattern[str]           # a qualifier word just after it
    per: re.Pattern[str]             # a denominator (before for ja, after for en)
    per_units: dict[str, str]
    sentence_end: re.Pattern[str]
    clause_end: re.Pattern[str]
    context: tuple[int, int]         # quote: minimum and maximum context characters


def _window(text: str, start: int, end: int, reach: int = 15) -> str:
    """Up to ``reach`` characters either side of ``start``–``end``, not past a sentence or line end."""
    start = max(start, 0)
    left = max(text.rfind("。", 0, start), text.rfind("\n", 0, start), start - reach, 0)
    stops = [i for i in (text.find("。", end), text.find("\n", end), end + reach) if i >= 0]
    return text[left:min(stops)]


def resolve_unit(word: str, grammar: Grammar, text: str, span: tuple[int, int]) -> UnitWord:
    """The unit ``word`` names; 台/枚 count GPUs or servers when the words near ``span`` say so."""
    unit = unit_of(word, grammar.units)
    if unit.unit != DEVICE:
        return unit
    window = _window(text, *span)
    code = "GPU" if DEVICE_WORDS.search(window) else "server" if SERVER_WORDS.search(window) else "1"
    return UnitWord(unit.pattern, code)


def _amount(m: re.Match[str], text: str, g: Grammar) -> Hit | None:
    """A number (or range) with a unit, a currency prefix, or an English scale word."""
    parts = m.groupdict()
    if not parts.get("cur") and _glued_scale(parts):
        return None  # "10m" is ten metres as often as ten million: only "$10m" is money
    ends = _range(parts, g)
    if ends is None:
        return None
    low, high = ends
    word = parts.get("u") or ""
    unit = _amount_unit(parts, word, text, m.span(), g)
    if unit is None or (unit.unit == "year" and word.strip() == "年" and low >= 1000):
        return None  # a year (2024年) is a date, not 2024 years
    counter = word.strip(" -").removeprefix("の") if unit.pattern else ""
    return Hit(m.start(), m.end(), low * unit.factor, high * unit.factor, unit.unit, counter,
               unit.kind)


def _scales(parts: dict[str, str | None]) -> list[str]:
    return [parts.get("ls") or "", parts.get("hs") or ""]


def _glued_scale(parts: dict[str, str | None]) -> bool:
    """A scale glued to its number (``10m``, ``5bn``) rather than written out (``10 million``)."""
    return any(s and not s[0].isspace() for s in _scales(parts))


def _range(parts: dict[str, str | None], g: Grammar) -> tuple[Decimal, Decimal] | None:
    """``lo`` (and ``hi``) as numbers; ``3-4万`` is 30000–40000; None when ``hi`` is not above ``lo``."""
    low, low_mult = g.number(parts["lo"] or "", parts.get("ls"))
    hi = parts.get("hi")
    if not hi:
        return low, low
    high, high_mult = g.number(hi, parts.get("hs"))
    if low_mult == 1 and high_mult > 1:
        low *= high_mult
    return None if high <= low else (low, high)


def _amount_unit(parts: dict[str, str | None], word: str, text: str, span: tuple[int, int],
                 g: Grammar) -> UnitWord | None:
    """The currency prefix, else the unit word, else a plain count when a scale word was written."""
    currency = parts.get("cur")
    if currency:
        return UnitWord("", EN_CURRENCIES[currency])
    if word:
        return resolve_unit(word, g, text, span)
    return UnitWord("", "1") if any(_scales(parts)) else None


def _bare(m: re.Match[str], text: str, g: Grammar) -> Hit | None:
    """A number with nothing after it: a plain count, or money named before it (人民元換算で290億)."""
    if re.search(r"[A-Z][\w-]*\s$", text[max(0, m.start() - 30):m.start()]):
        return None
    value, _ = g.number(m.group("lo"), None)
    currency = re.search(r"(人民元|米ドル|ドル|元|円|ユーロ)(?:換算|建て)で?\s*$", text[:m.start()])
    unit = unit_of(currency.group(1), g.units).unit if currency else "1"
    return Hit(m.start(), m.end(), value, value, unit)


def _kanji(m: re.Match[str], text: str, g: Grammar) -> Hit | None:
    """Kanji numerals before a counter (三千台); not a lone 一 (一つ, 一人) nor one led by 万/億/兆."""
    digits = m.group("lo")
    if digits[0] in "〇万億兆" or digits == "一":
        return None
    return _amount(m, text, g)


def _vague(m: re.Match[str], text: str, g: Grammar) -> Hit | None:
    """An amount with no value (数千万ドル, tens of millions of dollars)."""
    word = m.group("u") or ""
    unit = resolve_unit(word, g, text, m.span()) if word else UnitWord("", "1")
    counter = word.strip(" -") if word else ""
    return Hit(m.start(), m.end(), unit=unit.unit, counter=counter, vague=True)


def _half(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """半分 / half of: the ratio 0.5."""
    return Hit(m.start(), m.end(), Decimal("0.5"), Decimal("0.5"), "1", m.group(0))


def _per_marker(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """1台あたり: never a candidate itself (``extract`` reads it as a denominator)."""
    return Hit(m.start(), m.end(), emit=False)


def _date(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """A date as a partial ISO string: ``2023-07``, ``--04-13`` (no year), ``2015/2018`` (a span)."""
    parts = m.groupdict()
    if parts.get("a"):
        iso = f"{parts['a']}/{parts['b']}"
    else:
        month, day = parts.get("m"), parts.get("d")
        iso = parts.get("y") or "-"
        iso += f"-{month_number(month):02d}" if month else ""
        iso += f"-{int(day):02d}" if day else ""
    return Hit(m.start(), m.end(), unit="date", kind="date", date=iso)


def _ja_rules() -> tuple[tuple[re.Pattern[str], Builder], ...]:
    date = (rf"(?:今年|昨年|去年|来年|本年)?(?:(?P<y>{YEAR})年)?(?P<m>1[0-2]|0?[1-9])月"
            r"(?:(?P<d>3[01]|[12]\d|0?[1-9])日)?")
    rules: list[tuple[str, Builder]] = [
        (rf"(?P<a>{YEAR})年?{JA_SEP}(?P<b>{YEAR})年(?!間|分|代|度)", _date),
        (date, _date),
        (rf"(?P<y>{YEAR})年(?!間|分|代|度|\d)", _date),
        (r"(?:1|一)(?:台|枚|日|時間|人|名|世帯|[ヶかカ]月|年)(?:あたり|当たり|につき)", _per_marker),
        (rf"(?P<lo>{JA_NUM}){JA_UNIT_UNNAMED}?{JA_SEP}(?P<hi>{JA_NUM}){JA_UNIT}?",
         _amount),
        (rf"(?P<lo>\d{{1,2}})、(?P<hi>\d{{1,2}}){JA_UNIT}", _amount),
        (rf"(?P<lo>{JA_NUM}){JA_UNIT}", _amount),
        (rf"(?P<lo>{JA_NUM})(?![A-Za-z0-9.,])", _bare),
        (rf"(?<![{JA_KANJI}数])(?P<lo>[{JA_KANJI}]+){JA_UNIT}", _kanji),
        (rf"数(?:[十百千]?[万億兆]?){JA_UNIT}", _vague),
        (r"(?<![大前後上下])半分", _half),
    ]
    return tuple((re.compile(JA_NOT_GLUED + p), b) for p, b in rules)


def _en_rules() -> tuple[tuple[re.Pattern[str], Builder], ...]:
    day = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
    amount = (rf"{EN_CUR}?(?P<lo>{EN_NUM})(?P<ls>{EN_SCALE})?(?:\s?(?:-|–|—)\s?|\s(?:to|or)\s)"
              rf"(?:US\$|\$|€|¥)?(?P<hi>{EN_NUM})(?P<hs>{EN_SCALE})?{EN_UNIT}?")
    rules: list[tuple[str, Builder]] = [
        (rf"(?P<a>{YEAR})\s?(?:-|–|—|\sto\s|\sthrough\s)\s?(?P<b>{YEAR})(?!\d)", _date),
        (rf"(?P<m>{EN_MONTH})\.?\s{day}(?:,?\s(?P<y>{YEAR})(?!\d))?", _date),
        (rf"{day}\s(?P<m>{EN_MONTH})(?:\s(?P<y>{YEAR})(?!\d))?\b", _date),
        (rf"(?P<m>{EN_MONTH})\s(?:of\s)?(?P<y>{YEAR})(?!\d)", _date),
        (amount, _amount),
        (rf"{EN_CUR}?(?P<lo>{EN_NUM})(?P<ls>{EN_SCALE})?{EN_UNIT}?", _amount),
        (rf"(?P<y>{YEAR})(?![\d%]|[.,]\d)", _date),
        (r"(?P<lo>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w%]|[.,]\d)", _bare),
        (rf"(?:(?:tens|hundreds)\sof\s(?:thousands|millions|billions)|(?:several|a\sfew)\s"
         rf"(?:hundred|thousand|million|billion))(?:\sof)?{EN_UNIT}?", _vague),
        (r"(?<!first\s)(?<!second\s)\b[Hh]alf(?=\sof\b|\sthe\b)", _half),
    ]
    return tuple((re.compile(EN_NOT_GLUED + p), b) for p, b in rules)


_JA = Grammar(
    lang="ja", rules=_ja_rules(), units=JA_UNITS, number=ja_number,
    qualifiers={"約": "about", "およそ": "about", "ほぼ": "about", "前後": "about", "程度": "about",
                "ほど": "about", "近く": "about", "最大": "at_most", "最高": "at_most",
                "以下": "at_most", "未満": "at_most", "最低": "at_least", "少なくとも": "at_least",
                "以上": "at_least", "超": "at_least", "余り": "at_least", "わずか": "only",
                "僅か": "only", "たった": "only"},
    before=re.compile(r"((?<![契予節要制集])約|およそ|ほぼ|最大|最高|最低|少なくとも|わずか|僅か|たった)\s*$"),
    after=re.compile(r"(以上|以下|未満|超|余り|前後|程度|ほど|近く)"),
    per=re.compile(r"(?:(?:1|一)(台|枚|日|時間|人|名|世帯|[ヶかカ]月|年)(?:あたり|当たり|につき)"
                   r"|毎(日|月|年))\s*$"),
    per_units={"日": "day", "時間": "hour", "人": "person", "名": "person", "世帯": "household",
               "ヶ月": "month", "か月": "month", "カ月": "month", "月": "month", "年": "year"},
    sentence_end=re.compile(r"[。！？!?][」』）)】]*|\n"),
    clause_end=re.compile(r"[、，,;；:：]"),
    context=(8, 30),
)
_EN = Grammar(
    lang="en", rules=_en_rules(), units=EN_UNITS, number=en_number,
    qualifiers={"about": "about", "around": "about", "approximately": "about", "roughly": "about",
                "nearly": "about", "almost": "about", "some": "about", "an estimated": "about",
                "or so": "about", "up to": "at_most", "as many as": "at_most",
                "as much as": "at_most", "at most": "at_most", "no more than": "at_most",
                "or less": "at_most", "at least": "at_least", "more than": "at_least",
                "over": "at_least", "upwards of": "at_least", "or more": "at_least",
                "plus": "at_least", "only": "only", "just": "only", "a mere": "only"},
    before=re.compile(r"(?i:\b(about|around|approximately|roughly|nearly|almost|some|an estimated|"
                      r"up to|as many as|as much as|at most|no more than|at least|more than|over|"
                      r"upwards of|only|just|a mere))\s+$"),
    after=re.compile(r"\s(or more|or so|or less|plus)\b"),
    per=re.compile(r"(?:\sof\s\w+)?\s(?:a|an|per|each)\s(day|month|year|hour|week|GPU|chip|person|"
                   r"household)\b|\s(daily|monthly|annually)\b"),
    per_units={"daily": "day", "monthly": "month", "annually": "year", "chip": "GPU"},
    sentence_end=re.compile(r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bvs)(?<!\bInc)(?<!\bCo)"
                            r"[.!?][\"'”’)\]]*(?=\s|$)|\n\s*\n"),
    clause_end=re.compile(r"[;:]|,(?!\d{3})|\s[—–]\s"),
    context=(20, 80),
)
GRAMMARS: dict[Lang, Grammar] = {"ja": _JA, "en": _EN}


def scan(norm: str, g: Grammar) -> list[Hit]:
    """Every rule's matches, then leftmost-longest without overlaps (ties go to the earlier rule)."""
    found: list[tuple[int, int, int, Hit]] = []
    for rank, (pattern, build) in enumerate(g.rules):
        for m in pattern.finditer(norm):
            hit = build(m, norm, g)
            if hit is not None:
                found.append((hit.start, -hit.end, rank, hit))
    kept: list[Hit] = []
    for _, _, _, hit in sorted(found, key=lambda f: f[:3]):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept
