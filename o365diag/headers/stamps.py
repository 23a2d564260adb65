"""Decode Microsoft's anti-spam and organization stamps field by field, with meanings.

Trusted stamps (``X-Forefront-Antispam-Report``, ``X-Microsoft-Antispam``, the organization
headers) describe what this tenant decided. ``-Untrusted`` variants were stamped by another
tenant: they are decoded the same way but kept apart and never used for the verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from o365diag.headers.kinds import (
    CROSS_TENANT,
    CROSS_TENANT_PREFIX,
    EXCHANGE_STAMP,
    EXCHANGE_STAMP_KEYS,
)
from o365diag.headers.model import Exchange, ExchangeMeanings
from o365diag.headers.parse import HeaderSet
from o365diag.knowledge import Entry, load_table

__all__ = ["AntispamStamps", "decode_antispam", "decode_exchange", "parse_pairs"]

FFAS = "x-forefront-antispam-report"
MSAS = "x-microsoft-antispam"
UNTRUSTED = "-untrusted"
ORG = "x-ms-exchange-organization-"
CROSS = CROSS_TENANT_PREFIX

# Field -> knowledge table holding the meanings of its values.
_VALUE_TABLES = {
    "cat": "antispam_cat",
    "sfv": "antispam_sfv",
    "ipv": "antispam_ipv",
    "dir": "antispam_dir",
    "sfty": "antispam_sfty",
    "srv": "antispam_srv",
    "arc": "antispam_arc",
    "scl": "scl",
    "bcl": "bcl",
    "pcl": "pcl",
}
_INT_FIELDS = ("scl", "bcl", "pcl")
_TEXT_FIELDS = ("sfv", "cat", "srv", "ipv", "dir", "cip", "ctry", "lang", "h", "ptr", "sfty")
_ONE_VALUE_FIELDS = frozenset(_INT_FIELDS + _TEXT_FIELDS)
_SFS_ID = re.compile(r"\(([^()]*)\)")
_TRUSTED_STAMPS = (FFAS, MSAS)
_UNTRUSTED_STAMPS = (FFAS + UNTRUSTED, MSAS + UNTRUSTED)


# A comment: parentheses with no parentheses inside (stamps never nest them).
_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def parse_pairs(value: str) -> list[tuple[str, str]]:
    """``KEY:value;KEY:value`` pairs; the key ends at the first colon, so IPv6 values survive.
    A comment before a key (``(x) CIP:...``) is no part of it."""
    pairs: list[tuple[str, str]] = []
    for item in value.replace("(null)", "").split(";"):
        key, sep, text = item.partition(":")
        if "(" in key:
            key = _COMMENT.sub(" ", key)
        if sep and (key := key.strip()):
            pairs.append((key, text.strip()))
    return pairs


def one_value(text: str) -> str:
    """A one-value stamp without its comments and white space: ``1 (comment)`` is ``1``."""
    if "(" in text:
        text = _COMMENT.sub(" ", text)
    elif text.isalnum():  # one word already (most codes: NSPM, US, 1)
        return text
    return " ".join(text.split())


@dataclass
class AntispamStamps:
    values: dict[str, Any] = field(default_factory=dict)
    decoded: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def to_dict(self) -> dict[str, Any]:
        """The one-value fields (_INT_FIELDS, then _TEXT_FIELDS), then the lists: written
        out, as this runs twice for every message."""
        get = self.values.get
        return {
            "scl": get("scl"),
            "bcl": get("bcl"),
            "pcl": get("pcl"),
            "sfv": get("sfv"),
            "cat": get("cat"),
            "srv": get("srv"),
            "ipv": get("ipv"),
            "dir": get("dir"),
            "cip": get("cip"),
            "ctry": get("ctry"),
            "lang": get("lang"),
            "h": get("h"),
            "ptr": get("ptr"),
            "sfty": get("sfty"),
            "sfs": get("sfs", []),
            "custom_spam": get("custom_spam"),
            "mailbox_delivery": get("mailbox_delivery", []),
            "fields": self.decoded,
            "headers": self.headers,
        }


def decode_antispam(headers: HeaderSet, untrusted: bool = False) -> AntispamStamps:
    """Decode the trusted (or, with ``untrusted=True``, the -Untrusted) anti-spam stamps.

    With several copies of a header the topmost wins: it was stamped last, by this hop.
    """
    stamps = AntispamStamps()
    for name in _UNTRUSTED_STAMPS if untrusted else _TRUSTED_STAMPS:
        found = headers.first(name)
        if found is None:
            continue
        stamps.headers.append(found.line())
        if "(null)" in found.value:
            stamps.repairs.append(f"{found.name}: '(null)' tokens ignored")
        _store(stamps, parse_pairs(found.value), found.name)
    if not untrusted:
        _decode_org_levels(headers, stamps)
        _decode_custom_spam(headers, stamps)
        _decode_mailbox_delivery(headers, stamps)
    return stamps


def _store(stamps: AntispamStamps, pairs: list[tuple[str, str]], header: str) -> None:
    values, decoded = stamps.values, stamps.decoded
    for key, written in pairs:
        name = key.lower()
        # "SCL:5 (spam)": these values are single codes (one word already: kept as it is)
        if name in _ONE_VALUE_FIELDS and not written.isalnum():
            value = one_value(written)
        else:
            value = written
        if name in values:
            _note_duplicate(stamps, key, value, header)
            continue
        if name in _VALUE_TABLES:
            stored, described = _coded_value(name, value, header)
            if stored is None and value and name in _INT_FIELDS:
                stamps.problems.append(f"{header}: {key}:{value} is not a number")
            values[name] = stored
            decoded.append(described.copy())
        elif name == "sfs" or name == "ara":
            ids = _rule_ids(value) if name == "sfs" else _bar_separated(value)
            values[name] = ids
            decoded.append(_describe(name, value, header, f"{len(ids)} rule ids"))
        else:
            values[name] = value or None
            # _describe of free text, without its call (CIP, CTRY, H, PTR ... in every message)
            described = _description(name, "", header, None).copy()
            described["value"] = value
            decoded.append(described)


@lru_cache(maxsize=4096)
def _coded_value(name: str, value: str, header: str) -> tuple[Any, dict[str, Any]]:
    """What a coded field (SFV:NSPM, SCL:5 ...) stores, and its description: both read once
    per code, as the codes come back message after message."""
    stored = _to_int(value) if name in _INT_FIELDS else value or None
    return stored, _description(name, value, header, None)


def _rule_ids(value: str) -> list[str]:
    """SFS wraps each rule id in parentheses: ``(9256216)(67909907)``."""
    if value[:1] == "(" and value[-1:] == ")":
        ids = value[1:-1].split(")(")  # the usual run of ids, split in C
        # each id without parentheses: the split's separators are all the value holds, but
        # for the first '(' and the last ')'
        if value.count("(") == len(ids) == value.count(")"):
            return ids
    return _SFS_ID.findall(value)


def _bar_separated(value: str) -> list[str]:
    """ARA separates its rule ids with "|"."""
    ids = value.split("|")
    return [i for i in ids if i] if "" in ids else ids


def _note_duplicate(stamps: AntispamStamps, key: str, value: str, header: str) -> None:
    first = next((d for d in stamps.decoded if d["field"] == key.upper()), None)
    if first is not None and first["value"] != value:
        stamps.problems.append(
            f"{header}: {key.upper()} is given twice with different values "
            f"({first['value']!r} in {first['header']}, then {value!r}); the first was used"
        )


def _describe(name: str, value: str, header: str, note: str | None = None) -> dict[str, Any]:
    """One stamp value with its meaning (a fresh dict: the cached ones stay as they are)."""
    if name in _VALUE_TABLES:
        # A coded value (SFV:NSPM, CAT:SPOOF, SCL:1 ...): the codes are few and come back
        # message after message, so each is described once.
        return dict(_description(name, value, header, note))
    # Free text (CIP, H, PTR, SFS rule ids ...) differs from message to message: only what
    # the field means is remembered, never the value.
    described = dict(_description(name, "", header, note))
    described["value"] = value
    return described


@lru_cache(maxsize=4096)
def _description(name: str, value: str, header: str, note: str | None) -> dict[str, Any]:
    field_entry = load_table("antispam_field").lookup(name)
    table = _VALUE_TABLES.get(name)
    value_entry = load_table(table).lookup(value) if table and value else None
    best = value_entry or field_entry
    # A field whose values are free text (CIP, CTRY, H, PTR ...) means what the field means; a
    # coded value missing from its table is unknown, even though the field is documented.
    free_text = table is None and field_entry is not None
    meaning = value_entry.meaning if value_entry else note
    if meaning is None and (free_text or not value) and field_entry is not None:
        meaning = field_entry.meaning
    unknown_code = table is not None and value_entry is None and bool(value)
    return {
        "field": name.upper(),
        "value": value,
        "header": header,
        "field_meaning": field_entry.meaning if field_entry else None,
        "meaning": meaning,
        "status": "unknown" if unknown_code or not best else best.status,
        "source": best.source if best else None,
    }


def _to_int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _decode_org_levels(headers: HeaderSet, stamps: AntispamStamps) -> None:
    for level in ("scl", "pcl"):
        found = headers.first(f"{ORG}{level}")
        if found is None:
            continue
        value = one_value(found.value)
        number = _to_int(value)
        if number is None and value:
            stamps.problems.append(f"{found.name}: {value!r} is not a number")
        stamps.values[f"org_{level}"] = number
        if stamps.values.get(level) is None and number is not None:
            stamps.values[level] = number
            stamps.decoded.append(_describe(level, value, found.name))


def _decode_custom_spam(headers: HeaderSet, stamps: AntispamStamps) -> None:
    found = headers.first("x-customspam")
    if found is None:
        return
    entry = load_table("custom_spam").lookup(found.value)
    stamps.values["custom_spam"] = found.value
    stamps.decoded.append(
        {
            "field": "X-CustomSpam",
            "value": found.value,
            "header": found.name,
            "field_meaning": load_table("antispam_field").meaning("x-customspam"),
            "meaning": entry.meaning if entry else None,
            "status": entry.status if entry else "unknown",
            "source": entry.source if entry else None,
        }
    )


def _decode_mailbox_delivery(headers: HeaderSet, stamps: AntispamStamps) -> None:
    found = headers.first("x-microsoft-antispam-mailbox-delivery")
    if found is None:
        return
    tokens = []
    for key, written in parse_pairs(found.value):
        # "dest:J (junk)" is J; "ENG:(910001)(944506478)" is a list of ids, no comment
        if written.startswith("("):
            value = written
            tokens.append(_engine_ids_token(key, value))
        else:
            value = written if written.isalnum() else one_value(written)
            # ucf:0, dest:I ... repeat in every message: a fresh copy of the one description
            tokens.append(dict(_coded_delivery_token(key, value)))
        if key.lower() == "dest":
            stamps.values["dest"] = value
    stamps.values["mailbox_delivery"] = tokens


def _engine_ids_token(key: str, value: str) -> dict[str, Any]:
    """Engine ids ("ENG:(910001)(944506478)") differ from message to message: read, not kept."""
    table = load_table("mailbox_delivery")
    entry = table.find(f"{key}:{value}") or table.lookup(key)
    return _delivery_entry(key, value, entry)


@lru_cache(maxsize=4096)
def _coded_delivery_token(key: str, value: str) -> dict[str, Any]:
    table = load_table("mailbox_delivery")
    return _delivery_entry(key, value, table.lookup(f"{key}:{value}") or table.lookup(key))


def _delivery_entry(key: str, value: str, entry: Entry | None) -> dict[str, Any]:
    return {
        "key": key,
        "value": value,
        "meaning": entry.meaning if entry else None,
        "status": entry.status if entry else "unknown",
    }


def decode_exchange(headers: HeaderSet) -> Exchange:
    """Organization and cross-tenant stamps; AuthMechanism stays raw (no published table)."""
    auth_as, auth_source, mechanism, directionality, message_id = [
        _one_stamp(headers, name) for name in _ORG_STAMPS
    ]
    cross: dict[str, str] = {}
    for found in headers.of_kind(CROSS_TENANT):
        cross.setdefault(found.name[len(CROSS) :], one_value(found.value))
    other: dict[str, str] = {}
    for found in headers.of_kind(EXCHANGE_STAMP):
        other.setdefault(found.name, found.value)
    # The first cross-tenant FromEntityHeader, whatever its spelling: the topmost one.
    from_entity = _one_stamp(headers, f"{CROSS}fromentityheader")
    meanings = ExchangeMeanings(
        auth_as=load_table("auth_as").meaning(auth_as or ""),
        directionality=load_table("directionality").meaning(directionality or ""),
        from_entity=load_table("from_entity").meaning(from_entity or ""),
    )
    return Exchange(
        auth_as, auth_source, mechanism, directionality, message_id, cross, other, meanings
    )


_ORG_STAMPS = tuple(
    f"{ORG}{name}"
    for name in [
        "authas",
        "authsource",
        "authmechanism",
        "messagedirectionality",
        "network-message-id",
    ]
)


def _one_stamp(headers: HeaderSet, name: str) -> str | None:
    """A one-value organization stamp without comments ("Anonymous (x)" is "Anonymous")."""
    value = headers.value(name)
    return (one_value(value) or None) if value is not None else None


_OTHER_STAMPS = EXCHANGE_STAMP_KEYS
