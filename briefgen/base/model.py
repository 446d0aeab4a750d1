"""Plain frozen dataclasses passed between the pipeline stages: facts → comparisons → brief → PDF.

Nothing here reads files or the clock. Raw dicts and DataFrames never get past ``briefgen.load.facts``,
``briefgen.load.spec`` and ``briefgen.load.history``; every later stage works on these types.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import ClassVar, Literal, Mapping, NewType, Union, get_args

from briefgen.base.units import UnitTable

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = ("ja", "en")

#: How a figure is rounded before it is printed: significant digits (integer digits of a number below
#: 10,000 are always kept), or ``"exact"`` (as the source printed it). ``None`` where a precision may
#: be given means "the default": 3 significant digits, 2 for a ratio. See ``briefgen.base.numfmt``.
Precision = Union[int, Literal["exact"]]
#: The most significant digits a precision may ask for.
MOST_SIGNIFICANT = 15

#: Text that is already safe ReportLab paragraph markup (escaped exactly once, by ``compose``).
Markup = NewType("Markup", str)


@dataclass(frozen=True, slots=True)
class Localized:
    """Text an editor wrote for the readers of each edition (empty where not given)."""

    ja: str = ""
    en: str = ""

    def __bool__(self) -> bool:
        return bool(self.ja or self.en)

    def own(self, lang: Lang) -> str:
        """The text for ``lang``'s edition, or ""."""
        return self.ja if lang == "ja" else self.en

    def other(self, lang: Lang) -> str:
        """The text for the other edition, or ""."""
        return self.en if lang == "ja" else self.ja


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    """A date known to the year, the month or the day ("2023-07", "2024-04-13", "2024")."""

    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    def as_date(self) -> dt.date:
        """The first day the partial date can mean (for ordering and spans)."""
        return dt.date(self.year, self.month or 1, self.day or 1)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit: a point (``low == high``) or a closed range.

    ``unit`` is a unit expression understood by ``briefgen.base.units`` ("GPU", "USD", "USD/GPU", "MW",
    "gallon/day", "1" for a pure number, "percent").
    """

    low: Decimal
    high: Decimal
    unit: str

    @classmethod
    def point(cls, value: Decimal | int | str, unit: str) -> "Quantity":
        v = Decimal(value)
        return cls(v, v, unit)

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    @property
    def mid(self) -> Decimal:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class Source:
    """Where facts come from: one article, report or dataset."""

    id: str
    publisher: str
    title: str
    date: PartialDate | None
    url: str
    lang: str = ""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was read: file path and 1-based line (the header is line 1 of a CSV)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Fact:
    """One sourced statement: an amount (``quantity``) or an event date (``event``), never both."""

    id: str
    entity: str
    metric: str
    quantity: Quantity | None
    event: PartialDate | None
    as_of: PartialDate | None
    source: Source
    quote: str
    origin: Origin
    label_ja: str = ""
    label_en: str = ""
    #: Rounding in text, formulas and charts (the facts table always prints the exact value).
    precision: Precision = "exact"
    #: The editor's note on the quote for each edition (``note_ja``/``note_en``): printed after the
    #: quote, as its translation where the quote is in the other edition's language.
    note: Localized = Localized()

    def label(self, lang: Lang) -> str:
        """A short human label in ``lang``; without one, the other language's label, else a readable
        "entity metric" (``h100_gpus`` → ``h100 gpus``). ``lint.missing_labels`` warns about the fallback."""
        own, other = (self.label_ja, self.label_en) if lang == "ja" else (self.label_en, self.label_ja)
        return own or other or f"{self.entity} {self.metric.replace('_', ' ')}"


@dataclass(frozen=True)
class FactSet:
    """The validated facts and sources of one brief, keyed by id (insertion order kept)."""

    facts: Mapping[str, Fact]
    sources: Mapping[str, Source]
    origin: str = ""
    #: The units the facts were read with; every later stage reads them with the same (``None``:
    #: whatever table is in force, e.g. in tests that build facts by hand).
    units: UnitTable | None = None

    def __getitem__(self, fact_id: str) -> Fact:
        return self.facts[fact_id]

    def __contains__(self, fact_id: object) -> bool:
        return fact_id in self.facts

    def __len__(self) -> int:
        return len(self.facts)


ComparisonKind = Literal[
    "ratio", "share", "difference", "rank", "product", "sum", "convert", "currency", "pace"
]


@dataclass(frozen=True)
class Comparison:
    """A computed headline number with its provenance: what it was computed from, and how.

    ``operands`` are the quantities in formula order, ``operator`` joins them ("÷", "×", "−", "+",
    "→"), so a brief can print ``4倍 = 100,000台 ÷ 25,000台``. ``inputs`` are the facts used (including
    an exchange-rate fact). For ``rank``, ``ranking`` holds the compared facts largest first and
    ``value`` is the subject's 1-based position.

    An *unavailable* comparison (its spec says ``if_unavailable: na`` and its baseline is zero or a
    fact it names is missing) has ``value=None``, no operands or inputs, and ``unavailable`` holds the
    reason: there is no number a consumer could print by mistake.
    """

    id: str
    kind: ComparisonKind
    value: Quantity | None
    inputs: tuple[Fact, ...]
    operands: tuple[Quantity, ...]
    operator: str
    ranking: tuple[Fact, ...] = ()
    subject: str = ""
    spec_origin: str = ""
    unavailable: str = ""
    #: Rounding of ``value`` (from the spec; ``None``: the default), and of each operand (its fact's
    #: or comparison's; empty: the default).
    precision: Precision | None = None
    operand_precision: tuple[Precision | None, ...] = ()


# --- the brief spec -------------------------------------------------------------------------------

IfUnavailable = Literal["error", "na"]


@dataclass(frozen=True, kw_only=True)
class _Comparing:
    """What every comparison entry of the brief spec has besides its kind's arguments."""

    kind: ClassVar[ComparisonKind]
    id: str
    #: Where the entry was read (``brief.yaml:13``); "" for one built in code (a draft's).
    origin: str = ""
    #: ``na``: a zero baseline or a missing fact makes the comparison unavailable (printed n/a), not an error.
    if_unavailable: IfUnavailable = "error"
    #: Rounding of the result: the entry's ``precision``, else the brief's (``None``: the default).
    precision: Precision | None = None


@dataclass(frozen=True, kw_only=True)
class Ratio(_Comparing):
    """``of ÷ to``, two amounts of one dimension."""

    kind: ClassVar[Literal["ratio"]] = "ratio"
    of: str
    to: str

    @property
    def names(self) -> tuple[str, ...]:
        return self.of, self.to


@dataclass(frozen=True, kw_only=True)
class Share(_Comparing):
    """``part ÷ whole``, printed as a percentage (a part outside 0–100 % of its whole is warned about)."""

    kind: ClassVar[Literal["share"]] = "share"
    part: str
    whole: str

    @property
    def names(self) -> tuple[str, ...]:
        return self.part, self.whole


@dataclass(frozen=True, kw_only=True)
class Difference(_Comparing):
    """``of − minus``, in ``of``'s unit."""

    kind: ClassVar[Literal["difference"]] = "difference"
    of: str
    minus: str

    @property
    def names(self) -> tuple[str, ...]:
        return self.of, self.minus


@dataclass(frozen=True, kw_only=True)
class Rank(_Comparing):
    """The 1-based place of ``subject`` among the facts ``among`` (which include it), largest first."""

    kind: ClassVar[Literal["rank"]] = "rank"
    subject: str
    among: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.subject, *self.among


@dataclass(frozen=True, kw_only=True)
class Product(_Comparing):
    """``of[0] × of[1] × …``, the units multiplied too."""

    kind: ClassVar[Literal["product"]] = "product"
    of: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.of


@dataclass(frozen=True, kw_only=True)
class Sum(_Comparing):
    """``of[0] + of[1] + …``, amounts of one dimension, in the first one's unit."""

    kind: ClassVar[Literal["sum"]] = "sum"
    of: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.of


@dataclass(frozen=True, kw_only=True)
class Convert(_Comparing):
    """``of`` expressed in the unit ``to``, first divided by ``per`` or multiplied by ``over`` (at most
    one of them: an id, or a literal amount such as ``"1 year"``)."""

    kind: ClassVar[Literal["convert"]] = "convert"
    of: str
    to: str
    per: str | None = None
    over: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.of, *(name for name in (self.per, self.over) if name is not None)


@dataclass(frozen=True, kw_only=True)
class Currency(_Comparing):
    """``of × rate`` in the currency ``to`` (``rate``: an exchange-rate fact in ``to``/``of``'s unit)."""

    kind: ClassVar[Literal["currency"]] = "currency"
    of: str
    rate: str
    to: str

    @property
    def names(self) -> tuple[str, ...]:
        return self.of, self.rate


@dataclass(frozen=True, kw_only=True)
class Pace(_Comparing):
    """``of ÷ span`` per time unit ``per`` (``span``: a duration)."""

    kind: ClassVar[Literal["pace"]] = "pace"
    of: str
    span: str
    per: str

    @property
    def names(self) -> tuple[str, ...]:
        return self.of, self.span


#: One comparison as declared in the brief spec (validated, not yet computed): a type per kind, each
#: with the arguments its kind takes; ``names`` are the ids (or literal amounts) it is computed from.
ComparisonSpec = Union[Ratio, Share, Difference, Rank, Product, Sum, Convert, Currency, Pace]
#: Each kind's spec type, in the order the kinds are listed to editors.
COMPARISON_TYPES: tuple[type[ComparisonSpec], ...] = get_args(ComparisonSpec)


def comparison_arguments(spec_type: type[ComparisonSpec]) -> tuple[str, ...]:
    """The keys a kind takes besides id, kind, if_unavailable and precision, in order (required first)."""
    common = {f.name for f in fields(_Comparing)}
    return tuple(f.name for f in fields(spec_type) if f.name not in common)


ClaimKind = Literal["value", "less_than", "greater_than"]
#: A claim whose figure is off by more than this (relative to the computed value) is contradicted.
CONTRADICTED_BEYOND = Decimal("0.25")


@dataclass(frozen=True)
class ClaimSpec:
    """An assertion quoted from the source article: a figure for a fact or comparison (``kind``
    ``value``: ``target``, ``asserted``, ``tolerance``), or an order between two of them (``less_than``
    / ``greater_than``: ``target`` is *of*, ``than`` the other; ``asserted`` is ``None``)."""

    id: str
    quote: str
    target: str
    asserted: Quantity | None
    tolerance: Decimal
    origin: str
    direction: Literal["about", "at_least", "at_most"] = "about"
    #: An editor's note that a contradicted claim was reviewed; it then no longer blocks a send.
    acknowledged: str = ""
    kind: ClaimKind = "value"
    than: str = ""
    #: Off by more than this (relative) → contradicted; between ``tolerance`` and this → over/understated.
    contradicted_beyond: Decimal = CONTRADICTED_BEYOND
    #: ``acknowledged`` written per edition ({ja: …, en: …}): what the Note column prints.
    note: Localized = Localized()
    #: The quote's translation for the edition whose language it is not in.
    gloss: Localized = Localized()


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)


@dataclass(frozen=True)
class Slot:
    """A weekly delivery slot: weekday, local time and IANA time zone."""

    weekday: Weekday
    at: dt.time
    tz: str


def known_zone(name: str) -> bool:
    """True when ``name`` is an IANA time zone this machine knows (``Asia/Tokyo``)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart over facts or comparisons (ids), with a title per language."""

    id: str
    title: Mapping[str, str]
    items: tuple[str, ...]
    unit: str


@dataclass(frozen=True)
class BriefSpec:
    """What one brief is made of: its facts, comparisons, claims, charts, template and schedule."""

    id: str
    title: Mapping[str, str]
    languages: tuple[Lang, ...]
    template: str
    facts_path: str
    sources_path: str
    comparisons: tuple[ComparisonSpec, ...]
    key_numbers: tuple[str, ...]
    charts: tuple[ChartSpec, ...]
    claims: tuple[ClaimSpec, ...] = ()
    schedule: Slot | None = None
    block_on_contradicted: bool = True
    author: str = "briefgen"
    origin: str = ""
    #: An edition this many days after the newest fact's as_of is warned about as stale.
    stale_after_days: int = 90
    #: The built-in units extended by the data folder's units.yaml and the spec's ``units:``.
    units: UnitTable | None = None
    #: ``draft: true``: made by ``run.py draft`` and not reviewed yet. Its facts may hold the
    #: placeholder ``?``, its PDF is marked DRAFT with a "to review" list, and it is never sent.
    draft: bool = False
    #: What an editor must still look at (``review:``, only in a draft), one line each.
    review: tuple[str, ...] = ()


# --- claim checks ---------------------------------------------------------------------------------

#: ``unverifiable``: the claim's target is an unavailable comparison (not a verdict on the claim).
Verdict = Literal["holds", "overstated", "understated", "contradicted", "unverifiable"]
#: Where the asserted figure sits against a computed range ("" when the computed value is a point).
Position = Literal["", "upper", "lower", "within", "above", "below"]


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim: what the article says against what the facts compute."""

    claim: ClaimSpec
    computed: Quantity | None  # None exactly when the verdict is "unverifiable"
    verdict: Verdict
    note: str = ""
    position: Position = ""
    #: How far the asserted figure is from the nearer computed end, relative to it (+0.19 = 19 % above);
    #: ``None`` when it lies within the computed range, for order claims and unverifiable ones.
    deviation: Decimal | None = None
    #: An order claim's other side (``than``), in ``computed``'s unit.
    other: Quantity | None = None


@dataclass(frozen=True)
class Conflict:
    """Facts about the same entity and metric at the same date that disagree; ``used`` is kept."""

    entity: str
    metric: str
    facts: tuple[Fact, ...]
    used: Fact


# --- the composed brief (input of render) ---------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: Markup
    level: int = 1


@dataclass(frozen=True)
class Para:
    text: Markup


@dataclass(frozen=True)
class Bullets:
    items: tuple[Markup, ...]


@dataclass(frozen=True)
class KeyNumber:
    figure: Markup
    label: Markup


@dataclass(frozen=True)
class KeyNumbers:
    items: tuple[KeyNumber, ...]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: plain-text labels (render escapes nothing here: it draws strings)."""

    title: str
    bars: tuple[Bar, ...]
    caption: str = ""


@dataclass(frozen=True)
class Point:
    """One edition on a line chart: its label, its value (``None``: the edition has none) as drawn and
    as printed."""

    label: str
    value: float | None
    display: str = ""


@dataclass(frozen=True)
class LineChart:
    """A line over editions, one point per edition in order (a gap where one has no value); plain
    text like ``Chart``."""

    title: str
    points: tuple[Point, ...]
    caption: str = ""


#: How a table cell is emphasised: render gives each tone a colour (alert red, caution amber, ok
#: green); the cell's text carries a mark of its own (✗ ▲ ▼ ✓), so colour is never the only sign.
Tone = Literal["", "alert", "caution", "ok"]


@dataclass(frozen=True)
class Table:
    """A table of plain text cells; render escapes each cell where it enters markup. ``tones``: none,
    or one per cell of each row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    caption: str = ""
    tones: tuple[tuple[Tone, ...], ...] = ()


Block = Union[Heading, Para, Bullets, KeyNumbers, Chart, LineChart, Table]


@dataclass(frozen=True)
class SourceNote:
    """A numbered source note printed at the end of the brief."""

    number: int
    text: str


@dataclass(frozen=True)
class KeyFigure:
    """One key number as the email shows it: the figure and the caption of the PDF's key-number panel."""

    figure: str
    caption: str


@dataclass(frozen=True)
class ClaimWarning:
    """A claim the facts contradict, or that over- or understates them, worded in the edition's language."""

    verdict: Verdict
    quote: str      # the article's words: 「…」 / “…”
    finding: str    # what they assert against what the facts compute, and the verdict
    note: str = ""  # how far off, the tolerance, conflicts behind it, an editor's acknowledgement


@dataclass(frozen=True)
class Digest:
    """What the email says of one language of an edition, as plain text (each mail part escapes it
    once): the lede's headline, the key numbers with the PDF's captions, and the claim warnings."""

    headline: str = ""
    key_numbers: tuple[KeyFigure, ...] = ()
    warnings: tuple[ClaimWarning, ...] = ()


@dataclass(frozen=True)
class Brief:
    """A composed brief in one language, ready to render."""

    brief_id: str
    title: str
    lang: Lang
    date: dt.date
    blocks: tuple[Block, ...]
    notes: tuple[SourceNote, ...] = ()
    subject: str = ""
    author: str = "briefgen"
    digest: Digest = Digest()
    draft: bool = False                     # marked DRAFT on every page and in the PDF's title


# --- an edition: what delivery sends ---------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """One language of an edition: the composed brief, its PDF bytes and where they were written."""

    brief: Brief
    pdf: bytes
    path: str


@dataclass(frozen=True)
class Edition:
    """One edition of a brief: its id, edition date (``YYYY-MM-DD``, one per ISO week when scheduled)
    and the rendered languages."""

    brief_id: str
    edition: str
    title: Mapping[str, str]
    languages: Mapping[str, Rendered]


ChangeKind = Literal["new", "changed", "removed"]


@dataclass(frozen=True)
class Change:
    """One fact that differs from the previous edition: ``old`` → ``new`` (amounts) or event dates."""

    fact_id: str
    label_ja: str
    label_en: str
    kind: ChangeKind
    old: Quantity | None
    new: Quantity | None
    old_event: PartialDate | None = None
    new_event: PartialDate | None = None


@dataclass(frozen=True)
class FactHistory:
    """One fact across editions: its labels (the latest edition's) and, per edition oldest first, the
    edition's date and the fact's amount then (``None``: the edition did not have the fact)."""

    fact_id: str
    label: Localized
    values: tuple[tuple[dt.date, Quantity | None], ...]


@dataclass(frozen=True)
class History:
    """A brief's facts across its editions, oldest first, this edition last (``briefgen.load.history``)."""

    editions: tuple[dt.date, ...]
    facts: Mapping[str, FactHistory]
