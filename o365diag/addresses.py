"""IP addresses that receivers never see as a sender: private, shared, link-local, loopback.

A device behind NAT knows its LAN address (192.168.1.50), but Exchange Online, SPF and the
blocklists only ever see the public address its network sends from. Advice must never put a
non-public address into SPF or a connector.
"""

from __future__ import annotations

import ipaddress
import re
import socket

__all__ = ["NON_PUBLIC_NETWORKS", "Network", "is_non_public", "network_kind", "non_public_kind"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not Python's is_private: it counts the documentation ranges as private too, and those are the
# only public-looking addresses that tests and examples may use.
_KINDS = (
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private (RFC 1918) address"),
    ("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598), shared by your provider"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private (RFC 1918) address"),
    ("192.168.0.0/16", "a private (RFC 1918) address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("fc00::/7", "a unique local (private) IPv6 address"),
    ("fe80::/10", "a link-local address"),
)
NON_PUBLIC_NETWORKS: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(text), kind) for text, kind in _KINDS
)

_BOUNDS = tuple(
    (block.version, int(block.network_address), int(block.broadcast_address), kind)
    for block, kind in NON_PUBLIC_NETWORKS
)


# A dotted-quad IPv4 address as ipaddress reads it: decimal octets up to 255, no leading zero.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def non_public_kind(value: str | Network) -> str | None:
    """What kind of non-public address or range this is, or None when it is public."""
    if isinstance(value, str) and _DOTTED_QUAD.fullmatch(value):
        # One address, the usual question (a sending IP): no network object needed.
        return _kind_of_number(4, int.from_bytes(bytes(map(int, value.split("."))), "big"))
    if isinstance(value, str) and _PLAIN_IPV6.fullmatch(value):
        packed = _packed_ipv6(value)
        if packed is not None:
            if packed.startswith(_MAPPED_PREFIX):  # ::ffff:a.b.c.d is the IPv4 address
                return _kind_of_number(4, int.from_bytes(packed[12:], "big"))
            return _kind_of_number(6, int.from_bytes(packed, "big"))
    try:
        network = value if not isinstance(value, str) else ipaddress.ip_network(value, False)
    except ValueError:
        return None
    return network_kind(network)


# An IPv6 address without prefix length or zone, in the letters ipaddress reads: inet_pton
# reads it in C (a test holds it to ipaddress on generated text).
_PLAIN_IPV6 = re.compile(r"[0-9A-Fa-f:]{2,39}|[0-9A-Fa-f:]{2,29}:[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"


def _packed_ipv6(text: str) -> bytes | None:
    try:
        return socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        return None


def _kind_of_number(version: int, number: int) -> str | None:
    return next(
        (kind for v, low, high, kind in _BOUNDS if v == version and low <= number <= high), None
    )


def network_kind(network: Network) -> str | None:
    """non_public_kind of a network object (the general way, for any range or version)."""
    mapped = _ipv4_mapped(network)
    if mapped is not None:
        network = mapped
    # subnet_of as integer bounds: an audit checks every entry of connectors that list thousands.
    first = int(network.network_address)
    last = first + (1 << (network.max_prefixlen - network.prefixlen)) - 1
    for version, low, high, kind in _BOUNDS:
        if network.version == version and low <= first and last <= high:
            return kind
    return None


def is_non_public(value: str | Network) -> bool:
    """True when the address or range lies where the internet never sees a sender."""
    return non_public_kind(value) is not None


def _ipv4_mapped(network: Network) -> ipaddress.IPv4Network | None:
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen == 128:
        inner = network.network_address.ipv4_mapped
        return ipaddress.IPv4Network(inner) if inner is not None else None
    return None
