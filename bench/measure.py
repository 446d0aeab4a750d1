"""Callables and commands → timings: medians over repeats, contenders interleaved, child peak RSS.

Every comparison runs its contenders round-robin (A, B, A, B, …) so drift in machine load hits both
alike; ratios are the median of the per-round ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Samples:
    """Seconds per run for each contender, in round order."""

    times: dict[str, list[float]] = field(default_factory=dict)
    rss_kb: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, seconds: float, rss_kb: int | None = None) -> None:
        self.times.setdefault(name, []).append(seconds)
        if rss_kb is not None:
            self.rss_kb.setdefault(name, []).append(rss_kb)

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def ratio(self, numerator: str, denominator: str) -> float:
        """Median over rounds of numerator/denominator (both timed in the same round)."""
        pairs = zip(self.times[numerator], self.times[denominator])
        return statistics.median(a / b for a, b in pairs)

    def peak_mb(self, name: str) -> float:
        return statistics.median(self.rss_kb[name]) / 1024


def interleave(contenders: Mapping[str, Callable[[], object]], rounds: int, warmup: int = 1) -> Samples:
    """Run each contender once per round, in turn; ``warmup`` untimed rounds first."""
    samples = Samples()
    for number in range(warmup + rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            if number >= warmup:
                samples.add(name, elapsed)
    return samples


def run_child(argv: Sequence[str], cwd: Path = ROOT) -> tuple[float, int]:
    """Run a command to completion: (wall seconds, peak RSS in KiB of that child alone)."""
    wall, _, rss = child_usage(argv, cwd)
    return wall, rss


def child_usage(argv: Sequence[str], cwd: Path = ROOT, ok: Sequence[int] = (0,)) -> tuple[float, float, int]:
    """Run a command to completion: (wall seconds, CPU seconds (user + system), peak RSS in KiB) of
    that child alone; an exit code not in ``ok`` raises."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {errors[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss)


def interleave_children(commands: Mapping[str, Sequence[str]], rounds: int, warmup: int = 1,
                        cwd: Path = ROOT, cwds: Mapping[str, Path] | None = None) -> Samples:
    """Cold runs: each command as a fresh process per round in ``cwd`` (or its own folder in
    ``cwds``), round-robin; wall time and peak RSS."""
    samples = Samples()
    for number in range(warmup + rounds):
        for name, argv in commands.items():
            seconds, rss = run_child(argv, (cwds or {}).get(name, cwd))
            if number >= warmup:
                samples.add(name, seconds, rss)
    return samples


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` calls (one untimed call first)."""
    return interleave({"x": run}, repeat).median("x")
