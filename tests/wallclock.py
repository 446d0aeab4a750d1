"""The wall clock, stopped and moved by a test: what ``schedule`` and the scheduler read.

``schedule`` reads ``datetime.datetime.now()`` itself (``Job.should_run``, ``Job._schedule_next_run``,
``Scheduler.idle_seconds``) and has no clock parameter, so scheduler tests move the process's clock
with ``time-machine`` instead of injecting a callable: schedule, ``briefgen.deliver.scheduling``, the
ledger's ``utc_now`` and the log timestamps all see the same moment. The clock stands still between
moves (nothing ticks on its own, nothing sleeps). The local zone follows the destination: UTC for an
aware UTC datetime, the zone of a ``ZoneInfo`` datetime (a host on Berlin time).

tests/conftest.py registers this module as a plugin: the ``travel`` fixture is available everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

import pytest
import time_machine

UTC = dt.timezone.utc


class Clock:
    """The stopped wall clock; calling it gives the current moment as an aware UTC datetime."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    @property
    def now(self) -> dt.datetime:
        return self()

    @now.setter
    def now(self, when: dt.datetime) -> None:
        self._traveller.move_to(when)

    def advance(self, **delta: float) -> None:
        self._traveller.shift(dt.timedelta(**delta))


Travel = Callable[[dt.datetime], Clock]


@pytest.fixture
def travel() -> Iterator[Travel]:
    """``travel(moment)`` stops the wall clock at ``moment`` until the test ends."""
    started: list[time_machine.travel] = []

    def start(when: dt.datetime) -> Clock:
        started.append(time_machine.travel(when, tick=False))
        return Clock(started[-1].start())

    yield start
    for travelling in reversed(started):
        travelling.stop()
