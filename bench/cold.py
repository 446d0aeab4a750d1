"""A fresh clone of the current commit → cold-start rows: the README's command, bare platypus, imports.

Everything here is a fresh process in a clone that only ``scripts/setup.sh`` has prepared (see
``clone.py``), run round-robin so machine load hits every contender alike:

- **briefgen**: exactly the README's ``run.py --date 2024-07-29 build xai-colossus --lang all``;
- **bare platypus**: ``bare_render.py`` laying out the same two composed Briefs (pickled beforehand)
  with ``briefgen.render.render`` and nothing else, writing both PDFs — which must equal briefgen's, byte for byte;
- **imports**: ``import briefgen.cli, briefgen.pipeline, briefgen.render.render``, the build's import path;
- **HTML route**: ``html_route.py`` (Jinja2 HTML + WeasyPrint), both languages;
- **python**: ``python -c pass``, the interpreter alone;
- **baseline** (with ``--baseline COMMIT``): the README's command in a fresh clone of that commit.

Then the README's command again under ``-X importtime``: where its import time goes, by package.
"""

from __future__ import annotations

import collections
import statistics
import subprocess
from pathlib import Path

import clone
import measure
from sections import Row

README_DATE = "2024-07-29"
README_BUILD = ("run.py", "--date", README_DATE, "build", "xai-colossus", "--lang", "all")
CLI_IMPORTS = "import briefgen.cli, briefgen.pipeline, briefgen.render.render"
TARGET_BUILD, TARGET_IMPORTS = 0.6, 0.25


def cold(work: Path, rounds: int, warmup: int, baseline: str | None = None) -> list[Row]:
    """The rows; with ``baseline`` (a commit), the README's command is also timed in a fresh clone
    of it, set up by its own ``scripts/setup.sh``, in the same rounds (before/after)."""
    repo = clone.fresh_clone(work / "clone")
    py = clone.python(repo)
    briefs = work / "briefs.pickle"
    subprocess.run([py, "bench/bare_render.py", "--compose", str(briefs), "--date", README_DATE], cwd=repo,
                   check=True)
    commands = {
        "briefgen": [py, *README_BUILD],
        "bare": [py, "bench/bare_render.py", str(briefs), str(work / "bare")],
        "imports": [py, "-c", CLI_IMPORTS],
        "html": [py, "bench/html_route.py", "--out", str(work / "html"), "--lang", "all"],
        "python": [py, "-c", "pass"],
    }
    cwds: dict[str, Path] = {}
    if baseline:
        cwds["baseline"] = clone.fresh_clone(work / "baseline", baseline)
        commands["baseline"] = [clone.python(cwds["baseline"]), *README_BUILD]
    s = measure.interleave_children(commands, rounds, warmup, cwd=repo, cwds=cwds)
    same = all((work / "bare" / f"{lang}.pdf").read_bytes()
               == (repo / "reports" / "xai-colossus" / f"{README_DATE}.{lang}.pdf").read_bytes()
               for lang in ("ja", "en"))
    rows = _rows(s, rounds, same) + (_baseline_rows(s, baseline) if baseline else [])
    return rows + _import_rows(import_profile(py, repo, rounds))


def _baseline_rows(s: measure.Samples, baseline: str) -> list[Row]:
    return [Row(f"cold build at baseline `{baseline}` (its own fresh clone and set-up, same rounds)",
                f"{s.median('baseline'):.3f} s"),
            Row("cold build ÷ baseline (same rounds)", f"{s.ratio('briefgen', 'baseline'):.2f}×", "(reported)")]


def _rows(s: measure.Samples, rounds: int, same: bool) -> list[Row]:
    build, rss, imports = s.median("briefgen"), s.peak_mb("briefgen"), s.median("imports")
    return [
        Row(f"cold build, both editions (README's `{' '.join(README_BUILD)}`, fresh clone after "
            f"`scripts/setup.sh`, {rounds} runs)", f"{build:.3f} s", f"≤ {TARGET_BUILD} s", build <= TARGET_BUILD),
        Row("cold build peak RSS", f"{rss:.0f} MB", "≤ 150 MB", rss <= 150),
        Row("cold bare platypus render, both editions (fresh process: `render_pdf` on the composed Briefs, "
            "PDFs written)", f"{s.median('bare'):.3f} s"),
        Row("cold build ÷ cold bare platypus render (same rounds)", f"{s.ratio('briefgen', 'bare'):.2f}×",
            "(reported)", None),
        Row("… bare render's PDFs equal the build's, byte for byte", "yes" if same else "NO", "yes", same,
            integrity=True),
        Row(f"import of the CLI path (`python -c \"{CLI_IMPORTS}\"`, interpreter included)", f"{imports:.3f} s",
            f"≤ {TARGET_IMPORTS} s", imports <= TARGET_IMPORTS),
        Row("… interpreter start (`python -c pass`)", f"{s.median('python'):.3f} s"),
        Row("cold HTML route (Jinja2 + WeasyPrint), both editions", f"{s.median('html'):.3f} s"),
        Row("cold: HTML route time ÷ briefgen time (same rounds)", f"{s.ratio('html', 'briefgen'):.2f}×",
            "(reported)", None),
    ]


def import_profile(py: str, repo: Path, rounds: int) -> dict[str, float]:
    """Seconds of import per top-level package during the README's command (``-X importtime`` self
    times summed over the package's modules; median over ``rounds`` runs); ``*`` is all of them."""
    runs: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(rounds):
        proc = subprocess.run([py, "-X", "importtime", *README_BUILD], cwd=repo, capture_output=True, text=True,
                              check=True)
        totals: dict[str, float] = collections.Counter()
        for line in proc.stderr.splitlines():
            if line.startswith("import time:") and "cumulative" not in line:
                self_us, _, name = line.removeprefix("import time:").split("|")
                totals[name.strip().split(".")[0]] += int(self_us) / 1e6
                totals["*"] += int(self_us) / 1e6
        for package, seconds in totals.items():
            runs[package].append(seconds)
    return {package: statistics.median(times + [0.0] * (rounds - len(times))) for package, times in runs.items()}


def _import_rows(profile: dict[str, float], shown: int = 8) -> list[Row]:
    total = profile.pop("*")
    rows = [Row("imports during the cold build (`-X importtime`, all modules)", f"{total:.3f} s")]
    top = sorted(profile.items(), key=lambda item: -item[1])[:shown]
    return rows + [Row(f"… of which `{package}`", f"{seconds:.3f} s") for package, seconds in top]
