"""Bulk mode: analyze a folder of messages, an mbox or a list of files on all cores.

Each message becomes one JSON line; a message that cannot be analyzed becomes a line with its
error. A summary table (counts per verdict and per finding code) follows at the end.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "BulkSummary",
    "LineSummary",
    "analyze_bulk",
    "analyze_line",
    "analyze_one",
    "iter_messages",
]

MESSAGE_SUFFIXES = frozenset({".eml", ".msg", ".txt", ".hdr", ".headers", ".mbox", ".mbx"})
_CHUNK = 16
_CHUNKS_AHEAD = 4  # per worker: enough to keep every worker busy
# "From " then a sender (no colon: "From : a@example.com" is an obsolete-syntax header field).
_MBOX_SEPARATOR = re.compile(rb"^From [^\s:][^\n]*\n", re.MULTILINE)
_FIELD_LINE = re.compile(rb"[!-9;-~]{1,200}[ \t]*:")
# The date of an envelope line: "Mon Nov 23 10:00:00 2026", also with a zone before the year.
_ENVELOPE_DATE = re.compile(
    rb" [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: [+-]?[0-9A-Za-z]+)? [0-9]{4}\s"
)


def iter_messages(inputs: Iterable[str]) -> Iterator[tuple[str, bytes | str]]:
    """(label, content) for every message: files, files in folders, messages in an mbox.

    An unreadable path yields its error as content of type str starting with 'error: '.
    """
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in MESSAGE_SUFFIXES:
                    yield from _file_messages(child)
        else:
            yield from _file_messages(path)


def _file_messages(path: Path) -> Iterator[tuple[str, bytes | str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield str(path), f"error: cannot read: {exc.strerror or exc}"
        return
    if data.startswith(b"From ") and _looks_like_mbox(data):
        yield from _mbox_messages(path, data)
    else:
        yield str(path), data


def _looks_like_mbox(data: bytes) -> bool:
    first_line = data.split(b"\n", 1)[0]
    if _MBOX_SEPARATOR.match(first_line + b"\n") is None:
        return False
    return b"@" in first_line or first_line.count(b" ") >= 2


def _mbox_messages(path: Path, data: bytes) -> Iterator[tuple[str, bytes]]:
    """Split an mbox on its 'From ' separator lines (body lines are escaped as '>From ')."""
    separators = [found for found in _MBOX_SEPARATOR.finditer(data) if _separates(data, found)]
    for number, match in enumerate(separators, start=1):
        end = separators[number].start() if number < len(separators) else len(data)
        yield f"{path}#{number}", data[match.end() : end]


def _separates(data: bytes, line: re.Match[bytes]) -> bool:
    """Whether a 'From ' line starts a message: the first line, one with the envelope's date,
    or one after a blank line with a header field under it. A writer that does not escape
    the body (mboxo) leaves lines like "From the desk of ..." in it: they start nothing."""
    start = line.start()
    if start == 0 or _ENVELOPE_DATE.search(line.group()) is not None:
        return True
    after_blank = data.endswith(b"\n\n", 0, start) or data.endswith(b"\n\r\n", 0, start)
    return after_blank and _FIELD_LINE.match(data, line.end()) is not None


def analyze_one(item: tuple[str, bytes | str]) -> dict[str, Any]:
    """One JSON-ready line; never raises."""
    label, content = item
    if isinstance(content, str) and content.startswith("error: "):
        return {"source": label, "error": content[7:]}
    from o365diag.headers.analysis import analyze
    from o365diag.headers.parse import InputError

    try:
        report = analyze(content, name=label)
    except InputError as exc:
        return {"source": label, "error": str(exc)}
    except Exception as exc:  # a batch must survive any one message
        return {"source": label, "error": f"internal error: {type(exc).__name__}: {exc}"}
    return {"source": label, **report.to_dict()}


_NO_RESULT = "(no result)"


@dataclass(frozen=True)
class LineSummary:
    """What the summary table needs from one analyzed message (small, cheap to pickle)."""

    error: bool
    compauth: str
    dmarc: str
    codes: frozenset[str]


def analyze_line(item: tuple[str, bytes | str]) -> tuple[str, LineSummary]:
    """One JSON line and its summary; runs in the worker so the parent only writes text."""
    line = analyze_one(item)
    if "error" in line:
        summary = LineSummary(True, "", "", frozenset())
    else:
        auth = line["authentication"]
        summary = LineSummary(
            False,
            auth["compauth"]["result"] or _NO_RESULT,
            auth["dmarc"]["result"] or _NO_RESULT,
            frozenset(f["code"] for f in line["findings"]),
        )
    return json.dumps(line, ensure_ascii=False, default=str), summary


class BulkSummary:
    """Counts per verdict and per finding code."""

    def __init__(self) -> None:
        self.total = 0
        self.errors = 0
        self.compauth: Counter[str] = Counter()
        self.dmarc: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()

    def add(self, line: LineSummary) -> None:
        self.total += 1
        if line.error:
            self.errors += 1
            return
        self.compauth[line.compauth] += 1
        self.dmarc[line.dmarc] += 1
        self.codes.update(line.codes)

    def table(self) -> str:
        lines = [
            f"messages: {self.total}   analyzed: {self.total - self.errors}   "
            f"errors: {self.errors}",
            "",
        ]
        for title, counter in (
            ("compauth", self.compauth),
            ("dmarc", self.dmarc),
            ("finding", self.codes),
        ):
            lines.append(f"{title:<24} messages")
            lines.extend(f"  {key:<22} {count:>8}" for key, count in counter.most_common())
            lines.append("")
        return "\n".join(lines).rstrip()


def analyze_bulk(
    inputs: list[str],
    sink: IO[str],
    jobs: int | None,
    progress: Callable[[int], None] | None = None,
) -> BulkSummary:
    """Write one JSON line per message to ``sink`` and count them; ``progress`` is called with
    the running count."""
    workers = max(1, jobs or os.cpu_count() or 1)
    summary = BulkSummary()
    for text, line in _analyze_all(iter_messages(inputs), workers):
        summary.add(line)
        sink.write(text + "\n")
        if progress is not None:
            progress(summary.total)
    return summary


def _analyze_all(
    items: Iterator[tuple[str, bytes | str]], workers: int
) -> Iterator[tuple[str, LineSummary]]:
    """Results in input order. At most a few chunks per worker are read ahead: Executor.map
    would read every message into memory before the first result (gigabytes for a big mbox)."""
    if workers == 1:
        yield from map(analyze_line, items)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[list[tuple[str, LineSummary]]]] = deque()
        for chunk in _chunks(items, _CHUNK):
            pending.append(pool.submit(_analyze_chunk, chunk))
            if len(pending) >= workers * _CHUNKS_AHEAD:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _analyze_chunk(chunk: list[tuple[str, bytes | str]]) -> list[tuple[str, LineSummary]]:
    return [analyze_line(item) for item in chunk]


def _chunks(
    items: Iterator[tuple[str, bytes | str]], size: int
) -> Iterator[list[tuple[str, bytes | str]]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk
