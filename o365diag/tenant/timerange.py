"""The time range of a pull: parsing, the 90-day limit, days and the windows Graph accepts.

Graph's message trace takes a ``receivedDateTime`` range of at most 10 days that starts at
most 90 days back and ends no later than now. A range is handled as ``[start, end)`` (start
inclusive, end exclusive) in UTC; it is cut into UTC days (the store's partitions) and the
days still to fetch are grouped into windows of at most 10 days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from o365diag.errors import UsageError, setting

__all__ = [
    "MAX_AGE",
    "MAX_WINDOW",
    "QUERY_SPAN",
    "DayPiece",
    "Window",
    "asked_range",
    "day_pieces",
    "format_instant",
    "group_windows",
    "parse_duration",
    "parse_instant",
]

MAX_WINDOW = timedelta(days=10)
# A query's bounds are whole seconds (start floored, end ceiled): a window one second shorter
# than Graph's limit stays within it whatever the fractions of the range's ends.
QUERY_SPAN = MAX_WINDOW - timedelta(seconds=1)
MAX_AGE = timedelta(days=90)
# Graph compares the start with its own clock: keep a little room so a range cut to exactly
# 90 days is not refused for being a few seconds too old when it arrives.
_AGE_MARGIN = timedelta(minutes=5)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def to_dict(self) -> dict[str, str]:
        return {"start": format_instant(self.start), "end": format_instant(self.end)}


@dataclass(frozen=True)
class DayPiece:
    """The part ``[start, end)`` of one UTC day."""

    day: date
    start: datetime
    end: datetime

    @property
    def whole(self) -> bool:
        return self.end - self.start >= timedelta(days=1)


def parse_duration(text: str) -> timedelta:
    """``"10d"``, ``"36h"``, ``"2w"``, ``"90m"`` -> a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{text!r} is not a duration such as 10d, 36h or 2w", field="since")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise UsageError(f"the duration {text!r} must be more than zero", field="since")
    return timedelta(seconds=seconds)


def parse_instant(text: str, field: str = "start") -> datetime:
    """An ISO 8601 instant (or a date: its midnight); UTC when it names no offset."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{text!r} is not an ISO 8601 date or time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """The form Graph's filters take: ``2026-01-02T03:04:05Z`` (whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def asked_range(
    *,
    since: str | None,
    start: str | None,
    end: str | None,
    now: datetime,
    default_since: str,
    max_age: timedelta | None = MAX_AGE,
) -> tuple[datetime, datetime, bool]:
    """``(start, end, cut)``: the range asked for, ended at ``now`` at the latest and, with
    ``max_age``, started no earlier than that far back (``cut`` says it had to be)."""
    if since and start:
        raise UsageError(f"give {setting('since')} or {setting('start')}, not both")
    stop = parse_instant(end, "end") if end else now
    stop = min(stop, now)
    if start:
        begin = parse_instant(start, "start")
    else:
        begin = stop - parse_duration(since or default_since)
    if begin >= stop:
        raise UsageError(
            f"the range is empty: {setting('start')} must come before {setting('end')} "
            "(and before now)"
        )
    cut = False
    if max_age is not None and begin < now - max_age:
        begin, cut = now - max_age + _AGE_MARGIN, True
        if begin >= stop:
            raise UsageError(f"the whole range is older than {max_age.days} days")
    return begin, stop, cut


def day_pieces(start: datetime, end: datetime) -> list[DayPiece]:
    """``[start, end)`` cut at UTC midnights, oldest first."""
    pieces: list[DayPiece] = []
    day = start.astimezone(UTC).date()
    while True:
        midnight = datetime.combine(day, time(), UTC)
        piece_start = max(start, midnight)
        piece_end = min(end, midnight + timedelta(days=1))
        if piece_start >= end:
            return pieces
        if piece_start < piece_end:
            pieces.append(DayPiece(day, piece_start, piece_end))
        day += timedelta(days=1)


def group_windows(
    intervals: Iterable[tuple[datetime, datetime]], span: timedelta = QUERY_SPAN
) -> list[Window]:
    """Touching intervals merged, then cut into windows no longer than ``span``."""
    return [w for run in _merged(sorted(intervals)) for w in _split(run, span)]


def _merged(intervals: list[tuple[datetime, datetime]]) -> Iterator[tuple[datetime, datetime]]:
    current: tuple[datetime, datetime] | None = None
    for start, end in intervals:
        if current and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current:
            yield current
        current = (start, end)
    if current:
        yield current


def _split(run: tuple[datetime, datetime], span: timedelta) -> Iterator[Window]:
    """Windows of at most ``span`` that end at a UTC midnight where they can, so each day
    of the run lies in one window (a day is stored as done when its window is)."""
    start, end = run
    while start < end:
        stop = min(start + span, end)
        midnight = datetime.combine(stop.astimezone(UTC).date(), time(), UTC)
        if stop < end and start < midnight < stop:
            stop = midnight
        yield Window(start, stop)
        start = stop
