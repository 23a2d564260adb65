"""Entra sign-in logs in one normalized frame: portal CSV and JSON downloads, Graph records.

The portal's CSV download (interactive and non-interactive files share 56 columns; note the
trailing space in ``Application ID `` and the double space in ``Autonomous system  number``)
and its JSON download (Graph property names) are told apart by their content, never by the
file name. Graph ``signIn`` objects (v1.0 or beta) go through ``signins_frame_from_graph``.

Every kept row has ``SIGNIN_COLUMNS``; a row that cannot be used is counted with its reason
(``BadRows``), never dropped silently. Times are UTC; user names are lower case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from o365diag.errors import InputError
from o365diag.trace.dates import DateChoice, parse_expr
from o365diag.trace.model import BadRows, TraceInputError
from o365diag.trace.normalize import split_bad_rows
from o365diag.trace.read import RawTable, read_source

__all__ = [
    "PORTAL_CSV_HEADERS",
    "SIGNIN_COLUMNS",
    "SMTP_CLIENT_APP",
    "SigninData",
    "TenantInputError",
    "is_signin_columns",
    "load_signins",
    "signins_frame_from_graph",
    "signins_from_graph",
]

SMTP_CLIENT_APP = "Authenticated SMTP"
# The portal's "Download CSV" header as one public schema reference lists it ("Incoming token
# type" twice); Microsoft adds columns over time, so loading never depends on all of them.
PORTAL_CSV_HEADERS: tuple[str, ...] = (
    "Date (UTC)",
    "Request ID",
    "User agent",
    "Correlation ID",
    "User ID",
    "User",
    "Username",
    "User type",
    "Cross tenant access type",
    "Incoming token type",
    "Authentication Protocol",
    "Unique token identifier",
    "Original transfer method",
    "Client credential type",
    "Token Protection - Sign In Session",
    "Token Protection - Sign In Session StatusCode",
    "Application",
    "Application ID ",
    "App owner tenant ID",
    "Resource",
    "Resource ID ",
    "Resource tenant ID",
    "Resource owner tenant ID",
    "Home tenant ID",
    "Home tenant name",
    "IP address",
    "Location",
    "Status",
    "Sign-in error code",
    "Failure reason",
    "Client app",
    "Device ID",
    "Browser",
    "Operating System",
    "Compliant",
    "Managed",
    "Join Type",
    "Multifactor authentication result",
    "Multifactor authentication auth method",
    "Multifactor authentication auth detail",
    "Authentication requirement",
    "Sign-in identifier",
    "Session ID",
    "IP address (seen by resource)",
    "Through Global Secure Access",
    "Global Secure Access IP address",
    "Autonomous system  number",
    "Flagged for review",
    "Token issuer type",
    "Incoming token type",
    "Token issuer name",
    "Latency",
    "Conditional Access",
    "Managed Identity type",
    "Associated Resource Id",
    "Federated Token Id",
    "Federated Token Issuer",
)
ISO_DATE = DateChoice("%Y-%m-%dT%H:%M:%S%.f", "iso")

SIGNIN_COLUMNS: dict[str, Any] = {
    "created": pl.Datetime("us", "UTC"),
    "request_id": pl.String,
    "correlation_id": pl.String,
    "user_principal_name": pl.String,
    "user_id": pl.String,
    "user_display_name": pl.String,
    "app_id": pl.String,
    "app_display_name": pl.String,
    "client_app": pl.String,
    "auth_protocol": pl.String,
    "ip": pl.String,
    "country": pl.String,
    "city": pl.String,
    "status_code": pl.Int64,
    "failure_reason": pl.String,
    "is_interactive": pl.Boolean,
    "resource": pl.String,
    "user_agent": pl.String,
    "source": pl.String,
    "file": pl.String,
}

# Normalized portal CSV header (lower case, letters and digits; trace.read.normalize_header)
# -> the column it fills. The first header of a row's list that the file has wins.
_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "request_id": ("requestid", "id"),
    "correlation_id": ("correlationid",),
    "user_principal_name": ("username", "userprincipalname"),
    "user_id": ("userid",),
    "user_display_name": ("user",),
    "app_id": ("applicationid", "appid"),
    "app_display_name": ("application", "serviceprincipalname"),
    "client_app": ("clientapp",),
    "auth_protocol": ("authenticationprotocol",),
    "ip": ("ipaddress",),
    "failure_reason": ("failurereason",),
    "resource": ("resource",),
    "user_agent": ("useragent",),
}
_CSV_MARKERS = frozenset(
    {"username", "clientapp", "signinerrorcode", "requestid", "failurereason", "ipaddress"}
)
_GRAPH_MARKERS = frozenset(
    {"userPrincipalName", "clientAppUsed", "appId", "ipAddress", "status", "correlationId"}
)


class TenantInputError(InputError):
    """A sign-in or SMTP AUTH report file that cannot be used (message safe to show)."""


@dataclass
class SigninData:
    """Sign-ins loaded from any number of files or Graph pages."""

    frame: pl.DataFrame
    files: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: BadRows = field(default_factory=BadRows)
    duplicates: int = 0

    @property
    def period(self) -> tuple[datetime, datetime] | None:
        if self.frame.is_empty():
            return None
        first, last = self.frame.select(
            pl.col("created").min().alias("first"), pl.col("created").max().alias("last")
        ).row(0)
        return first, last

    def smtp(self) -> pl.DataFrame:
        """The SMTP AUTH (legacy "Authenticated SMTP") sign-ins only."""
        return self.frame.filter(pl.col("client_app") == SMTP_CLIENT_APP)


def empty_signins() -> pl.DataFrame:
    return pl.DataFrame(schema=SIGNIN_COLUMNS)


def is_signin_columns(names: Iterable[str]) -> bool:
    """Whether normalized CSV headers (or Graph property names) are those of a sign-in log."""
    present = frozenset(names)
    if present & {"createdDateTime"} and len(present & _GRAPH_MARKERS) >= 2:
        return True
    return "date" in present and len(present & _CSV_MARKERS) >= 2


# -- loading files --------------------------------------------------------------------------------
def load_signins(sources: Sequence[str | Path | tuple[str, bytes]]) -> SigninData:
    """Read portal CSV/JSON downloads (paths or ``(name, bytes)``) into one frame.

    Raises TenantInputError naming the file when one is not a sign-in log.
    """
    if not sources:
        raise TenantInputError("no sign-in files given")
    parts: list[SigninData] = [_load_one(source) for source in sources]
    return merge_signins(parts)


def merge_signins(parts: Sequence[SigninData]) -> SigninData:
    """One de-duplicated frame (the same sign-in in two downloads counts once)."""
    bad = BadRows()
    for part in parts:
        bad.merge(part.bad_rows)
    frames = [p.frame for p in parts if not p.frame.is_empty()]
    frame = pl.concat(frames) if frames else empty_signins()
    before = frame.height
    key = ["request_id", "created", "user_principal_name", "app_id", "status_code"]
    with_id = frame.filter(pl.col("request_id").is_not_null()).unique(key, maintain_order=True)
    frame = pl.concat([with_id, frame.filter(pl.col("request_id").is_null())])
    files = [f for p in parts for f in p.files]
    return SigninData(frame.sort("created"), files, bad, before - frame.height)


def _load_one(source: str | Path | tuple[str, bytes]) -> SigninData:
    name, data = source_bytes(source)
    if data.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")[:1] in (b"[", b"{"):
        records = _json_records(name, data)
        return signins_from_graph(records, name=name, source="portal-json")
    try:
        raw = read_source(name, data=data)
    except TraceInputError as exc:
        raise TenantInputError(str(exc)) from None
    return _from_portal_csv(raw)


def source_bytes(source: str | Path | tuple[str, bytes]) -> tuple[str, bytes]:
    if isinstance(source, tuple):
        return source
    try:
        return str(source), Path(source).read_bytes()
    except IsADirectoryError:
        raise TenantInputError(f"{source} is a folder; give the exported files") from None
    except OSError as exc:
        raise TenantInputError(f"cannot read {source}: {exc.strerror or exc}") from None


def _json_records(name: str, data: bytes) -> list[Any]:
    text = data.decode("utf-8-sig", errors="replace")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    try:
        parsed: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TenantInputError(
            f"{name}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None
    if isinstance(parsed, dict) and isinstance(parsed.get("value"), list):
        parsed = parsed["value"]
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise TenantInputError(f"{name}: the JSON is not a list of sign-in objects")
    keys = {k for item in parsed[:50] if isinstance(item, dict) for k in item}
    if parsed and not is_signin_columns(keys):
        shown = ", ".join(sorted(keys)[:8]) or "no fields"
        raise TenantInputError(f"{name}: not an Entra sign-in log (its fields: {shown})")
    return parsed


# -- portal CSV -----------------------------------------------------------------------------------
def _from_portal_csv(raw: RawTable) -> SigninData:
    if not is_signin_columns(raw.columns):
        shown = ", ".join(h.strip() for h in raw.headers[:8])
        raise TenantInputError(f"{raw.name}: not an Entra sign-in log (its columns: {shown})")
    if "date" not in raw.columns:
        raise TenantInputError(f"{raw.name}: no 'Date (UTC)' column")
    typed = raw.frame.select(
        pl.col("_row"),
        pl.col("_shape"),
        blank_null(pl.col("date")).alias("_date_text"),
        *[first_of(raw, names).alias(name) for name, names in _CSV_COLUMNS.items()],
        first_of(raw, ("location",)).alias("_location"),
        first_of(raw, ("signinerrorcode", "errorcode")).alias("_code_text"),
        first_of(raw, ("status",)).alias("_status_text"),
    )
    date_text = pl.col("_date_text").str.replace(r"^(\d{1,4}/\d{1,2}/\d{1,4}),", "$1")
    typed = typed.with_columns(
        parse_expr(date_text, _csv_date_choice(typed), raw.tz_offsets.get("date")).alias("created"),
        pl.col("_code_text").cast(pl.Int64, strict=False).alias("_code"),
        pl.col("user_principal_name").str.to_lowercase(),
    )
    typed = typed.with_columns(
        _status_code().alias("status_code"),
        *_location_columns(pl.col("_location")),
        pl.lit(None, pl.Boolean).alias("is_interactive"),
        pl.lit("portal-csv").alias("source"),
        pl.lit(raw.name).alias("file"),
        pl.coalesce(pl.col("_date_text"), pl.col("user_principal_name")).alias("_value"),
    )
    typed = typed.with_columns(_csv_reason().alias("_reason"))
    return _finish(typed, raw.name, "signins-portal-csv")


def _csv_date_choice(typed: pl.DataFrame) -> DateChoice:
    from o365diag.trace.dates import choose_format

    sample = typed.get_column("_date_text").str.replace(r"^(\d{1,4}/\d{1,2}/\d{1,4}),", "$1")
    return choose_format(sample) or ISO_DATE


def blank_null(expr: pl.Expr) -> pl.Expr:
    trimmed = expr.str.strip_chars()
    return pl.when(trimmed.str.len_bytes() == 0).then(None).otherwise(trimmed)


def first_of(raw: RawTable, names: Iterable[str]) -> pl.Expr:
    for name in names:
        if name in raw.columns:
            return blank_null(pl.col(name))
    return pl.lit(None, pl.String)


def _status_code() -> pl.Expr:
    status = pl.col("_status_text").str.to_lowercase()
    return (
        pl.when(pl.col("_code").is_not_null())
        .then(pl.col("_code"))
        .when(status == "success")
        .then(pl.lit(0, pl.Int64))
        .otherwise(None)
    )


def _location_columns(location: pl.Expr) -> list[pl.Expr]:
    """'Seattle, Washington, US' -> city 'Seattle', country 'US'."""
    parts = location.str.split(",")
    country = parts.list.last().str.strip_chars().str.to_uppercase()
    city = parts.list.first().str.strip_chars()
    several = parts.list.len() >= 2
    return [
        pl.when(several).then(country).otherwise(None).alias("country"),
        pl.when(several).then(city).otherwise(None).alias("city"),
    ]


def _csv_reason() -> pl.Expr:
    checks = [
        (pl.col("_shape").is_not_null(), pl.col("_shape")),
        (pl.col("_date_text").is_null(), pl.lit("missing date")),
        (pl.col("created").is_null(), pl.lit("date not recognised")),
        (
            pl.col("_code_text").is_not_null() & pl.col("_code").is_null(),
            pl.lit("sign-in error code is not a number"),
        ),
        (
            pl.col("user_principal_name").is_null() & pl.col("app_id").is_null(),
            pl.lit("no user and no application"),
        ),
    ]
    expr: Any = pl
    for condition, reason in checks:
        expr = expr.when(condition).then(reason)
    result: pl.Expr = expr.otherwise(pl.lit(None, pl.String))
    return result


def _finish(typed: pl.DataFrame, name: str, kind: str) -> SigninData:
    good, bad = split_bad_rows(typed, name)
    frame = good.select([pl.col(c).cast(t).alias(c) for c, t in SIGNIN_COLUMNS.items()])
    info = {"file": name, "kind": kind, "rows": frame.height, "bad_rows": bad.count}
    return SigninData(frame, [info], bad)


# -- Graph signIn objects -------------------------------------------------------------------------
def signins_frame_from_graph(
    records: Iterable[Mapping[str, Any]], *, bad_rows: BadRows | None = None
) -> pl.DataFrame:
    """Graph ``signIn`` objects (v1.0 or beta) as a frame with ``SIGNIN_COLUMNS``.

    Records that cannot be used are counted into ``bad_rows``; without a collector they raise
    TenantInputError (a pull should never lose rows unnoticed).
    """
    data = signins_from_graph(records, name="graph", source="graph")
    if bad_rows is not None:
        bad_rows.merge(data.bad_rows)
    elif data.bad_rows.count:
        reasons = ", ".join(f"{n:,} {r}" for r, n in data.bad_rows.by_reason.items())
        raise TenantInputError(f"{data.bad_rows.count:,} sign-in record(s) unusable: {reasons}")
    return data.frame


def signins_from_graph(
    records: Iterable[Any], *, name: str = "graph", source: str = "graph"
) -> SigninData:
    """Graph-shaped records (a pull, or the portal's JSON download) with their bad rows."""
    columns: dict[str, list[Any]] = {c: [] for c in _GRAPH_TEXT}
    extra: dict[str, list[Any]] = {k: [] for k in ("_row", "_date_text", "_code_text", "_inter")}
    for row, record in enumerate(records, start=1):
        item = record if isinstance(record, Mapping) else {}
        extra["_row"].append(row)
        extra["_date_text"].append(_scalar(item.get("createdDateTime")))
        extra["_code_text"].append(_error_code(item))
        extra["_inter"].append(_interactive(item))
        for column, getter in _GRAPH_TEXT.items():
            columns[column].append(getter(item))
        if not isinstance(record, Mapping):
            extra["_date_text"][-1] = None
            columns["user_principal_name"][-1] = "\x00not an object"
    frame = pl.DataFrame(
        {**columns, **extra},
        schema={
            **{c: pl.String for c in columns},
            "_row": pl.Int64,
            "_date_text": pl.String,
            "_code_text": pl.String,
            "_inter": pl.Boolean,
        },
    )
    return _finish(_graph_typed(frame, name, source), name, f"signins-{source}")


def _graph_typed(frame: pl.DataFrame, name: str, source: str) -> pl.DataFrame:
    not_object = pl.col("user_principal_name") == "\x00not an object"
    typed = frame.with_columns(
        parse_expr(pl.col("_date_text"), ISO_DATE).alias("created"),
        pl.col("_code_text").cast(pl.Int64, strict=False).alias("status_code"),
        pl.col("user_principal_name").str.to_lowercase(),
        pl.col("_inter").alias("is_interactive"),
        pl.lit(source).alias("source"),
        pl.lit(name).alias("file"),
        pl.col("_date_text").alias("_value"),
    )
    reason = (
        pl.when(not_object)
        .then(pl.lit("not a JSON object"))
        .when(pl.col("_date_text").is_null())
        .then(pl.lit("missing createdDateTime"))
        .when(pl.col("created").is_null())
        .then(pl.lit("date not recognised"))
        .when(pl.col("_code_text").is_not_null() & pl.col("status_code").is_null())
        .then(pl.lit("status.errorCode is not a number"))
        .when(pl.col("user_principal_name").is_null() & pl.col("app_id").is_null())
        .then(pl.lit("no user and no application"))
        .otherwise(pl.lit(None, pl.String))
    )
    return typed.with_columns(reason.alias("_reason"))


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _nested(item: Mapping[str, Any], outer: str, inner: str) -> str | None:
    value = item.get(outer)
    return _scalar(value.get(inner)) if isinstance(value, Mapping) else None


def _error_code(item: Mapping[str, Any]) -> str | None:
    status = item.get("status")
    if isinstance(status, Mapping):
        return _scalar(status.get("errorCode"))
    return _scalar(item.get("errorCode"))


def _interactive(item: Mapping[str, Any]) -> bool | None:
    value = item.get("isInteractive")
    if isinstance(value, bool):
        return value
    kinds = item.get("signInEventTypes")
    if isinstance(kinds, list) and kinds:
        return "interactiveUser" in kinds
    return None


def _failure_reason(item: Mapping[str, Any]) -> str | None:
    reason = _nested(item, "status", "failureReason")
    return None if reason in (None, "Other.") and _error_code(item) in (None, "0") else reason


_GRAPH_TEXT: dict[str, Any] = {
    "request_id": lambda i: _scalar(i.get("id")),
    "correlation_id": lambda i: _scalar(i.get("correlationId")),
    "user_principal_name": lambda i: _scalar(i.get("userPrincipalName")),
    "user_id": lambda i: _scalar(i.get("userId")),
    "user_display_name": lambda i: _scalar(i.get("userDisplayName")),
    "app_id": lambda i: _scalar(i.get("appId")),
    "app_display_name": lambda i: (
        _scalar(i.get("appDisplayName")) or _scalar(i.get("servicePrincipalName"))
    ),
    "client_app": lambda i: _scalar(i.get("clientAppUsed")),
    "auth_protocol": lambda i: _scalar(i.get("authenticationProtocol")),
    "ip": lambda i: _scalar(i.get("ipAddress")),
    "country": lambda i: (_nested(i, "location", "countryOrRegion") or "").upper() or None,
    "city": lambda i: _nested(i, "location", "city"),
    "failure_reason": _failure_reason,
    "resource": lambda i: _scalar(i.get("resourceDisplayName")),
    "user_agent": lambda i: _scalar(i.get("userAgent")),
}
