"""The normalized message-trace tables and what a load returns.

Whatever the export, messages end up in one frame with ``MESSAGE_SCHEMA`` (one row per
message and recipient, or one row per day, direction and event type for aggregate reports,
with the number of messages in ``count``), and detail events in one frame with
``EVENT_SCHEMA``. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from o365diag.errors import InputError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "EVENT_COLUMNS",
    "MESSAGE_COLUMNS",
    "SENDING",
    "BadRows",
    "FileInfo",
    "TraceData",
    "TraceInputError",
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "events": self.events,
            "date_format": self.date_format,
            "date_order": self.date_order,
        }


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
