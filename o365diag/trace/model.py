"""The normalized message-trace tables and what a load returns.

Whatever the export, messages end up in one frame with ``MESSAGE_SCHEMA`` (one row per
message and recipient, or one row per day, direction and event type for aggregate reports,
with the number of messages in ``count``), and detail events in one frame with
``EVENT_SCHEMA``. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from o365diag.errors import InputError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "EVENT_COLUMNS",
    "MESSAGE_COLUMNS",
    "SENDING",
    "Anomaly",
    "BadRowExample",
    "BadRows",
    "BadRowsSummary",
    "Baseline",
    "DirectionPoint",
    "DomainTraffic",
    "FailureBucket",
    "FailureReason",
    "Failures",
    "FileInfo",
    "FileSummary",
    "HeatCell",
    "Newcomer",
    "RelayIpTraffic",
    "SenderFailures",
    "SenderTraffic",
    "SendingLimit",
    "StatusPoint",
    "TimeRange",
    "TraceData",
    "TraceInputError",
    "TraceResultData",
    "Traffic",
    "Volume",
    "as_records",
    "display_value",
    "event_schema",
    "message_schema",
]

# Directions of mail the tenant sends (what SMTP AUTH limits and relay checks count).
SENDING = ("Outbound", "IntraOrg")

MESSAGE_COLUMNS = (
    "received",
    "sender",
    "recipient",
    "subject",
    "status",
    "direction",
    "from_ip",
    "to_ip",
    "size",
    "message_id",
    "trace_id",
    "count",
    "format",
    "file",
)
EVENT_COLUMNS = (
    "time",
    "trace_id",
    "message_id",
    "sender",
    "recipient",
    "event",
    "action",
    "detail",
    "format",
    "file",
)
MAX_BAD_EXAMPLES = 5


def display_value(value: Any) -> str:
    """A value as findings and tables show it: minutes for times, thousands separators."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class TraceInputError(InputError):
    """A file cannot be used: unreadable, not a message-trace export, or an unknown format."""


def message_schema() -> dict[str, Any]:
    import polars as pl

    text = pl.String
    return {
        "received": pl.Datetime("us", "UTC"),
        "sender": text,
        "recipient": text,
        "subject": text,
        "status": text,
        "direction": text,
        "from_ip": text,
        "to_ip": text,
        "size": pl.Int64,
        "message_id": text,
        "trace_id": text,
        "count": pl.Int64,
        "format": text,
        "file": text,
    }


def event_schema() -> dict[str, Any]:
    import polars as pl

    schema: dict[str, Any] = {name: pl.String for name in EVENT_COLUMNS}
    schema["time"] = pl.Datetime("us", "UTC")
    return schema


@dataclass
class BadRows:
    """Rows left out, counted by reason, with the first few as examples."""

    count: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, reason: str, count: int, examples: list[dict[str, Any]]) -> None:
        if count <= 0:
            return
        self.count += count
        self.by_reason[reason] = self.by_reason.get(reason, 0) + count
        room = MAX_BAD_EXAMPLES - len(self.examples)
        self.examples.extend(examples[: max(room, 0)])

    def merge(self, other: BadRows) -> None:
        for reason, count in other.by_reason.items():
            self.by_reason[reason] = self.by_reason.get(reason, 0) + count
        self.count += other.count
        room = MAX_BAD_EXAMPLES - len(self.examples)
        self.examples.extend(other.examples[: max(room, 0)])

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "by_reason": dict(self.by_reason), "examples": self.examples}


@dataclass
class FileInfo:
    """One input file: the format found, how it was decoded, how many rows it gave."""

    name: str
    format: str
    encoding: str
    rows: int
    events: int = 0
    date_format: str | None = None
    date_order: str | None = None
    ambiguous_dates: bool = False
    assumed_utc: bool = False

    def summary(self) -> FileSummary:
        """What a saved result keeps of the file."""
        order: Literal["mdy", "dmy"] | None = None
        if self.date_order == "mdy":
            order = "mdy"
        elif self.date_order == "dmy":
            order = "dmy"
        return FileSummary(
            self.name,
            self.format,
            self.encoding,
            self.rows,
            self.events,
            self.date_format,
            order,
        )


@dataclass
class TraceData:
    """Everything loaded from one or more exports, de-duplicated."""

    messages: pl.DataFrame
    events: pl.DataFrame
    files: list[FileInfo]
    bad_rows: BadRows
    duplicates: int
    org_domains: list[str]
    org_domains_inferred: bool
    totals_set_aside: bool = False

    @property
    def format(self) -> str | None:
        names = sorted({f.format for f in self.files})
        return "+".join(names) if names else None

    @property
    def aggregate_only(self) -> bool:
        return bool(self.files) and all(f.format == "mailflow-status" for f in self.files)

    def filter_sender(self, sender: str) -> TraceData:
        """The same data restricted to one sender's messages and events (what the load
        found, bad rows and duplicates, still describes the files)."""
        import polars as pl

        wanted = sender.strip().lower()
        return TraceData(
            messages=self.messages.filter(pl.col("sender") == wanted),
            events=self.events.filter(pl.col("sender") == wanted),
            files=self.files,
            bad_rows=self.bad_rows,
            duplicates=self.duplicates,
            org_domains=self.org_domains,
            org_domains_inferred=self.org_domains_inferred,
        )


def as_records(frame: pl.DataFrame | None) -> list[dict[str, Any]] | None:
    """A small frame as JSON-ready dicts, times as ISO 8601 UTC strings."""
    import polars.selectors as cs

    if frame is None:
        return None
    text = frame.with_columns(cs.datetime().dt.to_string("%Y-%m-%dT%H:%M:%SZ"))
    return text.to_dicts()


# -- the saved result (o365diag.trace/1): what ``report_data`` writes, key for key ----------------
# Times are ISO 8601 UTC text ("2025-06-20T02:00:00Z"); counts of messages are ints.


@dataclass
class FileSummary:
    """One input file as the saved result lists it."""

    file: str
    format: str
    encoding: str
    rows: int
    events: int = 0
    date_format: str | None = None
    # The day/month order culture-formatted dates were read with (None: ISO or unambiguous).
    date_order: Literal["mdy", "dmy"] | None = None


@dataclass
class BadRowExample:
    file: str
    row: int
    reason: str
    value: str | None = None


@dataclass
class BadRowsSummary:
    """Rows left out: how many, by reason, and the first few."""

    count: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[BadRowExample] = field(default_factory=list)


@dataclass
class TimeRange:
    start: str | None = None
    end: str | None = None


@dataclass
class StatusPoint:
    """One interval of the volume chart (every interval, empty ones included)."""

    start: str
    total: int
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class DirectionPoint:
    start: str
    total: int
    by_direction: dict[str, int] = field(default_factory=dict)


@dataclass
class Volume:
    interval: str
    series: list[StatusPoint] = field(default_factory=list)
    by_direction: list[DirectionPoint] = field(default_factory=list)


@dataclass
class Baseline:
    """The anomaly detector's interval and how it estimated what is usual."""

    interval: str
    method: str


@dataclass
class Anomaly:
    """A window whose volume is far above (spike) or below (drop) the baseline."""

    start: str
    end: str
    scope: Literal["tenant", "sender", "ip"]
    key: str  # the sender or relay IP; "all" for the tenant
    kind: Literal["spike", "drop"]
    observed: int
    expected: float
    score: float
    ratio: float


# The busiest senders, relay IPs and recipient domains: rows, distinct messages, undelivered
# mail by category, first and last seen. (Spelled out per key so the JSON keeps its key order.)
@dataclass
class SenderTraffic:
    sender: str
    rows: int
    messages: int
    failed: int
    spam: int
    quarantined: int
    threat: int
    first_seen: str
    last_seen: str


@dataclass
class RelayIpTraffic:
    from_ip: str
    rows: int
    messages: int
    failed: int
    spam: int
    quarantined: int
    threat: int
    first_seen: str
    last_seen: str


@dataclass
class DomainTraffic:
    recipient_domain: str
    rows: int
    messages: int
    failed: int
    spam: int
    quarantined: int
    threat: int
    first_seen: str
    last_seen: str


Traffic = SenderTraffic | RelayIpTraffic | DomainTraffic


@dataclass
class Newcomer:
    """A sender or relay IP first seen after the first quarter of the trace."""

    key: str
    first_seen: str
    rows: int
    messages: int


@dataclass
class SendingLimit:
    """A sender's busiest minute and 24 hours, against the SMTP AUTH limits."""

    sender: str
    max_per_minute: int
    minute_at: str
    max_recipients_24h: int
    day_at: str
    share: float  # of the nearest limit


# Undelivered mail by category, their sum and its share of ``total``.
@dataclass
class FailureBucket:
    bucket: str
    total: int
    failed: int
    spam: int
    quarantined: int
    threat: int
    problems: int
    rate: float


@dataclass
class SenderFailures:
    sender: str
    total: int
    direction: str | None  # the commonest
    failed: int
    spam: int
    quarantined: int
    threat: int
    problems: int
    rate: float


@dataclass
class FailureReason:
    """A reason detail events give for mail that failed, with a status code when it has one."""

    event: str
    code: str | None
    reason: str
    events: int
    messages: int
    senders: str | None  # the first few, comma-separated


@dataclass
class Failures:
    interval: str
    over_time: list[FailureBucket] = field(default_factory=list)
    by_sender: list[SenderFailures] = field(default_factory=list)
    reasons: list[FailureReason] = field(default_factory=list)


@dataclass
class HeatCell:
    weekday: int  # 1 = Monday
    hour: int
    n: int


@dataclass
class TraceResultData:
    """The ``o365diag.trace/1`` data: totals, volume, anomalies, top talkers, failures."""

    format: str | None
    files: list[FileSummary]
    rows: int
    messages: int
    events: int
    bad_rows: BadRowsSummary
    duplicates: int
    org_domains: list[str]
    time_range: TimeRange
    by_status: dict[str, int]
    by_direction: dict[str, int]
    volume: Volume
    baseline: Baseline
    anomalies: list[Anomaly]
    top_senders: list[SenderTraffic]
    top_relay_ips: list[RelayIpTraffic]
    top_recipient_domains: list[DomainTraffic]
    # None when the trace is too short (or holds only daily totals) to tell newcomers.
    new_senders: list[Newcomer] | None
    new_relay_ips: list[Newcomer] | None
    smtp_auth_limits: list[SendingLimit]
    failures: Failures
    heatmap: list[HeatCell]
