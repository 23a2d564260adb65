"""The setup assistant's results: ``o365diag.setup/1`` (a plan) and ``o365diag.audit/1`` (a
review of exported settings), with their views read from the typed data (``setup/model.py``)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from o365diag.findings import render_findings_html
from o365diag.result import Result
from o365diag.setup.model import AuditData, SetupData
from o365diag.setup.render import (
    audit_inputs_html,
    configuration_markdown,
    plan_html,
    plan_text,
    recommendation_html,
    verify_html,
)
from o365diag.typed import ModelError

__all__ = ["AUDIT_SCHEMA", "SETUP_SCHEMA", "AuditResult", "SetupResult"]

SETUP_SCHEMA = "o365diag.setup/1"
AUDIT_SCHEMA = "o365diag.audit/1"


@dataclass
class SetupResult(Result):
    """A recommended sending option with its device settings, DNS records and PowerShell."""

    SCHEMA: ClassVar[str] = SETUP_SCHEMA
    MODEL: ClassVar[type[Any] | None] = SetupData

    @property
    def model(self) -> SetupData:
        return self.typed(SetupData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        option = (data.get("recommendation") or {}).get("title")
        return f"Setup: {option}" if option else "Setup assistant"

    def facts(self) -> list[tuple[str, Any]]:
        return [("Recommended", self.model.recommendation.option)]

    def to_text(self) -> str:
        try:
            plan = self.model
        except ModelError:  # saved in another shape: the findings still tell the story
            return super().to_text()
        return plan_text(plan, self.sorted_findings())

    def body_html(self) -> str:
        plan = self.model
        return (
            f"<h2>{html.escape(self.title)}</h2>"
            + recommendation_html(plan)
            + plan_html(plan, self.sorted_findings())
            + verify_html(plan.verify)
        )

    def markdown_extra(self) -> list[str]:
        """The configuration to apply: device settings, DNS records, the PowerShell script."""
        return ["", *"\n\n".join(configuration_markdown(self.model)).splitlines()]


@dataclass
class AuditResult(Result):
    """Least-privilege review of exported connectors, policies and app registrations."""

    SCHEMA: ClassVar[str] = AUDIT_SCHEMA
    MODEL: ClassVar[type[Any] | None] = AuditData

    @property
    def model(self) -> AuditData:
        return self.typed(AuditData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        return "Configuration audit"

    def facts(self) -> list[tuple[str, Any]]:
        return [("Inputs", ", ".join(i.file for i in self.model.inputs) or None)]

    def body_html(self) -> str:
        return (
            f"<h2>{html.escape(self.title)}</h2>"
            + render_findings_html(self.sorted_findings(), heading="Findings")
            + audit_inputs_html(self.model)
        )
