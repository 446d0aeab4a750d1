"""Log records → timestamped lines on a stream (text, or one JSON object a line); long runs → rate-limited progress.

The command line configures the ``briefgen`` logger with ``configured`` for the length of one command
(and puts it back afterwards, so an embedding program or a test keeps its own set-up). Every line starts
with the time in ISO 8601, UTC (``2026-12-03T07:00:00.123Z``). The JSON form has ``time``, ``level``,
``logger``, ``message`` and any structured fields the call passed as ``extra`` (``brief``, ``edition``,
``reader``, ``done``/``total`` for progress, …). Only ``json`` and the standard library's ``logging`` are
imported here: setting up logs costs a cold start nothing.

Progress goes to the ``briefgen.progress`` logger at INFO, which the command line shows unless ``-q``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from typing import Callable, Iterator, Literal, Mapping, TextIO

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")

ROOT = "briefgen"
PROGRESS = "briefgen.progress"

#: Attributes every ``LogRecord`` has: whatever else a record carries came from ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def utc_time(record: logging.LogRecord) -> str:
    """The record's time as ISO 8601 in UTC with milliseconds and a ``Z``."""
    moment = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fields(record: logging.LogRecord) -> dict[str, object]:
    """The structured fields a log call passed as ``extra``, in the order given."""
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD and not key.startswith("_")}


class TextFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger>: <message>``, then the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{utc_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, the structured fields, and
    ``traceback`` when an exception is attached."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {"time": utc_time(record), "level": record.levelname, "logger": record.name,
                                    "message": record.getMessage()}
        entry.update((key, value) for key, value in fields(record).items() if key not in entry)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


@contextlib.contextmanager
def configured(stream: TextIO, level: int, log_format: LogFormat = "text", progress: bool = True) -> Iterator[None]:
    """For the ``with`` block: ``briefgen`` records at ``level`` or above go to ``stream`` in
    ``log_format``; progress records too if ``progress`` (at any ``level``). Restored afterwards."""
    logger, progress_logger = logging.getLogger(ROOT), logging.getLogger(PROGRESS)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    saved = logger.level, progress_logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    progress_logger.setLevel(logging.INFO if progress else logging.NOTSET)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        progress_logger.setLevel(saved[1])


class Progress:
    """Counts steps of a long run and logs ``<what>: <done> of <total> <unit>`` at most every ``every``
    (by ``clock``), and once at the end. Runs of ``minimum`` steps or fewer log nothing."""

    def __init__(self, what: str, total: int, clock: Callable[[], dt.datetime], *, unit: str = "readers",
                 every: dt.timedelta = dt.timedelta(seconds=5), minimum: int = 100,
                 extra: Mapping[str, object] | None = None) -> None:
        self.what, self.total, self.unit, self.done = what, total, unit, 0
        self._clock, self._every, self._extra = clock, every, dict(extra or {})
        self._on = total > minimum
        self._last = clock() if self._on else None

    def step(self, count: int = 1) -> None:
        """``count`` more steps done; log if it is time to (or if that was the last)."""
        self.done += count
        if self._last is None:
            return
        now = self._clock()
        if self.done >= self.total or now - self._last >= self._every:
            self._last = now
            logging.getLogger(PROGRESS).info("%s: %d of %d %s done", self.what, self.done, self.total, self.unit,
                                             extra={**self._extra, "done": self.done, "total": self.total})
