"""Fact counts → wall time, CPU time and peak RSS of ``check``, a first ``build`` and a second one on
briefs of 100,000 and 1,000,000 facts (issue 10 point 5), written to bench/RESULTS.md between its
own markers.

Each size is the reference brief (``data/xai-colossus``, its templates) with generated valid facts
appended (``workloads.fact_rows``: points, ranges, events, compound units); the start-up caches are
made first (``run.py cache``), as ``scripts/setup.sh`` does. Each round runs, as fresh processes,
``check``, then ``build`` (both languages) into a fresh reports folder (a first edition: no earlier
snapshot), then ``build`` of the next week's edition beside it (its "what changed" reads the first
edition's snapshot); medians over the rounds.
Run: ``python bench/large.py [--sizes 100000 1000000] [--repeat 3]`` (about 15 minutes idle).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import workloads  # noqa: E402
from bench.measure import PYTHON, ROOT, child_usage  # noqa: E402
from bench.run import machine  # noqa: E402

BRIEF = "xai-colossus"
DATE, NEXT_DATE = "2024-07-29", "2024-08-05"
START, END = "<!-- large:start -->", "<!-- large:end -->"
TARGET_SECONDS, TARGET_MB = 60, 1536


def project(folder: Path, extra: int) -> Path:
    """A project folder: the reference brief's data and templates, ``extra`` generated facts appended."""
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "templates", folder / "templates")
    brief = folder / "data" / BRIEF
    with (brief / "sources.csv").open(encoding="utf-8", newline="") as handle:
        source = next(csv.DictReader(handle))["id"]
    with (brief / "facts.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))  # the reference table's columns (optional ones left empty)
    with (brief / "facts.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, restval="", lineterminator="\n")
        writer.writerows(dict(zip(workloads.FACT_HEADER, row)) for row in workloads.fact_rows(extra, (source,)))
    return folder


def measure(folder: Path, rounds: int) -> dict[str, tuple[float, float, float]]:
    """Command → (median wall s, median CPU s, median peak RSS MB) over ``rounds`` rounds."""
    base = [PYTHON, str(ROOT / "run.py"), "--project", str(folder), "-q"]
    child_usage([*base, "cache"])
    samples: dict[str, list[tuple[float, float, int]]] = {"check": [], "build": [], "build, 2nd edition": []}
    for _ in range(rounds):
        samples["check"].append(child_usage([*base, "--date", DATE, "check", BRIEF], ok=(0, 3)))
        shutil.rmtree(folder / "reports", ignore_errors=True)
        samples["build"].append(child_usage([*base, "--date", DATE, "build", BRIEF]))
        samples["build, 2nd edition"].append(child_usage([*base, "--date", NEXT_DATE, "build", BRIEF]))
    return {name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs),
                   statistics.median(s[2] for s in runs) / 1024) for name, runs in samples.items()}


def facts_in(folder: Path) -> int:
    with (folder / "data" / BRIEF / "facts.csv").open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def table(results: Sequence[tuple[int, dict[str, tuple[float, float, float]]]], rounds: int, load: float) -> str:
    """Markdown rows per size and command; per fact = peak RSS above the reference brief's, per fact."""
    base_count, base = results[0]
    lines = [f"Machine: {machine(load)}; {rounds} rounds per size, medians.", "",
             "| facts | command | wall | CPU (user+sys) | peak RSS | per fact above the reference brief "
             "| < 60 s, < 1.5 GB |", "|---:|---|---:|---:|---:|---:|:-:|"]
    for count, by_command in results:
        for name, (wall, cpu, mb) in by_command.items():
            per_fact = f"{(mb - base[name][2]) * 1024 / (count - base_count):.2f} KB" if count > base_count else "—"
            ok = "✓" if wall < TARGET_SECONDS and mb < TARGET_MB else "CPU ✓" if cpu < TARGET_SECONDS and mb < TARGET_MB else "✗"
            lines.append(f"| {count:,} | {name} | {wall:.1f} s | {cpu:.1f} s | {mb:,.0f} MB | {per_fact} | {ok} |")
    return "\n".join(lines)


def write_results(path: Path, text: str) -> None:
    """Replace this benchmark's part of ``path`` (between its markers), keeping everything else."""
    block = f"{START}\n{text}\n{END}"
    old = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    path.write_text(pattern.sub(lambda _: block, old) if pattern.search(old) else f"{old}\n{block}\n",
                    encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="generated facts per brief")
    p.add_argument("--repeat", type=int, default=3, help="rounds per size (default 3)")
    p.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"),
                   help="the file to update (default bench/RESULTS.md)")
    args = p.parse_args(argv)
    results = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="briefgen-large-") as work:
        for size in (0, *args.sizes):  # 0: the reference brief alone, the baseline per fact
            print(f"… {size:,} facts", file=sys.stderr, flush=True)
            folder = project(Path(work) / str(size), size)
            results.append((facts_in(folder), measure(folder, args.repeat)))
            shutil.rmtree(folder)
    text = table(results, args.repeat, load)
    print(text)
    write_results(args.results, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
