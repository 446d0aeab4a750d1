"""Sizes → benchmark inputs: valid fact tables of N rows, Briefs of N sections, N readers, a small edition."""

from __future__ import annotations

import csv
import datetime as dt
from io import BytesIO
from pathlib import Path
from typing import Iterator

from briefgen.base.model import (
    Bar,
    Brief,
    Bullets,
    Chart,
    Digest,
    Edition,
    Heading,
    KeyFigure,
    Markup,
    Para,
    Rendered,
    SourceNote,
    Table,
)
from briefgen.load.readers import Reader

FACT_HEADER = ("id", "entity", "metric", "value", "low", "high", "unit", "as_of", "source", "quote",
               "label_ja", "label_en")
SOURCES = (("seed_article", "Example Wire", "マスクがxAIに賭ける", "2024-07", "https://example.com/a", "ja"),
           ("forbes", "Forbes", "Memphis report", "", "", "en"))
#: Row shapes cycled through: a point, a range, an event, a point in a compound unit.
_SHAPES = (
    ("{n}", "", "", "kW", "2024-07"),
    ("", "{n}", "{m}", "USD/MWh", "2024-07"),
    ("2024-04-13", "", "", "date", ""),
    ("1,{k:03d}.5", "", "", "gallon/day", ""),
)
BRIEF_DATE = dt.date(2024, 5, 27)
PARAGRAPH = ("xAIは2024年5月26日、60億ドル<super>[1]</super>の資金調達を完了し、評価額は240億ドル<super>[1]</super>"
             "に達した。<b>10万台</b>のGPUは、OpenAIの主力モデル訓練に使われた2万5,000台の4倍。"
             "冷却に必要な水は130万ガロン/日、立方メートルに換算すると4,921立方メートル/日だ。"
             "メンフィスの主要な水源から取水するため、市民や環境保護団体は公開書簡で抗議した。")


def write_fact_table(folder: Path, rows: int) -> tuple[Path, Path]:
    """``facts.csv`` with ``rows`` valid facts (points, ranges, events, compound units) + ``sources.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    facts_path, sources_path = folder / "facts.csv", folder / "sources.csv"
    with sources_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("id", "publisher", "title", "date", "url", "lang"))
        writer.writerows(SOURCES)
    with facts_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(FACT_HEADER)
        writer.writerows(fact_rows(rows, tuple(source[0] for source in SOURCES)))
    return facts_path, sources_path


def fact_rows(rows: int, sources: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """``rows`` valid fact rows in ``FACT_HEADER`` order, citing ``sources`` in turn."""
    for i in range(rows):
        value, low, high, unit, as_of = (part.format(n=1000 + i, m=2000 + i, k=i % 1000)
                                         for part in _SHAPES[i % len(_SHAPES)])
        yield (f"fact_{i}", f"entity {i % 97}", f"metric_{i}", value, low, high, unit, as_of,
               sources[i % len(sources)], f"記事の記述 {i}", f"項目{i}", f"item {i}")


def section(number: int) -> tuple[Heading | Para | Bullets | Chart | Table, ...]:
    """One section of filler content: heading, paragraphs, bullets, a chart and an 8-row table."""
    rows = tuple((f"項目 {number}-{r}", f"{r * 1000 + number:,}台", "2024年7月", "[1]") for r in range(8))
    bars = tuple(Bar(f"ラベル {b}", float(b + 1) * 1000, f"{b + 1}千台") for b in range(4))
    return (
        Heading(Markup(f"セクション {number}"), level=2),
        Para(Markup(PARAGRAPH)), Para(Markup(PARAGRAPH)),
        Bullets((Markup(PARAGRAPH[:80]), Markup(PARAGRAPH[80:160]))),
        Chart(f"チャート {number}", bars, "出典：[1]"),
        Table(("項目", "値", "時点", "出典"), rows),
        Para(Markup(PARAGRAPH)),
    )


def big_brief(sections: int) -> Brief:
    """A Japanese Brief of ``sections`` filler sections (about two sections a page)."""
    blocks = tuple(block for number in range(1, sections + 1) for block in section(number))
    return Brief("bench-growth", "ベンチマーク用の長い週報", "ja", BRIEF_DATE, blocks,
                 notes=(SourceNote(1, "Example Wire、「記事」、2024年7月、https://example.com/a"),),
                 subject="ベンチマーク用の長い週報（2024年5月27日）")


def readers(count: int) -> list[Reader]:
    """``count`` distinct readers of ``xai-colossus``, alternating ja and en."""
    return [Reader(name=f"Reader {i}", email=f"reader{i:05d}@example.com", lang="ja" if i % 2 else "en",
                   briefs=("xai-colossus",), origin=f"bench reader {i}") for i in range(count)]


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (about 1.5 KB)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 760, text)
    pdf.save()
    return buffer.getvalue()


def edition(pdfs: dict[str, tuple[Brief, bytes]], day: dt.date = BRIEF_DATE) -> Edition:
    """An edition of ``xai-colossus`` from (brief, PDF bytes) per language."""
    languages = {lang: Rendered(brief, pdf, f"{lang}.pdf") for lang, (brief, pdf) in pdfs.items()}
    return Edition("xai-colossus", day.isoformat(), {k: b.title for k, (b, _) in pdfs.items()}, languages)


def small_edition() -> Edition:
    """An edition whose PDFs are one-line pages: delivery measured without PDF weight."""
    digest = Digest("xAI bought 100,000 GPUs, 4x GPT-4", (KeyFigure("100,000 GPUs", "GPUs secured by xAI"),))
    return edition({lang: (Brief("xai-colossus", f"xAI Colossus ({lang})", lang, BRIEF_DATE, (), digest=digest),
                           tiny_pdf(f"Colossus brief in {lang}")) for lang in ("ja", "en")})
