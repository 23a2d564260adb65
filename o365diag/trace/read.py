"""Bytes in, a table of strings out: encoding sniffing, CSV preambles, JSON shapes.

Exports come as UTF-8 (with or without a BOM), UTF-16LE (the admin center's downloads, often
without a BOM), Windows-1252 (a file re-saved by Excel), CSV with ``,`` or ``;`` (PowerShell
``-UseCulture``) and an optional ``#TYPE`` line, or JSON from ``ConvertTo-Json`` and Graph.
Every column is read as text here; types come later, so a bad value is a bad row, not a crash.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o365diag.errors import O365DiagError
from o365diag.safejson import SURROGATE_ESCAPE, clean_text, decoder
from o365diag.trace.model import TraceInputError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["RawTable", "normalize_header", "read_source"]

_EXTRA_FIELDS = 4
_DELIMITERS = (",", ";", "\t", "|")
_TZ_IN_HEADER = re.compile(r"\(\s*(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)", re.I)
_PARENTHESES = re.compile(r"\([^)]*\)")
_MS_DATE = re.compile(r"^/Date\((-?\d{1,16})(?:[+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_VALUE_DEPTH = 20
_SNIFF_BYTES = 4096
_HEAD_BYTES = 65536
_BLANK = b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"

SHAPE_LONG = "more fields than the header"
SHAPE_SHORT = "fewer fields than the header"


class _NotUtf8(O365DiagError):
    """A file read as UTF-8 turned out not to be."""


@dataclass
class RawTable:
    """One file's rows as text, columns named by their normalized header."""

    name: str
    frame: pl.DataFrame
    headers: list[str]
    encoding: str
    tz_offsets: dict[str, int] = field(default_factory=dict)
    padded: frozenset[str] | None = None

    @property
    def columns(self) -> set[str]:
        return {c for c in self.frame.columns if not c.startswith("_")}

    def is_padded(self, column: str) -> bool:
        """Whether some value of ``column`` starts or ends with a space or tab.

        Exports rarely pad values, and trimming every column of a million rows is the dearest
        step of a load: finding out once which columns need it is far cheaper.
        """
        if self.padded is None:
            self.padded = _padded_columns(self.frame, sorted(self.columns))
        return column in self.padded


def _padded_columns(frame: pl.DataFrame, columns: list[str]) -> frozenset[str]:
    import polars as pl

    def padded(name: str) -> pl.Expr:
        text = pl.col(name)
        edges = [text.str.starts_with(c) | text.str.ends_with(c) for c in (" ", "\t")]
        return pl.any_horizontal(edges).any().alias(name)

    if not columns or frame.is_empty():
        return frozenset()
    flags = frame.select([padded(name) for name in columns]).row(0, named=True)
    return frozenset(name for name, flag in flags.items() if flag)


def normalize_header(name: str) -> tuple[str, int | None]:
    """Normalized name and UTC offset in minutes named in the header, if any.

    ``'Date (UTC+01:00)'`` -> ``('date', 60)``; ``'SenderAddress'`` -> ``('senderaddress', None)``.
    """
    offset = None
    match = _TZ_IN_HEADER.search(name)
    if match:
        sign, hours, minutes = match.groups()
        offset = (int(hours or 0) * 60 + int(minutes or 0)) * (-1 if sign == "-" else 1)
    plain = _PARENTHESES.sub("", name)
    return re.sub(r"[^a-z0-9]", "", plain.lower()), offset


def read_source(name: str, data: bytes | None = None, path: Path | None = None) -> RawTable:
    """The rows of one export, from its bytes or (cheaper for big UTF-8 CSVs) its path."""
    head = data[:_SNIFF_BYTES] if data is not None else _head(path)
    if not head.strip(_BLANK):
        data = data if data is not None else _read_all(name, path)
        if not data.strip(_BLANK):
            raise TraceInputError(f"{name}: the file is empty")
    codec, bom, label = _sniff_encoding(head)
    if data is None and path is not None and codec == "utf-8" and not _is_json(head[bom:]):
        try:
            # polars reads the file itself (memory-mapped): no copy of it in Python.
            return _read_csv(name, path, head[bom:], label)
        except _NotUtf8:
            pass  # Windows-1252 after all: decode it below
    data = data if data is not None else _read_all(name, path)
    body, encoding = _to_utf8(data)
    del data
    if _is_json(body[:_SNIFF_BYTES]):
        return _read_json(name, body, encoding)
    return _read_csv(name, body, body[:_HEAD_BYTES], encoding)


def _is_json(head: bytes) -> bool:
    return head.lstrip()[:1] in (b"[", b"{")


def _head(path: Path | None) -> bytes:
    assert path is not None
    with path.open("rb") as handle:
        return handle.read(_HEAD_BYTES)


def _read_all(name: str, path: Path | None) -> bytes:
    assert path is not None
    return path.read_bytes()


# -- encodings --------------------------------------------------------------------------------


def _sniff_encoding(data: bytes) -> tuple[str, int, str]:
    """(codec, BOM length, label) from the BOM or, without one, the pattern of NUL bytes."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", 3, "utf-8 (BOM)"
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2, "utf-16-le (BOM)"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2, "utf-16-be (BOM)"
    head = data[:_SNIFF_BYTES]
    half = len(head) // 2
    if half >= 2:
        even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le", 0, "utf-16-le (no BOM)"
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be", 0, "utf-16-be (no BOM)"
    return "utf-8", 0, "utf-8"


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    codec, bom, label = _sniff_encoding(data)
    if codec != "utf-8":
        return data[bom:].decode(codec, errors="replace").encode("utf-8"), label
    body = data[bom:] if bom else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        # Excel's "CSV (Comma delimited)" saves in the Windows ANSI code page.
        return body.decode("cp1252", errors="replace").encode("utf-8"), "windows-1252"
    return body, label


# -- CSV --------------------------------------------------------------------------------------


def _read_csv(name: str, source: bytes | Path, head: bytes, encoding: str) -> RawTable:
    import polars as pl

    skip, header_line, delimiter = _preamble(head)
    if header_line is None:
        raise TraceInputError(f"{name}: no header line found")
    headers = next(csv.reader([header_line], delimiter=delimiter))
    if len(headers) < 2:
        raise TraceInputError(
            f"{name}: the first line has a single column ({header_line[:80]!r}); not a CSV export"
        )
    width = len(headers)
    schema = {f"c{i}": pl.String for i in range(width + _EXTRA_FIELDS)}
    try:
        frame = pl.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source),
            has_header=False,
            skip_lines=skip + 1,
            separator=delimiter,
            schema=schema,
            truncate_ragged_lines=True,
            missing_columns="insert",
            encoding="utf8" if isinstance(source, Path) else "utf8-lossy",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        if isinstance(source, Path) and "utf-8" in str(exc):
            raise _NotUtf8 from exc
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TraceInputError(f"{name}: not a readable CSV file ({reason})") from exc
    quoted = header_line.lstrip().startswith('"')
    frame = _mark_shape(frame, width, quoted)
    names, offsets = _unique_names(headers)
    renamed = frame.rename({f"c{i}": names[i] for i in range(width)})
    renamed = renamed.select([*names, "_shape"]).with_row_index("_row", offset=1)
    return RawTable(name, renamed, headers, encoding, offsets)


def _preamble(head: bytes) -> tuple[int, str | None, str]:
    """Lines to skip before the header (``#TYPE``, ``sep=``), the header line, the delimiter."""
    skip = 0
    forced: str | None = None
    for raw in head.splitlines():
        line = raw.decode("utf-8", errors="replace").strip("\ufeff\r")
        if line.startswith("#TYPE") or not line.strip():
            skip += 1
            continue
        if line.lower().startswith("sep=") and len(line) >= 5:
            forced = line[4]
            skip += 1
            continue
        return skip, line, forced or _delimiter(line)
    return skip, None, ","


def _delimiter(header: str) -> str:
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _mark_shape(frame: pl.DataFrame, width: int, quoted: bool) -> pl.DataFrame:
    import polars as pl

    extras = [pl.col(f"c{i}").is_not_null() for i in range(width, width + _EXTRA_FIELDS)]
    too_long = pl.when(pl.any_horizontal(extras)).then(pl.lit(SHAPE_LONG))
    if not quoted:
        return frame.with_columns(too_long.otherwise(None).alias("_shape"))
    # In a fully quoted export an empty value is "", so a null means the field is missing.
    shape = too_long.when(pl.col(f"c{width - 1}").is_null()).then(pl.lit(SHAPE_SHORT))
    return frame.with_columns(shape.otherwise(None).alias("_shape"))


def _unique_names(headers: Iterable[str]) -> tuple[list[str], dict[str, int]]:
    names: list[str] = []
    offsets: dict[str, int] = {}
    for index, header in enumerate(headers):
        key, offset = normalize_header(header)
        key = key or f"column{index + 1}"
        while key in names:
            key += "_"
        names.append(key)
        if offset is not None:
            offsets[key] = offset
    return names, offsets


# -- JSON -------------------------------------------------------------------------------------


def _read_json(name: str, body: bytes, encoding: str) -> RawTable:
    import polars as pl

    text = body.decode("utf-8", errors="replace")
    records = _json_records(name, text)
    keys: dict[str, str] = {}
    for record in records:
        for key in record:
            keys.setdefault(key, key)
    if not keys:
        raise TraceInputError(f"{name}: the JSON holds no objects with fields")
    # A \uD800 escape with no partner decodes to a lone surrogate, which no UTF-8 output (nor
    # polars) takes; only a file that has such an escape pays for the check.
    clean = _without_surrogates if SURROGATE_ESCAPE.search(text) else _unchanged
    names, offsets = _unique_names(clean(key) or "" for key in keys)
    columns = {
        column: [clean(_text(record.get(key))) for record in records]
        for column, key in zip(names, keys, strict=True)
    }
    frame = pl.DataFrame(columns, schema={n: pl.String for n in names})
    frame = frame.with_columns(pl.lit(None, pl.String).alias("_shape"))
    return RawTable(name, frame.with_row_index("_row", offset=1), list(keys), encoding, offsets)


def _json_records(name: str, text: str) -> list[dict[str, Any]]:
    try:
        parsed: Any = _json_loads(name, text)
    except json.JSONDecodeError:
        parsed = _json_lines(name, text)
    if isinstance(parsed, dict):
        parsed = parsed["value"] if isinstance(parsed.get("value"), list) else [parsed]
    if not isinstance(parsed, list):
        raise TraceInputError(f"{name}: the JSON is not a list of objects")
    records: list[dict[str, Any]] = []
    for item in parsed:
        if isinstance(item, dict) and isinstance(item.get("value"), list):
            records.extend(r for r in item["value"] if isinstance(r, dict))  # Graph pages
        elif isinstance(item, dict):
            records.append(item)
    return records


def _json_lines(name: str, text: str) -> list[Any]:
    items: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(_json_loads(name, line))
        except json.JSONDecodeError as exc:
            raise TraceInputError(f"{name}: not valid JSON (line {number}: {exc.msg})") from exc
    return items


def _json_loads(name: str, text: str) -> Any:
    """``json.loads`` that refuses what would exhaust it with one clear error, and keeps a
    number too long for an int (Python's 4,300-digit limit) as text: a bad value, not a crash."""
    try:
        return decoder().decode(text)
    except RecursionError:
        raise TraceInputError(f"{name}: the JSON is nested too deeply to be an export") from None


def _text(value: Any, depth: int = 0) -> str | None:
    """A JSON value as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, dict | list) and depth >= _MAX_VALUE_DEPTH:
        return "(nested too deeply)"
    if isinstance(value, dict):
        # Windows PowerShell 5.1 wraps DateTime values: {"value": "/Date(ms)/", "DateTime": ...}
        return _text(value.get("value"), depth + 1) if "value" in value else _dumps(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v, depth + 1) for v in value) if t is not None)
    text = str(value)
    match = _MS_DATE.match(text)
    return _ms_date(match.group(1), text) if match else text


def _dumps(value: dict[str, Any]) -> str:
    try:
        return json.dumps(value)
    except RecursionError:
        return "(nested too deeply)"


def _ms_date(milliseconds: str, text: str) -> str:
    """``/Date(ms)/`` in ISO 8601; left as it is when no calendar date has it (then the row
    is a bad row, "date not recognised")."""
    try:
        moment = _EPOCH + timedelta(milliseconds=int(milliseconds))
    except (OverflowError, ValueError):
        return text
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _without_surrogates(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def _unchanged(text: str | None) -> str | None:
    return text
