"""Number words, units and counters → the values and regex pieces extract's grammar is built from.

Japanese: digits with 万/億/兆 multipliers, kanji numerals (三千, 二十), counters (台, 枚, ヶ月, 倍).
English: digits, number words (two … ninety), scale words (million, bn, $10m), unit words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Sequence

Kind = Literal["quantity", "times", "date"]
Qualifier = Literal["", "about", "at_most", "at_least", "only"]


@dataclass(frozen=True)
class UnitWord:
    """A unit as articles write it: ``pattern`` (regex) → ``unit`` (a ``briefgen.units`` expression).

    ``factor`` scales the number (割 is ten percent); ``kind`` marks multiples (倍, ``x``).
    """

    pattern: str
    unit: str
    kind: Kind = "quantity"
    factor: int = 1


DEVICE = "@device"  # 台/枚: GPU when the clause talks about GPUs, else a plain count
NO_PER = {"MW", "kW", "GW", "percent", "1", "year", "month", "week", "day", "hour"}  # never "per" anything
DEVICE_WORDS = re.compile(r"GPU|[HAB]\d{3}|チップ|NVIDIA|Nvidia|エヌビディア")
SERVER_WORDS = re.compile(r"サーバー|サーバ")
FULLWIDTH = str.maketrans("０１２３４５６７８９．，％＄－", "0123456789.,%$-")

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
_MONTHS = {name: i % 12 + 1 for i, name in enumerate(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
_MONTHS["Sept"] = 9

JA_UNITS = (
    UnitWord("人民元", "CNY"), UnitWord("米ドル|ドル", "USD"), UnitWord("元(?!年)", "CNY"),
    UnitWord("円", "JPY"), UnitWord("ユーロ", "EUR"), UnitWord("メガワット|MW", "MW"),
    UnitWord("キロワット|kW", "kW"), UnitWord("ギガワット|GW", "GW"), UnitWord("ガロン", "gallon"),
    UnitWord("リットル", "liter"), UnitWord("立方メートル", "m**3"), UnitWord("[ヶかカヵケ]月", "month"),
    UnitWord("年間|年分|年", "year"), UnitWord("歳|才", "year"), UnitWord("週間", "week"),
    UnitWord("日間", "day"), UnitWord("時間", "hour"), UnitWord("倍", "1", "times"),
    UnitWord("%|パーセント", "percent"), UnitWord("割", "percent", factor=10),
    UnitWord("名|人(?!民)", "person"), UnitWord("世帯", "household"), UnitWord("台|枚", DEVICE),
    UnitWord("の(?:ポジション|職種)", "position"),
    UnitWord("社|件|個|回|[カかヶ]国|の?都市|の企業|の国", "1"),
)
EN_UNITS = (
    UnitWord(r"%|\s?percent\b|\sper\scent\b", "percent"), UnitWord(r"x\b|\s?×|\stimes\b|-fold\b", "1", "times"),
    UnitWord(r"[\s-]?(?:MW|megawatts?)\b", "MW"), UnitWord(r"[\s-]?(?:kW|kilowatts?)\b", "kW"),
    UnitWord(r"[\s-]?(?:GW|gigawatts?)\b", "GW"), UnitWord(r"\s(?:dollars|USD)\b", "USD"),
    UnitWord(r"\s(?:yuan|RMB|CNY)\b", "CNY"), UnitWord(r"\s(?:yen|JPY)\b", "JPY"),
    UnitWord(r"\s(?:euros?|EUR)\b", "EUR"), UnitWord(r"\sgallons?\b", "gallon"),
    UnitWord(r"\slit(?:er|re)s?\b", "liter"), UnitWord(r"\scubic\smet(?:er|re)s?\b", "m**3"),
    UnitWord(r"[\s-]months?\b", "month"), UnitWord(r"[\s-]years?\b", "year"), UnitWord(r"[\s-]weeks?\b", "week"),
    UnitWord(r"[\s-]days?\b", "day"), UnitWord(r"[\s-]hours?\b", "hour"),
    UnitWord(r"\s(?:(?:Nvidia|NVIDIA)\s)?(?:[A-Z]\d{3}\s)?(?:GPUs?|chips?)\b|\s[A-Z]\d{3}s\b", "GPU"),
    UnitWord(r"\sservers?\b", "server"), UnitWord(r"\s(?:households?|homes)\b", "household"),
    UnitWord(r"\s(?:people|persons|employees|engineers|staff|workers|researchers)\b", "person"),
    UnitWord(r"\s(?:positions|jobs|roles|openings)\b", "position"),
    UnitWord(r"\s(?:cities|companies|countries)\b", "1"),
)
EN_CURRENCIES = {"US$": "USD", "$": "USD", "€": "EUR", "¥": "JPY"}


def _alternation(table: Sequence[UnitWord]) -> str:
    return "|".join(f"(?:{u.pattern})" for u in table)


# --- regex pieces ---------------------------------------------------------------------------------

JA_NOT_GLUED = r"(?<![A-Za-z0-9.$€¥\-])"  # H100, GPT-4, $10: not numbers on their own
EN_NOT_GLUED = r"(?<![\w.$€¥\-])"
YEAR = r"(?:1[89]|2[01])\d\d"
_JA_D = r"\d+(?:,\d{3})*(?:\.\d+)?"
JA_NUM = rf"(?:{_JA_D}(?:十万|百万|千万|万|億|兆|千))+(?:{_JA_D})?|{_JA_D}"
JA_UNIT = f"(?P<u>{_alternation(JA_UNITS)})"
JA_UNIT_UNNAMED = f"(?:{_alternation(JA_UNITS)})"
JA_SEP = r"(?:-|–|—|〜|～|~|から)"
JA_KANJI = "〇一二三四五六七八九十百千万億兆"

EN_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
EN_NUM = (r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
          rf"(?i:{'|'.join(_WORD_NUMBERS)})(?![\w-])")
EN_SCALE = r"\s(?:thousand|million|billion|trillion)\b|(?:bn|mn|tn|[kKmMbBT])\b"
EN_CUR = r"(?P<cur>US\$|\$|€|¥)"
EN_UNIT = f"(?P<u>{_alternation(EN_UNITS)})"


# --- values ---------------------------------------------------------------------------------------

def unit_of(word: str, table: Sequence[UnitWord]) -> UnitWord:
    """The first unit of ``table`` whose pattern matches all of ``word``."""
    return next(u for u in table if re.fullmatch(u.pattern, word))


def ja_number(text: str, _scale: str | None) -> tuple[Decimal, int]:
    """``10万`` → (100000, 10000): the value and the last multiplier (for ``3-4万``)."""
    if not text[0].isdigit():
        return Decimal(_kanji_value(text)), 1
    total, mult = Decimal(0), 1
    for m in re.finditer(r"([\d,.]+)(十万|百万|千万|万|億|兆|千)?", text):
        mult = _MULTIPLIERS.get(m.group(2) or "", 1)
        total += Decimal(m.group(1).replace(",", "")) * mult
    return total, mult


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


def en_number(text: str, scale: str | None) -> tuple[Decimal, int]:
    """``six`` / ``1.5`` with an optional scale word (`` billion``, ``bn``) → (value, multiplier)."""
    word = text.lower()
    base = Decimal(_WORD_NUMBERS[word]) if word in _WORD_NUMBERS else Decimal(text.replace(",", ""))
    mult = _SCALES[scale.strip().lower()] if scale else 1
    return base * mult, mult


def month_number(text: str) -> int:
    """``Sept`` / ``September`` / ``9`` → 9."""
    return _MONTHS[text] if text in _MONTHS else int(text)
