"""An in-process DNS server for tests: dnslib on 127.0.0.1, UDP and TCP on the same port.

It answers from a :class:`Zone` the way a recursive resolver would: it follows CNAME chains
inside the zone (and reports a loop as SERVFAIL), tells NXDOMAIN (name absent) from NODATA
(name present, type absent), truncates UDP answers over 512 bytes so the client must retry
over TCP, can answer SERVFAIL for chosen names, can stay silent for chosen names or types,
can truncate every answer for chosen names (over TCP too), and can add a fixed delay to every
answer. Every query received is logged.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dnslib import AAAA, CNAME, MX, NS, PTR, QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel, DNSRecord
from dnslib.server import DNSHandler, DNSLogger, DNSServer

__all__ = ["DnsTestServer", "Query", "Zone", "serve"]

_Key = tuple[bytes, ...]
_MAX_CHAIN = 12


def _key(name: str | DNSLabel) -> _Key:
    labels = (
        name.label
        if isinstance(name, DNSLabel)
        else tuple(part.encode() for part in name.rstrip(".").split(".") if part)
    )
    return tuple(bytes(label).lower() for label in labels)


def _rdata(rtype: str, value: Any) -> Any:
    if rtype == "A":
        return A(value)
    if rtype == "AAAA":
        return AAAA(value)
    if rtype == "MX":
        preference, exchange = value
        return MX(exchange or ".", preference)
    if rtype in ("PTR", "CNAME", "NS"):
        return {"PTR": PTR, "CNAME": CNAME, "NS": NS}[rtype](value)
    if rtype == "TXT":
        strings = [value] if isinstance(value, str | bytes) else list(value)
        return TXT([s.encode() if isinstance(s, str) else s for s in strings])
    raise ValueError(f"unsupported record type {rtype}")


@dataclass
class Zone:
    """Records by name, plus names that answer SERVFAIL or not at all."""

    records: dict[_Key, list[RR]] = field(default_factory=dict)
    servfail: set[_Key] = field(default_factory=set)
    silent: dict[_Key, frozenset[str] | None] = field(default_factory=dict)
    truncated: set[_Key] = field(default_factory=set)

    def add(self, name: str, rtype: str, value: Any, ttl: int = 300) -> Zone:
        """Add one record; MX value is (preference, exchange), TXT a string or list of them."""
        rr = RR(name, getattr(QTYPE, rtype), rdata=_rdata(rtype, value), ttl=ttl)
        self.records.setdefault(_key(name), []).append(rr)
        return self

    def txt(self, name: str, *strings: str | bytes) -> Zone:
        """One TXT record whose character-strings are ``strings`` (long ones split at 255)."""
        parts: list[bytes] = []
        for s in strings:
            raw = s.encode() if isinstance(s, str) else s
            parts.extend(raw[i : i + 255] for i in range(0, max(len(raw), 1), 255))
        return self.add(name, "TXT", parts)

    def touch(self, name: str) -> Zone:
        """Make ``name`` exist with no records (answers are NODATA, not NXDOMAIN)."""
        self.records.setdefault(_key(name), [])
        return self

    def fail(self, name: str) -> Zone:
        """Every query for ``name`` gets SERVFAIL."""
        self.servfail.add(_key(name))
        return self

    def truncate(self, name: str) -> Zone:
        """Answers for ``name`` come with TC set and no records, over TCP too (a broken
        server or middlebox): the client cannot get the data any other way."""
        self.truncated.add(_key(name))
        return self

    def never_answer(self, name: str, *, except_types: Iterable[str] = ()) -> Zone:
        """Queries for ``name`` get no reply at all, except for the types listed."""
        kept = frozenset(t.upper() for t in except_types)
        self.silent[_key(name)] = kept or None
        return self

    @classmethod
    def from_text(cls, text: str) -> Zone:
        """Zone-file lines (``name TTL IN TYPE data``), parsed by dnslib."""
        zone = cls()
        for rr in RR.fromZone(text):
            zone.records.setdefault(_key(rr.rname), []).append(rr)
        return zone

    def merge(self, other: Zone) -> Zone:
        for key, rrs in other.records.items():
            self.records.setdefault(key, []).extend(rrs)
        self.servfail |= other.servfail
        self.silent.update(other.silent)
        self.truncated |= other.truncated
        return self

    def is_silent(self, key: _Key, qtype: str) -> bool:
        if key not in self.silent:
            return False
        kept = self.silent[key]
        return kept is None or qtype not in kept


@dataclass(frozen=True)
class Query:
    name: str
    qtype: str
    protocol: str


class _ZoneResolver:
    def __init__(self, server: DnsTestServer) -> None:
        self.server = server

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord | None:
        server = self.server
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        server._record(Query(str(qname).rstrip(".").lower(), qtype, handler.protocol))
        if server.delay:
            time.sleep(server.delay)
        zone = server.zone
        key = _key(qname)
        if server.silent or zone.is_silent(key, qtype):
            return None
        reply = request.reply()
        reply.header.ra = 1
        if key in zone.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        _answer(zone, reply, key, qtype)
        return reply


def _answer(zone: Zone, reply: DNSRecord, key: _Key, qtype: str) -> None:
    seen = {key}
    for _ in range(_MAX_CHAIN):
        if key in zone.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return
        rrs = zone.records.get(key)
        if rrs is None:
            reply.header.rcode = RCODE.NXDOMAIN
            _add_soa(reply, key)
            return
        wanted = [rr for rr in rrs if QTYPE[rr.rtype] == qtype]
        if wanted:
            for rr in wanted:
                reply.add_answer(rr)
            return
        alias = next((rr for rr in rrs if rr.rtype == QTYPE.CNAME), None)
        if alias is None:
            _add_soa(reply, key)
            return
        reply.add_answer(alias)
        key = _key(alias.rdata.label)
        if key in seen:
            break
        seen.add(key)
    reply.header.rcode = RCODE.SERVFAIL  # CNAME loop or chain too long
    reply.rr = []


def _add_soa(reply: DNSRecord, key: _Key) -> None:
    apex = b".".join(key[-2:]).decode(errors="replace") or "test"
    soa = SOA(f"ns.{apex}", f"hostmaster.{apex}", (1, 3600, 600, 86400, 60))
    reply.add_auth(RR(apex, QTYPE.SOA, rdata=soa, ttl=60))


def _truncated(reply: DNSRecord) -> DNSRecord:
    """The header and question with TC set (dnslib's own truncate() drops the question)."""
    short = DNSRecord(header=reply.header, q=reply.q)
    short.header.tc = 1
    short.rr, short.auth, short.ar = [], [], []
    return short


class _Handler(DNSHandler):
    """dnslib's handler, plus: no reply when the resolver returns None; UDP capped at 512."""

    udplen = 512

    def get_reply(self, data: bytes) -> bytes | None:
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        if reply is None:
            return None
        packed = reply.pack()
        always = _key(request.q.qname) in self.server.resolver.server.zone.truncated
        if always or (self.protocol == "udp" and len(packed) > self.udplen):
            packed = _truncated(reply).pack()
        return bytes(packed)

    def handle(self) -> None:
        if self.server.socket_type == socket.SOCK_STREAM:
            self.protocol = "tcp"
            data = self._read_tcp()
            if data is None:
                return
        else:
            self.protocol = "udp"
            data, connection = self.request
        reply = self.get_reply(data)
        if reply is None:
            if self.protocol == "tcp":
                time.sleep(self.server.resolver.server.silence_hold)
            return
        if self.protocol == "tcp":
            self.request.sendall(len(reply).to_bytes(2, "big") + reply)
        else:
            connection.sendto(reply, self.client_address)

    def _read_tcp(self) -> bytes | None:
        data = b""
        while len(data) < 2 or len(data) - 2 < int.from_bytes(data[:2], "big"):
            chunk = self.request.recv(8192)
            if not chunk:
                return None
            data += chunk
        return data[2:]


def same_port_pair(
    make: Callable[[int, bool], DNSServer], attempts: int = 20
) -> tuple[DNSServer, DNSServer]:
    """A UDP and a TCP server on one loopback port, from ``make(port, tcp)``; the port the OS
    hands the UDP socket may already be taken for TCP, so a clash picks another port."""
    for _attempt in range(attempts):
        udp = make(0, False)
        try:
            return udp, make(udp.server.server_address[1], True)
        except OSError:
            udp.server.server_close()
    raise RuntimeError("could not bind UDP and TCP on the same loopback port")


class DnsTestServer:
    """UDP + TCP DNS server on 127.0.0.1 in background threads. Use as a context manager."""

    def __init__(self, zone: Zone | None = None, *, delay: float = 0.0) -> None:
        self.zone = zone or Zone()
        self.delay = delay
        self.silent = False
        self.silence_hold = 5.0
        self.queries: list[Query] = []
        self._lock = threading.Lock()
        self._servers: list[DNSServer] = []
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _record(self, query: Query) -> None:
        with self._lock:
            self.queries.append(query)

    def reset_log(self) -> None:
        with self._lock:
            self.queries.clear()

    def start(self) -> DnsTestServer:
        resolver = _ZoneResolver(self)
        logger = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        udp, tcp = same_port_pair(
            lambda port, tcp: DNSServer(
                resolver,
                address="127.0.0.1",
                port=port,
                tcp=tcp,
                logger=logger,
                handler=_Handler,
            )
        )
        self.port = udp.server.server_address[1]
        self._servers = [udp, tcp]
        for server in self._servers:
            thread = threading.Thread(
                target=server.server.serve_forever, kwargs={"poll_interval": 0.05}
            )
            thread.daemon = True
            thread.start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()
        self._servers = []

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(zone: Zone | None = None, *, delay: float = 0.0) -> Iterator[DnsTestServer]:
    with DnsTestServer(zone, delay=delay) as server:
        yield server
