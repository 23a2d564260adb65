"""Facts as data: every table is a JSON file beside this module, each entry with its source.

A table file looks like::

    {"title": "...", "source": "https://default-source", "entries": [
        {"key": "000", "meaning": "...", "status": "documented", "source": "https://..."}]}

``key`` may use ``x`` as a one-character wildcard (``"1xx"``); an exact key always wins
over a wildcard one. ``status`` is one of ``documented``, ``observed`` or ``unknown``.
Entries may carry more fields (``fix``, ``severity``...), kept as they are.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from o365diag.errors import O365DiagError

__all__ = ["STATUSES", "Entry", "KnowledgeError", "Table", "load_table", "table_names"]

# Plain os.path, not importlib.resources or pathlib: the package ships as files, and every
# command reads a table at start-up, where importing pathlib would be most of the cost.
_FOLDER = os.path.dirname(os.path.abspath(__file__))
_WILDCARD = re.compile(r"[0-9x]+")
_MEMO_SIZE = 4096
STATUSES = frozenset({"documented", "observed", "unknown"})


class KnowledgeError(O365DiagError, ValueError):
    """A knowledge table is missing or does not follow the table format."""


@dataclass(frozen=True)
class Entry:
    key: str
    meaning: str
    status: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def get(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        return {"meaning": self.meaning, "status": self.status, "source": self.source}


class Table:
    """A loaded table; lookups go through an index built once."""

    def __init__(
        self, name: str, title: str, entries: tuple[Entry, ...], case_sensitive: bool = False
    ) -> None:
        self.name = name
        self.title = title
        self.entries = entries
        self.case_sensitive = case_sensitive
        self._exact: dict[str, Entry] = {}
        self._patterns: list[tuple[str, Entry]] = []
        # Look-ups by the key as given: stamps and codes repeat from message to message.
        self._memo: dict[str, Entry | None] = {}
        for entry in entries:
            key = self._norm(entry.key)
            if _WILDCARD.fullmatch(entry.key) and "x" in entry.key:
                self._patterns.append((key, entry))
            else:
                self._exact.setdefault(key, entry)

    def _norm(self, key: str) -> str:
        return key if self.case_sensitive else key.lower()

    def lookup(self, key: str | None) -> Entry | None:
        """The entry for ``key``: exact match first, then the first wildcard that fits."""
        if key is None:
            return None
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self.find(key)
        if len(self._memo) < _MEMO_SIZE:  # keys from hostile input cannot grow it unbounded
            self._memo[key] = found
        return found

    def find(self, key: str) -> Entry | None:
        """``lookup`` without remembering the answer: for keys that never come back."""
        wanted = self._norm(key.strip())
        found = self._exact.get(wanted)
        if found is not None:
            return found
        for pattern, entry in self._patterns:
            if len(pattern) == len(wanted) and all(
                p == "x" or p == c for p, c in zip(pattern, wanted, strict=True)
            ):
                return entry
        return None

    def meaning(self, key: str | None, default: str | None = None) -> str | None:
        entry = self.lookup(key)
        return entry.meaning if entry else default

    def key_list(self) -> list[str]:
        return [e.key for e in self.entries]


def table_names() -> list[str]:
    return sorted(name[:-5] for name in os.listdir(_FOLDER) if name.endswith(".json"))


@cache
def load_table(name: str) -> Table:
    """Load and validate ``<name>.json`` from this package (cached)."""
    try:
        with open(os.path.join(_FOLDER, f"{name}.json"), encoding="utf-8") as file:
            raw = json.load(file)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"no knowledge table named {name!r}") from exc
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"knowledge table {name!r} is not valid JSON: {exc}") from exc
    return _build_table(name, raw)


def _build_table(name: str, raw: Any) -> Table:
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise KnowledgeError(f"knowledge table {name!r} has no 'entries' list")
    default_source = str(raw.get("source", ""))
    entries = tuple(_build_entry(name, item, default_source) for item in raw["entries"])
    return Table(
        name=name,
        title=str(raw.get("title", name)),
        entries=entries,
        case_sensitive=bool(raw.get("case_sensitive", False)),
    )


def _build_entry(table: str, item: Any, default_source: str) -> Entry:
    if not isinstance(item, dict) or "key" not in item or "meaning" not in item:
        raise KnowledgeError(f"{table}: every entry needs 'key' and 'meaning': {item!r}")
    status = item.get("status", "documented")
    if status not in STATUSES:
        raise KnowledgeError(f"{table}: entry {item['key']!r} has unknown status {status!r}")
    source = str(item.get("source") or default_source)
    if not source:
        raise KnowledgeError(f"{table}: entry {item['key']!r} has no source")
    extra = {k: v for k, v in item.items() if k not in {"key", "meaning", "status", "source"}}
    return Entry(str(item["key"]), str(item["meaning"]), status, source, extra)
