"""Numbers as people read them, the same in the terminal, the HTML reports and the apps.

``duration(2825)`` is "47 min", not "2,825 s"; ``plural(1, "new sender")`` is "1 new sender".
"""

from __future__ import annotations

import math

__all__ = ["duration", "plural"]

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and the noun, singular for exactly one: "1 hop", "3 hops", "2 boxes"."""
    word = noun if count == 1 else (many or f"{noun}s")
    return f"{count:,} {word}"


def duration(seconds: float | None) -> str:
    """A span of time in the two largest units that matter: "45 s", "47 min", "2 h 5 min".

    Negative spans (a clock that runs behind) keep their sign; None and NaN read as "—".
    """
    if seconds is None or not math.isfinite(seconds):
        return "—"
    sign = "-" if seconds < 0 else ""
    span = abs(seconds)
    if 0 < span < 1:
        return f"{sign}{span:.1f} s"
    whole = round(span)
    return sign + _whole_duration(whole)


def _whole_duration(whole: int) -> str:
    if whole < _MINUTE:
        return f"{whole} s"
    if whole < 10 * _MINUTE:
        return _two_units(whole, _MINUTE, "min", 1, "s")
    minutes = round(whole / _MINUTE) * _MINUTE
    if minutes < _HOUR:
        return f"{minutes // _MINUTE} min"
    if minutes < _DAY:
        return _two_units(minutes, _HOUR, "h", _MINUTE, "min")
    return _two_units(round(whole / _HOUR) * _HOUR, _DAY, "d", _HOUR, "h")


def _two_units(whole: int, big: int, big_name: str, small: int, small_name: str) -> str:
    high, rest = divmod(whole, big)
    low = rest // small
    return f"{high:,} {big_name} {low} {small_name}" if low else f"{high:,} {big_name}"
