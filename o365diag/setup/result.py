"""The setup assistant's results: ``o365diag.setup/1`` (a plan) and ``o365diag.audit/1`` (a
review of exported settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from o365diag.result import Result

__all__ = ["AUDIT_SCHEMA", "SETUP_SCHEMA", "AuditResult", "SetupResult"]

SETUP_SCHEMA = "o365diag.setup/1"
AUDIT_SCHEMA = "o365diag.audit/1"


@dataclass
class SetupResult(Result):
    """A recommended sending option with its device settings, DNS records and PowerShell."""

    SCHEMA: ClassVar[str] = SETUP_SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        option = (data.get("recommendation") or {}).get("title")
        return f"Setup: {option}" if option else "Setup assistant"

    def facts(self) -> list[tuple[str, Any]]:
        return [("Recommended", (self.data.get("recommendation") or {}).get("option"))]


@dataclass
class AuditResult(Result):
    """Least-privilege review of exported connectors, policies and app registrations."""

    SCHEMA: ClassVar[str] = AUDIT_SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        return "Configuration audit"

    def facts(self) -> list[tuple[str, Any]]:
        inputs = self.data.get("inputs") or []
        return [("Inputs", ", ".join(str(i.get("file")) for i in inputs) or None)]
