"""Writing a pull's rows into the store, and the resume state that says what is there.

Rows go to ``OUT/tenant=<t>/date=<UTC day>/<key>-<run>-<n>.parquet`` page by page, so memory
stays flat whatever the number of rows. ``key`` names the filters of the pull (``all`` for
none): a filtered pull and a full one keep separate coverage. A day counts as stored for a
key once a window covering it has finished; the state remembers the part of the day covered,
the rows and how many were still Pending or GettingStatus (such days are fetched again).
When a day has been fetched again, its older files for the same key are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o365diag.errors import UsageError
from o365diag.tenant.timerange import DayPiece
from o365diag.trace.store import DETAILS_FOLDER, STATE_FOLDER, tenant_folder_name

if TYPE_CHECKING:
    import polars as pl

__all__ = ["DayState", "Store", "filters_key"]

STATE_SCHEMA = "o365diag.store-state/1"


def filters_key(filters: dict[str, str | None]) -> str:
    """``all`` without filters, else a short stable name for this set of filters."""
    given = {k: v.lower() for k, v in sorted(filters.items()) if v}
    if not given:
        return "all"
    digest = hashlib.sha256(json.dumps(given, sort_keys=True).encode()).hexdigest()
    return "f" + digest[:10]


@dataclass
class DayState:
    start: datetime
    end: datetime
    rows: int
    unsettled: int

    def covers(self, piece: DayPiece) -> bool:
        return self.start <= piece.start and piece.end <= self.end

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "rows": self.rows,
            "unsettled": self.unsettled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DayState:
        return cls(
            _instant(data["from"]), _instant(data["to"]), int(data["rows"]), int(data["unsettled"])
        )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class Store:
    """One tenant's part of a store folder, for one kind of data and one filter key."""

    def __init__(self, root: Path, tenant: str, kind: str, key: str, filters: dict[str, Any]):
        self.root, self.tenant, self.kind, self.key = root, tenant, kind, key
        self.folder = root / tenant_folder_name(tenant)
        self.details_folder = root / DETAILS_FOLDER / tenant_folder_name(tenant)
        self.state_path = root / STATE_FOLDER / f"{tenant_folder_name(tenant)[7:]}.json"
        self.run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        self._sequence = 0
        self._state = self._load_state()
        if self._state.get("kind", kind) != kind:
            raise UsageError(f"{root} holds {self._state['kind']}, not {kind}: use another --out")
        self._state["kind"] = kind
        section = self._state.setdefault("filters", {}).setdefault(key, {})
        section["filter"] = filters
        self._days: dict[str, Any] = section.setdefault("days", {})
        self._details: dict[str, Any] = self._state.setdefault("details", {})

    # ------------------------------------------------------------------ state
    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"schema": STATE_SCHEMA, "tenant": self.tenant}
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read the store state {self.state_path}: {exc}") from None
        if not isinstance(state, dict) or state.get("schema") != STATE_SCHEMA:
            raise UsageError(f"{self.state_path} is not an o365diag store state")
        return state

    def save_state(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.state_path)

    def day_state(self, day: date) -> DayState | None:
        data = self._days.get(day.isoformat())
        return DayState.from_dict(data) if data else None

    def needs(self, piece: DayPiece) -> bool:
        """Whether this part of the day must be fetched (again)."""
        known = self.day_state(piece.day)
        return known is None or known.unsettled > 0 or not known.covers(piece)

    def to_fetch(self, piece: DayPiece, earliest: datetime) -> DayPiece:
        """The piece to fetch for a day: what is asked joined with what was stored before,
        so the new files replace the old ones whole."""
        known = self.day_state(piece.day)
        if known is None:
            return piece
        start = max(min(known.start, piece.start), earliest)
        return DayPiece(piece.day, start, max(known.end, piece.end))

    def finish_day(self, piece: DayPiece, rows: int, unsettled: int) -> None:
        """The window holding ``piece`` is done: record it and drop superseded files."""
        known = self.day_state(piece.day)
        replaced = known is None or (piece.start <= known.start and known.end <= piece.end)
        if replaced:
            self._remove_older_files(piece.day)
            state = DayState(piece.start, piece.end, rows, unsettled)
        else:  # older rows outside this piece stay; duplicates are merged when read
            assert known is not None
            state = DayState(
                min(known.start, piece.start),
                max(known.end, piece.end),
                known.rows + rows,
                unsettled,
            )
        self._days[piece.day.isoformat()] = state.to_dict()

    def _remove_older_files(self, day: date) -> None:
        folder = self.folder / f"date={day.isoformat()}"
        for path in folder.glob(f"{self.key}-*.parquet"):
            if not path.name.startswith(f"{self.key}-{self.run}-"):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    # ------------------------------------------------------------------ rows
    def write_day(self, day: date, frame: pl.DataFrame) -> Path:
        folder = self.folder / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        self._sequence += 1
        path = folder / f"{self.key}-{self.run}-{self._sequence:06d}.parquet"
        temporary = path.with_suffix(".tmp")
        frame.write_parquet(temporary, compression="zstd", statistics=True)
        os.replace(temporary, path)  # a reader never sees half a file
        return path

    def run_files(self, day: date) -> list[Path]:
        return sorted((self.folder / f"date={day.isoformat()}").glob(f"{self.key}-*.parquet"))

    # ------------------------------------------------------------------ details
    def has_details(self, trace_id: str, recipient: str) -> bool:
        return self._details.get(f"{trace_id}|{recipient}") == "ok"

    def write_details(self, trace_id: str, recipient: str, frame: pl.DataFrame) -> Path:
        self.details_folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(recipient.encode()).hexdigest()[:12]
        path = self.details_folder / f"{trace_id}-{digest}.parquet"
        temporary = path.with_suffix(".tmp")
        frame.write_parquet(temporary, compression="zstd")
        os.replace(temporary, path)
        self._details[f"{trace_id}|{recipient}"] = "ok"
        return path
