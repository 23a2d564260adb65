"""Seeded synthetic message traces (``writers`` turns them into every export format).

The traffic looks like a small tenant's: scanners and printers in office hours, an ERP that
mails invoices around the clock, users, and inbound mail from partners, each sender with its
own source IP. Spikes, drops and new senders can be injected at a given time. All names are
documentation names (example.com, *.example, *.test, 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24).

Randomness is a splitmix64 counter hash evaluated by polars (no numpy), so a seed gives the
same rows on every platform, and a million rows take a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from o365diag.trace.model import TraceInputError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DEFAULT_START",
    "DEFER_REASON",
    "FAIL_REASONS",
    "ORG_DOMAIN",
    "Injection",
    "parse_injection",
    "synthesize",
]

ORG_DOMAIN = "example.com"
DEFAULT_START = datetime(2025, 6, 16, tzinfo=UTC)  # a Monday; every day past the 12th
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_SPIKE_MIN_ROWS = 200
_NEW_SENDER_IP = "198.51.100.250"
_PENDING_WINDOW = timedelta(hours=2)

_STAFF = tuple(
    f"{name}@{ORG_DOMAIN}"
    for name in (
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "grace",
        "heidi",
        "ivan",
        "judy",
        "olivia",
        "peggy",
    )
)
_CUSTOMERS = tuple(
    f"customer{k:03d}@{domain}"
    for domain in ("customer.example", "partner.example", "fabrikam.test")
    for k in range(1, 81)
)


@dataclass(frozen=True)
class _Sender:
    address: str
    ip: str
    profile: str
    audience: str
    weight: float
    subject: str
    size_kb: int


_POPULATION = (
    _Sender(
        f"scanner-3f@{ORG_DOMAIN}", "203.0.113.10", "business", "staff", 8, "Scanned document", 300
    ),
    _Sender(
        f"printer-hq@{ORG_DOMAIN}", "203.0.113.11", "business", "staff", 3, "Print job report", 40
    ),
    _Sender(f"erp@{ORG_DOMAIN}", "203.0.113.20", "steady", "customers", 14, "Invoice", 80),
    _Sender(
        f"noreply@{ORG_DOMAIN}",
        "203.0.113.20",
        "business",
        "customers",
        6,
        "Your order has shipped",
        30,
    ),
    _Sender(f"alerts@{ORG_DOMAIN}", "203.0.113.21", "flat", "staff", 5, "Backup job completed", 8),
    _Sender(
        f"hr-portal@{ORG_DOMAIN}", "203.0.113.22", "business", "staff", 2, "Timesheet reminder", 12
    ),
    _Sender(f"alice@{ORG_DOMAIN}", "198.51.100.77", "office", "mixed", 2, "Réunion de projet", 60),
    _Sender(f"bob@{ORG_DOMAIN}", "198.51.100.77", "office", "mixed", 2, "Rechnung für Juni", 45),
    _Sender(
        f"carol@{ORG_DOMAIN}", "198.51.100.77", "office", "mixed", 2, 'Re: "Quarterly", numbers', 50
    ),
    _Sender("news@example.net", "192.0.2.10", "business", "staff", 6, "Weekly news", 90),
    _Sender("billing@example.org", "192.0.2.20", "business", "staff", 4, "Statement", 70),
    _Sender("support@fabrikam.test", "192.0.2.30", "business", "staff", 4, "Ticket update", 20),
    _Sender("orders@partner.example", "192.0.2.40", "steady", "staff", 5, "Order confirmation", 25),
    _Sender("offers@mail.test", "192.0.2.50", "flat", "staff", 6, "Limited offer", 110),
)

# Share of each status by direction, in per mille.
_STATUS_MIX = {
    "Outbound": (
        ("Delivered", 965),
        ("Failed", 25),
        ("Pending", 5),
        ("GettingStatus", 3),
        ("None", 2),
    ),
    "IntraOrg": (
        ("Delivered", 965),
        ("Expanded", 15),
        ("Failed", 10),
        ("Quarantined", 5),
        ("Pending", 3),
        ("GettingStatus", 2),
    ),
    "Inbound": (
        ("Delivered", 875),
        ("FilteredAsSpam", 60),
        ("Quarantined", 30),
        ("Failed", 15),
        ("None", 10),
        ("Pending", 7),
        ("GettingStatus", 3),
    ),
}
_SPIKE_STATUS = (("Delivered", 900), ("Failed", 70), ("FilteredAsSpam", 30))
FAIL_REASONS = (
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "550 5.4.1 Recipient address rejected: Access denied",
    "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP",
)
DEFER_REASON = "451 4.4.0 Primary target IP address responded with: 421 4.3.2 Service not available"
_REMOTE_MX = tuple(f"198.51.100.{n}" for n in range(10, 20))


@dataclass(frozen=True)
class Injection:
    """Something unusual to add: ``spike`` (factor x the sender's usual rate for ``hours``),
    ``drop`` (the sender stops for ``hours``) or ``new-sender`` (appears at ``at``)."""

    kind: str
    sender: str  # an address, or "*" for every sender
    at: datetime
    hours: float = 1.0
    factor: float = 20.0


def parse_injection(text: str, kind: str, hours: float | None = None) -> Injection:
    """``SENDER@TIME`` (``scanner@example.com@2025-06-10T02:00``; ``*@TIME`` for all)."""
    sender, sep, when = text.rpartition("@")
    if not sep or not sender:
        raise TraceInputError(
            f"{text!r}: expected SENDER@TIME, e.g. erp@example.com@2025-06-10T02:00"
        )
    try:
        at = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TraceInputError(f"{text!r}: {when!r} is not an ISO date and time") from exc
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    default_hours = {"spike": 1.0, "drop": 8.0, "new-sender": 0.0}[kind]
    return Injection(kind, sender.lower(), at, default_hours if hours is None else hours)


# -- random numbers ---------------------------------------------------------------------------


def _mix_int(value: int) -> int:
    z = value & _MASK
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK
    return z ^ (z >> 31)


def _hash(index: pl.Expr, seed: int, stream: int) -> pl.Expr:
    """A splitmix64 hash of (seed, stream, index) as UInt64."""
    import polars as pl

    def u64(value: int) -> pl.Expr:
        return pl.lit(value, dtype=pl.UInt64)

    key = _mix_int(seed * 1_000_003 + stream * 7_919 + 17)
    z = index.cast(pl.UInt64) * u64(_GOLDEN) + u64(key)
    z = (z ^ (z // (1 << 30))) * u64(_MIX1)
    z = (z ^ (z // (1 << 27))) * u64(_MIX2)
    return z ^ (z // (1 << 31))


def _uniform(index: pl.Expr, seed: int, stream: int) -> pl.Expr:
    """Uniform in [0, 1)."""
    import polars as pl

    return (_hash(index, seed, stream) // (1 << 11)).cast(pl.Float64) / float(1 << 53)


def _pick(u: pl.Series, weights: Sequence[float]) -> pl.Series:
    """Indexes drawn with the given weights, one per uniform value."""
    import polars as pl

    total = float(sum(weights))
    edges, running = [], 0.0
    for w in weights:
        running += w / total
        edges.append(running)
    edges[-1] = 1.0 + 1e-9
    return pl.Series(edges).search_sorted(u, side="right").cast(pl.Int64)


# -- time profiles ----------------------------------------------------------------------------


def _profile_weight(profile: str, weekday: int, hour: int) -> float:
    workday = weekday < 5
    if profile == "flat":
        return 1.0
    if profile == "steady":
        return (5.0 if 6 <= hour <= 20 else 1.5) if workday else 1.0
    if profile == "office":
        return (10.0 if 9 <= hour <= 17 else 0.2) if workday else 0.1
    if not workday:  # business
        return 0.3
    return 10.0 if 8 <= hour <= 17 else 3.0 if hour in (7, 18, 19) else 0.3


def _hour_weights(profile: str, start: datetime, hours: int) -> list[float]:
    moments = (start + timedelta(hours=h) for h in range(hours))
    return [_profile_weight(profile, m.weekday(), m.hour) for m in moments]


# -- the canonical frame ----------------------------------------------------------------------


def synthesize(
    rows: int = 10_000,
    days: float = 14,
    *,
    start: datetime = DEFAULT_START,
    seed: int = 1,
    injections: Iterable[Injection] = (),
) -> pl.DataFrame:
    """About ``rows`` message/recipient rows over ``days`` days, plus injected traffic."""
    import polars as pl

    if rows < 1 or days <= 0:
        raise TraceInputError("rows must be at least 1 and days more than 0")
    start = start.astimezone(UTC)
    hours = max(round(days * 24), 1)
    injections = list(injections)
    base = _base_rows(rows, hours, start, seed)
    extra = [
        _injected_rows(inj, base, hours, start, seed, stream)
        for stream, inj in enumerate(injections, start=1)
        if inj.kind in ("spike", "new-sender")
    ]
    frame = pl.concat([base, *[e for e in extra if e.height]], how="diagonal_relaxed")
    for inj in injections:
        if inj.kind == "drop":
            frame = frame.filter(~_in_window(inj))
    end = start + timedelta(hours=hours)
    return _finalize(frame, end)


def _in_window(inj: Injection) -> pl.Expr:
    import polars as pl

    until = inj.at + timedelta(hours=inj.hours)
    timed = (pl.col("received") >= inj.at) & (pl.col("received") < until)
    return timed if inj.sender == "*" else timed & (pl.col("sender") == inj.sender)


def _population_frame() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        {
            "sender_index": list(range(len(_POPULATION))),
            "sender": [s.address for s in _POPULATION],
            "from_ip": [s.ip for s in _POPULATION],
            "profile": [s.profile for s in _POPULATION],
            "audience": [s.audience for s in _POPULATION],
            "subject_base": [s.subject for s in _POPULATION],
            "size_kb": [s.size_kb for s in _POPULATION],
        },
        schema_overrides={"sender_index": pl.Int64},
    )


def _base_rows(rows: int, hours: int, start: datetime, seed: int) -> pl.DataFrame:
    import polars as pl

    # About a fifth of messages have several recipients (1.5 rows per message on average);
    # draw a few more than needed, since a repeated recipient in one message is dropped.
    messages = int(rows / 1.3) + 10
    frame = pl.DataFrame({"msg": pl.int_range(messages, eager=True, dtype=pl.Int64)})
    frame = frame.with_columns(
        _uniform(pl.col("msg"), seed, 1).alias("_u_sender"),
        _uniform(pl.col("msg"), seed, 2).alias("_u_hour"),
        _uniform(pl.col("msg"), seed, 3).alias("_u_second"),
        _uniform(pl.col("msg"), seed, 4).alias("_u_fanout"),
    )
    frame = frame.with_columns(
        _pick(frame.get_column("_u_sender"), [s.weight for s in _POPULATION]).alias("sender_index")
    )
    frame = frame.join(_population_frame(), on="sender_index", how="left")
    frame = _place_in_time(frame, hours, start)
    fanout = (
        pl.when(pl.col("_u_fanout") < 0.8)
        .then(1)
        .otherwise((pl.col("_u_fanout") * 20).cast(pl.Int64) % 4 + 2)
    )
    frame = frame.with_columns(pl.int_ranges(0, fanout).alias("rcpt_no")).explode("rcpt_no")
    filled = _fill_rows(frame.head(int(rows * 1.1) + 10), seed, stream=0)
    return filled.unique(["msg", "recipient"], keep="first", maintain_order=True).head(rows)


def _place_in_time(frame: pl.DataFrame, hours: int, start: datetime) -> pl.DataFrame:
    import polars as pl

    parts = []
    for profile in sorted(set(frame.get_column("profile").to_list())):
        chunk = frame.filter(pl.col("profile") == profile)
        hour = _pick(chunk.get_column("_u_hour"), _hour_weights(profile, start, hours))
        parts.append(chunk.with_columns(hour.alias("_hour")))
    placed = pl.concat(parts).sort("msg")
    offset = pl.col("_hour") * 3_600_000_000 + (pl.col("_u_second") * 3_600_000_000).cast(pl.Int64)
    return placed.with_columns((pl.lit(start) + pl.duration(microseconds=offset)).alias("received"))


def _fill_rows(frame: pl.DataFrame, seed: int, stream: int) -> pl.DataFrame:
    """Recipients, status, ids, sizes and subjects for rows that have sender and time."""
    import polars as pl

    row = pl.col("msg") * 8 + pl.col("rcpt_no")
    frame = frame.with_columns(
        _uniform(row, seed, 10 + stream * 100).alias("_u_rcpt"),
        _uniform(row, seed, 11 + stream * 100).alias("_u_status"),
        _uniform(pl.col("msg"), seed, 12 + stream * 100).alias("_u_size"),
        _hash(pl.col("msg"), seed, 13 + stream * 100).alias("_h1"),
        _hash(pl.col("msg"), seed, 14 + stream * 100).alias("_h2"),
    )
    frame = frame.with_columns(_recipient_expr().alias("recipient"))
    frame = frame.with_columns(_direction_expr().alias("direction"))
    status = pl.Series("status", [None] * frame.height, dtype=pl.String)
    for direction, mix in _STATUS_MIX.items():
        mask = frame.get_column("direction") == direction
        picked = _pick(frame.get_column("_u_status"), [w for _, w in mix])
        names = picked.replace_strict(dict(enumerate(n for n, _ in mix)), return_dtype=pl.String)
        status = pl.select(pl.when(mask).then(names).otherwise(status)).to_series()
    return frame.with_columns(status.alias("status"))


def _recipient_expr() -> pl.Expr:
    import polars as pl

    staff = pl.lit(pl.Series(_STAFF))
    customers = pl.lit(pl.Series(_CUSTOMERS))
    pick_staff = staff.gather((pl.col("_u_rcpt") * len(_STAFF)).cast(pl.Int64))
    pick_customer = customers.gather((pl.col("_u_rcpt") * len(_CUSTOMERS)).cast(pl.Int64))
    mixed_external = ((pl.col("_u_rcpt") * 1000).cast(pl.Int64) % 2) == 0
    return (
        pl.when(pl.col("audience") == "staff")
        .then(pick_staff)
        .when(pl.col("audience") == "customers")
        .then(pick_customer)
        .when(mixed_external)
        .then(pick_customer)
        .otherwise(pick_staff)
    )


def _direction_expr() -> pl.Expr:
    import polars as pl

    sender_org = pl.col("sender").str.ends_with("@" + ORG_DOMAIN)
    recipient_org = pl.col("recipient").str.ends_with("@" + ORG_DOMAIN)
    return (
        pl.when(sender_org & recipient_org)
        .then(pl.lit("IntraOrg"))
        .when(sender_org)
        .then(pl.lit("Outbound"))
        .otherwise(pl.lit("Inbound"))
    )


def _injected_rows(
    inj: Injection, base: pl.DataFrame, hours: int, start: datetime, seed: int, stream: int
) -> pl.DataFrame:
    import polars as pl

    population = _population_frame()
    if inj.kind == "new-sender":
        return _new_sender_rows(inj, base.height, hours, start, seed, stream)
    senders = population if inj.sender == "*" else population.filter(pl.col("sender") == inj.sender)
    if senders.is_empty():
        raise TraceInputError(
            f"{inj.sender} is not one of the synthetic senders: "
            + ", ".join(s.address for s in _POPULATION)
        )
    usual = base.filter(pl.col("sender").is_in(senders.get_column("sender").to_list())).height
    count = max(int(inj.factor * usual / hours * inj.hours), _SPIKE_MIN_ROWS)
    offset = 10**9 * stream
    frame = pl.DataFrame({"msg": pl.int_range(offset, offset + count, eager=True, dtype=pl.Int64)})
    frame = frame.with_columns(
        _uniform(pl.col("msg"), seed, 20).alias("_u_sender"),
        _uniform(pl.col("msg"), seed, 21).alias("_u_second"),
        pl.lit(0, pl.Int64).alias("rcpt_no"),
    )
    weights = [s.weight if s.address in senders.get_column("sender") else 0 for s in _POPULATION]
    frame = frame.with_columns(_pick(frame.get_column("_u_sender"), weights).alias("sender_index"))
    frame = frame.join(population, on="sender_index", how="left")
    span = int(inj.hours * 3_600_000_000)
    frame = frame.with_columns(
        (
            pl.lit(inj.at) + pl.duration(microseconds=(pl.col("_u_second") * span).cast(pl.Int64))
        ).alias("received"),
        pl.lit("customers").alias("audience"),
        pl.lit("Payment overdue").alias("subject_base"),
    )
    filled = _fill_rows(frame, seed, stream)
    picked = _pick(filled.get_column("_u_status"), [w for _, w in _SPIKE_STATUS])
    names = picked.replace_strict(
        dict(enumerate(n for n, _ in _SPIKE_STATUS)), return_dtype=pl.String
    )
    return filled.with_columns(names.alias("status"))


def _new_sender_rows(
    inj: Injection, base_rows: int, hours: int, start: datetime, seed: int, stream: int
) -> pl.DataFrame:
    import polars as pl

    end = start + timedelta(hours=hours)
    remaining = max((end - inj.at).total_seconds() / 3600, 0.0)
    count = max(int(base_rows * 0.04 * remaining / hours), 50)
    offset = 10**9 * stream
    frame = pl.DataFrame({"msg": pl.int_range(offset, offset + count, eager=True, dtype=pl.Int64)})
    span = int(remaining * 3_600_000_000)
    frame = frame.with_columns(
        pl.lit(0, pl.Int64).alias("rcpt_no"),
        pl.lit(inj.sender).alias("sender"),
        pl.lit(_NEW_SENDER_IP).alias("from_ip"),
        pl.lit("customers").alias("audience"),
        pl.lit("Statement of account").alias("subject_base"),
        pl.lit(25, pl.Int64).alias("size_kb"),
        (
            pl.lit(inj.at)
            + pl.duration(microseconds=(_uniform(pl.col("msg"), seed, 30) * span).cast(pl.Int64))
        ).alias("received"),
    )
    return _fill_rows(frame, seed, stream)


def _finalize(frame: pl.DataFrame, end: datetime) -> pl.DataFrame:
    import polars as pl

    late = pl.col("received") >= end - _PENDING_WINDOW
    unsettled = pl.col("status").is_in(["Pending", "GettingStatus"])
    status = pl.when(unsettled & ~late).then(pl.lit("Delivered")).otherwise(pl.col("status"))
    digits1 = pl.col("_h1").cast(pl.String).str.zfill(20)
    digits2 = pl.col("_h2").cast(pl.String).str.zfill(20)
    trace_id = pl.concat_str(
        digits1.str.slice(0, 8),
        pl.lit("-"),
        digits1.str.slice(8, 4),
        pl.lit("-4"),
        digits1.str.slice(12, 3),
        pl.lit("-8"),
        digits2.str.slice(0, 3),
        pl.lit("-"),
        digits2.str.slice(3, 12),
    )
    sender_domain = pl.col("sender").str.extract(r"@(.+)$")
    to_ip = pl.lit(pl.Series(_REMOTE_MX)).gather((pl.col("_h2") % len(_REMOTE_MX)).cast(pl.Int64))
    shaped = frame.with_columns(
        status.alias("status"),
        trace_id.alias("trace_id"),
        pl.concat_str(
            pl.lit("<"),
            digits1.str.slice(4, 14),
            pl.lit("."),
            digits2.str.slice(0, 6),
            pl.lit("@"),
            sender_domain,
            pl.lit(">"),
        ).alias("message_id"),
        pl.concat_str(
            pl.col("subject_base"), pl.lit(" "), (pl.col("msg") % 9000 + 1000).cast(pl.String)
        ).alias("subject"),
        ((pl.col("size_kb") * 1024) * (0.5 + pl.col("_u_size"))).cast(pl.Int64).alias("size"),
        pl.when(pl.col("direction") == "Outbound").then(to_ip).otherwise(None).alias("to_ip"),
        pl.col("received").dt.replace_time_zone("UTC").dt.truncate("1ms").alias("received"),
    )
    columns = ["received", "sender", "recipient", "subject", "status", "direction"]
    columns += ["from_ip", "to_ip", "size", "message_id", "trace_id"]
    unique = shaped.select(columns).unique(["trace_id", "recipient"], keep="first")
    return unique.sort("received", "trace_id", "recipient")
