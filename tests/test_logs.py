"""Logs and progress (issue 12 point 5): timestamped text or JSON lines, -v/-q before or after the
command, structured fields, rate-limited progress for sends to more than 100 readers (through the CLI,
against the aiosmtpd server), and the next slot printed by ``schedule --once``."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import time

import pytest
from hardening import BRIEF, EDITION, Workspace, run
from smtpserver import Server

from briefgen.base import logs

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
MOMENT = dt.datetime(2024, 7, 29, 8, 30, 15, 250000, tzinfo=dt.timezone.utc)


def record(message: str = "chart %r has no bars", level: int = logging.WARNING, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("briefgen", level, __file__, 1, message, ("GPUs",), None)
    rec.created = MOMENT.timestamp()
    rec.__dict__.update(extra)
    return rec


def test_text_lines_start_with_the_utc_time_and_level() -> None:
    assert logs.TextFormatter().format(record()) == "2024-07-29T08:30:15.250Z WARNING briefgen: chart 'GPUs' has no bars"


def test_json_lines_carry_time_level_logger_message_and_the_structured_fields() -> None:
    line = logs.JsonFormatter().format(record(brief=BRIEF, edition=EDITION, reader="a@example.com"))
    assert json.loads(line) == {"time": "2024-07-29T08:30:15.250Z", "level": "WARNING", "logger": "briefgen",
                                "message": "chart 'GPUs' has no bars", "brief": BRIEF, "edition": EDITION,
                                "reader": "a@example.com"}
    assert "\n" not in line


def test_a_json_line_holds_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        rec = logging.LogRecord("briefgen", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    entry = json.loads(logs.JsonFormatter().format(rec))
    assert entry["message"] == "failed" and "ValueError: boom" in entry["traceback"]


def test_configured_sends_records_to_the_stream_and_puts_the_logger_back() -> None:
    logger = logging.getLogger("briefgen")
    before = (logger.level, list(logger.handlers))
    stream = io.StringIO()
    with logs.configured(stream, logging.INFO, "json"):
        logger.info("kept")
        logger.debug("dropped")
    logger.warning("after: not on the stream")
    assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == ["kept"]
    assert (logger.level, list(logger.handlers)) == before


class Clock:
    def __init__(self) -> None:
        self.now = MOMENT

    def __call__(self) -> dt.datetime:
        return self.now


def test_progress_logs_at_most_every_interval_and_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=logs.PROGRESS)
    clock = Clock()
    progress = logs.Progress("brief 2024-07-29", 250, clock, every=dt.timedelta(seconds=5), extra={"brief": "b"})
    for step in range(250):
        clock.now = MOMENT + dt.timedelta(seconds=step * 0.1)  # 25 s in all: a line every 5 s at most
        progress.step()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"brief 2024-07-29: {n} of 250 readers done" for n in (51, 101, 151, 201, 250)]
    assert [(r.done, r.total, r.brief) for r in caplog.records][-1] == (250, 250, "b")  # type: ignore[attr-defined]


def test_runs_of_100_or_fewer_show_no_progress(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=logs.PROGRESS)
    progress = logs.Progress("small", 100, Clock())
    for _ in range(100):
        progress.step()
    assert caplog.records == []


# --- through the command line ----------------------------------------------------------------------------


def write_readers(ws: Workspace, count: int) -> list[str]:
    addresses = [f"reader{i:04d}@example.com" for i in range(count)]
    lines = ["name,email,lang,briefs", *(f"Reader {i},{a},{'ja' if i % 2 else 'en'},{BRIEF}"
                                         for i, a in enumerate(addresses))]
    (ws.data / "readers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return addresses


def dry_run(ws: Workspace, server: Server, *flags: str) -> tuple[int, list[str]]:
    result = ws.send(server, "--dry-run", "--outbox", str(ws.root / "outbox"), *flags)
    return result.code, result.err.splitlines()


def test_default_logs_are_timestamped_warnings_only(ws: Workspace, server: Server) -> None:
    (ws.data / "readers.csv").write_text("name,email,lang,briefs\n", encoding="utf-8")
    code, lines = dry_run(ws, server)
    assert code == 0 and lines, lines
    for line in lines:
        assert re.fullmatch(TIME + r" WARNING briefgen: .+", line), line
    assert any("no readers receive this brief" in line for line in lines)


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_command_adds_what_is_being_done(ws: Workspace, server: Server,
                                                                      where: str) -> None:
    write_readers(ws, 2)
    quiet_code, quiet = dry_run(ws, server)
    assert quiet_code == 0 and quiet == []
    argv = [*ws.options(), "send", BRIEF, "--readers", str(ws.data / "readers.csv"), "--config",
            str(ws.smtp_config(server)), "--dry-run", "--outbox", str(ws.root / "outbox")]
    result = run("-v", *argv) if where == "before" else run(*argv, "-v")
    infos = [line for line in result.err.splitlines() if re.match(TIME + " INFO briefgen: ", line)]
    assert result.code == 0 and len(infos) == 2 and all("(dry run)" in line for line in infos), result.err


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_before_or_after_the_command_leaves_errors_only(ws: Workspace, server: Server, where: str) -> None:
    (ws.data / "readers.csv").write_text("name,email,lang,briefs\n", encoding="utf-8")
    argv = [*ws.options(), "send", BRIEF, "--readers", str(ws.data / "readers.csv"), "--config",
            str(ws.smtp_config(server)), "--dry-run"]
    result = run("-q", *argv) if where == "before" else run(*argv, "--quiet")
    assert result.code == 0 and result.err == ""
    failed = run("-q", "build", "no-such-brief", *ws.options())
    assert failed.code == 1 and failed.err.startswith("error: ")


def test_verbose_and_quiet_together_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("-v", "-q", "build", BRIEF)
    assert exit_.value.code == 2 and "exclude each other" in capsys.readouterr().err


def test_json_log_format_gives_one_object_a_line_with_the_brief_and_edition(ws: Workspace, server: Server) -> None:
    (ws.data / "readers.csv").write_text("name,email,lang,briefs\n", encoding="utf-8")
    code, lines = dry_run(ws, server, "--log-format", "json")
    entries = [json.loads(line) for line in lines]
    assert code == 0 and entries
    assert all(re.fullmatch(TIME, e["time"]) and e["level"] == "WARNING" and e["logger"] == "briefgen"
               for e in entries), entries
    (nothing,) = [e for e in entries if "no readers receive this brief" in e["message"]]
    assert (nothing["brief"], nothing["edition"]) == (BRIEF, EDITION)


def test_json_log_format_puts_the_final_error_in_a_json_line(ws: Workspace) -> None:
    result = run("--log-format", "json", "build", "no-such-brief", *ws.options())
    (entry,) = [json.loads(line) for line in result.err.splitlines()]
    assert result.code == 1 and entry["level"] == "ERROR" and entry["message"].startswith("error: ")


@pytest.mark.parametrize("flags", [(), ("--log-format", "json"), ("-q",)], ids=["text", "json", "quiet"])
def test_a_send_to_over_100_readers_shows_rate_limited_progress(ws: Workspace, server: Server,
                                                                flags: tuple[str, ...]) -> None:
    addresses = write_readers(ws, 130)
    started = time.monotonic()
    result = ws.send(server, *flags)
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    assert sorted(a for r in server.handler.received for a in r.rcpt_tos) == addresses
    progress = [line for line in result.err.splitlines() if "readers done" in line]
    if "-q" in flags:
        assert progress == [] and result.err == ""
        return
    assert 1 <= len(progress) <= 2 + elapsed / 5  # one line at most every 5 s, and the last
    if "json" in flags:
        last = json.loads(progress[-1])
        assert (last["logger"], last["level"], last["brief"], last["edition"], last["done"], last["total"]) == (
            logs.PROGRESS, "INFO", BRIEF, EDITION, 130, 130)
    else:
        assert re.fullmatch(TIME + rf" INFO briefgen.progress: {BRIEF} {EDITION}: 130 of 130 readers done",
                            progress[-1])


def test_schedule_once_prints_each_briefs_next_slot(ws: Workspace, server: Server) -> None:
    write_readers(ws, 2)
    result = run(*ws.options(), "schedule", "--once", "--readers", str(ws.data / "readers.csv"),
                 "--config", str(ws.smtp_config(server)))
    assert re.fullmatch(rf"{BRIEF} next at \d{{4}}-\d\d-\d\dT\d\d:\d\d\+00:00\n", result.out), result

