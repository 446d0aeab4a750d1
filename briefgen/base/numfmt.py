"""Quantities and dates → locale text (ja/en), from Babel's CLDR data and ``units.words``.

The rules, in the order they apply to one number (a range formats each end the same way):

* **One rounding, then lossless formatting.** A figure is rounded once, to its ``precision``
  (``rounded``): significant digits — 3 by default, 2 for a ratio — but every integer digit of a
  number below 10,000 kept (4921.03 → ``4,921``), or ``"exact"`` (as the source printed it). The
  rounded value is then written without losing a digit, in every form and both languages: 22,786 at
  3 digits is 22,800, so ``2万2,800キロワット`` in text, ``22,800キロワット`` in a formula and
  ``22,800 kW`` in English; exact, it is ``2万2,786`` / ``22,786`` everywhere. Rounding is half-up.
* **Compact.** Japanese goes compact from 10,000 (万, 億, 兆, 京: CLDR's short compact patterns), and
  writes a remainder in the next unit down, as newspapers do: 25,000 → ``2万5,000``. English goes
  compact from 1,000,000 (M, B, T); money (a unit written with a currency symbol in English) is
  always compact there, with its prefix: ``$4B``, ``$30k`` (thousands use the newsroom ``k``) —
  unless that would take more than two decimals (exact $29,999 is ``$29,999``, never ``$30k``).
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
  ``100,000 → 150,000 GPUs (+50%)`` (English says a trailing unit once); two different values never
  read the same (``$29,999 → $30k``): digits are added until they differ. ``step`` writes the
  change from one edition to the next as a signed amount: ``+5万台（+50%）``, ``+50,000 GPUs (+50%)``.

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
from babel.numbers import format_decimal

from briefgen.base import units, words
from briefgen.base.lazyimports import import_without
from briefgen.base.model import MOST_SIGNIFICANT, Lang, PartialDate, Precision, Quantity

#: Babel's dates, imported without pytz: Babel then finds the local zone with zoneinfo (see lazyimports).
_DATES = import_without("babel.dates", "pytz")

SIGNIFICANT = 3
RATIO_SIGNIFICANT = 2
#: Integer digits of numbers below this are never rounded away.
_KEEP_INTEGER_BELOW = Decimal(10**4)
#: English compact notation is used only while its mantissa needs at most this many decimals.
_COMPACT_DECIMALS = 2
MINUS = "\u2212"
RANGE_DASH: dict[Lang, str] = {"ja": "〜", "en": "–"}
TIMES: dict[Lang, str] = {"ja": "倍", "en": "×"}
ARROW = "→"
#: Fractions articles write as words; a share within ``_FRACTION_NEAR`` of one is written so.
_FRACTIONS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(1) / 2, "share.half"), (Decimal(1) / 3, "share.third"), (Decimal(2) / 3, "share.two_thirds"),
    (Decimal(1) / 4, "share.quarter"), (Decimal(3) / 4, "share.three_quarters"),
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
             precision: Precision | None = None) -> str:
    """A point or range in its unit's words: ``10万台``, ``$30k–40k``, ``42%`` (kind share), ``4倍``;
    rounded once to ``precision`` (``None``: 3 significant digits, 2 for a ratio)."""
    with localcontext(_CONTEXT):
        style = _style(q.unit, lang, kind, compact)
        low, high = (v if kind == "share" else rounded(v, precision, kind) for v in (q.low, q.high))
        if not q.is_range:
            one = lang == "en" and abs(low) == 1
            return _end(low, style.prefix, style) + (_singular(style.suffix) if one else style.suffix)
        return f"{_end(low, style.prefix, style)}{RANGE_DASH[lang]}{_end(high, '', style)}{style.suffix}"


def rounded(value: Decimal, precision: Precision | None, kind: str | None = None) -> Decimal:
    """The one rounding of a figure: ``precision`` significant digits (``None``: 3, or 2 for a
    ratio), every integer digit of a number below 10,000 kept; ``"exact"`` keeps every digit."""
    with localcontext(_CONTEXT):
        if precision == "exact" or value == 0:
            return value.normalize()
        digits = precision or (RATIO_SIGNIFICANT if kind == "ratio" else SIGNIFICANT)
        exponent = value.adjusted() - digits + 1
        if abs(value) < _KEEP_INTEGER_BELOW:
            exponent = min(0, exponent)
        return value.quantize(Decimal(1).scaleb(exponent)).normalize()


def number(value: Decimal, lang: Lang, *, compact: bool = True) -> str:
    """A bare number by the same rules: ``10万``, ``1.5M``, ``4,921``."""
    return quantity(Quantity.point(value, "1"), lang, compact=compact)


def percent(fraction: Decimal, lang: Lang) -> str:
    """A fraction as a whole percent: 0.4196 → ``42%``; 0.001 → ``<1%``."""
    return quantity(Quantity.point(fraction, "1"), lang, kind="share")


def deviation(fraction: Decimal, lang: Lang) -> str:
    """A signed relative difference to a tenth of a percent: 0.1916 → ``+19.2%``; −0.25 → ``−25%``;
    0 → ``±0%``; 0.0001 → ``+<0.1%`` (never ``+0%`` for a difference)."""
    sign = "+" if fraction > 0 else MINUS if fraction < 0 else "±"
    return sign + _tenths(abs(fraction), lang)


def plus_minus(fraction: Decimal, lang: Lang) -> str:
    """A tolerance or threshold: 0.02 → ``±2%``; 0.005 → ``±0.5%``."""
    return "±" + _tenths(abs(fraction), lang)


def _tenths(fraction: Decimal, lang: Lang) -> str:
    with localcontext(_CONTEXT):
        hundred = fraction * 100
        if 0 < hundred < Decimal("0.05"):
            return f"<{_plain(Decimal('0.1'), lang)}{_percent_sign(lang)}"
        if hundred >= _limit(lang):
            return _scientific(hundred, lang, SIGNIFICANT) + _percent_sign(lang)
        return _plain(hundred.quantize(Decimal("0.1")), lang) + _percent_sign(lang)


def times(ratio: Decimal, lang: Lang) -> str:
    """A ratio as a multiple: 4 → ``4倍`` / ``4×``; 5.03 → ``5倍``; 4.17 → ``4.2×``."""
    return quantity(Quantity.point(ratio, "1"), lang, kind="ratio")


def share_words(fraction: Decimal, lang: Lang) -> str:
    """A share as an article words it: 0.5 → ``半分`` / ``half``, 0.25 → ``4分の1``; else ``42%``."""
    key = next((k for f, k in _FRACTIONS if abs(fraction - f) < _FRACTION_NEAR), None)
    return percent(fraction, lang) if key is None else words.text(key, lang)


def change(old: Quantity, new: Quantity, lang: Lang, precision: Precision | None = None) -> str:
    """``10万台 → 15万台（+50%）`` / ``100,000 → 150,000 GPUs (+50%)``; no percent across units.
    Two different values are given as many digits as it takes not to read the same."""
    before, after = distinct(old, new, lang, precision=precision)
    suffix = _style(old.unit, lang, None, True).suffix
    if lang == "en" and old.unit == new.unit and suffix.startswith(" ") and before.endswith(suffix):
        before = before[: -len(suffix)]
    relative = _relative(old, new, lang)
    if not relative:
        return f"{before} {ARROW} {after}"
    return words.text("change.relative", lang, before=before, after=after, relative=relative)


def step(old: Quantity, new: Quantity, lang: Lang, precision: Precision | None = None) -> str:
    """From one edition's value to the next: ``+5万台（+50%）`` / ``+50,000 GPUs (+50%)``, ``±0`` when
    equal; a range or a change of unit as ``change`` writes it (both ends)."""
    if old.is_range or new.is_range or old.unit != new.unit:
        return change(old, new, lang, precision)
    delta = new.low - old.low
    if delta == 0:
        return "±0"
    amount = ("+" if delta > 0 else "") + quantity(Quantity.point(delta, new.unit), lang, precision=precision)
    relative = _relative(old, new, lang)
    return words.text("trend.step", lang, amount=amount, relative=relative) if relative else amount


def date(d: PartialDate | dt.date, lang: Lang) -> str:
    """``2024年5月26日`` / ``May 26, 2024``; a month ``2023年7月`` / ``July 2023``; a year ``2025年`` / ``2025``."""
    if isinstance(d, dt.date):
        return str(_DATES.format_date(d, "long", locale=_locale(lang)))
    if d.day is not None:
        return str(_DATES.format_date(d.as_date(), "long", locale=_locale(lang)))
    skeleton = "yMMMM" if d.month is not None else "y"
    return str(_DATES.format_skeleton(skeleton, d.as_date(), locale=_locale(lang)))


def month_day(d: dt.date, lang: Lang) -> str:
    """A short date for a chart's axis: ``7/29`` (CLDR's month-day pattern of the language)."""
    return str(_DATES.format_skeleton("Md", d, locale=_locale(lang)))


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


def against(computed: Quantity, asserted: Quantity, lang: Lang, *, kind: str | None = None,
            precision: Precision | None = None) -> str:
    """``computed`` at its precision, with digits added (up to 6) until it no longer reads the same as
    a different ``asserted`` figure: 2.8967e10 CNY against "290億" prints ``289.7億元``, not ``290億元``."""
    return distinct(computed, asserted, lang, kind=kind, precision=precision, most=6)[0]


def distinct(a: Quantity, b: Quantity, lang: Lang, *, kind: str | None = None,
             precision: Precision | None = None, most: int = MOST_SIGNIFICANT) -> tuple[str, str]:
    """``a`` and ``b`` at ``precision``; when they differ but read the same, both get more significant
    digits (up to ``most``, then exact) until they do not."""
    texts = quantity(a, lang, kind=kind, precision=precision), quantity(b, lang, kind=kind, precision=precision)
    start = SIGNIFICANT if precision in (None, "exact") else int(precision)
    steps: list[Precision] = [*range(start + 1, most + 1), "exact"]
    for more in steps if precision != "exact" else ():
        if texts[0] != texts[1] or (a.low, a.high) == (b.low, b.high):
            break
        texts = quantity(a, lang, kind=kind, precision=more), quantity(b, lang, kind=kind, precision=more)
    return texts


def _style(unit: str, lang: Lang, kind: str | None, compact: bool) -> _Style:
    if unit == "1" and kind == "share":
        return _Style("", partial(_percent_digits, lang=lang), _percent_sign(lang))
    if unit == "1" and kind == "ratio":
        return _Style("", partial(_digits, lang=lang, start=_COMPACT_FROM[lang, False, compact]), TIMES[lang])
    if unit == "1" and kind == "rank":
        return _Style("", partial(_ordinal, lang=lang), "位" if lang == "ja" else "")
    said = units.words(unit)
    money = bool(said.en_prefix)
    digits = partial(_digits, lang=lang, start=_COMPACT_FROM[lang, money, compact])
    if lang == "ja":
        return _Style(said.ja_prefix, digits, said.ja)
    return _Style(said.en_prefix, digits, said.en)


def _end(value: Decimal, prefix: str, style: _Style) -> str:
    sign = MINUS if value < 0 else ""
    return f"{sign}{prefix}{style.digits(abs(value))}"


# --- digits of an absolute value ------------------------------------------------------------------


def _digits(value: Decimal, *, lang: Lang, start: int) -> str:
    """A non-negative, already rounded value, every digit kept: plain, compact from ``start``,
    scientific beyond the compact units."""
    if value != 0 and (value < _SMALLEST or value >= _limit(lang)):
        return _scientific(value, lang)
    if value < start:
        return _plain(value, lang)
    return _compact(value, lang)


def _compact(value: Decimal, lang: Lang) -> str:
    """Japanese: the largest unit, then the remainder in the next (``1億1,900万``); English: the
    mantissa and its suffix (``14.3B``) when it takes at most two decimals, else plain digits."""
    scale = _scale_for(value, lang)
    mantissa = (value / scale.divisor).normalize()
    if lang != "ja":
        exponent = mantissa.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > _COMPACT_DECIMALS:
            return _plain(value, lang)
        return _plain(mantissa, lang) + scale.suffix
    whole = mantissa.to_integral_value(rounding=ROUND_FLOOR)
    rest = value - whole * scale.divisor
    text = _plain(whole, lang) + scale.suffix
    return text if rest == 0 else text + _digits(rest, lang=lang, start=10**4)


def _plain(value: Decimal, lang: Lang) -> str:
    return _grouped(str(value.normalize()), lang)


@lru_cache(maxsize=4096)
def _grouped(digits: str, lang: Lang) -> str:
    """Babel's digits for a normalized number (asked once per number: a brief prints each many times)."""
    return str(format_decimal(Decimal(digits), locale=_locale(lang), decimal_quantization=False))


def _scientific(value: Decimal, lang: Lang, precision: Precision = "exact") -> str:
    exponent = value.adjusted()
    mantissa = rounded(value.scaleb(-exponent), precision)
    if mantissa >= 10:
        mantissa, exponent = rounded(mantissa / 10, precision), exponent + 1
    symbol = _locale(lang).number_symbols["latn"]["exponential"]
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
        return _digits(rounded(position, None), lang=lang, start=_COMPACT_FROM[lang, False, True])
    whole = int(position)
    text = _plain(Decimal(whole), lang)
    if lang == "ja":
        return text
    return text + _ORDINAL_SUFFIX[_locale("en").ordinal_form(whole)]


# --- CLDR data ------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _scales(lang: Lang) -> tuple[_Scale, ...]:
    """The locale's short compact units, largest first (ja: 京 兆 億 万; en: T B M K)."""
    found: dict[Decimal, str] = {}
    patterns = _locale(lang).compact_decimal_formats["short"]["other"]
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
    largest = max(int(m) for m in _locale(lang).compact_decimal_formats["short"]["other"])
    return Decimal(largest * 10)


def _scale_for(value: Decimal, lang: Lang) -> _Scale:
    return next(s for s in _scales(lang) if value >= s.divisor)


@lru_cache(maxsize=None)
def _percent_sign(lang: Lang) -> str:
    return str(_locale(lang).number_symbols["latn"]["percentSign"])


@lru_cache(maxsize=None)
def _locale(lang: Lang) -> Locale:
    """Babel's locale, parsed once (each Babel call given a code parses it again)."""
    return Locale.parse(lang)
