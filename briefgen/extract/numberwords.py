"""Number words, units and counters → the values and regex pieces extract's grammar is built from.

Japanese: digits with 万/億/兆 multipliers, kanji numerals (三千, 二十), counters (台, 枚, ヶ月, 倍).
English: digits, number words (two … ninety), scale words (million, bn, $10m), unit words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Sequence

Kind = Literal["quantity", "times", "rank", "fraction", "date"]
Qualifier = Literal["", "about", "at_most", "at_least", "only"]


@dataclass(frozen=True)
class UnitWord:
    """A unit as articles write it: ``pattern`` (regex) → ``unit`` (a ``briefgen.base.units`` expression).

    ``factor`` scales the number (割 is ten percent); ``kind`` marks multiples (倍, ``x``).
    """

    pattern: str
    unit: str
    kind: Kind = "quantity"
    factor: Decimal = Decimal(1)


DAYS_AFTER = "早|遅|後|前|以内|ぶり|連続"  # 5日早く is five days; 12日、 is a day of the month
DEVICE = "@device"  # 台/枚: GPU when the clause talks about GPUs, else a plain count
NO_PER = {"MW", "kW", "GW", "percent", "1", "year", "month", "week", "day", "hour"}  # never "per" anything
DEVICE_WORDS = re.compile(r"GPU|[HAB]\d{3}|チップ|NVIDIA|Nvidia|エヌビディア")
SERVER_WORDS = re.compile(r"サーバー|サーバ")
FULLWIDTH = str.maketrans("０１２３４５６７８９．，％＄－−＋", "0123456789.,%$--+")  # one char for one

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
    UnitWord("リットル", "liter"), UnitWord("立方メートル", "m**3"),
    UnitWord("キロメートル|km", "km"), UnitWord("メートル", "m"), UnitWord("キログラム|kg", "kg"),
    UnitWord("トン", "tonne"), UnitWord("[ヶかカヵケ]月", "month"),
    UnitWord("年間|年分|年", "year"), UnitWord("歳|才", "year"), UnitWord("週間", "week"),
    UnitWord("日間", "day"), UnitWord("時間", "hour"), UnitWord("倍", "1", "times"),
    UnitWord("%|パーセント", "percent"), UnitWord("割", "percent", factor=Decimal(10)),
    UnitWord("度(?!目)", "degC"),
    UnitWord("名|人(?!民)", "person"), UnitWord("世帯", "household"), UnitWord("台|枚", DEVICE),
    UnitWord("の(?:ポジション|職種)", "position"),
    UnitWord("位|番目", "1", "rank"), UnitWord(f"日(?={DAYS_AFTER})", "day"),
    UnitWord("社|件|個|回線|回|[カかヶ]国|の?都市|の企業|の国|拠点|店舗?|基|棟|隻|機種?|点|品目|銘柄|"
             "種類?|戸|本|軒|冊|局|施設|[カかヶケ箇]所|校|両|便|期", "1"),
    UnitWord("[ァ-ヴー]{2,8}", "1"),  # any other katakana counter: セット, ユニット, ライセンス
)
_EN_ADJECTIVE = r"(?:\s(?:new|vacant|more|additional|empty|active|paying|electric|used))?"  # 9 million vacant homes
EN_UNITS = (
    UnitWord(r"%|\s?percent\b|\sper\scent\b", "percent"), UnitWord(r"x\b|\s?×|\stimes\b|-fold\b", "1", "times"),
    UnitWord(r"[\s-]?(?:MW|megawatts?)\b", "MW"), UnitWord(r"[\s-]?(?:kW|kilowatts?)\b", "kW"),
    UnitWord(r"[\s-]?(?:GW|gigawatts?)\b", "GW"), UnitWord(r"\s(?:dollars|USD)\b", "USD"),
    UnitWord(r"\s(?:yuan|RMB|CNY)\b", "CNY"), UnitWord(r"\s(?:yen|JPY)\b", "JPY"),
    UnitWord(r"\s(?:euros?|EUR)\b", "EUR"), UnitWord(r"\sgallons?\b", "gallon"),
    UnitWord(r"\slit(?:er|re)s?\b", "liter"), UnitWord(r"\scubic\smet(?:er|re)s?\b", "m**3"),
    UnitWord(r"\s(?:(?:metric\s)?tons|tonnes)\b", "tonne"), UnitWord(r"\sdegrees\b", "degC"),
    UnitWord(r"\scents?\b", "USD", factor=Decimal("0.01")), UnitWord(r"\s?(?:km|kilomet(?:er|re)s)\b", "km"),
    UnitWord(r"[\s-]months?\b", "month"), UnitWord(r"[\s-]years?\b", "year"), UnitWord(r"[\s-]weeks?\b", "week"),
    UnitWord(r"[\s-]days?\b", "day"), UnitWord(r"[\s-]hours?\b", "hour"),
    UnitWord(r"\s(?:(?:Nvidia|NVIDIA)\s)?(?:[A-Z]\d{3}\s)?(?:GPUs?|chips?)\b|\s[A-Z]\d{3}s\b", "GPU"),
    UnitWord(r"\sservers?\b", "server"), 
    UnitWord(r"\s(?:people|persons|employees|engineers|staff|workers|researchers|customers|"
             r"subscribers|users|passengers|visitors|residents|students)\b", "person"),
    UnitWord(r"\s(?:positions|jobs|roles|openings)\b", "position"),
    UnitWord(rf"{_EN_ADJECTIVE}\s(?:households?|homes)\b", "household"),
    UnitWord(rf"{_EN_ADJECTIVE}\s(?:cities|companies|countries|units|vehicles|cars|stores|shops|plants|"
             r"factories|sites|devices|phones|smartphones|shares|locations|branches|points)\b", "1"),
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
JA_NOT_KANJI_COUNTER = "(?![戸本])"  # 八戸, 六本木, 日本: place names, not counts

EN_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
#: A month named alone ("July was hot"); March and May only after in/by/since/until (verbs otherwise).
EN_MONTH_ALONE = ("January|February|April|June|July|August|September|October|November|December|"
                  r"(?:(?<=\bin\s)|(?<=\bby\s)|(?<=since\s)|(?<=until\s))(?:March|May)")
EN_NUM = (r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
          rf"(?i:{'|'.join(_WORD_NUMBERS)})(?![\w-])")
EN_SCALE = r"\s(?:thousand|million|billion|trillion)\b|(?:bn|mn|tn|[kKmMbBT])\b"
EN_CUR = r"(?P<cur>US\$|\$|€|¥)"
EN_SIGN = r"(?P<sign>-(?=[\d$€¥])|(?i:minus)\s)"
JA_SIGN = r"(?P<sign>-(?=\d)|[▲△]|マイナス)"
EN_UNIT = f"(?P<u>{_alternation(EN_UNITS)})"


# --- values ---------------------------------------------------------------------------------------

def unit_of(word: str, table: Sequence[UnitWord], after: str = "") -> UnitWord:
    """The first unit of ``table`` whose pattern matches all of ``word`` followed by ``after``
    (the text after it, for a pattern that looks ahead: 5日早く)."""
    def whole(u: UnitWord) -> bool:
        if re.fullmatch(u.pattern, word):
            return True
        m = re.match(f"(?:{u.pattern})", word + after)
        return m is not None and m.end() == len(word)
    return next(u for u in table if whole(u))


def ja_number(text: str, _scale: str | None) -> tuple[Decimal, int]:
    """``10万`` → (100000, 10000): the value and the last multiplier (for ``3-4万``)."""
    if not text[0].isdigit():
        return Decimal(_kanji_value(text)), 1
    text = text.replace("・", ".")  # 11・2% (newspaper style) is 11.2%
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


_QUARTERS = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4,
             "first": 1, "second": 2, "third": 3, "fourth": 4}
_PARTS = {"a": 1, "one": 1, "two": 2, "three": 3, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
_MULTIPLES = {"倍増": Decimal(2), "doubled": Decimal(2), "twice": Decimal(2), "tripled": Decimal(3),
              "quadrupled": Decimal(4), "半減": Decimal("0.5"), "halved": Decimal("0.5")}
FRACTION_PLACES = Decimal("0.0001")


def quarter_number(text: str) -> int:
    """``2`` / ``二`` / ``second`` → 2."""
    return _QUARTERS[text.lower()]


def fraction(numerator: str, denominator: str) -> Decimal:
    """``("1", "3")``, ``("two", "thirds")``, ``("1", "三")`` → the ratio to four decimals (0.3333)."""
    def part(text: str) -> int:
        word = text.lower()
        return _PARTS[word] if word in _PARTS else int(ja_number(text, None)[0])
    return (Decimal(part(numerator)) / Decimal(part(denominator))).quantize(FRACTION_PLACES)


def multiple(word: str) -> Decimal:
    """倍増 / doubled / twice → 2; 半減 / halved → 0.5."""
    return _MULTIPLES[word.lower()]
