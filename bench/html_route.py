"""A composed Brief → PDF through a Jinja2 HTML template + WeasyPrint: the HTML route briefgen is measured against.

The content is exactly the Brief that ``briefgen.render.render`` lays out (same blocks, same text, same source
notes) in the same IPAex Gothic face (``@font-face``), A4 with "title · n / N" footers. Only the
renderer differs. Run as a script it is the cold contender: load → compare → check → compose (briefgen)
→ HTML → PDF for each language, written under ``--out`` like ``run.py build``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import jinja2
import markupsafe

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefgen.base.model import Brief, Chart, Lang  # noqa: E402
from briefgen.compose import compose
from briefgen.compute import checks, compare  # noqa: E402
from briefgen.load import facts, spec

TEMPLATES = Path(__file__).resolve().parent / "templates"
IPAEX = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")  # the file briefgen.render.fonts finds first
_FONT_TAG = re.compile(r'<font name="([^"]*)">')

CSS_TEMPLATE = """
@font-face { font-family: "IPAexGothic"; src: url("file://{font}"); font-weight: 400; }
@font-face { font-family: "IPAexGothic"; src: url("file://{font}"); font-weight: 700; }
@page { size: A4; margin: 20mm;
  @bottom-left { content: string(doctitle); font: 8pt "IPAexGothic"; color: #6b7280; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 8pt "IPAexGothic"; color: #6b7280; } }
html { font-family: "IPAexGothic"; font-size: 10pt; line-height: 1.6; color: #1f2328; }
:lang(ja) { line-break: strict; }
.masthead { display: flex; justify-content: space-between; border-bottom: 2pt solid #1d4ed8;
  font-size: 8.5pt; color: #6b7280; }
.brand { font-weight: 700; font-size: 10pt; color: #1d4ed8; }
.title { string-set: doctitle content(); font-size: 20pt; line-height: 26pt; margin: 6pt 0 4pt; }
.dek { font-size: 10.5pt; color: #6b7280; margin: 0 0 2pt; }
hr { border: 0; border-top: 0.6pt solid #d0d7de; margin: 12pt 0 6pt; }
hr.ink { border-top-color: #1f2328; margin: 6pt 0 10pt; }
h2 { font-size: 13pt; margin: 2pt 0 6pt; break-after: avoid; }
h3 { font-size: 10.5pt; color: #1d4ed8; margin: 6pt 0 4pt; break-after: avoid; }
p { margin: 0 0 7pt; }
ul { margin: 0 0 4pt; padding-left: 12pt; } li { margin-bottom: 3pt; }
.keynumbers { display: grid; grid-template-columns: repeat(4, 1fr); background: #eef2ff;
  border-top: 2pt solid #1d4ed8; margin: 4pt 0 12pt; }
.keynumber { padding: 9pt 8pt 10pt 10pt; border-left: 0.5pt solid #d0d7de; }
.figure { font-weight: 700; font-size: 18pt; line-height: 1.2; color: #1d4ed8; }
.label { font-size: 8.5pt; line-height: 12pt; color: #6b7280; }
figure.chart { margin: 6pt 0 8pt; break-inside: avoid; }
.chart-title { font-weight: 700; font-size: 9pt; margin-bottom: 4pt; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; line-height: 12pt; }
table.bars td { padding: 2pt 0; }
.bar-label { width: 35%; padding-right: 6pt; }
.bar { display: inline-block; height: 9pt; background: #1d4ed8; vertical-align: middle; }
.bar-value { padding-left: 4pt; }
table.data th { font-weight: 700; text-align: left; border-bottom: 1pt solid #1f2328; }
table.data td, table.data th { padding: 3pt 4pt; vertical-align: top; }
table.data tr:nth-child(even) td { background: #f6f8fa; }
.caption { font-size: 8.5pt; color: #6b7280; margin: 2pt 0 4pt; }
.notes { font-size: 8pt; line-height: 11.5pt; color: #6b7280; padding-left: 16pt; }
"""


@dataclass(frozen=True)
class Renderer:
    """The parts the HTML route reuses between documents: template, stylesheet, font configuration."""

    template: jinja2.Template
    stylesheet: Any
    font_config: Any


@lru_cache(maxsize=1)
def renderer() -> Renderer:
    """Import WeasyPrint, parse the template and the stylesheet (once per process)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    font_config = FontConfiguration()
    stylesheet = CSS(string=CSS_TEMPLATE.replace("{font}", str(IPAEX)), font_config=font_config)
    return Renderer(env.get_template("brief.html.j2"), stylesheet, font_config)


def html_markup(markup: str) -> markupsafe.Markup:
    """ReportLab paragraph markup (already escaped by compose) → the same markup in HTML."""
    text = str(markup).replace("<super>", "<sup>").replace("</super>", "</sup>")
    text = _FONT_TAG.sub(r'<span style="font-family: \1">', text).replace("</font>", "</span>")
    return markupsafe.Markup(text)


def _block_view(block: object) -> dict[str, Any]:
    """One Brief block → what the template reads (markup fields converted, plain text left to autoescape)."""
    kind = type(block).__name__
    view: dict[str, Any] = {"kind": kind}
    if kind in ("Heading", "Para"):
        view.update(html=html_markup(block.text), level=getattr(block, "level", 1))  # type: ignore[attr-defined]
    elif kind == "Bullets":
        view["entries"] = [html_markup(item) for item in block.items]  # type: ignore[attr-defined]
    elif kind == "KeyNumbers":
        view["entries"] = [{"figure": html_markup(k.figure), "label": html_markup(k.label)}
                         for k in block.items]  # type: ignore[attr-defined]
    elif isinstance(block, Chart):
        top = max((abs(b.value) for b in block.bars), default=0.0) or 1.0
        view.update(title=block.title, caption=block.caption,
                    bars=[{"label": b.label, "display": b.display, "percent": round(55 * abs(b.value) / top, 2)}
                          for b in block.bars])
    else:
        view.update(header=block.header, rows=block.rows, caption=block.caption)  # type: ignore[attr-defined]
    return view


def to_html(brief: Brief) -> str:
    """The brief as one HTML document."""
    from briefgen.base import numfmt, words

    edition = words.text("pdf.edition", brief.lang, date=numfmt.date(brief.date, brief.lang))
    return renderer().template.render(brief=brief, blocks=[_block_view(b) for b in brief.blocks], edition=edition,
                                      language=words.text("pdf.language", brief.lang),
                                      sources=words.text("pdf.sources", brief.lang))


def html_pdf(brief: Brief) -> bytes:
    """The brief as PDF bytes through WeasyPrint (fonts subset and embedded by WeasyPrint)."""
    from weasyprint import HTML

    parts = renderer()
    pdf = HTML(string=to_html(brief), base_url=str(TEMPLATES)).write_pdf(
        stylesheets=[parts.stylesheet], font_config=parts.font_config)
    assert isinstance(pdf, bytes)
    return pdf


def prepare(spec_path: Path) -> tuple[Any, ...]:
    """load → compare → check, with briefgen's own modules (no ReportLab import)."""
    brief_spec = spec.load_spec(spec_path)
    fact_set = facts.load_facts(Path(brief_spec.facts_path), Path(brief_spec.sources_path), brief_spec.units)
    comparisons = compare.compute(brief_spec.comparisons, fact_set)
    return (brief_spec, fact_set, comparisons, checks.check_claims(brief_spec.claims, fact_set, comparisons),
            checks.find_conflicts(fact_set))


def pdfs(spec_path: Path, langs: Sequence[Lang] | None, today: dt.date) -> dict[str, bytes]:
    """The HTML route's whole pipeline in memory: load → compare → check → compose → HTML → PDF."""
    brief_spec, fact_set, comparisons, claim_checks, conflicts = prepare(spec_path)
    env = compose.template_env(ROOT / "templates")
    return {lang: html_pdf(compose.compose(brief_spec, fact_set, comparisons, lang, today, env,
                                           checks=claim_checks, conflicts=conflicts))
            for lang in langs or brief_spec.languages}


def build(spec_path: Path, langs: Sequence[Lang] | None, today: dt.date, out_dir: Path) -> list[Path]:
    """``pdfs`` written as ``<out>/<brief id>/<date>.<lang>.html.pdf``."""
    folder = out_dir / spec_path.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang, pdf in pdfs(spec_path, langs, today).items():
        path = folder / f"{today.isoformat()}.{lang}.html.pdf"
        path.write_bytes(pdf)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", type=Path, default=ROOT / "data" / "xai-colossus" / "brief.yaml")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2024, 5, 27))
    p.add_argument("--lang", choices=("ja", "en", "all"), default="all")
    args = p.parse_args(argv)
    langs: tuple[Lang, ...] | None = None if args.lang == "all" else (args.lang,)
    for path in build(args.spec, langs, args.date, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
