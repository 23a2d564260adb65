"""The header analysis result (``o365diag.headers/1``): its title, facts and views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.headers.model import HeadersData
from o365diag.headers.render import analysis_html, analysis_text, auth_cards
from o365diag.result import Result
from o365diag.wording import duration

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SCHEMA", "HeadersResult"]

SCHEMA = "o365diag.headers/1"


@dataclass
class HeadersResult(Result):
    """What happened to one message: authentication, stamps, hops and the diagnosis."""

    SCHEMA: ClassVar[str] = SCHEMA
    MODEL: ClassVar[type[Any] | None] = HeadersData

    @property
    def model(self) -> HeadersData:
        return self.typed(HeadersData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        summary = data.get("summary")
        subject = summary.get("subject") if isinstance(summary, Mapping) else None
        return f"Header analysis: {subject}" if subject else "Header analysis"

    def facts(self) -> list[tuple[str, Any]]:
        model = self.model
        cards = [(label, value) for label, value, _ in auth_cards(model)]
        total = duration(model.total_transit_seconds)
        return [
            ("Most likely cause", model.most_likely.title if model.most_likely else None),
            *cards,
            ("Hops", f"{len(model.hops)}, total transit {total}"),
        ]

    def to_text(self) -> str:
        return analysis_text(self)

    def body_html(self) -> str:
        return analysis_html(self)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import hop_delay_figure

        hops = self.model.hops
        if not any(hop.delay_seconds is not None for hop in hops):
            return []
        return [hop_delay_figure(hops)]
