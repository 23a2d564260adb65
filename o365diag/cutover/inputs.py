"""The cutover's inputs, each file recognised by its content and loaded with its own loader.

Kinds: ``signins`` (Entra portal CSV/JSON), ``smtp-auth-report`` (EAC SMTP AUTH clients
report), ``trace`` (any message-trace export o365diag reads), ``exchange-settings``
(ConvertTo-Json exports of CAS mailboxes, Get-User, authentication policies, organization and
transport config), ``graph-policies`` (security defaults and Conditional Access policies: the
tenant connector's ``graph-policies.json``, a Graph Explorer answer or a PowerShell SDK export),
``inventory`` (the admin's device list). A file of no known kind is an error naming it, even
when good files come with it.

A folder is expanded: a sign-in store (``signins --graph``), a message-trace store (``trace
--graph``), or a folder of exports such as ``collect-script`` output or ``cutover --write-demo``
(its CSV, JSON and YAML files, each classified as above).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o365diag.cutover.inventory import Inventory, is_inventory_columns, parse_inventory
from o365diag.cutover.policies import (
    GraphPolicies,
    PolicyInputError,
    is_policies_json,
    merge_policies,
    parse_policies,
)
from o365diag.errors import InputError

if TYPE_CHECKING:
    from o365diag.setup.exports import ExportFile
    from o365diag.setup.smtp_auth_state import SmtpAuthSettings
    from o365diag.tenant.signins import SigninData
    from o365diag.tenant.smtp_auth_report import SmtpAuthReport
    from o365diag.trace.model import TraceData

__all__ = ["INPUT_NAMES", "CutoverInputError", "CutoverInputs", "classify", "load_inputs"]

Source = str | Path | tuple[str, bytes]
INPUT_NAMES = ("signins", "smtp-auth-report", "trace", "exchange-settings", "graph-policies")
_SETTINGS_KINDS = ("TransportConfig", "CASMailbox", "User", "AuthenticationPolicy")
_MAX_BYTES = 1024 * 1024 * 1024
# A folder of exports (collect-script output, --write-demo, a --snapshot folder): the files of
# these kinds are read, each classified like a file given alone; notes and scripts are not.
_FOLDER_SUFFIXES = (".json", ".csv", ".yaml", ".yml")


class CutoverInputError(InputError):
    """An input file that is no known kind, or cannot be read (one line, naming the file)."""


@dataclass
class CutoverInputs:
    """Everything given, by kind; ``read`` lists each file with its kind and rows."""

    signins: SigninData | None = None
    report: SmtpAuthReport | None = None
    trace: TraceData | None = None
    exports: list[ExportFile] = field(default_factory=list)
    inventory: Inventory | None = None
    graph_policies: GraphPolicies | None = None
    read: list[dict[str, Any]] = field(default_factory=list)
    # Each sign-in source (file or store) and its latest sign-in: the burndown's snapshots.
    signin_ends: dict[str, datetime] = field(default_factory=dict)

    @property
    def settings(self) -> SmtpAuthSettings | None:
        from o365diag.setup.smtp_auth_state import smtp_auth_settings

        return smtp_auth_settings(self.exports) if self.exports else None

    def present(self) -> set[str]:
        names = set()
        if self.signins is not None:
            names.add("signins")
        if self.report is not None:
            names.add("smtp-auth-report")
        if self.trace is not None:
            names.add("trace")
        if self.exports:
            names.add("exchange-settings")
        if self.graph_policies is not None:
            names.add("graph-policies")
        return names


def load_inputs(sources: Sequence[Source]) -> CutoverInputs:
    """Classify and load every source; CutoverInputError for the first unusable one."""
    grouped: dict[str, list[tuple[str, bytes]]] = {}
    stores: dict[str, list[Path]] = {}
    for source in sources:
        if not isinstance(source, tuple) and Path(source).is_dir():
            _expand_folder(Path(source), grouped, stores)
            continue
        name, data = _read(source)
        grouped.setdefault(classify(name, data), []).append((name, data))
    return _load_grouped(grouped, stores)


def _expand_folder(
    folder: Path, grouped: dict[str, list[tuple[str, bytes]]], stores: dict[str, list[Path]]
) -> None:
    """A store joins ``stores`` under its kind; a collect folder's JSON files join ``grouped``."""
    from o365diag.trace.store import is_store, store_kind, store_tenant_folders

    if is_store(folder):
        kind = store_kind(store_tenant_folders(folder)[0])
        stores.setdefault("signins" if kind == "signIns" else "trace", []).append(folder)
        return
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _FOLDER_SUFFIXES)
    files = [p for p in files if p.is_file()]
    if not files:
        raise CutoverInputError(
            f"{folder}: a folder that is not a sign-in store, message-trace store or a folder "
            "of exports (no CSV, JSON or YAML files in it)"
        )
    for path in files:
        name, data = _read(path)
        grouped.setdefault(classify(name, data), []).append((name, data))


def _read(source: Source) -> tuple[str, bytes]:
    if isinstance(source, tuple):
        return source
    path = Path(source)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise CutoverInputError(f"{source}: larger than {_MAX_BYTES:,} bytes")
        return str(source), path.read_bytes()
    except IsADirectoryError:
        raise CutoverInputError(f"{source} is a folder; give the files in it") from None
    except OSError as exc:
        raise CutoverInputError(f"cannot read {source}: {exc.strerror or exc}") from None


def classify(name: str, data: bytes) -> str:
    """The kind of one file, from its content; CutoverInputError when it is none of them."""
    body = data.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if not body:
        raise CutoverInputError(f"{name}: the file is empty")
    if name.lower().endswith((".yaml", ".yml")):
        return "inventory"
    if body[:1] in (b"[", b"{"):
        return _classify_json(name, data)
    return _classify_table(name, data)


def _classify_json(name: str, data: bytes) -> str:
    from o365diag.setup.exports import ExportError, parse_export
    from o365diag.tenant.signins import TenantInputError, load_signins

    if is_policies_json(name, data):
        return "graph-policies"
    try:
        load_signins([(name, data)])
        return "signins"
    except TenantInputError as exc:
        if "not valid JSON" in str(exc):
            raise CutoverInputError(str(exc)) from None
    try:
        parse_export(data, name)
        return "exchange-settings"
    except ExportError:
        pass
    return _classify_trace(name, data)


def _classify_table(name: str, data: bytes) -> str:
    from o365diag.tenant.signins import is_signin_columns
    from o365diag.tenant.smtp_auth_report import is_smtp_auth_report_columns
    from o365diag.trace.model import TraceInputError
    from o365diag.trace.read import read_source

    try:
        raw = read_source(name, data=_head_lines(data))
    except TraceInputError as exc:
        raise CutoverInputError(str(exc)) from None
    columns = raw.columns
    if is_signin_columns(columns):
        return "signins"
    if is_smtp_auth_report_columns(columns):
        return "smtp-auth-report"
    if is_inventory_columns(h.strip() for h in raw.headers):
        return "inventory"
    return _classify_trace(name, data, raw.headers)


def _head_lines(data: bytes, size: int = 65536) -> bytes:
    """The first lines of a table (enough to read its header), cut at a line end."""
    if len(data) <= size:
        return data
    head = data[:size]
    # UTF-16 text ends its lines with "\n\x00"; cutting after the NUL keeps it aligned.
    end = head.rfind(b"\n\x00") + 2 if b"\x00" in head[:64] else head.rfind(b"\n") + 1
    return head[: end or size]


def _classify_trace(name: str, data: bytes, headers: Sequence[str] = ()) -> str:
    from o365diag.trace.formats import detect_format
    from o365diag.trace.model import TraceInputError
    from o365diag.trace.read import read_source

    try:
        detect_format(read_source(name, data=data))
        return "trace"
    except TraceInputError:
        shown = "".join(ch for ch in ", ".join(h.strip() for h in headers[:6]) if ch.isprintable())
        columns = f" (columns: {shown})" if shown else ""
        raise CutoverInputError(
            f"{name}: not a sign-in log, SMTP AUTH clients report, message trace, Exchange "
            f"settings export, security defaults or Conditional Access export, or device "
            f"inventory{columns}"
        ) from None


def _load_grouped(
    grouped: dict[str, list[tuple[str, bytes]]], stores: dict[str, list[Path]]
) -> CutoverInputs:
    inputs = CutoverInputs()
    if "signins" in grouped or "signins" in stores:
        _load_signins(inputs, grouped.get("signins", []), stores.get("signins", []))
    if "smtp-auth-report" in grouped:
        _load_report(inputs, grouped["smtp-auth-report"])
    if "trace" in grouped or "trace" in stores:
        _load_trace(inputs, [*grouped.get("trace", []), *stores.get("trace", [])])
    if "exchange-settings" in grouped:
        _load_exports(inputs, grouped["exchange-settings"])
    if "graph-policies" in grouped:
        _load_policies(inputs, grouped["graph-policies"])
    if "inventory" in grouped:
        _load_inventory(inputs, grouped["inventory"])
    return inputs


def _load_policies(inputs: CutoverInputs, files: list[tuple[str, bytes]]) -> None:
    try:
        parts = [(name, parse_policies(name, data)) for name, data in files]
        inputs.graph_policies = merge_policies(parts)
    except PolicyInputError as exc:
        raise CutoverInputError(str(exc)) from None
    for name, part in parts:
        read = len(part.conditional_access or []) + (part.security_defaults is not None)
        inputs.read.append(
            {
                "file": name,
                "kind": "graph-policies",
                "format": _policies_format(part),
                "rows": read,
                "bad_rows": part.bad_count,
            }
        )


def _policies_format(part: GraphPolicies) -> str:
    shown = []
    if part.security_defaults is not None:
        shown.append("security defaults")
    if part.conditional_access is not None:
        shown.append("conditional access")
    return ", ".join(shown) or "nothing readable"


def _load_signins(
    inputs: CutoverInputs, files: list[tuple[str, bytes]], stores: list[Path]
) -> None:
    from o365diag.tenant.signin_report import read_signin_store
    from o365diag.tenant.signins import TenantInputError, load_signins, merge_signins

    try:
        parts = [read_signin_store(store) for store in stores]
    except TenantInputError as exc:
        raise CutoverInputError(str(exc)) from None
    parts += [load_signins([file]) for file in files]  # one by one: each dates a snapshot
    for part in parts:
        if part.period is not None:
            inputs.signin_ends[str(part.files[0]["file"])] = part.period[1]
    inputs.signins = merge_signins(parts)
    for info in inputs.signins.files:
        inputs.read.append({**info, "kind": "signins", "format": info["kind"]})


def _load_report(inputs: CutoverInputs, files: list[tuple[str, bytes]]) -> None:
    from o365diag.tenant.smtp_auth_report import load_smtp_auth_report

    inputs.report = load_smtp_auth_report(files)
    for info in inputs.report.files:
        inputs.read.append(dict(info))


def _load_trace(inputs: CutoverInputs, files: list[tuple[str, bytes] | Path]) -> None:
    from o365diag.trace.load import load_traces
    from o365diag.trace.model import TraceInputError

    try:
        inputs.trace = load_traces(files)
    except TraceInputError as exc:
        raise CutoverInputError(str(exc)) from None
    bad = inputs.trace.bad_rows.count
    for info in inputs.trace.files:
        inputs.read.append(
            {
                "file": info.name,
                "kind": "trace",
                "format": info.format,
                "rows": info.rows,
                "bad_rows": bad if len(inputs.trace.files) == 1 else None,
            }
        )


def _load_exports(inputs: CutoverInputs, files: list[tuple[str, bytes]]) -> None:
    from o365diag.setup.exports import ExportError, parse_export

    for name, data in files:
        try:
            export = parse_export(data, name)
        except ExportError as exc:
            raise CutoverInputError(str(exc)) from None
        inputs.exports.append(export)
        inputs.read.append(
            {
                "file": name,
                "kind": "exchange-settings",
                "format": ", ".join(export.kinds),
                "rows": len(export.objects),
                "bad_rows": 0,
            }
        )


def _load_inventory(inputs: CutoverInputs, files: list[tuple[str, bytes]]) -> None:
    if len(files) > 1:
        names = ", ".join(n for n, _ in files)
        raise CutoverInputError(f"more than one device inventory given ({names}); merge them")
    name, data = files[0]
    inputs.inventory = parse_inventory(name, data)
    inputs.read.append(
        {
            "file": name,
            "kind": "inventory",
            "format": "yaml" if name.lower().endswith((".yaml", ".yml")) else "csv",
            "rows": len(inputs.inventory),
            "bad_rows": 0,
        }
    )


def settings_kinds_missing(inputs: CutoverInputs) -> list[str]:
    kinds = {o.kind for f in inputs.exports for o in f.objects}
    return [k for k in _SETTINGS_KINDS if k not in kinds]
