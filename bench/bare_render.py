"""Composed Briefs → PDFs through ``briefgen.render.render`` alone: the cold contender of bare ReportLab platypus.

``python bench/bare_render.py --compose BRIEFS --date D`` composes the README's brief in both languages
and pickles the Briefs. ``python bench/bare_render.py BRIEFS OUT`` is the timed fresh process: it
imports only the layout step (``briefgen.render.render`` and ReportLab), lays out the same pages and writes
each PDF to ``OUT/<lang>.pdf`` — what any platypus program printing these pages has to do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SPEC = ROOT / "data" / "xai-colossus" / "brief.yaml"


def compose_briefs(out: Path, day: dt.date) -> None:
    """Pickle the README brief's composed Briefs (ja, en) into ``out``."""
    from briefgen import pipeline
    from briefgen.compose import compose

    env = compose.template_env(pipeline.TEMPLATES_DIR)
    p = pipeline.prepare(SPEC)
    briefs = [compose.compose(p.spec, p.facts, p.comparisons, lang, day, env, checks=p.checks,
                              conflicts=p.conflicts) for lang in p.spec.languages]
    out.write_bytes(pickle.dumps(briefs))


def render_briefs(briefs: Path, out: Path) -> None:
    """Lay out each pickled Brief and write its PDF."""
    from briefgen.render import render

    out.mkdir(parents=True, exist_ok=True)
    for brief in pickle.loads(briefs.read_bytes()):
        (out / f"{brief.lang}.pdf").write_bytes(render.render_pdf(brief))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("briefs", type=Path, help="pickled Briefs (written with --compose, read otherwise)")
    p.add_argument("out", type=Path, nargs="?", help="folder for the PDFs")
    p.add_argument("--compose", action="store_true", help="compose and pickle the Briefs")
    p.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2024, 7, 29), help="edition date")
    args = p.parse_args(argv)
    if args.compose:
        compose_briefs(args.briefs, args.date)
    else:
        render_briefs(args.briefs, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
