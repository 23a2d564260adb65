"""Dates as exports write them: ISO 8601, or whatever culture PowerShell ran under.

``Export-Csv`` turns a DateTime into text with the exporting session's culture:
``6/13/2025 8:15:02 AM`` (en-US), ``13/06/2025 08:15:02`` (en-GB, fr-FR), ``13.06.2025 08:15:02``
(de-DE), ``2025/06/13 8:15:02`` (ja-JP). The format is chosen per column from a sample; day and
month order comes from values above 12, else from ``order``, else a guess that is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

__all__ = ["DATE_ORDERS", "DateChoice", "choose_format", "parse_expr", "plausible_range"]

DATE_ORDERS = ("auto", "mdy", "dmy")
_PASS_SHARE = 0.98
_USABLE_SHARE = 0.5
_SAMPLE_EDGE = 500
_SAMPLE_SPREAD = 1000
# Message tracing is younger than this, and no export holds mail from far in the future: a row
# outside is PowerShell's DateTime.MinValue (1/1/0001), the Unix epoch or a mistyped year.
EARLIEST_YEAR = 1995
FUTURE_SLACK = timedelta(days=31)


@dataclass(frozen=True)
class DateChoice:
    """The format picked for one column; ``ambiguous`` when day and month could swap."""

    pattern: str
    family: str  # iso | ymd | mdy | dmy
    ambiguous: bool = False

    @property
    def order(self) -> str | None:
        return self.family if self.family in ("mdy", "dmy") else None


def _candidates() -> list[tuple[str, str]]:
    found = [
        ("%Y-%m-%dT%H:%M:%S%.f", "iso"),
        ("%Y-%m-%d %H:%M:%S%.f", "iso"),
        ("%Y-%m-%d", "iso"),
        ("%Y/%m/%d %H:%M:%S", "ymd"),
        ("%Y/%m/%d %H:%M", "ymd"),
        ("%m/%d/%Y %I:%M:%S %p", "mdy"),
        ("%m/%d/%Y %I:%M %p", "mdy"),
        ("%m/%d/%Y %H:%M:%S", "mdy"),
        ("%m/%d/%Y %H:%M", "mdy"),
        ("%m/%d/%Y", "mdy"),
    ]
    for sep in ("/", ".", "-"):
        day_month = f"%d{sep}%m{sep}%Y"
        found += [
            (f"{day_month} %H:%M:%S", "dmy"),
            (f"{day_month} %H:%M", "dmy"),
            (f"{day_month} %I:%M:%S %p", "dmy"),
            (f"{day_month} %I:%M %p", "dmy"),
            (day_month, "dmy"),
        ]
    return found


def parse_expr(
    column: str | pl.Expr, choice: DateChoice, offset_minutes: int | None = None
) -> pl.Expr:
    """An expression turning text into Datetime(us, UTC); null where the text does not fit.

    Naive times are UTC (as the cmdlets document) unless the header named an offset.
    """
    import polars as pl

    text = (pl.col(column) if isinstance(column, str) else column).str.strip_chars()
    naive = text.str.to_datetime(choice.pattern, strict=False, time_unit="us")
    if offset_minutes:
        naive = naive - pl.duration(minutes=offset_minutes)
    naive = naive.dt.replace_time_zone("UTC")
    if choice.family != "iso" or choice.pattern == "%Y-%m-%d":
        return naive
    aware = text.str.replace(r"[Zz]$", "+00:00").str.to_datetime(
        choice.pattern + "%:z", strict=False, time_unit="us", time_zone="UTC"
    )
    return pl.coalesce(aware, naive)


def plausible_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The times a trace row may have; rows outside are bad rows ("date out of range")."""
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    return datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC), latest


def choose_format(values: pl.Series, order: str = "auto") -> DateChoice | None:
    """The most specific format that reads (nearly) every sampled value, or None."""
    sample = _sample(values)
    if sample.is_empty():
        return None
    frame = sample.to_frame("v")
    scored: list[tuple[float, str, str]] = []
    for pattern, family in _candidates():
        parsed = frame.select(parse_expr("v", DateChoice(pattern, family)).is_not_null().mean())
        scored.append((float(parsed.item() or 0.0), pattern, family))
    passing = [(p, f) for share, p, f in scored if share >= _PASS_SHARE]
    if not passing:
        best = max(scored, key=lambda item: item[0])
        return DateChoice(best[1], best[2]) if best[0] >= _USABLE_SHARE else None
    families = {f for _, f in passing}
    if {"mdy", "dmy"} <= families:
        family = _resolve_order(order, passing)
        pattern = next(p for p, f in passing if f == family)
        return DateChoice(pattern, family, ambiguous=order == "auto")
    pattern, family = passing[0]
    return DateChoice(pattern, family)


def _resolve_order(order: str, passing: list[tuple[str, str]]) -> str:
    if order in ("mdy", "dmy"):
        return order
    # A 12-hour clock points at en-US, by far the commonest culture writing month first.
    twelve_hour = any(f == "mdy" and "%p" in p for p, f in passing)
    return "mdy" if twelve_hour else "dmy"


def _sample(values: pl.Series) -> pl.Series:
    import polars as pl

    present = values.drop_nulls().str.strip_chars()
    present = present.filter(present != "")
    if present.len() > 2 * _SAMPLE_EDGE + _SAMPLE_SPREAD:
        step = max(present.len() // _SAMPLE_SPREAD, 1)
        present = pl.concat(
            [present.head(_SAMPLE_EDGE), present.gather_every(step), present.tail(_SAMPLE_EDGE)]
        )
    return present.unique()
