"""Brief slots + the wall clock → one edition per brief per ISO week (catch-up, retries with backoff, one instance).

``schedule`` (1.2) is the alarm clock: each brief's slot is a job on a private ``schedule.Scheduler``,
``every().<weekday>.at("HH:MM:SS", tz)`` tagged ``("slot", brief)``, and a retry is a one-shot job
``every(N).seconds`` tagged ``("retry", brief)`` that cancels itself (``schedule.CancelJob``). ``tick()``
is ``run_pending()``; ``run_forever`` sleeps ``idle_seconds`` (at most ``poll``, so a wall clock that
jumps or a suspended machine is noticed within 30 s). A job only wakes its brief: what a wake-up does
is decided here, from the persisted state and the time, because schedule by design does not:

- its ``next_run`` lives in memory and ``run_pending`` skips missed runs, while a restart after
  downtime (and every ``--once`` run of the systemd timer) must make exactly one catch-up edition;
  so the first tick, and a tick that finds the clock went back, re-plan from the state file;
- it never catches a job's exception (its docs leave that to the caller); the wake-up does, logs it,
  records it and arms the retry;
- schedule 1.2.2 puts a slot that falls in a spring-forward gap an hour early in the week after the
  change when it computed it on the day of the change (``tests/test_scheduling.py`` pins it). That
  early alarm finds nothing due and schedule re-arms it for the right instant the same day, so the
  edition goes out at the slot; ``next_runs`` reports the slot itself (``briefgen.deliver.editions``);
- its ``next_run`` is a naive local time: on a host whose own zone repeats an hour in autumn, a slot
  in the second of those hours rings in the first; that wake-up finds nothing due too.

There is one clock, the wall clock schedule reads (``datetime.datetime.now()`` in ``Job.should_run``
and ``Job._schedule_next_run``; it has no clock parameter). Tests move it with ``time-machine``,
which schedule, this module and the log timestamps all see; nothing here knows about tests.

The week a run belongs to is that of the latest slot at or before now (``briefgen.deliver.editions``). A week
is done when its job reports every reader sent or permanently refused; until then it is retried
after ``retry_after``, doubling up to ``retry_max`` (a greylisted reader is not lost, a dead server is
not hammered). The ISO week decides, not the slot's date: once a week's edition is done, neither a
slot moved to a later weekday nor a clock that jumps back makes another that week. A recorded
edition dated after today (the clock had jumped forward) is logged and ignored. A refused login
pauses every retry until the scheduler is restarted (the credentials must change first), and says so.
A brief with no recorded edition makes the current week's edition on first start.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import math
import os
import signal
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Callable, Mapping

import schedule

from briefgen.base.errors import AuthenticationFailed, Problem, ScheduleError
from briefgen.base.model import WEEKDAYS, Slot, known_zone
from briefgen.base.output import write_atomic
from briefgen.deliver.editions import edition_date, iso_week, latest_slot_day, slot_instant, week_key
from briefgen.load.tables import read_text

log = logging.getLogger("briefgen")

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Outcome:
    """What one run of a brief's job achieved for its week's edition."""

    edition: str
    complete: bool          # every reader sent or permanently refused: the week is done
    ok: bool                # every reader sent
    summary: str = ""


#: A brief's job: given the moment of the run, send that week's edition and say how far it got.
Job = Callable[[dt.datetime], Outcome]


# --- persisted state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefState:
    """What the scheduler remembers about one brief across restarts."""

    last_edition: str | None = None
    failed_edition: str | None = None
    failed_at: dt.datetime | None = None
    failure: str = ""
    failures: int = 0


class StateStore:
    """Per-brief scheduler state in a small JSON file (rewritten atomically on every change)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._briefs: dict[str, BriefState] = self._read()

    def get(self, brief_id: str) -> BriefState:
        return self._briefs.get(brief_id, BriefState())

    def record_success(self, brief_id: str, edition: str) -> None:
        self._put(brief_id, replace(self.get(brief_id), last_edition=edition))

    def record_failure(self, brief_id: str, edition: str, at: dt.datetime, message: str) -> BriefState:
        """Record one more unfinished run of ``edition``'s week (the count restarts each week)."""
        state = self.get(brief_id)
        same_week = state.failed_edition is not None and iso_week(state.failed_edition) == iso_week(edition)
        state = replace(state, failed_edition=edition, failed_at=at, failure=message,
                        failures=state.failures + 1 if same_week else 1)
        self._put(brief_id, state)
        return state

    def _put(self, brief_id: str, state: BriefState) -> None:
        self._briefs[brief_id] = state
        data = {"briefs": {b: _encode_state(s) for b, s in sorted(self._briefs.items())}}
        write_atomic(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"), self.path)

    def _read(self) -> dict[str, BriefState]:
        if not self.path.exists():
            return {}
        try:
            briefs = json.loads(read_text(self.path, ScheduleError))["briefs"]
            return {str(b): _decode_state(s) for b, s in briefs.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ScheduleError(
                Problem(
                    str(self.path),
                    f"unreadable scheduler state ({exc})",
                    expected='{"briefs": {<brief>: {"last_edition": "YYYY-MM-DD", ...}}}; '
                    "delete the file to start afresh",
                )
            ) from exc


def _encode_state(state: BriefState) -> dict[str, object]:
    data = asdict(state)
    data["failed_at"] = state.failed_at.isoformat() if state.failed_at else None
    return data


def _decode_state(data: Mapping[str, object]) -> BriefState:
    failed_at = data.get("failed_at")
    return BriefState(
        last_edition=_optional_str(data.get("last_edition")),
        failed_edition=_optional_str(data.get("failed_edition")),
        failed_at=dt.datetime.fromisoformat(str(failed_at)) if failed_at else None,
        failure=str(data.get("failure") or ""),
        failures=int(str(data.get("failures") or 0)),
    )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


# --- the runner -----------------------------------------------------------------------------------


class WeeklyRunner:
    """Runs each brief's job at its slot until that ISO week's edition is done; see the module docstring.

    In production pass ``sleep=stop.wait`` so a signal wakes the loop at once.
    """

    def __init__(
        self,
        jobs: Mapping[str, tuple[Slot, Job]],
        state: StateStore,
        sleep: Callable[[float], object],
        retry_after: dt.timedelta = dt.timedelta(minutes=30),
        retry_max: dt.timedelta = dt.timedelta(hours=4),
        poll: dt.timedelta = dt.timedelta(seconds=30),
    ) -> None:
        self._jobs = dict(sorted(jobs.items()))
        self._state = state
        self._sleep = sleep
        self._retry_after = retry_after
        self._retry_max = retry_max
        self._poll = poll
        self._stop = threading.Event()
        self._paused = ""
        self._ignored: set[tuple[str, str]] = set()
        self._woken: set[str] = set()
        self._last_tick: dt.datetime | None = None
        self.outcomes: dict[str, Outcome] = {}
        self._scheduler = schedule.Scheduler()
        for brief_id, (slot, _) in self._jobs.items():
            _check_slot(brief_id, slot)
        self._arm_slots()

    def tick(self) -> None:
        """Run every brief whose edition for the current week is due (never raises for a job's failure)."""
        now = _now()
        if self._last_tick is None or now < self._last_tick:  # started, or the clock went back
            if self._last_tick is not None:
                self._arm_slots()
            self._plan(now)
        self._last_tick = now
        self._scheduler.run_pending()
        woken = sorted(self._woken)
        self._woken.clear()
        for brief_id in woken:
            self._attempt(brief_id)

    def run_forever(self, stop: threading.Event) -> None:
        """Tick and sleep until ``stop`` is set; a job in flight finishes first, no new one starts."""
        self._stop = stop
        while not stop.is_set():
            self.tick()
            if not stop.is_set():
                self._sleep(self._pause())
        log.info("scheduler: stop requested, exiting")

    def run_once(self, stop: threading.Event) -> bool:
        """One tick (what is due, including one catch-up); True if every brief's week is done and
        every reader of what ran got it."""
        self._stop = stop
        self.tick()
        return not self.unfinished() and all(outcome.ok for outcome in self.outcomes.values())

    def unfinished(self) -> tuple[str, ...]:
        """The briefs whose current week's edition is not done yet."""
        now = _now()
        return tuple(b for b, (slot, _) in self._jobs.items() if not self._week_done(b, slot, now))

    def next_runs(self) -> dict[str, dt.datetime]:
        """Each brief's next slot (UTC) after now."""
        now = _now()
        return {brief_id: next_slot(slot, now) for brief_id, (slot, _) in self._jobs.items()}

    def _arm_slots(self) -> None:
        """(Re)make every brief's slot job: schedule computes its next run from the clock as it is now."""
        for brief_id, (slot, _) in self._jobs.items():
            self._scheduler.clear(("slot", brief_id))
            weekly = getattr(self._scheduler.every(), slot.weekday)
            weekly.at(slot.at.strftime("%H:%M:%S"), slot.tz).do(self._wake, brief_id).tag(("slot", brief_id))

    def _plan(self, now: dt.datetime) -> None:
        """From the persisted state: wake each brief whose week is due now (one catch-up), arm its retry
        if it is backing off."""
        for brief_id in self._jobs:
            due = self._due_at(brief_id, now)
            if due is not None and due <= now:
                self._woken.add(brief_id)
            self._arm_retry(brief_id, due, now)

    def _arm_retry(self, brief_id: str, due: dt.datetime | None, now: dt.datetime) -> None:
        self._scheduler.clear(("retry", brief_id))
        if due is not None and due > now:
            seconds = math.ceil((due - now).total_seconds())
            self._scheduler.every(seconds).seconds.do(self._wake_once, brief_id).tag(("retry", brief_id))

    def _wake(self, brief_id: str) -> None:
        self._woken.add(brief_id)

    def _wake_once(self, brief_id: str) -> type[schedule.CancelJob]:
        self._wake(brief_id)
        return schedule.CancelJob

    def _pause(self) -> float:
        """Until schedule's next job, at most ``poll`` and at least a second."""
        idle = self._scheduler.idle_seconds
        poll = self._poll.total_seconds()
        return poll if idle is None else min(poll, max(idle, 1.0))

    def _due_at(self, brief_id: str, now: dt.datetime) -> dt.datetime | None:
        """When the brief's current week is due: None if it is done (or retries are paused), else now or
        the end of its backoff."""
        slot = self._jobs[brief_id][0]
        if self._paused or self._week_done(brief_id, slot, now):
            return None
        state = self._state.get(brief_id)
        week = week_key(slot, now)
        if state.failed_edition is None or state.failed_at is None or iso_week(state.failed_edition) != iso_week(week):
            return now
        return max(now, state.failed_at + self._backoff(state.failures))

    def _week_done(self, brief_id: str, slot: Slot, now: dt.datetime) -> bool:
        last = self._state.get(brief_id).last_edition
        if last is None:
            return False
        if edition_date(last) > now.date() + dt.timedelta(days=1):
            self._ignore_future(brief_id, last, now)
            return False
        return iso_week(last) >= iso_week(week_key(slot, now))

    def _ignore_future(self, brief_id: str, last: str, now: dt.datetime) -> None:
        if (brief_id, last) not in self._ignored:
            self._ignored.add((brief_id, last))
            log.warning("scheduler: %s: the last recorded edition %s is dated after today (%s): the clock "
                        "must have been ahead; ignoring it", brief_id, last, now.date().isoformat(),
                        extra={"brief": brief_id, "edition": last})

    def _backoff(self, failures: int) -> dt.timedelta:
        return min(self._retry_after * (1 << max(failures - 1, 0)), self._retry_max)

    def _attempt(self, brief_id: str) -> None:
        if self._stop.is_set():
            return
        now = _now()
        due = self._due_at(brief_id, now)
        if due is None or due > now:
            log.debug("scheduler: %s woken, nothing due", brief_id, extra={"brief": brief_id})
            return
        slot, job = self._jobs[brief_id]
        week = week_key(slot, now)
        log.info("scheduler: %s edition of the week of %s starting", brief_id, week,
                 extra={"brief": brief_id, "edition": week})
        try:
            outcome = job(now)
        except AuthenticationFailed as exc:
            self._paused = str(exc)
            self._failed(brief_id, week, f"{exc} — retries paused: fix the credentials, then restart the "
                                         "scheduler")
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any job failure
            self._failed(brief_id, week, f"{type(exc).__name__}: {exc}")
        else:
            self.outcomes[brief_id] = outcome
            if outcome.complete:
                self._state.record_success(brief_id, outcome.edition)
                self._arm_retry(brief_id, None, now)
                upcoming = next_slot(slot, _now()).isoformat(timespec="minutes")
                log.info("scheduler: %s edition %s done: %s; next slot %s", brief_id, outcome.edition,
                         outcome.summary, upcoming, extra={"brief": brief_id, "edition": outcome.edition,
                                                           "next_slot": upcoming})
            elif self._stop.is_set():  # interrupted, not failed: the next start goes on at once
                log.info("scheduler: %s edition %s stopped: %s", brief_id, outcome.edition, outcome.summary,
                         extra={"brief": brief_id, "edition": outcome.edition})
            else:
                self._failed(brief_id, outcome.edition, f"unfinished: {outcome.summary}")

    def _failed(self, brief_id: str, key: str, cause: str) -> None:
        now = _now()
        state = self._state.record_failure(brief_id, key, now, cause)
        self.outcomes[brief_id] = Outcome(key, complete=False, ok=False, summary=cause)
        about = {"brief": brief_id, "edition": key}
        if self._paused:
            self._arm_retry(brief_id, None, now)
            log.error("scheduler: %s edition %s failed: %s", brief_id, key, cause, extra=about)
            return
        retry = now + self._backoff(state.failures)
        self._arm_retry(brief_id, retry, now)
        shown = retry.isoformat(timespec="minutes")
        log.error("scheduler: %s edition %s failed: %s (next try after %s)", brief_id, key, cause, shown,
                  extra={**about, "next_try": shown})


def _now() -> dt.datetime:
    """The wall clock (the one schedule reads), in UTC."""
    return dt.datetime.now(UTC)


def next_slot(slot: Slot, now_utc: dt.datetime) -> dt.datetime:
    """The first occurrence of ``slot`` after ``now_utc`` (UTC)."""
    day = latest_slot_day(slot, now_utc) + dt.timedelta(weeks=1)
    return slot_instant(slot, day)


def _check_slot(brief_id: str, slot: Slot) -> None:
    if slot.weekday not in WEEKDAYS:
        where, problem, expected = "schedule.weekday", f"unknown weekday {slot.weekday!r}", ", ".join(WEEKDAYS)
    elif not known_zone(slot.tz):
        where, problem, expected = "schedule.tz", f"unknown time zone {slot.tz!r}", "an IANA zone such as Asia/Tokyo"
    else:
        return
    raise ScheduleError(Problem(brief_id, problem, field=where, expected=expected))


# --- one instance, clean stop ---------------------------------------------------------------------


class SingleInstanceLock:
    """An exclusive ``flock`` on ``path`` holding "pid since": the kernel drops it when the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").split()
            os.close(fd)
            raise self._busy(holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {dt.datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "SingleInstanceLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _busy(self, holder: list[str]) -> ScheduleError:
        pid, since = (holder + ["?", "?"])[:2]
        return ScheduleError(
            Problem(
                str(self.path),
                f"already running (pid {pid}, since {since})",
                expected="one scheduler at a time: stop the other one first",
            )
        )


def install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGINT set ``stop`` (the job in flight finishes); returns a restore function."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
