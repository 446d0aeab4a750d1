"""Candidate number expressions → proposed facts (merged, named, dated) and rows in the facts.csv layout.

What ``propose`` does, so an editor can predict it:

- **One fact per amount.** The same value, unit, entity and metric mentioned twice is one fact
  (the later mentions are listed for review, in case they are different facts after all).
- **Named from the sentence.** The metric from words near the number (売上高, revenue, 評価額 …),
  the entity from a name before it (a Latin name such as ``xAI``, a Japanese subject ``北辰電機は``,
  ``同社``/``Its`` for the last one named; in a headline, a name after it). Unsure → the placeholder ``?`` (a brief that keeps one
  must say ``draft: true``). Ids are made of the entity and metric (``xai_valuation``), else the unit.
- **Dated.** A date in the same sentence becomes the amount's ``as_of`` (a period's last month);
  a date alone in its sentence is an event. A date written without its year takes the article's
  year (``today``), else the last year written before it; with neither, it is left for review.
- **Qualifier kept.** 約, 以上, up to … stay in the quote (the whole sentence) and in the labels.
- Vague amounts (数千万ドル) have no value: they are listed for review, not proposed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from briefgen.base import words
from briefgen.base.errors import OutputError, Problem
from briefgen.base.parse import PLACEHOLDER
from briefgen.extract.numberwords import Kind, Qualifier
from briefgen.load.tables import neutralised

CSV_COLUMNS = ("id", "entity", "metric", "value", "low", "high", "unit", "as_of", "source", "quote",
               "label_ja", "label_en")
DEFAULT_SOURCE = "article"


@dataclass(frozen=True)
class Candidate:
    """One number expression found in an article.

    A point has ``value``; a range has ``low`` and ``high`` (``value`` None); a date or a vague
    amount has neither (``date`` / ``vague``). ``unit`` is a ``briefgen.base.units`` expression, ``"1"``
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
class Proposal:
    """A fact proposed from the article: its first mention, what names it, and its date."""

    id: str
    entity: str
    metric: str
    mention: Candidate
    as_of: str = ""                         # partial ISO date, or ""
    event: str = ""                         # the date of an event fact (unit ``date``)
    labels: tuple[str, str] = ("", "")      # (ja, en)
    merged: tuple[Candidate, ...] = ()      # later mentions of the same fact


@dataclass(frozen=True)
class Proposals:
    facts: tuple[Proposal, ...]
    notes: tuple[words.Phrase, ...]         # what an editor must look at, one line each ...
    unclear: tuple[words.Phrase, ...] = ()  # ... and every entity or metric left a placeholder

    @property
    def review(self) -> tuple[words.Phrase, ...]:
        return self.notes + self.unclear


def squash(text: str) -> str:
    """Every run of whitespace → one space (how sentences and quotes are shown and compared)."""
    return " ".join(text.split())


def plain(number: Decimal | None) -> str:
    """A number as facts.csv writes it: ``1300000``, ``-3.7``, ``0.3333``."""
    return "" if number is None else f"{number.normalize():f}"


# --- metric and entity words ------------------------------------------------------------------------

#: (pattern, id word, Japanese metric, English metric): the first listed wins a tie in distance.
METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("純利益|net (?:profit|income)", "net_profit", "純利益", "net profit"),
    ("営業利益|営業損益|operating (?:profit|income)", "operating_profit", "営業利益", "operating profit"),
    ("売上高|売上|revenue", "revenue", "売上高", "revenue"),
    ("評価額|時価総額|valuation|market value", "valuation", "評価額", "valuation"),
    ("資金調達|調達|raised|funding|round", "funding", "資金調達額", "funding"),
    ("投資額|投資|invest", "investment", "投資額", "investment"),
    ("補助金|予算|subsid|budget", "budget", "予算", "budget"),
    ("販売台数|販売|出荷|sold|sales|shipments|shipped", "sales", "販売", "sales"),
    ("株価|share price|shares", "share_price", "株価", "share price"),
    ("シェア|割合|比率|market share", "share", "シェア", "share"),
    ("価格|料金|単価|price|costs?", "price", "価格", "price"),
    ("電力|受電容量|容量|power|capacity", "power", "電力", "power"),
    ("水|water", "water", "水", "water"),
    ("従業員|社員|エンジニア|人員|採用|employ|engineers|workers|staff|headcount", "staff", "人員", "staff"),
    ("GPU|チップ|chips?", "gpus", "GPU", "GPUs"),
    ("来場者|訪日客|visitors|arrivals", "visitors", "来場者数", "visitors"),
    ("契約|回線|subscribers|lines", "subscribers", "契約数", "subscribers"),
    ("GDP|成長|growth|shrank", "growth", "成長率", "growth"),
    ("物価|消費者物価|inflation|consumer prices", "prices", "物価", "prices"),
    ("賃金|給|wages|pay", "wages", "賃金", "wages"),
    ("利回り|yield", "yield", "利回り", "yield"),
    ("気温|temperature|warmer", "temperature", "気温", "temperature"),
    ("出生|births", "births", "出生数", "births"),
    ("設立|創業|founded", "founded", "設立", "founded"),
    ("発売|リリース|公開|発表|released|launch|unveil", "release", "公開", "release"),
    ("着工|稼働|開業|opened|began|start", "start", "開始", "start"),
    ("完成|完了|completed|finish", "completion", "完成", "completion"),
)
_METRIC = re.compile("|".join(f"(?P<m{i}>{p})" for i, (p, *_) in enumerate(METRICS)), re.IGNORECASE)

#: A Latin name starts with a word holding a capital (Tesla, xAI): "in July" is not one, "July" may be.
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9&'.-])[a-z]*[A-Z][A-Za-z0-9&'.-]*(?:\s(?:of\s)?[A-Z][A-Za-z0-9&'.-]*)*")
_JA_SUBJECT = re.compile(r"(?<![一-龥々ァ-ヴー])(?P<s>[一-龥々ァ-ヴー・&]{2,12}?)(?P<title>氏)?(?:は|が)")
#: A Japanese subject is a name when a person (マスク氏), an organisation (…電機, …省) or a katakana word.
_JA_ORGANISATION = re.compile(r"(?:社|電機|銀行|自動車|工業|製作所|商事|物産|電力|ホールディングス|グループ|省|庁|府|"
                              r"都|県|市|大学|協会|機構|データ|証券|不動産|研究所|委員会|連合)$")
#: What a unit already says the amount is (a keyword near the number does not override it).
UNIT_METRICS = {"GPU": ("gpus", "GPU数", "GPUs"), "server": ("servers", "サーバー数", "servers"),
                "MW": ("power", "電力", "power"), "GW": ("power", "電力", "power"),
                "kW": ("power", "電力", "power"), "gallon/day": ("water", "水", "water"),
                "m**3/day": ("water", "水", "water"), "household": ("households", "世帯数", "households"),
                "position": ("positions", "募集職種数", "positions"),
                **{t: ("span", "期間", "span") for t in ("year", "month", "week", "day", "hour")}}
_SENTENCE_END = re.compile(r"[。．.!?！？」]$")
_TIME_UNITS = frozenset({"year", "month", "week", "day", "hour"})
_EVENT_METRICS = frozenset({"founded", "release", "start", "completion"})
_SAME = re.compile(r"^(?:同社|同行|同省|同国|同グループ|(?:Its?|The company|The group|The firm)\b)")
_NOT_NAMES = frozenset(
    "The A An In On At By For From With This That These Those But And It Its Their Our We They He "
    "She His Her As After Before Since Until While When If Shares Average Consumer Oil Retailers "
    "Analysts Work Work Visitor Visitors Cherry Prices Sales Revenue Profit Economists Expo World "
    "GPU GPUs MW GW kW GDP EV CEO AI USD JPY CNY EUR No Q H Nikkei Treasury U.S. U.S US Japan's "
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split())


def metric_of(before: str, after: str, unit: str) -> tuple[str, str, str] | None:
    """(id word, ja, en) of what the number measures: what its unit says (GPU, MW), else the
    keyword nearest before it (up to 25 characters), else just after it (up to 20); events take
    only event words (設立, released …)."""
    if unit in UNIT_METRICS:
        return UNIT_METRICS[unit]
    found = [_metric(m) for m in _METRIC.finditer(before[-25:])][::-1]
    later = _METRIC.search(after if unit == "date" else after[:20])
    found += [_metric(later)] if later else []
    fitting = [m for m in found if (m[0] in _EVENT_METRICS) == (unit == "date")]
    return fitting[0] if fitting else None


def _metric(m: re.Match[str]) -> tuple[str, str, str]:
    index = int(next(name for name, text in m.groupdict().items() if text)[1:])
    _, word, ja, en = METRICS[index]
    return word, ja, en


def entity_of(before: str, lang: str) -> str:
    """The name nearest before the number in its sentence (a Latin name such as xAI or Northfield
    Motors; in Japanese also a subject, 北辰電機は), or ``""`` when none is clear."""
    names = [(n.end(), n.group(0).rstrip(".'")) for n in _LATIN_NAME.finditer(before)]
    names = [(end, n) for end, n in names if _a_name(n)]
    if lang == "ja":
        names += [(s.end("s"), s.group("s")) for s in _JA_SUBJECT.finditer(before) if _ja_name(s)]
    return max(names)[1] if names else ""


def _ja_name(m: re.Match[str]) -> bool:
    subject = m.group("s")
    if _METRIC.search(subject) or subject.startswith("同"):
        return subject in ("同社", "同行", "同省", "同国")
    return bool(m.group("title") or _JA_ORGANISATION.search(subject)
                or re.fullmatch(r"[ァ-ヴー・]{3,}", subject))


def _a_name(text: str) -> bool:
    tokens = text.split()
    if re.fullmatch(r"[A-Z]\d+s?|\d.*", text) or all(w in _NOT_NAMES for w in tokens):
        return False
    return text[0].isupper() or any(ch.isupper() for ch in text[1:])  # xAI, OpenAI


def slug(text: str) -> str:
    """``"Northfield Motors"`` → ``northfield_motors``; non-Latin text → ``""``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") if text.isascii() else ""


# --- dates ----------------------------------------------------------------------------------------

_ISO_END = re.compile(r"(\d{4}|-)(?:-(\d\d))?(?:-(\d\d))?")


def full_date(iso: str, years: tuple[int | None, int | None], today: dt.date | None,
              end: bool = True) -> str:
    """A candidate's date as a fact date: a span's end (or start), the year filled in; ``""`` if none.

    ``--05-26`` takes the last year written before it in its sentence, else ``today``'s year (the
    article's date), else the last year written before it anywhere (``years``: those two)."""
    part = iso.split("/")[-1 if end else 0]
    m = _ISO_END.fullmatch(part)
    if m is None:
        return ""
    written, month, day = m.groups()
    if written != "-":
        return part
    year = years[0] or (today.year if today is not None else years[1])
    if year is None:
        return ""
    return "-".join(p for p in (str(year), month, day) if p)


# --- proposing facts ------------------------------------------------------------------------------

def propose(cands: Sequence[Candidate], lang: str, today: dt.date | None = None) -> Proposals:
    """The facts an article's candidates suggest, and what an editor must review (module docstring)."""
    review: list[words.Phrase] = []
    dates = [c for c in cands if c.kind == "date"]
    amounts = [c for c in cands if c.kind != "date" and not c.vague]
    review += [words.phrase("review.vague", line=c.line, expression=c.expression) for c in cands if c.vague]
    years = _years_before(cands)
    as_of, dated = _fold_dates(amounts, dates)
    named = _Namer(lang)
    proposals: list[Proposal] = []
    for c in cands:
        if c.vague or (c.kind == "date" and c.char_offset in dated):
            continue
        entity, metric, labels = named(c)
        if c.kind == "date":
            event = full_date(c.date, years[c.char_offset], today, end=False)
            if not event:
                review.append(words.phrase("review.no_year", line=c.line, expression=c.expression))
                continue
            proposals.append(Proposal("", entity, metric or PLACEHOLDER, c, event=event, labels=labels))
            continue
        date = as_of.get(c.char_offset)
        stamp = full_date(date.date, years[date.char_offset], today) if date else ""
        proposals.append(Proposal("", entity, metric or PLACEHOLDER, c, as_of=stamp,
                                  labels=_qualified(labels, c.qualifier)))
    merged, notes = _merge(proposals)
    review += notes
    facts = _with_ids(merged)
    unclear = tuple(words.phrase("review.unclear", fact=p.id, line=p.mention.line, field=field)
                    for p in facts for field, value in (("entity", p.entity), ("metric", p.metric))
                    if value == PLACEHOLDER)
    return Proposals(facts, tuple(review), unclear)


def _years_before(cands: Sequence[Candidate]) -> dict[int, tuple[int | None, int | None]]:
    """For each candidate, the last year written before it in its sentence, and anywhere before it."""
    years: dict[int, tuple[int | None, int | None]] = {}
    last: tuple[str, int | None] = ("", None)
    anywhere: int | None = None
    for c in cands:
        years[c.char_offset] = (last[1] if last[0] == c.sentence else None, anywhere)
        written = re.findall(r"\d{4}", c.date)
        if written:
            last, anywhere = (c.sentence, int(written[-1])), int(written[-1])
    return years


def _fold_dates(amounts: Sequence[Candidate],
                dates: Sequence[Candidate]) -> tuple[dict[int, Candidate], set[int]]:
    """Each amount's nearest date in the same sentence (an earlier one first); the dates so used."""
    chosen: dict[int, Candidate] = {}
    for a in amounts:
        if a.unit in _TIME_UNITS:
            continue  # a duration (わずか4ヶ月) is not "as of" the dates around it
        same = [d for d in dates if d.line == a.line and d.sentence == a.sentence]
        earlier = [d for d in same if d.char_offset < a.char_offset]
        pick = earlier[-1] if earlier else (same[0] if same else None)
        if pick is not None:
            chosen[a.char_offset] = pick
    return chosen, {d.char_offset for d in chosen.values()}


class _Namer:
    """Entity and metric for each candidate, carrying the last entity for 同社 / Its."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.last = ""

    def __call__(self, c: Candidate) -> tuple[str, str, tuple[str, str]]:
        at = c.sentence.find(squash(c.expression))
        before, after = c.sentence[:max(at, 0)], c.sentence[max(at, 0) + len(c.expression):]
        late = c.kind == "date" or not _SENTENCE_END.search(c.sentence)  # a headline names it last
        entity = entity_of(before, self.lang) or (entity_of(after, self.lang) if late else "")
        if _SAME.match(entity or before.lstrip()) and self.last:
            entity = self.last
        self.last = entity or self.last
        metric = metric_of(before, after, c.unit)
        if metric is None:
            return entity or PLACEHOLDER, "", ("", "")
        _, ja, en = metric
        return entity or PLACEHOLDER, ja if self.lang == "ja" else en, (ja, en)


def _qualified(labels: tuple[str, str], qualifier: Qualifier) -> tuple[str, str]:
    """``("売上高", "revenue")`` with 約 → ``("売上高（約）", "revenue (about)")``."""
    if not qualifier or not labels[0]:
        return labels
    said = words.phrase(f"qualifier.{qualifier}")
    return (words.text("draft.qualified", "ja", label=labels[0], qualifier=said),
            words.text("draft.qualified", "en", label=labels[1], qualifier=said))


def _key(p: Proposal) -> tuple[object, ...]:
    c = p.mention
    return (p.entity, p.metric, c.unit, c.value, c.low, c.high, p.event)


def _merge(proposals: Sequence[Proposal]) -> tuple[list[Proposal], list[words.Phrase]]:
    """Proposals with the same amount, unit, entity and metric → one, keeping the first mention."""
    first: dict[tuple[object, ...], int] = {}
    kept: list[Proposal] = []
    notes: list[words.Phrase] = []
    for p in proposals:
        key = _key(p)
        same = [i for k, i in first.items() if k[1:] == key[1:] and PLACEHOLDER in (k[0], key[0])]
        if key in first or same:
            i = first.get(key, same[0] if same else 0)
            entity = p.entity if kept[i].entity == PLACEHOLDER else kept[i].entity
            kept[i] = replace(kept[i], entity=entity, merged=(*kept[i].merged, p.mention))
            notes.append(words.phrase("review.merged", line=p.mention.line, expression=p.mention.expression,
                                      first=kept[i].mention.line))
            continue
        first[key] = len(kept)
        kept.append(p)
    return kept, notes


def _with_ids(proposals: Sequence[Proposal]) -> tuple[Proposal, ...]:
    """Ids from entity and metric (``xai_valuation``), else the unit (``jpy``); repeats get _2, _3."""
    seen: dict[str, int] = {}
    named = []
    for p in proposals:
        base = fact_id(p)
        seen[base] = seen.get(base, 0) + 1
        named.append(replace(p, id=base if seen[base] == 1 else f"{base}_{seen[base]}"))
    return tuple(named)


def fact_id(p: Proposal) -> str:
    parts = [slug(p.entity) if p.entity != PLACEHOLDER else "",
             slug(p.labels[1].split(" (")[0]) if p.labels[1] else ""]
    if not parts[1]:
        unit = {"1": "count", "percent": "percent"}.get(p.mention.unit, p.mention.unit)
        parts[1] = "date" if p.event else slug(unit.replace("/", "_per_").replace("**3", "3"))
    return "_".join(w for w in parts if w) or "n"


# --- the facts.csv table --------------------------------------------------------------------------

def rows(proposals: Iterable[Proposal], source: str = DEFAULT_SOURCE) -> list[dict[str, str]]:
    """Rows in the ``facts.csv`` layout, ready to load (quote = the whole sentence)."""
    table = []
    for p in proposals:
        c = p.mention
        table.append({
            "id": p.id, "entity": p.entity, "metric": p.metric,
            "value": p.event if p.event else plain(c.value), "low": plain(c.low), "high": plain(c.high),
            "unit": "date" if p.event else c.unit, "as_of": p.as_of, "source": source,
            "quote": c.sentence, "label_ja": p.labels[0], "label_en": p.labels[1],
        })
    return table


def candidates_rows(cands: Sequence[Candidate], lang: str, source: str = DEFAULT_SOURCE,
                    today: dt.date | None = None) -> list[dict[str, str]]:
    """The proposed facts of ``cands`` as ``facts.csv`` rows (``propose`` then ``rows``)."""
    return rows(propose(cands, lang, today).facts, source)


def csv_text(table: Sequence[dict[str, str]], columns: Sequence[str] = CSV_COLUMNS) -> str:
    """The rows as CSV, cells that would start a spreadsheet formula neutralised (``tables.neutralised``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({name: neutralised(cell) for name, cell in row.items()} for row in table)
    return buffer.getvalue()


def write_candidates_csv(cands: Sequence[Candidate], path: Path, lang: str,
                         source: str = DEFAULT_SOURCE, today: dt.date | None = None) -> Path:
    """Write the proposed facts as UTF-8 CSV (edge); raise ``OutputError`` when it cannot."""
    try:
        path.write_text(csv_text(candidates_rows(cands, lang, source, today)), encoding="utf-8")
    except OSError as exc:
        raise OutputError(Problem(str(path), f"cannot write the candidates table: {exc.strerror}",
                                  expected="a writable file in an existing folder")) from exc
    return path
