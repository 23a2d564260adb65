"""How close each of the organisation's senders came to the Exchange Online sending limits.

Two sliding windows per sender: distinct messages in any 60 seconds (SMTP AUTH client
submission: 30 a minute) and recipients in any 24 hours (10,000 a day). The limit values come
from knowledge/trace_limits.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from o365diag.knowledge import load_table
from o365diag.trace.volume import message_key, with_message_ids

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Limits", "sending_limits", "smtp_auth_limits"]

_SENDING_DIRECTIONS = ("Outbound", "IntraOrg")


@dataclass(frozen=True)
class Limits:
    messages_per_minute: int
    recipients_per_day: int
    near: float
    source: str


@cache
def sending_limits() -> Limits:
    table = load_table("trace_limits")

    def value(key: str) -> float:
        entry = table.lookup(key)
        if entry is None:
            raise KeyError(f"trace_limits.json has no {key!r}")
        return float(entry.get("value"))

    rate = table.lookup("smtp-auth-messages-per-minute")
    return Limits(
        messages_per_minute=int(value("smtp-auth-messages-per-minute")),
        recipients_per_day=int(value("recipients-per-day")),
        near=value("near-limit-fraction"),
        source=rate.source if rate else "",
    )


def smtp_auth_limits(
    messages: pl.DataFrame, limit: int = 20, sizes: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per sending sender: the busiest minute and the busiest 24 hours, with when they ended.

    Columns: sender, max_per_minute, minute_at, max_recipients_24h, day_at, share (the larger
    fraction of either limit), sorted by share. ``sizes`` (``anomalies.message_sizes`` of the
    same rows) saves grouping the rows into messages again.
    """
    import polars as pl

    limits = sending_limits()
    sending = with_message_ids(messages).filter(
        pl.col("direction").is_in(_SENDING_DIRECTIONS) & pl.col("sender").is_not_null()
    )
    if sending.is_empty():
        return _empty()
    if sizes is None:
        per_message = sending.group_by("sender", message_key()).agg(pl.col("received").min())
    else:
        per_message = sizes.filter(
            pl.col("direction").is_in(_SENDING_DIRECTIONS) & pl.col("sender").is_not_null()
        ).select("sender", "received")
    per_message = per_message.with_columns(pl.lit(1, pl.Int64).alias("count"))
    minute = _busiest(per_message, 60_000, "max_per_minute", "minute_at")
    day = _busiest(
        sending.select("sender", "received", "count"), 86_400_000, "max_recipients_24h", "day_at"
    )
    table = minute.join(day, on="sender", how="full", coalesce=True)
    share = pl.max_horizontal(
        pl.col("max_per_minute") / limits.messages_per_minute,
        pl.col("max_recipients_24h") / limits.recipients_per_day,
    )
    return (
        table.with_columns(share.round(3).alias("share"))
        .sort(["share", "sender"], descending=[True, False])
        .head(limit)
    )


def _busiest(frame: pl.DataFrame, period_ms: int, name: str, when: str) -> pl.DataFrame:
    """Per sender, the largest sum of ``count`` over any ``period_ms`` ending at a row.

    Rows are sorted by (sender, time) and placed on one number line, sender after sender with
    gaps wider than any period, so a single binary search finds where each window starts.
    """
    import polars as pl

    origin = frame.get_column("received").min()
    # Wider than the trace itself, so no window reaches from one sender into the next.
    span = frame.select(pl.col("received").max() - pl.col("received").min()).item()
    gap_ms = int(span.total_seconds() * 1000 if span is not None else 0) + period_ms + 1
    hashed = frame.with_columns(pl.col("sender").hash(seed=0).alias("_group"))
    ordered = hashed.sort("_group", "received").with_columns(
        (
            pl.col("_group").rle_id().cast(pl.Int64) * gap_ms
            + (pl.col("received") - pl.lit(origin)).dt.total_milliseconds()
        ).alias("_at"),
        pl.col("count").cum_sum().alias("_running"),
    )
    at = ordered.get_column("_at")
    first = at.search_sorted(at - (period_ms - 1), side="left")
    running = ordered.get_column("_running")
    before = running.gather(first) - ordered.get_column("count").gather(first)
    windows = ordered.with_columns((running - before).alias(name))
    best = windows.group_by("sender").agg(
        pl.col(name).max().cast(pl.Int64),
        pl.col("received").get(pl.col(name).arg_max()).alias(when),
    )
    return best


def _empty() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        schema={
            "sender": pl.String,
            "max_per_minute": pl.Int64,
            "minute_at": pl.Datetime("us", "UTC"),
            "max_recipients_24h": pl.Int64,
            "day_at": pl.Datetime("us", "UTC"),
            "share": pl.Float64,
        }
    )
