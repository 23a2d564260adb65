"""The cutover result (``o365diag.cutover/1``): one row per sending identity, plan, findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from o365diag.findings import Finding
from o365diag.redact import remove_secrets

if TYPE_CHECKING:
    from o365diag.cutover.result import CutoverResult

__all__ = [
    "AUTHS",
    "PATHS",
    "RISKS",
    "SCHEMA",
    "STATES",
    "STATUSES",
    "CutoverAssessment",
    "IdentityRow",
]

SCHEMA = "o365diag.cutover/1"
AUTHS = ("basic", "oauth", "unknown")
STATES = ("enabled", "disabled", "inherited-enabled", "inherited-disabled", "unknown")
STATUSES = ("broken", "breaks-at-cutover", "safe", "unused-enabled")
PATHS = ("oauth", "hve", "relay-connector", "acs", "turn-off", "none")
RISKS = ("failed-logins", "unexpected-country", "new-ip", "many-devices", "legacy-tls")
BREAKING = ("broken", "breaks-at-cutover")


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class IdentityRow:
    """One sending identity and what the cutover means for it."""

    identity: str
    auth: str = "unknown"
    smtp_auth_state: str = "unknown"
    status: str = "breaks-at-cutover"
    path: str = "none"
    app_id: str | None = None
    auth_evidence: list[str] = field(default_factory=list)
    status_reason: str = ""
    path_reason: str = ""
    source_ips: list[str] = field(default_factory=list)
    source_ip_counts: dict[str, int] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    last_seen: datetime | None = None
    messages: int | None = None
    messages_per_day: float | None = None
    tls_versions: list[str] = field(default_factory=list)
    tls_shares: dict[str, float] = field(default_factory=dict)
    internal_share: float | None = None
    recipients: str | None = None
    basic_logins: int = 0
    failed_logins: int = 0
    recent_failures: list[dict[str, Any]] = field(default_factory=list)
    risk: list[str] = field(default_factory=list)
    suspected_compromise: bool = False
    authentication_policy: str | None = None
    basic_allowed_by_policy: bool | None = None
    entra_block: str | None = None  # security defaults or an enforced CA policy blocks Basic
    conditional_access: list[dict[str, Any]] = field(default_factory=list)
    device: dict[str, Any] | None = None
    unknowns: list[str] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)
    daily_basic_logins: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "app_id": self.app_id,
            "auth": self.auth,
            "auth_evidence": self.auth_evidence,
            "smtp_auth_state": self.smtp_auth_state,
            "status": self.status,
            "status_reason": self.status_reason,
            "path": self.path,
            "path_reason": self.path_reason,
            "source_ips": self.source_ips,
            "source_ip_counts": self.source_ip_counts,
            "countries": self.countries,
            "last_seen": iso(self.last_seen),
            "messages": self.messages,
            "messages_per_day": self.messages_per_day,
            "tls_versions": self.tls_versions,
            "tls_shares": self.tls_shares,
            "internal_share": self.internal_share,
            "recipients": self.recipients,
            "basic_logins": self.basic_logins,
            "failed_logins": self.failed_logins,
            "recent_failures": self.recent_failures,
            "risk": self.risk,
            "suspected_compromise": self.suspected_compromise,
            "authentication_policy": self.authentication_policy,
            "basic_allowed_by_policy": self.basic_allowed_by_policy,
            "entra_block": self.entra_block,
            "conditional_access": self.conditional_access,
            "device": self.device,
            "unknowns": self.unknowns,
            "steps": self.steps,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdentityRow:
        row = cls(identity=str(data["identity"]))
        for name, value in data.items():
            if name == "last_seen":
                row.last_seen = (
                    datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
                )
            elif hasattr(row, name):
                setattr(row, name, value)
        return row


@dataclass
class CutoverAssessment:
    """Everything ``o365diag cutover`` found; ``to_result()`` is its ``o365diag.cutover/1``."""

    as_of: date
    cutover_date: date
    identities: list[IdentityRow]
    findings: list[Finding]
    inputs: dict[str, Any]
    plan: dict[str, Any]
    coverage_days: int | None = None
    charts_data: dict[str, Any] = field(default_factory=dict)
    burndown: dict[str, Any] = field(default_factory=dict)

    @property
    def days_to_cutover(self) -> int:
        return (self.cutover_date - self.as_of).days

    @property
    def breaking(self) -> list[IdentityRow]:
        return [r for r in self.identities if r.status in BREAKING]

    @property
    def exit_code(self) -> int:
        return 1 if self.breaking else 0

    def by_status(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.identities) for s in STATUSES}

    def to_data(self) -> dict[str, Any]:
        """The JSON data; secrets an input may carry (inventory notes...) are removed."""
        data = {
            "as_of": self.as_of.isoformat(),
            "cutover_date": self.cutover_date.isoformat(),
            "days_to_cutover": self.days_to_cutover,
            "coverage_days": self.coverage_days,
            "inputs": self.inputs,
            "by_status": self.by_status(),
            "identities": [r.to_dict() for r in self.identities],
            "plan": self.plan,
            "charts": self.charts_data,
            "burndown": self.burndown,
        }
        cleaned: dict[str, Any] = remove_secrets(data)
        return cleaned

    def to_result(self) -> CutoverResult:
        from o365diag.cutover.result import CutoverResult

        return CutoverResult(data=self.to_data(), findings=list(self.findings))

    def to_report(self) -> CutoverResult:
        return self.to_result()

    def to_json(self) -> str:
        return self.to_result().to_json()

    def to_text(self) -> str:
        return self.to_result().to_text()

    def _repr_html_(self) -> str:
        from o365diag.cutover.render import result_fragment

        return result_fragment(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CutoverAssessment:
        """A result from its saved JSON (``--json`` output)."""
        return cls(
            as_of=date.fromisoformat(data["as_of"]),
            cutover_date=date.fromisoformat(data["cutover_date"]),
            identities=[IdentityRow.from_dict(r) for r in data.get("identities", [])],
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            inputs=dict(data.get("inputs", {})),
            plan=dict(data.get("plan", {})),
            coverage_days=data.get("coverage_days"),
            charts_data=dict(data.get("charts", {})),
            burndown=dict(data.get("burndown") or {}),
        )
