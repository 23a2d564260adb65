"""Read Exchange Online configuration exported with ``ConvertTo-Json``.

PowerShell writes these files in several ways: UTF-16 LE with a BOM (Windows PowerShell's
``>`` and ``Out-File``), UTF-8 with or without a BOM (PowerShell 7, ``-Encoding utf8``), or the
ANSI code page (``Set-Content``); one object or an array; an array wrapped as
``{"value": [...], "Count": n}``; several documents appended with ``>>``. All of those load.
The kind of each object (inbound connector, transport config...) comes from the properties it
has, never from the file name. Anything else raises :class:`ExportError` with a clear reason.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o365diag.errors import InputError
from o365diag.safejson import decoder
from o365diag.setup.model import AuditInput
from o365diag.setup.networks import Network, parse_ip_entry

__all__ = [
    "CUTOVER_ONLY_KINDS",
    "EXPORT_COMMANDS",
    "KINDS",
    "MAX_BYTES",
    "ConfigObject",
    "ExportError",
    "ExportFile",
    "detect_kind",
    "parse_export",
    "read_export",
]

MAX_BYTES = 64 * 1024 * 1024
MAX_OBJECTS = 200_000

EXPORT_COMMANDS: dict[str, str] = {
    "InboundConnector": "Get-InboundConnector | ConvertTo-Json -Depth 5",
    "OutboundConnector": "Get-OutboundConnector | ConvertTo-Json -Depth 5",
    "TransportConfig": "Get-TransportConfig | ConvertTo-Json -Depth 5",
    "CASMailbox": "Get-CASMailbox -ResultSize Unlimited | ConvertTo-Json -Depth 5",
    "HostedConnectionFilterPolicy": "Get-HostedConnectionFilterPolicy | ConvertTo-Json -Depth 5",
    "AuthenticationPolicy": "Get-AuthenticationPolicy | ConvertTo-Json -Depth 5",
    "OrganizationConfig": "Get-OrganizationConfig | ConvertTo-Json -Depth 5",
    "User": "Get-User -ResultSize Unlimited | Select-Object UserPrincipalName,"
    "WindowsEmailAddress,RecipientTypeDetails,AuthenticationPolicy | ConvertTo-Json -Depth 5",
    "AcceptedDomain": "Get-AcceptedDomain | ConvertTo-Json -Depth 5",
}
KINDS: tuple[str, ...] = tuple(EXPORT_COMMANDS)
# Kinds the cutover readiness (and the org domains) read; the audit does not ask for them.
CUTOVER_ONLY_KINDS: tuple[str, ...] = ("User", "AcceptedDomain")

_CAS_MARKERS = frozenset(
    {
        "activesyncenabled",
        "owaenabled",
        "imapenabled",
        "popenabled",
        "mapienabled",
        "ewsenabled",
        "primarysmtpaddress",
    }
)
_TRANSPORT_MARKERS = frozenset(
    {
        "allowlegacytlsclients",
        "maxrecipientenvelopelimit",
        "internalsmtpservers",
        "journalingreportndrto",
        "tlsreceivedomainsecurelist",
        "maxsendsize",
    }
)
_INBOUND_MARKERS = frozenset(
    {
        "senderipaddresses",
        "restrictdomainstoipaddresses",
        "restrictdomainstocertificate",
        "tlssendercertificatename",
        "senderdomains",
    }
)
_OUTBOUND_MARKERS = frozenset({"smarthosts", "usemxrecord", "tlssettings", "recipientdomains"})
_FILTER_MARKERS = frozenset({"ipallowlist", "ipblocklist", "enablesafelist"})
_ORG_MARKERS = frozenset(
    {
        "rejectdirectsend",
        "defaultauthenticationpolicy",
        "oauth2clientprofileenabled",
        "isdehydrated",
        "smtpactionablemessagesenabled",
    }
)
# Get-User: the per-user AuthenticationPolicy assignment (Get-CASMailbox does not show it).
_USER_MARKERS = frozenset(
    {"userprincipalname", "windowsemailaddress", "recipienttypedetails", "firstname", "sidhistory"}
)
_TYPE_NAME = re.compile(r"^(?:System|Microsoft)\.[A-Za-z0-9_.`\[\], ]+$")


class ExportError(InputError):
    """The file is not a ConvertTo-Json export the audit can read (message safe to show)."""


@dataclass(frozen=True)
class ConfigObject:
    """One exported object; property names are matched without regard to case, as in PowerShell."""

    kind: str
    properties: Mapping[str, tuple[str, Any]]
    file: str
    index: int
    # networks() per property, parsed once: several rules read the same long lists.
    _parsed: dict[str, list[tuple[str, list[Network]]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def build(cls, raw: Mapping[str, Any], file: str, index: int) -> ConfigObject:
        props = {str(k).lower(): (str(k), v) for k, v in raw.items()}
        return cls(detect_kind(props.keys(), file, index), props, file, index)

    def has(self, name: str) -> bool:
        return name.lower() in self.properties

    def get(self, name: str, default: Any = None) -> Any:
        return self.properties.get(name.lower(), (name, default))[1]

    @property
    def name(self) -> str:
        for key in ("Identity", "Name", "PrimarySmtpAddress", "DisplayName", "Id"):
            value = self.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return f"{self.kind} #{self.index + 1}"

    def flag(self, name: str) -> bool | None:
        """A boolean property; None when absent or null; an error when it is not a boolean."""
        value = self.get(name)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise ExportError(self._where(name, f"{value!r} is not True or False"))

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, Mapping):
            value = _mapping_text(value)
        text = str(value).strip()
        return text or None

    def items(self, name: str) -> list[str]:
        """A multi-valued property as a list of strings (arrays, ``{"value": [...]}``, text)."""
        value = self.get(name)
        if isinstance(value, Mapping):
            value = _unwrap(value)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value] if value.strip() else []
        if not isinstance(value, list):
            raise ExportError(self._where(name, f"expected a list of values, found {value!r}"))
        items = [str(v).strip() for v in value if v is not None and str(v).strip()]
        for item in items:
            if _TYPE_NAME.match(item):
                raise ExportError(
                    self._where(
                        name,
                        f"holds the type name {item!r} instead of its values: export again "
                        "with ConvertTo-Json -Depth 5",
                    )
                )
        return items

    def networks(self, name: str) -> list[tuple[str, list[Network]]]:
        """IP entries of a property with the networks each covers."""
        if name in self._parsed:
            return self._parsed[name]
        out = []
        for entry in self.items(name):
            try:
                out.append((entry, parse_ip_entry(entry)))
            except ValueError:
                raise ExportError(
                    self._where(
                        name, f"{entry!r} is not an IP address, CIDR range or address range"
                    )
                ) from None
        self._parsed[name] = out
        return out

    def evidence(self, name: str) -> str:
        value = self.get(name)
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        if len(shown) > 200:
            shown = shown[:197] + "..."
        return f"{Path(self.file).name}: {self.kind} '{self.name}' {self._key(name)} = {shown}"

    def _key(self, name: str) -> str:
        return self.properties.get(name.lower(), (name, None))[0]

    def _where(self, name: str, message: str) -> str:
        return f"{self.file}: {self.kind} '{self.name}' {self._key(name)}: {message}"


@dataclass(frozen=True)
class ExportFile:
    path: str
    encoding: str
    objects: tuple[ConfigObject, ...]

    @property
    def kinds(self) -> list[str]:
        return sorted({o.kind for o in self.objects})

    def summary(self) -> AuditInput:
        return AuditInput(
            self.path, ", ".join(self.kinds) or None, len(self.objects), self.encoding
        )


# -- kinds ----------------------------------------------------------------------------------------
def detect_kind(keys: Any, file: str, index: int) -> str:
    """The kind of object whose property names (lower case) are ``keys``."""
    names = frozenset(keys)
    found = [kind for kind, test in _KIND_TESTS if test(names)]
    if len(found) == 1:
        return found[0]
    where = f"{file}: object {index + 1}"
    if not found:
        shown = ", ".join(sorted(names)[:8]) or "no properties"
        raise ExportError(
            f"{where} is not one of {', '.join(KINDS)} (its properties: {shown}); export with "
            "e.g. 'Get-InboundConnector | ConvertTo-Json -Depth 5'"
        )
    raise ExportError(
        f"{where} has properties of {' and '.join(found)}; export each cmdlet to its own file"
    )


def _is_cas(names: frozenset[str]) -> bool:
    return "smtpclientauthenticationdisabled" in names and bool(names & _CAS_MARKERS)


def _is_transport(names: frozenset[str]) -> bool:
    if names & _CAS_MARKERS:
        return False
    return bool(names & _TRANSPORT_MARKERS) or "smtpclientauthenticationdisabled" in names


def _is_user(names: frozenset[str]) -> bool:
    if "smtpclientauthenticationdisabled" in names or names & _ORG_MARKERS:
        return False
    return "authenticationpolicy" in names and bool(names & _USER_MARKERS)


_KIND_TESTS = (
    ("InboundConnector", lambda n: "connectortype" in n and bool(n & _INBOUND_MARKERS)),
    (
        "OutboundConnector",
        lambda n: "connectortype" in n and bool(n & _OUTBOUND_MARKERS) and not n & _INBOUND_MARKERS,
    ),
    ("TransportConfig", _is_transport),
    ("CASMailbox", _is_cas),
    ("HostedConnectionFilterPolicy", lambda n: bool(n & _FILTER_MARKERS)),
    ("AuthenticationPolicy", lambda n: any(k.startswith("allowbasicauth") for k in n)),
    ("OrganizationConfig", lambda n: bool(n & _ORG_MARKERS)),
    ("User", _is_user),
    # Get-AcceptedDomain (o365diag collect-script exports it with the rest).
    ("AcceptedDomain", lambda n: "domainname" in n and "domaintype" in n),
)


# -- decoding -------------------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE (BOM)"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE (BOM)"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 (BOM)"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE (BOM)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE (BOM)"),
)


def decode_export(data: bytes, name: str) -> tuple[str, str]:
    """The text of an export and a label for the encoding it was written in."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], codec, label, name)
    if len(data) >= 2 and data[0] != 0 and data[1] == 0:
        return _decode(data, "utf-16-le", "UTF-16 LE", name)
    if len(data) >= 2 and data[0] == 0 and data[1] != 0:
        return _decode(data, "utf-16-be", "UTF-16 BE", name)
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # Windows PowerShell's Set-Content writes the ANSI code page.
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def _decode(data: bytes, codec: str, label: str, name: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise ExportError(
            f"{name}: not valid {label} text ({exc.reason} at byte {exc.start})"
        ) from None


# -- parsing --------------------------------------------------------------------------------------
def read_export(path: str | Path) -> ExportFile:
    """Load one export file; ExportError for anything that is not a readable export."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise ExportError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,} accepted")
        data = file.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_export(data, str(path))


def parse_export(data: bytes, name: str) -> ExportFile:
    text, encoding = decode_export(data, name)
    text = text.lstrip("\ufeff \t\r\n")
    if not text.strip("\x00 \t\r\n"):
        raise ExportError(f"{name}: the file is empty")
    _reject_other_formats(text, name)
    raws = list(_documents(text, name))
    if len(raws) > MAX_OBJECTS:
        raise ExportError(f"{name}: more than {MAX_OBJECTS:,} objects")
    objects = tuple(ConfigObject.build(raw, name, i) for i, raw in enumerate(raws))
    if not objects:
        raise ExportError(f"{name}: the export holds no objects (an empty array)")
    return ExportFile(name, encoding, objects)


_OTHER_FORMATS = (
    (re.compile(r"^#TYPE "), "a CSV file from Export-Csv"),
    (re.compile(r"^<"), "XML (Export-Clixml?)"),
    (re.compile(r"^[A-Za-z][\w ]*\s:\s", re.MULTILINE), "Format-List output"),
    (re.compile(r"^-{3,}[ -]*\r?$", re.MULTILINE), "Format-Table output"),
    (re.compile(r'^"?[A-Za-z]\w*"?,"?[A-Za-z]\w*"?,'), "a CSV file"),
)


def _reject_other_formats(text: str, name: str) -> None:
    if text[0] in "[{":
        return
    for pattern, label in _OTHER_FORMATS:
        if pattern.search(text[:4000]):
            raise ExportError(
                f"{name}: this looks like {label}, not JSON; export with "
                "'<cmdlet> | ConvertTo-Json -Depth 5'"
            )
    raise ExportError(f"{name}: not JSON (it should start with '[' or '{{')")


def _documents(text: str, name: str) -> Iterator[dict[str, Any]]:
    reader = decoder()
    position, length = 0, len(text)
    while position < length:
        try:
            value, end = reader.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ExportError(
                f"{name}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise ExportError(f"{name}: the JSON is nested too deeply") from None
        yield from _objects(value, name)
        position = _skip_space(text, end)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n\x00\ufeff":
        position += 1
    return position


def _objects(value: Any, name: str) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        unwrapped = _unwrap(value)
        if isinstance(unwrapped, list):
            yield from _objects(unwrapped, name)
        else:
            yield value
        return
    if isinstance(value, list):
        for position, item in enumerate(value):
            if not isinstance(item, dict):
                raise ExportError(
                    f"{name}: item {position + 1} of the array is "
                    f"{type(item).__name__}, not an object"
                )
            yield item
        return
    raise ExportError(f"{name}: the JSON is a {type(value).__name__}, not an object or array")


def _unwrap(value: Mapping[str, Any]) -> Any:
    """Windows PowerShell can write an array as ``{"value": [...], "Count": n}``."""
    keys = {str(k).lower(): k for k in value}
    if "value" in keys and set(keys) <= {"value", "count"}:
        return value[keys["value"]]
    return value


def _mapping_text(value: Mapping[str, Any]) -> str:
    for key in ("CertificateSubject", "Name", "Value", "value"):
        if key in value and value[key] is not None:
            return str(value[key])
    return json.dumps(value)
