"""Delivery routes side by side → msg/s: one sender on SQLite, one on PostgreSQL, two Celery workers.

``python bench/scaleout.py [--readers N] [--rounds R] [--results PATH]`` sends one edition (1.5 KB
PDFs) to N readers through a counting SMTP sink (bench/smtp_sink.py, its own process) by each route,
the routes interleaved round by round on the same machine, and reports the median rate of each and
the ratio to the first — with the claim on everywhere. The Celery route is timed from the first
enqueued task to the last ledger row marked sent, with two warm ``--pool solo`` worker processes
(real redis-server and PostgreSQL, started as the tests start them: tests/services.py). Every
round also checks that the sink got exactly one message per reader. The table replaces the
``scaleout`` block of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for folder in (ROOT, BENCH, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import services  # noqa: E402
import workloads  # noqa: E402

from briefgen.base import output
from briefgen.base.model import Edition  # noqa: E402
from briefgen.deliver import archive, worker  # noqa: E402
from briefgen.deliver.ledger import Ledger  # noqa: E402
from briefgen.deliver.mail import SmtpTransport  # noqa: E402
from briefgen.deliver.send import send_edition  # noqa: E402
from briefgen.load.settings import SmtpSettings  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- scaleout:start -->", "<!-- scaleout:end -->"
Route = Callable[[Path, int, "Sink"], float]


class Sink:
    """bench/smtp_sink.py in its own process: ``settings`` to reach it, ``summary()`` when done."""

    def __init__(self) -> None:
        self.port = services.free_port()
        self._process = subprocess.Popen([sys.executable, str(BENCH / "smtp_sink.py"), str(self.port)], cwd=ROOT,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        self.settings = SmtpSettings(host=services.HOST, port=self.port, security="none",
                                     sender="briefs@example.com", timeout=30.0)

    def config(self, folder: Path) -> Path:
        path = folder / "smtp.toml"
        path.write_text(f'[smtp]\nhost = "{services.HOST}"\nport = {self.port}\nsecurity = "none"\n'
                        'sender = "briefs@example.com"\ntimeout = 30\n', encoding="utf-8")
        return path

    def summary(self) -> dict[str, int]:
        out, _ = self._process.communicate("stop\n", timeout=120)
        return dict(json.loads(out.strip().splitlines()[-1]))


def one_sender(where: Callable[[Path], str]) -> Route:
    """``send_edition`` in this process, on the ledger ``where(folder)`` gives."""
    def route(folder: Path, readers: int, sink: Sink) -> float:
        with Ledger(where(folder)) as ledger:
            start = time.perf_counter()
            send_edition(workloads.small_edition(), workloads.readers(readers), SmtpTransport(sink.settings), ledger)
            return time.perf_counter() - start
    return route


def celery_workers(queue: str, postgres: str) -> Route:
    """The edition frozen and archived as ``send --queue`` leaves it, its readers enqueued, and
    the time until the two workers have marked the last one sent."""
    def route(folder: Path, readers: int, sink: Sink) -> float:
        url = services.new_database(postgres)
        edition = archived(folder / "reports", url)
        tasks = worker.jobs(edition, workloads.readers(readers), reports_dir=folder / "reports", where=url,
                            config=sink.config(folder), lease_seconds=1800)
        with Ledger(url) as ledger:
            start = time.perf_counter()
            worker.enqueue(queue, tasks)
            while sum(row.status == "sent" for row in ledger.rows(edition.brief_id, edition.edition)) < readers:
                time.sleep(0.25)  # reading the rows costs CPU the workers need: poll gently (≤ 0.25 s late)
            return time.perf_counter() - start
    return route


def archived(reports: Path, url: str) -> Edition:
    small = workloads.small_edition()
    edition = replace(small, languages={
        lang: replace(r, path=str(output.report_path(reports, small.brief_id, lang, small.edition)))
        for lang, r in small.languages.items()})
    with Ledger(url) as ledger:
        stands = archive.freeze(edition, "bench", ledger)
        for rendered in edition.languages.values():
            output.write_atomic(rendered.pdf, Path(rendered.path))
        archive.write_manifest(edition, stands, reports, ledger.where)
    return edition


def workers(queue: str, count: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, worker.QUEUE_VAR: queue}
    for n in range(count):
        yield subprocess.Popen([sys.executable, "-m", "celery", "-A", "briefgen.deliver.worker", "worker", "--pool", "solo",
                                "--hostname", f"bench{n}@%h", "--without-gossip", "--without-mingle",
                                "--without-heartbeat", "--loglevel", "WARNING"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(routes: dict[str, Route], readers: int, rounds: int, work: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in routes}
    for round_ in range(rounds + 1):  # round 0 warms every route up and is not counted
        for index, (name, route) in enumerate(routes.items()):
            folder = work / f"round{round_}-route{index}"
            folder.mkdir(parents=True)
            sink = Sink()
            seconds = route(folder, readers, sink)
            summary = sink.summary()
            if summary != {"messages": readers, "recipients": readers, "most_per_recipient": 1}:
                raise SystemExit(f"{name}: the sink got {summary} for {readers} readers")
            if round_:
                times[name].append(seconds)
            print(f"  {name}: {readers / seconds:,.0f} msg/s", file=sys.stderr, flush=True)
    return times


def table(times: dict[str, list[float]], readers: int, rounds: int, load: float) -> str:
    first = statistics.median(next(iter(times.values())))
    lines = [f"Delivery of one edition (1.5 KB PDFs) to {readers:,} readers, claim on, medians of {rounds} "
             "interleaved rounds; every round: one message per reader at the sink. Machine: "
             f"{os.cpu_count()} CPUs, load average {load:.1f} at the end of the run (other work shares "
             "the CPUs: compare the ratios, not the rates).", "",
             "| route | median | rate | ratio to the first |", "|---|---|---|---|"]
    for name, seconds in times.items():
        median = statistics.median(seconds)
        lines.append(f"| {name} | {median:.2f} s | {readers / median:,.0f} msg/s | {first / median:.2f}× |")
    return "\n".join(lines)


def write_results(path: Path, text: str) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{START}\n{text}\n{END}"
    if START in current:
        head, rest = current.split(START, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + f"\n\n## Scale-out delivery (bench/scaleout.py)\n\n{block}\n"
    path.write_text(current, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--readers", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--results", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    with services.running_redis() as redis, services.running_postgres() as postgres, \
            tempfile.TemporaryDirectory(prefix="briefgen-scaleout-") as work:
        queue = f"{redis}/0"
        started = list(workers(queue, 2))
        try:
            routes: dict[str, Route] = {
                "one sender, SQLite ledger": one_sender(lambda folder: str(folder / "ledger.sqlite3")),
                "one sender, PostgreSQL ledger": one_sender(lambda folder: services.new_database(postgres)),
                "2 Celery workers (solo), PostgreSQL ledger, Redis": celery_workers(queue, postgres),
            }
            times = measure(routes, args.readers, args.rounds, Path(work))
        finally:
            for process in started:
                process.terminate()
                process.wait(timeout=60)
    text = table(times, args.readers, args.rounds, os.getloadavg()[0])
    print(text)
    write_results(args.results, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
