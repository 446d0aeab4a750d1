"""Unit expressions → units (read by pint through a whitelist grammar), plus each unit's display words in Japanese and English.

pint does the dimensional algebra (GPUs ÷ dollars is an error, gallon/day → m³/day is a conversion).
What it finds is kept as a plain ``Unit`` (pint's unit names with exponents, the dimension, the size
in base units), which multiplies, divides and converts without pint; and what pint said about each
expression is saved under ``var/cache/units/`` (``run.py cache`` fills it for the data folder's briefs),
so a build whose units were seen before never imports pint (about 0.1 s of a cold start).
Counted things (GPUs, cars, sites) and currencies are their own dimensions, so they never mix by
accident; money moves between currencies only through a sourced exchange-rate fact.

A unit expression never reaches pint's own parser (which evaluates arbitrary arithmetic: ``kW**(9**9**9)``
would never finish): it is read by the small grammar below — names joined by ``*``, ``/`` and
``**`` with a whole exponent from −9 to 9, parentheses at most three deep, at most 80 characters —
and each name is looked up on its own. Anything else is a ``ValueError`` naming the valid form.

Which units exist is a ``UnitTable``: the built-ins (currencies, FLOP and FLOP/s with every SI
prefix, pint's physical units) extended by a project's ``units.yaml`` and a brief's ``units:``.
``using(table)`` makes a table the one in force for the code running inside it (a context variable,
so briefs built one after another, or in threads, never see each other's units).
"""

from __future__ import annotations

import importlib.util
import pickle
import re
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from operator import mul
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, cast

from briefgen.base import caches
from briefgen.base.lazyimports import import_without

if TYPE_CHECKING:
    import pint

PINT_CACHE = "pint"  # the folder of pint's parsed definitions under var/cache/
KNOWN_CACHE = "units"  # the folder of what pint said about each expression, under var/cache/

MAX_LENGTH = 80
MAX_EXPONENT = 9
MAX_DEPTH = 3
#: ``define: count`` makes a name a counted thing: a dimension of its own.
COUNT = "count"
FORM = ("a unit such as kW, USD/GPU, m**3/day or PFLOP/s (names joined by *, / and ** with a whole "
        f"exponent from -{MAX_EXPONENT} to {MAX_EXPONENT}), or one defined under `units:` in brief.yaml "
        "or the data folder's units.yaml")
WORDS_FORM = 'a pattern with {} where the number goes, such as "{}台", "{} cars" or "${} per GPU"'

_TOKEN = re.compile(r"\s*(?:(?P<name>[^\W\d]\w*)|(?P<number>\d[\d.eE+-]*)|(?P<op>\*\*|[*/^()·×÷+-]))")
_NAME = re.compile(r"[^\W\d_]\w*")
_FACTOR = re.compile(r"\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d{1,2})?)\s*\*?\s*(.*)")


@dataclass(frozen=True)
class UnitWords:
    """How a unit is written: Japanese counter/suffix, English suffix, optional prefixes (``$``)."""

    ja: str
    en: str
    en_prefix: str = ""
    ja_prefix: str = ""

    @classmethod
    def from_patterns(cls, ja: str, en: str) -> UnitWords:
        """``"{}台"``, ``"${} per GPU"`` → prefixes and suffixes; ``ValueError`` without exactly one ``{}``."""
        (ja_prefix, ja_suffix), (en_prefix, en_suffix) = _split(ja), _split(en)
        return cls(ja=ja_suffix, en=en_suffix, en_prefix=en_prefix, ja_prefix=ja_prefix)


def _split(pattern: str) -> tuple[str, str]:
    parts = pattern.split("{}")
    if len(parts) != 2 or len(pattern) > 40 or any(ord(c) < 32 or c == "\x7f" for c in pattern):
        raise ValueError(f"bad display pattern {pattern[:40]!r}")
    return parts[0], parts[1]


#: A unit's terms or dimension: (name, exponent) pairs, sorted by name.
Terms = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Unit:
    """A unit as pint read it, kept as plain values: its terms (pint's unit names with their exponents,
    ``(("day", -1), ("gallon", 1))``), its dimension (``(("[length]", 3), ("[time]", -1))``) and the size
    of one of it in base units. Two units are equal when their terms are (as in pint: kW is not 1000 W)."""

    terms: Terms
    dimensionality: Terms = field(compare=False)
    scale: float = field(compare=False)

    def __mul__(self, other: Unit) -> Unit:
        return _combined(self, other, 1)

    def __truediv__(self, other: Unit) -> Unit:
        return _combined(self, other, -1)


def _combined(a: Unit, b: Unit, sign: int) -> Unit:
    scale = a.scale * b.scale if sign > 0 else a.scale / b.scale
    return Unit(_summed(a.terms, b.terms, sign), _summed(a.dimensionality, b.dimensionality, sign), scale)


def _summed(a: Terms, b: Terms, sign: int) -> Terms:
    """``a`` times ``b`` to the power ``sign``, as terms (a name whose exponents cancel is dropped)."""
    exponents = dict(a)
    for name, exponent in b:
        exponents[name] = exponents.get(name, 0) + sign * exponent
    return tuple(sorted((name, exponent) for name, exponent in exponents.items() if exponent))


@dataclass(frozen=True, eq=False)
class UnitTable:
    """The units one brief may use: pint definition lines (in order) and display words by expression.

    Compared and hashed by identity, so the per-table caches below cost one pointer per lookup.
    """

    definitions: tuple[str, ...]
    words: tuple[tuple[str, UnitWords], ...]

    def names(self) -> tuple[str, ...]:
        """The expressions with display words, for messages (``use one of …``)."""
        return tuple(sorted(expr for expr, _ in self.words))

    def extended(self, expr: str, define: str | None = None, ja: str | None = None,
                 en: str | None = None) -> UnitTable:
        """This table plus one entry; ``ValueError`` (with the valid form) for a bad one.

        ``define`` is ``count`` (a new counted dimension), an amount over known units (``1e6 FLOP``)
        or ``None`` (words for an expression that already parses). ``ja``/``en`` are display
        patterns (``"{}台"``, ``"{} cars"``); a missing one is the unit's symbol.
        """
        table, refused = extend(self, (UnitEntry(expr, define, ja, en),))
        if refused:
            raise ValueError(refused[0][1])
        return table


@dataclass(frozen=True)
class UnitEntry:
    """One entry of a ``units:`` mapping: the expression, its ``define`` (or ``None``) and display patterns."""

    expr: str
    define: str | None = None
    ja: str | None = None
    en: str | None = None


Extended = tuple[UnitTable, tuple[tuple[int, str], ...]]


@lru_cache(maxsize=64)
def extend(base: UnitTable, entries: tuple[UnitEntry, ...]) -> Extended:
    """``base`` plus each entry in order: the table, and the entries refused as ``(index, reason)`` (a
    refused entry is left out, the others still added).

    All entries share one pint registry, made once: a registry per defined unit would redo pint's whole
    set-up each time (about 25 ms; five for the reference ``units.yaml``, a sixth of a cold build).
    The result is remembered, in this process and in ``var/cache/units/``, so a spec loaded again
    costs nothing, and a later process no pint.
    """
    return cast(Extended, _asked(base.definitions, ("extend", base.words, entries),
                                 lambda: _extended(base, entries)))


def _extended(base: UnitTable, entries: tuple[UnitEntry, ...]) -> Extended:
    growing = _Growing(base)
    refused: list[tuple[int, str]] = []
    for index, entry in enumerate(entries):
        try:
            growing.add(entry)
        except ValueError as exc:
            refused.append((index, str(exc)))
    return growing.done(), tuple(refused)


class _Growing:
    """A table grown entry by entry on a pint registry of its own (no one else sees it until ``done``)."""

    def __init__(self, base: UnitTable) -> None:
        self.table = base
        self._own: pint.UnitRegistry[float] | None = None

    def add(self, entry: UnitEntry) -> None:
        """Add ``entry``, or raise ``ValueError`` (with the valid form) leaving the table as it was."""
        definitions, ureg = self.table.definitions, self._reader()
        try:
            if entry.define is not None:
                line = _definition(UnitTable(definitions, self.table.words), ureg, entry.expr, entry.define)
                ureg = self._writer()
                _define(ureg, line)  # pint checks the line in full before the table is used
                definitions += (line,)
            unit = _Grammar(entry.expr, lambda: ureg, UnitTable(definitions, self.table.words)).unit()
            shown = UnitWords.from_patterns(entry.ja or f"{{}}{unit:~P}", entry.en or f"{{}} {unit:~P}")
        except ValueError:
            if entry.define is not None:
                self._own = None  # it may hold a definition the table does not: made again when needed
            raise
        kept = tuple((e, w) for e, w in self.table.words if e != entry.expr)
        self.table = UnitTable(definitions, kept + ((entry.expr, shown),))

    def done(self) -> UnitTable:
        """The table grown; its registry becomes the one every later lookup in it uses."""
        if self._own is not None:
            _REGISTRIES.setdefault(self.table.definitions, self._own)
            self._own = None
        return self.table

    def _reader(self) -> pint.UnitRegistry[float]:
        """A registry of the table so far: ours, else one made already, else ours made now."""
        if self._own is None and self.table.definitions in _REGISTRIES:
            return _REGISTRIES[self.table.definitions]
        return self._writer()

    def _writer(self) -> pint.UnitRegistry[float]:
        """Our own registry of the table so far, to add definitions to."""
        if self._own is None:
            self._own = new_registry(caches.folder(PINT_CACHE), self.table.definitions)
        return self._own


def _definition(table: UnitTable, ureg: pint.UnitRegistry[float], name: str, define: str) -> str:
    """The pint definition line of ``define`` for ``name`` in ``table`` (whose registry is ``ureg``)."""
    if not _NAME.fullmatch(name) or len(name) > 30:
        raise ValueError(f"cannot define {name[:40]!r}: a new unit's name is one word of letters, "
                         "digits and _ (e.g. car, rack_unit)")
    try:
        known = _Grammar(name, lambda: ureg, table).unit()
    except ValueError:
        pass
    else:
        raise ValueError(f"{name!r} is already a unit ({_long(known)}); give it words without define")
    if define.strip() == COUNT:
        return f"{name} = [{name}]"
    match = _FACTOR.fullmatch(define)
    factor, rest = (match[1], match[2]) if match else ("1", define)
    _Grammar(rest, lambda: ureg, table).unit()
    return f"{name} = {factor} * ({_canonical(rest)})"


def _long(unit: pint.Unit) -> str:
    return f"{unit:D}" or "dimensionless"


#: The built-in definitions: currencies (each its own dimension) and floating-point operations.
_BUILTIN_DEFINITIONS = (
    "USD = [currency_usd]",
    "CNY = [currency_cny]",
    "JPY = [currency_jpy]",
    "EUR = [currency_eur]",
    "FLOP = [floating_point_operation] = _ = flop = Flop",
    "FLOPS = FLOP / second = _ = flops = Flops",
)

_FLOP_PREFIXES = {"": "", "k": "キロ", "M": "メガ", "G": "ギガ", "T": "テラ", "P": "ペタ", "E": "エクサ", "Z": "ゼタ"}


def _flop_words() -> tuple[tuple[str, UnitWords], ...]:
    rates = tuple((f"{p}FLOP/s", UnitWords(ja=f"{ja}フロップス" if p else "フロップス", en=f" {p}FLOP/s"))
                  for p, ja in _FLOP_PREFIXES.items())
    counts = tuple((f"{p}FLOP", UnitWords(ja=f"{p}FLOP", en=f" {p}FLOP")) for p in _FLOP_PREFIXES)
    efficiency = tuple((f"{p}FLOP/s/W", UnitWords(ja=f"{ja}フロップス/ワット", en=f" {p}FLOP/s/W"))
                       for p, ja in _FLOP_PREFIXES.items() if p in "MGT")
    return rates + counts + efficiency


#: The built-in display words. Anything else is written with its pint symbol (``kg``, ``EFLOP/s``).
_BUILTIN_WORDS = (
    ("1", UnitWords(ja="", en="")),
    ("percent", UnitWords(ja="%", en="%")),
    ("USD", UnitWords(ja="ドル", en="", en_prefix="$")),
    ("CNY", UnitWords(ja="元", en=" yuan")),
    ("JPY", UnitWords(ja="円", en=" yen")),
    ("EUR", UnitWords(ja="ユーロ", en="", en_prefix="€")),
    ("CNY/USD", UnitWords(ja="元/ドル", en=" yuan per dollar")),
    ("USD/month", UnitWords(ja="ドル/月", en=" per month", en_prefix="$")),
    ("W", UnitWords(ja="ワット", en=" W")),
    ("kW", UnitWords(ja="キロワット", en=" kW")),
    ("MW", UnitWords(ja="メガワット", en=" MW")),
    ("GW", UnitWords(ja="ギガワット", en=" GW")),
    ("TWh", UnitWords(ja="テラワット時", en=" TWh")),
    ("TWh/year", UnitWords(ja="テラワット時/年", en=" TWh a year")),
    ("gallon/day", UnitWords(ja="ガロン/日", en=" gallons a day")),
    ("m**3/day", UnitWords(ja="立方メートル/日", en=" m³ a day")),
    ("day", UnitWords(ja="日", en=" days")),
    ("month", UnitWords(ja="ヶ月", en=" months")),
    ("year", UnitWords(ja="年", en=" years")),
    *_flop_words(),
)

BUILTIN = UnitTable(_BUILTIN_DEFINITIONS, _BUILTIN_WORDS)
#: Counted units ``run.py draft`` writes, with their words (ja, en), added to a draft's ``units:`` when
#: the data folder lacks them.
COUNTED = {"GPU": ("{}台", "{} GPUs"), "server": ("{}台", "{} servers"), "person": ("{}人", "{} people"),
           "position": ("{}職種", "{} positions"), "household": ("{}世帯", "{} households")}
_ACTIVE: ContextVar[UnitTable] = ContextVar("briefgen_units", default=BUILTIN)


@contextmanager
def using(table: UnitTable | None) -> Iterator[UnitTable]:
    """Make ``table`` the units in force inside the block (``None``: keep the current one)."""
    if table is None:
        yield current()
        return
    token = _ACTIVE.set(table)
    try:
        yield table
    finally:
        _ACTIVE.reset(token)


def current() -> UnitTable:
    """The unit table in force."""
    return _ACTIVE.get()


#: The pint registry of each set of definitions, made once (``extend`` hands over the one it grew).
_REGISTRIES: dict[tuple[str, ...], pint.UnitRegistry[float]] = {}


def _registry(definitions: tuple[str, ...]) -> pint.UnitRegistry[float]:
    """A pint registry with ``definitions`` added, built once per set of definitions, from the parsed
    definitions that ``run.py cache`` saved (0.13 s → 0.02 s of every cold start), or from pint's files."""
    if definitions not in _REGISTRIES:
        _REGISTRIES[definitions] = new_registry(caches.folder(PINT_CACHE), definitions)
    return _REGISTRIES[definitions]


def new_registry(cache_folder: Path | None,
                 definitions: tuple[str, ...] = _BUILTIN_DEFINITIONS) -> pint.UnitRegistry[float]:
    """A pint registry with ``definitions``; pint reads (and fills) ``cache_folder``. Where that
    folder cannot be written, the registry is built without it. A definition pint refuses is a
    ``ValueError``."""
    import_without("pint", "numpy")  # pint's array support is optional (see lazyimports); NumPy stays importable
    import pint

    ureg: pint.UnitRegistry[float]
    try:
        ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=cache_folder)
    except OSError:
        ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in definitions:
        _define(ureg, line)
    return ureg


def _define(ureg: pint.UnitRegistry[float], line: str) -> None:
    try:
        ureg.define(line)
    except Exception as exc:  # pint raises several unrelated types for a definition it refuses
        raise ValueError(f"pint refuses the definition {line[:60]!r}: {str(exc)[:80]}") from None


def write_cache(root: Path) -> tuple[Path, Path]:
    """Save pint's parsed definitions under ``root``, and make the folder ``save_learnt`` writes to
    (set-up time; see ``briefgen.base.caches``)."""
    folder = root / PINT_CACHE
    folder.mkdir(parents=True, exist_ok=True)
    new_registry(folder)
    (root / KNOWN_CACHE).mkdir(exist_ok=True)
    return folder, root / KNOWN_CACHE


def parse(expr: str) -> Unit:
    """Parse a unit expression; raise ``ValueError`` naming the valid forms when it is unknown."""
    return _parse(current(), expr)


@lru_cache(maxsize=4096)
def _parse(table: UnitTable, expr: str) -> Unit:
    return cast(Unit, _asked(table.definitions, ("parse", expr), lambda: _read(table, expr)))


def _read(table: UnitTable, expr: str) -> Unit:
    """``expr`` read by the grammar on pint, as a plain ``Unit`` (pint is loaded only once the grammar
    reaches a name: an empty, overlong or garbled expression is refused without it)."""
    unit = _Grammar(expr, lambda: _registry(table.definitions), table).unit()
    scale, _ = _registry(table.definitions).get_root_units(unit)
    return Unit(_terms(unit._units), _terms(unit.dimensionality), float(cast(float, scale)))


def _terms(container: Any) -> Terms:
    """A pint unit container as sorted (name, whole exponent) pairs."""
    return tuple(sorted((str(name), int(exponent)) for name, exponent in container.items()))


def factor(source: Unit, target: Unit) -> float:
    """How many ``target`` one ``source`` is (through base units, as pint converts); ``ValueError``
    when they are of different dimensions."""
    if source.dimensionality != target.dimensionality:
        raise ValueError(f"{compact(source)} cannot be expressed in {compact(target)}")
    return source.scale / target.scale


def compact(unit: Unit) -> str:
    """pint's compact long form of ``unit`` (``gallon/day``, ``megawatt*year``)."""
    return _text(unit, "C")


def _text(unit: Unit, spec: str) -> str:
    """``unit`` written by pint's formatter ``spec`` (asked once per unit and format)."""
    table = current()
    return cast(str, _asked(table.definitions, ("text", unit.terms, spec), lambda: format(_pint_unit(unit, table), spec)))


def _pint_unit(unit: Unit, table: UnitTable) -> pint.Unit:
    ureg = _registry(table.definitions)
    return reduce(mul, (ureg.Unit(name) ** exponent for name, exponent in unit.terms), ureg.dimensionless)


# --- what pint said, kept across processes --------------------------------------------------------


@dataclass
class _Known:
    """pint's answers for one set of definitions — each expression's unit (refusals are not kept), each unit's text
    in a format, each extension of a table — read from ``var/cache/units/`` when first needed; those
    this process added are written back by ``save_learnt``."""

    answers: dict[tuple[object, ...], object]
    learnt: bool = False


_KNOWN: dict[tuple[str, ...], _Known] = {}


def _asked(definitions: tuple[str, ...], question: tuple[object, ...], answer: Callable[[], object]) -> object:
    """The answer to ``question`` about ``definitions``: known already, else ``answer()`` (which asks pint)."""
    known = _known(definitions)
    if question not in known.answers:
        known.answers[question] = answer()
        known.learnt = True
    return known.answers[question]


def _known(definitions: tuple[str, ...]) -> _Known:
    if definitions not in _KNOWN:
        _KNOWN[definitions] = _Known(_saved(caches.read(KNOWN_CACHE, _known_key(definitions))))
    return _KNOWN[definitions]


def _saved(data: bytes | None) -> dict[tuple[object, ...], object]:
    """The answers ``save_learnt`` wrote; none when there are none or they cannot be read."""
    try:
        answers = pickle.loads(data) if data else {}
    except Exception:  # a damaged entry: unpickling raises many types; asking pint again is the answer
        return {}
    return answers if isinstance(answers, dict) else {}


def _known_key(definitions: tuple[str, ...]) -> str:
    """What pint's answers depend on: the definitions, pint's own files, this module, Python's version."""
    return f"{definitions!r}|{_sources()}|python {sys.version_info[:2]}"


@lru_cache(maxsize=1)
def _sources() -> str:
    """Size and time of this module and of pint's code and definition files (found without importing pint)."""
    spec = importlib.util.find_spec("pint")
    folder = Path(spec.origin).parent if spec and spec.origin else None
    files = [Path(__file__)] + ([folder / "__init__.py", folder / "default_en.txt", folder / "constants_en.txt"]
                                if folder else [])
    return ";".join(f"{path}:{_stamp(path)}" for path in files)


def _stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def save_learnt(root: Path | None = None) -> tuple[Path, ...]:
    """Write to ``var/cache/units/`` (or ``root``'s) the answers it lacks, when set-up made that folder;
    the files written."""
    if caches.folder(KNOWN_CACHE, root) is None:
        return ()
    written = []
    for definitions, known in _KNOWN.items():
        key = _known_key(definitions)
        if known.learnt or (known.answers and not caches.entry(KNOWN_CACHE, key, root).exists()):
            written.append(caches.write(KNOWN_CACHE, key, pickle.dumps(known.answers, pickle.HIGHEST_PROTOCOL), root))
            known.learnt = False
    return tuple(written)


def _canonical(expr: str) -> str:
    """An expression (already read by the grammar) re-spelled for pint's definition parser."""
    return " ".join(_tokens(expr)).replace("^", "**").replace("·", "*").replace("×", "*").replace("÷", "/")


def _tokens(expr: str) -> list[str]:
    tokens, position, text = [], 0, expr.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or not match.group(match.lastgroup or "name"):
            raise ValueError(f"unexpected {text[position:position + 10].strip()[:10]!r} in unit "
                             f"{expr[:MAX_LENGTH]!r}")
        tokens.append(match.group(match.lastgroup or "name"))
        position = match.end()
    return tokens


class _Grammar:
    """``unit := product; product := power ((* | / | ·) power)*; power := atom (** | ^) [+-]digit?;
    atom := name | 1 | ( product )`` — evaluated on pint units as it is read."""

    def __init__(self, expr: str, ureg: Callable[[], pint.UnitRegistry[float]], table: UnitTable) -> None:
        self.expr, self.ureg, self.table = expr.strip(), ureg, table
        if not self.expr:
            raise ValueError("empty unit")
        if len(self.expr) > MAX_LENGTH:
            raise ValueError(f"unit {self.expr[:20]!r}… is {len(self.expr)} characters long (at most {MAX_LENGTH})")
        self.tokens, self.at, self.depth = _tokens(self.expr), 0, 0

    def fail(self, problem: str) -> ValueError:
        return ValueError(f"{problem} in unit {self.expr!r}")

    def peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        self.at += 1
        return token

    def unit(self) -> pint.Unit:
        result = self.product()
        if self.peek():
            raise self.fail(f"unexpected {self.peek()!r}")
        return result

    def product(self) -> pint.Unit:
        result = self.power()
        while self.peek() in ("*", "/", "·", "×", "÷"):
            divide = self.take() in ("/", "÷")
            right = self.power()
            result = result / right if divide else result * right
        return result

    def power(self) -> pint.Unit:
        base = self.atom()
        if self.peek() not in ("**", "^"):
            return base
        self.take()
        sign = -1 if self.peek() == "-" else 1
        if self.peek() in ("-", "+"):
            self.take()
        digits = self.take()
        if not (digits.isdigit() and len(digits) <= 1 and int(digits) <= MAX_EXPONENT):
            raise self.fail(f"exponent {digits[:12]!r} is not a whole number from -{MAX_EXPONENT} to {MAX_EXPONENT}")
        return cast("pint.Unit", base ** (sign * int(digits)))

    def atom(self) -> pint.Unit:
        token = self.take()
        if token == "(":
            return self.group()
        if token == "1":
            return self.ureg().dimensionless
        if not token or not _NAME.fullmatch(token):
            raise self.fail(f"{token[:12]!r} where a unit name belongs" if token else "a unit name missing")
        return self.name(token)

    def group(self) -> pint.Unit:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"parentheses more than {MAX_DEPTH} deep")
        inner = self.product()
        if self.take() != ")":
            raise self.fail("a ( without its )")
        self.depth -= 1
        return inner

    def name(self, token: str) -> pint.Unit:
        ureg = self.ureg()
        try:
            return ureg.Unit(ureg.get_name(token))
        except Exception:  # pint raises UndefinedUnitError, or others for odd names
            raise ValueError(f"unknown unit {token!r}{_did_you_mean(token, self.table)}") from None


def _did_you_mean(token: str, table: UnitTable) -> str:
    names = {e.lower(): e for e, _ in table.words if _NAME.fullmatch(e)}
    import difflib  # only for a message about a name that is not known

    close = [names[c] for c in difflib.get_close_matches(token.lower(), names, n=3)]
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def is_known(expr: str) -> bool:
    """True when ``expr`` parses as a unit."""
    try:
        parse(expr)
    except ValueError:
        return False
    return True


def words(expr: str) -> UnitWords:
    """Display words for ``expr``: its own, those of an identical unit written otherwise (``PFLOPS``
    reads as ``PFLOP/s``), else its pint symbol."""
    return _words(current(), expr)


@lru_cache(maxsize=1024)
def _words(table: UnitTable, expr: str) -> UnitWords:
    for known, shown in table.words:
        if known == expr:
            return shown
    unit = _parse(table, expr)
    for known, shown in table.words:
        if _identical(_parse(table, known), unit):
            return shown
    return UnitWords(ja=symbol(expr), en=f" {symbol(expr)}")


def _identical(a: Unit, b: Unit) -> bool:
    return a.dimensionality == b.dimensionality and abs(a.scale / b.scale - 1) < 1e-12


def symbol(expr: str) -> str:
    """pint's short symbol for ``expr`` (``EFLOP/s``, ``kg``)."""
    return _text(parse(expr), "~P")


def same_dimension(a: str, b: str) -> bool:
    """True when quantities in units ``a`` and ``b`` can be added, compared or divided to a number."""
    return bool(parse(a).dimensionality == parse(b).dimensionality)
