"""Writers for every message-trace export format o365diag reads, from a ``synthesize`` frame.

Each writer imitates what Microsoft's tools produce: PowerShell's Export-Csv (quoted, culture
dates, a ``#TYPE`` line in Windows PowerShell), ConvertTo-Json (5.1's ``/Date(ms)/``), Graph
pages, and the admin center's downloads (UTF-16, with or without a BOM).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from o365diag.trace.model import TraceInputError
from o365diag.trace.synth import DEFER_REASON, FAIL_REASONS

if TYPE_CHECKING:
    import polars as pl

__all__ = ["EXPORT_FILES", "graph_message_records", "write_exports"]

EXPORT_FILES = {
    "messagetrace-v2": "messagetrace-v2.csv",
    "messagetrace-v2-de": "messagetrace-v2-de.csv",
    "messagetrace-v2-json": "messagetrace-v2.json",
    "messagetrace-v1": "messagetrace-v1.csv",
    "graph-messagetrace": "graph-messagetrace.json",
    "eac-summary": "eac-summary.csv",
    "eac-enhanced-summary": "eac-enhanced-summary.csv",
    "eac-extended": "eac-extended.csv",
    "messagetrace-detail": "messagetrace-detail.csv",
    "mailflow-status": "mailflow-status.csv",
}
_US = "%-m/%-d/%Y %-I:%M:%S %p"
_ISO_MS = "%Y-%m-%dT%H:%M:%S%.3fZ"
# Get-MessageTraceV2's export columns, in its order, and the normalized column each holds.
V2_COLUMNS = {
    "Received": "received",
    "SenderAddress": "sender",
    "RecipientAddress": "recipient",
    "Subject": "subject",
    "Status": "status",
    "ToIP": "to_ip",
    "FromIP": "from_ip",
    "Size": "size",
    "MessageId": "message_id",
    "MessageTraceId": "trace_id",
}


def write_exports(
    frame: pl.DataFrame, folder: str | Path, formats: Iterable[str] = tuple(EXPORT_FILES)
) -> list[Path]:
    """Write ``frame`` (from ``synthesize``) in each named export format; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[pl.DataFrame], bytes]] = {
        "messagetrace-v2": lambda f: _v2_csv(f, _US, ",").encode("utf-8"),
        "messagetrace-v2-de": lambda f: _v2_csv(f, "%d.%m.%Y %H:%M:%S", ";").encode("utf-8"),
        "messagetrace-v2-json": _v2_json,
        "messagetrace-v1": _v1_csv,
        "graph-messagetrace": _graph_json,
        "eac-summary": _eac_summary,
        "eac-enhanced-summary": _enhanced_summary,
        "eac-extended": _extended,
        "messagetrace-detail": _detail,
        "mailflow-status": _mailflow,
    }
    written = []
    for name in formats:
        if name not in writers:
            raise TraceInputError(f"unknown export {name!r}; known: {', '.join(EXPORT_FILES)}")
        path = folder / EXPORT_FILES[name]
        path.write_bytes(writers[name](frame))
        written.append(path)
    return written


def _as_text(frame: pl.DataFrame, columns: dict[str, str | pl.Expr], when: str) -> pl.DataFrame:
    import polars as pl

    exprs = []
    for header, source in columns.items():
        expr = pl.col(source) if isinstance(source, str) else source
        if isinstance(source, str) and source in ("received", "time"):
            expr = expr.dt.to_string(when)
        exprs.append(expr.cast(pl.String).fill_null("").alias(header))
    return frame.select(exprs)


def _v2_csv(frame: pl.DataFrame, when: str, separator: str) -> str:
    return _as_text(frame, dict(V2_COLUMNS), when).write_csv(
        quote_style="always", separator=separator
    )


def _v1_csv(frame: pl.DataFrame) -> bytes:
    import polars as pl

    first, last = frame.get_column("received").min(), frame.get_column("received").max()
    columns: dict[str, str | pl.Expr] = {"Organization": pl.lit("example.onmicrosoft.com")}
    columns.update(V2_COLUMNS)
    columns["StartDate"] = pl.lit(first).dt.to_string(_US)
    columns["EndDate"] = pl.lit(last).dt.to_string(_US)
    columns["Index"] = pl.int_range(pl.len())
    body = _as_text(frame, columns, _US).write_csv(quote_style="always")
    type_line = "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\n"
    return b"\xef\xbb\xbf" + (type_line + body).encode("utf-8")


def _v2_json(frame: pl.DataFrame) -> bytes:
    """ConvertTo-Json as Windows PowerShell 5.1 writes it: dates as {"value": "/Date(ms)/"}."""
    import polars as pl

    millis = pl.col("received").dt.epoch("ms").cast(pl.String)
    received = pl.struct(
        pl.concat_str(pl.lit("/Date("), millis, pl.lit(")/")).alias("value"),
        pl.lit(2).alias("DisplayHint"),
        pl.col("received").dt.to_string("%A, %B %-d, %Y %-I:%M:%S %p").alias("DateTime"),
    )
    columns = [received.alias("Received")]
    columns += [pl.col(src).alias(dst) for dst, src in V2_COLUMNS.items() if dst != "Received"]
    records = json.loads(frame.select(columns).write_json())
    return json.dumps(records, indent=1, ensure_ascii=True).encode("utf-8")


def graph_message_records(
    frame: pl.DataFrame, when: str = "%Y-%m-%dT%H:%M:%SZ"
) -> list[dict[str, object]]:
    """``synthesize`` rows as Graph's exchangeMessageTrace objects (camelCase status)."""
    import polars as pl

    camel = pl.col("status").str.slice(0, 1).str.to_lowercase() + pl.col("status").str.slice(1)
    page = frame.select(
        pl.col("trace_id").alias("id"),
        pl.col("received").dt.to_string(when).alias("receivedDateTime"),
        pl.col("sender").alias("senderAddress"),
        pl.col("recipient").alias("recipientAddress"),
        pl.col("subject"),
        camel.alias("status"),
        pl.col("from_ip").alias("fromIP"),
        pl.col("to_ip").alias("toIP"),
        pl.col("size"),
        pl.col("message_id").alias("messageId"),
    )
    return page.to_dicts()


def _graph_json(frame: pl.DataFrame) -> bytes:
    context = "https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces"
    document = {"@odata.context": context, "value": graph_message_records(frame)}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _eac_summary(frame: pl.DataFrame) -> bytes:
    columns: dict[str, str | pl.Expr] = {
        "Date": "received",
        "Sender": "sender",
        "Recipient": "recipient",
        "Subject": "subject",
        "Status": "status",
        "Message ID": "message_id",
        "Message size": "size",
        "From IP": "from_ip",
        "To IP": "to_ip",
    }
    return _as_text(frame, columns, "%d/%m/%Y %H:%M:%S").write_csv().encode("utf-8")


def _summary_events(status: str, direction: str) -> str:
    final = {
        "Delivered": "Send" if direction == "Outbound" else "Deliver",
        "Failed": "Fail",
        "Expanded": "Expand",
        "Pending": "Defer",
        "FilteredAsSpam": "Drop",
        "Quarantined": "Drop",
        "None": "Redirect",
    }.get(status)
    return f"Receive, {final}" if final else "Receive"


def _enhanced_summary(frame: pl.DataFrame) -> bytes:
    import polars as pl

    events = pl.struct("status", "direction").map_elements(
        lambda r: _summary_events(r["status"], r["direction"]), return_dtype=pl.String
    )
    packed = frame.with_columns(
        pl.concat_str(pl.col("recipient"), pl.lit("##"), events).alias("_pair")
    )
    messages = packed.group_by("trace_id", maintain_order=True).agg(
        pl.col("received").first(),
        pl.col("sender").first(),
        pl.col("_pair").str.join(";").alias("recipient_status"),
        pl.col("subject").first(),
        pl.col("size").first(),
        pl.col("message_id").first(),
        pl.col("from_ip").first(),
        pl.col("direction").first(),
    )
    directionality = pl.when(pl.col("direction") == "Inbound").then(pl.lit("Incoming"))
    columns: dict[str, str | pl.Expr] = {
        "origin_timestamp_utc": pl.col("received").dt.to_string(_ISO_MS),
        "sender_address": "sender",
        "recipient_status": "recipient_status",
        "message_subject": "subject",
        "total_bytes": "size",
        "message_id": "message_id",
        "network_message_id": "trace_id",
        "original_client_ip": "from_ip",
        "directionality": directionality.otherwise(pl.lit("Originating")),
        "connector_id": pl.lit("Relay from app servers"),
        "delivery_priority": pl.lit("Normal"),
    }
    text = _as_text(messages, columns, _ISO_MS).write_csv()
    return b"\xff\xfe" + text.encode("utf-16-le")


_EXTENDED_COLUMNS = (
    "date_time_utc",
    "client_ip",
    "client_hostname",
    "server_ip",
    "server_hostname",
    "source_context",
    "connector_id",
    "source",
    "event_id",
    "internal_message_id",
    "message_id",
    "network_message_id",
    "recipient_address",
    "recipient_status",
    "total_bytes",
    "recipient_count",
    "related_recipient_address",
    "reference",
    "message_subject",
    "sender_address",
    "return_path",
    "message_info",
    "directionality",
    "tenant_id",
    "original_client_ip",
    "original_server_ip",
    "custom_data",
)


def _final_event(status: str, direction: str) -> tuple[str, str, str]:
    """(event_id, source, recipient_status) that ends a recipient's tracking."""
    table = {
        "Delivered": ("SEND", "SMTP", "250 2.6.0 Queued mail for delivery")
        if direction == "Outbound"
        else ("DELIVER", "STOREDRIVER", ""),
        "Failed": ("FAIL", "SMTP", FAIL_REASONS[0]),
        "Expanded": ("EXPAND", "ROUTING", ""),
        "Pending": ("DEFER", "SMTP", DEFER_REASON),
        "FilteredAsSpam": ("DROP", "AGENT", ""),
        "Quarantined": ("DROP", "AGENT", ""),
        "None": ("REDIRECT", "ROUTING", ""),
    }
    return table.get(status, ("", "", ""))


def _extended(frame: pl.DataFrame) -> bytes:
    """Tracking events, UTF-16LE without a BOM, as the admin center's download often is."""
    import polars as pl

    spam = pl.col("status").is_in(["FilteredAsSpam", "Quarantined"]).any().over("trace_id")
    rows = frame.with_columns(spam.alias("_spam"))
    receive = rows.group_by("trace_id", maintain_order=True).agg(
        pl.col("received").first().alias("time"),
        pl.col("recipient").str.join(";").alias("recipient_address"),
        pl.col("_spam").first(),
        *[pl.col(c).first() for c in ("sender", "subject", "size", "message_id", "from_ip")],
        pl.col("direction").first(),
        pl.len().alias("recipient_count"),
    )
    verdict = pl.when(pl.col("_spam")).then(pl.lit("S:SFA=SFV=SPM|SCL=9|SCORE=9"))
    agent = receive.with_columns(
        (pl.col("time") + pl.duration(seconds=1)).alias("time"),
        pl.lit("AGENTINFO").alias("event_id"),
        pl.lit("AGENT").alias("source"),
        verdict.otherwise(pl.lit("S:SFA=SFV=NSPM|SCL=1|SCORE=-1")).alias("custom_data"),
    )
    receive = receive.with_columns(
        pl.lit("RECEIVE").alias("event_id"), pl.lit("SMTP").alias("source")
    )
    final = _final_rows(rows)
    events = pl.concat([receive, agent, final], how="diagonal_relaxed").sort("time", "trace_id")
    text = _as_text(events, _extended_view(), _ISO_MS).write_csv()
    return text.encode("utf-16-le")


def _final_rows(rows: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    finals = pl.struct("status", "direction").map_elements(
        lambda r: dict(
            zip(
                ("event_id", "source", "recipient_status"),
                _final_event(r["status"], r["direction"]),
                strict=True,
            )
        ),
        return_dtype=pl.Struct(
            {"event_id": pl.String, "source": pl.String, "recipient_status": pl.String}
        ),
    )
    final = rows.with_columns(finals.alias("_final")).unnest("_final")
    final = final.filter(pl.col("event_id") != "")
    return final.with_columns(
        (pl.col("received") + pl.duration(seconds=2)).alias("time"),
        pl.col("recipient").alias("recipient_address"),
        pl.lit(1, pl.Int64).alias("recipient_count"),
        pl.when(pl.col("event_id") == "SEND").then(pl.col("to_ip")).alias("server_ip"),
    )


def _extended_view() -> dict[str, str | pl.Expr]:
    import polars as pl

    def maybe(name: str) -> pl.Expr:
        return pl.col(name) if name else pl.lit(None, pl.String)

    inbound = pl.col("direction") == "Inbound"
    mapping: dict[str, str | pl.Expr] = {
        name: pl.lit(None, pl.String) for name in _EXTENDED_COLUMNS
    }
    mapping.update(
        {
            "date_time_utc": pl.col("time").dt.to_string(_ISO_MS),
            "client_ip": "from_ip",
            "server_ip": maybe("server_ip"),
            "source": "source",
            "event_id": "event_id",
            "message_id": "message_id",
            "network_message_id": "trace_id",
            "recipient_address": "recipient_address",
            "recipient_status": maybe("recipient_status"),
            "total_bytes": "size",
            "recipient_count": "recipient_count",
            "message_subject": "subject",
            "sender_address": "sender",
            "return_path": "sender",
            "directionality": pl.when(inbound)
            .then(pl.lit("Incoming"))
            .otherwise(pl.lit("Originating")),
            "original_client_ip": "from_ip",
            "custom_data": maybe("custom_data"),
        }
    )
    return mapping


def _detail(frame: pl.DataFrame) -> bytes:
    """Get-MessageTraceDetailV2 output for the messages that did not simply get delivered."""
    import polars as pl

    picked = frame.filter(pl.col("status") != "Delivered").head(500)
    receive = picked.with_columns(
        pl.col("received").alias("time"),
        pl.lit("Receive").alias("Event"),
        pl.lit("").alias("Action"),
        pl.lit("Message received by: AM0PR01MB0001.eurprd01.prod.outlook.com").alias("Detail"),
    )
    reason = pl.lit(pl.Series(FAIL_REASONS)).gather((pl.col("size") % 3).cast(pl.Int64))
    event = (
        pl.when(pl.col("status") == "Failed")
        .then(pl.lit("Fail"))
        .when(pl.col("status").is_in(["Pending", "GettingStatus"]))
        .then(pl.lit("Defer"))
        .when(pl.col("status").is_in(["FilteredAsSpam", "Quarantined"]))
        .then(pl.lit("Spam"))
        .when(pl.col("status") == "Expanded")
        .then(pl.lit("Expand"))
        .otherwise(pl.lit("Drop"))
    )
    detail = (
        pl.when(pl.col("status") == "Failed")
        .then(pl.concat_str(pl.lit("Reason: [{LED="), reason, pl.lit("};{MSG=};{FQDN=};{IP=}]")))
        .when(pl.col("status").is_in(["Pending", "GettingStatus"]))
        .then(pl.lit(DEFER_REASON))
        .otherwise(pl.lit("The message was handled by the filtering service."))
    )
    final = picked.with_columns(
        (pl.col("received") + pl.duration(seconds=2)).alias("time"),
        event.alias("Event"),
        pl.lit("").alias("Action"),
        detail.alias("Detail"),
    )
    events = pl.concat([receive, final]).sort("time", "trace_id")
    columns: dict[str, str | pl.Expr] = {
        "Organization": pl.lit("example.onmicrosoft.com"),
        "MessageId": "message_id",
        "MessageTraceId": "trace_id",
        "SenderAddress": "sender",
        "RecipientAddress": "recipient",
        "Date": "time",
        "Event": "Event",
        "Action": "Action",
        "Detail": "Detail",
        "Data": pl.lit('<root><MEP Name="Connector" String="Default"/></root>'),
    }
    return _as_text(events, columns, _US).write_csv(quote_style="always").encode("utf-8")


def _mailflow(frame: pl.DataFrame) -> bytes:
    import polars as pl

    event_type = (
        pl.when(pl.col("status") == "FilteredAsSpam")
        .then(pl.lit("SpamDetections"))
        .when(pl.col("status") == "Quarantined")
        .then(pl.lit("EmailPhish"))
        .otherwise(pl.lit("GoodMail"))
    )
    daily = (
        frame.with_columns(
            pl.col("received").dt.truncate("1d").alias("time"), event_type.alias("EventType")
        )
        .group_by("time", "direction", "EventType")
        .agg(pl.len().alias("Count"))
        .sort("time", "direction", "EventType")
    )
    columns: dict[str, str | pl.Expr] = {
        "Date": "time",
        "Direction": "direction",
        "EventType": "EventType",
        "Count": "Count",
    }
    return _as_text(daily, columns, _US).write_csv(quote_style="always").encode("utf-8")
