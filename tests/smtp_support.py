"""Real loopback servers for the SMTP tests: misbehaving TCP servers, a plain aiosmtpd server
and an in-process DNS server (dnslib). Nothing here is a mock: every test talks over sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from o365diag.smtp.certs import LocalCA
from o365diag.smtp.config import ProbeConfig

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def loopback_config(port: int, **changes: object) -> ProbeConfig:
    """A direct-send session to 127.0.0.1:port without TLS, short timeouts; change at will."""
    base = ProbeConfig(
        mail_from="device@example.com",
        rcpt_to=("rcpt@example.com",),
        profile="direct-send",
        host="localhost",
        connect_address="127.0.0.1",
        port=port,
        helo="device.example.com",
        timeout=0.5,
        tls_mode="none",
    )
    return base.with_changes(**changes)


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def full_backlog_listener() -> Iterator[int]:
    """A listener whose accept queue is full, so new SYNs are dropped: connect times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = int(server.getsockname()[1])
    fillers = []
    for _ in range(4):
        client = socket.socket()
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
        fillers.append(client)
    try:
        yield port
    finally:
        for client in fillers:
            client.close()
        server.close()


@contextlib.asynccontextmanager
async def raw_server(behaviour: Behaviour) -> AsyncIterator[int]:
    """A TCP server on loopback whose every connection runs ``behaviour``."""
    server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, never greet."""
    with contextlib.suppress(Exception):
        await reader.read()
    writer.close()


def greets_with(*lines: str) -> Behaviour:
    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write("".join(f"{line}\r\n" for line in lines).encode())
        with contextlib.suppress(Exception):
            await writer.drain()
            await reader.read()
        writer.close()

    return behaviour


async def resets_after_ehlo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Greet, read EHLO, then reset the connection (RST via SO_LINGER 0)."""
    writer.write(b"220 reset.example ESMTP\r\n")
    await writer.drain()
    await reader.readline()
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextlib.asynccontextmanager
async def plain_aiosmtpd(
    *, tls_folder: Path | None = None, ca: LocalCA | None = None, **smtp_options: object
) -> AsyncIterator[int]:
    """aiosmtpd's own SMTP server (not the simulator), with optional STARTTLS; it accepts
    user ``user@example.com`` with password ``pw-for-tests``."""
    context = None
    if tls_folder is not None and ca is not None:
        cert, key = ca.issue(["localhost", "127.0.0.1"]).write(tls_folder, "plain")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == (
            b"user@example.com",
            b"pw-for-tests",
        )
        return AuthResult(success=ok, handled=False)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            _AcceptAll(),
            hostname="plain.example",
            tls_context=context,
            authenticator=authenticator,
            loop=loop,
            **smtp_options,
        ),
        "127.0.0.1",
        0,
    )
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


class _AcceptAll:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


class DnsServer:
    """dnslib serving one zone on 127.0.0.1 over UDP and TCP, in threads."""

    def __init__(self, zone: str) -> None:
        from dnslib.server import DNSLogger, DNSServer
        from dnslib.zoneresolver import ZoneResolver

        from tests.dnsserver import same_port_pair

        resolver = ZoneResolver(zone)
        quiet = DNSLogger(logf=lambda _message: None)
        self.udp, self.tcp = same_port_pair(
            lambda port, tcp: DNSServer(
                resolver, address="127.0.0.1", port=port, tcp=tcp, logger=quiet
            )
        )
        self.port = self.udp.server.server_address[1]

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DnsServer:
        self.udp.start_thread()
        self.tcp.start_thread()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.udp.stop()
        self.tcp.stop()


@contextlib.contextmanager
def silent_udp_port() -> Iterator[int]:
    """A UDP socket that receives DNS queries and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()
