"""Finding the target: the MX endpoint for direct send and relay, then its addresses.

Without a nameserver override, host names go through the operating system's resolver (what
the device itself would use); MX records always come from dnspython's async resolver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import dns.asyncresolver
import dns.exception
import dns.resolver

from o365diag.dns.resolver import parse_nameserver
from o365diag.errors import NetworkError
from o365diag.smtp.model import MxRecord

__all__ = ["MxRecord", "ResolveError", "lookup_mx", "make_resolver", "resolve_host"]


class ResolveError(NetworkError):
    """A name could not be turned into addresses; ``code`` is the finding code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def make_resolver(nameserver: str | None, timeout: float) -> dns.asyncresolver.Resolver:
    """dnspython's resolver for ``nameserver`` (``HOST[:PORT]``, IPv6 as ``[2001:db8::1]:53``,
    parsed as the domain check parses it) or the system's configuration."""
    resolver = dns.asyncresolver.Resolver(configure=nameserver is None)
    if nameserver:
        host, port = parse_nameserver(nameserver)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


async def lookup_mx(domain: str, *, nameserver: str | None, timeout: float) -> list[MxRecord]:
    """MX records of ``domain``, best preference first."""
    resolver = make_resolver(nameserver, timeout)
    try:
        answer = await resolver.resolve(domain, "MX")
    except dns.resolver.NXDOMAIN:
        raise ResolveError("dns.no-mx", f"{domain} does not exist (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise ResolveError("dns.no-mx", f"{domain} has no MX record") from None
    except dns.exception.Timeout:
        raise ResolveError("dns.error", f"MX lookup for {domain} timed out") from None
    except dns.exception.DNSException as exc:
        raise ResolveError("dns.error", f"MX lookup for {domain} failed: {exc}") from None
    records = [MxRecord(int(r.preference), r.exchange.to_text().rstrip(".")) for r in answer]
    return sorted(records, key=lambda r: (r.preference, r.host))


async def resolve_host(
    host: str, port: int, *, family: int, nameserver: str | None, timeout: float
) -> list[str]:
    """Addresses for ``host`` (an IP literal is returned as it is)."""
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    if nameserver:
        addresses = await _resolve_with_dnspython(host, family, nameserver, timeout)
    else:
        addresses = await _resolve_with_system(host, port, family, timeout)
    if not addresses:
        raise ResolveError("dns.no-address", f"{host} has no address" + _family_note(family))
    return addresses


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _family_note(family: int) -> str:
    return f" (IPv{family} only)" if family else ""


async def _resolve_with_system(host: str, port: int, family: int, timeout: float) -> list[str]:
    loop = asyncio.get_running_loop()
    af = {4: socket.AF_INET, 6: socket.AF_INET6}.get(family, socket.AF_UNSPEC)
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, family=af, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError:
        raise ResolveError("dns.error", f"resolving {host} timed out") from None
    except socket.gaierror as exc:
        raise ResolveError("dns.no-address", f"{host} does not resolve: {exc.strerror}") from None
    return _unique(str(info[4][0]) for info in infos)


async def _resolve_with_dnspython(
    host: str, family: int, nameserver: str, timeout: float
) -> list[str]:
    resolver = make_resolver(nameserver, timeout)
    kinds = {4: ("A",), 6: ("AAAA",)}.get(family, ("A", "AAAA"))
    found: list[str] = []
    for kind in kinds:
        try:
            answer = await resolver.resolve(host, kind)
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            continue
        except dns.exception.DNSException as exc:
            raise ResolveError("dns.error", f"resolving {host} failed: {exc}") from None
        found.extend(r.to_text() for r in answer)
    return _unique(found)


def _unique(values: object) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:  # type: ignore[attr-defined]
        seen.setdefault(value, None)
    return list(seen)
