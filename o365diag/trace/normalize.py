"""From one file's text columns to the normalized frames, counting the rows that do not fit.

Each export format has a function here (``messages_v2``, ``enhanced_summary``, ...) that maps
its columns onto ``MESSAGE_COLUMNS`` / ``EVENT_COLUMNS``. They share the steps: pick the date
format, type every column with non-strict casts, give each unusable row its reason, split.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from o365diag.knowledge import load_table
from o365diag.trace.dates import DateChoice, choose_format, parse_expr, plausible_range
from o365diag.trace.model import (
    MAX_BAD_EXAMPLES,
    MESSAGE_COLUMNS,
    BadRows,
    FileInfo,
    TraceInputError,
    event_schema,
    message_schema,
)
from o365diag.trace.read import RawTable

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "Part",
    "aggregate_mailflow",
    "detail_events",
    "eac_summary",
    "enhanced_summary",
    "extended_report",
    "graph_messages",
    "messages_v1_v2",
    "split_bad_rows",
    "status_from_events",
]

_SPAM_VERDICT = r"SFV=(SPM|BLK)"
_EXAMPLE_CHARS = 120


@dataclass
class Part:
    """What one file contributes."""

    messages: pl.DataFrame | None
    events: pl.DataFrame | None
    bad: BadRows
    info: FileInfo
    notes: list[str] = field(default_factory=list)


# -- lookups from the knowledge tables --------------------------------------------------------


@cache
def _status_names() -> dict[str, str]:
    return {e.key.lower(): e.key for e in load_table("trace_status").entries}


@cache
def _mailflow_names() -> dict[str, str]:
    return {e.key.lower(): e.key for e in load_table("trace_mailflow").entries}


@cache
def _directions() -> dict[str, str | None]:
    return {e.key.lower(): e.get("direction") for e in load_table("trace_direction").entries}


@cache
def _event_ranks() -> dict[str, tuple[int, str | None]]:
    return {
        e.key.upper(): (int(e.get("rank", 0)), e.get("maps_to"))
        for e in load_table("trace_events").entries
    }


def status_from_events(events: list[str], spam_verdict: bool = False) -> str:
    """The delivery status a list of tracking events amounts to (highest-ranked event wins)."""
    best_rank, best = -1, "Pending"
    for name in events:
        rank, status = _event_ranks().get(name.strip().upper(), (0, None))
        if status is not None and rank > best_rank:
            best_rank, best = rank, status
    if spam_verdict and best == "None":
        return "FilteredAsSpam"
    return best


# -- expression helpers -----------------------------------------------------------------------


def _text(raw: RawTable, *names: str) -> pl.Expr:
    """The first of ``names`` the file has, trimmed (when any value needs it), '' as null."""
    import polars as pl

    for name in names:
        if name in raw.columns:
            value = pl.col(name)
            if raw.is_padded(name):
                value = value.str.strip_chars(" \t")
            return pl.when(value.str.len_bytes() == 0).then(None).otherwise(value)
    return pl.lit(None, pl.String)


def _address(raw: RawTable, *names: str) -> pl.Expr:
    return _text(raw, *names).str.strip_chars("<>").str.to_lowercase()


def _size(raw: RawTable, *names: str) -> pl.Expr:
    """Bytes as exports write them ('24512'); see ``_size_in_units`` for the rest."""
    import polars as pl

    return _text(raw, *names).cast(pl.Int64, strict=False)


def _size_in_units(text: pl.Expr) -> pl.Expr:
    """Bytes from '24,512', '24 KB' or '1.5 MB' (slower: only for values that need it)."""
    import polars as pl

    value = text.str.to_uppercase().str.replace_all(r"[\s,]", "")
    number = value.str.extract(r"^(\d+(?:\.\d+)?)(?:B|KB|MB)?$").cast(pl.Float64, strict=False)
    scale = (
        pl.when(value.str.ends_with("MB"))
        .then(1024 * 1024)
        .when(value.str.ends_with("KB"))
        .then(1024)
        .otherwise(1)
    )
    return (number * scale).round().cast(pl.Int64, strict=False)


def _canonical(raw: RawTable, column: str, names: Mapping[str, str]) -> pl.Expr:
    """The column with each value spelled as the table spells it (any case in the file);
    values the table does not know are kept. The mapping is built from the distinct values,
    so a million rows cost one lookup per distinct status, not per row."""
    import polars as pl

    text = _text(raw, column)
    if column not in raw.columns:
        return text
    distinct = raw.frame.select(text.unique()).to_series().drop_nulls().to_list()
    mapping = {value: names.get(value.lower(), value) for value in distinct}
    return text.replace_strict(mapping, default=None, return_dtype=pl.String)


def _direction_hint(raw: RawTable, *names: str) -> pl.Expr:
    import polars as pl

    return (
        _text(raw, *names)
        .str.to_lowercase()
        .replace_strict(_directions(), default=None, return_dtype=pl.String)
    )


def _date_choice(raw: RawTable, column: str, order: str) -> DateChoice:
    values = raw.frame.get_column(column)
    choice = choose_format(values, order)
    if choice is None:
        sample = [v for v in values.drop_nulls().head(3).to_list() if v.strip()]
        if not sample:
            # No dates at all: a header-only export, or rows that will all be "missing date".
            return DateChoice("%Y-%m-%dT%H:%M:%S%.f", "iso")
        raise TraceInputError(
            f"{raw.name}: dates in column {column!r} are in no format o365diag knows "
            f"(e.g. {', '.join(repr(s) for s in sample)})"
        )
    return choice


def _file_info(raw: RawTable, fmt: str, rows: int, choice: DateChoice | None) -> FileInfo:
    return FileInfo(
        name=raw.name,
        format=fmt,
        encoding=raw.encoding,
        rows=rows,
        date_format=choice.pattern if choice else None,
        date_order=choice.order if choice else None,
        ambiguous_dates=bool(choice and choice.ambiguous),
    )


# -- splitting good rows from bad ones --------------------------------------------------------


def _reason_expr(checks: list[tuple[pl.Expr, str]]) -> pl.Expr:
    import polars as pl

    expr: Any = pl.when(pl.col("_shape").is_not_null()).then(pl.col("_shape"))
    for condition, reason in checks:
        expr = expr.when(condition).then(pl.lit(reason))
    result: pl.Expr = expr.otherwise(None)
    return result


def split_bad_rows(frame: pl.DataFrame, file: str) -> tuple[pl.DataFrame, BadRows]:
    """Rows with a ``_reason`` go to BadRows (counted, first few kept), the rest are returned."""
    import polars as pl

    bad = BadRows()
    flagged = frame.filter(pl.col("_reason").is_not_null())
    if flagged.is_empty():
        return frame, bad
    counts = flagged.group_by("_reason").agg(pl.len(), pl.col("_row").min()).sort("_row")
    for reason, count, _first in counts.iter_rows():
        # Only the text columns: a parsed date of year 0 has no Python datetime.
        rows = flagged.filter(pl.col("_reason") == reason).head(MAX_BAD_EXAMPLES)
        rows = rows.select("_row", "_value")
        examples = [
            {"file": file, "row": int(r["_row"]), "reason": reason, "value": _shown(r["_value"])}
            for r in rows.iter_rows(named=True)
        ]
        bad.add(str(reason), int(count), examples)
    return frame.filter(pl.col("_reason").is_null()), bad


def _shown(value: str | None) -> str | None:
    """A bad value as an example: cut short, since a hostile file can make it any length."""
    if value is None or len(value) <= _EXAMPLE_CHARS:
        return value
    return f"{value[:_EXAMPLE_CHARS]}… ({len(value):,} characters)"


def _finish(frame: pl.DataFrame, schema: Mapping[str, Any], fmt: str, file: str) -> pl.DataFrame:
    """Exactly the columns of ``schema``, typed, with the format and file filled in."""
    import polars as pl

    given = {"format": pl.lit(fmt), "file": pl.lit(file)}
    return frame.select(
        [given.get(name, pl.col(name)).cast(dtype).alias(name) for name, dtype in schema.items()]
    )


def _finish_messages(frame: pl.DataFrame, fmt: str, file: str) -> pl.DataFrame:
    return _finish(frame, message_schema(), fmt, file)


def _finish_events(frame: pl.DataFrame, fmt: str, file: str) -> pl.DataFrame:
    return _finish(frame, event_schema(), fmt, file)


def _typed(
    raw: RawTable,
    date_column: str,
    order: str,
    moment: str,
    columns: Mapping[str, pl.Expr],
    *extra: pl.Expr,
) -> tuple[pl.DataFrame, DateChoice]:
    """Row number, shape, the date as text and parsed (as ``moment``), and the mapped columns."""
    import polars as pl

    choice = _date_choice(raw, date_column, order)
    raw_date = _text(raw, date_column)
    typed = raw.frame.select(
        pl.col("_row"),
        pl.col("_shape"),
        raw_date.alias("_date_text"),
        parse_expr(raw_date, choice, raw.tz_offsets.get(date_column)).alias(moment),
        *[expr.alias(name) for name, expr in columns.items()],
        *extra,
    )
    return typed, choice


def _date_checks(moment: str) -> list[tuple[pl.Expr, str]]:
    import polars as pl

    earliest, latest = plausible_range()
    return [
        (pl.col("_date_text").is_null(), "missing date"),
        (pl.col(moment).is_null(), "date not recognised"),
        (~pl.col(moment).is_between(pl.lit(earliest), pl.lit(latest)), "date out of range"),
    ]


def _message_rows(
    raw: RawTable,
    fmt: str,
    columns: Mapping[str, pl.Expr],
    date_column: str,
    order: str,
    need_party: bool = True,
) -> Part:
    """The common path: type the columns, flag bad rows, return the message part."""
    import polars as pl

    size_text = _text(raw, "size", "totalbytes", "messagesize", "count").alias("_size_text")
    typed, choice = _typed(raw, date_column, order, "received", columns, size_text)
    checks = _date_checks("received")
    number = "count" if fmt == "mailflow-status" else "size"
    typed = _sizes_with_units(typed) if number == "size" else typed
    checks.append(
        (pl.col("_size_text").is_not_null() & pl.col(number).is_null(), f"{number} is not a number")
    )
    if need_party:
        checks.append(
            (pl.col("sender").is_null() & pl.col("recipient").is_null(), "no sender or recipient")
        )
    typed = typed.with_columns(_reason_expr(checks).alias("_reason"))
    reason = pl.col("_reason")
    shown = (
        pl.when(reason.str.contains("date"))
        .then(pl.col("_date_text"))
        .when(reason.str.contains("number"))
        .then(pl.col("_size_text"))
        .otherwise(None)
    )
    typed = typed.with_columns(shown.alias("_value"))
    good, bad = split_bad_rows(typed, raw.name)
    messages = _finish_messages(good, fmt, raw.name)
    info = _file_info(raw, fmt, messages.height, choice)
    return Part(messages, None, bad, info)


def _sizes_with_units(typed: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    unread = pl.col("_size_text").is_not_null() & pl.col("size").is_null()
    if not typed.select(unread.any()).item():
        return typed
    fixed = pl.when(unread).then(_size_in_units(pl.col("_size_text"))).otherwise(pl.col("size"))
    return typed.with_columns(fixed.alias("size"))


def _defaults(**columns: pl.Expr) -> dict[str, pl.Expr]:
    """Every message column a format maps, null unless given."""
    import polars as pl

    schema = message_schema()
    base: dict[str, pl.Expr] = {
        name: pl.lit(None, schema[name])
        for name in MESSAGE_COLUMNS
        if name not in ("received", "format", "file")
    }
    base["count"] = pl.lit(1, pl.Int64)
    base.update(columns)
    return base


def _trace_columns(
    raw: RawTable, party: tuple[str, str], size: tuple[str, ...], trace_ids: tuple[str, ...]
) -> dict[str, pl.Expr]:
    """The columns of the exports that list one message and recipient per row."""
    sender, recipient = party
    return _defaults(
        sender=_address(raw, sender, "senderaddress"),
        recipient=_address(raw, recipient, "recipientaddress"),
        subject=_text(raw, "subject"),
        status=_canonical(raw, "status", _status_names()),
        from_ip=_text(raw, "fromip"),
        to_ip=_text(raw, "toip"),
        size=_size(raw, *size),
        message_id=_text(raw, "messageid"),
        trace_id=_text(raw, *trace_ids).str.to_lowercase(),
    )


# -- formats ----------------------------------------------------------------------------------


def messages_v1_v2(raw: RawTable, fmt: str, order: str) -> Part:
    """Get-MessageTrace / Get-MessageTraceV2 via Export-Csv or ConvertTo-Json."""
    columns = _trace_columns(
        raw, ("senderaddress", "recipientaddress"), ("size",), ("messagetraceid",)
    )
    return _message_rows(raw, fmt, columns, "received", order)


def graph_messages(raw: RawTable, fmt: str, order: str) -> Part:
    """Graph exchangeMessageTrace objects (GET /admin/exchange/tracing/messageTraces)."""
    columns = _trace_columns(
        raw, ("senderaddress", "recipientaddress"), ("size",), ("messagetraceid", "id")
    )
    return _message_rows(raw, fmt, columns, "receiveddatetime", order)


def eac_summary(raw: RawTable, fmt: str, order: str) -> Part:
    """The admin center's on-screen summary, exported: Date, Sender, Recipient, Status..."""
    columns = _trace_columns(
        raw, ("sender", "recipient"), ("messagesize", "size"), ("messagetraceid",)
    )
    part = _message_rows(raw, fmt, columns, "date", order)
    part.info.assumed_utc = "date" not in raw.tz_offsets
    return part


def aggregate_mailflow(raw: RawTable, fmt: str, order: str) -> Part:
    """Get-MailFlowStatusReport: one row per day, direction and event type, with a count."""
    import polars as pl

    count = _text(raw, "count").str.replace_all(r"[\s,.]", "").cast(pl.Int64, strict=False)
    columns = _defaults(
        status=_canonical(raw, "eventtype", _mailflow_names()),
        direction=_direction_hint(raw, "direction"),
        count=count,
    )
    return _message_rows(raw, fmt, columns, "date", order, need_party=False)


def enhanced_summary(raw: RawTable, fmt: str, order: str) -> Part:
    """Historical search 'MessageTrace' report: one row per message, recipients packed in
    ``recipient_status`` as ``addr##Event, Event;addr2##...``; one output row per recipient."""
    import polars as pl

    date_column = "origintimestamputc" if "origintimestamputc" in raw.columns else "origintimestamp"
    pairs = _text(raw, "recipientstatus").str.split(";")
    exploded = raw.frame.with_columns(pairs.alias("_pair")).explode("_pair")
    halves = pl.col("_pair").str.split("##")
    exploded = exploded.with_columns(
        halves.list.first().str.strip_chars().str.to_lowercase().alias("_rcpt"),
        halves.list.get(1, null_on_oob=True).str.strip_chars().alias("_events"),
    )
    mapping = {
        text: status_from_events(text.split(","))
        for text in exploded.get_column("_events").drop_nulls().unique().to_list()
    }
    status = pl.col("_events").replace_strict(mapping, default="Pending", return_dtype=pl.String)
    view = RawTable(raw.name, exploded, raw.headers, raw.encoding, raw.tz_offsets)
    columns = _defaults(
        sender=_address(view, "senderaddress"),
        recipient=pl.when(pl.col("_rcpt") == "").then(None).otherwise(pl.col("_rcpt")),
        subject=_text(view, "messagesubject"),
        status=status,
        direction=_direction_hint(view, "directionality"),
        from_ip=_text(view, "originalclientip"),
        size=_size(view, "totalbytes"),
        message_id=_text(view, "messageid"),
        trace_id=_text(view, "networkmessageid").str.to_lowercase(),
    )
    return _message_rows(view, fmt, columns, date_column, order)


def _event_rows(
    raw: RawTable, fmt: str, date_column: str, order: str, columns: Mapping[str, pl.Expr]
) -> tuple[pl.DataFrame, BadRows, DateChoice]:
    import polars as pl

    typed, choice = _typed(raw, date_column, order, "time", columns)
    flagged = typed.with_columns(
        _reason_expr(_date_checks("time")).alias("_reason"), pl.col("_date_text").alias("_value")
    )
    good, bad = split_bad_rows(flagged, raw.name)
    return good, bad, choice


def detail_events(raw: RawTable, fmt: str, order: str) -> Part:
    """Get-MessageTraceDetail(V2) rows, or Graph message-trace details: events only."""
    import polars as pl

    # Data is an XML blob of key/value pairs: kept only when there is no Detail text.
    detail = pl.coalesce(_text(raw, "detail", "description"), _text(raw, "data"))
    columns = {
        "trace_id": _text(raw, "messagetraceid").str.to_lowercase(),
        "message_id": _text(raw, "messageid"),
        "sender": _address(raw, "senderaddress"),
        "recipient": _address(raw, "recipientaddress"),
        "event": _text(raw, "event"),
        "action": _text(raw, "action"),
        "detail": detail,
    }
    date_column = "date" if "date" in raw.columns else "datetime"
    good, bad, choice = _event_rows(raw, fmt, date_column, order, columns)
    events = _finish_events(good, fmt, raw.name)
    info = _file_info(raw, fmt, 0, choice)
    info.events = events.height
    return Part(None, events, bad, info)


def _join_present(*parts: pl.Expr) -> pl.Expr:
    import polars as pl

    joined = pl.concat_str([p.fill_null("") for p in parts], separator=" | ")
    trimmed = joined.str.strip_chars(" |")
    return pl.when(trimmed == "").then(None).otherwise(trimmed)


def extended_report(raw: RawTable, fmt: str, order: str) -> Part:
    """Historical search 'MessageTraceDetail' report: tracking events, one row per event.

    Gives the detail events and, grouped per message and recipient, the messages too.
    """
    import polars as pl

    recipients = _text(raw, "recipientaddress").str.split(";")
    exploded = raw.frame.with_columns(recipients.alias("recipientaddress")).explode(
        "recipientaddress"
    )
    view = RawTable(raw.name, exploded, raw.headers, raw.encoding, raw.tz_offsets)
    columns = {
        "trace_id": _text(view, "networkmessageid").str.to_lowercase(),
        "message_id": _text(view, "messageid"),
        "sender": _address(view, "senderaddress"),
        "recipient": _address(view, "recipientaddress"),
        "event": _text(view, "eventid").str.to_uppercase(),
        "action": _text(view, "source"),
        "detail": _join_present(_text(view, "recipientstatus"), _text(view, "customdata")),
        "_subject": _text(view, "messagesubject"),
        "_size": pl.coalesce(_size(view, "totalbytes"), _size_in_units(_text(view, "totalbytes"))),
        "_from_ip": pl.coalesce(_text(view, "originalclientip"), _text(view, "clientip")),
        "_to_ip": _text(view, "serverip"),
        "_direction": _direction_hint(view, "directionality"),
    }
    date_column = "datetimeutc" if "datetimeutc" in view.columns else "datetime"
    good, bad, choice = _event_rows(view, fmt, date_column, order, columns)
    no_id = good.filter(pl.col("trace_id").is_null() & pl.col("message_id").is_null())
    if no_id.height:
        flagged = no_id.with_columns(pl.lit("no message id").alias("_reason"))
        bad.merge(split_bad_rows(flagged, raw.name)[1])
        good = good.filter(pl.col("trace_id").is_not_null() | pl.col("message_id").is_not_null())
    events = _finish_events(good, fmt, raw.name)
    messages = _finish_messages(_messages_from_events(good), fmt, raw.name)
    info = _file_info(raw, fmt, messages.height, choice)
    info.events = events.height
    return Part(messages, events, bad, info)


def _messages_from_events(events: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    ranks = _event_ranks()
    rank = pl.col("event").replace_strict(
        {k: v[0] for k, v in ranks.items()}, default=0, return_dtype=pl.Int64
    )
    maps_to = pl.col("event").replace_strict(
        {k: v[1] for k, v in ranks.items()}, default=None, return_dtype=pl.String
    )
    keyed = events.with_columns(
        pl.coalesce("trace_id", "message_id").alias("_key"),
        pl.when(maps_to.is_null()).then(-1).otherwise(rank).alias("_rank"),
        maps_to.alias("_maps_to"),
        pl.col("detail").str.contains(_SPAM_VERDICT).fill_null(False).alias("_spam"),
    )
    grouped = keyed.group_by("_key", "recipient", maintain_order=True).agg(
        pl.col("time").min().alias("received"),
        pl.col("sender").drop_nulls().first(),
        pl.col("_subject").drop_nulls().first().alias("subject"),
        pl.col("_maps_to").sort_by("_rank").last().alias("_status"),
        pl.col("_spam").any(),
        (pl.col("event") == "DROP").any().alias("_drop"),
        pl.col("_direction").drop_nulls().first().alias("direction"),
        pl.col("_from_ip").filter(pl.col("event") == "RECEIVE").drop_nulls().first().alias("_rx"),
        pl.col("_from_ip").drop_nulls().first().alias("_any_ip"),
        pl.col("_to_ip").filter(pl.col("event") == "SEND").drop_nulls().first().alias("to_ip"),
        pl.col("_size").max().alias("size"),
        pl.col("message_id").drop_nulls().first(),
        pl.col("trace_id").drop_nulls().first(),
    )
    status = (
        pl.when(pl.col("_spam") & pl.col("_drop") & (pl.col("_status") == "None"))
        .then(pl.lit("FilteredAsSpam"))
        .otherwise(pl.col("_status").fill_null("Pending"))
    )
    return grouped.with_columns(
        status.alias("status"),
        pl.coalesce("_rx", "_any_ip").alias("from_ip"),
        pl.lit(1, pl.Int64).alias("count"),
    )
