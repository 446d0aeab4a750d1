"""Hardening, schedule and delivery (issue 6, cases 18–24), through ``run.py send/status/schedule``.

test_mail, test_send and test_scheduling pin the transport, the ledger logic and the runner with
injected clocks; here the same faults reach a real aiosmtpd server through the command line (or, for
the daylight-saving cases, through the weekly runner driving real deliveries).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import trustme
from conftest import ROOT
from hardening import BRIEF, EDITION, Result, Workspace, assert_refused, run
from smtpserver import PASSWORD, USER, Server, ServerFactory
from wallclock import Travel

from briefgen.base.model import Slot
from briefgen.deliver import delivery
from briefgen.deliver.scheduling import Outcome, StateStore, WeeklyRunner

ADDRESSES = ["hanako.yamada@example.jp", "ken.sato@example.jp", "alice@example.com", "bob.chen@example.com"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "SECURITY", "USER", "SENDER", "CA_FILE", "PASSWORD", "PASSWORD_FILE"):
        monkeypatch.delenv(f"BRIEFGEN_SMTP_{name}", raising=False)


def delivered(server: Server) -> list[str]:
    return sorted(address for r in server.handler.received for address in r.rcpt_tos)


def status(ws: Workspace, served: bool = True) -> str:
    """``run.py status``: exit 0 only when every reader has the edition."""
    result = run(*ws.options(), "status", BRIEF, "--readers", str(ws.data / "readers.csv"))
    assert result.code == (0 if served else 1), result
    return result.out


def assert_unserved(result: Result, *lines: str) -> None:
    """Exit 1, no traceback, and the send summary on stdout holding each of ``lines``."""
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out
    for line in lines:
        assert line in result.out.splitlines(), (line, result.out)


def schedule_once(ws: Workspace, server: Server, *extra: str) -> Result:
    return run(*ws.options(), "schedule", "--once", "--readers", str(ws.data / "readers.csv"),
               "--config", str(ws.smtp_config(server)), *extra)


# --- 18. one scheduler at a time, stale locks recovered ---------------------------------------------

HOLD_LOCK = """
import sys
from pathlib import Path
from briefgen.deliver.scheduling import SingleInstanceLock
lock = SingleInstanceLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def lock_holder(ws: Workspace) -> Iterator[subprocess.Popen[str]]:
    """Another scheduler process holding the lock in the state folder."""
    ws.state.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(ws.state / "schedule.lock")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None and child.stdout.readline() == "locked\n"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait()


def test_18_a_second_scheduler_says_already_running_and_a_killed_ones_lock_is_recovered(
        ws: Workspace, server: Server, lock_holder: subprocess.Popen[str]) -> None:
    assert_refused(schedule_once(ws, server), f"error: {ws.state / 'schedule.lock'}: already running "
                                          f"(pid {lock_holder.pid}, since ",
                   "(expected one scheduler at a time: stop the other one first)")
    assert server.handler.received == []
    lock_holder.send_signal(signal.SIGKILL)
    lock_holder.wait()
    assert str(lock_holder.pid) in (ws.state / "schedule.lock").read_text()  # the stale holder's note
    again = schedule_once(ws, server)
    assert again.code == 0, again.err
    assert delivered(server) == sorted(ADDRESSES)


def test_18_a_strict_scheduler_sends_no_edition_whose_build_warned_and_tries_again(
        ws: Workspace, server: Server, travel: Travel) -> None:
    clock = travel(utc(2024, 7, 29, 0, 5))  # Monday 09:05 in Tokyo, just after the brief's 08:00 slot
    template = ws.templates / BRIEF / "en.md"
    clean = template.read_text(encoding="utf-8")
    template.write_text(clean + "\nThat is about 3.5× the earlier plan.\n", encoding="utf-8")
    refused = schedule_once(ws, server, "--strict")
    assert refused.code == 1 and "--strict: 1 warning, nothing was frozen or sent: " in refused.err
    assert "a number typed into the template: '3.5×'" in refused.err and server.handler.received == []
    template.write_text(clean, encoding="utf-8")  # the editor fixes the template; the retry sends
    clock.advance(minutes=31)
    again = schedule_once(ws, server, "--strict")
    assert again.code == 0, again.err
    assert delivered(server) == sorted(ADDRESSES)


# --- 19. daylight saving: no resend, no skipped week ------------------------------------------------


def runner(ws: Workspace, server: Server, slot: Slot) -> WeeklyRunner:
    """The weekly runner driving real deliveries, with ``slot`` written into the brief's spec too."""
    spec = ws.brief_dir / "brief.yaml"
    text = re.sub(r"(?m)^schedule: .*$", f'schedule: {{weekday: {slot.weekday}, at: "{slot.at:%H:%M}", '
                                          f"tz: {slot.tz}}}", spec.read_text(encoding="utf-8"))
    spec.write_text(text, encoding="utf-8")
    where = delivery.Delivery(readers_path=ws.data / "readers.csv", ledger_path=ws.state / "ledger.sqlite3",
                              data_dir=ws.data, reports_dir=ws.reports, templates_dir=ws.templates)

    def job(now: dt.datetime) -> Outcome:
        report = delivery.deliver(BRIEF, where, server.settings(), now=now)
        return Outcome(report.edition, complete=report.complete, ok=report.ok)

    return WeeklyRunner({BRIEF: (slot, job)}, StateStore(ws.state / "schedule.json"), sleep=lambda seconds: None)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def test_19_the_clock_jumping_back_after_a_send_does_not_resend(ws: Workspace, server: Server,
                                                                 travel: Travel) -> None:
    clock = travel(utc(2024, 11, 3, 5, 31))  # 01:31 EDT, just after the Sunday 01:30 slot
    weekly = runner(ws, server, Slot("sunday", dt.time(1, 30), "America/New_York"))
    weekly.tick()
    assert delivered(server) == sorted(ADDRESSES)
    for now in (utc(2024, 11, 3, 4, 31), utc(2024, 11, 3, 6, 31), utc(2024, 11, 3, 12, 0)):
        clock.now = now  # an hour back; then 01:31 EST, the repeated hour; then later that day
        weekly.tick()
    assert delivered(server) == sorted(ADDRESSES)
    assert "2024-11-03: 4 sent, 0 failed, 0 waiting, 0 in flight, 0 never tried" in status(ws)


def test_19_spring_forward_over_the_slot_still_makes_the_weeks_one_edition(ws: Workspace, server: Server,
                                                                           travel: Travel) -> None:
    clock = travel(utc(2024, 3, 9, 12, 0))  # first start: the week of Sunday 3 March gets its edition
    weekly = runner(ws, server, Slot("sunday", dt.time(2, 30), "America/New_York"))
    weekly.tick()
    clock.now = utc(2024, 3, 10, 6, 59)  # 01:59 EST; 02:30 never happens on 10 March
    weekly.tick()
    assert delivered(server) == sorted(ADDRESSES)
    for now in (utc(2024, 3, 10, 7, 31), utc(2024, 3, 10, 8, 31), utc(2024, 3, 16, 12, 0)):
        clock.now = now  # 03:31 EDT (the slot, shifted by the gap), then later that week
        weekly.tick()
    assert delivered(server) == sorted(ADDRESSES * 2)
    assert "2024-03-10: 4 sent, 0 failed, 0 waiting, 0 in flight, 0 never tried" in status(ws)
    assert (ws.reports / BRIEF / "2024-03-10.en.pdf").is_file()


# --- 20. refused, timed out, 421, 535 ---------------------------------------------------------------


def test_20_connection_refused_is_retried_a_bounded_number_of_times_then_recorded(
        ws: Workspace, smtp_server: ServerFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    down = smtp_server("none", start=False)
    reason = f"not delivered by 127.0.0.1:{down.port} after 3 tries: ConnectionRefusedError"
    result = ws.send(down)
    assert_unserved(result, f"{BRIEF} {EDITION}: 0 sent, 0 already delivered, 0 failed, 3 waiting, 1 not tried")
    tries = [r.getMessage() for r in caplog.records if "unavailable (" in r.getMessage()]
    assert [t.split("; ")[1] for t in tries[:2]] == ["try 1 of 3 failed, retrying in 0 s",
                                                     "try 2 of 3 failed, retrying in 0 s"]
    assert len(tries) == 6  # 3 readers × 2 waits, then the run stops trying: the server is down
    report = status(ws, served=False)
    assert f"waiting     {ADDRESSES[0]}" in report and reason in report
    assert "0 sent, 0 failed, 3 waiting, 0 in flight, 1 never tried" in report
    server = smtp_server("none")  # the server is back: the next run reaches everyone, once
    rerun = run(*ws.options(), "send", BRIEF, "--readers", str(ws.data / "readers.csv"),
                "--config", str(ws.smtp_config(server)))
    assert rerun.code == 0 and delivered(server) == sorted(ADDRESSES)


def test_20_a_silent_server_times_out_and_is_recorded(ws: Workspace, server: Server, silent_port: int) -> None:
    result = ws.send(server, port=silent_port, timeout=0.2, max_attempts=2)
    assert result.code == 1
    line = next(text for text in result.out.splitlines() if text.startswith(f"  waiting {ADDRESSES[0]}: "))
    assert f"not delivered by 127.0.0.1:{silent_port} after 2 tries: " in line
    assert "TimeoutError" in line or "SMTPServerDisconnected" in line
    assert "after 2 tries" in status(ws, served=False)


def test_20_a_421_for_one_reader_parks_them_and_the_rest_of_the_list_still_gets_it(
        ws: Workspace, server: Server) -> None:
    server.handler.rcpt_replies[ADDRESSES[0]] = "421 4.3.2 Service shutting down"
    reply = "after 3 tries: 421 4.3.2 Service shutting down"
    result = ws.send(server)
    assert_unserved(result, f"{BRIEF} {EDITION}: 3 sent, 0 already delivered, 0 failed, 1 waiting")
    assert delivered(server) == sorted(ADDRESSES[1:])
    report = status(ws, served=False)
    assert f"waiting     {ADDRESSES[0]}  2 attempts; " in report and reply in report  # retried at the end
    del server.handler.rcpt_replies[ADDRESSES[0]]
    assert ws.send(server).code == 0
    assert delivered(server) == sorted(ADDRESSES)


@pytest.fixture
def tls_server(smtp_server: ServerFactory, ca: trustme.CA, ws: Workspace) -> tuple[Server, Path]:
    server = smtp_server("starttls")
    ca_file = ws.root / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, ca_file


def test_20_an_authentication_failure_is_not_retried_and_the_password_never_shows(
        ws: Workspace, tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server, ca_file = tls_server
    wrong = "Wr0ng-" + PASSWORD
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", wrong)
    result = ws.send(server, user=USER, ca_file=str(ca_file))
    assert_refused(result, "authentication failed: 535 5.7.8 Authentication credentials invalid")
    # one login() call (smtplib tries each mechanism the server offers once), no retry, no mail
    assert len(server.handler.auth_commands) == len(set(server.handler.auth_commands)) >= 1
    assert "retrying" not in caplog.text and server.handler.received == []
    for shown in (result.out, result.err, caplog.text, status(ws, served=False)):
        assert wrong not in shown and PASSWORD not in shown


# --- 21. STARTTLS configured, not offered -----------------------------------------------------------


def test_21_no_starttls_on_offer_means_no_credentials_and_no_mail(
        ws: Workspace, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    result = ws.send(server, security="starttls", user=USER)
    assert_refused(result, f"127.0.0.1:{server.port}: security: the server does not offer STARTTLS; nothing "
                           "was sent and no credentials were given")
    assert server.handler.auth_commands == [] and server.handler.logins == []
    assert server.handler.received == []


# --- 22. too large for the cap or the server --------------------------------------------------------


@pytest.mark.parametrize(("limit", "whose"), [("cap", "the configured cap accepts 1000"),
                                              ("server", "the server accepts 5000")])
def test_22_an_oversize_message_is_not_sent_and_is_recorded(ws: Workspace, smtp_server: ServerFactory,
                                                            limit: str, whose: str) -> None:
    server = smtp_server("none", data_size_limit=5000 if limit == "server" else 33554432)
    settings = {"max_message_bytes": 1000} if limit == "cap" else {}
    result = ws.send(server, **settings)
    assert result.code == 1 and "Traceback" not in result.err
    assert server.handler.received == []
    report = status(ws, served=False)
    assert "0 sent, 4 failed, 0 waiting, 0 in flight, 0 never tried" in report
    for address in ADDRESSES:
        line = next(text for text in result.out.splitlines() if text.startswith(f"  failed {address}: "))
        assert f"bytes, {whose}: lower the PDF/image size" in line and line.endswith("(not sent)")
        assert f"failed      {address}" in report


# --- 23. bad readers, no readers --------------------------------------------------------------------


def test_23_bad_readers_are_all_located_before_anything_is_built_or_sent(ws: Workspace, server: Server) -> None:
    readers = ws.data / "readers.csv"
    readers.write_text("name,email,lang,briefs\n"
                       "Alice,alice@example.com,en,xai-colossus\n"
                       "Alice again,ALICE@Example.com,en,xai-colossus\n"
                       "Typo,not-an-address,en,xai-colossus\n"
                       '"Mallory\r\nBcc: everyone@example.com",mallory@example.com,en,xai-colossus\n',
                       encoding="utf-8")
    assert_refused(ws.send(server),
                   f"{readers}:3: email: duplicate address 'ALICE@Example.com' (first on line 2; addresses "
                   "compare ignoring case) (expected each reader once)",
                   f"{readers}:4: email: 'not-an-address' is not a usable address",
                   f"{readers}:5: name: control characters U+000A, U+000D in the name")
    ws.assert_untouched()
    assert server.handler.received == []


def test_23_an_empty_readers_list_sends_nothing_and_warns(ws: Workspace, server: Server,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    readers = ws.data / "readers.csv"
    readers.write_text("name,email,lang,briefs\n", encoding="utf-8")
    result = ws.send(server)
    assert result.code == 0 and "0 sent" in result.out
    assert server.handler.received == []
    assert f"{readers}: the readers file lists no readers; nothing will be sent" in caplog.text


# --- 24. no password in the environment -------------------------------------------------------------


@pytest.mark.parametrize("command", ["send", "schedule"])
def test_24_a_missing_password_variable_is_a_startup_error_naming_it(ws: Workspace, server: Server,
                                                                    command: str) -> None:
    config = ws.smtp_config(server, security="starttls", user=USER)
    args = [BRIEF] if command == "send" else ["--once"]
    result = run(*ws.options(), command, *args, "--readers", str(ws.data / "readers.csv"), "--config", str(config))
    assert_refused(result, f"error: {config}: BRIEFGEN_SMTP_PASSWORD: user '{USER}' is set but no password "
                           "was given (expected the password in the environment variable BRIEFGEN_SMTP_PASSWORD "
                           "or in a file named by BRIEFGEN_SMTP_PASSWORD_FILE)")
    ws.assert_untouched()
    assert server.handler.received == [] and not (ws.state / "ledger.sqlite3").exists()
