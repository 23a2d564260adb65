"""IP ranges as Exchange Online sees them: private ones never match, broad ones over-trust."""

from __future__ import annotations

import ipaddress

from o365diag.addresses import Network, is_non_public
from o365diag.errors import InputError

__all__ = [
    "BROAD_PREFIX",
    "CONNECTOR_MIN_PREFIX",
    "Network",
    "address_count",
    "is_private",
    "overlaps",
    "parse_ip_entry",
]

# Connectors accept /24 to /32; more than 8 addresses is more than one device or server needs.
CONNECTOR_MIN_PREFIX = 24
BROAD_PREFIX = 29


def is_private(network: Network) -> bool:
    """True when the range lies in space the internet never routes to a sender."""
    return is_non_public(network)


def address_count(networks: list[Network]) -> int:
    """How many addresses the ranges cover (from the prefix: ipaddress's num_addresses goes
    through the broadcast address and is far slower)."""
    return sum(1 << (n.max_prefixlen - n.prefixlen) for n in networks)


def overlaps(a: Network, b: Network) -> bool:
    """True when two ranges of the same IP version share an address."""
    return a.version == b.version and a.overlaps(b)


def parse_ip_entry(text: str) -> list[Network]:
    """One entry of SenderIPAddresses / IPAllowList: an address, a CIDR range or ``a-b``."""
    text = text.strip()
    if "-" in text:
        first, last = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
        if first.version != last.version or int(last) < int(first):
            raise InputError(f"{text!r} is not a valid address range")
        return list(ipaddress.summarize_address_range(first, last))
    return [ipaddress.ip_network(text, strict=False)]
