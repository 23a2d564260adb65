"""Failure analysis: problem rates over time and by sender, and reasons from detail events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag.trace.volume import PROBLEM_CATEGORIES, every, problem_sums

if TYPE_CHECKING:
    import polars as pl

__all__ = ["ENHANCED_CODE", "failure_reasons", "failures_by_sender", "failures_over_time"]

ENHANCED_CODE = r"\b([245]\.\d{1,3}\.\d{1,3})\b"
_PROBLEM_EVENTS = ("FAIL", "DEFER", "DROP", "SPAM", "MALWARE", "DELIVERFAIL", "BADMAIL")
_REASON_CHARS = 140


def _with_rate(table: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    problems = pl.sum_horizontal(*PROBLEM_CATEGORIES)
    return table.with_columns(
        problems.alias("problems"),
        (problems / pl.col("total").clip(lower_bound=1)).round(4).alias("rate"),
    )


def failures_over_time(messages: pl.DataFrame, seconds: int) -> pl.DataFrame:
    """(bucket, total, failed, spam, quarantined, threat, problems, rate)."""
    import polars as pl

    table = messages.group_by(pl.col("received").dt.truncate(every(seconds)).alias("bucket")).agg(
        pl.col("count").sum().alias("total"), *problem_sums(messages)
    )
    return _with_rate(table).sort("bucket")


def failures_by_sender(messages: pl.DataFrame, limit: int = 20) -> pl.DataFrame:
    """Senders with at least one problem: totals per category and the problem rate."""
    import polars as pl

    table = (
        messages.filter(pl.col("sender").is_not_null())
        .group_by("sender")
        .agg(
            pl.col("count").sum().alias("total"),
            pl.col("direction").mode().first().alias("direction"),
            *problem_sums(messages),
        )
    )
    table = _with_rate(table).filter(pl.col("problems") > 0)
    return table.sort(["problems", "sender"], descending=[True, False]).head(limit)


def failure_reasons(events: pl.DataFrame, limit: int = 20) -> pl.DataFrame:
    """Reasons given by failure, deferral and filtering events: (event, code, reason, events,
    messages, senders), most frequent first."""
    import polars as pl

    event = pl.col("event").str.to_uppercase()
    has_code = pl.col("detail").str.contains(ENHANCED_CODE).fill_null(False)
    problem = events.filter(event.is_in(_PROBLEM_EVENTS) | (has_code & (event != "RECEIVE")))
    if problem.is_empty():
        return pl.DataFrame(
            schema={
                "event": pl.String,
                "code": pl.String,
                "reason": pl.String,
                "events": pl.Int64,
                "messages": pl.Int64,
                "senders": pl.String,
            }
        )
    reason = (
        pl.col("detail")
        .fill_null("")
        .str.replace(r"^Reason:\s*\[\{LED=", "")
        .str.replace(r"\};.*$", "")
        .str.slice(0, _REASON_CHARS)
    )
    keyed = problem.with_columns(
        event.alias("event"),
        pl.col("detail").str.extract(ENHANCED_CODE).alias("code"),
        reason.alias("reason"),
        pl.coalesce("trace_id", "message_id").alias("_msg"),
    )
    table = keyed.group_by("event", "code", "reason").agg(
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("_msg").n_unique().cast(pl.Int64).alias("messages"),
        pl.col("sender").drop_nulls().unique().sort().head(3).str.join(", ").alias("senders"),
    )
    return table.sort(["events", "reason"], descending=[True, False]).head(limit)
