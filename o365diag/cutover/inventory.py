"""The device inventory the admin keeps: what each sending identity is and what its client can do.

A CSV file (header row) or a YAML list of mappings, with these fields (only ``identity`` is
required; blank means unknown)::

    identity     the mailbox address, an app registration's ID, or a source IP address
    kind         printer | scanner | mfd | app | service | other
    model        e.g. "Contoso LaserJet 4000"
    owner        who to ask
    oauth        yes | no  (whether the client can sign in with OAuth / XOAUTH2)
    fixed_ip     the device's fixed public IPv4 address, if it has one
    recipients   internal | external | both
    app_id       the Entra app registration (client) ID the device uses for OAuth
    service_principal_id   its enterprise application object ID
    notes        free text

The next run reads it and the recommended path uses it; without an entry the assessment says
what is unknown instead of guessing.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from o365diag.errors import InputError

__all__ = [
    "INVENTORY_FIELDS",
    "Inventory",
    "InventoryEntry",
    "InventoryError",
    "is_inventory_columns",
    "parse_inventory",
]

INVENTORY_FIELDS = (
    "identity",
    "kind",
    "model",
    "owner",
    "oauth",
    "fixed_ip",
    "recipients",
    "app_id",
    "service_principal_id",
    "notes",
)
KINDS = ("printer", "scanner", "mfd", "app", "service", "other")
RECIPIENTS = ("internal", "external", "both")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_UNKNOWN = frozenset({"", "unknown", "?", "n/a"})
_GUID = re.compile(r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")
# Private, shared (CGNAT), loopback and link-local ranges: never a "fixed public IP". The
# documentation ranges stay usable as stand-ins for public addresses.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


class InventoryError(InputError):
    """The inventory file cannot be used; the message names the file, row and field."""


def is_private_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return any(address.version == n.version and address in n for n in PRIVATE_NETWORKS)


@dataclass(frozen=True)
class InventoryEntry:
    identity: str
    kind: str | None = None
    model: str | None = None
    owner: str | None = None
    oauth: bool | None = None
    fixed_ip: str | None = None
    recipients: str | None = None
    app_id: str | None = None
    service_principal_id: str | None = None
    notes: str | None = None

    def label(self) -> str:
        parts = [p for p in (self.kind, self.model) if p]
        owner = f" (owner {self.owner})" if self.owner else ""
        return (" ".join(parts) or "an inventory entry") + owner

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in INVENTORY_FIELDS}


@dataclass
class Inventory:
    file: str
    entries: dict[str, InventoryEntry] = field(default_factory=dict)

    def lookup(self, *keys: str | None) -> InventoryEntry | None:
        for key in keys:
            if key and key.strip().lower() in self.entries:
                return self.entries[key.strip().lower()]
        return None

    def __len__(self) -> int:
        return len(self.entries)


def is_inventory_columns(names: Iterable[str]) -> bool:
    present = {n.strip().lower() for n in names}
    # A short table keyed by "identity" is meant as an inventory: its unknown columns are
    # then reported by name instead of the file being called unrecognisable.
    return "identity" in present and len(present) <= 2 * len(INVENTORY_FIELDS)


def parse_inventory(name: str, data: bytes) -> Inventory:
    """Read an inventory from CSV or YAML bytes; InventoryError for anything unusable."""
    text = _decode(name, data)
    rows = _yaml_rows(name, text) if _looks_like_yaml(name, text) else _csv_rows(name, text)
    inventory = Inventory(name)
    for number, row in rows:
        entry = _entry(name, number, row)
        key = entry.identity.lower()
        if key in inventory.entries:
            raise InventoryError(f"{name}: row {number}: {entry.identity!r} is listed twice")
        inventory.entries[key] = entry
    return inventory


def _decode(name: str, data: bytes) -> str:
    for codec in ("utf-8-sig", "utf-16") if not data.startswith(b"\xff\xfe") else ("utf-16",):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise InventoryError(f"{name}: not UTF-8 or UTF-16 text")


def _looks_like_yaml(name: str, text: str) -> bool:
    if name.lower().endswith((".yaml", ".yml")):
        return True
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.lstrip().startswith(("- ", "---", "devices:"))


def _yaml_rows(name: str, text: str) -> list[tuple[int, Mapping[str, Any]]]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InventoryError(f"{name}: not valid YAML{where}") from None
    if isinstance(loaded, Mapping) and isinstance(loaded.get("devices"), list):
        loaded = loaded["devices"]
    if not isinstance(loaded, list):
        raise InventoryError(f"{name}: the YAML must be a list of devices (or 'devices:' list)")
    rows = []
    for number, item in enumerate(loaded, start=1):
        if not isinstance(item, Mapping):
            raise InventoryError(f"{name}: item {number} is not a mapping of fields")
        rows.append((number, item))
    return rows


def _csv_rows(name: str, text: str) -> list[tuple[int, Mapping[str, Any]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = [h.strip().lower() for h in reader.fieldnames or ()]
    if "identity" not in headers:
        raise InventoryError(f"{name}: no 'identity' column (columns: {', '.join(headers)})")
    unknown = [h for h in headers if h and h not in INVENTORY_FIELDS]
    if unknown:
        raise InventoryError(
            f"{name}: unknown column(s) {', '.join(unknown)}; known: {', '.join(INVENTORY_FIELDS)}"
        )
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise InventoryError(f"{name}: row {number} has more fields than the header")
        rows.append((number, {k.strip().lower(): v for k, v in row.items() if k}))
    return rows


def _entry(name: str, number: int, row: Mapping[str, Any]) -> InventoryEntry:
    values = {str(k).strip().lower(): _text(v) for k, v in row.items()}
    unknown = sorted(set(values) - set(INVENTORY_FIELDS))
    where = f"{name}: row {number}"
    if unknown:
        raise InventoryError(f"{where}: unknown field(s) {', '.join(unknown)}")
    identity = values.get("identity")
    if not identity:
        raise InventoryError(f"{where}: identity is empty")
    if not (_ADDRESS.match(identity) or _GUID.match(identity) or _is_ip(identity)):
        raise InventoryError(
            f"{where}: identity {identity!r} is not a mailbox address, app ID or IP address"
        )
    return InventoryEntry(
        identity=identity,
        kind=_choice(where, "kind", values.get("kind"), KINDS),
        model=values.get("model"),
        owner=values.get("owner"),
        oauth=_yes_no(where, values.get("oauth")),
        fixed_ip=_fixed_ip(where, values.get("fixed_ip")),
        recipients=_choice(where, "recipients", values.get("recipients"), RECIPIENTS),
        app_id=_guid(where, "app_id", values.get("app_id")),
        service_principal_id=_guid(
            where, "service_principal_id", values.get("service_principal_id")
        ),
        notes=values.get("notes"),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).strip()
    return text or None


def _choice(where: str, field_name: str, value: str | None, choices: tuple[str, ...]) -> str | None:
    if value is None or value.lower() in _UNKNOWN:
        return None
    if value.lower() not in choices:
        raise InventoryError(f"{where}: {field_name} {value!r} is not one of {', '.join(choices)}")
    return value.lower()


def _yes_no(where: str, value: str | None) -> bool | None:
    if value is None or value.lower() in _UNKNOWN:
        return None
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    raise InventoryError(f"{where}: oauth {value!r} is not yes, no or blank")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _fixed_ip(where: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not _is_ip(value):
        raise InventoryError(f"{where}: fixed_ip {value!r} is not an IP address")
    return value


def _guid(where: str, field_name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not _GUID.match(value):
        raise InventoryError(f"{where}: {field_name} {value!r} is not a GUID")
    return value.lower()
