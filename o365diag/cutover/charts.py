"""The cutover charts of an assessment (the builders live in ``o365diag.plots``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag.cutover.model import CutoverAssessment

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["figures"]


def figures(result: CutoverAssessment) -> list[go.Figure]:
    """Basic logins per identity over time, TLS version mix, weekly burndown (when drawable),
    drawn from the saved data as a saved result draws them."""
    return result.to_result().figures()
