"""Scale-out (issue 9 point 7): a PostgreSQL ledger and Celery workers on Redis, all real servers.

``run.py send --ledger postgresql://…`` keeps the same promises as with SQLite; ``send --queue
redis://…`` enqueues one task per reader, and ``celery -A briefgen.deliver.worker worker`` processes (real
subprocesses) send them from the frozen archive under the same claim: with two workers, every task
enqueued twice and one worker killed with SIGKILL in the middle of the list, 2,000 readers get one
message each (at most one more: the killed worker's message in flight).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening import BRIEF, Result, Workspace, run
from smtpserver import Server

from briefgen.base.errors import DeliveryError
from briefgen.deliver import archive, worker
from briefgen.deliver.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2024-12-02"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "SECURITY", "USER", "SENDER", "CA_FILE", "PASSWORD", "PASSWORD_FILE"):
        monkeypatch.delenv(f"BRIEFGEN_SMTP_{name}", raising=False)


def write_readers(ws: Workspace, count: int) -> list[str]:
    addresses = [f"reader{i:04d}@example.com" for i in range(count)]
    lines = ["name,email,lang,briefs", *(f"Reader {i},{a},{'ja' if i % 2 else 'en'},{BRIEF}"
                                         for i, a in enumerate(addresses))]
    (ws.data / "readers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return addresses


def cli(ws: Workspace, server: Server, command: str, *extra: str) -> Result:
    return run(*ws.options(), command, *extra, "--readers", str(ws.data / "readers.csv"),
               "--config", str(ws.smtp_config(server)))


def received(server: Server) -> collections.Counter[str]:
    return collections.Counter(address for r in server.handler.received for address in r.rcpt_tos)


def states(ws: Workspace, server: Server, where: str) -> collections.Counter[str]:
    result = run(*ws.options(), "status", BRIEF, "--json", "--ledger", where, "--readers", str(ws.data / "readers.csv"))
    (edition,) = json.loads(result.out)
    return collections.Counter(reader["state"] for reader in edition["readers"])


def test_a_postgresql_ledger_keeps_sends_once_and_status_reads_it(ws: Workspace, server: Server,
                                                                   postgres_url: str) -> None:
    addresses = write_readers(ws, 12)
    first = cli(ws, server, "send", BRIEF, "--edition", WEEK, "--ledger", postgres_url)
    assert first.code == 0 and "12 sent" in first.out, first.err
    again = cli(ws, server, "send", BRIEF, "--edition", WEEK, "--ledger", postgres_url)
    assert again.code == 0 and "0 sent, 12 already delivered" in again.out
    assert sorted(received(server)) == addresses and set(received(server).values()) == {1}
    assert states(ws, server, postgres_url) == {"sent": 12}
    manifest = json.loads(archive.manifest_path(ws.reports, BRIEF, WEEK).read_text(encoding="utf-8"))
    assert manifest["ledger"] == postgres_url  # the archive names the ledger it was frozen in


def test_a_queued_send_refuses_a_ledger_url_carrying_a_password(ws: Workspace, server: Server,
                                                                 redis_url: str) -> None:
    write_readers(ws, 2)
    result = cli(ws, server, "send", BRIEF, "--queue", redis_url, "--ledger",
                 "postgresql://briefs:hunter2@127.0.0.1:1/ledger")
    assert result.code == 1 and "hunter2" not in result.out + result.err
    assert "Traceback" not in result.err and "postgresql://briefs:***@127.0.0.1:1/ledger" in result.err


def test_a_worker_sends_the_frozen_archive_and_builds_nothing(ws: Workspace, server: Server, postgres_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write_readers(ws, 2)
    assert cli(ws, server, "send", BRIEF, "--edition", WEEK, "--ledger", postgres_url, "--to",
               "reader0000@example.com").code == 0
    monkeypatch.setattr("briefgen.pipeline.render_edition", lambda *a, **k: pytest.fail("a worker built a PDF"))
    job = worker.Job(BRIEF, WEEK, "reader0001@example.com", "Reader 1", "ja", str(ws.reports), postgres_url,
                     str(ws.smtp_config(server)), 60)
    assert worker.send_one(job).outcome == "sent"
    assert worker.send_one(job).outcome == "skipped"
    (pdf,) = [part for part in server.handler.received[-1].message.iter_attachments()]
    assert pdf.get_content() == (ws.reports / BRIEF / f"{WEEK}.ja.pdf").read_bytes()
    tampered = ws.reports / BRIEF / f"{WEEK}.en.pdf"
    tampered.write_bytes(tampered.read_bytes() + b"%")
    worker._close_stations()
    other = worker.Job(BRIEF, WEEK, "reader0002@example.com", "R", "en", str(ws.reports), postgres_url,
                       str(ws.smtp_config(server)), 60)
    with pytest.raises(DeliveryError, match="en.pdf"):
        worker.send_one(other)
    worker._close_stations()


def start_worker(redis_url: str, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, worker.QUEUE_VAR: redis_url, worker.VISIBILITY_VAR: "3"}
    command = [sys.executable, "-m", "celery", "-A", "briefgen.deliver.worker", "worker", "--pool", "solo",
               "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--loglevel", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_workers_a_duplicate_enqueue_and_a_killed_worker_send_each_of_2000_readers_once(
        ws: Workspace, server: Server, redis_url: str, postgres_url: str) -> None:
    addresses = write_readers(ws, 2000)
    server.handler.data_delay = 0.001
    enqueue = ("send", BRIEF, "--edition", WEEK, "--queue", redis_url, "--ledger", postgres_url, "--wait", "0")
    first, second = cli(ws, server, *enqueue), cli(ws, server, *enqueue)  # every reader queued twice
    for result in (first, second):
        assert result.code == 1 and "Traceback" not in result.err, result.err  # nobody served yet
        assert "2000 not tried" in result.out
    workers = [start_worker(redis_url, "one"), start_worker(redis_url, "two")]
    try:
        wait_for(lambda: len(server.handler.received) >= 400, 120)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        with Ledger(postgres_url) as shared:
            wait_for(lambda: [r.status for r in shared.rows(BRIEF, WEEK)] == ["sent"] * 2000, 300)
        final = cli(ws, server, "send", BRIEF, "--edition", WEEK, "--queue", redis_url, "--ledger", postgres_url,
                    "--wait", "60")
    finally:
        for process in workers:
            process.terminate()
        errors = [process.communicate(timeout=60)[1].decode() for process in workers]
    assert "Traceback" not in errors[1], errors[1]
    counts = received(server)
    assert sorted(counts) == addresses
    assert sum(counts.values()) <= 2001, [a for a, n in counts.items() if n > 1]  # one killed worker: ≤ 1 more
    assert final.code == 0 and "0 sent, 2000 already delivered" in final.out, final.out
    assert states(ws, server, postgres_url) == {"sent": 2000}
