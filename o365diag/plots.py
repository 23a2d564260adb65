"""Plotly figure builders shared by every capability. Imported lazily: plotly is heavy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from o365diag.headers.waits import held_by_names
from o365diag.trace.volume import PROBLEM_CATEGORIES
from o365diag.wording import duration

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from o365diag.dns.model import SpfTreeNode
    from o365diag.headers.model import HopData
    from o365diag.smtp.model import StepResult
    from o365diag.trace.analyze import TraceAnalysis
    from o365diag.trace.model import Volume

__all__ = [
    "cutover_burndown_figure",
    "cutover_figures",
    "cutover_logins_figure",
    "cutover_tls_figure",
    "hop_delay_figure",
    "plain",
    "saved_volume_figure",
    "smtp_steps_figure",
    "spf_tree_figure",
    "trace_figures",
    "trace_heatmap_figure",
    "trace_sender_figure",
    "trace_status_figure",
    "trace_top_figure",
    "trace_volume_figure",
]

_OK_COLOR = "#1565c0"
_SLOW_COLOR = "#ef6c00"
_SKEW_COLOR = "#6a1b9a"
_STEP_COLORS = {"ok": "#2e7d32", "failed": "#c62828", "skipped": "#9e9e9e"}


def plain(text: str) -> str:
    """Text from a message, made inert for plotly labels (which accept a few HTML tags)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:80]


def _horizontal_bars(
    labels: list[str],
    values: list[float],
    colors: list[str],
    *,
    title: str,
    axis_title: str,
    hover: str,
    base: list[float] | None = None,
    row_height: int = 40,
) -> go.Figure:
    """Horizontal bars, first row at the top: the shape of every "time per step" chart."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            base=base,
            orientation="h",
            marker_color=colors,
            hovertemplate=hover,
        )
    )
    figure.update_layout(
        title=title,
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": axis_title},
        height=max(220, row_height * len(labels) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def hop_delay_figure(hops: Sequence[HopData], slow_seconds: float = 300) -> go.Figure:
    """Horizontal bars: how long the message waited before each Received hop, oldest at the top.

    Each bar names the server the message waited on, as the slow-hop finding does, then the one
    that received it from there ("2. relay.example.com → mx.example.org"). A hop whose
    clock runs behind (clock skew) has no real delay to draw: its bar is a purple stub, so one
    wrong clock cannot stretch the axis and flatten every real delay.
    """
    held_by = held_by_names(hop.names() for hop in hops)
    rows = [
        (hop, who, float(hop.delay_seconds))
        for hop, who in zip(hops, held_by, strict=True)
        if hop.delay_seconds is not None
    ]
    longest = max((d for hop, _, d in rows if not hop.clock_skew), default=0.0)
    scale, unit = _delay_unit(longest)
    stub = max(longest / scale * 0.02, 0.02)
    values, colors, notes = [], [], []
    for hop, _, delay in rows:
        if hop.clock_skew:
            values.append(stub)
            colors.append(_SKEW_COLOR)
            notes.append(f"clock skew: stamped {duration(-delay)} before the previous hop")
        else:
            values.append(max(delay, 0.0) / scale)
            colors.append(_SLOW_COLOR if delay >= slow_seconds else _OK_COLOR)
            notes.append(f"waited {duration(delay)}")
    figure = _horizontal_bars(
        [f"{hop.index}. {_hop_path(hop, who)}" for hop, who, _ in rows],
        values,
        colors,
        title=f"Wait before each hop, on the server named ({unit}; orange = slow, purple = skew)",
        axis_title=unit,
        hover="%{y}<br>%{customdata}<extra></extra>",
    )
    figure.update_traces(customdata=notes)
    return figure


def _hop_path(hop: HopData, held_by: str) -> str:
    """ "waited on -> received by": the server the finding names first, then the next one."""
    receiver = hop.by or hop.by_ip or "?"
    return f"{plain(held_by[:38])} → {plain(receiver[:38])}"


def _delay_unit(longest: float) -> tuple[float, str]:
    """The unit that keeps the axis readable for the longest real delay."""
    if longest >= 2 * 3600:
        return 3600.0, "hours"
    if longest >= 120:
        return 60.0, "minutes"
    return 1.0, "seconds"


def smtp_steps_figure(steps: Sequence[StepResult]) -> go.Figure | None:
    """One bar per SMTP step, from its start to its end, coloured by status."""
    timed = [s for s in steps if s.elapsed_ms is not None]
    if not timed:
        return None
    return _horizontal_bars(
        [plain(s.name) for s in timed],
        [s.elapsed_ms or 0.0 for s in timed],
        [_STEP_COLORS.get(s.status, _OK_COLOR) for s in timed],
        base=[s.started_ms or 0.0 for s in timed],
        title="SMTP session: time per step (ms; red = failed)",
        axis_title="milliseconds since start",
        hover="%{y}: %{x:,.1f} ms<extra></extra>",
        row_height=32,
    )


def saved_volume_figure(volume: Volume) -> go.Figure | None:
    """Messages per interval stacked by status, from a saved o365diag.trace/1 ``volume``."""
    import plotly.graph_objects as go

    series = volume.series
    if not series:
        return None
    starts = [plain(point.start) for point in series]
    statuses = sorted({status for point in series for status in point.by_status})
    figure = go.Figure()
    for status in statuses:
        figure.add_bar(
            x=starts,
            y=[point.by_status.get(status, 0) for point in series],
            name=plain(status),
            marker_color=_STATUS_COLORS.get(status, "#607d8b"),
        )
    if not statuses:
        figure.add_bar(x=starts, y=[point.total for point in series], name="total")
    figure.update_layout(
        barmode="stack",
        title=f"Messages per {plain(volume.interval or 'interval')}",
        xaxis={"title": "start (UTC)"},
        yaxis={"title": "messages"},
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


# -- message trace ------------------------------------------------------------------------------
# Every builder takes a TraceAnalysis, whose frames are already aggregated (per interval, per
# sender, per hour of the week), so a figure's size depends on the time range, not the rows.

_STATUS_COLORS = {
    "Delivered": "#2e7d32",
    "GoodMail": "#2e7d32",
    "Expanded": "#81c784",
    "Pending": "#f9a825",
    "GettingStatus": "#fdd835",
    "Failed": "#c62828",
    "FilteredAsSpam": "#6a1b9a",
    "SpamDetections": "#6a1b9a",
    "EdgeBlockSpam": "#4a148c",
    "Quarantined": "#ef6c00",
    "EmailPhish": "#ad1457",
    "EmailMalware": "#3e2723",
    "TransportRules": "#1565c0",
    "None": "#9e9e9e",
}
_CATEGORY_COLORS = {
    "failed": "#c62828",
    "spam": "#6a1b9a",
    "quarantined": "#ef6c00",
    "threat": "#ad1457",
}
_SPIKE_FILL = "rgba(198,40,40,0.15)"
_DROP_FILL = "rgba(97,97,97,0.18)"
_TIME_FORMAT = "%Y-%m-%d %H:%M"
_MAX_BANDS = 25
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _times(column: Any) -> list[str]:
    """Bucket starts as naive UTC text: plotly.js reads these without guessing a time zone."""
    return list(column.dt.to_string(_TIME_FORMAT).to_list())


def _layout(figure: go.Figure, title: str, height: int = 380) -> go.Figure:
    figure.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 100, "b": 40},
        # Above the plots and their panel titles, below the figure title.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "left", "x": 0},
        hovermode="x unified",
    )
    return figure


def _bands(
    figure: go.Figure, anomalies: Any, row: int | None = None, col: int | None = None
) -> None:
    for item in anomalies.head(_MAX_BANDS).iter_rows(named=True):
        spike = item["kind"] == "spike"
        where = {"row": row, "col": col} if row is not None else {}
        figure.add_vrect(
            x0=item["start"].strftime(_TIME_FORMAT),
            x1=item["end"].strftime(_TIME_FORMAT),
            fillcolor=_SPIKE_FILL if spike else _DROP_FILL,
            line_width=0,
            layer="below",
            **where,
        )


def trace_volume_figure(analysis: TraceAnalysis) -> go.Figure:
    """Rows per interval stacked by status, with anomaly windows shaded (red spike, grey drop)."""
    import plotly.graph_objects as go
    import polars as pl

    volume = analysis.volume
    figure = go.Figure()
    for status in _ordered_statuses(volume):
        part = volume.filter(pl.col("status") == status)
        figure.add_trace(
            go.Bar(
                x=_times(part["bucket"]),
                y=part["n"].to_list(),
                name=plain(status),
                marker_color=_STATUS_COLORS.get(status, "#607d8b"),
            )
        )
    _bands(figure, analysis.anomalies)
    figure.update_layout(barmode="stack", bargap=0, yaxis={"title": "rows"})
    label = interval_label_text(analysis.interval)
    return _layout(figure, f"Volume per {label} by status, UTC ({_shading_note(analysis)})")


def interval_label_text(seconds: int) -> str:
    """A bucket size as the findings say it: "30 min", "1 h", "1 d"."""
    return duration(seconds)


def _shading_note(analysis: TraceAnalysis) -> str:
    # Anomalies are looked for in their own, often coarser, windows than the bars.
    return f"shaded: anomalies, looked for per {interval_label_text(analysis.anomaly_interval)}"


def _ordered_statuses(volume: Any) -> list[str]:
    import polars as pl

    totals = volume.group_by("status").agg(pl.col("n").sum()).sort("n", descending=True)
    return [str(s) for s in totals["status"].to_list() if s is not None]


def trace_sender_figure(analysis: TraceAnalysis) -> go.Figure:
    """Small multiples: one panel per busy or anomalous sender, its own y scale, bands shaded."""
    import plotly.graph_objects as go
    import polars as pl
    from plotly.subplots import make_subplots

    series = analysis.sender_series
    senders = list(dict.fromkeys(series["sender"].to_list()))
    if not senders:
        return _layout(go.Figure(), "No per-sender data")
    cols = 3
    rows = (len(senders) + cols - 1) // cols
    figure = make_subplots(
        rows=rows, cols=cols, subplot_titles=[plain(s) for s in senders], shared_xaxes=True
    )
    for index, sender in enumerate(senders):
        row, col = index // cols + 1, index % cols + 1
        part = series.filter(pl.col("sender") == sender)
        figure.add_trace(
            go.Scatter(
                x=_times(part["bucket"]),
                y=part["n"].to_list(),
                mode="lines",
                line={"width": 1.2, "color": _OK_COLOR},
                name=plain(sender),
                showlegend=False,
            ),
            row=row,
            col=col,
        )
        mine = analysis.anomalies.filter((pl.col("scope") == "sender") & (pl.col("key") == sender))
        _bands(figure, mine, row, col)
    title = (
        f"Per sender, rows per {interval_label_text(analysis.interval)} ({_shading_note(analysis)})"
    )
    return _layout(figure, title, height=max(260, 200 * rows + 80))


def trace_heatmap_figure(analysis: TraceAnalysis) -> go.Figure:
    """Hour of day x weekday (UTC): when mail flows."""
    import plotly.graph_objects as go

    cells = [[0] * 24 for _ in range(7)]
    for weekday, hour, n in analysis.heatmap.iter_rows():
        cells[int(weekday) - 1][int(hour)] = int(n)
    figure = go.Figure(
        go.Heatmap(
            z=cells,
            x=list(range(24)),
            y=list(_WEEKDAYS),
            colorscale="Blues",
            hovertemplate="%{y} %{x}:00 UTC<br>%{z:,} rows<extra></extra>",
        )
    )
    figure.update_layout(xaxis={"title": "hour (UTC)", "dtick": 2}, yaxis={"autorange": "reversed"})
    return _layout(figure, "When mail flows: hour x weekday", height=320)


def trace_status_figure(analysis: TraceAnalysis) -> go.Figure:
    """Totals per status, and the share not delivered over time by category."""
    import plotly.graph_objects as go
    import polars as pl
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.35, 0.65],
        subplot_titles=[
            "Rows by status",
            f"Not delivered, share of rows per {interval_label_text(analysis.failure_interval)}",
        ],
    )
    totals = analysis.volume.group_by("status").agg(pl.col("n").sum()).sort("n")
    statuses = [str(s) for s in totals["status"].to_list()]
    figure.add_trace(
        go.Bar(
            x=totals["n"].to_list(),
            y=[plain(s) for s in statuses],
            orientation="h",
            marker_color=[_STATUS_COLORS.get(s, "#607d8b") for s in statuses],
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    over_time = analysis.failures_over_time
    total = over_time["total"].cast(pl.Float64).clip(lower_bound=1)
    for category, color in _CATEGORY_COLORS.items():
        if int(over_time[category].sum()) == 0:
            continue
        figure.add_trace(
            go.Scatter(
                x=_times(over_time["bucket"]),
                y=(over_time[category] / total).round(4).to_list(),
                mode="lines",
                name=category,
                line={"color": color, "width": 1.4},
            ),
            row=1,
            col=2,
        )
    figure.update_yaxes(tickformat=".0%", row=1, col=2)
    return _layout(figure, "Status and failures")


def trace_top_figure(analysis: TraceAnalysis, limit: int = 10) -> go.Figure:
    """Top senders, recipient domains and relay IPs, split delivered / not delivered."""
    import plotly.graph_objects as go
    import polars as pl
    from plotly.subplots import make_subplots

    panels = (
        ("Top senders", analysis.top_senders, "sender"),
        ("Top recipient domains", analysis.top_domains, "recipient_domain"),
        ("Top relay IPs (FromIP)", analysis.top_ips, "from_ip"),
    )
    figure = make_subplots(rows=1, cols=3, subplot_titles=[p[0] for p in panels])
    problems = pl.sum_horizontal(*PROBLEM_CATEGORIES)
    for col, (_title, table, column) in enumerate(panels, start=1):
        top = table.head(limit).with_columns(problems.alias("_bad")).reverse()
        labels = [plain(str(v)) for v in top[column].to_list()]
        good = (top["rows"] - top["_bad"]).to_list()
        for name, values, color in (
            ("delivered", good, "#2e7d32"),
            ("not delivered", top["_bad"].to_list(), "#c62828"),
        ):
            figure.add_trace(
                go.Bar(
                    x=values,
                    y=labels,
                    orientation="h",
                    name=name,
                    marker_color=color,
                    showlegend=col == 1,
                    legendgroup=name,
                ),
                row=1,
                col=col,
            )
    figure.update_layout(barmode="stack")
    figure.update_yaxes(automargin=True)
    return _layout(figure, "Who sends, to where, from where", height=420)


def trace_figures(analysis: TraceAnalysis) -> dict[str, go.Figure]:
    """Every trace chart, by name (volume, senders, heatmap, status, top)."""
    return {
        "volume": trace_volume_figure(analysis),
        "senders": trace_sender_figure(analysis),
        "heatmap": trace_heatmap_figure(analysis),
        "status": trace_status_figure(analysis),
        "top": trace_top_figure(analysis),
    }


def spf_tree_figure(tree: SpfTreeNode) -> go.Figure:
    """An icicle chart of the SPF include tree: each box a record, sized by its lookups."""
    import plotly.graph_objects as go

    ids: list[str] = []
    parents: list[str] = []
    labels: list[str] = []
    values: list[int] = []
    hover: list[str] = []

    def walk(node: SpfTreeNode, parent: str, path: str) -> None:
        node_id = f"{path}/{node.domain}"
        ids.append(node_id)
        parents.append(parent)
        labels.append(f"{plain(node.domain)} ({node.lookups})")
        values.append(max(node.total_lookups, 1))
        hover.append(plain(node.record or node.problem or "no record"))
        for child in node.children:
            walk(child, node_id, node_id)

    walk(tree, "", "")
    figure = go.Figure(
        go.Icicle(
            ids=ids,
            parents=parents,
            labels=labels,
            values=values,
            branchvalues="total",
            hovertext=hover,
            hovertemplate="%{label}<br>%{hovertext}<extra></extra>",
            tiling={"orientation": "h"},
        )
    )
    total = tree.total_lookups
    figure.update_layout(
        title=f"SPF include tree: {total} of 10 DNS lookups (count in brackets per record)",
        margin={"t": 40, "l": 0, "r": 0, "b": 0},
        height=max(220, 70 * len(ids)),
    )
    return figure


# -- Basic-auth cutover ---------------------------------------------------------------------------
_TLS_COLORS = {"1.0": "#c62828", "1.1": "#ef6c00", "1.2": "#2e7d32", "1.3": "#1565c0"}


def cutover_logins_figure(daily: Mapping[str, Mapping[str, int]]) -> go.Figure | None:
    """Successful Basic SMTP AUTH sign-ins per identity and day."""
    import plotly.graph_objects as go

    if not daily:
        return None
    figure = go.Figure()
    for identity, days in daily.items():
        ordered = sorted(days.items())
        figure.add_trace(
            go.Scatter(
                x=[d for d, _ in ordered],
                y=[n for _, n in ordered],
                mode="lines+markers",
                name=plain(identity),
            )
        )
    figure.update_yaxes(title_text="Basic sign-ins per day", rangemode="tozero")
    return _layout(figure, "Basic SMTP AUTH sign-ins per identity")


def cutover_tls_figure(mix: Mapping[str, Mapping[str, float]]) -> go.Figure | None:
    """Share of each identity's messages per TLS version (SMTP AUTH clients report)."""
    import plotly.graph_objects as go

    if not mix:
        return None
    names = sorted(mix)
    figure = go.Figure()
    for version, color in _TLS_COLORS.items():
        shares = [float(mix[n].get(version, 0.0)) for n in names]
        if any(shares):
            figure.add_trace(
                go.Bar(
                    y=[plain(n) for n in names],
                    x=shares,
                    name=f"TLS {version}",
                    orientation="h",
                    marker_color=color,
                )
            )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(title_text="% of messages", range=[0, 100])
    return _layout(
        figure, "TLS version mix (1.0 and 1.1 are flagged)", height=max(300, 40 * len(names))
    )


def cutover_burndown_figure(weeks: Sequence[Mapping[str, Any]]) -> go.Figure | None:
    """Identities still signing in with Basic, week by week."""
    import plotly.graph_objects as go

    if len(weeks) < 2:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[w["week"] for w in weeks],
            y=[w["identities_on_basic"] for w in weeks],
            text=[plain(str(w.get("iso_week") or w["week"])) for w in weeks],
            hovertemplate="%{text}: %{y} on Basic<extra></extra>",
            mode="lines+markers",
            name="identities on Basic",
            line_shape="hv",
        )
    )
    figure.update_xaxes(title_text="ISO week (its Monday)")
    figure.update_yaxes(title_text="identities", rangemode="tozero")
    return _layout(figure, "Burndown: identities still on Basic per week")


def cutover_figures(charts: Mapping[str, Any]) -> list[go.Figure]:
    """Every cutover chart the saved data allows (``charts`` of o365diag.cutover/1)."""
    built = [
        cutover_logins_figure(charts.get("basic_logins") or {}),
        cutover_tls_figure(charts.get("tls_mix") or {}),
        cutover_burndown_figure(charts.get("burndown") or []),
    ]
    return [f for f in built if f is not None]
