"""Volume: intervals, counts per interval by status and direction, top talkers, heatmap.

Counts are trace rows weighted by ``count``: one per message and recipient in a message
trace, the reported number in an aggregate report.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import TYPE_CHECKING

from o365diag.knowledge import load_table
from o365diag.trace.model import TraceInputError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "MAX_TIME_BUCKETS",
    "PROBLEM_CATEGORIES",
    "auto_interval",
    "bucket_range",
    "category_expr",
    "category_of",
    "every",
    "heatmap",
    "interval_label",
    "message_key",
    "parse_interval",
    "problem_sums",
    "sender_series",
    "top_table",
    "volume_by",
    "with_categories",
    "with_message_ids",
]

PROBLEM_CATEGORIES = ("failed", "spam", "quarantined", "threat")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "w": 604800}
_AUTO_STEPS = (60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800)
MAX_BUCKETS = 800
# However fine an interval is asked for, no series gets more buckets than this: rows years
# apart with --interval 1m would otherwise be millions of buckets (gigabytes, minutes).
MAX_TIME_BUCKETS = 5000


def parse_interval(text: str) -> int:
    """Seconds in ``'15m'``, ``'1h'``, ``'30min'``, ``'1d'``; TraceInputError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*(s|m|min|h|hr|d|w)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise TraceInputError(f"interval {text!r}: use a number and s, m, h, d or w (e.g. 1h)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def auto_interval(span_seconds: float, max_buckets: int = MAX_BUCKETS) -> int:
    """The finest standard step that keeps the chart under ``max_buckets`` bars (whole weeks
    past the largest standard step)."""
    for step in _AUTO_STEPS:
        if span_seconds / step <= max_buckets:
            return step
    week = _AUTO_STEPS[-1]
    return week * max(math.ceil(span_seconds / week / max_buckets), 1)


def every(seconds: int) -> str:
    """A polars duration string, aligned to natural boundaries (days at midnight UTC)."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def interval_label(seconds: int) -> str:
    return every(seconds)


@cache
def _categories() -> dict[str, str]:
    found = {e.key: str(e.get("category", "other")) for e in load_table("trace_status").entries}
    found.update({e.key: str(e.get("category")) for e in load_table("trace_mailflow").entries})
    return found


def category_expr() -> pl.Expr:
    """Each status's problem category (delivered, failed, spam, quarantined, threat, ...)."""
    import polars as pl

    return pl.col("status").replace_strict(_categories(), default="other", return_dtype=pl.String)


CATEGORY = "_category"


def with_categories(messages: pl.DataFrame) -> pl.DataFrame:
    """Add ``_category`` once, so that every later count by category reads a column."""
    if CATEGORY in messages.columns:
        return messages
    return messages.with_columns(category_expr().alias(CATEGORY))


def category_of(frame: pl.DataFrame) -> pl.Expr:
    import polars as pl

    return pl.col(CATEGORY) if CATEGORY in frame.columns else category_expr()


def problem_sums(frame: pl.DataFrame) -> list[pl.Expr]:
    """Aggregations: rows per problem category (failed, spam, quarantined, threat)."""
    import polars as pl

    category = category_of(frame)
    return [
        pl.col("count").filter(category == name).sum().alias(name) for name in PROBLEM_CATEGORIES
    ]


MESSAGE_ID = "_msg"


def with_message_ids(messages: pl.DataFrame) -> pl.DataFrame:
    """Add ``_msg``, a 64-bit hash identifying each message (trace id, else message id, else
    time and sender): counting distinct integers is much cheaper than distinct strings."""
    import polars as pl

    if MESSAGE_ID in messages.columns:
        return messages
    if messages.get_column("trace_id").null_count() == 0:  # the usual case, and much cheaper
        return messages.with_columns(pl.col("trace_id").hash(seed=0).alias(MESSAGE_ID))
    moment = pl.col("received").cast(pl.String)
    key = pl.coalesce(
        "trace_id", "message_id", pl.concat_str([moment, pl.col("sender")], ignore_nulls=True)
    )
    return messages.with_columns(key.hash(seed=0).alias(MESSAGE_ID))


def message_key() -> pl.Expr:
    """The message id column added by ``with_message_ids``."""
    import polars as pl

    return pl.col(MESSAGE_ID)


def volume_by(messages: pl.DataFrame, column: str, seconds: int) -> pl.DataFrame:
    """(bucket, <column>, n): rows per interval and value of ``column``."""
    import polars as pl

    return (
        messages.group_by(pl.col("received").dt.truncate(every(seconds)).alias("bucket"), column)
        .agg(pl.col("count").sum().alias("n"))
        .sort("bucket", column)
    )


def top_table(messages: pl.DataFrame, column: str, limit: int = 20) -> pl.DataFrame:
    """The busiest values of ``column``: rows, messages, problems by category, first/last seen."""
    import polars as pl

    present = with_message_ids(messages).filter(pl.col(column).is_not_null())
    table = present.group_by(column).agg(
        pl.col("count").sum().alias("rows"),
        message_key().n_unique().alias("messages"),
        *problem_sums(present),
        pl.col("received").min().alias("first_seen"),
        pl.col("received").max().alias("last_seen"),
    )
    return table.sort(["rows", column], descending=[True, False]).head(limit)


def heatmap(messages: pl.DataFrame) -> pl.DataFrame:
    """(weekday 1=Monday..7, hour 0..23, n) over the whole trace, UTC."""
    import polars as pl

    return (
        messages.group_by(
            pl.col("received").dt.weekday().alias("weekday"),
            pl.col("received").dt.hour().alias("hour"),
        )
        .agg(pl.col("count").sum().alias("n"))
        .sort("weekday", "hour")
    )


def sender_series(messages: pl.DataFrame, senders: list[str], seconds: int) -> pl.DataFrame:
    """(sender, bucket, n) for the given senders in their order, every bucket present."""
    import polars as pl

    if not senders or messages.is_empty():
        return pl.DataFrame(
            schema={"sender": pl.String, "bucket": pl.Datetime("us", "UTC"), "n": pl.Int64}
        )
    step = every(seconds)
    chosen = messages.filter(pl.col("sender").is_in(senders))
    counts = chosen.group_by("sender", pl.col("received").dt.truncate(step).alias("bucket")).agg(
        pl.col("count").sum().alias("n")
    )
    buckets = bucket_range(messages.get_column("received"), seconds)
    order = pl.DataFrame({"sender": senders, "_order": list(range(len(senders)))})
    grid = order.join(buckets.to_frame("bucket"), how="cross")
    joined = grid.join(counts, on=["sender", "bucket"], how="left").sort("_order", "bucket")
    return joined.select("sender", "bucket", pl.col("n").fill_null(0).cast(pl.Int64))


def bucket_range(received: pl.Series, seconds: int) -> pl.Series:
    """Every bucket start from the first to the last timestamp, as ``bucket``."""
    import polars as pl

    step = every(seconds)
    bounds = received.to_frame("t").select(
        pl.col("t").min().dt.truncate(step).alias("first"),
        pl.col("t").max().dt.truncate(step).alias("last"),
    )
    first, last = bounds.row(0)
    return pl.datetime_range(first, last, step, eager=True, time_zone="UTC").alias("bucket")
