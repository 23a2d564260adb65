"""A demo DNS server: built-in example domains served on 127.0.0.1, for notebooks and trials.

It runs on the current asyncio loop (UDP and TCP on one port) and answers the way a recursive
resolver would: it follows CNAMEs, tells NXDOMAIN from NODATA and truncates UDP answers over
512 bytes. Each scenario is one example domain with one thing to learn.
"""

from __future__ import annotations

import asyncio
import base64
import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from o365diag.errors import ConfigError

__all__ = ["DEMO_DOMAIN", "DEMO_IPS", "SCENARIOS", "DemoDns", "Scenario"]

DEMO_DOMAIN = "contoso.example"
DEMO_IPS = ("198.51.100.7",)
_MS = "contoso-example.mail.protection.outlook.com"
_KEYS = "_domainkey.contoso.onmicrosoft.com"
_UDP_LIMIT = 512


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    records: tuple[tuple[str, str, str], ...]  # (name, type, presentation text)


def _key_record() -> str:
    return "v=DKIM1; k=rsa; p=" + _public_key()


@cache
def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _txt(text: str) -> str:
    """TXT presentation form, split into 255-character strings."""
    return " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))


def _base(
    spf: str,
    dkim_keys: bool = True,
    dmarc: str = "v=DMARC1; p=reject; rua=mailto:dmarc@contoso.example",
) -> tuple[tuple[str, str, str], ...]:
    records = [
        (DEMO_DOMAIN, "MX", f"0 {_MS}."),
        (_MS, "A", "203.0.113.30"),
        (DEMO_DOMAIN, "TXT", _txt(spf)),
        (DEMO_DOMAIN, "TXT", _txt("MS=ms12345678")),
        ("spf.protection.outlook.com", "TXT", _txt("v=spf1 ip4:203.0.113.0/27 -all")),
        (f"_dmarc.{DEMO_DOMAIN}", "TXT", _txt(dmarc)),
        (f"_smtp._tls.{DEMO_DOMAIN}", "TXT", _txt("v=TLSRPTv1; rua=mailto:tls@contoso.example")),
        (f"autodiscover.{DEMO_DOMAIN}", "CNAME", "autodiscover.outlook.com."),
        ("autodiscover.outlook.com", "A", "203.0.113.31"),
    ]
    for n in (1, 2):
        target = f"selector{n}-contoso-example.{_KEYS}"
        records.append((f"selector{n}._domainkey.{DEMO_DOMAIN}", "CNAME", f"{target}."))
        if dkim_keys:
            records.append((target, "TXT", "KEY"))
    return tuple(records)


def _many_includes() -> tuple[tuple[str, str, str], ...]:
    names = [f"vendor{i}.example" for i in range(1, 6)]
    spf = (
        "v=spf1 ip4:198.51.100.7 include:spf.protection.outlook.com "
        + " ".join(f"include:{n}" for n in names)
        + " -all"
    )
    extra = []
    for i, n in enumerate(names, start=1):
        extra += [
            (n, "TXT", _txt(f"v=spf1 a:mta.{n} mx -all")),
            (f"mta.{n}", "A", f"192.0.2.{i}"),
            (n, "MX", f"10 mta.{n}."),
        ]
    return _base(spf) + tuple(extra)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "ready",
            "Everything set up as Microsoft 365 asks",
            _base("v=spf1 ip4:198.51.100.7 include:spf.protection.outlook.com -all"),
        ),
        Scenario(
            "scanner-not-in-spf",
            "The scanner's IP is missing from SPF while DMARC rejects",
            _base("v=spf1 include:spf.protection.outlook.com -all"),
        ),
        Scenario("too-many-lookups", "SPF needs more than 10 DNS lookups", _many_includes()),
        Scenario(
            "dkim-not-enabled",
            "DKIM CNAMEs published, but signing was never enabled",
            _base(
                "v=spf1 ip4:198.51.100.7 include:spf.protection.outlook.com ~all",
                dkim_keys=False,
                dmarc="v=DMARC1; p=none",
            ),
        ),
    )
}


def _zone(scenario: Scenario) -> dict[tuple[dns.name.Name, int], dns.rrset.RRset]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for name, rtype, text in scenario.records:
        value = _txt(_key_record()) if text == "KEY" else text
        grouped.setdefault((name, rtype), []).append(value)
    zone: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
    for (name, rtype), values in grouped.items():
        rrset = dns.rrset.from_text_list(name + ".", 300, "IN", rtype, values)
        zone[(rrset.name, rrset.rdtype)] = rrset
    return zone


class _Answerer:
    def __init__(self, scenario: Scenario) -> None:
        self.zone = _zone(scenario)
        self.names = {name for name, _type in self.zone}
        self.queries = 0

    def reply(self, wire: bytes, udp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # garbage on the port: no answer, as a real server would do
            return None
        self.queries += 1
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if query.question:
            self._fill(response, query.question[0].name, query.question[0].rdtype)
        out = response.to_wire()
        if udp and len(out) > _UDP_LIMIT:
            response.answer.clear()
            response.flags |= dns.flags.TC
            out = response.to_wire()
        return bytes(out)

    def _fill(self, response: dns.message.Message, name: dns.name.Name, rdtype: int) -> None:
        for _hop in range(8):
            found = self.zone.get((name, rdtype))
            if found is not None:
                response.answer.append(found)
                return
            alias = self.zone.get((name, dns.rdatatype.CNAME))
            if alias is None:
                if name not in self.names:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                return
            response.answer.append(alias)
            name = alias[0].target
        response.set_rcode(dns.rcode.SERVFAIL)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, answerer: _Answerer) -> None:
        self.answerer = answerer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        out = self.answerer.reply(data, udp=True)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


class DemoDns:
    """``async with DemoDns("ready") as demo:`` then use ``demo.address`` as the nameserver."""

    def __init__(self, scenario: str = "ready") -> None:
        if scenario not in SCENARIOS:
            raise ConfigError(
                f"unknown demo scenario {scenario!r}; try: {', '.join(SCENARIOS)}", field="demo"
            )
        self.scenario = SCENARIOS[scenario]
        self.answerer = _Answerer(self.scenario)
        self.port = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def queries(self) -> int:
        return self.answerer.queries

    async def start(self) -> DemoDns:
        loop = asyncio.get_running_loop()
        for _attempt in range(20):
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _Udp(self.answerer), local_addr=("127.0.0.1", 0)
            )
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, "127.0.0.1", port)
            except OSError:
                transport.close()
                continue
            self._udp, self.port = transport, port
            return self
        raise OSError("could not bind UDP and TCP on one loopback port")

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            size = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 5))[0]
            data = await asyncio.wait_for(reader.readexactly(size), 5)
            out = self.answerer.reply(data, udp=False)
            if out is not None:
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    async def __aenter__(self) -> DemoDns:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
