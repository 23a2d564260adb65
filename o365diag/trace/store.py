"""The Graph store as a message-trace input: a hive-partitioned Parquet folder.

``o365diag trace --graph`` writes ``OUT/tenant=<t>/date=<UTC day>/*.parquet`` holding the
normalized message columns (``MESSAGE_COLUMNS``), per-recipient detail events under
``OUT/details/tenant=<t>/`` (``EVENT_COLUMNS``) and its resume state under ``OUT/_state/``.
DuckDB, Spark or Dask read the same folder as it is. Here it becomes one more input of
:func:`~o365diag.trace.load.load_traces`: give the folder (or one ``tenant=`` folder in it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from o365diag.trace.model import (
    MESSAGE_COLUMNS,
    BadRows,
    FileInfo,
    TraceInputError,
    event_schema,
    message_schema,
)

if TYPE_CHECKING:
    import polars as pl

    from o365diag.trace.normalize import Part

__all__ = [
    "DETAILS_FOLDER",
    "STATE_FOLDER",
    "STORE_FORMAT",
    "is_store",
    "read_store",
    "store_kind",
    "store_tenant_folders",
    "tenant_folder_name",
]

STATE_FOLDER = "_state"
DETAILS_FOLDER = "details"
STORE_FORMAT = "graph-store"
KIND_MESSAGE_TRACE = "messageTrace"


def tenant_folder_name(tenant: str) -> str:
    """``tenant=<t>`` with only characters every file system and hive reader accepts."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in tenant.strip().lower())
    return f"tenant={safe or 'unknown'}"


def is_store(path: Path) -> bool:
    """A store root (holding ``tenant=`` folders or ``_state``) or one ``tenant=`` folder."""
    if not path.is_dir():
        return False
    if path.name.startswith("tenant="):
        return True
    return (path / STATE_FOLDER).is_dir() or any(path.glob("tenant=*"))


def store_kind(root: Path) -> str | None:
    """What a store holds (``messageTrace`` or ``signIns``), from its state files."""
    for state in sorted((root / STATE_FOLDER).glob("*.json")):
        try:
            kind = json.loads(state.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(kind, str):
            return kind
    return None


def store_tenant_folders(path: Path) -> tuple[Path, list[Path]]:
    """The store root and the tenant folders to read."""
    if path.name.startswith("tenant="):
        return path.parent, [path]
    return path, sorted(p for p in path.glob("tenant=*") if p.is_dir())


def read_store(path: Path) -> Part:
    """The store's messages and details as one Part (the same columns as any export)."""
    import polars as pl

    from o365diag.trace.normalize import Part

    root, tenants = store_tenant_folders(path)
    kind = store_kind(root)
    if kind not in (None, KIND_MESSAGE_TRACE):
        raise TraceInputError(f"{path} is a store of {kind}, not of message trace")
    frames, events = [], []
    for folder in tenants:
        files = sorted(folder.glob("date=*/*.parquet"))
        if files:
            frames.append(_read_files(files, message_schema()))
        detail_files = sorted((root / DETAILS_FOLDER / folder.name).glob("*.parquet"))
        if detail_files:
            events.append(_read_files(detail_files, event_schema()))
    if not frames:
        raise TraceInputError(f"{path}: the store holds no message-trace rows yet")
    messages = pl.concat(frames).with_columns(pl.lit(STORE_FORMAT).alias("format"))
    event_frame = pl.concat(events) if events else None
    info = FileInfo(str(path), STORE_FORMAT, "parquet", messages.height)
    info.events = 0 if event_frame is None else event_frame.height
    return Part(messages.select(MESSAGE_COLUMNS), event_frame, BadRows(), info)


def _read_files(files: list[Path], schema: dict[str, object]) -> pl.DataFrame:
    import polars as pl

    try:
        frame = pl.scan_parquet(files, hive_partitioning=False).select(list(schema)).collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise TraceInputError(f"cannot read the store file(s) {files[0].parent}: {exc}") from None
    return frame.cast(schema)  # type: ignore[arg-type]
