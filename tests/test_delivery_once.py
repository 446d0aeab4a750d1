"""Nothing lost, nothing doubled (issue 9): ``run.py send``/``schedule``/``status`` against a real SMTP server.

Two senders at once (real processes), a rerun after midnight, ``schedule --once`` after a manual send,
facts edited between a partial run and its rerun, a deleted ledger, greylisting under the scheduler, a
slow final reply, SIGTERM and SIGKILL in the middle of a list. In-process runs read the wall clock,
which ``travel`` (tests/wallclock.py) stops and moves; nothing here sleeps.
"""

from __future__ import annotations

import collections
import datetime as dt
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
from wallclock import Clock, Travel

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc
# The reference brief's slot is Monday 08:00 Asia/Tokyo: the week of Monday 2 December 2024.
MONDAY_SLOT = dt.datetime(2024, 12, 1, 23, 0, tzinfo=UTC)
WEEK = "2024-12-02"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "SECURITY", "USER", "SENDER", "CA_FILE", "PASSWORD", "PASSWORD_FILE"):
        monkeypatch.delenv(f"BRIEFGEN_SMTP_{name}", raising=False)


@pytest.fixture
def now(travel: Travel) -> Clock:
    """The wall clock that the CLI (and the scheduler's ``schedule``) read, stopped an hour after the slot."""
    return travel(MONDAY_SLOT + dt.timedelta(hours=1))


def options(ws: Workspace) -> list[str]:
    """The workspace's folders, without ``--date``: the edition comes from the week, as for a user."""
    return ["--data", str(ws.data), "--reports", str(ws.reports), "--state", str(ws.state),
            "--templates", str(ws.templates)]


def send(ws: Workspace, server: Server, *extra: str, **settings: object) -> Result:
    return run(*options(ws), "send", BRIEF, *delivery_args(ws, server, **settings), *extra)


def schedule_once(ws: Workspace, server: Server, **settings: object) -> Result:
    return run(*options(ws), "schedule", "--once", *delivery_args(ws, server, **settings))


def status(ws: Workspace) -> Result:
    return run(*options(ws), "status", BRIEF, "--json", "--readers", str(ws.data / "readers.csv"))


def delivery_args(ws: Workspace, server: Server, **settings: object) -> list[str]:
    return ["--readers", str(ws.data / "readers.csv"), "--config", str(ws.smtp_config(server, **settings))]


def received(server: Server) -> collections.Counter[str]:
    return collections.Counter(address for r in server.handler.received for address in r.rcpt_tos)


def write_readers(ws: Workspace, count: int) -> list[str]:
    addresses = [f"reader{i:04d}@example.com" for i in range(count)]
    lines = ["name,email,lang,briefs", *(f"Reader {i},{a},{'ja' if i % 2 else 'en'},{BRIEF}"
                                         for i, a in enumerate(addresses))]
    (ws.data / "readers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return addresses


def states(ws: Workspace) -> dict[str, str]:
    result = status(ws)
    (edition,) = json.loads(result.out)
    return {reader["email"]: reader["state"] for reader in edition["readers"]}


# --- whoever sends, one edition per week ----------------------------------------------------------


def test_a_rerun_after_midnight_and_schedule_after_a_manual_send_send_nothing_new(
        ws: Workspace, server: Server, now: Clock) -> None:
    first = send(ws, server)
    assert first.code == 0, first.err
    assert first.out.startswith(f"{BRIEF} {WEEK}: 4 sent, 0 already delivered, 0 failed")
    now.now += dt.timedelta(days=1, hours=2)  # Tuesday, after midnight in Tokyo
    again = send(ws, server)
    assert again.code == 0 and f"{BRIEF} {WEEK}: 0 sent, 4 already delivered, 0 failed" in again.out
    now.now += dt.timedelta(days=2)
    scheduled = schedule_once(ws, server)
    assert scheduled.code == 0, scheduled.err
    assert set(received(server).values()) == {1} and len(received(server)) == 4
    assert sorted(p.name for p in (ws.reports / BRIEF).glob(f"{WEEK}*")) == [
        f"{WEEK}.edition.json", f"{WEEK}.en.pdf", f"{WEEK}.facts.json", f"{WEEK}.ja.pdf"]
    now.now = MONDAY_SLOT + dt.timedelta(weeks=1, minutes=1)  # the next week's slot: a new edition
    assert schedule_once(ws, server).code == 0
    assert set(received(server).values()) == {2}


def test_an_explicit_edition_in_the_week_is_the_weeks_edition_for_the_scheduler(
        ws: Workspace, server: Server, now: Clock) -> None:
    assert send(ws, server, "--edition", "2024-12-04").code == 0  # a Wednesday, sent by hand
    now.now += dt.timedelta(days=3)
    assert schedule_once(ws, server).code == 0
    assert len(server.handler.received) == 4
    assert {r.message["Message-ID"].split(".")[1] for r in server.handler.received} == {"2024-12-04"}


# --- frozen editions --------------------------------------------------------------------------------


def test_facts_edited_between_a_partial_run_and_its_rerun_are_refused_then_revised(
        ws: Workspace, server: Server, now: Clock) -> None:
    server.handler.rcpt_replies["alice@example.com"] = "451 4.7.1 Greylisted"
    partial = send(ws, server)
    assert partial.code == 1 and "  waiting alice@example.com: " in partial.out
    frozen_pdf = (ws.reports / BRIEF / f"{WEEK}.en.pdf").read_bytes()
    ws.set_fact("tesla_engineers", value="60")
    del server.handler.rcpt_replies["alice@example.com"]
    refused = send(ws, server)
    assert refused.code == 1 and refused.err.count("\n") == 1
    assert (f"error: {ws.facts}: the facts changed since edition {WEEK} of {BRIEF} went out" in refused.err
            and "--new-edition" in refused.err), refused.err
    assert (ws.reports / BRIEF / f"{WEEK}.en.pdf").read_bytes() == frozen_pdf  # the archive is untouched
    ws.set_fact("tesla_engineers", value="50")  # the facts as they were: alice gets the same PDF
    assert send(ws, server).code == 0
    pdfs = {next(r.message.iter_attachments()).get_content() for r in server.handler.received
            if r.rcpt_tos[0] in ("alice@example.com", "bob.chen@example.com")}
    assert pdfs == {frozen_pdf}
    ws.set_fact("tesla_engineers", value="60")
    revised = send(ws, server, "--new-edition")
    assert revised.code == 0 and revised.out.startswith(f"{BRIEF} {WEEK}-r2: 4 sent")
    assert (ws.reports / BRIEF / f"{WEEK}-r2.en.pdf").is_file()
    assert set(received(server).values()) == {2}


def test_an_edition_is_frozen_only_when_its_first_message_goes_out(ws: Workspace, server: Server,
                                                                   now: Clock) -> None:
    readers = (ws.data / "readers.csv").read_text(encoding="utf-8")
    (ws.data / "readers.csv").write_text(readers.splitlines()[0] + "\n", encoding="utf-8")
    nobody = send(ws, server)  # no readers yet: nothing goes out, so nothing is frozen
    assert nobody.out == f"{BRIEF} {WEEK}: 0 sent, 0 already delivered, 0 failed\n"
    unknown = send(ws, server, "--to", "stranger@example.com")
    assert unknown.code == 1 and "stranger@example.com is not a reader of" in unknown.err
    assert not (ws.reports / BRIEF).exists() or not list((ws.reports / BRIEF).glob("*.edition.json"))
    ws.set_fact("tesla_engineers", value="60")  # the facts may still change: no edition went out
    (ws.data / "readers.csv").write_text(readers, encoding="utf-8")
    first = send(ws, server)
    assert first.code == 0 and first.out.startswith(f"{BRIEF} {WEEK}: 4 sent"), first.err
    assert json.loads((ws.reports / BRIEF / f"{WEEK}.edition.json").read_text(encoding="utf-8"))["edition"] == WEEK


def test_a_deleted_or_emptied_ledger_is_refused_instead_of_mailing_everyone_again(
        ws: Workspace, server: Server, now: Clock) -> None:
    assert send(ws, server).code == 0
    ledger = ws.state / "ledger.sqlite3"
    for damage in ("delete", "empty"):
        for leftover in ws.state.glob("ledger.sqlite3*"):
            leftover.unlink()
        if damage == "empty":
            ledger.write_bytes(b"")
        refused = send(ws, server)
        assert refused.code == 1 and "Traceback" not in refused.err
        assert f"the ledger has no record of {BRIEF} edition {WEEK}, which went out" in refused.err
        assert "--i-know-the-ledger-is-new" in refused.err
        assert len(server.handler.received) == 4
    assert send(ws, server, "--i-know-the-ledger-is-new").code == 0  # the operator's explicit choice
    assert set(received(server).values()) == {2}


# --- one reader never blocks the list; the scheduler keeps at it ------------------------------------


def test_a_greylisted_reader_under_the_scheduler_is_retried_until_served(
        ws: Workspace, server: Server, now: Clock) -> None:
    server.handler.rcpt_replies["ken.sato@example.jp"] = "451 4.7.1 Greylisted, come back later"
    first = schedule_once(ws, server)
    assert first.code == 1
    assert sorted(received(server)) == ["alice@example.com", "bob.chen@example.com", "hanako.yamada@example.jp"]
    assert states(ws)["ken.sato@example.jp"] == "waiting"
    assert status(ws).code == 1
    now.now += dt.timedelta(minutes=10)
    assert schedule_once(ws, server).code == 1  # not yet: the retry comes after 30 minutes
    assert len(server.handler.received) == 3
    del server.handler.rcpt_replies["ken.sato@example.jp"]
    now.now += dt.timedelta(minutes=25)
    assert schedule_once(ws, server).code == 0
    assert set(received(server).values()) == {1} and len(received(server)) == 4
    assert set(states(ws).values()) == {"sent"} and status(ws).code == 0


def test_a_slow_final_reply_is_waited_for_not_resent(ws: Workspace, server: Server, now: Clock) -> None:
    server.handler.data_delay = 0.5
    result = send(ws, server, timeout=0.2)  # data_timeout keeps its default of 10 minutes
    assert result.code == 0, result.out
    assert set(received(server).values()) == {1} and len(received(server)) == 4


# --- several senders, killed senders ----------------------------------------------------------------


def spawn(ws: Workspace, server: Server, command: list[str], **settings: object) -> subprocess.Popen[str]:
    config = ws.smtp_config(server, **settings)
    argv = [sys.executable, str(ROOT / "run.py"), *options(ws), *command,
            "--readers", str(ws.data / "readers.csv"), "--config", str(config)]
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], seconds: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out, err


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_two_sends_at_once_deliver_each_reader_exactly_once(ws: Workspace, server: Server) -> None:
    addresses = write_readers(ws, 300)
    server.handler.data_delay = 0.002
    first = spawn(ws, server, ["send", BRIEF, "--edition", WEEK])
    second = spawn(ws, server, ["send", BRIEF, "--edition", WEEK])
    results = [finish(first), finish(second)]
    assert all("Traceback" not in err for _, _, err in results), results
    counts = received(server)
    assert sorted(counts) == addresses and set(counts.values()) == {1}
    assert 0 in [code for code, _, _ in results]
    final = send(ws, server, "--edition", WEEK)
    assert final.code == 0 and "0 sent, 300 already delivered" in final.out


def test_sigterm_to_schedule_once_finishes_the_message_in_flight(ws: Workspace, server: Server) -> None:
    write_readers(ws, 40)
    server.handler.data_delay = 0.05
    process = spawn(ws, server, ["schedule", "--once"])
    wait_for(lambda: len(server.handler.received) >= 3)
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    assert code == 130 and "Traceback" not in err, err
    sent = len(server.handler.received)
    assert 3 <= sent < 40
    rows = json.loads(status(ws).out)[0]
    assert rows["counts"]["in flight"] == 0 and rows["counts"]["sent"] == sent  # nothing left half-done
    assert run(*options(ws), "schedule", "--once", *delivery_args(ws, server)).code == 0
    assert set(received(server).values()) == {1} and len(received(server)) == 40


def test_a_killed_sender_repeats_at_most_the_message_in_flight(ws: Workspace, server: Server) -> None:
    write_readers(ws, 40)
    server.handler.data_delay = 0.05
    process = spawn(ws, server, ["send", BRIEF, "--edition", WEEK])
    wait_for(lambda: len(server.handler.received) >= 5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    server.handler.data_delay = 0
    rerun = send(ws, server, "--edition", WEEK)
    assert rerun.code == 0, rerun.out
    counts = received(server)
    assert len(counts) == 40 and sum(counts.values()) <= 41  # at most the one in flight, twice

