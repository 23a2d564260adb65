"""The tenant connector's saved data, key for key: ``o365diag.pull/1`` (:class:`PullData`),
``o365diag.tenant-check/1`` (:class:`TenantCheckData`) and ``o365diag.signins/1``
(:class:`SigninsData`). The results load their JSON into these classes and every view reads
them (``o365diag.typed`` checks each value against the annotations)."""

from __future__ import annotations

from dataclasses import dataclass, field

from o365diag.trace.model import BadRowsSummary

__all__ = [
    "GraphRequest",
    "PoliciesRead",
    "PullAsked",
    "PullData",
    "PullDays",
    "SigninFile",
    "SigninUser",
    "SigninsData",
    "SmtpSignins",
    "TenantCheckData",
    "TimeWindow",
]


@dataclass
class GraphRequest:
    """One request made to Graph (retries included); ``status`` is the HTTP status or why no
    answer came (``tls-error``, ``no-answer``)."""

    url: str
    status: int | str
    elapsed_ms: float
    waited_s: float = 0.0


# ------------------------------------------------------------------------------------- pull
@dataclass
class PullAsked:
    """What the pull asked for; the range is None when the pull could not start."""

    start: str | None = None
    end: str | None = None
    since: str | None = None
    tenant: str | None = None
    filters: dict[str, str | None] = field(default_factory=dict)
    details: int = 0


@dataclass
class TimeWindow:
    """One query window (at most the 10 days Graph serves per query)."""

    start: str
    end: str


@dataclass
class PullDays:
    asked: int
    fetched: int
    already_stored: int
    unsettled: list[str] = field(default_factory=list)


@dataclass
class PoliciesRead:
    """What a policies pull read: security defaults on or off and how many Conditional Access
    policies; None where Graph refused that part."""

    security_defaults: bool | None = None
    conditional_access_policies: int | None = None


@dataclass
class PullData:
    """A Graph pull into a store; a pull that could not start has only ``asked``, zero counts,
    ``complete`` False and its finding. ``kind`` is None in saves made before it was written."""

    kind: str | None = None  # the store's kind: messageTrace, signIns, policies
    asked: PullAsked = field(default_factory=PullAsked)
    windows: list[TimeWindow] = field(default_factory=list)
    requests: list[GraphRequest] = field(default_factory=list)
    pages: int = 0
    rows_written: int = 0
    retries: int = 0
    throttle_wait_s: float = 0.0
    complete: bool = False
    days: PullDays | None = None
    rows_outside_range: int = 0
    bad_rows: int = 0
    elapsed_s: float | None = None
    store: str | None = None
    policies: PoliciesRead | None = None  # kind policies: what was read


# ------------------------------------------------------------------------------------- check
@dataclass
class TenantCheckData:
    """The prerequisites check: each probe's finding code by name (``service_principal``,
    ``message_trace``, ``sign_ins``, ``policies``); ``complete`` is False only when Graph was
    not reached."""

    tenant: str | None = None
    mode: str | None = None
    checks: dict[str, str] = field(default_factory=dict)
    requests: list[GraphRequest] = field(default_factory=list)
    complete: bool | None = None


# ------------------------------------------------------------------------------------- sign-ins
@dataclass
class SigninFile:
    file: str
    kind: str
    rows: int
    bad_rows: int = 0


@dataclass
class SigninUser:
    """One account's SMTP AUTH sign-ins (``user`` is None for an app without a user)."""

    user: str | None
    sign_ins: int
    failures: int
    last: str | None
    ips: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)


@dataclass
class SmtpSignins:
    sign_ins: int = 0
    failures: int = 0
    users: list[SigninUser] = field(default_factory=list)  # the busiest first, at most 50
    user_count: int = 0


@dataclass
class SigninsData:
    files: list[SigninFile] = field(default_factory=list)
    rows: int = 0
    bad_rows: BadRowsSummary = field(default_factory=BadRowsSummary)
    period: list[str] | None = None  # [first, last] sign-in, ISO 8601
    smtp: SmtpSignins = field(default_factory=SmtpSignins)
