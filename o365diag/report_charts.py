"""Charts for shared reports, drawn from the saved JSON of each schema (plotly, imported here).

Every builder takes the result's data (the JSON contract in DESIGN.md) and returns figures;
text taken from the data goes through ``plots.plain`` because plotly labels accept some HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from o365diag.plots import hop_delay_figure, plain

__all__ = ["BUILDERS", "smtp_steps_figure", "trace_volume_figure"]

_STEP_COLORS = {"ok": "#2e7d32", "failed": "#c62828", "skipped": "#9e9e9e"}
_STATUS_COLORS = {
    "delivered": "#2e7d32",
    "failed": "#c62828",
    "quarantined": "#6a1b9a",
    "filtered": "#ef6c00",
    "pending": "#1565c0",
}


def headers_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    hops = data["hops"]
    if not any(hop.get("delay_seconds") is not None for hop in hops):
        return []
    return [hop_delay_figure(hops)]


def smtp_steps_figure(steps: Sequence[Mapping[str, Any]]) -> go.Figure | None:
    """One bar per SMTP step, from its start to its end, coloured by status."""
    timed = [s for s in steps if s.get("elapsed_ms") is not None]
    if not timed:
        return None
    figure = go.Figure(
        go.Bar(
            x=[float(s["elapsed_ms"]) for s in timed],
            base=[float(s.get("started_ms") or 0) for s in timed],
            y=[plain(str(s["name"])) for s in timed],
            orientation="h",
            marker_color=[_STEP_COLORS.get(str(s.get("status")), "#1565c0") for s in timed],
            hovertemplate="%{y}: %{x:,.1f} ms<extra></extra>",
        )
    )
    figure.update_layout(
        title="SMTP session: time per step (ms; red = failed)",
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": "milliseconds since start"},
        height=max(220, 32 * len(timed) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def trace_volume_figure(volume: Mapping[str, Any]) -> go.Figure | None:
    """Messages per interval, stacked by delivery status."""
    series = volume.get("series") or []
    if not series:
        return None
    starts = [plain(str(point["start"])) for point in series]
    statuses = sorted({str(s) for point in series for s in (point.get("by_status") or {})})
    figure = go.Figure()
    if statuses:
        for status in statuses:
            figure.add_bar(
                x=starts,
                y=[(point.get("by_status") or {}).get(status, 0) for point in series],
                name=plain(status),
                marker_color=_STATUS_COLORS.get(status.lower()),
            )
    else:
        figure.add_bar(x=starts, y=[point.get("total", 0) for point in series], name="total")
    figure.update_layout(
        barmode="stack",
        title=f"Messages per {plain(str(volume.get('interval') or 'interval'))}",
        xaxis={"title": "start (UTC)"},
        yaxis={"title": "messages"},
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def _smtp_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    figure = smtp_steps_figure(data["steps"])
    return [figure] if figure is not None else []


def _trace_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    figure = trace_volume_figure(data["volume"])
    return [figure] if figure is not None else []


BUILDERS: dict[str, Callable[[Mapping[str, Any]], list[go.Figure]]] = {
    "o365diag.headers/1": headers_figures,
    "o365diag.smtp/1": _smtp_figures,
    "o365diag.trace/1": _trace_figures,
}
