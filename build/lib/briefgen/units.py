"""Unit expressions → pint units, plus the display words for each unit in Japanese and English.

pint does the dimensional algebra (GPUs ÷ dollars is an error, gallon/day → m³/day is a conversion).
Counted things (GPUs, households, people) and currencies are their own dimensions, so they never
mix by accident; money moves between currencies only through a sourced exchange-rate fact.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen import caches

if TYPE_CHECKING:
    import pint

PINT_CACHE = "pint"  # the folder of pint's parsed definitions under var/cache/

#: Extra units beyond pint's defaults: counted things and currencies, each its own dimension.
_DEFINITIONS = (
    "GPU = [gpu]",
    "household = [household]",
    "person = [person]",
    "position = [position]",
    "server = [server]",
    "USD = [currency_usd]",
    "CNY = [currency_cny]",
    "JPY = [currency_jpy]",
    "EUR = [currency_eur]",
)


@dataclass(frozen=True)
class UnitWords:
    """How a unit is written: Japanese counter/suffix, English suffix, optional prefix (``$``)."""

    ja: str
    en: str
    en_prefix: str = ""
    ja_prefix: str = ""


#: Display words for the unit expressions facts use. Anything else falls back to pint's symbol.
WORDS: dict[str, UnitWords] = {
    "1": UnitWords(ja="", en=""),
    "percent": UnitWords(ja="%", en="%"),
    "GPU": UnitWords(ja="台", en=" GPUs"),
    "server": UnitWords(ja="台", en=" servers"),
    "household": UnitWords(ja="世帯", en=" households"),
    "person": UnitWords(ja="人", en=" people"),
    "position": UnitWords(ja="職種", en=" positions"),
    "USD": UnitWords(ja="ドル", en="", en_prefix="$"),
    "CNY": UnitWords(ja="元", en=" yuan"),
    "JPY": UnitWords(ja="円", en=" yen"),
    "EUR": UnitWords(ja="ユーロ", en="", en_prefix="€"),
    "USD/GPU": UnitWords(ja="ドル/台", en=" per GPU", en_prefix="$"),
    "CNY/USD": UnitWords(ja="元/ドル", en=" yuan per dollar"),
    "USD/month": UnitWords(ja="ドル/月", en=" per month", en_prefix="$"),
    "MW": UnitWords(ja="メガワット", en=" MW"),
    "kW": UnitWords(ja="キロワット", en=" kW"),
    "kW/household": UnitWords(ja="キロワット/世帯", en=" kW per household"),
    "TWh": UnitWords(ja="テラワット時", en=" TWh"),
    "TWh/year": UnitWords(ja="テラワット時/年", en=" TWh a year"),
    "gallon/day": UnitWords(ja="ガロン/日", en=" gallons a day"),
    "m**3/day": UnitWords(ja="立方メートル/日", en=" m³ a day"),
    "day": UnitWords(ja="日", en=" days"),
    "month": UnitWords(ja="ヶ月", en=" months"),
    "year": UnitWords(ja="年", en=" years"),
}


def _import_pint() -> None:
    """Import pint on first use. Unless NumPy is loaded already, pint is imported with NumPy hidden:
    pint's array support is optional, briefgen only hands it Python numbers, and importing NumPy is
    about a third of importing pint. NumPy stays importable afterwards (pandas, for XLSX)."""
    if "pint" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` now fails fast
    try:
        import pint  # noqa: F401
    finally:
        del sys.modules["numpy"]


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry[float]":
    """The one pint registry briefgen uses, built on first use from the parsed definitions that
    ``run.py cache`` saved (0.13 s → 0.02 s of every cold start), or from pint's files without them."""
    return new_registry(caches.folder(PINT_CACHE))


def new_registry(cache_folder: Path | None) -> "pint.UnitRegistry[float]":
    """A pint registry with briefgen's units; pint reads (and fills) ``cache_folder``. Where that
    folder cannot be written, the registry is built without it."""
    _import_pint()
    import pint

    ureg: pint.UnitRegistry[float]
    try:
        ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=cache_folder)
    except OSError:
        ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _DEFINITIONS:
        ureg.define(line)
    return ureg


def write_cache(root: Path) -> Path:
    """Save pint's parsed definitions under ``root`` (set-up time; see ``briefgen.caches``)."""
    folder = root / PINT_CACHE
    folder.mkdir(parents=True, exist_ok=True)
    new_registry(folder)
    return folder


@lru_cache(maxsize=512)
def parse(expr: str) -> pint.Unit:
    """Parse a unit expression; raise ``ValueError`` naming the valid forms when it is unknown."""
    text = expr.strip()
    if not text:
        raise ValueError("empty unit")
    if text == "1":
        return registry().dimensionless
    ureg = registry()
    import pint

    try:
        unit = ureg.parse_units(text)
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AttributeError, TypeError,
            ValueError, AssertionError, SyntaxError) as exc:
        raise ValueError(f"unknown unit {expr!r}; use one of {', '.join(sorted(WORDS))} "
                         "or a pint expression over them") from exc
    return unit


def is_known(expr: str) -> bool:
    """True when ``expr`` parses as a unit."""
    try:
        parse(expr)
    except ValueError:
        return False
    return True


def words(expr: str) -> UnitWords:
    """Display words for ``expr``; an unlisted unit is written with its pint symbol."""
    if expr in WORDS:
        return WORDS[expr]
    symbol = f"{parse(expr):~P}"
    return UnitWords(ja=symbol, en=f" {symbol}")


def same_dimension(a: str, b: str) -> bool:
    """True when quantities in units ``a`` and ``b`` can be added, compared or divided to a number."""
    return bool(parse(a).dimensionality == parse(b).dimensionality)
