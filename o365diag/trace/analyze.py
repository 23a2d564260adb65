"""Run every analysis on loaded trace data and build the ``o365diag.trace/1`` report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from o365diag.findings import Finding
from o365diag.trace.anomalies import (
    AnomalySettings,
    detect_anomalies,
    dispersion_by,
    empty_anomalies,
    message_sizes,
    newcomers,
    unit_dispersion,
)
from o365diag.trace.diagnose import diagnose
from o365diag.trace.failures import failure_reasons, failures_by_sender, failures_over_time
from o365diag.trace.limits import smtp_auth_limits
from o365diag.trace.model import SENDING, TraceData, as_records
from o365diag.trace.report import report_data, report_title
from o365diag.trace.result import SCHEMA, TraceResult
from o365diag.trace.volume import (
    MAX_TIME_BUCKETS,
    auto_interval,
    heatmap,
    parse_interval,
    sender_series,
    top_table,
    volume_by,
    with_categories,
    with_message_ids,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = ["SCHEMA", "TraceAnalysis", "analyze_trace", "as_records"]

_LEARN_SHARE = 0.25
_NEWCOMER_MIN_SPAN = timedelta(days=2)
_SMALL_MULTIPLES = 9
_FAILURE_BUCKETS = 60


@dataclass
class TraceAnalysis:
    """Aggregates (small frames) from one trace; figures and reports are built from these."""

    data: TraceData
    interval: int
    anomaly_interval: int
    failure_interval: int
    time_range: tuple[datetime, datetime] | None
    volume: pl.DataFrame
    volume_direction: pl.DataFrame
    top_senders: pl.DataFrame
    top_ips: pl.DataFrame
    top_domains: pl.DataFrame
    sender_series: pl.DataFrame
    heatmap: pl.DataFrame
    anomalies: pl.DataFrame
    baseline_method: str
    new_senders: pl.DataFrame | None
    new_ips: pl.DataFrame | None
    limits: pl.DataFrame
    failures_over_time: pl.DataFrame
    failures_by_sender: pl.DataFrame
    reasons: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    # The interval asked for, when it was widened to keep the number of buckets bounded.
    requested_interval: int | None = None

    @property
    def span(self) -> timedelta:
        if self.time_range is None:
            return timedelta(0)
        return self.time_range[1] - self.time_range[0]

    def to_report(self) -> TraceResult:
        return TraceResult.from_model(report_data(self), self.findings, report_title(self))


def analyze_trace(
    data: TraceData,
    interval: str | int = "auto",
    settings: AnomalySettings | None = None,
    top: int = 20,
) -> TraceAnalysis:
    """Volume, top talkers, anomalies, newcomers, limits and failures, then the findings."""
    import polars as pl

    data = _without_totals_beside_messages(data)
    messages = with_categories(with_message_ids(data.messages))
    time_range = _time_range(messages)
    span = (time_range[1] - time_range[0]) if time_range else timedelta(0)
    requested = _interval_seconds(interval, span)
    seconds = max(requested, auto_interval(span.total_seconds(), MAX_TIME_BUCKETS))
    anomaly_seconds = max(
        _anomaly_interval(span, data.aggregate_only),
        auto_interval(span.total_seconds(), MAX_TIME_BUCKETS),
    )
    failure_seconds = _failure_interval(seconds, span)
    sending = messages.filter(pl.col("direction").is_in(SENDING))
    relay_rows = sending if sending.height else messages
    sizes = None if data.aggregate_only else message_sizes(messages)
    anomalies, method = _all_anomalies(messages, relay_rows, sizes, anomaly_seconds, settings)
    top_senders = top_table(messages, "sender", top)
    analysis = TraceAnalysis(
        data=data,
        interval=seconds,
        anomaly_interval=anomaly_seconds,
        failure_interval=failure_seconds,
        time_range=time_range,
        volume=volume_by(messages, "status", seconds),
        volume_direction=volume_by(messages, "direction", seconds),
        top_senders=top_senders,
        top_ips=top_table(relay_rows, "from_ip", top),
        top_domains=top_table(messages, "recipient_domain", top),
        sender_series=sender_series(messages, _chart_senders(top_senders, anomalies), seconds),
        heatmap=heatmap(messages),
        anomalies=anomalies,
        baseline_method=method,
        new_senders=_newcomers(sending, "sender", time_range, data),
        new_ips=_newcomers(sending, "from_ip", time_range, data),
        limits=smtp_auth_limits(messages, sizes=sizes),
        failures_over_time=failures_over_time(messages, failure_seconds),
        failures_by_sender=failures_by_sender(messages, top),
        reasons=failure_reasons(data.events, top),
    )
    analysis.requested_interval = requested
    analysis.findings = diagnose(analysis)
    return analysis


AGGREGATE_FORMAT = "mailflow-status"


def _without_totals_beside_messages(data: TraceData) -> TraceData:
    """Daily totals counted next to a message trace would count the same mail twice: when
    both are loaded, analyse the messages and note that the totals were set aside."""
    import polars as pl

    aggregate = pl.col("format") == AGGREGATE_FORMAT
    has_totals = data.messages.select(aggregate.any()).item()
    if data.aggregate_only or not has_totals:
        return data
    return replace(data, messages=data.messages.filter(~aggregate), totals_set_aside=True)


def _time_range(messages: pl.DataFrame) -> tuple[datetime, datetime] | None:
    if messages.is_empty():
        return None
    first = messages.get_column("received").min()
    last = messages.get_column("received").max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    return first, last


def _interval_seconds(interval: str | int, span: timedelta) -> int:
    if isinstance(interval, int):
        return interval
    if interval == "auto":
        return auto_interval(span.total_seconds())
    return parse_interval(interval)


def _failure_interval(seconds: int, span: timedelta) -> int:
    """Coarser than the volume bars when needed: a rate over a handful of rows is noise."""
    return max(seconds, auto_interval(span.total_seconds(), _FAILURE_BUCKETS))


def _anomaly_interval(span: timedelta, aggregate_only: bool) -> int:
    if aggregate_only:
        return 86400
    if span >= timedelta(days=2):
        return 3600
    return 900 if span >= timedelta(hours=6) else 300


def _all_anomalies(
    messages: pl.DataFrame,
    relay_rows: pl.DataFrame,
    sizes: pl.DataFrame | None,
    seconds: int,
    settings: AnomalySettings | None,
) -> tuple[pl.DataFrame, str]:
    """Tenant, sender and relay-IP anomalies; ``sizes`` None for daily totals (tenant only)."""
    import polars as pl

    tenant_spread = unit_dispersion() if sizes is None else dispersion_by(sizes, None)
    tenant, method = detect_anomalies(messages, "tenant", None, seconds, settings, tenant_spread)
    found = [tenant]
    if sizes is not None:
        sending = sizes.filter(pl.col("direction").is_in(SENDING))
        relay_sizes = sending if relay_rows.height < messages.height else sizes
        by_sender = dispersion_by(sizes, "sender")
        by_ip = dispersion_by(relay_sizes, "from_ip")
        found.append(
            detect_anomalies(messages, "sender", "sender", seconds, settings, by_sender)[0]
        )
        found.append(detect_anomalies(relay_rows, "ip", "from_ip", seconds, settings, by_ip)[0])
    frames = [f for f in found if f.height]
    if not frames:
        return empty_anomalies(), method
    merged = pl.concat(frames).sort(pl.col("score").abs(), descending=True)
    return merged, method


def _chart_senders(top_senders: pl.DataFrame, anomalies: pl.DataFrame) -> list[str]:
    """Senders for the small multiples: those with anomalies first, then the busiest."""
    import polars as pl

    flagged = anomalies.filter(pl.col("scope") == "sender").get_column("key").to_list()
    chosen: list[str] = []
    for sender in [*flagged, *top_senders.get_column("sender").to_list()]:
        if sender not in chosen:
            chosen.append(sender)
    return chosen[:_SMALL_MULTIPLES]


def _newcomers(
    sending: pl.DataFrame,
    key: str,
    time_range: tuple[datetime, datetime] | None,
    data: TraceData,
) -> pl.DataFrame | None:
    """None when the trace is too short (or has no per-message rows) to tell."""
    if time_range is None or data.aggregate_only:
        return None
    span = time_range[1] - time_range[0]
    if span < _NEWCOMER_MIN_SPAN:
        return None
    return newcomers(sending, key, time_range[0] + span * _LEARN_SHARE)
