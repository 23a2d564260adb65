"""The tenant connector's results: ``o365diag.pull/1`` (a Graph pull into a store),
``o365diag.tenant-check/1`` (the prerequisites) and ``o365diag.signins/1`` (who signs in with
SMTP AUTH). Each renders from its data alone, so a saved result looks like a fresh one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from o365diag.findings import escape_html
from o365diag.result import Result, generic_html

__all__ = [
    "CHECK_SCHEMA",
    "PULL_SCHEMA",
    "SIGNINS_SCHEMA",
    "PullResult",
    "SigninsResult",
    "TenantCheckResult",
]

PULL_SCHEMA = "o365diag.pull/1"
CHECK_SCHEMA = "o365diag.tenant-check/1"
SIGNINS_SCHEMA = "o365diag.signins/1"


@dataclass
class PullResult(Result):
    """What one pull asked for, fetched, stored and how Graph answered."""

    SCHEMA: ClassVar[str] = PULL_SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        tenant = (data.get("asked") or {}).get("tenant")
        return f"Graph pull for {tenant}" if tenant else "Graph pull"

    def facts(self) -> list[tuple[str, Any]]:
        asked = self.data.get("asked") or {}
        requests = self.data.get("requests") or []
        return [
            (
                "Range",
                f"{asked.get('start')} .. {asked.get('end')}" if asked.get("start") else None,
            ),
            ("Rows written", self.data.get("rows_written")),
            ("Requests", len(requests) if requests else None),
            ("Throttle wait (s)", self.data.get("throttle_wait_s")),
            ("Complete", self.data.get("complete")),
            ("Store", self.data.get("store")),
        ]

    def to_text(self) -> str:
        data = self.data
        summary = (
            f"{data.get('rows_written', 0):,} rows written in {data.get('pages', 0)} pages "
            f"({len(data.get('requests') or [])} requests, {data.get('retries', 0)} retries, "
            f"{float(data.get('throttle_wait_s') or 0):.1f} s throttle wait) into "
            f"{data.get('store', '-')}"
        )
        return summary + ("\n" + super().to_text() if self.findings else "")

    def body_html(self) -> str:
        windows = self.data.get("windows") or []
        rows = "".join(
            f"<tr><td>{escape_html(str(w.get('start')))}</td>"
            f"<td>{escape_html(str(w.get('end')))}</td></tr>"
            for w in windows
        )
        table = f"<table><tr><th>Window start</th><th>end</th></tr>{rows}</table>" if rows else ""
        return generic_html(self) + table


@dataclass
class TenantCheckResult(Result):
    """One small read per prerequisite: service principal, message trace, sign-in logs."""

    SCHEMA: ClassVar[str] = CHECK_SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        tenant = data.get("tenant")
        return f"Tenant check for {tenant}" if tenant else "Tenant check"

    def facts(self) -> list[tuple[str, Any]]:
        return [("Tenant", self.data.get("tenant")), ("Signed in as", self.data.get("mode"))]


@dataclass
class SigninsResult(Result):
    """SMTP AUTH sign-ins per account, from portal downloads or a pulled store."""

    SCHEMA: ClassVar[str] = SIGNINS_SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        return "SMTP AUTH sign-ins"

    def facts(self) -> list[tuple[str, Any]]:
        smtp = self.data.get("smtp") or {}
        return [
            ("Sign-ins read", self.data.get("rows")),
            ("SMTP AUTH sign-ins", smtp.get("sign_ins")),
            ("Accounts", smtp.get("user_count")),
        ]
