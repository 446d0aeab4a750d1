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
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

from briefgen import units
from briefgen.errors import OutputError, Problem
from briefgen.model import Fact, FactSet, Lang, PartialDate

Kind = Literal["quantity", "times", "date"]
Qualifier = Literal["", "about", "at_most", "at_least", "only"]

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


@dataclass(frozen=True)
class _Hit:
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
    emit: bool = True


@dataclass(frozen=True)
class _Unit:
    pattern: str
    unit: str
    kind: Kind = "quantity"
    factor: int = 1


_DEVICE = "@device"  # 台/枚: GPU when the clause talks about GPUs, else a plain count
_NO_PER = {"MW", "kW", "GW", "percent", "1", "year", "month", "week", "day", "hour"}
_DEVICE_WORDS = re.compile(r"GPU|[HAB]\d{3}|チップ|NVIDIA|Nvidia|エヌビディア")
_SERVER_WORDS = re.compile(r"サーバー|サーバ")

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％＄－", "0123456789.,%$-")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_MULTIPLIERS = {"十万": 10**5, "百万": 10**6, "千万": 10**7, "万": 10**4, "億": 10**8, "兆": 10**12,
                "千": 10**3}
_SCALES = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "mn": 10**6,
           "billion": 10**9, "b": 10**9, "bn": 10**9, "trillion": 10**12, "t": 10**12, "tn": 10**12}
_WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split()) if i >= 2}
_WORD_NUMBERS.update({w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())})
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_KANJI_SMALL = {"十": 10, "百": 100, "千": 1000}
_KANJI_LARGE = {"万": 10**4, "億": 10**8, "兆": 10**12}

_JA_UNITS = (
    _Unit("人民元", "CNY"), _Unit("米ドル|ドル", "USD"), _Unit("元(?!年)", "CNY"), _Unit("円", "JPY"),
    _Unit("ユーロ", "EUR"), _Unit("メガワット|MW", "MW"), _Unit("キロワット|kW", "kW"),
    _Unit("ギガワット|GW", "GW"), _Unit("ガロン", "gallon"), _Unit("リットル", "liter"),
    _Unit("立方メートル", "m**3"), _Unit("[ヶかカヵケ]月", "month"), _Unit("年間|年分|年", "year"),
    _Unit("歳|才", "year"), _Unit("週間", "week"), _Unit("日間", "day"), _Unit("時間", "hour"),
    _Unit("倍", "1", "times"), _Unit("%|パーセント", "percent"), _Unit("割", "percent", factor=10),
    _Unit("名|人(?!民)", "person"), _Unit("世帯", "household"), _Unit("台|枚", _DEVICE),
    _Unit("の(?:ポジション|職種)", "position"),
    _Unit("社|件|個|回|[カかヶ]国|の?都市|の企業|の国", "1"),
)
_EN_UNITS = (
    _Unit(r"%|\s?percent\b|\sper\scent\b", "percent"),
    _Unit(r"x\b|\s?×|\stimes\b|-fold\b", "1", "times"),
    _Unit(r"[\s-]?(?:MW|megawatts?)\b", "MW"), _Unit(r"[\s-]?(?:kW|kilowatts?)\b", "kW"),
    _Unit(r"[\s-]?(?:GW|gigawatts?)\b", "GW"),
    _Unit(r"\s(?:dollars|USD)\b", "USD"), _Unit(r"\s(?:yuan|RMB|CNY)\b", "CNY"),
    _Unit(r"\s(?:yen|JPY)\b", "JPY"), _Unit(r"\s(?:euros?|EUR)\b", "EUR"),
    _Unit(r"\sgallons?\b", "gallon"), _Unit(r"\slit(?:er|re)s?\b", "liter"),
    _Unit(r"\scubic\smet(?:er|re)s?\b", "m**3"),
    _Unit(r"[\s-]months?\b", "month"), _Unit(r"[\s-]years?\b", "year"), _Unit(r"[\s-]weeks?\b", "week"),
    _Unit(r"[\s-]days?\b", "day"), _Unit(r"[\s-]hours?\b", "hour"),
    _Unit(r"\s(?:(?:Nvidia|NVIDIA)\s)?(?:[A-Z]\d{3}\s)?(?:GPUs?|chips?)\b|\s[A-Z]\d{3}s\b", "GPU"),
    _Unit(r"\sservers?\b", "server"), _Unit(r"\s(?:households?|homes)\b", "household"),
    _Unit(r"\s(?:people|persons|employees|engineers|staff|workers|researchers)\b", "person"),
    _Unit(r"\s(?:positions|jobs|roles|openings)\b", "position"),
    _Unit(r"\s(?:cities|companies|countries)\b", "1"),
)
_EN_CURRENCIES = {"US$": "USD", "$": "USD", "€": "EUR", "¥": "JPY"}


def _alternation(table: Sequence[_Unit]) -> str:
    return "|".join(f"(?:{u.pattern})" for u in table)


def _unit_of(word: str, table: Sequence[_Unit]) -> _Unit:
    return next(u for u in table if re.fullmatch(u.pattern, word))


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- numbers --------------------------------------------------------------------------------------

def _kanji_value(text: str) -> int:
    total = section = digit = 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            digit = digit * 10 + _KANJI_DIGITS[ch]
        elif ch in _KANJI_SMALL:
            section += (digit or 1) * _KANJI_SMALL[ch]
            digit = 0
        else:
            total += ((section + digit) or 1) * _KANJI_LARGE[ch]
            section = digit = 0
    return total + section + digit


def _ja_number(text: str, _scale: str | None) -> tuple[Decimal, int]:
    """``10万`` → (100000, 10000): the value and the last multiplier (for ``3-4万``)."""
    if not text[0].isdigit():
        return Decimal(_kanji_value(text)), 1
    total, mult = Decimal(0), 1
    for m in re.finditer(r"([\d,.]+)(十万|百万|千万|万|億|兆|千)?", text):
        mult = _MULTIPLIERS.get(m.group(2) or "", 1)
        total += Decimal(m.group(1).replace(",", "")) * mult
    return total, mult


def _en_number(text: str, scale: str | None) -> tuple[Decimal, int]:
    word = text.lower()
    base = Decimal(_WORD_NUMBERS[word]) if word in _WORD_NUMBERS else Decimal(text.replace(",", ""))
    mult = _SCALES[scale.strip().lower()] if scale else 1
    return base * mult, mult


# --- the grammar of each language -----------------------------------------------------------------

Builder = Callable[[re.Match[str], str, "_Grammar"], "_Hit | None"]


@dataclass(frozen=True)
class _Grammar:
    lang: Lang
    rules: tuple[tuple[re.Pattern[str], Builder], ...]
    units: tuple[_Unit, ...]
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
    start = max(start, 0)
    left = max(text.rfind("。", 0, start), text.rfind("\n", 0, start), start - reach, 0)
    stops = [i for i in (text.find("。", end), text.find("\n", end), end + reach) if i >= 0]
    return text[left:min(stops)]


def _resolve_unit(word: str, grammar: _Grammar, text: str, span: tuple[int, int]) -> _Unit:
    unit = _unit_of(word, grammar.units)
    if unit.unit != _DEVICE:
        return unit
    window = _window(text, *span)
    code = "GPU" if _DEVICE_WORDS.search(window) else "server" if _SERVER_WORDS.search(window) else "1"
    return _Unit(unit.pattern, code)


def _amount(m: re.Match[str], text: str, g: _Grammar) -> _Hit | None:
    """A number (or range) with a unit, a currency prefix, or an English scale word."""
    parts = m.groupdict()
    scales = [parts.get("ls") or "", parts.get("hs") or ""]
    if not parts.get("cur") and any(s and not s[0].isspace() for s in scales):
        return None  # "10m" is ten metres as often as ten million: only "$10m" is money
    low, low_mult = g.number(parts["lo"], parts.get("ls"))
    high = low
    if parts.get("hi"):
        high, high_mult = g.number(parts["hi"], parts.get("hs"))
        if low_mult == 1 and high_mult > 1:
            low *= high_mult
        if high <= low:
            return None
    word = parts.get("u") or ""
    if parts.get("cur"):
        unit = _Unit("", _EN_CURRENCIES[parts["cur"]])
    elif word:
        unit = _resolve_unit(word, g, text, m.span())
    elif any(scales):
        unit = _Unit("", "1")
    else:
        return None
    if unit.unit == "year" and word.strip() == "年" and low >= 1000:
        return None
    counter = word.strip(" -").removeprefix("の") if unit.pattern else ""
    return _Hit(m.start(), m.end(), low * unit.factor, high * unit.factor, unit.unit, counter,
                unit.kind)


def _bare(m: re.Match[str], text: str, g: _Grammar) -> _Hit | None:
    """A number with nothing after it: a plain count, or money named before it (人民元換算で290億)."""
    if re.search(r"[A-Z][\w-]*\s$", text[max(0, m.start() - 30):m.start()]):
        return None
    value, _ = g.number(m.group("lo"), None)
    currency = re.search(r"(人民元|米ドル|ドル|元|円|ユーロ)(?:換算|建て)で?\s*$", text[:m.start()])
    unit = _unit_of(currency.group(1), g.units).unit if currency else "1"
    return _Hit(m.start(), m.end(), value, value, unit)


def _kanji(m: re.Match[str], text: str, g: _Grammar) -> _Hit | None:
    digits = m.group("lo")
    if digits[0] in "〇万億兆" or digits == "一":
        return None
    return _amount(m, text, g)


def _vague(m: re.Match[str], text: str, g: _Grammar) -> _Hit | None:
    word = m.group("u") or ""
    unit = _resolve_unit(word, g, text, m.span()) if word else _Unit("", "1")
    counter = word.strip(" -") if word else ""
    return _Hit(m.start(), m.end(), unit=unit.unit, counter=counter, vague=True)


def _half(m: re.Match[str], _text: str, _g: _Grammar) -> _Hit:
    return _Hit(m.start(), m.end(), Decimal("0.5"), Decimal("0.5"), "1", m.group(0))


def _per_marker(m: re.Match[str], _text: str, _g: _Grammar) -> _Hit:
    return _Hit(m.start(), m.end(), emit=False)


_MONTHS = {name: i % 12 + 1 for i, name in enumerate(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
_MONTHS["Sept"] = 9


def _month(text: str) -> int:
    return _MONTHS[text] if text in _MONTHS else int(text)


def _date(m: re.Match[str], _text: str, _g: _Grammar) -> _Hit:
    parts = m.groupdict()
    if parts.get("a"):
        iso = f"{parts['a']}/{parts['b']}"
    else:
        month, day = parts.get("m"), parts.get("d")
        iso = parts.get("y") or "-"
        iso += f"-{_month(month):02d}" if month else ""
        iso += f"-{int(day):02d}" if day else ""
    return _Hit(m.start(), m.end(), unit="date", kind="date", date=iso)


_NOT_GLUED = r"(?<![A-Za-z0-9.$€¥\-])"
_YEAR = r"(?:1[89]|2[01])\d\d"
_JA_D = r"\d+(?:,\d{3})*(?:\.\d+)?"
_JA_NUM = rf"(?:{_JA_D}(?:十万|百万|千万|万|億|兆|千))+(?:{_JA_D})?|{_JA_D}"
_JA_UNIT = f"(?P<u>{_alternation(_JA_UNITS)})"
_JA_UNIT_UNNAMED = f"(?:{_alternation(_JA_UNITS)})"
_JA_SEP = r"(?:-|–|—|〜|～|~|から)"
_JA_KANJI = "〇一二三四五六七八九十百千万億兆"


def _ja_rules() -> tuple[tuple[re.Pattern[str], Builder], ...]:
    date = (rf"(?:今年|昨年|去年|来年|本年)?(?:(?P<y>{_YEAR})年)?(?P<m>1[0-2]|0?[1-9])月"
            r"(?:(?P<d>3[01]|[12]\d|0?[1-9])日)?")
    rules: list[tuple[str, Builder]] = [
        (rf"(?P<a>{_YEAR})年?{_JA_SEP}(?P<b>{_YEAR})年(?!間|分|代|度)", _date),
        (date, _date),
        (rf"(?P<y>{_YEAR})年(?!間|分|代|度|\d)", _date),
        (r"(?:1|一)(?:台|枚|日|時間|人|名|世帯|[ヶかカ]月|年)(?:あたり|当たり|につき)", _per_marker),
        (rf"(?P<lo>{_JA_NUM}){_JA_UNIT_UNNAMED}?{_JA_SEP}(?P<hi>{_JA_NUM}){_JA_UNIT}?",
         _amount),
        (rf"(?P<lo>\d{{1,2}})、(?P<hi>\d{{1,2}}){_JA_UNIT}", _amount),
        (rf"(?P<lo>{_JA_NUM}){_JA_UNIT}", _amount),
        (rf"(?P<lo>{_JA_NUM})(?![A-Za-z0-9.,])", _bare),
        (rf"(?<![{_JA_KANJI}数])(?P<lo>[{_JA_KANJI}]+){_JA_UNIT}", _kanji),
        (rf"数(?:[十百千]?[万億兆]?){_JA_UNIT}", _vague),
        (r"(?<![大前後上下])半分", _half),
    ]
    return tuple((re.compile(_NOT_GLUED + p), b) for p, b in rules)


_EN_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_EN_NUM = (r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
           rf"(?i:{'|'.join(_WORD_NUMBERS)})(?![\w-])")
_EN_SCALE = r"\s(?:thousand|million|billion|trillion)\b|(?:bn|mn|tn|[kKmMbBT])\b"
_EN_CUR = r"(?P<cur>US\$|\$|€|¥)"
_EN_UNIT = f"(?P<u>{_alternation(_EN_UNITS)})"


def _en_rules() -> tuple[tuple[re.Pattern[str], Builder], ...]:
    day = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
    amount = (rf"{_EN_CUR}?(?P<lo>{_EN_NUM})(?P<ls>{_EN_SCALE})?(?:\s?(?:-|–|—)\s?|\s(?:to|or)\s)"
              rf"(?:US\$|\$|€|¥)?(?P<hi>{_EN_NUM})(?P<hs>{_EN_SCALE})?{_EN_UNIT}?")
    rules: list[tuple[str, Builder]] = [
        (rf"(?P<a>{_YEAR})\s?(?:-|–|—|\sto\s|\sthrough\s)\s?(?P<b>{_YEAR})(?!\d)", _date),
        (rf"(?P<m>{_EN_MONTH})\.?\s{day}(?:,?\s(?P<y>{_YEAR})(?!\d))?", _date),
        (rf"{day}\s(?P<m>{_EN_MONTH})(?:\s(?P<y>{_YEAR})(?!\d))?\b", _date),
        (rf"(?P<m>{_EN_MONTH})\s(?:of\s)?(?P<y>{_YEAR})(?!\d)", _date),
        (amount, _amount),
        (rf"{_EN_CUR}?(?P<lo>{_EN_NUM})(?P<ls>{_EN_SCALE})?{_EN_UNIT}?", _amount),
        (rf"(?P<y>{_YEAR})(?![\d%]|[.,]\d)", _date),
        (r"(?P<lo>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w%]|[.,]\d)", _bare),
        (rf"(?:(?:tens|hundreds)\sof\s(?:thousands|millions|billions)|(?:several|a\sfew)\s"
         rf"(?:hundred|thousand|million|billion))(?:\sof)?{_EN_UNIT}?", _vague),
        (r"(?<!first\s)(?<!second\s)\b[Hh]alf(?=\sof\b|\sthe\b)", _half),
    ]
    return tuple((re.compile(r"(?<![\w.$€¥\-])" + p), b) for p, b in rules)


_JA = _Grammar(
    lang="ja", rules=_ja_rules(), units=_JA_UNITS, number=_ja_number,
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
_EN = _Grammar(
    lang="en", rules=_en_rules(), units=_EN_UNITS, number=_en_number,
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
_GRAMMARS: dict[Lang, _Grammar] = {"ja": _JA, "en": _EN}


# --- scanning -------------------------------------------------------------------------------------

def detect_lang(text: str) -> Lang:
    """``ja`` when the text holds any kana or kanji, else ``en``."""
    return "ja" if _JAPANESE.search(text) else "en"


def _scan(norm: str, g: _Grammar) -> list[_Hit]:
    """Every rule's matches, then leftmost-longest without overlaps (ties go to the earlier rule)."""
    found: list[tuple[int, int, int, _Hit]] = []
    for rank, (pattern, build) in enumerate(g.rules):
        for m in pattern.finditer(norm):
            hit = build(m, norm, g)
            if hit is not None:
                found.append((hit.start, -hit.end, rank, hit))
    kept: list[_Hit] = []
    for _, _, _, hit in sorted(found, key=lambda f: f[:3]):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _qualify(norm: str, hit: _Hit, g: _Grammar) -> tuple[int, int, Qualifier]:
    if hit.kind == "date":
        return hit.start, hit.end, ""
    start, end = hit.start, hit.end
    qualifier: Qualifier = ""
    after = g.after.match(norm, end)
    if after:
        end, qualifier = after.end(), g.qualifiers[after.group(1)]
    before = g.before.search(norm[max(0, start - 20):start])
    if before:
        start -= len(before.group(0))
        qualifier = g.qualifiers[before.group(1).lower()]
    return start, end, qualifier


def _per_unit(norm: str, hit: _Hit, start: int, end: int, g: _Grammar) -> str:
    if hit.unit in _NO_PER or hit.kind != "quantity" or hit.vague:
        return hit.unit
    m = g.per.search(norm[max(0, start - 20):start]) if g.lang == "ja" else g.per.match(norm, end)
    if not m:
        return hit.unit
    word = m.group(1) or m.group(2)
    per = g.per_units.get(word, word)
    if word in ("台", "枚"):
        per = _resolve_unit(word, g, norm, (start - 20, end)).unit  # "1台あたり" next to "H100"
    return hit.unit if per == "1" else f"{hit.unit}/{per}"


def _sentence_spans(norm: str, g: _Grammar) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in g.sentence_end.finditer(norm):
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, len(norm)))
    return spans


def _clause_stop(norm: str, pos: int, limit: int, g: _Grammar) -> int:
    m = g.clause_end.search(norm, pos, limit)
    return m.start() if m else limit


def _quote(text: str, norm: str, start: int, end: int, span: tuple[int, int], g: _Grammar) -> str:
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
    return _squash(text[left:right]).strip(" 、，,;。")


def _ascii_word(pair: str) -> bool:
    return len(pair) == 2 and pair.isascii() and pair.isalnum()


def _candidate(hit: _Hit, text: str, norm: str, g: _Grammar,
               spans: list[tuple[int, int]]) -> Candidate:
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
        sentence=_squash(text[span[0]:span[1]]), quote=_quote(text, norm, start, end, span, g),
        counter=hit.counter, kind=hit.kind, date=hit.date, qualifier=qualifier, vague=hit.vague,
    )


def extract(text: str, lang: Lang | None = None) -> tuple[Candidate, ...]:
    """Every number expression in ``text``, in reading order (``lang`` None → ``detect_lang``)."""
    g = _GRAMMARS[lang or detect_lang(text)]
    norm = text.translate(_FULLWIDTH)  # one character for one: offsets stay valid in ``text``
    spans = _sentence_spans(norm, g)
    return tuple(_candidate(h, text, norm, g, spans) for h in _scan(norm, g) if h.emit)


# --- candidates table -----------------------------------------------------------------------------

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


# --- against a brief's facts ----------------------------------------------------------------------

def _close(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def _in_unit(number: Decimal, unit: str, target: str) -> Decimal | None:
    if unit == target:
        return number
    if not (units.is_known(unit) and units.is_known(target) and units.same_dimension(unit, target)):
        return None
    quantity = units.registry().Quantity(float(number), units.parse(unit))
    return Decimal(str(quantity.to(units.parse(target)).magnitude))


def _amount_covers(fact: Fact, c: Candidate, tolerance: Decimal) -> bool:
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
    return all(any(_same_date(end, f.event) or _same_date(end, f.as_of) for f in facts)
               for end in c.date.split("/"))


def uncovered(cands: Iterable[Candidate], facts: FactSet, tolerance: Decimal = Decimal("0.01"),
              quotes: Iterable[str] = ()) -> tuple[Candidate, ...]:
    """Candidates no fact accounts for: not in any fact's quote and no fact with that value + unit.

    Values match within the relative ``tolerance`` after unit conversion; dates match a fact's
    event or as_of date (a date written without its year matches any year). ``quotes`` are more
    quoted passages that count as covered (a brief's claim quotes).
    """
    pool = list(facts.facts.values())
    quotes = [_squash(q) for q in (*(f.quote for f in pool), *quotes)]

    def covered(c: Candidate) -> bool:
        if any(_squash(c.expression) in q for q in quotes):
            return True
        if c.kind == "date":
            return _date_covered(c, pool)
        return any(_amount_covers(f, c, tolerance) for f in pool)

    return tuple(c for c in cands if not covered(c))


def stale_quotes(text: str, facts: FactSet) -> tuple[Fact, ...]:
    """Facts whose quote no longer appears verbatim in ``text`` (whitespace runs count as one space)."""
    article = _squash(text)
    return tuple(f for f in facts.facts.values() if _squash(f.quote) not in article)
