"""The cutover results on the capability contract: ``o365diag.cutover/1`` (the readiness of
every sending identity) and ``o365diag.explain/1`` (what a pasted client error means). Every
view reads the typed data (``cutover.model``), so a saved result renders as a fresh one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.cutover.model import CutoverData, ExplainData
from o365diag.cutover.render import (
    charts_html,
    explain_text,
    markdown_rows,
    result_fragment,
    result_text,
)
from o365diag.result import Result

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["EXPLAIN_SCHEMA", "SCHEMA", "CutoverResult", "ExplainResult"]

SCHEMA = "o365diag.cutover/1"
EXPLAIN_SCHEMA = "o365diag.explain/1"


@dataclass
class CutoverResult(Result):
    """Every sending identity's status on the Basic-auth cutover date, its path and the plan."""

    SCHEMA: ClassVar[str] = SCHEMA
    MODEL: ClassVar[type[Any] | None] = CutoverData

    @property
    def model(self) -> CutoverData:
        return self.typed(CutoverData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        identities = data.get("identities")
        if not isinstance(identities, list):
            return "Basic-auth cutover readiness"
        breaking = sum(r.get("status") in ("broken", "breaks-at-cutover") for r in identities)
        return (
            f"Basic-auth cutover readiness: {breaking} of {len(identities)} identities break "
            f"({data.get('days_to_cutover')} days to {data.get('cutover_date')})"
        )

    def facts(self) -> list[tuple[str, Any]]:
        cutover = self.model
        return [
            ("As of", cutover.as_of),
            ("Cutover date", cutover.cutover_date),
            ("Days to cutover", cutover.days_to_cutover),
            ("Broken now", cutover.count("broken")),
            ("Break at the cutover", cutover.count("breaks-at-cutover")),
            ("Unused but enabled", cutover.count("unused-enabled")),
            ("Safe", cutover.count("safe")),
        ]

    def to_text(self) -> str:
        return result_text(self.model, self)

    def body_html(self) -> str:
        return result_fragment(self.model, self)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import cutover_figures

        return cutover_figures(self.model.charts)

    def markdown_extra(self) -> list[str]:
        return markdown_rows(self.model)

    def to_html(self, body_html: str | None = None) -> str:
        """A standalone page with the charts (plotly.js inlined once, offline)."""
        body = self.section_html() if body_html is None else body_html
        return super().to_html(body + charts_html(self.safe_figures()))


@dataclass
class ExplainResult(Result):
    """What a pasted client error means (``o365diag explain``)."""

    SCHEMA: ClassVar[str] = EXPLAIN_SCHEMA
    MODEL: ClassVar[type[Any] | None] = ExplainData

    @property
    def model(self) -> ExplainData:
        return self.typed(ExplainData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        if not data.get("recognised"):
            return "Explain: not recognised"
        return f"Explain: {data.get('title') or 'recognised'}"

    @property
    def recognised(self) -> bool:
        return self.model.recognised

    def facts(self) -> list[tuple[str, Any]]:
        explained = self.model
        return [
            ("Client", explained.client),
            ("Catalogue entry", explained.catalogue),
            ("The Basic-auth cutover", explained.is_basic_auth_cutover),
            ("Can it be switched back on", explained.can_switch_back_on),
            ("Fix", explained.fix),
        ]

    def to_text(self) -> str:
        return explain_text(self.model)
