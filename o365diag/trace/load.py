"""Load any number of exports into one de-duplicated, typed, UTC frame (``TraceData``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from o365diag.knowledge import load_table
from o365diag.trace.dates import DATE_ORDERS
from o365diag.trace.formats import detect_format
from o365diag.trace.model import (
    BadRows,
    FileInfo,
    TraceData,
    TraceInputError,
    event_schema,
    message_schema,
)
from o365diag.trace.normalize import Part
from o365diag.trace.read import RawTable, read_source
from o365diag.trace.store import is_store, read_store

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Progress", "Source", "infer_org_domains", "load_traces"]

Source = str | Path | tuple[str, bytes]
Progress = Callable[[str, float], None]

_MAX_ORG_DOMAINS = 5
# When the same message comes from several exports, the status of the one that states it
# beats a status read from tracking events (other formats: 3).
_STATUS_FIDELITY = {"eac-extended": 2, "eac-enhanced-summary": 1}
_COVER_SHARE = 0.02


def load_traces(
    sources: Sequence[Source],
    *,
    org_domains: Iterable[str] = (),
    date_order: str = "auto",
    on_progress: Progress | None = None,
) -> TraceData:
    """Read, detect, normalize and merge ``sources`` (paths, or ``(name, bytes)`` pairs).

    Raises TraceInputError (with a one-line reason) for a file that cannot be used.
    """
    if date_order not in DATE_ORDERS:
        raise TraceInputError(f"date order must be one of {', '.join(DATE_ORDERS)}")
    if not sources:
        raise TraceInputError("no input files given")
    report = on_progress or (lambda _stage, _done: None)
    parts: list[Part] = []
    share = 1.0 / len(sources)
    for index, source in enumerate(sources):
        label = _label(source)
        report(f"reading {label}", index * share)
        if _is_store(source):
            parts.append(read_store(Path(str(source))))
            continue
        report(f"parsing {label}", (index + 0.1) * share)
        raw = _read(source)
        fmt = detect_format(raw)
        report(f"normalizing {label} ({fmt.name})", (index + 0.6) * share)
        parts.append(fmt.normalize(raw, fmt.name, date_order))
        del raw  # the text columns can go before the next file or the merge
    report("merging and de-duplicating", 1.0)
    return _merge(parts, [d.strip().lower() for d in org_domains if d.strip()])


def _is_store(source: Source) -> bool:
    return not isinstance(source, tuple) and is_store(Path(source))


def _label(source: Source) -> str:
    return source[0] if isinstance(source, tuple) else Path(source).name


def _read(source: Source) -> RawTable:
    if isinstance(source, tuple):
        return read_source(source[0], data=source[1])
    path = Path(source)
    try:
        return read_source(str(source), path=path)
    except IsADirectoryError as exc:
        raise TraceInputError(
            f"{source} is a folder; give the export files or a store written by "
            "o365diag trace --graph"
        ) from exc
    except OSError as exc:
        raise TraceInputError(f"cannot read {source}: {exc.strerror or exc}") from exc


def _merge(parts: list[Part], org_domains: list[str]) -> TraceData:
    import polars as pl

    bad = BadRows()
    for part in parts:
        bad.merge(part.bad)
    frames = [p.messages for p in parts if p.messages is not None]
    messages = pl.concat(frames) if frames else pl.DataFrame(schema=message_schema())
    event_frames = [p.events for p in parts if p.events is not None]
    events = pl.concat(event_frames) if event_frames else pl.DataFrame(schema=event_schema())
    before = messages.height
    messages = _deduplicate(messages)
    duplicates = before - messages.height
    events = events.unique(maintain_order=True).sort("time", maintain_order=True)
    messages = _with_domains(messages)
    inferred = not org_domains
    domains = org_domains or infer_org_domains(messages)
    messages = _with_direction(messages, domains).sort("received", maintain_order=True)
    files: list[FileInfo] = [p.info for p in parts]
    return TraceData(messages, events, files, bad, duplicates, domains, inferred and bool(domains))


@cache
def _final_statuses() -> frozenset[str]:
    return frozenset(e.key for e in load_table("trace_status").entries if e.get("final"))


def _deduplicate(messages: pl.DataFrame) -> pl.DataFrame:
    """One row per message and recipient; a final status beats Pending/GettingStatus, and an
    export that states the status beats one where it is read from tracking events."""
    import polars as pl

    aggregate = pl.col("sender").is_null() & pl.col("recipient").is_null()
    by_id = pl.coalesce("trace_id", "message_id")
    key = (
        pl.when(aggregate)
        .then(pl.struct("received", "direction", "status").hash(seed=0))
        .when(by_id.is_null())
        .then(pl.struct("received", "sender", "subject").hash(seed=0))
        .otherwise(by_id.hash(seed=0))
    )
    if messages.get_column("trace_id").null_count() == 0:
        key = pl.col("trace_id").hash(seed=0)  # every row has its id: skip the fallbacks
    final = pl.col("status").is_in(list(_final_statuses())).fill_null(False)
    fidelity = pl.col("format").replace_strict(_STATUS_FIDELITY, default=3, return_dtype=pl.Int8)
    ranked = messages.with_columns(
        key.alias("_key"),
        pl.col("recipient").fill_null("").hash(seed=0).alias("_rcpt"),
        final.alias("_final"),
        fidelity.alias("_fidelity"),
    )
    distinct = ranked.select(pl.struct("_key", "_rcpt").n_unique()).item()
    if distinct == ranked.height:
        return messages  # nothing to merge: skip the sort
    ranked = ranked.sort(["_final", "_fidelity"], descending=True, maintain_order=True)
    unique = ranked.unique(subset=["_key", "_rcpt"], keep="first", maintain_order=True)
    return unique.drop("_key", "_rcpt", "_final", "_fidelity")


def _with_domains(messages: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return messages.with_columns(
        pl.col("sender").str.extract(r"@([^@]+)$").alias("sender_domain"),
        pl.col("recipient").str.extract(r"@([^@]+)$").alias("recipient_domain"),
    )


def infer_org_domains(messages: pl.DataFrame) -> list[str]:
    """The few domains that appear on one side of (almost) every row: the tenant's own.

    A trace only holds mail the tenant sent or received, so greedily picking the domain that
    covers most remaining rows finds the accepted domains.
    """
    import polars as pl

    remaining = messages.select("sender_domain", "recipient_domain").filter(
        pl.col("sender_domain").is_not_null() | pl.col("recipient_domain").is_not_null()
    )
    total = remaining.height
    chosen: list[str] = []
    while remaining.height > _COVER_SHARE * total and len(chosen) < _MAX_ORG_DOMAINS:
        other_side = remaining.filter(
            pl.col("recipient_domain").ne_missing(pl.col("sender_domain"))
        ).get_column("recipient_domain")
        sides = pl.concat([remaining.get_column("sender_domain"), other_side]).drop_nulls()
        if sides.is_empty():
            break
        top = sides.value_counts(sort=True).row(0)
        if top[1] < _COVER_SHARE * total:
            break
        chosen.append(str(top[0]))
        hit = (pl.col("sender_domain") == top[0]) | (pl.col("recipient_domain") == top[0])
        remaining = remaining.filter(~hit.fill_null(False))
    return sorted(chosen)


def _with_direction(messages: pl.DataFrame, org_domains: list[str]) -> pl.DataFrame:
    import polars as pl

    sender_org = pl.col("sender_domain").is_in(org_domains).fill_null(False)
    recipient_org = pl.col("recipient_domain").is_in(org_domains).fill_null(False)
    by_domain = (
        pl.when(sender_org & recipient_org)
        .then(pl.lit("IntraOrg"))
        .when(sender_org)
        .then(pl.lit("Outbound"))
        .when(recipient_org)
        .then(pl.lit("Inbound"))
        .otherwise(pl.lit("Unknown"))
    )
    hint = pl.col("direction")
    direction = (
        pl.when((hint == "Outbound") & recipient_org)
        .then(pl.lit("IntraOrg"))
        .when(hint.is_not_null())
        .then(hint)
        .otherwise(by_domain)
    )
    return messages.with_columns(direction.alias("direction"))
