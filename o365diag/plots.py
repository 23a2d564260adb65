"""Plotly figure builders shared by every capability. Imported lazily: plotly is heavy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["hop_delay_figure", "plain"]

_OK_COLOR = "#1565c0"
_SLOW_COLOR = "#ef6c00"
_SKEW_COLOR = "#6a1b9a"


def plain(text: str) -> str:
    """Text from a message, made inert for plotly labels (which accept a few HTML tags)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:80]


def hop_delay_figure(hops: Sequence[dict[str, Any]], slow_seconds: float = 300) -> go.Figure:
    """Horizontal bars: the delay at each Received hop, oldest at the top, skew in purple."""
    import plotly.graph_objects as go

    dated = [h for h in hops if h.get("delay_seconds") is not None]
    labels = [f"{h['index']}. {plain(h.get('by') or h.get('by_ip') or '?')}" for h in dated]
    delays = [float(h["delay_seconds"]) for h in dated]
    colors = [
        _SKEW_COLOR if h.get("clock_skew") else _SLOW_COLOR if d >= slow_seconds else _OK_COLOR
        for h, d in zip(dated, delays, strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=delays,
            y=labels,
            orientation="h",
            marker_color=colors,
            hovertemplate="%{y}<br>%{x:,.0f} s<extra></extra>",
        )
    )
    figure.update_layout(
        title="Delay per hop (seconds; purple = clock skew, orange = slow)",
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": "seconds"},
        height=max(220, 40 * len(dated) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure
