"""Brief slots + a clock → one edition per brief per ISO week (catch-up, bounded retries, one instance).

``schedule`` (1.2) keeps the registry and the loop: each brief is a private ``schedule.Scheduler`` job
built with ``every().<weekday>.at("HH:MM:SS", tz)``, which also validates the slot, and ``tick()`` is
``run_pending()``. The due-check is ours, not schedule's, for three reasons:

- schedule reads ``datetime.datetime.now()`` inside ``Job.should_run``/``Job.run``, so an injected clock
  cannot drive it (its own tests swap out the ``datetime`` class); our ``_SlotJob.should_run`` asks the
  runner, which reads the injected clock;
- its ``next_run`` lives in memory only and ``run_pending`` deliberately skips missed runs, while a
  restart after downtime must make exactly one catch-up edition: that needs the persisted state below;
- a job that raises leaves its ``next_run`` in the past (a run on every tick); our job never raises
  (failures are logged and recorded) and a failed week is retried no sooner than ``retry_after``.

The week a run belongs to is the latest slot at or before now, computed in the slot's zone with
``zoneinfo`` each week: a slot inside a spring-forward gap runs at the same instant shifted by the gap
(02:30 → 03:30), a slot in a fall-back repeated hour runs at its first occurrence, and the completed
edition key in the state file stops any second run in the same week (including after the clock
jumps back). A brief with no recorded edition makes the current week's edition on first start.

A job that stops early (e.g. it saw the stop event) must raise, so its week is retried on the next start.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import json
import logging
import os
import signal
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

import schedule

from briefgen.errors import Problem, ScheduleError
from briefgen.model import WEEKDAYS, Slot, known_zone
from briefgen.output import write_atomic
from briefgen.tables import read_text

log = logging.getLogger("briefgen")

UTC = dt.timezone.utc

Job = Callable[[str], None]
Clock = Callable[[], dt.datetime]


# --- the week a run belongs to --------------------------------------------------------------------


def slot_instant(slot: Slot, day: dt.date) -> dt.datetime:
    """The UTC instant of ``slot`` on local ``day`` (gap times shifted forward, repeated times: the first)."""
    local = dt.datetime.combine(day, slot.at.replace(tzinfo=None), tzinfo=ZoneInfo(slot.tz))
    return local.astimezone(UTC)


def latest_slot_day(slot: Slot, now_utc: dt.datetime) -> dt.date:
    """The local date of the latest occurrence of ``slot`` at or before ``now_utc``."""
    today = now_utc.astimezone(ZoneInfo(slot.tz)).date()
    day = today - dt.timedelta(days=(today.weekday() - WEEKDAYS.index(slot.weekday)) % 7)
    if slot_instant(slot, day) > now_utc:
        day -= dt.timedelta(weeks=1)
    return day


def edition_key(slot: Slot, now_utc: dt.datetime) -> str:
    """The edition id (``YYYY-MM-DD``, the slot's local date) of the week a run at ``now_utc`` belongs to."""
    return latest_slot_day(slot, now_utc).isoformat()


# --- persisted state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefState:
    """What the scheduler remembers about one brief across restarts."""

    last_edition: str | None = None
    failed_edition: str | None = None
    failed_at: dt.datetime | None = None
    failure: str = ""


class StateStore:
    """Per-brief scheduler state in a small JSON file (rewritten atomically on every change)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._briefs: dict[str, BriefState] = self._read()

    def get(self, brief_id: str) -> BriefState:
        return self._briefs.get(brief_id, BriefState())

    def record_success(self, brief_id: str, edition: str) -> None:
        self._put(brief_id, replace(self.get(brief_id), last_edition=edition))

    def record_failure(self, brief_id: str, edition: str, at: dt.datetime, message: str) -> None:
        state = replace(self.get(brief_id), failed_edition=edition, failed_at=at, failure=message)
        self._put(brief_id, state)

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
    )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


# --- the runner -----------------------------------------------------------------------------------


class _SlotJob(schedule.Job):
    """A schedule job whose due-check is ``is_due`` (the injected clock) instead of ``datetime.now()``."""

    def __init__(self, scheduler: schedule.Scheduler, is_due: Callable[[], bool]) -> None:
        super().__init__(1, scheduler)
        self._is_due = is_due

    @property
    def should_run(self) -> bool:
        return self._is_due()


class WeeklyRunner:
    """Runs each brief's job once per ISO week at its slot; the job gets the edition key.

    In production pass ``sleep=stop.wait`` so a signal wakes the loop at once.
    """

    def __init__(
        self,
        jobs: Mapping[str, tuple[Slot, Job]],
        state: StateStore,
        clock: Clock,
        sleep: Callable[[float], object],
        retry_after: dt.timedelta = dt.timedelta(minutes=30),
        poll: dt.timedelta = dt.timedelta(seconds=30),
    ) -> None:
        self._jobs = dict(jobs)
        self._state = state
        self._clock = clock
        self._sleep = sleep
        self._retry_after = retry_after
        self._poll = poll
        self._stop = threading.Event()
        self._scheduler = schedule.Scheduler()
        for brief_id, (slot, _) in self._jobs.items():
            self._register(brief_id, slot)

    def tick(self) -> None:
        """Run every brief whose edition for the current week is due (never raises for a job's failure)."""
        self._scheduler.run_pending()

    def run_forever(self, stop: threading.Event) -> None:
        """Tick and sleep until ``stop`` is set; a job in flight finishes first, no new one starts."""
        self._stop = stop
        while not stop.is_set():
            self.tick()
            if not stop.is_set():
                self._sleep(self._poll.total_seconds())
        log.info("scheduler: stop requested, exiting")

    def _register(self, brief_id: str, slot: Slot) -> None:
        _check_slot(brief_id, slot)
        job = _SlotJob(self._scheduler, functools.partial(self._due, brief_id))
        weekly = getattr(job, slot.weekday)
        weekly.at(slot.at.strftime("%H:%M:%S"), slot.tz).do(self._attempt, brief_id)

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            problem = Problem("scheduler clock", "returned a naive datetime", expected="an aware datetime")
            raise ScheduleError(problem)
        return now.astimezone(UTC)

    def _due(self, brief_id: str) -> bool:
        now = self._now()
        key = edition_key(self._jobs[brief_id][0], now)
        state = self._state.get(brief_id)
        if state.last_edition is not None and state.last_edition >= key:
            return False
        failed_at = state.failed_at if state.failed_edition == key else None
        return failed_at is None or now >= failed_at + self._retry_after

    def _attempt(self, brief_id: str) -> None:
        if self._stop.is_set():
            return
        slot, job = self._jobs[brief_id]
        key = edition_key(slot, self._now())
        log.info("scheduler: %s edition %s starting", brief_id, key)
        try:
            job(key)
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any job failure
            self._failed(brief_id, key, exc)
        else:
            self._state.record_success(brief_id, key)
            log.info("scheduler: %s edition %s done", brief_id, key)

    def _failed(self, brief_id: str, key: str, exc: Exception) -> None:
        now = self._now()
        cause = f"{type(exc).__name__}: {exc}"
        self._state.record_failure(brief_id, key, now, cause)
        retry = (now + self._retry_after).isoformat(timespec="minutes")
        log.error("scheduler: %s edition %s failed: %s (next try after %s)", brief_id, key, cause, retry)


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
