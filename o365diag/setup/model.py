"""The setup assistant's saved data, key for key: a plan (``o365diag.setup/1``) and an audit of
exported settings (``o365diag.audit/1``).

The plan's own items (device settings, DNS records, PowerShell steps) are these classes too, so
what the generator builds is what the JSON holds and what every view reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from o365diag.setup.answers import SetupAnswers

__all__ = [
    "FALLBACKS",
    "OPTIONAL_WARNING",
    "AuditData",
    "AuditDevice",
    "AuditInput",
    "DeviceCertificateData",
    "DeviceSetting",
    "DnsRecord",
    "OptionName",
    "OtherOption",
    "PowerShellStep",
    "Reason",
    "RecommendationData",
    "RejectedOption",
    "SetupData",
    "Variant",
    "VerifyData",
]

OptionName = Literal["submission", "direct-send", "relay", "hve", "other"]
# The option as configured: submission splits by how the device signs in.
Variant = Literal["submission-oauth", "submission-basic", "direct-send", "relay", "hve", "other"]
# Options recommended only when no main option fits.
FALLBACKS: tuple[OptionName, ...] = ("hve", "other")
OPTIONAL_WARNING = (
    "# ---- OPTIONAL HARDENING, NOT PART OF THE SETUP ----\n"
    "# WARNING: this changes a setting for the whole tenant. Run it by hand, and only once no\n"
    "# device or service relies on direct send any more; it is commented out on purpose."
)


# -- the plan -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceSetting:
    name: str
    value: str
    explanation: str


@dataclass(frozen=True)
class DnsRecord:
    type: str
    name: str
    value: str
    explanation: str
    action: str = "publish"
    # The value holds a part to fill in (a DKIM key from the admin center): no copy button.
    placeholder: bool = False


@dataclass(frozen=True)
class PowerShellStep:
    """One command; ``optional`` ones (tenant-wide hardening) are never part of the script."""

    command: str
    explanation: str
    optional: bool = False


@dataclass(frozen=True)
class Reason:
    """Why an option does not fit: the fact it rests on, in words, with its source."""

    fact: str
    text: str
    source: str


@dataclass
class OtherOption:
    """An option that fits too, and why the recommended one is preferred over it."""

    option: OptionName
    title: str
    why: str


@dataclass
class RejectedOption:
    option: OptionName
    title: str
    why: str
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class RecommendationData:
    option: OptionName
    title: str
    variant: Variant
    why: str
    sources: list[str] = field(default_factory=list)
    alternatives: list[OtherOption] = field(default_factory=list)
    rejected: list[RejectedOption] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        return self.option in FALLBACKS


@dataclass
class VerifyData:
    """The verify step: the domain audit and connection test results (each a whole saved
    result of its own capability, kept as its JSON) and the notes on what to do next."""

    mode: Literal["demo", "live"]
    option: OptionName
    dns: dict[str, Any] | None = None
    smtp: dict[str, Any] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SetupData:
    """The ``o365diag.setup/1`` data: the answers, the recommendation and its configuration."""

    answers: SetupAnswers
    recommendation: RecommendationData
    device_settings: list[DeviceSetting]
    dns_records: list[DnsRecord]
    powershell: list[PowerShellStep]
    # Present when the plan was verified (``o365diag setup --verify``), else null.
    verify: VerifyData | None = None

    @property
    def required_steps(self) -> list[PowerShellStep]:
        return [step for step in self.powershell if not step.optional]

    @property
    def optional_steps(self) -> list[PowerShellStep]:
        return [step for step in self.powershell if step.optional]

    def script(self) -> str:
        """The setup steps as one script, each preceded by its explanation as a comment.

        Optional hardening follows commented out under a warning, so pasting the whole script
        never changes a tenant-wide setting by accident.
        """
        lines = []
        for step in self.required_steps:
            lines.append(f"# {step.explanation}")
            lines.append(step.command)
        if self.optional_steps:
            lines.append(OPTIONAL_WARNING)
        for step in self.optional_steps:
            lines.append(f"# {step.explanation}")
            lines.append(f"# {step.command}")
        return "\n".join(lines) + "\n"


# -- the audit ------------------------------------------------------------------------------------
@dataclass
class AuditInput:
    """One export file read: the kinds of object it held, how many, its encoding."""

    file: str
    kind: str | None  # comma-separated when a file mixes kinds; None for an empty export
    objects: int
    encoding: str


@dataclass
class DeviceCertificateData:
    source: str
    names: list[str]
    not_after: str | None  # ISO 8601


@dataclass
class AuditDevice:
    """What the audit was told about the device: its public IPs and certificates."""

    ips: list[str] = field(default_factory=list)
    certificates: list[DeviceCertificateData] = field(default_factory=list)


@dataclass
class AuditData:
    """The ``o365diag.audit/1`` data (the findings carry the verdicts)."""

    inputs: list[AuditInput]
    device: AuditDevice = field(default_factory=AuditDevice)
