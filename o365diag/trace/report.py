"""The ``o365diag.trace/1`` data (``report_data``, from an analysis) and its views: a terminal
summary, cards and tables. The views read the typed data alone, so a fresh analysis and its
saved JSON render the same; only the charts (``figures_html``) need the analysis's frames."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from o365diag.findings import Finding, render_cards_html, render_findings_html
from o365diag.result import markdown_inline
from o365diag.trace.model import (
    Anomaly,
    BadRowsSummary,
    Baseline,
    DirectionPoint,
    DomainTraffic,
    FailureBucket,
    FailureReason,
    Failures,
    HeatCell,
    Newcomer,
    RelayIpTraffic,
    SenderFailures,
    SenderTraffic,
    SendingLimit,
    StatusPoint,
    TimeRange,
    TraceResultData,
    Traffic,
    Volume,
    as_records,
    display_value,
)
from o365diag.trace.volume import PROBLEM_CATEGORIES, bucket_range, interval_label
from o365diag.typed import load
from o365diag.wording import plural

if TYPE_CHECKING:
    import polars as pl

    from o365diag.trace.analyze import TraceAnalysis

__all__ = [
    "analysis_html",
    "analysis_text",
    "anomaly_table_html",
    "cards",
    "display_time",
    "report_data",
    "report_title",
    "summary_markdown",
    "summary_text",
    "tables_html",
]

_TEXT_TOP = 10
_LIMIT_ROWS = 5
RowT = TypeVar("RowT")


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def report_title(a: TraceAnalysis) -> str:
    return f"Message trace: {a.data.format or 'no data'}, {plural(a.data.messages.height, 'row')}"


# -- the data -------------------------------------------------------------------------------------


def report_data(a: TraceAnalysis) -> TraceResultData:
    messages = a.data.messages
    start, end = a.time_range or (None, None)
    return TraceResultData(
        format=a.data.format,
        files=[f.summary() for f in a.data.files],
        rows=messages.height,
        messages=int(messages.get_column("count").sum()) if messages.height else 0,
        events=a.data.events.height,
        bad_rows=load(BadRowsSummary, a.data.bad_rows.to_dict(), "bad_rows"),
        duplicates=a.data.duplicates,
        org_domains=list(a.data.org_domains),
        time_range=TimeRange(_iso(start), _iso(end)),
        by_status=_totals(messages, "status"),
        by_direction=_totals(messages, "direction"),
        volume=Volume(
            interval_label(a.interval),
            [StatusPoint(s, t, c) for s, t, c in _series(a.volume, "status", a.interval)],
            [
                DirectionPoint(s, t, c)
                for s, t, c in _series(a.volume_direction, "direction", a.interval)
            ],
        ),
        baseline=Baseline(interval_label(a.anomaly_interval), a.baseline_method),
        anomalies=_rows(Anomaly, a.anomalies, "anomalies"),
        top_senders=_rows(SenderTraffic, a.top_senders, "top_senders"),
        top_relay_ips=_rows(RelayIpTraffic, a.top_ips, "top_relay_ips"),
        top_recipient_domains=_rows(DomainTraffic, a.top_domains, "top_recipient_domains"),
        new_senders=_rows_or_none(Newcomer, a.new_senders, "new_senders"),
        new_relay_ips=_rows_or_none(Newcomer, a.new_ips, "new_relay_ips"),
        smtp_auth_limits=_rows(SendingLimit, a.limits, "smtp_auth_limits"),
        failures=Failures(
            interval_label(a.failure_interval),
            _rows(FailureBucket, a.failures_over_time, "failures.over_time"),
            _rows(SenderFailures, a.failures_by_sender, "failures.by_sender"),
            _rows(FailureReason, a.reasons, "failures.reasons"),
        ),
        heatmap=_rows(HeatCell, a.heatmap, "heatmap"),
    )


def _rows(cls: type[RowT], frame: pl.DataFrame, where: str) -> list[RowT]:
    """A small frame's rows as data classes (checked: a column of another type is a bug)."""
    return [load(cls, row, f"{where}[{i}]") for i, row in enumerate(as_records(frame) or [])]


def _rows_or_none(cls: type[RowT], frame: pl.DataFrame | None, where: str) -> list[RowT] | None:
    return None if frame is None else _rows(cls, frame, where)


def _totals(messages: pl.DataFrame, column: str) -> dict[str, int]:
    import polars as pl

    if messages.is_empty():
        return {}
    # Equal counts in name order: group_by's order varies from run to run.
    table = (
        messages.group_by(column)
        .agg(pl.col("count").sum())
        .sort(["count", column], descending=[True, False], nulls_last=True)
    )
    return {str(k): int(v) for k, v in table.iter_rows()}


def _series(
    volume: pl.DataFrame, column: str, seconds: int
) -> list[tuple[str, int, dict[str, int]]]:
    """(start, total, count by ``column``) per interval from the first to the last, empty
    intervals included."""
    import polars as pl

    if volume.is_empty():
        return []
    grouped = volume.group_by("bucket").agg(
        pl.col("n").sum().alias("total"), pl.col(column), pl.col("n").alias("counts")
    )
    every_bucket = bucket_range(volume.get_column("bucket"), seconds).to_frame()
    full = every_bucket.join(grouped, on="bucket", how="left").sort("bucket")
    series = []
    for row in full.iter_rows(named=True):
        names, counts = row[column] or [], row["counts"] or []
        by_value = {str(k): int(n) for k, n in zip(names, counts, strict=True)}
        series.append((str(_iso(row["bucket"])), int(row["total"] or 0), by_value))
    return series


# -- the views of the data ------------------------------------------------------------------------


def display_time(text: str | None) -> str:
    """A saved ISO 8601 time as tables show it (to the minute); other text as it is."""
    if not text:
        return ""
    try:
        return display_value(datetime.fromisoformat(text))
    except ValueError:
        return text


def cards(data: TraceResultData) -> list[tuple[str, str, str]]:
    """(label, value, good|bad|neutral) summary cards."""
    total = data.messages
    problems = sum(b.problems for b in data.failures.over_time) if total else 0
    start, end = data.time_range.start, data.time_range.end
    span = f"{display_time(start)} – {display_time(end)} UTC" if start and end else "—"
    bad = data.bad_rows.count
    return [
        ("Rows", f"{data.rows:,}", "neutral"),
        ("Time range", span, "neutral"),
        (
            "Not delivered",
            f"{problems:,} ({100 * problems / max(total, 1):.1f}%)",
            "bad" if problems else "good",
        ),
        ("Anomalies", f"{len(data.anomalies):,}", "bad" if data.anomalies else "good"),
        ("Bad rows", f"{bad:,}", "bad" if bad else "good"),
    ]


# -- text -------------------------------------------------------------------------------------


def analysis_text(a: TraceAnalysis) -> str:
    report = a.to_report()
    return summary_text(report.model, report.title, report.sorted_findings())


def summary_text(data: TraceResultData, title: str, findings: Sequence[Finding]) -> str:
    """The terminal summary: cards, statuses, top talkers, anomalies, then the findings."""
    lines = [title, "=" * len(title)]
    lines += [f"{label}: {value}" for label, value, _ in cards(data)]
    lines.append(f"Interval: {data.volume.interval}; baseline: {data.baseline.method}")
    if data.by_status:
        lines.append("By status: " + ", ".join(f"{k} {v:,}" for k, v in data.by_status.items()))
    lines += _text_table("Top senders", [(r.sender, r) for r in data.top_senders])
    lines += _text_table("Top relay IPs", [(r.from_ip, r) for r in data.top_relay_ips])
    lines += _text_anomalies(data.anomalies)
    lines += ["", "Findings", "--------"]
    lines.extend(f.to_text() for f in findings)
    return "\n".join(lines)


def _problems(row: Traffic) -> int:
    return row.failed + row.spam + row.quarantined + row.threat


def _text_table(title: str, rows: Sequence[tuple[str, Traffic]]) -> list[str]:
    if not rows:
        return []
    lines = ["", title]
    for name, row in rows[:_TEXT_TOP]:
        lines.append(f"  {name:<40} {row.rows:>9,} rows  {_problems(row):>7,} not delivered")
    return lines


def _text_anomalies(anomalies: Sequence[Anomaly]) -> list[str]:
    if not anomalies:
        return []
    lines = ["", "Anomalies"]
    for row in anomalies[:_TEXT_TOP]:
        lines.append(
            f"  {row.kind:<5} {row.scope:<6} {row.key:<32} "
            f"{display_time(row.start)} observed {row.observed:,} "
            f"expected {row.expected:,.1f} score {row.score:,.1f}"
        )
    return lines


def summary_markdown(data: TraceResultData) -> list[str]:
    """Markdown tables of the strongest anomalies and the busiest senders."""
    lines: list[str] = []
    if data.anomalies:
        lines += [
            "",
            "| Anomaly | Scope | Key | Start (UTC) | Observed | Expected |",
            "|---" * 6 + "|",
        ]
        lines += [
            f"| {a.kind} | {a.scope} | {markdown_inline(a.key)} | {display_time(a.start)} "
            f"| {a.observed:,} | {a.expected:,.1f} |"
            for a in data.anomalies[:_TEXT_TOP]
        ]
    if data.top_senders:
        lines += ["", "| Sender | Rows | Not delivered |", "|---|---|---|"]
        lines += [
            f"| {markdown_inline(r.sender)} | {r.rows:,} | {_problems(r):,} |"
            for r in data.top_senders[:_TEXT_TOP]
        ]
    return lines


# -- HTML -------------------------------------------------------------------------------------


def analysis_html(a: TraceAnalysis, figures: bool = True) -> str:
    """The body of a standalone page: cards, findings, charts (plotly.js inline), tables."""
    report = a.to_report()
    data = report.model
    parts = [
        f"<h2>{html.escape(report_title(a))}</h2>",
        render_cards_html(cards(data)),
        render_findings_html(report.sorted_findings(), heading="Findings"),
    ]
    if figures and not a.data.messages.is_empty():
        parts.append(figures_html(a))
    parts.append(anomaly_table_html(data.anomalies))
    parts.append(tables_html(data))
    return "".join(parts)


_COUNTS = ("rows", "messages", *PROBLEM_CATEGORIES)
_TIMES = frozenset({"start", "end", "bucket", "first_seen", "last_seen", "minute_at", "day_at"})


def tables_html(data: TraceResultData) -> str:
    """Top senders, relay IPs, recipient domains, newcomers, failures, reasons, the senders
    nearest the limits and bad-row examples."""
    failures = data.failures
    parts = [
        _table_html("Top senders", data.top_senders, ("sender", *_COUNTS)),
        _table_html(
            "Top relay IPs (FromIP of mail you send)", data.top_relay_ips, ("from_ip", *_COUNTS)
        ),
        _table_html(
            "Top recipient domains", data.top_recipient_domains, ("recipient_domain", *_COUNTS)
        ),
        _table_html("New senders", data.new_senders or [], ("key", "first_seen", "rows")),
        _table_html("New relay IPs", data.new_relay_ips or [], ("key", "first_seen", "rows")),
        _table_html(
            "Senders with undelivered mail",
            failures.by_sender,
            ("sender", "direction", "total", *PROBLEM_CATEGORIES, "rate"),
        ),
        _table_html(
            "Failure reasons (detail events)",
            failures.reasons,
            ("event", "code", "reason", "events", "messages", "senders"),
        ),
        _table_html(
            "Senders closest to the sending limits",
            data.smtp_auth_limits[:_LIMIT_ROWS],
            ("sender", "max_per_minute", "minute_at", "max_recipients_24h", "day_at"),
        ),
        _table_html(
            "Rows left out (first examples)",
            data.bad_rows.examples,
            ("file", "row", "reason", "value"),
        ),
    ]
    return "".join(parts)


def figures_html(a: TraceAnalysis) -> str:
    """Every chart, after one inline copy of the smallest plotly.js that draws them all."""
    from o365diag.plotly_bundle import plotly_js, script_safe_js
    from o365diag.plots import trace_figures

    figures = list(trace_figures(a).values())
    library = f"<script>{script_safe_js(plotly_js(figures))}</script>"
    charts = [
        figure.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})
        for figure in figures
    ]
    return library + "".join(charts)


def anomaly_table_html(anomalies: Sequence[Anomaly]) -> str:
    columns = ("start", "end", "scope", "key", "kind", "observed", "expected", "score", "ratio")
    return _table_html("Anomalies", anomalies, columns)


def _table_html(title: str, rows: Sequence[Any], columns: tuple[str, ...]) -> str:
    """Rows of a data class as a table; ``columns`` names their fields."""
    if not rows:
        return ""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(_cell(c, getattr(row, c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<h4>{esc(title)}</h4><table><tr>{head}</tr>{body}</table>"


def _cell(column: str, value: Any) -> str:
    return display_time(value) if column in _TIMES else display_value(value)
