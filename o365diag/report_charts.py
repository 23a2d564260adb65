"""Which charts a shared report draws for each result schema, from the saved JSON alone.

The figure builders live in ``o365diag.plots``; this only maps a schema to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

from o365diag.plots import (
    cutover_figures,
    hop_delay_figure,
    saved_volume_figure,
    smtp_steps_figure,
)

__all__ = ["BUILDERS"]


def _headers_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    hops = data["hops"]
    if not any(hop.get("delay_seconds") is not None for hop in hops):
        return []
    return [hop_delay_figure(hops)]


def _smtp_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    figure = smtp_steps_figure(data["steps"])
    return [figure] if figure is not None else []


def _trace_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    figure = saved_volume_figure(data["volume"])
    return [figure] if figure is not None else []


def _cutover_figures(data: Mapping[str, Any]) -> list[go.Figure]:
    return cutover_figures(data.get("charts") or {})


BUILDERS: dict[str, Callable[[Mapping[str, Any]], list[go.Figure]]] = {
    "o365diag.cutover/1": _cutover_figures,
    "o365diag.headers/1": _headers_figures,
    "o365diag.smtp/1": _smtp_figures,
    "o365diag.trace/1": _trace_figures,
}
