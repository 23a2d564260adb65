"""IP ranges as Exchange Online sees them: private ones never match, broad ones over-trust."""

from __future__ import annotations

import ipaddress

__all__ = [
    "BROAD_PREFIX",
    "CONNECTOR_MIN_PREFIX",
    "Network",
    "is_private",
    "overlaps",
    "parse_ip_entry",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Connectors accept /24 to /32; more than 8 addresses is more than one device or server needs.
CONNECTOR_MIN_PREFIX = 24
BROAD_PREFIX = 29

# Not "is_private": Python counts the documentation ranges as private too, and those are the
# only public-looking addresses tests may use.
_NON_PUBLIC = tuple(
    ipaddress.ip_network(text)
    for text in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def is_private(network: Network) -> bool:
    """True when the range lies in space the internet never routes to a sender."""
    return any(_within(network, block) for block in _NON_PUBLIC)


def _within(network: Network, block: Network) -> bool:
    if isinstance(network, ipaddress.IPv4Network) and isinstance(block, ipaddress.IPv4Network):
        return network.subnet_of(block)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(block, ipaddress.IPv6Network):
        return network.subnet_of(block)
    return False


def overlaps(a: Network, b: Network) -> bool:
    """True when two ranges of the same IP version share an address."""
    return a.version == b.version and a.overlaps(b)


def parse_ip_entry(text: str) -> list[Network]:
    """One entry of SenderIPAddresses / IPAllowList: an address, a CIDR range or ``a-b``."""
    text = text.strip()
    if "-" in text:
        first, last = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
        if first.version != last.version or int(last) < int(first):
            raise ValueError(f"{text!r} is not a valid address range")
        return list(ipaddress.summarize_address_range(first, last))
    return [ipaddress.ip_network(text, strict=False)]
