"""Weekly scheduler: one edition per week, one catch-up, bounded retries, DST, one instance, clean stop.

The runner and ``schedule`` read the wall clock; ``travel`` (tests/wallclock.py) stops and moves it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from wallclock import Clock, Travel

from briefgen.base.errors import AuthenticationFailed, ScheduleError
from briefgen.base.model import Slot
from briefgen.deliver.editions import week_key as edition_key
from briefgen.deliver.scheduling import (
    Job,
    Outcome,
    SingleInstanceLock,
    StateStore,
    WeeklyRunner,
    install_signal_handlers,
)

UTC = dt.timezone.utc
TOKYO_MONDAY = Slot("monday", dt.time(8, 0), "Asia/Tokyo")  # 2025-03-03 08:00 JST = 2025-03-02 23:00 UTC
NY_SPRING = Slot("sunday", dt.time(2, 30), "America/New_York")  # 2025-03-09: 02:00 → 03:00
NY_FALL = Slot("sunday", dt.time(1, 30), "America/New_York")  # 2025-11-02: 01:00–02:00 twice


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


class Recorder:
    """A job that records (edition, clock time) and raises while ``failures`` is positive; after that
    it reports its week unfinished while ``unfinished`` is positive."""

    def __init__(self, clock: Clock, failures: int = 0, unfinished: int = 0, slot: Slot = TOKYO_MONDAY) -> None:
        self.clock = clock
        self.failures = failures
        self.unfinished = unfinished
        self.slot = slot
        self.calls: list[tuple[str, dt.datetime]] = []

    def __call__(self, now: dt.datetime) -> Outcome:
        edition = edition_key(self.slot, now)
        self.calls.append((edition, self.clock()))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("SMTP down: connection refused")
        if self.unfinished:
            self.unfinished -= 1
            return Outcome(edition, complete=False, ok=False, summary="1 waiting: 451 greylisted")
        return Outcome(edition, complete=True, ok=True, summary="2 sent")

    @property
    def editions(self) -> list[str]:
        return [edition for edition, _ in self.calls]


def runner_for(tmp_path: Path, slot: Slot, job: Job, done: str | None = None) -> WeeklyRunner:
    """A runner for one brief "b" whose state says edition ``done`` was already made."""
    store = StateStore(tmp_path / "state.json")
    if done:
        store.record_success("b", done)
    return WeeklyRunner({"b": (slot, job)}, store, sleep=no_sleep)


def no_sleep(seconds: float) -> None:
    raise AssertionError("tick() must not sleep")


def tick_every(runner: WeeklyRunner, clock: Clock, count: int, **step: float) -> None:
    for _ in range(count):
        runner.tick()
        clock.advance(**step)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2025, 3, 2, 23, 0), "2025-03-03"),  # at the slot
        (utc(2025, 3, 2, 22, 59, 59), "2025-02-24"),  # just before: last week's
        (utc(2025, 3, 9, 22, 59), "2025-03-03"),  # next Monday, before 08:00 JST
    ],
)
def test_edition_key_is_the_latest_slot_date_in_the_slot_zone(now: dt.datetime, expected: str) -> None:
    assert edition_key(TOKYO_MONDAY, now) == expected


def test_a_weeks_slot_fires_once(tmp_path: Path, no_warnings: None, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 22, 0))  # 07:00 JST, an hour before the slot
    job = Recorder(clock)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24")
    tick_every(runner, clock, 600, minutes=1)  # before, at, and ~9 hours after
    assert job.calls == [("2025-03-03", utc(2025, 3, 2, 23, 0))]
    clock.now = utc(2025, 3, 9, 23, 0)
    tick_every(runner, clock, 10, minutes=1)
    assert job.editions == ["2025-03-03", "2025-03-10"]


def test_first_start_makes_the_current_weeks_edition_once(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 5, 12, 0))  # a Wednesday; no state yet
    job = Recorder(clock)
    tick_every(runner_for(tmp_path, TOKYO_MONDAY, job), clock, 50, minutes=1)
    assert job.editions == ["2025-03-03"]


def test_downtime_over_three_slots_gives_one_catch_up(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 26, 3, 0))  # slots of 03-10, 03-17, 03-24 missed while down
    job = Recorder(clock)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-03-03")
    tick_every(runner, clock, 100, minutes=1)
    assert job.editions == ["2025-03-24"]
    restarted = runner_for(tmp_path, TOKYO_MONDAY, job)
    tick_every(restarted, clock, 100, minutes=1)
    assert job.editions == ["2025-03-24"]


def test_a_raising_job_is_retried_with_backoff_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, travel: Travel
) -> None:
    caplog.set_level(logging.ERROR, logger="briefgen")
    clock = travel(utc(2025, 3, 2, 23, 0))
    job = Recorder(clock, failures=1000)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24")
    tick_every(runner, clock, 16 * 60, minutes=1)  # never raises out of tick()
    # 30 min, then doubling, capped at 4 hours
    assert [t.strftime("%H:%M") for _, t in job.calls] == ["23:00", "23:30", "00:30", "02:30", "06:30",
                                                            "10:30", "14:30"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 7
    assert "b edition 2025-03-03 failed: RuntimeError: SMTP down: connection refused" in errors[0].getMessage()
    assert all(r.exc_info is None for r in errors)
    state = json.loads((tmp_path / "state.json").read_text())["briefs"]["b"]
    assert state["failed_edition"] == "2025-03-03"
    assert state["failure"] == "RuntimeError: SMTP down: connection refused"
    assert state["last_edition"] == "2025-02-24"


def test_a_failed_week_succeeds_on_retry_then_stops(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    job = Recorder(clock, failures=2)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24")
    tick_every(runner, clock, 300, minutes=1)
    assert job.editions == ["2025-03-03"] * 3
    assert StateStore(tmp_path / "state.json").get("b").last_edition == "2025-03-03"


def test_retry_pace_survives_a_restart(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    job = Recorder(clock, failures=1000)
    runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24").tick()
    clock.advance(minutes=5)
    tick_every(runner_for(tmp_path, TOKYO_MONDAY, job), clock, 20, minutes=1)
    assert len(job.calls) == 1


def test_retries_end_when_the_next_weeks_slot_comes(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 9, 22, 0))  # an hour before the 03-10 slot; 03-03 still failing
    job = Recorder(clock, failures=1000)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24")
    tick_every(runner, clock, 120, minutes=1)
    assert job.editions == ["2025-03-03", "2025-03-03", "2025-03-10", "2025-03-10"]


def test_clock_jumping_back_after_a_send_does_not_resend(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    job = Recorder(clock)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24")
    runner.tick()
    clock.advance(minutes=10)
    clock.advance(hours=-1)
    tick_every(runner, clock, 120, minutes=1)
    assert job.editions == ["2025-03-03"]


def test_spring_forward_over_the_slot_still_makes_the_weeks_edition(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 9, 5, 0))  # 00:00 EST; 02:30 does not exist that day
    job = Recorder(clock, slot=NY_SPRING)
    runner = runner_for(tmp_path, NY_SPRING, job, done="2025-03-02")
    tick_every(runner, clock, 8 * 60, minutes=1)
    assert job.calls == [("2025-03-09", utc(2025, 3, 9, 7, 30))]  # 03:30 EDT: shifted by the gap


def test_fall_back_repeated_hour_fires_once(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 11, 2, 4, 0))  # 00:00 EDT; 01:30 happens at 05:30 and 06:30 UTC
    job = Recorder(clock, slot=NY_FALL)
    runner = runner_for(tmp_path, NY_FALL, job, done="2025-10-26")
    tick_every(runner, clock, 8 * 60, minutes=1)
    assert job.calls == [("2025-11-02", utc(2025, 11, 2, 5, 30))]  # the first 01:30 (EDT)


@pytest.mark.parametrize(
    ("slot", "start", "sundays"),
    [
        (NY_SPRING, utc(2025, 2, 23, 12), ["2025-03-02", "2025-03-09", "2025-03-16", "2025-03-23"]),
        (NY_FALL, utc(2025, 10, 19, 12), ["2025-10-26", "2025-11-02", "2025-11-09", "2025-11-16"]),
    ],
)
def test_one_run_per_week_across_a_dst_change(
    tmp_path: Path, slot: Slot, start: dt.datetime, sundays: list[str], travel: Travel
) -> None:
    clock = travel(start)
    job = Recorder(clock, slot=slot)
    runner = runner_for(tmp_path, slot, job, done=edition_key(slot, start))
    tick_every(runner, clock, 4 * 7 * 24 * 4, minutes=15)
    assert job.editions == sundays
    local_times = {t.astimezone(ZoneInfo(slot.tz)).time() for _, t in job.calls}
    assert local_times <= {slot.at, dt.time(3, 30)}


def test_an_unfinished_week_is_retried_until_every_reader_is_served(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    job = Recorder(clock, unfinished=2)  # a greylisted reader: twice still waiting, then served
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2025-02-24")
    tick_every(runner, clock, 6 * 60, minutes=1)
    assert [t.strftime("%H:%M") for _, t in job.calls] == ["23:00", "23:30", "00:30"]
    state = StateStore(tmp_path / "state.json").get("b")
    assert state.last_edition == "2025-03-03" and state.failures == 2
    assert "unfinished: 1 waiting: 451 greylisted" in state.failure


def test_run_once_says_whether_the_week_is_done(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    runner = runner_for(tmp_path, TOKYO_MONDAY, Recorder(clock, unfinished=1), done="2025-02-24")
    assert runner.run_once(threading.Event()) is False
    assert runner.unfinished() == ("b",)
    clock.advance(minutes=31)
    assert runner.run_once(threading.Event()) is True and runner.unfinished() == ()


def test_a_refused_login_pauses_every_retry_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, travel: Travel
) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    calls: list[dt.datetime] = []

    def refused(now: dt.datetime) -> Outcome:
        calls.append(now)
        raise AuthenticationFailed("127.0.0.1:25: user: authentication failed: 535 5.7.8 bad credentials")

    store = StateStore(tmp_path / "state.json")
    store.record_success("a", "2025-02-24")
    store.record_success("b", "2025-02-24")
    runner = WeeklyRunner({"a": (TOKYO_MONDAY, refused), "b": (TOKYO_MONDAY, Recorder(clock))}, store, no_sleep)
    tick_every(runner, clock, 24 * 60, minutes=1)
    assert len(calls) == 1  # not every 30 minutes
    assert store.get("b").last_edition == "2025-02-24"  # the same server would refuse b's login too
    assert "retries paused: fix the credentials, then restart the scheduler" in caplog.text
    assert "retries paused" in store.get("a").failure


def test_a_future_dated_last_edition_is_logged_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, travel: Travel
) -> None:
    clock = travel(utc(2025, 3, 5, 12, 0))  # the clock had jumped to 2027, then was corrected
    job = Recorder(clock)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2027-03-01")
    tick_every(runner, clock, 30, minutes=1)
    assert job.editions == ["2025-03-03"]
    assert "the last recorded edition 2027-03-01 is dated after today (2025-03-05)" in caplog.text


def test_a_clock_corrected_back_by_years_while_running_rearms_the_slots(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2027, 3, 1, 23, 0))  # the clock is two years ahead when the scheduler starts
    job = Recorder(clock)
    runner = runner_for(tmp_path, TOKYO_MONDAY, job, done="2027-02-22")
    runner.tick()
    clock.now = utc(2025, 3, 5, 12, 0)  # corrected: schedule's slot job still waits for 2027-03-08
    tick_every(runner, clock, 10, minutes=1)
    clock.now = utc(2025, 3, 9, 22, 50)
    tick_every(runner, clock, 20, minutes=1)
    assert job.calls == [("2027-03-01", utc(2027, 3, 1, 23, 0)), ("2025-03-03", utc(2025, 3, 5, 12, 0)),
                         ("2025-03-10", utc(2025, 3, 9, 23, 0))]
    assert runner.next_runs() == {"b": utc(2025, 3, 16, 23, 0)}


def test_schedules_early_alarm_after_a_spring_forward_day_sends_nothing_early(
    tmp_path: Path, travel: Travel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="briefgen")
    clock = travel(utc(2025, 3, 9, 8, 0))  # 04:00 EDT on the day 02:30 was skipped; that week is done
    job = Recorder(clock, slot=NY_SPRING)
    runner = runner_for(tmp_path, NY_SPRING, job, done="2025-03-09")
    runner.tick()
    assert runner.next_runs() == {"b": utc(2025, 3, 16, 6, 30)}  # 02:30 EDT, the slot
    clock.now = utc(2025, 3, 16, 5, 0)
    tick_every(runner, clock, 120, minutes=1)
    assert job.calls == [("2025-03-16", utc(2025, 3, 16, 6, 30))]
    # schedule 1.2.2 rang an hour early (01:30 EDT): the wake-up found nothing due. If this fails after
    # an upgrade, schedule computes that slot right: drop the note in briefgen/deliver/scheduling.py.
    assert [r.created for r in caplog.records if "woken, nothing due" in r.getMessage()] == [
        utc(2025, 3, 16, 5, 30).timestamp()]


def test_a_host_clock_in_a_zone_that_repeats_an_hour_still_meets_the_slot(tmp_path: Path, travel: Travel) -> None:
    # The host runs on Berlin time: 2025-10-26 02:00-03:00 happens twice there, and the slot (01:30 UTC)
    # is the second 02:30, which schedule's naive local times cannot tell from the first (00:30 UTC).
    utc_slot = Slot("sunday", dt.time(1, 30), "UTC")
    clock = travel(dt.datetime(2025, 10, 26, 1, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    job = Recorder(clock, slot=utc_slot)
    runner = runner_for(tmp_path, utc_slot, job, done="2025-10-19")
    tick_every(runner, clock, 4 * 60, minutes=1)
    assert job.calls == [("2025-10-26", utc(2025, 10, 26, 1, 30))]


def test_a_slot_moved_to_a_later_weekday_makes_no_second_edition_that_week(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 5, 12, 0))  # Wednesday; Monday's edition of this week is done
    friday = Slot("friday", dt.time(8, 0), "Asia/Tokyo")
    job = Recorder(clock, slot=friday)
    runner = runner_for(tmp_path, friday, job, done="2025-03-03")
    tick_every(runner, clock, 5 * 24 * 4, minutes=15)  # through Friday and the next Monday
    assert job.editions == []
    clock.now = utc(2025, 3, 14, 0, 0)  # the next week's Friday slot
    runner.tick()
    assert job.editions == ["2025-03-14"]


def test_unknown_time_zone_is_refused_with_the_field(tmp_path: Path, travel: Travel) -> None:
    slot = Slot("monday", dt.time(8, 0), "Mars/Olympus")
    with pytest.raises(ScheduleError, match=r"b: schedule.tz: unknown time zone 'Mars/Olympus'"):
        runner_for(tmp_path, slot, Recorder(travel(utc(2025, 3, 3))))


def test_damaged_state_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"state.json: unreadable scheduler state"):
        StateStore(path)


def test_run_forever_ticks_and_sleeps_until_stopped_despite_a_failing_brief(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 22, 58))
    good, bad = Recorder(clock), Recorder(clock, failures=1000)
    stop = threading.Event()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds=seconds)
        if len(sleeps) == 10:
            stop.set()

    store = StateStore(tmp_path / "state.json")
    for brief in ("good", "bad"):
        store.record_success(brief, "2025-02-24")
    jobs: dict[str, tuple[Slot, Job]] = {"bad": (TOKYO_MONDAY, bad), "good": (TOKYO_MONDAY, good)}
    WeeklyRunner(jobs, store, sleep).run_forever(stop)
    assert sleeps == [30.0] * 10
    assert good.editions == ["2025-03-03"]
    assert bad.editions == ["2025-03-03"]  # failed once; next try only after retry_after


@pytest.fixture
def restore_signals() -> Iterator[list[Callable[[], None]]]:
    restorers: list[Callable[[], None]] = []
    yield restorers
    for restore in restorers:
        restore()


def test_sigterm_finishes_the_job_in_flight_then_exits(
    tmp_path: Path, restore_signals: list[Callable[[], None]], travel: Travel
) -> None:
    stop = threading.Event()
    restore_signals.append(install_signal_handlers(stop))
    clock = travel(utc(2025, 3, 2, 23, 0))
    events: list[str] = []
    sleeps: list[float] = []

    def first(now: dt.datetime) -> Outcome:
        edition = edition_key(TOKYO_MONDAY, now)
        events.append(f"a {edition} started")
        os.kill(os.getpid(), signal.SIGTERM)
        events.append(f"a {edition} finished, stop={stop.is_set()}")
        return Outcome(edition, complete=True, ok=True)

    store = StateStore(tmp_path / "state.json")
    jobs: dict[str, tuple[Slot, Job]] = {
        "a": (TOKYO_MONDAY, first),
        "b": (TOKYO_MONDAY, Recorder(clock)),
    }
    WeeklyRunner(jobs, store, sleeps.append).run_forever(stop)
    assert events == ["a 2025-03-03 started", "a 2025-03-03 finished, stop=True"]
    assert sleeps == []
    assert store.get("a").last_edition == "2025-03-03"
    assert store.get("b").last_edition is None  # not started after the stop: it runs on the next start


def test_sigint_sets_the_stop_event(restore_signals: list[Callable[[], None]]) -> None:
    stop = threading.Event()
    restore_signals.append(install_signal_handlers(stop))
    handler = signal.getsignal(signal.SIGINT)
    assert callable(handler)
    handler(signal.SIGINT, None)
    assert stop.is_set()


def test_a_second_scheduler_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schedule.lock"
    with SingleInstanceLock(path):
        with pytest.raises(ScheduleError, match=rf"already running \(pid {os.getpid()}, since 20\d\d-"):
            SingleInstanceLock(path).acquire()
    with SingleInstanceLock(path):
        assert path.read_text().split()[0] == str(os.getpid())


def test_a_stale_lock_from_a_killed_process_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "schedule.lock"
    code = (
        "import sys; from pathlib import Path; from briefgen.deliver.scheduling import SingleInstanceLock;"
        f"SingleInstanceLock(Path({str(path)!r})).acquire(); print('locked', flush=True); sys.stdin.read()"
    )
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "locked\n"
        with pytest.raises(ScheduleError, match=rf"already running \(pid {child.pid}, since"):
            SingleInstanceLock(path).acquire()
    finally:
        child.kill()
        child.wait()
    assert path.read_text().split()[0] == str(child.pid)  # the file is still there, the lock is not
    with SingleInstanceLock(path):
        assert path.read_text().split()[0] == str(os.getpid())


def test_a_state_path_that_cannot_be_read_is_a_located_error(tmp_path: Path) -> None:
    folder = tmp_path / "state.json"
    folder.mkdir()  # a folder where the state file should be
    with pytest.raises(ScheduleError, match=r"state.json: cannot read the file"):
        StateStore(folder).get("b")


def test_a_run_stopped_midway_is_not_a_failure_the_next_start_goes_on_at_once(tmp_path: Path, travel: Travel) -> None:
    clock = travel(utc(2025, 3, 2, 23, 0))
    stop = threading.Event()

    def stopped(now: dt.datetime) -> Outcome:
        stop.set()  # SIGTERM arrived while this edition was going out
        return Outcome("2025-03-03", complete=False, ok=False, summary="3 sent, 37 not tried")

    store = StateStore(tmp_path / "state.json")
    store.record_success("b", "2025-02-24")
    assert WeeklyRunner({"b": (TOKYO_MONDAY, stopped)}, store, no_sleep).run_once(stop) is False
    assert store.get("b").failed_at is None  # no backoff: a restart resumes the week straight away
    job = Recorder(clock)
    assert runner_for(tmp_path, TOKYO_MONDAY, job).run_once(threading.Event()) is True
    assert job.editions == ["2025-03-03"]
