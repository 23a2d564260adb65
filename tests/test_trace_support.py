"""Shared helpers for the message-trace tests: synthetic traces written as real export files.

No tests here; the test_trace_* modules import these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from o365diag.trace.synth import Injection, parse_injection, synthesize
from o365diag.trace.writers import EXPORT_FILES, write_exports

START = datetime(2025, 6, 16, tzinfo=UTC)  # a Monday


def at(days: float, hours: float = 0) -> datetime:
    """A moment relative to START."""
    return START + timedelta(days=days, hours=hours)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


# What each lossy format can say about a status (everything else is kept as it is):
# the enhanced summary only has tracking events, so spam, quarantine and redirection all end
# in a Drop/Redirect (None); the extended report adds the spam verdict of the AGENTINFO event.
STATUS_SEEN_AS = {
    "eac-enhanced-summary": {
        "FilteredAsSpam": "None",
        "Quarantined": "None",
        "GettingStatus": "Pending",
    },
    "eac-extended": {"Quarantined": "FilteredAsSpam", "GettingStatus": "Pending"},
}
# The admin center's summary export has a Message ID but no trace id.
NO_TRACE_ID = {"eac-summary"}
# Exports that write times to the second (the rest keep milliseconds).
SECOND_PRECISION = {
    "messagetrace-v2",
    "messagetrace-v2-de",
    "messagetrace-v1",
    "graph-messagetrace",
    "eac-summary",
}


def spike(text: str) -> Injection:
    return parse_injection(text, "spike")


def drop(text: str) -> Injection:
    return parse_injection(text, "drop")


def new_sender(text: str) -> Injection:
    return parse_injection(text, "new-sender")


def make_trace(
    rows: int = 1500, days: float = 10, seed: int = 5, injections: Iterable[Injection] = ()
) -> pl.DataFrame:
    return synthesize(rows, days, start=START, seed=seed, injections=injections)


def write(frame: pl.DataFrame, folder: Path, export: str) -> Path:
    return write_exports(frame, folder, [export])[0]


def expected_rows(truth: pl.DataFrame, export: str) -> pl.DataFrame:
    """The truth as the given export can carry it, for comparison with what was loaded."""
    mapping = STATUS_SEEN_AS.get(export, {})
    return comparable(truth.with_columns(pl.col("status").replace(mapping)), export)


def comparable(frame: pl.DataFrame, export: str) -> pl.DataFrame:
    """The columns every message export carries, at the export's time precision."""
    unit = "1s" if export in SECOND_PRECISION else "1ms"
    columns = ["sender", "recipient", "status", "size", "from_ip", "message_id"]
    if export not in NO_TRACE_ID:
        columns.append("trace_id")
    return frame.select(pl.col("received").dt.truncate(unit), *columns).sort(
        "message_id", "recipient"
    )


ALL_EXPORTS = tuple(EXPORT_FILES)
