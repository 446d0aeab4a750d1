"""A brief's weekly slot + a moment → the edition key of that week (``YYYY-MM-DD``, or ``…-rN`` when revised).

One edition per brief per ISO week, whoever sends it: ``send`` and ``schedule`` both key an edition
by the local date of the week's slot (the latest slot at or before now, in the slot's zone), and both
continue an edition already frozen in that ISO week instead of starting another (so a slot moved from
Monday to Friday, or an edition sent by hand with ``--edition``, still makes one edition that week).
A brief without a schedule keys its edition by the Monday of the current ISO week (UTC).

A revision (``send --new-edition`` after the facts changed) is the same week's edition with a
suffix: ``2024-07-29-r2``. Everything that prints or files an edition uses ``edition_date``.

Slot arithmetic uses ``zoneinfo``: a slot inside a spring-forward gap falls at the same instant
shifted by the gap (02:30 → 03:30), a slot in a fall-back repeated hour at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable
from zoneinfo import ZoneInfo

from briefgen.base.errors import DeliveryError, Problem
from briefgen.base.model import WEEKDAYS, Slot

UTC = dt.timezone.utc
_KEY = re.compile(r"(\d{4}-\d{2}-\d{2})(?:-r([2-9]|[1-9]\d+))?")


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


def week_key(slot: Slot | None, now_utc: dt.datetime) -> str:
    """The key a new edition made at ``now_utc`` gets: the slot's local date, or the ISO week's Monday."""
    if slot is not None:
        return latest_slot_day(slot, now_utc).isoformat()
    today = now_utc.astimezone(UTC).date()
    return (today - dt.timedelta(days=today.weekday())).isoformat()


def edition_date(key: str) -> dt.date:
    """``2024-07-29`` or ``2024-07-29-r2`` → the edition's date; anything else raises ``DeliveryError``."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise DeliveryError(Problem(repr(key), "is not an edition", expected="YYYY-MM-DD or YYYY-MM-DD-rN"))
    try:
        return dt.date.fromisoformat(match[1])
    except ValueError as exc:
        raise DeliveryError(Problem(repr(key), f"is not an edition ({exc})", expected="a real date")) from exc


def revision(key: str) -> int:
    """1 for an edition, N for its revision ``-rN``."""
    edition_date(key)
    match = _KEY.fullmatch(key)
    return int(match[2]) if match and match[2] else 1


def iso_week(key: str) -> tuple[int, int]:
    """The (ISO year, ISO week) an edition belongs to."""
    year, week, _ = edition_date(key).isocalendar()
    return year, week


def next_revision(key: str, known: Iterable[str]) -> str:
    """The key of the next revision of ``key``'s edition, after every revision in ``known``."""
    day = edition_date(key).isoformat()
    latest = max((revision(k) for k in known if k.startswith(day) and _KEY.fullmatch(k)), default=1)
    return f"{day}-r{latest + 1}"


def resolve(known: Iterable[str], *, slot: Slot | None, now_utc: dt.datetime,
            explicit: dt.date | None = None) -> str:
    """The edition a send at ``now_utc`` belongs to, given the brief's frozen edition keys ``known``.

    With ``explicit`` (``--edition``): that date's edition, or its latest revision. Otherwise the
    latest edition already frozen in the ISO week of this week's slot, or a new one keyed by the slot.
    """
    known = [k for k in known if _KEY.fullmatch(k)]
    if explicit is not None:
        day = explicit.isoformat()
        same_day = [k for k in known if edition_date(k) == explicit]
        return max(same_day, key=revision, default=day)
    fresh = week_key(slot, now_utc)
    same_week = [k for k in known if iso_week(k) == iso_week(fresh)]
    return max(same_week, key=lambda k: (edition_date(k), revision(k)), default=fresh)
