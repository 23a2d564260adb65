"""The ``o365diag.trace/1`` data, a terminal summary, and an HTML page with the charts."""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING, Any

from o365diag.findings import render_cards_html, render_findings_html
from o365diag.trace.model import as_records, display_value
from o365diag.trace.volume import PROBLEM_CATEGORIES, bucket_range, interval_label
from o365diag.wording import plural

if TYPE_CHECKING:
    import polars as pl

    from o365diag.trace.analyze import TraceAnalysis

__all__ = ["analysis_html", "analysis_text", "cards", "report_data", "report_title"]

_TEXT_TOP = 10


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def report_title(a: TraceAnalysis) -> str:
    return f"Message trace: {a.data.format or 'no data'}, {plural(a.data.messages.height, 'row')}"


def report_data(a: TraceAnalysis) -> dict[str, Any]:
    messages = a.data.messages
    start, end = a.time_range or (None, None)
    return {
        "format": a.data.format,
        "files": [f.to_dict() for f in a.data.files],
        "rows": messages.height,
        "messages": int(messages.get_column("count").sum()) if messages.height else 0,
        "events": a.data.events.height,
        "bad_rows": a.data.bad_rows.to_dict(),
        "duplicates": a.data.duplicates,
        "org_domains": a.data.org_domains,
        "time_range": {"start": _iso(start), "end": _iso(end)},
        "by_status": _totals(messages, "status"),
        "by_direction": _totals(messages, "direction"),
        "volume": {
            "interval": interval_label(a.interval),
            "series": _series(a.volume, "status", a.interval),
            "by_direction": _series(a.volume_direction, "direction", a.interval),
        },
        "baseline": {"interval": interval_label(a.anomaly_interval), "method": a.baseline_method},
        "anomalies": as_records(a.anomalies),
        "top_senders": as_records(a.top_senders),
        "top_relay_ips": as_records(a.top_ips),
        "top_recipient_domains": as_records(a.top_domains),
        "new_senders": as_records(a.new_senders),
        "new_relay_ips": as_records(a.new_ips),
        "smtp_auth_limits": as_records(a.limits),
        "failures": {
            "interval": interval_label(a.failure_interval),
            "over_time": as_records(a.failures_over_time),
            "by_sender": as_records(a.failures_by_sender),
            "reasons": as_records(a.reasons),
        },
        "heatmap": as_records(a.heatmap),
    }


def _totals(messages: pl.DataFrame, column: str) -> dict[str, int]:
    import polars as pl

    if messages.is_empty():
        return {}
    table = messages.group_by(column).agg(pl.col("count").sum()).sort("count", descending=True)
    return {str(k): int(v) for k, v in table.iter_rows()}


def _series(volume: pl.DataFrame, column: str, seconds: int) -> list[dict[str, Any]]:
    """One entry per interval from the first to the last, empty intervals included."""
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
        series.append(
            {
                "start": _iso(row["bucket"]),
                "total": int(row["total"] or 0),
                f"by_{column}": {str(k): int(n) for k, n in zip(names, counts, strict=True)},
            }
        )
    return series


def cards(a: TraceAnalysis) -> list[tuple[str, str, str]]:
    """(label, value, good|bad|neutral) summary cards."""
    messages = a.data.messages
    total = int(messages.get_column("count").sum()) if messages.height else 0
    problems = int(a.failures_over_time.get_column("problems").sum()) if total else 0
    start, end = a.time_range or (None, None)
    span = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC" if start and end else "—"
    return [
        ("Rows", f"{messages.height:,}", "neutral"),
        ("Time range", span, "neutral"),
        (
            "Not delivered",
            f"{problems:,} ({100 * problems / max(total, 1):.1f}%)",
            "bad" if problems else "good",
        ),
        ("Anomalies", f"{a.anomalies.height:,}", "bad" if a.anomalies.height else "good"),
        ("Bad rows", f"{a.data.bad_rows.count:,}", "bad" if a.data.bad_rows.count else "good"),
    ]


# -- text -------------------------------------------------------------------------------------


def analysis_text(a: TraceAnalysis) -> str:
    report = a.to_report()
    lines = [report.title, "=" * len(report.title)]
    lines += [f"{label}: {value}" for label, value, _ in cards(a)]
    lines.append(f"Interval: {interval_label(a.interval)}; baseline: {a.baseline_method}")
    by_status = report.data["by_status"]
    if by_status:
        lines.append("By status: " + ", ".join(f"{k} {v:,}" for k, v in by_status.items()))
    lines += _text_table("Top senders", a.top_senders, "sender")
    lines += _text_table("Top relay IPs", a.top_ips, "from_ip")
    lines += _text_anomalies(a.anomalies)
    lines.append("")
    lines.append("Findings")
    lines.append("--------")
    lines.extend(f.to_text() for f in report.sorted_findings())
    return "\n".join(lines)


def _text_table(title: str, table: pl.DataFrame, column: str) -> list[str]:
    if table.is_empty():
        return []
    lines = ["", title]
    for row in table.head(_TEXT_TOP).iter_rows(named=True):
        problems = sum(row[c] for c in PROBLEM_CATEGORIES)
        lines.append(f"  {row[column]:<40} {row['rows']:>9,} rows  {problems:>7,} not delivered")
    return lines


def _text_anomalies(anomalies: pl.DataFrame) -> list[str]:
    if anomalies.is_empty():
        return []
    lines = ["", "Anomalies"]
    for row in anomalies.head(_TEXT_TOP).iter_rows(named=True):
        lines.append(
            f"  {row['kind']:<5} {row['scope']:<6} {row['key']:<32} "
            f"{row['start']:%Y-%m-%d %H:%M} observed {row['observed']:,} "
            f"expected {row['expected']:,.1f} score {row['score']:,.1f}"
        )
    return lines


# -- HTML -------------------------------------------------------------------------------------


def analysis_html(a: TraceAnalysis, figures: bool = True) -> str:
    """The body of a standalone page: cards, findings, charts (plotly.js inline), tables."""
    parts = [
        f"<h2>{html.escape(report_title(a))}</h2>",
        render_cards_html(cards(a)),
        render_findings_html(a.to_report().sorted_findings(), heading="Findings"),
    ]
    if figures and not a.data.messages.is_empty():
        parts.append(figures_html(a))
    parts.append(anomaly_table_html(a.anomalies))
    parts.append(tables_html(a))
    return "".join(parts)


def tables_html(a: TraceAnalysis) -> str:
    """Top senders, relay IPs, recipient domains, failures, reasons and bad-row examples."""
    counts = ("rows", "messages", *PROBLEM_CATEGORIES)
    parts = [
        _table_html("Top senders", a.top_senders, ("sender", *counts)),
        _table_html("Top relay IPs (FromIP of mail you send)", a.top_ips, ("from_ip", *counts)),
        _table_html("Top recipient domains", a.top_domains, ("recipient_domain", *counts)),
        _table_html(
            "Senders with undelivered mail",
            a.failures_by_sender,
            ("sender", "direction", "total", *PROBLEM_CATEGORIES, "rate"),
        ),
        _table_html(
            "Failure reasons (detail events)",
            a.reasons,
            ("event", "code", "reason", "events", "messages", "senders"),
        ),
        _table_html(
            "Senders closest to the sending limits",
            a.limits.head(5),
            ("sender", "max_per_minute", "minute_at", "max_recipients_24h", "day_at"),
        ),
    ]
    examples = a.data.bad_rows.examples
    if examples:
        import polars as pl

        parts.append(
            _table_html(
                "Rows left out (first examples)",
                pl.DataFrame(examples),
                ("file", "row", "reason", "value"),
            )
        )
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


def anomaly_table_html(anomalies: pl.DataFrame) -> str:
    columns = ("start", "end", "scope", "key", "kind", "observed", "expected", "score", "ratio")
    return _table_html("Anomalies", anomalies, columns)


def _table_html(title: str, table: pl.DataFrame, columns: tuple[str, ...]) -> str:
    if table.is_empty():
        return ""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(display_value(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in table.iter_rows(named=True)
    )
    return f"<h4>{esc(title)}</h4><table><tr>{head}</tr>{body}</table>"
