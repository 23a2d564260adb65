"""Spikes and drops against a robust baseline, and senders or IPs that are new.

The baseline for each bucket is the median of the same time of day on the other days (split
into weekdays and weekends when there are at least three of each), with the median absolute
deviation as its spread; under three days of data it is a centred rolling median instead.
Where a slot has fewer than three buckets (two weekend days in a ten-day trace) it borrows
the buckets an hour either side on the same kind of day.
Medians ignore the outlier being looked for, so a compromised account's burst does not raise
its own baseline. The spread has a floor, sqrt(expected x dispersion), where dispersion is
what recipients-per-message add to a Poisson count, so that quiet senders with a MAD of zero
do not alarm on a handful of messages.

Buckets far from the baseline are merged into windows; a window is reported when its combined
score, (observed - expected) / sqrt(sum of variances), passes the threshold and it is large
enough to matter (``min_excess`` extra messages for a spike, ``min_expected`` missing for a
drop). The first and last buckets are usually partial, so they never count as drops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from o365diag.trace.volume import bucket_range, every, message_key, with_message_ids

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "AnomalySettings",
    "detect_anomalies",
    "dispersion_by",
    "empty_anomalies",
    "message_sizes",
    "newcomers",
    "unit_dispersion",
]

_MAD_TO_SIGMA = 1.4826
_ROLLING_WINDOW = 25
_SEASONAL_DAYS = 3
_SEASONAL_WEEKS = 3
_MIN_SAMPLES = 3


@dataclass(frozen=True)
class AnomalySettings:
    z: float = 6.0
    drop_z: float = 5.0
    candidate_z: float = 1.0
    ratio: float = 3.0
    min_excess: dict[str, int] = field(
        default_factory=lambda: {"tenant": 100, "sender": 50, "ip": 50}
    )
    min_expected: dict[str, int] = field(
        default_factory=lambda: {"tenant": 30, "sender": 15, "ip": 15}
    )
    max_keys: int = 500


def empty_anomalies() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        schema={
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "scope": pl.String,
            "key": pl.String,
            "kind": pl.String,
            "observed": pl.Int64,
            "expected": pl.Float64,
            "score": pl.Float64,
            "ratio": pl.Float64,
        }
    )


def detect_anomalies(
    messages: pl.DataFrame,
    scope: str,
    key: str | None,
    seconds: int,
    settings: AnomalySettings | None = None,
    dispersion: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, str]:
    """Anomaly windows for the whole tenant (key None) or per value of ``key``; and the method.

    ``dispersion`` is a (key, disp) table (see ``dispersion_by``); computed from ``messages``
    when not given.
    """
    import polars as pl

    settings = settings or AnomalySettings()
    rows = messages.filter(pl.col(key).is_not_null()) if key else messages
    if rows.is_empty():
        return empty_anomalies(), "no data"
    grid = _grid(rows, key, seconds, settings.min_excess[scope], settings.max_keys)
    if grid.is_empty():
        return empty_anomalies(), "no data"
    if dispersion is None:
        dispersion = dispersion_by(message_sizes(rows), key)
    grid = grid.join(dispersion, on="key", how="left").with_columns(pl.col("disp").fill_null(1.0))
    scored, method = _baseline(grid, seconds)
    windows = _windows(scored, seconds, settings, scope)
    return windows, method


def _grid(
    rows: pl.DataFrame, key: str | None, seconds: int, min_total: int, max_keys: int
) -> pl.DataFrame:
    """(key, bucket, n) with a zero for every bucket where a key sent nothing."""
    import polars as pl

    step = every(seconds)
    key_expr = pl.col(key) if key else pl.lit("all")
    counts = rows.group_by(
        key_expr.alias("key"), pl.col("received").dt.truncate(step).alias("bucket")
    ).agg(pl.col("count").sum().alias("n"))
    totals = counts.group_by("key").agg(
        pl.col("n").sum().alias("total"), pl.col("bucket").min().alias("first")
    )
    keys = (
        totals.filter(pl.col("total") >= min_total)
        .sort(["total", "key"], descending=[True, False])
        .head(max_keys)
        .select("key", "first")
    )
    buckets = bucket_range(rows.get_column("received"), seconds).to_frame()
    grid = keys.join(buckets, how="cross").join(counts, on=["key", "bucket"], how="left")
    return grid.with_columns(pl.col("n").fill_null(0).cast(pl.Float64)).sort("key", "bucket")


def message_sizes(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per message: its first time, sender, source IP, direction and ``k`` (rows)."""
    import polars as pl

    return (
        with_message_ids(rows)
        .group_by(message_key())
        .agg(
            pl.col("received").min(),
            pl.col("count").sum().alias("k"),
            pl.col("sender").first(),
            pl.col("from_ip").first(),
            pl.col("direction").first(),
        )
    )


def dispersion_by(sizes: pl.DataFrame, key: str | None) -> pl.DataFrame:
    """(key, disp): the variance-to-mean ratio that recipients-per-message add to row counts.

    A message to five recipients is five rows arriving together, so row counts vary more than
    a Poisson count would; for compound Poisson counts that factor is E[k^2] / E[k].
    """
    import polars as pl

    key_expr = (pl.col(key) if key else pl.lit("all")).alias("key")
    ratio = (pl.col("k").cast(pl.Float64) ** 2).sum() / pl.col("k").sum()
    present = sizes.filter(pl.col(key).is_not_null()) if key else sizes
    return present.group_by(key_expr).agg(ratio.clip(lower_bound=1.0).alias("disp"))


def unit_dispersion() -> pl.DataFrame:
    """For counts that are messages already (daily totals): no extra variance."""
    import polars as pl

    return pl.DataFrame({"key": ["all"], "disp": [1.0]})


@dataclass(frozen=True)
class _Slots:
    """Comparable buckets share ``group`` (weekday/weekend, or weekday) and ``position``
    (minute of the day); None when there is too little history for that."""

    group: pl.Expr
    position: pl.Expr
    cycle: int  # positions per cycle, for neighbours that wrap around midnight
    method: str


def _slots(grid: pl.DataFrame, seconds: int) -> _Slots | None:
    """How to group comparable buckets, given how much history there is."""
    import polars as pl

    bucket = pl.col("bucket")
    first, last = grid.get_column("bucket").min(), grid.get_column("bucket").max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    span = last - first + timedelta(seconds=seconds)
    if seconds >= 86400:
        if span >= timedelta(weeks=_SEASONAL_WEEKS):
            return _Slots(pl.lit(0), bucket.dt.weekday(), 7, "median of the same weekday")
        return None
    if span < timedelta(days=_SEASONAL_DAYS):
        return None
    minute = bucket.dt.hour().cast(pl.Int32) * 60 + bucket.dt.minute().cast(pl.Int32)
    days = grid.select(bucket.dt.date().unique()).to_series()
    weekend_days = int(days.dt.weekday().ge(6).sum())
    if weekend_days and days.len() - weekend_days >= _SEASONAL_DAYS:
        weekend = bucket.dt.weekday().ge(6).cast(pl.Int32)
        return _Slots(
            weekend, minute, 1440, "median of the same hour on other weekdays / weekend days"
        )
    return _Slots(pl.lit(0), minute, 1440, "median of the same time of day on other days")


def _baseline(grid: pl.DataFrame, seconds: int) -> tuple[pl.DataFrame, str]:
    import polars as pl

    slots = _slots(grid, seconds)
    if slots is None:
        scored, method = _rolling(grid), f"rolling median of {_ROLLING_WINDOW} intervals"
    else:
        scored, method = _seasonal(grid, slots), slots.method
    n = pl.col("n")
    floor = (pl.col("expected").clip(lower_bound=1.0) * pl.col("disp")).sqrt()
    sigma = pl.max_horizontal(pl.col("mad") * _MAD_TO_SIGMA, floor)
    return (
        scored.with_columns(sigma.alias("sigma")).with_columns(
            ((n - pl.col("expected")) / pl.col("sigma")).alias("score")
        ),
        method,
    )


def _rolling(grid: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    n = pl.col("n")
    median = n.rolling_median(_ROLLING_WINDOW, center=True, min_samples=1).over("key")
    expected = grid.with_columns(median.alias("expected"))
    deviation = (n - pl.col("expected")).abs()
    spread = deviation.rolling_median(_ROLLING_WINDOW, center=True, min_samples=1)
    return expected.with_columns(spread.over("key").alias("mad"))


def _seasonal(grid: pl.DataFrame, slots: _Slots) -> pl.DataFrame:
    """Median and MAD per slot; a slot with under three buckets (two weekend days in a
    ten-day trace) borrows the positions an hour either side, on the same kind of day."""
    import polars as pl

    n = pl.col("n")
    slot = ["key", "_group", "_pos"]
    placed = grid.with_columns(slots.group.alias("_group"), slots.position.alias("_pos"))
    exact = placed.with_columns(
        pl.len().over(slot).alias("_count"), n.median().over(slot).alias("expected")
    ).with_columns((n - pl.col("expected")).abs().median().over(slot).alias("mad"))
    if exact.get_column("_count").min() >= _MIN_SAMPLES:  # type: ignore[operator]
        return exact
    reach = 60 if slots.cycle == 1440 else 1
    near = (
        placed.select(*slot, "n")
        .with_columns(
            pl.concat_list(
                [(pl.col("_pos") + shift) % slots.cycle for shift in (-reach, 0, reach)]
            ).alias("_near")
        )
        .explode("_near")
    )
    around = ["key", "_group", "_near"]
    near = near.with_columns(n.median().over(around).alias("_med"))
    stats = near.group_by(around).agg(
        pl.col("_med").first(), (n - pl.col("_med")).abs().median().alias("_mad")
    )
    joined = exact.join(stats.rename({"_near": "_pos"}), on=slot, how="left")
    sparse = pl.col("_count") < _MIN_SAMPLES
    return joined.with_columns(
        pl.when(sparse).then(pl.col("_med")).otherwise(pl.col("expected")).alias("expected"),
        pl.when(sparse).then(pl.col("_mad")).otherwise(pl.col("mad")).alias("mad"),
    )


def _windows(
    scored: pl.DataFrame, seconds: int, settings: AnomalySettings, scope: str
) -> pl.DataFrame:
    import polars as pl

    n, expected, score = pl.col("n"), pl.col("expected"), pl.col("score")
    edges = pl.col("bucket").is_in([scored["bucket"].min(), scored["bucket"].max()])
    spike = (n >= settings.ratio * expected.clip(lower_bound=1.0)) & (score >= settings.candidate_z)
    # A spike bucket must carry a share of the extra mail itself, so a few stray night-time
    # messages next to a burst do not stretch its window.
    spike &= n - expected >= settings.min_excess[scope] / 4
    # Before a key's first message it did not exist yet: silence there is no drop.
    drop = (n <= expected / settings.ratio) & (score <= -settings.candidate_z) & ~edges
    drop &= pl.col("bucket") >= pl.col("first")
    kind = pl.when(spike).then(pl.lit("spike")).when(drop).then(pl.lit("drop"))
    candidates = scored.with_columns(kind.otherwise(None).alias("kind")).filter(
        pl.col("kind").is_not_null()
    )
    if candidates.is_empty():
        return empty_anomalies()
    step = timedelta(seconds=seconds)
    gap = pl.col("bucket").diff().over("key", "kind") != step
    runs = candidates.sort("key", "kind", "bucket").with_columns(
        gap.fill_null(True).cum_sum().alias("run")
    )
    merged = runs.group_by("key", "kind", "run").agg(
        pl.col("bucket").min().alias("start"),
        (pl.col("bucket").max() + step).alias("end"),
        n.sum().alias("observed"),
        expected.sum().alias("expected"),
        (pl.col("sigma") ** 2).sum().sqrt().alias("_sigma"),
    )
    window_score = (pl.col("observed") - pl.col("expected")) / pl.col("_sigma")
    merged = merged.with_columns(window_score.alias("score"))
    big_spike = (pl.col("kind") == "spike") & (pl.col("score") >= settings.z)
    big_spike &= pl.col("observed") - pl.col("expected") >= settings.min_excess[scope]
    big_drop = (pl.col("kind") == "drop") & (pl.col("score") <= -settings.drop_z)
    big_drop &= pl.col("expected") - pl.col("observed") >= settings.min_expected[scope]
    kept = merged.filter(big_spike | big_drop)
    ratio = pl.col("observed") / pl.col("expected").clip(lower_bound=1.0)
    return kept.select(
        "start",
        "end",
        pl.lit(scope).alias("scope"),
        "key",
        "kind",
        pl.col("observed").round(0).cast(pl.Int64),
        pl.col("expected").round(1),
        pl.col("score").round(1),
        ratio.round(1).alias("ratio"),
    ).sort(pl.col("score").abs(), descending=True)


def newcomers(
    rows: pl.DataFrame, key: str, learn_until: datetime, limit: int = 100
) -> pl.DataFrame:
    """Values of ``key`` first seen after ``learn_until``: (key, first_seen, rows, messages)."""
    import polars as pl

    present = with_message_ids(rows).filter(pl.col(key).is_not_null())
    table = present.group_by(pl.col(key).alias("key")).agg(
        pl.col("received").min().alias("first_seen"),
        pl.col("count").sum().alias("rows"),
        message_key().n_unique().alias("messages"),
    )
    fresh = table.filter(pl.col("first_seen") > learn_until)
    return fresh.sort(["rows", "key"], descending=[True, False]).head(limit)
