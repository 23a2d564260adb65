"""The tenant connector's results: ``o365diag.pull/1`` (a Graph pull into a store),
``o365diag.tenant-check/1`` (the prerequisites) and ``o365diag.signins/1`` (who signs in with
SMTP AUTH). Each renders from its data alone, so a saved result looks like a fresh one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from o365diag.findings import escape_html
from o365diag.result import Result, generic_html
from o365diag.tenant.model import PullData, SigninsData, TenantCheckData

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
_PULL_TITLES = {
    "messageTrace": "Message trace pull",
    "signIns": "Sign-in pull",
    "policies": "Security defaults and Conditional Access",
}


@dataclass
class PullResult(Result):
    """What one pull asked for, fetched, stored and how Graph answered."""

    SCHEMA: ClassVar[str] = PULL_SCHEMA
    MODEL: ClassVar[type[Any] | None] = PullData

    @property
    def model(self) -> PullData:
        return self.typed(PullData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        tenant = (data.get("asked") or {}).get("tenant")
        pulled = _PULL_TITLES.get(str(data.get("kind")), "Graph pull")
        return f"{pulled} for {tenant}" if tenant else pulled

    def facts(self) -> list[tuple[str, Any]]:
        pulled = self.model
        asked = pulled.asked
        return [
            ("Range", f"{asked.start} .. {asked.end}" if asked.start else None),
            ("Rows written", pulled.rows_written),
            ("Requests", len(pulled.requests) or None),
            ("Throttle wait (s)", pulled.throttle_wait_s),
            ("Complete", pulled.complete),
            ("Store", pulled.store),
        ]

    def summary(self) -> str:
        """Rows, pages, requests, retries and the throttling wait, in one line."""
        pulled = self.model
        return (
            f"{pulled.rows_written:,} rows written in {pulled.pages} pages "
            f"({len(pulled.requests)} requests, {pulled.retries} retries, "
            f"{pulled.throttle_wait_s:.1f} s throttle wait)"
        )

    def to_text(self) -> str:
        summary = f"{self.summary()} into {self.model.store or '-'}"
        return summary + ("\n" + super().to_text() if self.findings else "")

    def body_html(self) -> str:
        rows = "".join(
            f"<tr><td>{escape_html(w.start)}</td><td>{escape_html(w.end)}</td></tr>"
            for w in self.model.windows
        )
        table = f"<table><tr><th>Window start</th><th>end</th></tr>{rows}</table>" if rows else ""
        return generic_html(self) + table


@dataclass
class TenantCheckResult(Result):
    """One small read per prerequisite: service principal, message trace, sign-in logs."""

    SCHEMA: ClassVar[str] = CHECK_SCHEMA
    MODEL: ClassVar[type[Any] | None] = TenantCheckData

    @property
    def model(self) -> TenantCheckData:
        return self.typed(TenantCheckData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        tenant = data.get("tenant")
        return f"Tenant check for {tenant}" if tenant else "Tenant check"

    def facts(self) -> list[tuple[str, Any]]:
        checked = self.model
        return [("Tenant", checked.tenant), ("Signed in as", checked.mode)]


@dataclass
class SigninsResult(Result):
    """SMTP AUTH sign-ins per account, from portal downloads or a pulled store."""

    SCHEMA: ClassVar[str] = SIGNINS_SCHEMA
    MODEL: ClassVar[type[Any] | None] = SigninsData

    @property
    def model(self) -> SigninsData:
        return self.typed(SigninsData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        return "SMTP AUTH sign-ins"

    def facts(self) -> list[tuple[str, Any]]:
        signins = self.model
        return [
            ("Sign-ins read", signins.rows),
            ("SMTP AUTH sign-ins", signins.smtp.sign_ins),
            ("Accounts", signins.smtp.user_count),
        ]
