"""A small DNS server on 127.0.0.1 that publishes a setup plan's records, for demo mode.

The verify step runs the real domain audit against it, so a demo shows what the audit says
once the generated records are live, without touching the internet. It answers like a
recursive resolver for its zone: CNAME chains are followed, NXDOMAIN is told from NODATA, and
UDP answers too large for the client are truncated so the client retries over TCP. Names
outside the plan (Microsoft's SPF include, the DKIM targets) get stand-in records: they are
marked as such in the verify output and are not Microsoft's real values.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import struct
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from o365diag.setup.generate import MICROSOFT_SPF, SetupPlan, mx_endpoint

__all__ = ["DemoZone", "zone_for_plan"]

_TTL = 300
_MAX_CHAIN = 8
_TCP_READ_TIMEOUT = 10.0
# A TEST-NET address for the MX host: the connection test goes to the simulator instead.
_MX_ADDRESS = "192.0.2.10"
_STAND_IN_SPF = "v=spf1 ip4:192.0.2.0/24 -all"


@dataclass
class DemoZone:
    """Records by (name, type); serve with ``async with zone.serve() as nameserver``."""

    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    queries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, rtype: str, value: str) -> None:
        self.records.setdefault((_norm(name), rtype), []).append(value)

    def names(self) -> set[str]:
        return {name for name, _type in self.records}

    # -- answering ---------------------------------------------------------------------------
    def answer(self, wire: bytes, max_size: int | None) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA | dns.flags.RA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        qname, qtype = _norm(question.name.to_text()), dns.rdatatype.to_text(question.rdtype)
        self.queries.append((qname, qtype))
        self._fill(response, qname, qtype)
        payload = max_size or (query.payload if query.edns >= 0 else 512)
        wire_out = response.to_wire()
        if len(wire_out) > payload:
            response.answer.clear()
            response.flags |= dns.flags.TC
            wire_out = response.to_wire()
        return wire_out

    def _fill(self, response: dns.message.Message, qname: str, qtype: str) -> None:
        name = qname
        for _hop in range(_MAX_CHAIN):
            values = self.records.get((name, qtype))
            if values:
                response.answer.append(_rrset(name, qtype, values))
                return
            target = self.records.get((name, "CNAME"))
            if not target or qtype == "CNAME":
                break
            response.answer.append(_rrset(name, "CNAME", target[:1]))
            name = _norm(target[0])
        if name not in self.names():
            response.set_rcode(dns.rcode.NXDOMAIN)

    # -- serving -------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1") -> AsyncIterator[str]:
        """Serve UDP and TCP on one free port; yields ``"host:port"`` for the resolver."""
        loop = asyncio.get_running_loop()
        tcp = await asyncio.start_server(self._tcp_client, host, 0)
        port = tcp.sockets[0].getsockname()[1]
        udp, _protocol = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=(host, port)
        )
        try:
            yield f"{host}:{port}"
        finally:
            udp.close()
            tcp.close()
            await tcp.wait_closed()

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await asyncio.wait_for(reader.readexactly(2), _TCP_READ_TIMEOUT)
                (length,) = struct.unpack("!H", header)
                wire = await asyncio.wait_for(reader.readexactly(length), _TCP_READ_TIMEOUT)
                reply = self.answer(wire, 65535)
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            TimeoutError,
            ConnectionError,
            dns.exception.DNSException,
        ):
            pass
        finally:
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, zone: DemoZone) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = self.zone.answer(data, None)
        except dns.exception.DNSException:
            return  # not a DNS query: drop it, as a server would
        if self.transport is not None:
            self.transport.sendto(reply, addr)


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


def _rrset(name: str, rtype: str, values: Iterable[str]) -> dns.rrset.RRset:
    texts = [_rdata_text(rtype, v) for v in values]
    return dns.rrset.from_text_list(name + ".", _TTL, dns.rdataclass.IN, rtype, texts)


def _rdata_text(rtype: str, value: str) -> str:
    if rtype == "TXT":
        chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
        return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)
    if rtype in ("CNAME", "MX"):
        return value if value.endswith(".") else value + "."
    return value


# -- the zone for a plan --------------------------------------------------------------------------
def zone_for_plan(plan: SetupPlan) -> DemoZone:
    """The plan's records as if published, plus stand-ins for names it points to."""
    zone = DemoZone()
    domain = plan.answers.domain
    mx_host, _guessed = mx_endpoint(plan.answers)
    zone.add(domain, "MX", f"0 {mx_host}")
    zone.add(mx_host, "A", _MX_ADDRESS)
    zone.add(MICROSOFT_SPF, "TXT", _STAND_IN_SPF)
    tenant = plan.answers.initial_domain or f"{domain.split('.')[0]}.onmicrosoft.com"
    for record in plan.dns_records:
        if record.type == "TXT":
            zone.add(record.name, "TXT", record.value)
        elif record.type == "CNAME":
            selector = record.name.split(".", 1)[0]
            target = (
                record.value
                if not record.placeholder
                else f"{selector}-{domain.replace('.', '-')}._domainkey.{tenant}"
            )
            zone.add(record.name, "CNAME", target)
            zone.add(target, "TXT", f"v=DKIM1; k=rsa; p={_demo_public_key()}")
    return zone


_KEY_CACHE: list[str] = []


def _demo_public_key() -> str:
    """A fresh 2048-bit RSA public key (base64 DER), made once per process."""
    if not _KEY_CACHE:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _KEY_CACHE.append(base64.b64encode(der).decode("ascii"))
    return _KEY_CACHE[0]
