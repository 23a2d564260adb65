"""The export formats o365diag reads, told apart by their column names (never the file name).

Column names are compared normalized: lower case, letters and digits only, so
``SenderAddress``, ``sender_address`` and ``senderAddress`` are the same column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from o365diag.trace import normalize
from o365diag.trace.model import TraceInputError
from o365diag.trace.read import RawTable

__all__ = ["FORMATS", "TraceFormat", "detect_format"]

_V2_DOC = "https://learn.microsoft.com/powershell/module/exchangepowershell/get-messagetracev2"
_EAC_DOC = "https://learn.microsoft.com/exchange/monitoring/trace-an-email-message/message-trace-modern-eac"


@dataclass(frozen=True)
class TraceFormat:
    name: str
    title: str
    required: frozenset[str]
    any_of: tuple[frozenset[str], ...]
    kind: str  # messages | events | aggregate
    source: str
    normalize: Callable[[RawTable, str, str], normalize.Part]

    def matches(self, columns: set[str]) -> bool:
        return self.required <= columns and all(group & columns for group in self.any_of)


def _cols(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TRACE_CORE = _cols("received senderaddress recipientaddress status")

# Most specific first: the first format whose columns are all present wins.
FORMATS: tuple[TraceFormat, ...] = (
    TraceFormat(
        "eac-extended",
        "admin center extended report / historical search MessageTraceDetail (CSV)",
        _cols("eventid recipientaddress senderaddress"),
        (_cols("datetimeutc datetime"),),
        "events",
        "https://learn.microsoft.com/powershell/module/exchangepowershell/start-historicalsearch",
        normalize.extended_report,
    ),
    TraceFormat(
        "eac-enhanced-summary",
        "admin center enhanced summary report / historical search MessageTrace (CSV)",
        _cols("senderaddress recipientstatus"),
        (_cols("origintimestamputc origintimestamp"),),
        "messages",
        _EAC_DOC,
        normalize.enhanced_summary,
    ),
    TraceFormat(
        "messagetrace-detail",
        "Get-MessageTraceDetailV2 / Get-MessageTraceDetail (Export-Csv or ConvertTo-Json)",
        _cols("date event"),
        (_cols("detail action data"),),
        "events",
        "https://learn.microsoft.com/powershell/module/exchangepowershell/get-messagetracedetailv2",
        normalize.detail_events,
    ),
    TraceFormat(
        "graph-messagetrace-detail",
        "Microsoft Graph message-trace details (JSON)",
        _cols("datetime event"),
        (_cols("description action"),),
        "events",
        "https://learn.microsoft.com/en-us/graph/api/resources/exchangemessagetrace",
        normalize.detail_events,
    ),
    TraceFormat(
        "graph-messagetrace",
        "Microsoft Graph exchangeMessageTrace (JSON)",
        _cols("receiveddatetime senderaddress recipientaddress status"),
        (),
        "messages",
        "https://learn.microsoft.com/en-us/graph/api/resources/exchangemessagetrace",
        normalize.graph_messages,
    ),
    TraceFormat(
        "messagetrace-v1",
        "Get-MessageTrace (Export-Csv or ConvertTo-Json)",
        _TRACE_CORE,
        (_cols("organization startdate enddate index"),),
        "messages",
        "https://learn.microsoft.com/en-us/previous-versions/office/developer/"
        "o365-enterprise-developers/jj984335(v=office.15)",
        normalize.messages_v1_v2,
    ),
    TraceFormat(
        "messagetrace-v2",
        "Get-MessageTraceV2 (Export-Csv or ConvertTo-Json)",
        _TRACE_CORE,
        (),
        "messages",
        _V2_DOC,
        normalize.messages_v1_v2,
    ),
    TraceFormat(
        "eac-summary",
        "admin center message trace, summary exported (Date, Sender, Recipient, Status)",
        _cols("date sender recipient status"),
        (),
        "messages",
        _EAC_DOC,
        normalize.eac_summary,
    ),
    TraceFormat(
        "mailflow-status",
        "Get-MailFlowStatusReport (daily counts)",
        _cols("date direction eventtype count"),
        (),
        "aggregate",
        "https://learn.microsoft.com/powershell/module/exchange/get-mailflowstatusreport",
        normalize.aggregate_mailflow,
    ),
)


def detect_format(raw: RawTable) -> TraceFormat:
    columns = raw.columns
    for fmt in FORMATS:
        if fmt.matches(columns):
            return fmt
    seen = ", ".join(raw.headers[:20]) + (" ..." if len(raw.headers) > 20 else "")
    known = "; ".join(f"{f.name} ({f.title})" for f in FORMATS)
    raise TraceInputError(
        f"{raw.name}: not a message-trace export o365diag knows. Columns seen: {seen}. "
        f"Formats known: {known}"
    )
