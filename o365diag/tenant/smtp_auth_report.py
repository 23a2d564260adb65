"""The Exchange admin center's "SMTP AUTH clients" report (Reports > Mail flow), exported as CSV.

One row per sender address with the share of its messages sent over TLS 1.0, 1.1 and 1.2 and the
number of messages; since October 2024 an "Authentication Protocol" column says Basic or OAuth
(older exports lack it: the protocol is then unknown, not guessed). The detailed report
("Request report") adds a date per row. Columns are recognised by their names in any order,
case and spacing; percentages read as ``100``, ``100%`` or ``100.0 %``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from o365diag.tenant.signins import (
    TenantInputError,
    first_of,
    source_bytes,
)
from o365diag.trace.dates import choose_format, parse_expr
from o365diag.trace.model import BadRows, TraceInputError
from o365diag.trace.normalize import split_bad_rows
from o365diag.trace.read import RawTable, read_source

__all__ = [
    "SMTP_AUTH_REPORT_COLUMNS",
    "SmtpAuthReport",
    "is_smtp_auth_report_columns",
    "load_smtp_auth_report",
]

SMTP_AUTH_REPORT_COLUMNS: dict[str, Any] = {
    "date": pl.Datetime("us", "UTC"),
    "sender": pl.String,
    "domain": pl.String,
    "auth_protocol": pl.String,
    "tls10_percent": pl.Float64,
    "tls11_percent": pl.Float64,
    "tls12_percent": pl.Float64,
    "tls13_percent": pl.Float64,
    "messages": pl.Int64,
    "file": pl.String,
}
_HEADERS: dict[str, tuple[str, ...]] = {
    "sender": ("senderaddress", "sender", "senderemailaddress", "emailaddress"),
    "domain": ("domain", "senderdomain"),
    "auth_protocol": ("authenticationprotocol", "authprotocol", "authenticationtype"),
    "tls10_percent": ("tls10", "tls10percent", "tls10messages"),
    "tls11_percent": ("tls11", "tls11percent", "tls11messages"),
    "tls12_percent": ("tls12", "tls12percent", "tls12messages"),
    "tls13_percent": ("tls13", "tls13percent", "tls13messages"),
    "messages": ("messagessent", "messages", "messagecount", "totalmessages"),
}
_PROTOCOLS = {"basic": "basic", "basicauth": "basic", "oauth": "oauth", "oauth2": "oauth"}
_PERCENT_COLUMNS = ("tls10_percent", "tls11_percent", "tls12_percent", "tls13_percent")


@dataclass
class SmtpAuthReport:
    """Rows of one or more SMTP AUTH clients report exports."""

    frame: pl.DataFrame
    files: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: BadRows = field(default_factory=BadRows)
    has_protocol: bool = False

    def by_sender(self) -> pl.DataFrame:
        """One row per sender and protocol: messages and the message-weighted TLS shares."""
        weight = pl.col("messages").fill_null(0)
        shares = [
            ((pl.col(c).fill_null(0) * weight).sum() / weight.sum().clip(1)).alias(c)
            for c in _PERCENT_COLUMNS
        ]
        return (
            self.frame.group_by("sender", "auth_protocol")
            .agg(pl.col("messages").sum(), *shares, pl.col("date").max().alias("last_date"))
            .sort("sender", "auth_protocol", nulls_last=True)
        )


def is_smtp_auth_report_columns(names: Iterable[str]) -> bool:
    present = frozenset(names)
    has_sender = bool(present & set(_HEADERS["sender"]))
    tls = sum(bool(present & set(_HEADERS[c])) for c in _PERCENT_COLUMNS)
    return has_sender and tls >= 2


def load_smtp_auth_report(sources: Sequence[str | Path | tuple[str, bytes]]) -> SmtpAuthReport:
    """Read report CSVs (paths or ``(name, bytes)``); TenantInputError names a bad file."""
    if not sources:
        raise TenantInputError("no SMTP AUTH report files given")
    parts = [_load_one(source) for source in sources]
    bad = BadRows()
    for part in parts:
        bad.merge(part.bad_rows)
    frame = pl.concat([p.frame for p in parts])
    files = [f for p in parts for f in p.files]
    return SmtpAuthReport(frame, files, bad, any(p.has_protocol for p in parts))


def _load_one(source: str | Path | tuple[str, bytes]) -> SmtpAuthReport:
    name, data = source_bytes(source)
    try:
        raw = read_source(name, data=data)
    except TraceInputError as exc:
        raise TenantInputError(str(exc)) from None
    if not is_smtp_auth_report_columns(raw.columns):
        shown = ", ".join(h.strip() for h in raw.headers[:8])
        raise TenantInputError(
            f"{name}: not an SMTP AUTH clients report (its columns: {shown}); export it from "
            "the Exchange admin center, Reports > Mail flow > SMTP AUTH clients report"
        )
    return _normalize(raw)


def _normalize(raw: RawTable) -> SmtpAuthReport:
    texts = {column: first_of(raw, names).alias(f"_{column}") for column, names in _HEADERS.items()}
    date_name = next((n for n in ("date", "day") if n in raw.columns), None)
    date_text = first_of(raw, (date_name,) if date_name else ()).alias("_date")
    typed = raw.frame.select(pl.col("_row"), pl.col("_shape"), date_text, *texts.values())
    typed = typed.with_columns(
        _parsed_date(typed, raw, date_name).alias("date"),
        pl.col("_sender").str.strip_chars("<>").str.to_lowercase().alias("sender"),
        pl.col("_domain").str.to_lowercase().alias("domain"),
        pl.col("_auth_protocol")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]", "")
        .replace_strict(_PROTOCOLS, default=None, return_dtype=pl.String)
        .alias("auth_protocol"),
        *[_percent(pl.col(f"_{c}")).alias(c) for c in _PERCENT_COLUMNS],
        pl.col("_messages")
        .str.replace_all(r"[,\s]", "")
        .cast(pl.Int64, strict=False)
        .alias("messages"),
        pl.lit(raw.name).alias("file"),
        pl.col("_sender").alias("_value"),
    )
    typed = typed.with_columns(_reason(date_name is not None).alias("_reason"))
    good, bad = split_bad_rows(typed, raw.name)
    frame = good.select([pl.col(c).cast(t).alias(c) for c, t in SMTP_AUTH_REPORT_COLUMNS.items()])
    has_protocol = any(n in raw.columns for n in _HEADERS["auth_protocol"])
    info = {
        "file": raw.name,
        "kind": "smtp-auth-report",
        "rows": frame.height,
        "bad_rows": bad.count,
        "authentication_protocol_column": has_protocol,
    }
    return SmtpAuthReport(frame, [info], bad, has_protocol)


def _parsed_date(typed: pl.DataFrame, raw: RawTable, date_name: str | None) -> pl.Expr:
    if date_name is None:
        return pl.lit(None, pl.Datetime("us", "UTC"))
    choice = choose_format(typed.get_column("_date"))
    if choice is None:
        return pl.lit(None, pl.Datetime("us", "UTC"))
    return parse_expr(pl.col("_date"), choice, raw.tz_offsets.get(date_name))


def _percent(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(r"[%\s]", "").str.replace(",", ".").cast(pl.Float64, strict=False)


def _reason(dated: bool) -> pl.Expr:
    out_of_range = pl.any_horizontal(
        [(pl.col(c) < 0) | (pl.col(c) > 100) for c in _PERCENT_COLUMNS]
    ).fill_null(False)
    unreadable = pl.any_horizontal(
        [pl.col(f"_{c}").is_not_null() & pl.col(c).is_null() for c in _PERCENT_COLUMNS]
    )
    expr = (
        pl.when(pl.col("_shape").is_not_null())
        .then(pl.col("_shape"))
        .when(pl.col("_sender").is_null())
        .then(pl.lit("missing sender address"))
        .when(~pl.col("sender").str.contains("@"))
        .then(pl.lit("sender is not an email address"))
        .when(pl.col("_messages").is_not_null() & pl.col("messages").is_null())
        .then(pl.lit("messages sent is not a number"))
        .when(unreadable)
        .then(pl.lit("TLS share is not a number"))
        .when(out_of_range)
        .then(pl.lit("TLS share outside 0-100%"))
        .when(
            pl.col("_auth_protocol").is_not_null() & pl.col("auth_protocol").is_null(),
        )
        .then(pl.lit("authentication protocol is neither Basic nor OAuth"))
    )
    if dated:
        expr = expr.when(pl.col("_date").is_not_null() & pl.col("date").is_null()).then(
            pl.lit("date not recognised")
        )
    result: pl.Expr = expr.otherwise(pl.lit(None, pl.String))
    return result
