"""The cutover assessment (one row per sending identity, plan, findings) as the analyzer builds
it, and the data classes of its saved JSON (``o365diag.cutover/1``, ``o365diag.explain/1``)
that every view reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from o365diag.cutover.inventory import InventoryEntry
from o365diag.findings import Finding
from o365diag.redact import remove_secrets
from o365diag.smtp.model import Reply
from o365diag.trace.model import BadRowsSummary

if TYPE_CHECKING:
    from o365diag.cutover.result import CutoverResult

__all__ = [
    "AUTHS",
    "PATHS",
    "RISKS",
    "SCHEMA",
    "STATES",
    "STATUSES",
    "BlockBasic",
    "BurndownData",
    "BurndownWeek",
    "CaPolicyData",
    "ChartsData",
    "Countdown",
    "CoverageData",
    "CutoverAssessment",
    "CutoverData",
    "CutoverVerdict",
    "ExplainData",
    "FailureData",
    "FileRead",
    "IdentityData",
    "IdentityRow",
    "InputsData",
    "LeftOutSnapshot",
    "Milestone",
    "MissingInput",
    "PlanData",
    "PlanEntry",
    "PoliciesData",
    "ReportRead",
    "Rollback",
    "SnapshotData",
    "StepData",
    "TurnOffNow",
    "Wave",
]

SCHEMA = "o365diag.cutover/1"
# The enumerations of the JSON contract (issue 14): scripts read these names.
Auth = Literal["basic", "oauth", "unknown"]
SmtpAuthState = Literal["enabled", "disabled", "inherited-enabled", "inherited-disabled", "unknown"]
Status = Literal["broken", "breaks-at-cutover", "safe", "unused-enabled"]
PathName = Literal["oauth", "hve", "relay-connector", "acs", "turn-off", "none"]
Risk = Literal["failed-logins", "unexpected-country", "new-ip", "many-devices", "legacy-tls"]
InputName = Literal["signins", "smtp-auth-report", "trace", "exchange-settings", "graph-policies"]
Recipients = Literal["internal", "external", "both"]
CutoverVerdict = Literal["yes", "no", "possibly", "unknown"]  # is an error the cutover?
AUTHS: tuple[str, ...] = get_args(Auth)
STATES: tuple[str, ...] = get_args(SmtpAuthState)
STATUSES: tuple[str, ...] = get_args(Status)
PATHS: tuple[str, ...] = get_args(PathName)
RISKS: tuple[str, ...] = get_args(Risk)
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
        return self.to_result().body_html()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CutoverAssessment:
        """An assessment from its saved JSON (``--json`` output)."""
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


# -- the saved JSON (o365diag.cutover/1 and o365diag.explain/1), key for key ----------------------
# The result's views read these classes; ``o365diag.typed`` checks every value on load.
@dataclass
class StepData:
    """One step of a path: ``kind`` powershell, dns, device-setting, admin-center or note."""

    kind: str
    text: str


@dataclass
class FailureData:
    """Failures of one code: a sign-in error code, or ``Failed`` message-trace rows."""

    source: Literal["signins", "trace"]
    code: int | str
    count: int


@dataclass
class CoverageData:
    """A Conditional Access policy that blocks legacy authentication and may apply to the
    identity (``cutover.policies``); ``state`` is Graph's policy state."""

    policy: str
    policy_id: str
    state: str
    coverage: Literal["covered", "excluded", "unknown"]
    why: str


@dataclass(kw_only=True)
class IdentityData:
    """One sending identity; the fields without a default are the contract's minimum."""

    identity: str
    app_id: str | None = None
    auth: Auth
    auth_evidence: list[str] = field(default_factory=list)
    smtp_auth_state: SmtpAuthState
    status: Status
    status_reason: str = ""
    path: PathName
    path_reason: str = ""
    source_ips: list[str]
    source_ip_counts: dict[str, int] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    last_seen: str | None  # ISO 8601 UTC
    messages: int | None = None
    messages_per_day: float | None
    tls_versions: list[str]
    tls_shares: dict[str, float] = field(default_factory=dict)  # version -> % of messages
    internal_share: float | None = None
    recipients: Recipients | None = None
    basic_logins: int = 0
    failed_logins: int = 0
    recent_failures: list[FailureData] = field(default_factory=list)
    risk: list[Risk]
    suspected_compromise: bool = False
    authentication_policy: str | None = None
    basic_allowed_by_policy: bool | None = None
    entra_block: str | None = None  # why security defaults or an enforced CA policy block Basic
    conditional_access: list[CoverageData] = field(default_factory=list)
    device: InventoryEntry | None = None  # the admin's inventory entry
    unknowns: list[str] = field(default_factory=list)
    steps: list[StepData]


@dataclass
class ReportRead:
    """The SMTP AUTH clients report: it says whether it had the Authentication Protocol column."""

    file: str
    kind: Literal["smtp-auth-report"]
    rows: int
    bad_rows: int
    authentication_protocol_column: bool


@dataclass
class FileRead:
    """Any other input read; ``bad_rows`` is None for a trace of several files (counted once)."""

    file: str
    kind: str
    format: str
    rows: int
    bad_rows: int | None


@dataclass
class MissingInput:
    input: InputName
    cost: str


@dataclass
class CaPolicyData:
    """One Conditional Access policy read, reduced to what decides its effect on SMTP AUTH."""

    id: str
    name: str
    state: Literal["enabled", "disabled", "enabledForReportingButNotEnforced"]
    blocks_basic_smtp: bool
    client_app_types: list[str] = field(default_factory=list)
    include_users: list[str] = field(default_factory=list)
    exclude_users: list[str] = field(default_factory=list)
    include_groups: list[str] = field(default_factory=list)
    exclude_groups: list[str] = field(default_factory=list)
    include_roles: list[str] = field(default_factory=list)
    exclude_roles: list[str] = field(default_factory=list)
    narrowing: list[str] = field(default_factory=list)  # conditions that limit when it applies


@dataclass
class PoliciesData:
    """The ``graph-policies`` input: None where a part was not read (``not_read`` says why)."""

    security_defaults: bool | None = None
    conditional_access: list[CaPolicyData] | None = None
    not_read: dict[str, str] = field(default_factory=dict)  # part -> why


@dataclass
class InputsData:
    read: list[ReportRead | FileRead] = field(default_factory=list)
    missing: list[MissingInput] = field(default_factory=list)
    policies: PoliciesData | None = None  # None without the graph-policies input
    coverage_days: int | None = None
    history: str | None = None  # why no mailbox is called unused, when the inputs are short
    usual_countries: list[str] = field(default_factory=list)
    bad_rows: dict[str, BadRowsSummary] = field(default_factory=dict)  # per input name


@dataclass
class Countdown:
    as_of: str
    cutover_date: str
    days_to_cutover: int
    weeks_to_cutover: int
    passed: bool


@dataclass
class TurnOffNow:
    identity: str
    why: Literal["suspected compromise", "unused"]
    command: str
    rollback: str


@dataclass
class PlanEntry:
    identity: str
    stage: Literal["canary", "now", "wave"]
    path: PathName
    why: str
    block_basic: str
    rollback: str


@dataclass
class Wave:
    name: str
    identities: list[PlanEntry] = field(default_factory=list)


@dataclass
class BlockBasic:
    create_policy: str
    per_mailbox: list[str]
    per_policy: list[str]
    organization: str
    note: str


@dataclass
class Rollback:
    per_mailbox: str
    organization: str
    smtp_auth: str
    after_cutover: str


@dataclass
class Milestone:
    date: str
    what: str


@dataclass
class PlanData:
    countdown: Countdown
    turn_off_now: list[TurnOffNow]
    canary: PlanEntry | None
    waves: list[Wave]
    block_basic: BlockBasic
    rollback: Rollback
    milestones: list[Milestone]


@dataclass
class BurndownWeek:
    """One ISO week: the identities on Basic in any of its snapshots."""

    iso_week: str
    week: str  # its Monday
    week_end: str
    identities_on_basic: int
    snapshots: int


@dataclass
class SnapshotData:
    """One dated source of the burndown (see ``cutover.snapshots``)."""

    file: str
    kind: str
    date: str
    dated_by: Literal["content", "file-name", "folder-name", "as-of"]
    identities_on_basic: int


@dataclass
class LeftOutSnapshot(SnapshotData):
    why: str


@dataclass
class BurndownData:
    """The snapshots, the weekly series, and why there is no line (``note``) if there is none."""

    snapshots: list[SnapshotData] = field(default_factory=list)
    left_out: list[LeftOutSnapshot] = field(default_factory=list)
    weeks: list[BurndownWeek] = field(default_factory=list)
    note: str | None = None


@dataclass
class ChartsData:
    basic_logins: dict[str, dict[str, int]] = field(default_factory=dict)  # identity -> day -> n
    tls_mix: dict[str, dict[str, float]] = field(default_factory=dict)  # identity -> version -> %
    burndown: list[BurndownWeek] = field(default_factory=list)


@dataclass
class CutoverData:
    """``o365diag.cutover/1``: the fields issue 14 names, plus the plan and the chart data."""

    as_of: str
    cutover_date: str
    days_to_cutover: int
    coverage_days: int | None
    inputs: InputsData
    by_status: dict[str, int]
    identities: list[IdentityData]
    plan: PlanData
    charts: ChartsData = field(default_factory=ChartsData)
    burndown: BurndownData | None = None  # None in results saved before snapshots existed

    def count(self, status: Status) -> int:
        return self.by_status.get(status, 0)


@dataclass
class ExplainData:
    """``o365diag.explain/1``: what a pasted client message means."""

    text: str
    recognised: bool
    client: str | None = None
    reply: Reply | None = None
    title: str | None = None
    cause: str | None = None
    is_basic_auth_cutover: CutoverVerdict = "unknown"
    can_switch_back_on: str | None = None
    fix: str | None = None
    catalogue: str | None = None
    sources: list[str] = field(default_factory=list)
    closest: list[str] = field(default_factory=list)
