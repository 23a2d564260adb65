"""Findings from a TraceAnalysis. Titles, severities and fixes live in
knowledge/trace_findings.json; the rules here decide when one applies and fill in the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from o365diag.findings import Finding, Severity, catalogue_finding
from o365diag.knowledge import Entry, KnowledgeError, load_table
from o365diag.trace.limits import sending_limits
from o365diag.trace.model import SENDING, display_value
from o365diag.trace.volume import MAX_TIME_BUCKETS, category_of, interval_label
from o365diag.wording import duration, plural

if TYPE_CHECKING:
    import polars as pl

    from o365diag.trace.analyze import TraceAnalysis

__all__ = ["diagnose", "trace_finding"]

_MAX_PER_CODE = 8
_MAX_LISTED = 10
_FAILURE_MIN = 10
_FAILURE_RATE = 0.2
_TENANT_FAILED_RATE = 0.1
_TENANT_FAILED_MIN = 20
_STRONG_RATIO = 10.0
# Below half a message per bucket the baseline is "none", and a ratio against it means nothing.
_ALMOST_NONE = 0.5
_OUTBOUND_SPAM_ERROR = 10
_NEW_SENDER_BUSY = 100
_PENDING_AGE = timedelta(hours=4)
_REASONS_SHOWN = 5
_ANOMALY_CODES = {
    ("tenant", "spike"): "trace.volume-spike",
    ("tenant", "drop"): "trace.volume-drop",
    ("sender", "spike"): "trace.sender-spike",
    ("sender", "drop"): "trace.sender-drop",
    ("ip", "spike"): "trace.ip-spike",
    ("ip", "drop"): "trace.ip-drop",
}


def trace_finding(
    code: str,
    values: dict[str, Any] | None = None,
    *,
    severity: Severity | None = None,
    evidence: tuple[str, ...] = (),
    fix: str | None = None,
) -> Finding:
    """A Finding from the trace catalogue entry ``code``, its templates filled from ``values``."""
    return catalogue_finding(
        "trace_findings",
        code,
        {k: display_value(v) for k, v in (values or {}).items()},
        severity=severity,
        fix=fix,
        evidence=evidence,
        max_evidence=_MAX_LISTED + 2,
        missing="?",
    )


def diagnose(analysis: TraceAnalysis) -> list[Finding]:
    findings: list[Finding] = []
    for rule in _RULES:
        findings.extend(rule(analysis))
    return findings


# -- input ------------------------------------------------------------------------------------


def _input_rules(a: TraceAnalysis) -> Iterator[Finding]:
    data = a.data
    if data.messages.is_empty() and data.events.is_empty():
        yield trace_finding("trace.empty")
    if data.bad_rows.count:
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in data.bad_rows.by_reason.items())
        evidence = tuple(
            f"{e['file']} row {e['row']}: {e['reason']}"
            + (f" ({e['value']!r})" if e.get("value") else "")
            for e in data.bad_rows.examples
        )
        values = {"rows": plural(data.bad_rows.count, "row"), "reasons": reasons}
        yield trace_finding("trace.bad-rows", values, evidence=evidence)
    if data.duplicates:
        values = {
            "rows": plural(data.duplicates, "row"),
            "duplicates": plural(data.duplicates, "duplicate row"),
        }
        yield trace_finding("trace.duplicates", values)
    if data.org_domains_inferred:
        yield trace_finding("trace.org-domains-inferred", {"domains": ", ".join(data.org_domains)})
    for info in data.files:
        order = {"mdy": "month/day", "dmy": "day/month"}.get(info.date_order or "", "?")
        if info.ambiguous_dates:
            yield trace_finding("trace.ambiguous-dates", {"file": info.name, "order": order})
        if info.assumed_utc:
            yield trace_finding("trace.assumed-utc", {"file": info.name})
    if data.totals_set_aside:
        yield trace_finding("trace.totals-set-aside")
    if data.aggregate_only:
        yield trace_finding("trace.aggregate-only")
    elif data.messages.is_empty() and not data.events.is_empty():
        yield trace_finding("trace.detail-only")
    yield from _short_range(a)
    yield from _widened_interval(a)


def _widened_interval(a: TraceAnalysis) -> Iterator[Finding]:
    if a.requested_interval is None or a.requested_interval >= a.interval:
        return
    values = {
        "requested": interval_label(a.requested_interval),
        "interval": interval_label(a.interval),
        "span": _span(a.span),
        "buckets": f"{MAX_TIME_BUCKETS:,}",
    }
    yield trace_finding("trace.interval-widened", values)


def _short_range(a: TraceAnalysis) -> Iterator[Finding]:
    if a.time_range is None or a.data.aggregate_only:
        return
    skipped = []
    if a.baseline_method.startswith("rolling"):
        skipped.append("volume is compared with a rolling median, not the same hour on other days")
    if a.new_senders is None:
        skipped.append("new senders and IPs were not looked for")
    if skipped:
        yield trace_finding(
            "trace.short-range", {"span": _span(a.span), "skipped": "; ".join(skipped)}
        )


def _span(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


# -- anomalies and newcomers ------------------------------------------------------------------


def _anomaly_rules(a: TraceAnalysis) -> Iterator[Finding]:
    if a.data.messages.is_empty():
        return
    if a.anomalies.is_empty():
        yield trace_finding("trace.no-anomalies", {"method": a.baseline_method})
        return
    shown: dict[str, int] = {}
    for row in a.anomalies.iter_rows(named=True):
        code = _ANOMALY_CODES[(row["scope"], row["kind"])]
        shown[code] = shown.get(code, 0) + 1
        if shown[code] > _MAX_PER_CODE:
            continue
        severity = None
        if row["kind"] == "spike" and row["scope"] != "tenant" and row["ratio"] < _STRONG_RATIO:
            severity = Severity.WARNING
        window = f"{display_value(row['start'])} to {display_value(row['end'])} UTC"
        evidence = (
            f"{window} (anomalies are looked for per {duration(a.anomaly_interval)}): "
            f"{row['observed']:,} observed, "
            f"{row['expected']:,.1f} expected, score {row['score']:,.1f}",
            f"baseline: {a.baseline_method}",
        )
        yield trace_finding(code, {**row, **_usual(row)}, severity=severity, evidence=evidence)


def _usual(row: dict[str, Any]) -> dict[str, str]:
    """How much mail is usual, and how big the jump is, in words that hold near zero."""
    expected = float(row["expected"])
    if expected < _ALMOST_NONE:
        return {"usual": "almost none", "jump": "from almost none"}
    return {"usual": f"about {expected:,.1f}", "jump": f"{float(row['ratio']):,.1f}x"}


def _newcomer_rules(a: TraceAnalysis) -> Iterator[Finding]:
    if a.time_range is None:
        return
    since = a.time_range[0] + a.span * 0.25
    for code, table in (("trace.new-sender", a.new_senders), ("trace.new-relay-ip", a.new_ips)):
        if table is None or table.is_empty():
            continue
        keys = table.get_column("key").to_list()
        evidence = tuple(
            f"{r['key']}: first seen {display_value(r['first_seen'])} UTC, {r['rows']:,} rows"
            for r in table.head(_MAX_LISTED).iter_rows(named=True)
        )
        busy = bool((table.get_column("rows") >= _NEW_SENDER_BUSY).any())
        severity = Severity.WARNING if code == "trace.new-sender" and busy else None
        noun = "new sender" if code == "trace.new-sender" else "new source IP"
        values = {
            "count": len(keys),
            "items": plural(len(keys), noun),
            "since": since,
            "keys": _listed(keys),
        }
        yield trace_finding(code, values, severity=severity, evidence=evidence)


def _listed(keys: list[str]) -> str:
    more = len(keys) - _MAX_LISTED
    return ", ".join(keys[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


# -- limits -----------------------------------------------------------------------------------


def _limit_rules(a: TraceAnalysis) -> Iterator[Finding]:
    limits = sending_limits()
    checks = (
        ("trace.smtp-auth-message-rate", "max_per_minute", "minute_at", limits.messages_per_minute),
        (
            "trace.smtp-auth-recipient-rate",
            "max_recipients_24h",
            "day_at",
            limits.recipients_per_day,
        ),
    )
    for code, column, when, limit in checks:
        for row in a.limits.iter_rows(named=True):
            observed = row[column] or 0
            share = observed / limit
            if share < limits.near:
                continue
            severity = Severity.ERROR if share >= 1 else Severity.WARNING
            values = {
                "key": row["sender"],
                "observed": observed,
                "start": row[when],
                "limit": limit,
                "percent": round(share * 100),
            }
            yield trace_finding(code, values, severity=severity)


# -- failures ---------------------------------------------------------------------------------


def _failure_rules(a: TraceAnalysis) -> Iterator[Finding]:
    yield from _sender_failures(a.failures_by_sender)
    yield from _tenant_failures(a)
    yield from _outbound_spam(a)
    yield from _quarantine(a)
    yield from _pending(a)


def _breakdown(row: dict[str, Any]) -> str:
    parts = [f"{row[c]:,} {c}" for c in ("failed", "spam", "quarantined", "threat") if row[c]]
    return ", ".join(parts)


def _sender_failures(table: pl.DataFrame) -> Iterator[Finding]:
    for row in table.iter_rows(named=True):
        if row["problems"] < _FAILURE_MIN or row["rate"] < _FAILURE_RATE:
            continue
        if row["direction"] == "Inbound":
            continue  # inbound spam being filtered is the filter working
        values = {
            "key": row["sender"],
            "observed": row["problems"],
            "total": row["total"],
            "percent": round(row["rate"] * 100),
            "breakdown": _breakdown(row),
        }
        yield trace_finding("trace.failure-rate", values)


def _tenant_failures(a: TraceAnalysis) -> Iterator[Finding]:
    over_time = a.failures_over_time
    if over_time.is_empty():
        return
    total = int(over_time.get_column("total").sum())
    failed = int(over_time.get_column("failed").sum())
    if failed >= _TENANT_FAILED_MIN and failed / max(total, 1) >= _TENANT_FAILED_RATE:
        values = {
            "key": "all senders",
            "observed": failed,
            "total": total,
            "percent": round(100 * failed / total),
            "breakdown": f"{failed:,} failed",
        }
        yield trace_finding("trace.failure-rate", values)


def _outbound_spam(a: TraceAnalysis) -> Iterator[Finding]:
    import polars as pl

    messages = a.data.messages
    rows = messages.filter(pl.col("direction").is_in(SENDING) & (category_of(messages) == "spam"))
    if rows.is_empty():
        return
    per_sender = (
        rows.group_by("sender")
        .agg(pl.col("count").sum().alias("n"))
        .sort(["n", "sender"], descending=[True, False])
    )
    for sender, count in per_sender.head(_MAX_PER_CODE).iter_rows():
        severity = Severity.ERROR if count >= _OUTBOUND_SPAM_ERROR else Severity.WARNING
        yield trace_finding(
            "trace.outbound-spam", {"key": sender, "observed": count}, severity=severity
        )


def _quarantine(a: TraceAnalysis) -> Iterator[Finding]:
    import polars as pl

    rows = a.data.messages.filter(pl.col("status") == "Quarantined")
    if rows.is_empty():
        return
    top = (
        rows.filter(pl.col("sender").is_not_null())
        .group_by("sender")
        .agg(pl.col("count").sum().alias("n"))
        .sort(["n", "sender"], descending=[True, False])
        .head(3)
    )
    keys = ", ".join(f"{s} ({n:,})" for s, n in top.iter_rows()) or "aggregate counts"
    yield trace_finding(
        "trace.quarantined", {"observed": int(rows.get_column("count").sum()), "keys": keys}
    )


def _pending(a: TraceAnalysis) -> Iterator[Finding]:
    import polars as pl

    if a.time_range is None:
        return
    cutoff = a.time_range[1] - _PENDING_AGE
    stuck = a.data.messages.filter(
        pl.col("status").is_in(["Pending", "GettingStatus"]) & (pl.col("received") < cutoff)
    )
    if stuck.is_empty():
        return
    values = {"observed": int(stuck.get_column("count").sum()), "start": stuck["received"].min()}
    yield trace_finding("trace.pending", values)


# -- reasons from detail events ---------------------------------------------------------------


@cache
def _replies_by_code() -> dict[str, Entry]:
    try:
        table = load_table("smtp_replies")
    except KnowledgeError:
        return {}
    found: dict[str, Entry] = {}
    for entry in table.entries:
        code = entry.get("enhanced")
        if isinstance(code, str):
            found.setdefault(code, entry)
    return found


def _reason_rules(a: TraceAnalysis) -> Iterator[Finding]:
    """The commonest reasons that carry a status code (spam verdicts are the filter working)."""
    import polars as pl

    coded = a.reasons.filter(pl.col("code").is_not_null())
    for row in coded.head(_REASONS_SHOWN).iter_rows(named=True):
        known = _replies_by_code().get(row["code"] or "")
        fix = str(known.get("fix")) if known and known.get("fix") else None
        reason = row["reason"] or row["event"]
        evidence: tuple[str, ...] = (f"{row['event']}: {reason}", f"senders: {row['senders']}")
        if known:
            evidence += (f"{row['code']}: {known.meaning}",)
        yield trace_finding(
            "trace.failure-reason",
            {"observed": row["events"], "reason": reason},
            evidence=evidence,
            fix=fix,
        )


_RULES: tuple[Callable[[TraceAnalysis], Iterator[Finding]], ...] = (
    _input_rules,
    _anomaly_rules,
    _newcomer_rules,
    _limit_rules,
    _failure_rules,
    _reason_rules,
)
