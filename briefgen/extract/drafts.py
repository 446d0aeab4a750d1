"""Article text + its source → a draft brief: facts.csv, sources.csv, brief.yaml and a template (``run.py draft``).

``draft`` is pure: ``extract`` finds the numbers, ``candidates.propose`` merges, names and dates them
(its notes are the to-review list), ``statements.arithmetic`` turns the article's comparative words
into comparisons and claims. On top of that, an amount with no date of its own takes the date of the
same entity's same metric (a headline's figure and the body's, so ``checks`` can see they disagree).
The spec says ``draft: true`` (placeholders allowed, never sent) and lists what to review under
``review:``. ``write_draft`` is the edge: it writes the four files, refusing to replace a brief
unless told to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import yaml

from briefgen.base import headertext, output, units, words
from briefgen.base.errors import FactsError, OutputError, Problem, SpecError
from briefgen.base.model import Lang
from briefgen.base.parse import PLACEHOLDER
from briefgen.extract import candidates, extract
from briefgen.extract.candidates import Proposal
from briefgen.extract.statements import Arithmetic, arithmetic, comparable, is_statement
from briefgen.load import spec
from briefgen.load.facts import SOURCE_COLUMNS

SOURCE_ID = "article"
KEY_FACTS, KEY_COMPARISONS = 4, 2


@dataclass(frozen=True)
class ArticleSource:
    """Where the article comes from: one row of sources.csv."""

    publisher: str
    title: str
    date: dt.date | None = None
    url: str = ""


@dataclass(frozen=True)
class Draft:
    """A drafted brief in memory: the text of each file, and what to review."""

    brief_id: str
    lang: Lang
    facts_csv: str
    sources_csv: str
    spec_yaml: str
    template: str
    facts: int
    comparisons: int
    claims: int
    review: tuple[str, ...]


def draft(text: str, brief_id: str, source: ArticleSource, lang: Lang | None = None,
          known: units.UnitTable = units.BUILTIN, article: str = "the article") -> Draft:
    """The draft brief ``brief_id`` for ``text`` in ``lang`` (default: the article's language)."""
    if not spec.SLUG.fullmatch(brief_id):
        raise SpecError(Problem("--id", f"bad brief id {brief_id!r}", expected=spec.SLUG_FORM))
    refused = headertext.refusal(source.title) or ("" if source.title.strip() else "empty")
    if refused:
        raise SpecError(Problem("--title", f"{refused} in the title", expected=headertext.EXPECTED))
    written_in = extract.detect_lang(text)
    lang = lang or written_in
    found = extract.extract(text, written_in)
    proposed = candidates.propose([c for c in found if not is_statement(c, text)], written_in, source.date)
    facts, dated = _shared_dates(proposed.facts)
    drafted = arithmetic(facts, [c for c in found if is_statement(c, text)], text, SOURCE_ID)
    rows = [*candidates.rows(facts, SOURCE_ID), *drafted.rates]
    if not rows:
        raise FactsError(Problem(article, "no amount or date found; nothing was written",
                                 expected="an article with numbers (10万台, $6 billion, 2023年7月)"))
    review = tuple(note.text(lang) for note in (
        *(() if source.date else (words.phrase("review.no_source_date"),)), *proposed.notes, *dated, *drafted.review))
    spec_text = words.text("draft.spec_head", lang, article=article, brief=brief_id) + _spec_yaml({
        "id": brief_id, "title": {lang: source.title}, "languages": [lang], "template": brief_id,
        "facts": "facts.csv", "sources": "sources.csv", "draft": True, "review": list(review),
        **_units(rows, known), "key_numbers": _key_numbers(facts, drafted),
        "comparisons": [spec.comparison_entry(c) for c in drafted.comparisons], "claims": list(drafted.claims)})
    sources = [{"id": SOURCE_ID, "publisher": source.publisher, "title": source.title,
                "date": source.date.isoformat() if source.date else "", "url": source.url, "lang": written_in}]
    return Draft(brief_id, lang, candidates.csv_text(rows), candidates.csv_text(sources, SOURCE_COLUMNS),
                 spec_text, _template(lang), len(rows), len(drafted.comparisons), len(drafted.claims), review)


def _shared_dates(facts: Sequence[Proposal]) -> tuple[tuple[Proposal, ...], tuple[words.Phrase, ...]]:
    """An undated amount takes the as_of of a dated fact with its entity, metric and unit."""
    dated = {(p.entity, p.metric, p.mention.unit): p for p in facts if p.as_of and not p.event}
    out: list[Proposal] = []
    notes: list[words.Phrase] = []
    for p in facts:
        twin = dated.get((p.entity, p.metric, p.mention.unit))
        if twin is None or p.as_of or p.event or PLACEHOLDER in (p.entity, p.metric):
            out.append(p)
            continue
        out.append(replace(p, as_of=twin.as_of))
        notes.append(words.phrase("review.shared_date", fact=p.id, line=p.mention.line, as_of=twin.as_of,
                                  twin=twin.id, twin_line=twin.mention.line))
    return tuple(out), tuple(notes)


def _key_numbers(facts: Sequence[Proposal], drafted: Arithmetic) -> list[str]:
    amounts = [p.id for p in facts if comparable(p) and p.metric != PLACEHOLDER][:KEY_FACTS]
    claimed = list(dict.fromkeys(str(c["target"]) for c in drafted.claims))[:KEY_COMPARISONS]
    return amounts + claimed


def _units(rows: Sequence[dict[str, str]], known: units.UnitTable) -> dict[str, object]:
    """``units:`` for the counted units the facts use that ``known`` lacks (GPU, household …)."""
    used = {part for row in rows if row["unit"] != "date" for part in row["unit"].split("/")}
    with units.using(known):
        missing = sorted(u for u in used if u in units.COUNTED and not units.is_known(u))
    if not missing:
        return {}
    return {"units": {u: {"define": "count", "ja": units.COUNTED[u][0], "en": units.COUNTED[u][1]} for u in missing}}


def _spec_yaml(doc: dict[str, object]) -> str:
    """brief.yaml as an editor would write it: one line per comparison and claim, review as a list."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value and all(isinstance(v, (dict, str)) for v in value) \
                and key in ("comparisons", "claims", "review"):
            lines.append(f"{key}:")
            lines += [f"  - {_flow(v)}" for v in value]
        else:
            flow = None if isinstance(value, (dict, list)) else False
            lines.append(yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=flow,
                                        sort_keys=False, width=1_000_000).rstrip())
    return "\n".join(lines) + "\n"


def _flow(value: object) -> str:
    text: str = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False,
                               width=1_000_000)
    return text.strip().removesuffix("\n...").strip()


def _template(lang: Lang) -> str:
    def heading(key: str) -> str:
        return f"## {words.text(key, lang)}"

    blocks = [f"{{# {words.text('draft.hint', lang)} #}}", "```keynumbers\n```", heading("draft.claims"),
              "```claims\n```", heading("draft.conflicts"), "```conflicts\n```", heading("draft.comparisons"),
              "```comparisons\n```", heading("draft.facts"), "```facts\n```", "```sources\n```"]
    return "\n\n".join(blocks) + "\n"


# --- the edge: writing the files ------------------------------------------------------------------

def write_draft(d: Draft, data_dir: Path, templates_dir: Path, force: bool = False) -> tuple[Path, ...]:
    """Write data/<brief>/{facts.csv, sources.csv, brief.yaml} and templates/<brief>/<lang>.md; an
    existing brief folder or template is an ``OutputError`` unless ``force``."""
    folder = data_dir / d.brief_id
    template = templates_dir / d.brief_id / f"{d.lang}.md"
    for existing in (folder, template):
        if existing.exists() and not force:
            raise OutputError(Problem(str(existing), "already exists; nothing was written",
                                      expected="a new --id, or --force to replace the draft's files"))
    files = ((folder / "facts.csv", d.facts_csv), (folder / "sources.csv", d.sources_csv),
             (folder / spec.SPEC_NAME, d.spec_yaml), (template, d.template))
    for path, text in files:
        output.write_atomic(text.encode("utf-8"), path)
    return tuple(path for path, _ in files)
