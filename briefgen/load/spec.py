"""brief.yaml → a validated ``BriefSpec``; every unknown key, bad shape and bad value is reported at once.

The spec format is documented in ``docs/architecture.md``. Unknown keys are errors (a typo such as
``comparsions:`` must not silently drop a section). Each problem names the spec file, the line,
the key path (``comparisons[3].kind``) and the valid form. ``facts``/``sources`` are resolved
relative to the spec file; ``template`` is the name of a folder under the templates directory.
Each ``comparisons:`` entry becomes its kind's spec type (``model.Ratio`` … ``model.Pace``), and
takes only that kind's keys. Whether referenced ids exist is checked later by ``compare`` (it has the
``FactSet``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Callable, Literal, Mapping, Sequence, TypedDict, TypeVar, cast, get_args

import yaml

from briefgen.base import headertext, units
from briefgen.base.errors import Problem, SpecError, quoted
from briefgen.base.model import (
    COMPARISON_TYPES,
    CONTRADICTED_BEYOND,
    LANGS,
    WEEKDAYS,
    BriefSpec,
    ChartSpec,
    ClaimKind,
    ClaimSpec,
    ComparisonKind,
    ComparisonSpec,
    Convert,
    Currency,
    Difference,
    IfUnavailable,
    Lang,
    Localized,
    Pace,
    Precision,
    Product,
    Quantity,
    Rank,
    Ratio,
    Share,
    Slot,
    Sum,
    Weekday,
    comparison_arguments,
    known_zone,
)
from briefgen.base.parse import ID as ITEM_ID
from briefgen.base.parse import PRECISION_FORM, parse_amount, parse_number, parse_precision
from briefgen.load.tables import load_yaml, read_text

SPEC_NAME = "brief.yaml"
#: Units every brief of a data folder may use, in the data folder itself (next to the brief folders).
UNITS_NAME = "units.yaml"
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")

KeyPath = tuple[str | int, ...]
Direction = Literal["about", "at_least", "at_most"]
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

#: Each comparison kind's spec type, by the name brief.yaml gives the kind.
KINDS: dict[ComparisonKind, type[ComparisonSpec]] = {spec_type.kind: spec_type for spec_type in COMPARISON_TYPES}
#: Every argument name any kind takes (accepted silently while the kind itself is unknown).
_ANY_ARGUMENT = tuple(dict.fromkeys(name for spec_type in COMPARISON_TYPES for name in comparison_arguments(spec_type)))
IF_UNAVAILABLE: tuple[IfUnavailable, ...] = get_args(IfUnavailable)


_Entry = TypeVar("_Entry")

TOP_REQUIRED = ("id", "title", "languages", "template", "facts", "sources")
TOP_OPTIONAL = ("author", "units", "key_numbers", "comparisons", "charts", "claims", "schedule",
                "block_on_contradicted", "precision", "stale_after_days", "draft", "review")
CLAIM_KINDS: tuple[ClaimKind, ...] = get_args(ClaimKind)
#: For each claim kind: (required keys, optional keys), besides id, quote, kind and acknowledged.
CLAIM_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "value": (("target", "asserted", "unit", "tolerance"), ("direction", "contradicted_beyond")),
    "less_than": (("of", "than"), ()),
    "greater_than": (("of", "than"), ()),
}
#: An edition this many days after the newest fact's as_of gets a staleness warning (``lint``).
STALE_AFTER_DAYS = 90
UNIT_KEYS = ("define", "ja", "en")

ID_FORM = "an id of lower-case letters, digits and _ (e.g. gpu_ratio)"
SLUG_FORM = "lower-case letters, digits and - (e.g. xai-colossus)"
UNIT_FORM = units.FORM
UNIT_ENTRY_FORM = ("define: count (a counted thing) or an amount such as \"1e6 FLOP\" (or nothing, for a "
                   f"unit that exists); ja and en: {units.WORDS_FORM}")


def find_specs(data_dir: Path) -> dict[str, Path]:
    """Brief id → ``data_dir/<id>/brief.yaml`` for every folder that has one (folder name = brief id)."""
    if not data_dir.is_dir():
        raise SpecError(Problem(str(data_dir), "not a folder", expected="the data folder holding <brief-id>/brief.yaml"))
    return {path.parent.name: path for path in sorted(data_dir.glob(f"*/{SPEC_NAME}"))
            if SLUG.fullmatch(path.parent.name)}


def load_spec(path: Path) -> BriefSpec:
    """Read and validate one brief spec; raise one ``SpecError`` listing every problem."""
    origin = str(path)
    doc = load_yaml(read_text(path, SpecError), origin, SpecError)
    reader = _Reader(origin, doc.node, path.parent)
    reader.problems += doc.problems
    project = load_units(path.parent.parent / UNITS_NAME)
    spec = reader.brief(doc.data, project)
    if reader.problems or spec is None:
        raise SpecError(*(reader.problems or [Problem(origin, "empty spec", expected="a YAML mapping")]))
    return spec


def load_units(path: Path) -> units.UnitTable:
    """A data folder's ``units.yaml`` (``units:`` mapping unit → {define, ja, en}) over the built-ins;
    the built-ins alone when there is no such file. Raises one ``SpecError`` listing every problem."""
    if not path.is_file():
        return units.BUILTIN
    origin = str(path)
    doc = load_yaml(read_text(path, SpecError), origin, SpecError)
    reader = _Reader(origin, doc.node, path.parent)
    reader.problems += doc.problems
    top = reader.mapping({} if doc.data is None else doc.data, (), ("units",))
    table = reader.unit_table(top.get("units", {}) if top else {}, ("units",), units.BUILTIN)
    if reader.problems:
        raise SpecError(*reader.problems)
    return table


def key_path(path: KeyPath) -> str:
    """``("comparisons", 3, "kind")`` → ``"comparisons[3].kind"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


class _Reader:
    """Reads typed values out of the parsed spec, recording a located problem for each bad one."""

    def __init__(self, origin: str, node: yaml.Node | None, base: Path) -> None:
        self.origin, self.node, self.base = origin, node, base
        self.problems: list[Problem] = []

    # --- locating and reporting -------------------------------------------------------------------

    def line(self, path: KeyPath) -> int | None:
        """The line of the deepest node along ``path`` (the parent's line for a missing key)."""
        node, line = self.node, None
        for part in path:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, part)
        return line if node is None else node.start_mark.line + 1

    def where(self, path: KeyPath) -> str:
        line = self.line(path)
        return self.origin if line is None else f"{self.origin}:{line}"

    def fail(self, path: KeyPath, problem: str, expected: str) -> None:
        self.problems.append(Problem(self.origin, problem, self.line(path), key_path(path) or None, expected))

    # --- shapes -----------------------------------------------------------------------------------

    def mapping(self, value: object, path: KeyPath, allowed: Sequence[str]) -> dict[str, object] | None:
        """A mapping whose keys are all ``allowed``; a missing key is reported by its own reader."""
        if not isinstance(value, dict):
            self.fail(path, _got(value), f"a mapping with keys {', '.join(allowed)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail((*path, str(key)), f"unknown key {quoted(key)}", f"only {', '.join(allowed)}")
        return {str(k): v for k, v in value.items()}

    def localized(self, value: object, path: KeyPath) -> Localized:
        """``{ja: …, en: …}`` (either may be left out) → the text for each edition."""
        entry = self.mapping(value, path, ("ja", "en"))
        if entry is None:
            return Localized()
        return Localized(*(self.text(entry[lang], (*path, lang)) if lang in entry else "" for lang in ("ja", "en")))

    def text(self, value: object, path: KeyPath, pattern: re.Pattern[str] | None = None,
             expected: str = "a non-empty text") -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, _got(value), expected)
            return ""
        if pattern is not None and not pattern.fullmatch(value.strip()):
            self.fail(path, f"bad value {quoted(value)}", expected)
        return value.strip()

    def choice(self, value: object, path: KeyPath, options: Sequence[str]) -> str:
        """One of ``options``, or ``""`` after reporting the problem."""
        text = self.text(value, path, expected=f"one of {', '.join(options)}")
        if text and text not in options:
            self.fail(path, f"unknown value {quoted(text)}", f"one of {', '.join(options)}")
        return text if text in options else ""

    def items(self, value: object, path: KeyPath, minimum: int = 0) -> list[object]:
        expected = f"a list of at least {minimum} item{'s' if minimum != 1 else ''}"
        if not isinstance(value, list):
            self.fail(path, _got(value), expected)
            return []
        if len(value) < minimum:
            self.fail(path, f"only {len(value)} item{'s' if len(value) != 1 else ''}", expected)
        return value

    def ids(self, value: object, path: KeyPath, minimum: int = 0) -> tuple[str, ...]:
        return tuple(self.text(item, (*path, i), ITEM_ID, ID_FORM)
                     for i, item in enumerate(self.items(value, path, minimum)))

    def unit(self, value: object, path: KeyPath, time: bool = False) -> str:
        expected = "a time unit such as day, month or year" if time else UNIT_FORM
        text = self.text(value, path, expected=expected)
        if not text:
            return text
        try:
            if time and not units.same_dimension(text, "day"):
                self.fail(path, f"{quoted(text)} is not a time unit", expected)
            units.parse(text)
        except ValueError as exc:
            self.fail(path, str(exc), expected)
        return text

    def amount(self, value: object, path: KeyPath) -> str:
        """An id, or a literal amount "<number> <unit>" such as "1 year"."""
        expected = f"{ID_FORM}, or an amount such as \"1 year\""
        text = self.text(value, path, expected=expected)
        if text and not ITEM_ID.fullmatch(text) and not _is_amount(text):
            self.fail(path, f"neither an id nor an amount: {quoted(text)}", expected)
        return text

    def number(self, value: object, path: KeyPath, expected: str = "a number such as 4, 0.5 or 4000000000") -> Decimal:
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            try:
                return parse_number(str(value))
            except ValueError as exc:
                self.fail(path, str(exc), expected)
                return Decimal(0)
        self.fail(path, _got(value), expected)
        return Decimal(0)

    def langs(self, value: object, path: KeyPath, languages: Sequence[str]) -> dict[str, str]:
        """A text per language; every language of the brief must be there."""
        texts = self.mapping(value, path, LANGS)
        if texts is None:
            return {}
        for lang in languages:
            self.text(texts.get(lang), (*path, lang), expected=f"the title in {lang}")
        return {lang: str(texts[lang]).strip() for lang in LANGS if isinstance(texts.get(lang), str)}

    def subject_texts(self, texts: dict[str, str], path: KeyPath) -> dict[str, str]:
        """``texts`` (the brief's titles: every message's Subject), reporting any a mail header must
        not carry (control characters, bidi controls, encoded words; see ``briefgen.base.headertext``)."""
        for lang, text in texts.items():
            refused = headertext.refusal(text)
            if refused:
                self.fail((*path, lang), f"{refused} in the title", headertext.EXPECTED)
        return texts

    def file(self, value: object, path: KeyPath) -> str:
        text = self.text(value, path, expected="a file path relative to the spec file")
        resolved = self.base / text
        if text and not resolved.is_file():
            self.fail(path, f"file not found: {resolved}", "an existing file, relative to the spec file")
        return str(resolved)

    # --- sections ---------------------------------------------------------------------------------

    def unit_table(self, value: object, path: KeyPath, base: units.UnitTable) -> units.UnitTable:
        """``units:`` — unit expression → {define?, ja?, en?}, each entry added to ``base`` in order."""
        if not isinstance(value, dict):
            self.fail(path, _got(value), f"a mapping of unit → {{{', '.join(UNIT_KEYS)}}}")
            return base
        entries: list[units.UnitEntry] = []
        for expr, raw in value.items():
            entry = self.mapping(raw if raw is not None else {}, (*path, str(expr)), UNIT_KEYS)
            if entry is None:
                continue
            texts = {key: self.text(entry[key], (*path, str(expr), key)) for key in UNIT_KEYS if key in entry}
            entries.append(units.UnitEntry(str(expr), texts.get("define"), texts.get("ja"), texts.get("en")))
        table, refused = units.extend(base, tuple(entries))
        for index, reason in refused:
            self.fail((*path, entries[index].expr), reason, UNIT_ENTRY_FORM)
        return table

    def brief(self, data: object, project_units: units.UnitTable) -> BriefSpec | None:
        top = self.mapping(data, (), (*TOP_REQUIRED, *TOP_OPTIONAL))
        if top is None:
            return None
        table = self.unit_table(top.get("units", {}), ("units",), project_units)
        with units.using(table):
            return self.sections(top, table)

    def sections(self, top: Mapping[str, object], table: units.UnitTable) -> BriefSpec:
        languages = self.languages(top.get("languages"))
        block = self.flag(top, "block_on_contradicted", True)
        draft = self.flag(top, "draft", False)
        return BriefSpec(
            id=self.text(top.get("id"), ("id",), SLUG, SLUG_FORM),
            title=self.subject_texts(self.langs(top.get("title"), ("title",), languages), ("title",)),
            languages=languages,
            template=self.text(top.get("template"), ("template",), SLUG, f"a template folder name: {SLUG_FORM}"),
            facts_path=self.file(top.get("facts"), ("facts",)),
            sources_path=self.file(top.get("sources"), ("sources",)),
            comparisons=self.section(top, "comparisons",
                                     lambda v, p: self.comparison(v, p, self.precision(top, ("precision",)))),
            key_numbers=self.ids(top.get("key_numbers", []), ("key_numbers",)),
            charts=self.section(top, "charts", lambda v, p: self.chart(v, p, languages)),
            claims=self.section(top, "claims", self.claim),
            schedule=None if top.get("schedule") is None else self.schedule(top["schedule"], ("schedule",)),
            block_on_contradicted=block,
            author=self.text(top.get("author", "briefgen"), ("author",)),
            origin=self.origin,
            stale_after_days=self.count(top.get("stale_after_days", STALE_AFTER_DAYS), ("stale_after_days",)),
            units=table,
            draft=draft,
            review=self.review(top.get("review", []), draft),
        )

    def flag(self, top: Mapping[str, object], key: str, default: bool) -> bool:
        value = top.get(key, default)
        if not isinstance(value, bool):
            self.fail((key,), _got(value), "true or false")
        return value is True

    def review(self, value: object, draft: bool) -> tuple[str, ...]:
        """``review:`` — lines an editor must still look at; only a draft may keep any."""
        path: KeyPath = ("review",)
        lines = tuple(self.text(v, (*path, i), expected="one line of text")
                      for i, v in enumerate(self.items(value, path)))
        if lines and not draft:
            self.fail(path, f"{len(lines)} item{'s' if len(lines) != 1 else ''} left to review in a brief "
                            "that is not a draft", "the items resolved and review: deleted, or draft: true")
        return lines

    def languages(self, value: object) -> tuple[Lang, ...]:
        path: KeyPath = ("languages",)
        codes = [self.choice(v, (*path, i), LANGS) for i, v in enumerate(self.items(value, path, 1))]
        valid = [code for code in codes if code]
        if len(set(valid)) != len(valid):
            self.fail(path, "a language is listed twice", "each of ja, en at most once")
        return tuple(cast(Lang, code) for code in dict.fromkeys(valid))

    def section(self, top: Mapping[str, object], key: str,
                read: Callable[[object, KeyPath], _Entry | None]) -> tuple[_Entry, ...]:
        raw = self.items(top.get(key, []), (key,))
        self.unique(key, [v.get("id") if isinstance(v, dict) else None for v in raw])
        entries = [read(v, (key, i)) for i, v in enumerate(raw)]
        return tuple(e for e in entries if e is not None)

    def unique(self, key: str, ids: Sequence[object]) -> None:
        first: dict[object, int] = {}
        for i, item_id in enumerate(ids):
            if isinstance(item_id, str) and item_id in first:
                self.fail((key, i, "id"), f"duplicate id {quoted(item_id)} (also {key}[{first[item_id]}])",
                          "each id once")
            first.setdefault(item_id, i)

    def precision(self, entry: Mapping[str, object], path: KeyPath,
                  default: Precision | None = None) -> Precision | None:
        """``exact`` or 1–15 significant digits at ``path`` (its last key) of ``entry``, else ``default``."""
        value = entry.get(str(path[-1]))
        if value is None:
            return default
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            return parse_precision(str(value))
        except ValueError:
            self.fail(path, _got(value), PRECISION_FORM)
            return default

    def count(self, value: object, path: KeyPath) -> int:
        """A whole number of at least 1 (days)."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(path, _got(value), "a whole number of days, at least 1 (e.g. 90)")
            return STALE_AFTER_DAYS
        return value

    def comparison(self, value: object, path: KeyPath, precision: Precision | None) -> ComparisonSpec | None:
        """One ``comparisons:`` entry → its kind's spec type; only the keys that kind takes are allowed."""
        kind = self.choice(value.get("kind"), (*path, "kind"), tuple(KINDS)) if isinstance(value, dict) else ""
        names = comparison_arguments(KINDS[kind]) if kind in KINDS else _ANY_ARGUMENT
        entry = self.mapping(value, path, ("id", "kind", *names, "if_unavailable", "precision"))
        if entry is None or kind not in KINDS:
            return None
        if kind == "convert" and "per" in entry and "over" in entry:
            self.fail((*path, "over"), "per and over together", "either per or over")
        return _BUILD[kind](_Arguments(self, entry, path, precision))

    def chart(self, value: object, path: KeyPath, languages: Sequence[str]) -> ChartSpec | None:
        entry = self.mapping(value, path, ("id", "title", "items", "unit"))
        if entry is None:
            return None
        return ChartSpec(id=self.text(entry.get("id"), (*path, "id"), ITEM_ID, ID_FORM),
                         title=self.langs(entry.get("title"), (*path, "title"), languages),
                         items=self.ids(entry.get("items"), (*path, "items"), minimum=1),
                         unit=self.unit(entry.get("unit"), (*path, "unit")))

    def claim(self, value: object, path: KeyPath) -> ClaimSpec | None:
        given = value.get("kind", "value") if isinstance(value, dict) else "value"
        kind = cast(ClaimKind, self.choice(given, (*path, "kind"), CLAIM_KINDS) or "value")
        required, optional = CLAIM_KEYS[kind]
        entry = self.mapping(value, path, ("id", "quote", "kind", *required, *optional, "acknowledged", "gloss"))
        if entry is None:
            return None
        claim_id = self.text(entry.get("id"), (*path, "id"), ITEM_ID, ID_FORM)
        quote = self.text(entry.get("quote"), (*path, "quote"), expected="the article's own words")
        acknowledged = entry.get("acknowledged", "")
        per_edition = self.localized(acknowledged, (*path, "acknowledged")) if isinstance(acknowledged, dict) \
            else Localized()
        note = per_edition.en or per_edition.ja or (
            self.text(acknowledged, (*path, "acknowledged")) if acknowledged != "" else "")
        gloss = self.localized(entry.get("gloss", {}), (*path, "gloss"))
        if kind != "value":
            return ClaimSpec(claim_id, quote, self.text(entry.get("of"), (*path, "of"), ITEM_ID, ID_FORM),
                             None, Decimal(0), self.where(path), kind=kind, acknowledged=note, note=per_edition,
                             gloss=gloss, than=self.text(entry.get("than"), (*path, "than"), ITEM_ID, ID_FORM))
        tolerance = self.fraction(entry.get("tolerance"), (*path, "tolerance"), "a number >= 0 such as 0.02 (2 %)")
        beyond = self.fraction(entry.get("contradicted_beyond", str(CONTRADICTED_BEYOND)), (*path, "contradicted_beyond"),
                               f"a number above the tolerance {tolerance}, such as 0.25 (25 %)")
        if beyond <= tolerance:
            self.fail((*path, "contradicted_beyond"), f"{beyond} is not above the tolerance {tolerance}",
                      f"a number above the tolerance {tolerance}, such as 0.25 (25 %)")
        return ClaimSpec(
            claim_id, quote, target=self.text(entry.get("target"), (*path, "target"), ITEM_ID, ID_FORM),
            asserted=Quantity.point(self.number(entry.get("asserted"), (*path, "asserted")),
                                    self.unit(entry.get("unit"), (*path, "unit"))),
            tolerance=tolerance, origin=self.where(path), contradicted_beyond=beyond, acknowledged=note,
            note=per_edition, gloss=gloss,
            direction=cast(Direction, self.choice(entry.get("direction", "about"), (*path, "direction"),
                                                  DIRECTIONS) or "about"),
        )

    def fraction(self, value: object, path: KeyPath, expected: str) -> Decimal:
        """A relative amount >= 0 (0.02 = 2 %)."""
        number = self.number(value, path, expected)
        if number < 0:
            self.fail(path, f"negative {path[-1]} {number}", expected)
        return number

    def schedule(self, value: object, path: KeyPath) -> Slot | None:
        entry = self.mapping(value, path, ("weekday", "at", "tz"))
        if entry is None:
            return None
        weekday = entry.get("weekday")
        day = self.choice(weekday.lower() if isinstance(weekday, str) else weekday, (*path, "weekday"), WEEKDAYS)
        at = self.text(entry.get("at"), (*path, "at"), HH_MM, 'a quoted 24-hour time "HH:MM", e.g. "08:00"')
        tz = self.text(entry.get("tz"), (*path, "tz"), expected="an IANA time zone such as Asia/Tokyo")
        if tz and not known_zone(tz):
            self.fail((*path, "tz"), f"unknown time zone {quoted(tz)}", "an IANA time zone such as Asia/Tokyo")
        match = HH_MM.fullmatch(at)
        time = dt.time(int(match[1]), int(match[2])) if match else dt.time(0, 0)
        return Slot(weekday=cast(Weekday, day or "monday"), at=time, tz=tz)


class _Common(TypedDict):
    """What every comparison spec has besides its kind's arguments."""

    id: str
    origin: str
    if_unavailable: IfUnavailable
    precision: Precision | None


class _Arguments:
    """Reads the arguments of one comparison entry, each in its shape, reporting bad ones located."""

    def __init__(self, reader: _Reader, entry: Mapping[str, object], path: KeyPath,
                 precision: Precision | None) -> None:
        self.reader, self.entry, self.path, self.precision = reader, entry, path, precision

    def id(self, name: str) -> str:
        return self.reader.text(self.entry.get(name), (*self.path, name), ITEM_ID, ID_FORM)

    def ids(self, name: str) -> tuple[str, ...]:
        """A list of at least two ids."""
        return self.reader.ids(self.entry.get(name), (*self.path, name), minimum=2)

    def unit(self, name: str) -> str:
        return self.reader.unit(self.entry.get(name), (*self.path, name))

    def time(self, name: str) -> str:
        """A unit of time (``month``)."""
        return self.reader.unit(self.entry.get(name), (*self.path, name), time=True)

    def amount(self, name: str) -> str | None:
        """An optional id or literal amount (``"1 year"``); ``None`` when the entry leaves it out."""
        return self.reader.amount(self.entry[name], (*self.path, name)) if name in self.entry else None

    def common(self) -> _Common:
        """The entry's id, origin, ``if_unavailable`` and ``precision`` (the brief's when not given)."""
        fallback = cast(IfUnavailable, self.reader.choice(self.entry.get("if_unavailable", "error"),
                                                          (*self.path, "if_unavailable"), IF_UNAVAILABLE) or "error")
        return _Common(id=self.id("id"), origin=self.reader.where(self.path), if_unavailable=fallback,
                       precision=self.reader.precision(self.entry, (*self.path, "precision"), self.precision))


#: How each kind's spec is read: its arguments in order, then what every comparison has (``common()``
#: last, so problems are listed in the order they always were: arguments, if_unavailable, id, precision).
_BUILD: dict[ComparisonKind, Callable[[_Arguments], ComparisonSpec]] = {
    "ratio": lambda a: Ratio(of=a.id("of"), to=a.id("to"), **a.common()),
    "share": lambda a: Share(part=a.id("part"), whole=a.id("whole"), **a.common()),
    "difference": lambda a: Difference(of=a.id("of"), minus=a.id("minus"), **a.common()),
    "rank": lambda a: Rank(subject=a.id("subject"), among=a.ids("among"), **a.common()),
    "product": lambda a: Product(of=a.ids("of"), **a.common()),
    "sum": lambda a: Sum(of=a.ids("of"), **a.common()),
    "convert": lambda a: Convert(of=a.id("of"), to=a.unit("to"), per=a.amount("per"), over=a.amount("over"),
                                 **a.common()),
    "currency": lambda a: Currency(of=a.id("of"), rate=a.id("rate"), to=a.unit("to"), **a.common()),
    "pace": lambda a: Pace(of=a.id("of"), span=a.id("span"), per=a.time("per"), **a.common()),
}


def comparison_entry(spec: ComparisonSpec) -> dict[str, object]:
    """The ``comparisons:`` entry that reads back as ``spec`` (wherever it is written): id, kind, the
    arguments given, then ``if_unavailable`` and ``precision`` when not the defaults."""
    arguments = comparison_arguments(type(spec))
    given = {name: list(value) if isinstance(value, tuple) else value
             for name, value in asdict(spec).items() if name in arguments and value is not None}
    entry: dict[str, object] = {"id": spec.id, "kind": spec.kind, **given}
    if spec.if_unavailable != "error":
        entry["if_unavailable"] = spec.if_unavailable
    if spec.precision is not None:
        entry["precision"] = spec.precision
    return entry


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        return next((v for k, v in node.value if getattr(k, "value", None) == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def _got(value: object) -> str:
    """How a wrong value is described in a problem: ``missing``, ``got a list``, ``got int 480``."""
    if value is None:
        return "missing"
    if isinstance(value, str) and not value.strip():
        return "empty"
    if isinstance(value, (dict, list)):
        return f"got a {'mapping' if isinstance(value, dict) else 'list'}"
    return f"got {type(value).__name__} {quoted(value)}"


def _is_amount(text: str) -> bool:
    try:
        parse_amount(text)
    except ValueError:
        return False
    return True

