"""One benchmark section each → table rows: cold build, warm build, growth, delivery.

Warm contenders (briefgen's whole pipeline, its layout step alone, a raw canvas, the HTML route)
run interleaved in this process; cold contenders are fresh interpreters, also interleaved.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import tracemalloc
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Callable, Sequence

import html_route
import measure
import workloads
from measure import PYTHON, ROOT

from briefgen import pipeline
from briefgen.base import markdown
from briefgen.base.model import Brief, Edition, Lang
from briefgen.compose import compose
from briefgen.deliver.ledger import Ledger
from briefgen.deliver.mail import SmtpTransport
from briefgen.deliver.send import send_edition
from briefgen.load import facts
from briefgen.load.settings import SmtpSettings
from briefgen.render import fonts, render

SPEC = ROOT / "data" / "xai-colossus" / "brief.yaml"
DAY = workloads.BRIEF_DATE


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``integrity`` rows fail the run when not ok."""

    metric: str
    value: str
    target: str = ""
    ok: bool | None = None
    integrity: bool = False


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


# --- 2-4. warm build, floors, HTML route ------------------------------------------------------------


def canvas_floor(brief: Brief) -> bytes:
    """The practical floor: the brief's visible text drawn line by line on A4 pages, no layout at all."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    font = fonts.primary()
    text = " ".join(_visible(b) for b in brief.blocks)
    width = 40 if brief.lang == "ja" else 90
    buffer = BytesIO()
    pdf = Canvas(buffer, pagesize=A4, invariant=1)
    for number, start in enumerate(range(0, len(text), width)):
        if number and number % 48 == 0:
            pdf.showPage()
        pdf.setFont(font, 10)
        pdf.drawString(57, 780 - 15 * (number % 48), text[start:start + width])
    pdf.save()
    return buffer.getvalue()


def _visible(block: object) -> str:
    """Every text field of a block, flattened, as the reader sees it."""
    flat = [str(x) for v in vars(block).values() for x in (v if isinstance(v, tuple) else (v,))]
    return markdown.visible(" ".join(flat))


def _composed(lang: Lang) -> Brief:
    prepared = pipeline.prepare(SPEC)
    env = compose.template_env(pipeline.TEMPLATES_DIR)
    return compose.compose(prepared.spec, prepared.facts, prepared.comparisons, lang, DAY, env,
                           checks=prepared.checks, conflicts=prepared.conflicts)


def in_memory_build(lang: Lang) -> bytes:
    """briefgen's pipeline without the file edge: templates → load → compare → check → compose → render."""
    env = compose.template_env(pipeline.TEMPLATES_DIR)
    p = pipeline.prepare(SPEC)
    return render.render_pdf(compose.compose(p.spec, p.facts, p.comparisons, lang, DAY, env, checks=p.checks,
                                             conflicts=p.conflicts))


def warm(work: Path, rounds: int, warmup: int) -> list[Row]:
    rows: list[Row] = []
    for lang in ("ja", "en"):
        brief = _composed(lang)
        contenders: dict[str, Callable[[], object]] = {
            "build": lambda: in_memory_build(lang),
            "written": lambda: pipeline.build_edition(SPEC, lang=lang, today=DAY, out_dir=work / "briefgen"),
            "layout": lambda: render.render_pdf(brief),
            "canvas": lambda: canvas_floor(brief),
            "html": lambda: html_route.pdfs(SPEC, (lang,), DAY),
        }
        s = measure.interleave(contenders, rounds, max(warmup, 1))
        rows += _warm_rows(lang, s, rounds, pages=_pages(render.render_pdf(brief)))
    return rows


def _warm_rows(lang: str, s: measure.Samples, rounds: int, pages: int) -> list[Row]:
    over_layout, html_over = s.ratio("build", "layout"), s.ratio("html", "build")
    return [
        Row(f"warm build {lang} ({pages} pages; templates→load→compare→check→compose→render, in memory, "
            f"{rounds} rounds)", f"{1 / s.median('build'):.1f} briefs/s ({_ms(s.median('build'))})"),
        Row(f"warm `build_edition` {lang} (the above + snapshot diff, fsync'd PDF and snapshot writes)",
            f"{1 / s.median('written'):.1f} briefs/s ({_ms(s.median('written'))})"),
        Row(f"bare platypus render {lang} (`render_pdf` on the composed Brief)", _ms(s.median("layout"))),
        Row(f"raw canvas drawString floor {lang} (no layout)", _ms(s.median("canvas"))),
        Row(f"warm build ÷ bare platypus render, {lang}", f"{over_layout:.2f}×", "≤ 1.3×", over_layout <= 1.3),
        Row(f"raw canvas ÷ bare platypus render, {lang}", f"{s.ratio('canvas', 'layout'):.2f}×"),
        Row(f"warm HTML route {lang} (same pipeline in memory, Jinja2 HTML + WeasyPrint)", _ms(s.median("html"))),
        Row(f"HTML route ÷ briefgen warm build, {lang}", f"{html_over:.1f}×", "≥ 6×", html_over >= 6),
    ]


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


# --- 5. growth ---------------------------------------------------------------------------------------


def _load_peak_mb(facts_path: Path, sources_path: Path) -> float:
    tracemalloc.start()
    facts.load_facts(facts_path, sources_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def fact_growth(work: Path, sizes: Sequence[int], rounds: int) -> list[Row]:
    rows, per_fact = [], {}
    for size in sizes:
        paths = workloads.write_fact_table(work / str(size), size)
        seconds = measure.median_time(lambda: facts.load_facts(*paths), rounds)
        per_fact[size] = seconds / size
        ok = seconds <= 2.0 if size >= 100_000 else None
        rows.append(Row(f"load + validate {size:,} facts ({rounds} rounds; peak traced memory "
                        f"{_load_peak_mb(*paths):.1f} MB)", f"{seconds:.3f} s",
                        "≤ 2 s" if size >= 100_000 else "", ok))
    small, large = sizes[-2], sizes[-1]
    growth = per_fact[large] / per_fact[small]
    rows.append(Row(f"time per fact at {large:,} ÷ at {small:,} (linear = 1)", f"{growth:.2f}×", "≤ 1.5×",
                    growth <= 1.5))
    return rows


def page_growth(page_targets: Sequence[int], rounds: int) -> list[Row]:
    per_page = 4 / _pages(render.render_pdf(workloads.big_brief(4)))  # sections per page
    rows, ms_per_page = [], {}
    for target in page_targets:
        brief = workloads.big_brief(max(1, round(target * per_page)))
        pages = _pages(render.render_pdf(brief))
        seconds = measure.median_time(lambda: render.render_pdf(brief), rounds)
        ms_per_page[target] = seconds / pages
        rows.append(Row(f"render a {pages}-page brief ({len(brief.blocks)} blocks, {rounds} rounds)",
                        f"{_ms(seconds)} ({_ms(seconds / pages)}/page)"))
    mid, large = page_targets[-2], page_targets[-1]
    growth = ms_per_page[large] / ms_per_page[mid]
    rows.append(Row(f"time per page at ~{large} pages ÷ at ~{mid} pages (linear = 1)", f"{growth:.2f}×", "≤ 1.5×",
                    growth <= 1.5))
    return rows


# --- 6. delivery -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _send_through_sink(work: Path, edition: Edition, count: int) -> tuple[float, int, dict[str, int]]:
    """Send ``edition`` to ``count`` readers via a fresh sink: (seconds, ledger rows sent, sink summary)."""
    port = _free_port()
    sink = subprocess.Popen([PYTHON, str(ROOT / "bench" / "smtp_sink.py"), str(port)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sink.stdin is not None and sink.stdout is not None
    try:
        if sink.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        settings = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="briefs@example.com",
                                timeout=30.0)
        work.mkdir(parents=True, exist_ok=True)
        with Ledger(work / f"ledger-{port}.sqlite") as ledger:
            start = time.perf_counter()
            send_edition(edition, workloads.readers(count), SmtpTransport(settings), ledger)
            seconds = time.perf_counter() - start
            sent = sum(row.status == "sent" for row in ledger.rows(edition.brief_id, edition.edition))
        summary = json.loads(sink.communicate("stop\n", timeout=60)[0].strip().splitlines()[-1])
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    return seconds, sent, summary


def _delivery_rows(label: str, count: int, seconds: float, sent: int, summary: dict[str, int],
                   target: bool) -> list[Row]:
    rate = count / seconds
    exact = sent == count and summary == {"messages": count, "recipients": count, "most_per_recipient": 1}
    return [
        Row(f"delivery, {label}: {count:,} readers, SQLite ledger on", f"{rate:,.0f} msg/s ({seconds:.2f} s)",
            "≥ 200 msg/s" if target else "", rate >= 200 if target else None),
        Row(f"… ledger sent / server received / most per reader ({label})",
            f"{sent:,} / {summary['messages']:,} / {summary['most_per_recipient']}",
            f"{count:,} / {count:,} / 1", exact, integrity=True),
    ]


def delivery(work: Path, readers: int, real_readers: int) -> list[Row]:
    rows = _delivery_rows("1.5 KB PDF", readers, *_send_through_sink(work / "small", workloads.small_edition(),
                                                                     readers), target=True)
    real = pipeline.build_edition(SPEC, lang="all", today=DAY, out_dir=work / "reports")
    sizes = "/".join(f"{len(r.pdf) // 1024} KB" for r in real.languages.values())
    rows += _delivery_rows(f"real brief PDFs ({sizes})", real_readers,
                           *_send_through_sink(work / "real", real, real_readers), target=False)
    return rows
