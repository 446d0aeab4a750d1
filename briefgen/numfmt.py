"""Quantities and dates → locale text (ja/en), from Babel's CLDR data and ``units.words``.

The rules, in the order they apply to one number (a range formats each end the same way):

* **Significant digits.** Keep 3 significant digits (2 for ratios), never dropping integer digits,
  and drop trailing zeros: 1.43e10 USD → ``143億ドル`` / ``$14.3B``; 1.738e11 CNY → ``1,738億元``;
  4921.03 → ``4,921``. Rounding is half-up.
* **Compact.** Japanese goes compact from 10,000 (万, 億, 兆, 京: CLDR's short compact patterns), and
  writes a remainder in the next unit down, as newspapers do: 25,000 → ``2万5,000``. English goes
  compact from 1,000,000 (M, B, T); money (a unit written with a currency symbol in English) is
  always compact there, with its prefix: ``$4B``, ``$30k`` (thousands use the newsroom ``k``).
  ``compact=False`` (formulas) abbreviates only from 億 / B (money from M): ``100,000台 ÷ 25,000台``,
  ``60億ドル``, ``$600M``.
* **Scientific fallback.** Beyond the locale's largest compact unit (10^20 in ja, 10^15 in en) or
  below 0.001, numbers print as ``1.43E20`` / ``1E−12`` (CLDR exponential symbol).
* **Kinds for unit "1".** A share prints as a whole percent (``42%``; a non-zero share under 1 %
  prints ``<1%``, never ``0%``); a ratio as ``4倍`` / ``4×``; a rank as ``1位`` / ``1st`` (CLDR
  ordinal plural rules). Any other unit "1" value prints as a bare number.
* **Signs and ranges.** Negatives take a real minus (U+2212). Ranges join their ends with ``〜`` (ja)
  or an en dash (en), the unit said once: ``3万〜4万ドル``, ``$30k–40k``, ``30億〜40億ドル``.
* **One.** English units are plural words; exactly one takes the singular: ``1 year``, ``1 GPU``.
* **Words for shares.** ``share_words`` writes the fractions articles use as words (``半分`` / ``half``,
  ``4分の1`` / ``a quarter``) and any other share as a percent.
* **Changes.** ``change`` writes old → new with the relative change: ``10万台 → 15万台（+50%）``,
  ``100,000 → 150,000 GPUs (+50%)`` (English says a trailing unit once).

Every finite Decimal formats without raising. Nothing here reads files, the clock or the environment.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache, partial
from typing import Callable

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from briefgen import units
from briefgen.model import Lang, PartialDate, Quantity

SIGNIFICANT = 3
RATIO_SIGNIFICANT = 2
MINUS = "\u2212"
RANGE_DASH: dict[Lang, str] = {"ja": "〜", "en": "–"}
TIMES: dict[Lang, str] = {"ja": "倍", "en": "×"}
ARROW = "→"
#: Fractions articles write as words; a share within ``_FRACTION_NEAR`` of one is written so.
_FRACTIONS: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal(1) / 2, "半分", "half"), (Decimal(1) / 3, "3分の1", "a third"),
    (Decimal(2) / 3, "3分の2", "two thirds"), (Decimal(1) / 4, "4分の1", "a quarter"),
    (Decimal(3) / 4, "4分の3", "three quarters"),
)
_FRACTION_NEAR = Decimal("0.0005")
_IRREGULAR_EN = {"people": "person"}
_PLURAL_EN = re.compile(r"^ (\w+?)s\b")

#: Where compact notation starts: (language, money?, compact?) → smallest compacted magnitude.
_COMPACT_FROM: dict[tuple[Lang, bool, bool], int] = {
    ("ja", False, True): 10**4, ("ja", True, True): 10**4,
    ("en", False, True): 10**6, ("en", True, True): 10**3,
    ("ja", False, False): 10**8, ("ja", True, False): 10**8,
    ("en", False, False): 10**9, ("en", True, False): 10**6,
}
_SMALLEST = Decimal("0.001")
_SUFFIX_STYLE = {"K": "k"}  # newsroom English writes thousands as $30k
_ORDINAL_SUFFIX = {"one": "st", "two": "nd", "few": "rd", "other": "th"}
#: Wide enough for any finite Decimal's exponent, so no operation here overflows.
_CONTEXT = Context(prec=40, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Scale:
    divisor: Decimal
    suffix: str


@dataclass(frozen=True)
class _Style:
    """How one kind of number is written: prefix, digits of an absolute value, suffix."""

    prefix: str
    digits: Callable[[Decimal], str]
    suffix: str


# --- public API -----------------------------------------------------------------------------------


def quantity(q: Quantity, lang: Lang, *, kind: str | None = None, compact: bool = True,
             significant: int = SIGNIFICANT) -> str:
    """A point or range in its unit's words: ``10万台``, ``$30k–40k``, ``42%`` (kind share), ``4倍``."""
    with localcontext(_CONTEXT):
        style = _style(q.unit, lang, kind, compact, significant)
        if not q.is_range:
            one = lang == "en" and abs(q.low) == 1
            return _end(q.low, style.prefix, style) + (_singular(style.suffix) if one else style.suffix)
        low = _end(q.low, style.prefix, style)
        high = _end(q.high, "", style)
        return f"{low}{RANGE_DASH[lang]}{high}{style.suffix}"


def number(value: Decimal, lang: Lang, *, compact: bool = True) -> str:
    """A bare number by the same rules: ``10万``, ``1.5M``, ``4,921``."""
    return quantity(Quantity.point(value, "1"), lang, compact=compact)


def percent(fraction: Decimal, lang: Lang) -> str:
    """A fraction as a whole percent: 0.4196 → ``42%``; 0.001 → ``<1%``."""
    return quantity(Quantity.point(fraction, "1"), lang, kind="share")


def times(ratio: Decimal, lang: Lang) -> str:
    """A ratio as a multiple: 4 → ``4倍`` / ``4×``; 5.03 → ``5倍``; 4.17 → ``4.2×``."""
    return quantity(Quantity.point(ratio, "1"), lang, kind="ratio")


def share_words(fraction: Decimal, lang: Lang) -> str:
    """A share as an article words it: 0.5 → ``半分`` / ``half``, 0.25 → ``4分の1``; else ``42%``."""
    word = next((w for f, *w in _FRACTIONS if abs(fraction - f) < _FRACTION_NEAR), None)
    if word is None:
        return percent(fraction, lang)
    return word[0] if lang == "ja" else word[1]


def change(old: Quantity, new: Quantity, lang: Lang) -> str:
    """``10万台 → 15万台（+50%）`` / ``100,000 → 150,000 GPUs (+50%)``; no percent across units."""
    before, after = quantity(old, lang), quantity(new, lang)
    suffix = _style(old.unit, lang, None, True).suffix
    if lang == "en" and old.unit == new.unit and suffix.startswith(" ") and before.endswith(suffix):
        before = before[: -len(suffix)]
    relative = _relative(old, new, lang)
    if not relative:
        return f"{before} {ARROW} {after}"
    return f"{before} {ARROW} {after}（{relative}）" if lang == "ja" else f"{before} {ARROW} {after} ({relative})"


def date(d: PartialDate | dt.date, lang: Lang) -> str:
    """``2024年5月26日`` / ``May 26, 2024``; a month ``2023年7月`` / ``July 2023``; a year ``2025年`` / ``2025``."""
    if isinstance(d, dt.date):
        return str(format_date(d, "long", locale=lang))
    if d.day is not None:
        return str(format_date(d.as_date(), "long", locale=lang))
    skeleton = "yMMMM" if d.month is not None else "y"
    return str(format_skeleton(skeleton, d.as_date(), locale=lang))


def _relative(old: Quantity, new: Quantity, lang: Lang) -> str:
    """``+50%`` / ``−20%`` / ``±0%`` from the midpoints; "" across units or from zero."""
    if old.unit != new.unit or old.mid == 0:
        return ""
    with localcontext(_CONTEXT):
        ratio = (new.mid - old.mid) / abs(old.mid)
    sign = "+" if ratio > 0 else MINUS if ratio < 0 else "±"
    return sign + percent(abs(ratio), lang)


def _singular(suffix: str) -> str:
    """`` years`` → `` year``, `` gallons a day`` → `` gallon a day``, `` people`` → `` person``."""
    first = suffix.split(" ")[1] if suffix.startswith(" ") and len(suffix) > 1 else ""
    if first in _IRREGULAR_EN:
        return suffix.replace(first, _IRREGULAR_EN[first], 1)
    return _PLURAL_EN.sub(r" \1", suffix)


# --- styles ---------------------------------------------------------------------------------------


def against(computed: Quantity, asserted: Quantity, lang: Lang, *, kind: str | None = None) -> str:
    """``computed`` with as many significant digits (3 to 6) as it takes not to read the same as a
    different ``asserted`` figure: 2.8967e10 CNY against "290億" prints ``289.7億元``, not ``290億元``."""
    said = quantity(asserted, lang, kind=kind)
    text = quantity(computed, lang, kind=kind)
    for significant in range(SIGNIFICANT + 1, 7):
        if text != said or (computed.low, computed.high) == (asserted.low, asserted.high):
            break
        text = quantity(computed, lang, kind=kind, significant=significant)
    return text


def _style(unit: str, lang: Lang, kind: str | None, compact: bool, significant: int = SIGNIFICANT) -> _Style:
    if unit == "1" and kind == "share":
        return _Style("", partial(_percent_digits, lang=lang), _percent_sign(lang))
    if unit == "1" and kind == "ratio":
        digits = partial(_digits, lang=lang, start=_COMPACT_FROM[lang, False, compact],
                         significant=RATIO_SIGNIFICANT)
        return _Style("", digits, TIMES[lang])
    if unit == "1" and kind == "rank":
        return _Style("", partial(_ordinal, lang=lang), "位" if lang == "ja" else "")
    words = units.words(unit)
    money = bool(words.en_prefix)
    digits = partial(_digits, lang=lang, start=_COMPACT_FROM[lang, money, compact],
                     significant=significant)
    if lang == "ja":
        return _Style(words.ja_prefix, digits, words.ja)
    return _Style(words.en_prefix, digits, words.en)


def _end(value: Decimal, prefix: str, style: _Style) -> str:
    sign = MINUS if value < 0 else ""
    return f"{sign}{prefix}{style.digits(abs(value))}"


# --- digits of an absolute value ------------------------------------------------------------------


def _digits(value: Decimal, *, lang: Lang, start: int, significant: int) -> str:
    """A non-negative value: plain, compact from ``start``, scientific beyond the compact units."""
    if value != 0 and (value < _SMALLEST or value >= _limit(lang)):
        return _scientific(value, lang, significant)
    rounded = _round(value, significant)
    if rounded < start:
        return _plain(rounded, lang)
    return _compact(rounded, lang, significant)


def _compact(value: Decimal, lang: Lang, significant: int) -> str:
    scale = _scale_for(value, lang)
    mantissa = _round(value / scale.divisor, significant)
    carried = _scale_for(mantissa * scale.divisor, lang)
    if carried != scale:
        return _compact(mantissa * scale.divisor, lang, significant)
    if lang != "ja":
        return _plain(mantissa, lang) + scale.suffix
    whole = mantissa.to_integral_value(rounding=ROUND_FLOOR)
    rest = (mantissa - whole) * scale.divisor
    text = _plain(whole, lang) + scale.suffix
    if rest == 0:
        return text
    return text + _digits(rest, lang=lang, start=10**4, significant=significant)


def _round(value: Decimal, significant: int) -> Decimal:
    """``significant`` digits, but every integer digit kept; trailing zeros dropped."""
    if value == 0:
        return Decimal(0)
    exponent = min(0, value.adjusted() - significant + 1)
    return value.quantize(Decimal(1).scaleb(exponent)).normalize()


def _plain(value: Decimal, lang: Lang) -> str:
    return str(format_decimal(value, locale=lang, decimal_quantization=False))


def _scientific(value: Decimal, lang: Lang, significant: int) -> str:
    exponent = value.adjusted()
    mantissa = _round(value.scaleb(-exponent), significant)
    if mantissa >= 10:
        mantissa, exponent = _round(mantissa / 10, significant), exponent + 1
    symbol = Locale.parse(lang).number_symbols["latn"]["exponential"]
    power = f"{MINUS}{-exponent}" if exponent < 0 else str(exponent)
    return f"{_plain(mantissa, lang)}{symbol}{power}"


def _percent_digits(fraction: Decimal, *, lang: Lang) -> str:
    if 0 < fraction < Decimal("0.01"):
        return "<1"
    hundred = fraction * 100
    if hundred >= _limit(lang):
        return _scientific(hundred, lang, SIGNIFICANT)
    return _plain(hundred.quantize(Decimal(1)), lang)


def _ordinal(position: Decimal, *, lang: Lang) -> str:
    if position != position.to_integral_value() or position >= _limit(lang):
        return _digits(position, lang=lang, start=_COMPACT_FROM[lang, False, True],
                       significant=SIGNIFICANT)
    whole = int(position)
    text = _plain(Decimal(whole), lang)
    if lang == "ja":
        return text
    return text + _ORDINAL_SUFFIX[Locale.parse("en").ordinal_form(whole)]


# --- CLDR data ------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _scales(lang: Lang) -> tuple[_Scale, ...]:
    """The locale's short compact units, largest first (ja: 京 兆 億 万; en: T B M K)."""
    found: dict[Decimal, str] = {}
    patterns = Locale.parse(lang).compact_decimal_formats["short"]["other"]
    for magnitude, pattern in patterns.items():
        text = str(getattr(pattern, "pattern", pattern))
        zeros = text.count("0")
        suffix = text.replace("0", "").strip()
        if suffix:
            found[Decimal(int(magnitude) // 10 ** (zeros - 1))] = _SUFFIX_STYLE.get(suffix, suffix)
    return tuple(_Scale(d, s) for d, s in sorted(found.items(), reverse=True))


@lru_cache(maxsize=None)
def _limit(lang: Lang) -> Decimal:
    """Where compact notation runs out: 10,000 of the largest unit (ja) or 1,000 (en)."""
    largest = max(int(m) for m in Locale.parse(lang).compact_decimal_formats["short"]["other"])
    return Decimal(largest * 10)


def _scale_for(value: Decimal, lang: Lang) -> _Scale:
    return next(s for s in _scales(lang) if value >= s.divisor)


@lru_cache(maxsize=None)
def _percent_sign(lang: Lang) -> str:
    return str(Locale.parse(lang).number_symbols["latn"]["percentSign"])
