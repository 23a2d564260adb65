"""The cutover charts of a result (the builders live in ``o365diag.plots``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag.cutover.model import CutoverResult
from o365diag.plots import cutover_figures

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["figures"]


def figures(result: CutoverResult) -> list[go.Figure]:
    """Basic logins per identity over time, TLS version mix, weekly burndown (when drawable)."""
    return cutover_figures(result.charts_data)
