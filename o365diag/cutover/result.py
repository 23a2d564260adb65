"""The cutover result (``o365diag.cutover/1``) on the capability contract: title, facts and
views from the saved data alone, so a saved result renders as a fresh one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.result import Result

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from o365diag.cutover.model import CutoverAssessment

__all__ = ["EXPLAIN_SCHEMA", "SCHEMA", "CutoverResult", "ExplainResult"]

SCHEMA = "o365diag.cutover/1"
EXPLAIN_SCHEMA = "o365diag.explain/1"


@dataclass
class CutoverResult(Result):
    """Every sending identity's status on the Basic-auth cutover date, its path and the plan."""

    SCHEMA: ClassVar[str] = SCHEMA

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
        status = self.data.get("by_status") or {}
        return [
            ("As of", self.data.get("as_of")),
            ("Cutover date", self.data.get("cutover_date")),
            ("Days to cutover", self.data.get("days_to_cutover")),
            ("Broken now", status.get("broken")),
            ("Break at the cutover", status.get("breaks-at-cutover")),
            ("Unused but enabled", status.get("unused-enabled")),
            ("Safe", status.get("safe")),
        ]

    def assessment(self) -> CutoverAssessment:
        from o365diag.cutover.model import CutoverAssessment

        return CutoverAssessment.from_dict(self.to_dict())

    def to_text(self) -> str:
        from o365diag.cutover.render import result_text

        return result_text(self.assessment(), self)

    def body_html(self) -> str:
        from o365diag.cutover.render import result_fragment

        return result_fragment(self.assessment(), self)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import cutover_figures

        return cutover_figures(self.data.get("charts") or {})

    def markdown_extra(self) -> list[str]:
        from o365diag.cutover.render import markdown_rows

        return markdown_rows(self.assessment())

    def to_html(self, body_html: str | None = None) -> str:
        """A standalone page with the charts (plotly.js inlined once, offline)."""
        from o365diag.cutover.render import charts_html

        body = self.section_html() if body_html is None else body_html
        return super().to_html(body + charts_html(self.safe_figures()))


@dataclass
class ExplainResult(Result):
    """What a pasted client error means (``o365diag explain``)."""

    SCHEMA: ClassVar[str] = EXPLAIN_SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        if not data.get("recognised"):
            return "Explain: not recognised"
        return f"Explain: {data.get('title') or 'recognised'}"

    @property
    def recognised(self) -> bool:
        return bool(self.data.get("recognised"))

    def facts(self) -> list[tuple[str, Any]]:
        return [
            ("Client", self.data.get("client")),
            ("Catalogue entry", self.data.get("catalogue")),
            ("The Basic-auth cutover", self.data.get("is_basic_auth_cutover")),
            ("Can it be switched back on", self.data.get("can_switch_back_on")),
            ("Fix", self.data.get("fix")),
        ]

    def to_text(self) -> str:
        data = self.data
        if not data.get("recognised"):
            closest = [f"  closest: {c}" for c in data.get("closest") or []]
            lines = ["Not recognised: no SMTP reply, client wording or code o365diag knows."]
            return "\n".join(lines + (closest or ["  (no close match)"])) + "\n"
        lines = [str(data.get("title") or "Recognised")]
        reply = data.get("reply") or {}
        labelled = (
            ("client", data.get("client")),
            (
                "reply",
                " ".join(str(reply[k]) for k in ("code", "enhanced", "text") if reply.get(k)),
            ),
            ("cause", data.get("cause")),
            ("the Basic-auth cutover", data.get("is_basic_auth_cutover")),
            ("can it be switched back on", data.get("can_switch_back_on")),
            ("fix", data.get("fix")),
        )
        lines += [f"{label}: {value}" for label, value in labelled if value]
        lines += [f"source: {s}" for s in data.get("sources") or []]
        return "\n".join(lines) + "\n"
