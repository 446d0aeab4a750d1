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

from briefgen.base.model import Lang
from briefgen.extract.numberwords import (
    DAYS_AFTER,
    DEVICE,
    DEVICE_WORDS,
    EN_CUR,
    EN_CURRENCIES,
    EN_MONTH,
    EN_MONTH_ALONE,
    EN_NOT_GLUED,
    EN_NUM,
    EN_SCALE,
    EN_SIGN,
    EN_UNIT,
    EN_UNITS,
    JA_KANJI,
    JA_NOT_GLUED,
    JA_NOT_KANJI_COUNTER,
    JA_NUM,
    JA_SEP,
    JA_SIGN,
    JA_UNIT,
    JA_UNIT_UNNAMED,
    JA_UNITS,
    SERVER_WORDS,
    YEAR,
    Kind,
    Qualifier,
    UnitWord,
    en_number,
    fraction,
    ja_number,
    month_number,
    multiple,
    quarter_number,
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
    emit: bool = True  # False for a marker (1台あたり, 12:00, (3778), 第3): it only blocks other matches
    qualifier: Qualifier = ""  # what the number itself says (120+ is at least 120)


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
    unit = unit_of(word, grammar.units, text[span[1]:span[1] + 4])
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
    if ends is None or _change(m, text, g):
        return None
    low, high = (end * _sign(parts) for end in ends)
    word = parts.get("u") or ""
    unit = _amount_unit(parts, word, text, m.span(), g)
    if unit is None or _a_year(parts, unit, word, g):
        return None
    counter = word.strip(" -").removeprefix("の") if unit.pattern else ""
    return Hit(m.start(), m.end(), low * unit.factor, high * unit.factor, unit.unit, counter,
               unit.kind, qualifier="at_least" if parts.get("plus") else "")


def _a_year(parts: dict[str, str | None], unit: UnitWord, word: str, g: Grammar) -> bool:
    """2024年 is a date, not 2024 years; so is "2024" before a count ("in 2024 new homes")."""
    if unit.unit == "year" and word.strip() == "年":
        return Decimal(g.number(parts["lo"] or "", None)[0]) >= 1000
    return (g.lang == "en" and unit.unit in ("1", "person", "household") and not parts.get("cur")
            and re.fullmatch(YEAR, parts["lo"] or "") is not None)


def _change(m: re.Match[str], text: str, g: Grammar) -> bool:
    """``1700人から2000人に増える`` is a change between two amounts, not a range."""
    return g.lang == "ja" and "から" in m.group(0) and text.startswith(("に", "へ"), m.end())


def _sign(parts: dict[str, str | None]) -> int:
    """-1 for a negative point: ``-3.7``, ``−3.7``, ``minus 2``, ``▲9.2``, ``△0.4``; else 1."""
    return -1 if parts.get("sign") else 1


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
    unitless_range = g.lang == "ja" and parts.get("hi") and "から" not in text[span[0]:span[1]]
    return UnitWord("", "1") if any(_scales(parts)) or parts.get("plus") or unitless_range else None


def _bare(m: re.Match[str], text: str, g: Grammar) -> Hit | None:
    """A number with nothing after it: a plain count, or money named before it (人民元換算で290億)."""
    if re.search(r"[A-Z][\w-]*\s$", text[max(0, m.start() - 30):m.start()]):
        return None
    value = g.number(m.group("lo"), None)[0] * _sign(m.groupdict())
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


def _marker(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """Digits that are not an amount: a denominator (1台あたり, which ``extract`` reads next to an
    amount), a time (12:00, 午前10時), a day of the month alone (12日), a stock code ((3778)), an
    ordinal in a name (第3ゾーン). It only keeps other rules off these characters."""
    return Hit(m.start(), m.end(), emit=False)


def _fraction(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """3分の1, a third, two-thirds, three-quarters of: the ratio to four decimals."""
    value = fraction(m.group("n"), m.group("d"))
    return Hit(m.start(), m.end(), value, value, "1", m.group(0), "fraction")


def _multiple(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """倍増, doubled, twice, tripled (a multiple); 半減, halved (the ratio 0.5)."""
    value = multiple(m.group(0))
    return Hit(m.start(), m.end(), value, value, "1", m.group(0), "times" if value > 1 else "quantity")


def _rank(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """No. 2: a place in a ranking."""
    value = Decimal(m.group("lo"))
    return Hit(m.start(), m.end(), value, value, "1", "No.", "rank")


def _month(year: int | None, month: int) -> str:
    """A partial ISO month; ``--07`` when the year was not written."""
    return f"{year or '-'}-{month:02d}"


def _period(m: re.Match[str], first: tuple[int | None, int], last: tuple[int | None, int]) -> Hit:
    return Hit(m.start(), m.end(), unit="date", kind="date", date=f"{_month(*first)}/{_month(*last)}")


def _year(m: re.Match[str]) -> int | None:
    return int(m.group("y")) if m.group("y") else None


def _months(m: re.Match[str], _text: str, _g: Grammar) -> Hit | None:
    """7〜12月, 2025年4〜9月期, 8–10月: a span of months (the end in the next year when it wraps)."""
    year, first, last = _year(m), month_number(m.group("m")), month_number(m.group("m2"))
    if first == last:
        return None
    return _period(m, (year, first), (year + 1 if year and last < first else year, last))


def _quarter(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """第2四半期, 2Q, Q4 2024, fourth-quarter; a fiscal year's quarter (2024年度第1四半期) from April."""
    year, q = _year(m), quarter_number(m.group("q"))
    start = 3 * q - 2 + (3 if m.groupdict().get("fy") else 0)
    if start > 12:
        start, year = start - 12, year + 1 if year else None
    return _period(m, (year, start), (year, start + 2))


def _half_year(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """2023年下半期, second half of 2023, H1 2024: January–June or July–December."""
    first = m.group("h").lower() in ("上半期", "上期", "first", "1")
    return _period(m, (_year(m), 1 if first else 7), (_year(m), 6 if first else 12))


def _fiscal_year(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """2024年度 (April 2024 – March 2025), and its halves 上期 / 下期."""
    year, half = int(m.group("y")), m.group("h") or ""
    start = (year, 10) if "下" in half else (year, 4)
    end = (year, 9) if "上" in half else (year + 1, 3)
    return _period(m, start, end)


def _fiscal_end(m: re.Match[str], _text: str, _g: Grammar) -> Hit:
    """2026年3月期: the twelve months ending March 2026 (April 2025 – March 2026)."""
    year, month = int(m.group("y")), int(m.group("m"))
    start = (year, 1) if month == 12 else (year - 1, month + 1)
    return _period(m, start, (year, month))


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


#: Rules both languages share: ISO and slashed dates, times and stock codes that are not amounts.
_COMMON: list[tuple[str, Builder]] = [
    (rf"(?P<y>{YEAR})(?P<s>[/-])(?P<m>1[0-2]|0?[1-9])(?P=s)(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)", _date),
    (r"\d{1,2}:\d{2}(?:\s?[ap]\.m\.)?", _marker),
    (r"(?<=[(（])\d{4}(?=[)）])", _marker),
]


def _ja_rules() -> tuple[tuple[re.Pattern[str], Builder], ...]:
    date = (rf"(?:今年|昨年|去年|来年|本年)?(?:(?P<y>{YEAR})年)?(?P<m>1[0-2]|0?[1-9])月"
            r"(?:(?P<d>3[01]|[12]\d|0?[1-9])日)?")
    month = r"1[0-2]|0?[1-9]"
    rules: list[tuple[str, Builder]] = [
        *_COMMON,
        (rf"(?P<a>{YEAR})年?{JA_SEP}(?P<b>{YEAR})年(?!間|分|代|度)", _date),
        (rf"(?:(?P<y>{YEAR})年)?(?P<m>{month})月?{JA_SEP}(?P<m2>{month})月期?", _months),
        (rf"(?P<y>{YEAR})年(?P<m>{month})月期", _fiscal_end),
        (rf"(?P<y>{YEAR})年度(?P<h>上半期|下半期|上期|下期)?", _fiscal_year),
        (rf"(?P<y>{YEAR})年(?P<h>上半期|下半期|上期|下期)", _half_year),
        (rf"(?:(?P<y>{YEAR})年(?P<fy>度)?)?第(?P<q>[1-4一二三四])四半期", _quarter),
        (rf"(?:(?P<y>{YEAR})年)?(?P<q>[1-4])Q(?![A-Za-z0-9])", _quarter),
        (r"(?:午前|午後)?\d{1,2}時(?:\d{1,2}分|半)?(?!間)", _marker),
        (rf"(?:3[01]|[12]\d|0?[1-9])日(?![間本]|{DAYS_AFTER})", _marker),
        (r"第\d+", _marker),
        (date, _date),
        (rf"(?P<y>{YEAR})年(?!間|分|代|度|\d)", _date),
        (rf"(?:1|一)(?:{JA_PER})(?:あたり|当たり|につき|=)", _marker),
        (rf"(?P<lo>{JA_NUM}){JA_UNIT_UNNAMED}?{JA_SEP}(?P<hi>{JA_NUM}){JA_UNIT}?",
         _amount),
        (rf"(?P<lo>\d{{1,2}})、(?P<hi>\d{{1,2}}){JA_UNIT}", _amount),
        (rf"{JA_SIGN}?(?P<lo>{JA_NUM}|\d+・\d+){JA_UNIT}", _amount),
        (rf"{JA_SIGN}?(?P<lo>{JA_NUM})(?![A-Za-z0-9.,])", _bare),
        (r"(?P<d>\d+|[二三四五六七八九十])分の(?P<n>\d+|[一二三四五六七八九])", _fraction),
        (r"倍増|半減", _multiple),
        (rf"(?<![{JA_KANJI}数])(?P<lo>[{JA_KANJI}]+){JA_NOT_KANJI_COUNTER}{JA_UNIT}", _kanji),
        (rf"数(?:[十百千]?[万億兆]?){JA_UNIT}", _vague),
        (r"(?<![大前後上下])半分", _half),
    ]
    return tuple((re.compile(JA_NOT_GLUED + p), b) for p, b in rules)


def _en_rules() -> tuple[tuple[re.Pattern[str], Builder], ...]:
    day = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
    amount = (rf"{EN_CUR}?(?P<lo>{EN_NUM})(?P<ls>{EN_SCALE})?(?:\s?(?:-|–|—)\s?|\s(?:to|or)\s)"
              rf"(?:US\$|\$|€|¥)?(?P<hi>{EN_NUM})(?P<hs>{EN_SCALE})?{EN_UNIT}?")
    ordinal = r"(?:straight|consecutive|successive|time|round|term|year|quarter|month|week|day)\b"
    rules: list[tuple[str, Builder]] = [
        *_COMMON,
        (rf"(?P<a>{YEAR})\s?(?:-|–|—|\sto\s|\sthrough\s)\s?(?P<b>{YEAR})(?!\d)", _date),
        (rf"(?i:(?P<q>first|second|third|fourth))[\s-]quarter(?:\s(?:of\s)?(?P<y>{YEAR})(?!\d))?",
         _quarter),
        (rf"Q(?P<q>[1-4])\b(?:\s(?P<y>{YEAR})\b)?", _quarter),
        (rf"(?P<q>[1-4])Q\b(?:\s?(?P<y>{YEAR})\b)?", _quarter),
        (rf"(?P<h>first|second)\shalf\sof\s(?P<y>{YEAR})\b", _half_year),
        (rf"H(?P<h>[12])\s?(?P<y>{YEAR})\b", _half_year),
        (rf"(?i:(?P<n>a|one|two)[\s-](?P<d>thirds?))\b(?!\s{ordinal})", _fraction),
        (r"(?i:(?P<n>a|one|three)[\s-](?P<d>quarters?))(?=\sof\b)", _fraction),
        (r"(?<=\bby\s)(?P<n>a)\s(?P<d>quarter)\b(?!\sof\s\d)", _fraction),
        (r"\b(?i:doubled|tripled|quadrupled|halved|twice)\b", _multiple),
        (rf"(?P<m>{EN_MONTH_ALONE})\b(?!\s\d)", _date),
        (rf"(?P<m>{EN_MONTH})\s?[-–]\s?(?P<m2>{EN_MONTH})\b(?:\s(?P<y>{YEAR})\b)?", _months),
        (r"No\.\s?(?P<lo>\d{1,3})\b", _rank),
        (rf"(?P<m>{EN_MONTH})\.?\s{day}(?:,?\s(?P<y>{YEAR})(?!\d))?", _date),
        (rf"{day}\s(?P<m>{EN_MONTH})(?:\s(?P<y>{YEAR})(?!\d))?\b", _date),
        (rf"(?P<m>{EN_MONTH})\s(?:of\s)?(?P<y>{YEAR})(?!\d)", _date),
        (amount, _amount),
        (rf"{EN_SIGN}?{EN_CUR}?(?P<lo>{EN_NUM})(?P<plus>\+)?(?P<ls>{EN_SCALE})?{EN_UNIT}?", _amount),
        (rf"(?P<y>{YEAR})(?![\d%]|[.,]\d)", _date),
        (rf"{EN_SIGN}?(?P<lo>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w%]|[.,]\d)", _bare),
        (rf"(?:(?:tens|hundreds)\sof\s(?:thousands|millions|billions)|(?:several|a\sfew)\s"
         rf"(?:hundred|thousand|million|billion))(?:\sof)?{EN_UNIT}?", _vague),
        (r"(?<!first\s)(?<!second\s)\b[Hh]alf(?=\sof\b|\sthe\b)", _half),
    ]
    return tuple((re.compile(EN_NOT_GLUED + p), b) for p, b in rules)


JA_PER = r"台|枚|日|時間|人|名|世帯|[ヶかカ]月|年|バレル|トン|ドル"  # 1台あたり, 1バレル=72.5ドル
_JA = Grammar(
    lang="ja", rules=_ja_rules(), units=JA_UNITS, number=ja_number,
    qualifiers={"約": "about", "およそ": "about", "ほぼ": "about", "前後": "about", "程度": "about",
                "ほど": "about", "近く": "about", "最大": "at_most", "最高": "at_most",
                "以下": "at_most", "未満": "at_most", "最低": "at_least", "少なくとも": "at_least",
                "以上": "at_least", "超": "at_least", "余り": "at_least", "強": "at_least",
                "弱": "at_most", "わずか": "only",
                "僅か": "only", "たった": "only"},
    before=re.compile(r"((?<![契予節要制集])約|およそ|ほぼ|最大|最高|最低|少なくとも|わずか|僅か|たった)\s*$"),
    after=re.compile(r"(以上|以下|未満|超|余り|前後|程度|ほど|近く|強|弱)"),
    per=re.compile(rf"(?:(?:1|一)({JA_PER})(?:あたり|当たり|につき|=)|毎(日|月|年)|([月年日])額)\s*$"),
    per_units={"日": "day", "時間": "hour", "人": "person", "名": "person", "世帯": "household",
               "ヶ月": "month", "か月": "month", "カ月": "month", "月": "month", "年": "year",
               "バレル": "barrel", "トン": "tonne", "ドル": "USD"},
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
                "fewer than": "at_most", "less than": "at_most", "below": "at_most", "under": "at_most",
                "or less": "at_most", "at least": "at_least", "more than": "at_least",
                "over": "at_least", "upwards of": "at_least", "or more": "at_least",
                "plus": "at_least", "just over": "at_least", "just under": "at_most", "only": "only",
                "just": "only", "a mere": "only"},
    before=re.compile(r"(?i:\b(about|around|approximately|roughly|nearly|almost|some|an estimated|"
                      r"up to|as many as|as much as|at most|no more than|fewer than|less than|below|under|"
                      r"at least|more than|over|"
                      r"upwards of|only|just over|just under|just|a mere))\s+$"),
    after=re.compile(r"\s(or more|or so|or less|plus)\b"),
    per=re.compile(r"(?:\sof\s\w+)?\s(?:a|an|per|each)\s(day|month|year|hour|week|GPU|chip|person|"
                   r"household|barrel|tonne|ton)\b|\s(daily|monthly|annually)\b"),
    per_units={"daily": "day", "monthly": "month", "annually": "year", "chip": "GPU", "ton": "tonne"},
    sentence_end=re.compile(r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bvs)(?<!\bInc)(?<!\bCo)"
                            r"(?<!\bNo)(?<!\ba\.m)(?<!\bp\.m)(?<!\bJan)(?<!\bFeb)(?<!\bMar)(?<!\bApr)"
                            r"(?<!\bJun)(?<!\bJul)(?<!\bAug)(?<!\bSep)(?<!\bSept)(?<!\bOct)(?<!\bNov)(?<!\bDec)"
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
