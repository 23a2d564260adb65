"""What each header field is read for, by its key: one label per field, taken once per set.

Several stages look for a few kinds of field among all of a message's fields (Received for
the chain, the authentication headers for the verdict, the organization stamps). A HeaderSet
labels its fields once (HeaderSet.of_kind) and each stage takes its kind from the labels.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AUTHENTICATION",
    "AUTHENTICATION_KEYS",
    "CROSS_TENANT",
    "CROSS_TENANT_PREFIX",
    "EXCHANGE_STAMP",
    "EXCHANGE_STAMP_KEYS",
    "OTHER",
    "RECEIVED",
    "SINGLE_KEY_KINDS",
    "VERDICT_HEADERS",
    "field_kinds",
    "kind_of",
    "only",
]

OTHER, RECEIVED, AUTHENTICATION, CROSS_TENANT, EXCHANGE_STAMP = range(5)

# Headers that can carry the authentication verdict, in the order they are trusted.
VERDICT_HEADERS = (
    "authentication-results",
    "x-ms-exchange-authentication-results",
    "arc-authentication-results",
    "authentication-results-original",
)
AUTHENTICATION_KEYS = frozenset((*VERDICT_HEADERS, "received-spf"))
CROSS_TENANT_PREFIX = "x-ms-exchange-crosstenant-"
# Organization stamps kept as they are (Exchange.other).
EXCHANGE_STAMP_KEYS = frozenset(
    {
        "x-eopattributedmessage",
        "x-eoptenantattributedmessage",
        "x-originatororg",
        "x-ms-exchange-transport-endtoendlatency",
        "x-ms-exchange-skiplistedinternetsender",
        "x-ms-exchange-externaloriginalinternetsender",
        "x-ms-exchange-transport-crosstenantheadersstripped",
        "x-ms-exchange-transport-crosstenantheadersstamped",
        "x-ms-exchange-transport-crosstenantheaderspromoted",
        "x-originating-ip",
        "x-ms-exchange-organization-expirationstarttime",
        "x-ms-exchange-organization-originalarrivaltime",
    }
)


def kind_of(key: str) -> int:
    """The kind of a field by its key (its name in lower case)."""
    if key == "received":
        return RECEIVED
    if key in AUTHENTICATION_KEYS:
        return AUTHENTICATION
    if key.startswith(CROSS_TENANT_PREFIX):
        return CROSS_TENANT
    return EXCHANGE_STAMP if key in EXCHANGE_STAMP_KEYS else OTHER


# Field names come back message after message: each name's kind is worked out once. A name
# is no message's value (a kind is a function of the name alone); past this many names the
# rest are worked out each time, so odd names cannot fill the memory.
_MAX_REMEMBERED = 4096


class _KnownKinds(dict[str, int]):
    def __missing__(self, key: str) -> int:
        kind = kind_of(key)
        if len(self) < _MAX_REMEMBERED:
            self[key] = kind
        return kind


_KNOWN = _KnownKinds()


def field_kinds(keys: Iterable[str]) -> bytes:
    """One kind per key, in order: a byte each (looked up in C for every known name)."""
    return bytes(map(_KNOWN.__getitem__, keys))


# For each kind, a bytes.translate table that leaves 1 where that kind is and 0 elsewhere.
_ONLY = {
    kind: bytes(int(byte == kind) for byte in range(256))
    for kind in (RECEIVED, AUTHENTICATION, CROSS_TENANT, EXCHANGE_STAMP, OTHER)
}


def only(kinds: bytes, kind: int) -> bytes:
    """A mask over ``kinds``: 1 where ``kind`` is, 0 elsewhere (for itertools.compress)."""
    return kinds.translate(_ONLY[kind])


# Keys that are a kind of their own: get_all of such a key reads the labels.
SINGLE_KEY_KINDS = {"received": RECEIVED}
