"""provenance: every number in both reference PDFs maps to a fact, a comparison, a claim or a formula operand.

The checker tokenizes number expressions (``2万5,000``, ``30億``, ``$3B``, ``4×``, ``42%``, ``1st``,
``2024年5月26日``, ``May 26, 2024``) in the PDF text and in every string the brief could legitimately
print from its data (numfmt forms of facts, comparisons, operands and claims, dates, and the data
texts it prints: labels, entities, printed quotes, source details, the editor's claim notes). A PDF
token outside that set is an orphan: a number typed into a template. Page footers, note markers, the
numbered source list and the edition date are excepted; product names with digits (H100, GPT-4,
Grok-1.5V) are masked, taken from the data texts, not hard-coded.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Iterable

import pytest
from conftest import DATA, REFERENCE_SPEC, TEMPLATES, pdf_text
from pypdf import PdfReader

from briefgen import pipeline
from briefgen.base import numfmt
from briefgen.base.model import Comparison, Edition, Lang, Precision, Quantity
from briefgen.compose import figures

TODAY = dt.date(2024, 7, 29)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_CORE = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: One number expression: an ISO date, a Japanese or English date, or a number with its magnitude
#: words (万/億, k/M/B/T), exponent, sign, currency prefix and kind suffix (%, ×, 倍, 位, ordinals).
TOKEN = re.compile(
    r"\d{4}-\d{2}(?:-\d{2})?"
    r"|\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?"
    rf"|(?:{_MONTHS})\s+(?:\d{{1,2}},\s+)?\d{{4}}"
    rf"|[+±−]?<?[$€]?{_CORE}(?:[万億兆京](?:{_CORE})?)*(?:E[−-]?\d+)?(?:[kMBT](?![A-Za-z]))?"
    r"(?:%|×|倍|位|st\b|nd\b|rd\b|th\b)?"
)
#: A product or model name with digits in it, as data texts write them: H100, GPT-4, Grok-1.5V.
NAME = re.compile(r"[A-Za-z]+(?:[-.]?\d+(?:\.\d+)?[A-Za-z]*)+")
MARKER = re.compile(r"\[\d+(?:,\s*\d+)*\]")


def tokens(text: str) -> list[str]:
    """The number expressions in ``text``, whitespace inside a date folded to one space."""
    return [re.sub(r"\s+", " ", m[0]) for m in TOKEN.finditer(text)]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- what the brief may print ---------------------------------------------------------------------


def _forms(q: Quantity, lang: Lang, kind: str | None = None, precision: Precision | None = None) -> list[str]:
    return [numfmt.quantity(q, lang, kind=kind, compact=c, precision=precision) for c in (True, False)]


def _comparison_forms(c: Comparison, lang: Lang) -> list[str]:
    operands = zip(c.operands, c.operand_precision)
    return [*_forms(c.value, lang, c.kind, c.precision), *(f for q, p in operands for f in _forms(q, lang, precision=p))]


def value_strings(prepared: pipeline.Prepared, lang: Lang) -> list[str]:
    """numfmt's forms of every fact (at its precision, and exact for the facts table), comparison,
    operand and claim (with its deviation and tolerance), and every date in the data."""
    out: list[str] = []
    for fact in prepared.facts.facts.values():
        out += [*_forms(fact.quantity, lang, precision=fact.precision), *_forms(fact.quantity, lang, precision="exact")] \
            if fact.quantity else []
        out += [numfmt.date(d, lang) for d in (fact.event, fact.as_of) if d is not None]
    for comparison in prepared.comparisons:
        out += _comparison_forms(comparison, lang)
    by_id = {c.id: c for c in prepared.comparisons}
    for check in prepared.checks:
        target = by_id.get(check.claim.target) or prepared.facts[check.claim.target]
        kind = target.kind if isinstance(target, Comparison) else None
        if check.claim.asserted is None:  # an order claim prints its two sides, facts or comparisons above
            continue
        out += [*_forms(check.claim.asserted, lang, kind, "exact"), figures.computed(check, target, lang),
                numfmt.plus_minus(check.claim.tolerance, lang), numfmt.plus_minus(check.claim.contradicted_beyond, lang)]
        out += [numfmt.deviation(check.deviation, lang)] if check.deviation is not None else []
        out += [numfmt.share_words(check.claim.asserted.mid, lang)] if kind == "share" else []
    out += [numfmt.date(s.date, lang) for s in prepared.facts.sources.values() if s.date]
    return out


def data_texts(prepared: pipeline.Prepared, lang: Lang) -> list[str]:
    """Text the brief prints as data: labels, entities, printed quotes, sources, titles, editor notes."""
    facts = prepared.facts.facts.values()
    conflicted = [f for c in prepared.conflicts for f in c.facts]
    sources = prepared.facts.sources.values()
    spec = prepared.spec
    return [*(f.label(lang) for f in facts), *(f.entity for f in facts), *(f.quote for f in conflicted),
            *(c.claim.quote for c in prepared.checks), *(c.claim.acknowledged for c in prepared.checks),
            *(text.own(lang) for c in prepared.checks for text in (c.claim.note, c.claim.gloss)),
            *(f.note.own(lang) for f in conflicted),
            *(t for s in sources for t in (s.publisher, s.title, s.url)), spec.title[lang],
            *(c.title[lang] for c in spec.charts)]


def names(texts: Iterable[str]) -> list[str]:
    """Names with digits in the data texts, longest first (so GPT-4 is masked before a shorter name)."""
    return sorted({n for t in texts for n in NAME.findall(t)}, key=len, reverse=True)


@dataclass(frozen=True)
class Checker:
    """The numbers a brief may print in one language, and the names whose digits are not numbers."""

    allowed: frozenset[str]
    names: tuple[str, ...]
    edition: frozenset[str]

    @classmethod
    def of(cls, prepared: pipeline.Prepared, lang: Lang, today: dt.date) -> "Checker":
        texts = data_texts(prepared, lang)
        found = names(texts)
        masked = [cls.mask_names(t, found) for t in (*texts, *value_strings(prepared, lang))]
        return cls(frozenset(tok for t in masked for tok in tokens(t)), tuple(found),
                   frozenset(tokens(numfmt.date(today, lang))))

    @staticmethod
    def mask_names(text: str, found: Iterable[str]) -> str:
        for name in found:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![0-9])", " ", text)
        return text

    def orphans(self, text: str, pages: int, notes: int) -> list[tuple[str, str]]:
        """(token, context) for each number in ``text`` the brief's data does not account for."""
        text = MARKER.sub(" ", text)
        text = re.sub(r"(?<!\S)(\d+) ?/ ?(\d+)(?!\S)",
                      lambda m: " " if int(m[2]) == pages and int(m[1]) <= pages else m[0], text)
        text = re.sub(r"(?m)^(\d+)\.(?=\s)", lambda m: " " if int(m[1]) <= notes else m[0], text)
        text = self.mask_names(text, self.names)
        return [(m[0], text[max(0, m.start() - 20):m.end() + 20].replace("\n", "⏎"))
                for m in TOKEN.finditer(text)
                if re.sub(r"\s+", " ", m[0]) not in self.allowed | self.edition]


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> Edition:
    return pipeline.build_edition("xai-colossus", lang="all", today=TODAY, out_dir=tmp_path_factory.mktemp("reports"),
                                  data_dir=DATA, templates_dir=TEMPLATES)


@pytest.fixture(scope="module")
def prepared() -> pipeline.Prepared:
    return pipeline.prepare(REFERENCE_SPEC)


def poppler_text(data: bytes, tmp: Path) -> str:
    path = tmp / "brief.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def extracted(edition: Edition, lang: Lang, extractor: str, tmp: Path) -> str:
    data = edition.languages[lang].pdf
    return pdf_text(data) if extractor == "pypdf" else poppler_text(data, tmp)


def orphans_in(edition: Edition, prepared: pipeline.Prepared, lang: Lang, text: str) -> list[tuple[str, str]]:
    rendered = edition.languages[lang]
    pages = len(PdfReader(BytesIO(rendered.pdf)).pages)
    return Checker.of(prepared, lang, TODAY).orphans(text, pages, len(rendered.brief.notes))


# --- no orphan numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("extractor", ["pypdf", "pdftotext"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_number_in_the_pdf_maps_to_the_data(edition: Edition, prepared: pipeline.Prepared,
                                                  lang: Lang, extractor: str, tmp_path: Path) -> None:
    text = extracted(edition, lang, extractor, tmp_path)
    assert len(tokens(text)) > 100  # the checker saw the brief's numbers, not an empty extraction
    assert orphans_in(edition, prepared, lang, text) == []


def test_names_come_from_the_data_not_a_list(prepared: pipeline.Prepared) -> None:
    found = names(data_texts(prepared, "ja"))
    assert {"H100", "GPT-4", "Grok-1.5V", "Grok-2"} <= set(found)
    assert Checker.mask_names("xAIのH100 GPU数", found) == "xAIの  GPU数"


def test_tokens_read_newsroom_forms() -> None:
    assert tokens("2万5,000台、30億〜40億ドル、1億1,900万ドル/月、42%、4倍、1位、2024年5月26日") == [
        "2万5,000", "30億", "40億", "1億1,900万", "42%", "4倍", "1位", "2024年5月26日"]
    assert tokens("$3B–4B, 4×, 1st, $30k, 1.3M gallons, May 26,\n2024, March 2024, −25%, <1%") == [
        "$3B", "4B", "4×", "1st", "$30k", "1.3M", "May 26, 2024", "March 2024", "−25%", "<1%"]


# --- the checker bites ----------------------------------------------------------------------------


def _typed(tmp_path: Path, lang: Lang, find: str, replace: str) -> Path:
    """A copy of the real templates with the one occurrence of ``find`` in ``lang`` replaced."""
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    path = copy / "xai-colossus" / f"{lang}.md"
    source = path.read_text(encoding="utf-8")
    assert source.count(find) == 1
    path.write_text(source.replace(find, replace), encoding="utf-8")
    return copy


@pytest.mark.parametrize(("lang", "find", "replace", "orphan"), [
    ("ja", "着工は", "年内には約12万台に増える見込みだ。着工は", "12万"),
    ("en", "Construction began", "That is about 3.5× the earlier plan. Construction began", "3.5×"),
    ("ja", "oracle_share: Oracle経由のGPUの比率", "oracle_share: Oracle経由のGPUの比率（上位7社）", "7"),
    ("en", "Part of the GPU", "The next site will use B200 chips. Part of the GPU", "200"),
])
def test_a_number_typed_into_a_template_is_an_orphan(prepared: pipeline.Prepared, tmp_path: Path,
                                                     lang: Lang, find: str, replace: str,
                                                     orphan: str) -> None:
    templates = _typed(tmp_path, lang, find, replace)
    edition = pipeline.build_edition("xai-colossus", lang=lang, today=TODAY, out_dir=tmp_path / "out",
                                     templates_dir=templates, data_dir=DATA)
    found = orphans_in(edition, prepared, lang, pdf_text(edition.languages[lang].pdf))
    assert [token for token, _ in found] == [orphan]


# --- what the reader must see ---------------------------------------------------------------------

KEY_TEXT: dict[Lang, tuple[str, ...]] = {
    "ja": ("4倍", "10万台", "42%", "30億〜40億ドル", "100,000台 ÷ 25,000台", "60億ドル ÷ 143億ドル",
           "「半分」→ 42%（▲誇張）", "「40億ドル」→ 30億〜40億ドル（✓正しい）", "上限値を採用",
           "食い違い：1,300億ドル vs 240億ドル → 240億ドルを採用", "初回の号のため"),
    "en": ("4×", "100,000 GPUs", "42%", "$3B–4B", "100,000 GPUs ÷ 25,000 GPUs", "$6B ÷ $14.3B",
           "“half” → 42%: ▲ overstated", "“$4B” → $3B–4B: ✓ holds", "article used the high end",
           "conflicting figures: $130B vs $24B → used $24B", "first edition"),
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_key_numbers_formulas_and_claim_checks_are_printed(edition: Edition, lang: Lang) -> None:
    text = squash(pdf_text(edition.languages[lang].pdf))
    missing = [k for k in KEY_TEXT[lang] if squash(k) not in text]
    assert missing == []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_formula_rows_carry_value_and_source(edition: Edition, lang: Lang) -> None:
    text = squash(pdf_text(edition.languages[lang].pdf))
    row = "4倍100,000台÷25,000台[1]" if lang == "ja" else "4×100,000GPUs÷25,000GPUs[1]"
    assert row in text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_sources_list_publisher_title_date_and_url(edition: Edition, prepared: pipeline.Prepared,
                                                   lang: Lang) -> None:
    text = squash(pdf_text(edition.languages[lang].pdf))
    no_url, no_date = ("URLなし", "日付不明") if lang == "ja" else ("no URL", "date unknown")
    for source in prepared.facts.sources.values():
        when = numfmt.date(source.date, lang) if source.date else no_date
        for part in (source.publisher, source.title, when, source.url or no_url):
            assert squash(part) in text, (source.id, part)
