"""Benchmark settings → a results table (metric | median | target | ✓/✗) on stdout and in bench/RESULTS.md.

``python bench/run.py [--smoke] [--repeat N] [--baseline COMMIT] [--results PATH]``. A full run also
rewrites the README's table (``README_ROWS`` of the same run, between its markers). Sections: cold build (fresh processes in
a fresh clone of the current commit set up by ``scripts/setup.sh``, against bare platypus),
warm build against the bare ReportLab render and the HTML route (interleaved in one process), growth
(fact tables, brief length) and delivery (aiosmtpd sink + SQLite ledger). ``--smoke`` uses tiny sizes
and writes no results file unless ``--results`` is given; it exists so the test suite can run it.
Exit status: 0 when the benchmark ran (missed targets are ✗ in the table), 1 when a delivery lost or
doubled a message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import cold  # noqa: E402
import sections  # noqa: E402
from sections import Row  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"
#: The rows the README shows (metrics starting so), every one from the run that wrote RESULTS.md.
README_ROWS = (
    "cold build, both editions", "cold build peak RSS", "cold bare platypus render",
    "cold build ÷ cold bare platypus render", "import of the CLI path", "… interpreter start",
    "cold: HTML route time ÷ briefgen time", "warm build ja", "bare platypus render ja",
    "warm build ÷ bare platypus render, ja", "HTML route ÷ briefgen warm build, ja", "warm build en",
    "bare platypus render en", "warm build ÷ bare platypus render, en", "HTML route ÷ briefgen warm build, en",
    "load + validate 100,000 facts", "time per fact at", "time per page at", "delivery, 1.5 KB PDF",
    "… ledger sent / server received / most per reader (1.5 KB PDF)",
)


@dataclass(frozen=True)
class Config:
    """Sizes and repeat counts of one benchmark run."""

    smoke: bool
    warmup: int
    cold_rounds: int
    warm_rounds: int
    fact_sizes: tuple[int, ...]
    fact_rounds: int
    page_targets: tuple[int, ...]
    page_rounds: int
    readers: int
    real_pdf_readers: int
    baseline: str | None = None


def config(smoke: bool, repeat: int | None) -> Config:
    if smoke:
        return Config(True, 0, repeat or 1, repeat or 1, (10, 100), repeat or 1, (1, 2), repeat or 1, 20, 4)
    return Config(False, 1, repeat or 7, repeat or 15, (10, 1_000, 100_000), repeat or 5, (1, 10, 50),
                  repeat or 3, 10_000, 1_000)


def machine(load_at_start: float) -> str:
    """nproc, CPU model, Python version, the date and the machine's load (1-minute load average at the
    start and end of the run: other work on a shared machine slows every absolute time), on one line."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()} on {platform.system()} "
            f"{platform.release()}, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, load average "
            f"{load_at_start:.1f} → {os.getloadavg()[0]:.1f}")


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| metric | median | target | ✓/✗ |", "|---|---:|---|:-:|"]
    mark = {True: "✓", False: "✗", None: "—"}
    lines += [f"| {r.metric} | {r.value} | {r.target} | {mark[r.ok]} |" for r in rows]
    return "\n".join(lines)


def write_results(path: Path, text: str, start: str = START, end: str = END) -> None:
    """Replace the generated part of ``path`` (between the markers), keeping the notes around it."""
    block = f"{start}\n{text}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else f"# briefgen benchmark results\n\n{start}\n{end}\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    path.write_text(pattern.sub(lambda _: block, old) if pattern.search(old) else f"{old}\n{block}\n",
                    encoding="utf-8")


def readme_rows(rows: Sequence[Row]) -> list[Row]:
    """The rows the README shows, in the results' order."""
    return [row for row in rows if row.metric.startswith(README_ROWS)]


def run(cfg: Config, work: Path) -> list[Row]:
    rows: list[Row] = []
    steps = (
        ("cold build", lambda: cold.cold(work / "cold", cfg.cold_rounds, cfg.warmup, cfg.baseline)),
        ("warm build", lambda: sections.warm(work / "warm", cfg.warm_rounds, cfg.warmup)),
        ("fact tables", lambda: sections.fact_growth(work / "facts", cfg.fact_sizes, cfg.fact_rounds)),
        ("brief length", lambda: sections.page_growth(cfg.page_targets, cfg.page_rounds)),
        ("delivery", lambda: sections.delivery(work / "mail", cfg.readers, cfg.real_pdf_readers)),
    )
    for name, step in steps:
        print(f"… {name}", file=sys.stderr, flush=True)
        rows += step()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat: seconds, for the tests")
    p.add_argument("--repeat", type=int, default=None, help="rounds per measurement (default 7/15/5/3)")
    p.add_argument("--baseline", metavar="COMMIT", default=None,
                   help="also time the cold build of this commit (its own clone and set-up), same rounds")
    p.add_argument("--results", type=Path, default=None,
                   help="Markdown file to update (default: bench/RESULTS.md, none with --smoke)")
    args = p.parse_args(argv)
    cfg = replace(config(args.smoke, args.repeat), baseline=args.baseline)
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="briefgen-bench-") as tmp:
        rows = run(cfg, Path(tmp))
    mode = "smoke" if cfg.smoke else "full"
    flags = (" --smoke" if cfg.smoke else "") + (f" --baseline {cfg.baseline}" if cfg.baseline else "")
    head = f"Machine: {machine(load_at_start)}  \nRun: `python bench/run.py{flags}` ({mode}; medians over the rounds shown per section)"
    text = f"{head}\n\n{table(rows)}"
    print(text)
    results = args.results or (None if cfg.smoke else RESULTS)
    if results is not None:
        write_results(results, text)
    if results == RESULTS:
        write_results(README, f"{head}\n\n{table(readme_rows(rows))}", README_START, README_END)
    broken = [r for r in rows if r.integrity and r.ok is False]
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
