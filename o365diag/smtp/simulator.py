"""An Office 365-like SMTP server on aiosmtpd, for demo mode and tests.

It answers like smtp.office365.com (role ``submission``: STARTTLS, then AUTH LOGIN/XOAUTH2,
MAIL only after AUTH and only as the signed-in mailbox) or like a tenant's MX endpoint (role
``mx``: anonymous mail to the tenant's accepted domain, relay only through a matching
connector). Each scenario adds the behaviour of one support ticket, and carries the client
settings that reproduce it, so ``o365diag smtp --demo NAME`` shows it end to end.
A local CA is generated at start; its certificate is written to :attr:`Simulator.cafile`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from o365diag.errors import ConfigError
from o365diag.knowledge import load_table
from o365diag.smtp.certs import LocalCA
from o365diag.smtp.config import ProbeConfig, Secret

__all__ = [
    "DEMO_USER",
    "MX_HOST",
    "SCENARIOS",
    "SUBMISSION_HOST",
    "TENANT_DOMAIN",
    "Behaviour",
    "Scenario",
    "Simulator",
    "get_scenario",
]

TENANT_DOMAIN = "example.com"
EXTERNAL_RECIPIENT = "partner@example.net"
INTERNAL_RECIPIENT = f"colleague@{TENANT_DOMAIN}"
DEMO_USER = f"scanner@{TENANT_DOMAIN}"
SUBMISSION_HOST = "smtp.office365.com"
MX_HOST = "example-com.mail.protection.outlook.com"
DEMO_HELO = "scanner01.example.com"
_BANNER_NAMES = {
    "submission": "SIM01P01CA0001.outlook.office365.com",
    "mx": "SIM01NAM01FT001.mail.protection.outlook.com",
}
_MAX_SIZE = 157286400


def known_reply(key: str, code: int | None = None, suffix: str = "") -> str:
    """A reply as Exchange Online words it, from the catalogue ``smtp_replies`` (entry
    ``key``), so the simulator and the diagnosis read the same text."""
    entry = load_table("smtp_replies").lookup(key)
    if entry is None:
        raise KeyError(f"{key} is not in smtp_replies.json")
    enhanced = entry.get("enhanced")
    if isinstance(enhanced, list):
        enhanced = enhanced[-1]
    number = code if code is not None else entry.get("code")
    return f"{number} {enhanced} {entry.get('text')}{suffix}"


_AUTH_DISABLED = known_reply("E07")
_BASIC_RETIRED = known_reply("E12")
_LEGACY_TLS = known_reply("E01")


@dataclass(frozen=True)
class Behaviour:
    """How the server deviates from a healthy Microsoft 365 endpoint."""

    role: str = "submission"
    auth_reply: str | None = None
    basic_retired: bool = False
    credentials_valid: bool = True
    legacy_tls: bool = False
    connector_ips: tuple[str, ...] | None = None
    connector_cert_domain: str | None = None
    mail_reply: str | None = None
    offer_plain: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    profile: str
    expect: str
    behaviour: Behaviour = Behaviour()
    client: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def _scenarios() -> dict[str, Scenario]:
    mx = Behaviour(role="mx")
    items = [
        Scenario("healthy", "Healthy SMTP AUTH submission", "submission", "session.accepted"),
        Scenario(
            "oauth",
            "SMTP AUTH with OAuth (XOAUTH2)",
            "submission",
            "session.accepted",
            client={"auth_mechanism": "xoauth2"},
        ),
        Scenario(
            "wrong-password",
            "Wrong password",
            "submission",
            "smtp.5.7.3",
            Behaviour(credentials_valid=False),
        ),
        Scenario(
            "oauth-bad-token",
            "XOAUTH2 token refused (error challenge)",
            "submission",
            "smtp.5.7.3",
            Behaviour(credentials_valid=False),
            client={"auth_mechanism": "xoauth2"},
        ),
        Scenario(
            "auth-disabled",
            "SMTP AUTH disabled for the tenant",
            "submission",
            "smtp.5.7.139",
            Behaviour(auth_reply=_AUTH_DISABLED),
        ),
        Scenario(
            "basic-auth-retired",
            "Basic auth retired for client submission",
            "submission",
            "smtp.5.7.30",
            Behaviour(basic_retired=True),
        ),
        Scenario(
            "no-auth",
            "MAIL without AUTH on the submission endpoint",
            "submission",
            "smtp.5.7.57",
            client={"username": None},
        ),
        Scenario(
            "send-as-denied",
            "MAIL FROM is not the signed-in mailbox",
            "submission",
            "smtp.5.7.60",
            client={"mail_from": f"manager@{TENANT_DOMAIN}"},
        ),
        Scenario(
            "starttls-required",
            "Device has TLS turned off",
            "submission",
            "smtp.5.7.0",
            client={"tls_mode": "none", "username": None},
        ),
        Scenario(
            "legacy-tls",
            "Device only speaks TLS 1.0/1.1",
            "submission",
            "smtp.4.7.66",
            Behaviour(legacy_tls=True),
            client={"tls_max_version": "1.1"},
        ),
        Scenario(
            "direct-send",
            "Healthy direct send to an internal recipient",
            "direct-send",
            "session.accepted",
            mx,
        ),
        Scenario(
            "unable-to-relay",
            "Direct send to an external recipient",
            "direct-send",
            "smtp.5.7.1",
            mx,
            client={"rcpt_to": (EXTERNAL_RECIPIENT,)},
        ),
        Scenario(
            "relay",
            "Healthy relay through an IP-based connector",
            "relay",
            "session.accepted",
            Behaviour(role="mx", connector_ips=("127.0.0.1", "::1")),
            client={"rcpt_to": (EXTERNAL_RECIPIENT,)},
        ),
        Scenario(
            "relay-attribution",
            "Connector no longer matches the sending IP",
            "relay",
            "smtp.5.7.64",
            Behaviour(role="mx", connector_ips=("203.0.113.10",)),
            client={"rcpt_to": (EXTERNAL_RECIPIENT,)},
        ),
        Scenario(
            "bad-helo",
            "Device says HELO with the server's own name",
            "direct-send",
            "smtp.5.7.506",
            mx,
            client={"helo": MX_HOST},
        ),
        Scenario(
            "throttled",
            "Sending IP throttled (try again later)",
            "direct-send",
            "smtp.4.7.500",
            Behaviour(
                role="mx",
                mail_reply=("451 4.7.500 Access denied, please try again later. [{peer}]"),
            ),
        ),
        Scenario(
            "banned-ip",
            "Sending IP on the blocked senders list",
            "direct-send",
            "smtp.5.7.606",
            Behaviour(
                role="mx", mail_reply=("550 5.7.606 Access denied, banned sending IP [{peer}]")
            ),
        ),
    ]
    return {s.name: s for s in items}


SCENARIOS: dict[str, Scenario] = _scenarios()


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(
            f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}", field="scenario"
        ) from None


class Simulator:
    """Run with ``async with Simulator("wrong-password") as sim:`` on the current loop."""

    def __init__(
        self,
        scenario: str | Scenario = "healthy",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        password: str | None = None,
        token: str | None = None,
        tls: str = "starttls",
        cert_names: tuple[str, ...] | None = None,
        cert_expired: bool = False,
        behaviour: Behaviour | None = None,
        idle_timeout: float = 60,
    ) -> None:
        self.scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
        self.behaviour = behaviour or self.scenario.behaviour
        self.host, self.port, self.tls = host, port, tls
        self.password = password or secrets.token_urlsafe(12)
        self.token = token or secrets.token_urlsafe(24)
        self.public_name = SUBMISSION_HOST if self.behaviour.role == "submission" else MX_HOST
        self.banner_name = _BANNER_NAMES[self.behaviour.role]
        self._cert_names = cert_names
        self._cert_expired = cert_expired
        self._idle_timeout = idle_timeout
        self.ca: LocalCA | None = None
        self.cafile: Path | None = None
        self.messages: list[Envelope] = []
        self._folder: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[SMTP] = set()

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> Simulator:
        self._folder = Path(tempfile.mkdtemp(prefix="o365diag-sim-"))
        self.ca = LocalCA("o365diag simulator CA")
        self.cafile = self.ca.write_ca(self._folder)
        names = self._cert_names or (
            self.public_name,
            self.banner_name,
            SUBMISSION_HOST,
            MX_HOST,
            "localhost",
            "127.0.0.1",
            "::1",
        )
        cert_path, key_path = self.ca.issue(names, expired=self._cert_expired).write(
            self._folder, "server"
        )
        context = self._server_context(cert_path, key_path)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._new_session(context, loop),
            self.host,
            self.port,
            ssl=context if self.tls == "implicit" else None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.close()
            await self._server.wait_closed()
            self._server = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _server_context(self, cert_path: Path, key_path: Path) -> ssl.SSLContext:
        assert self.ca is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        # Client certificates are optional: they let a connector recognise the sender.
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cadata=self.ca.cert_pem.decode("ascii"))
        if self.behaviour.legacy_tls:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        return context

    def _new_session(self, context: ssl.SSLContext, loop: asyncio.AbstractEventLoop) -> SMTP:
        handler = _Handler(self)
        server = _SimulatedSMTP(
            handler,
            hostname=self.banner_name,
            ident="Microsoft ESMTP MAIL Service ready (o365diag simulator)",
            tls_context=context if self.tls == "starttls" else None,
            auth_require_tls=False,
            authenticator=handler.authenticate,
            auth_exclude_mechanism=[] if self.behaviour.offer_plain else ["PLAIN"],
            enable_SMTPUTF8=True,
            data_size_limit=_MAX_SIZE,
            timeout=self._idle_timeout,
            loop=loop,
        )
        self._connections.add(server)
        return server

    def forget(self, server: SMTP) -> None:
        self._connections.discard(server)

    # ------------------------------------------------------------ demo client
    def client_config(self, **overrides: Any) -> ProbeConfig:
        """Settings for a probe that reproduces this scenario against this server."""
        assert self.cafile is not None, "start the simulator first"
        scenario = self.scenario
        submission = scenario.profile == "submission"
        settings: dict[str, Any] = {
            "mail_from": DEMO_USER,
            "rcpt_to": (INTERNAL_RECIPIENT,),
            "profile": scenario.profile,
            "host": self.public_name,
            "port": self.port,
            "connect_address": self.host,
            "cafile": str(self.cafile),
            "helo": DEMO_HELO,
            "timeout": 5.0,
            "username": DEMO_USER if submission else None,
            "password": Secret(self.password) if submission else None,
        }
        settings.update(scenario.client)
        if settings.get("auth_mechanism") == "xoauth2":
            settings["token"], settings["password"] = Secret(self.token), None
        if settings.get("username") is None:
            settings["password"] = settings["token"] = None
        settings.update(overrides)
        return ProbeConfig(**settings)


class _QuietSession(Session):
    """aiosmtpd's session without the deprecation warning aiosmtpd itself triggers on every
    successful AUTH (it sets ``login_data``): the server's logger is left as it is."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _SimulatedSMTP(SMTP):
    """aiosmtpd's server with Microsoft 365's wording where the two differ."""

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    async def smtp_AUTH(self, arg: str) -> None:
        if not _over_tls(self):
            await self.push(known_reply("E05"))
            return
        await super().smtp_AUTH(arg)

    def connection_lost(self, error: Exception | None) -> None:
        self.event_handler.simulator.forget(self)
        super().connection_lost(error)


def _over_tls(server: SMTP) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


def _peer_ip(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) else "unknown"


class _Handler:
    """The aiosmtpd handler hooks: where the Microsoft 365 behaviour lives."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.behaviour = simulator.behaviour
        self.submission = self.behaviour.role == "submission"
        self.own_names = {
            n.lower()
            for n in (simulator.public_name, simulator.banner_name, SUBMISSION_HOST, MX_HOST)
        }

    # -------------------------------------------------------------- EHLO
    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        if hostname.lower().rstrip(".") in self.own_names:
            return [known_reply("E39", 550)]
        tls = _over_tls(server)
        if tls and self.behaviour.legacy_tls and _tls_version(server) in ("TLSv1", "TLSv1.1"):
            return [_LEGACY_TLS]
        session.host_name = hostname
        lines = [
            f"{server.hostname} Hello [{_peer_ip(session)}]",
            f"SIZE {_MAX_SIZE}",
            "PIPELINING",
            "ENHANCEDSTATUSCODES",
        ]
        if server.tls_context is not None and not tls:
            lines.append("STARTTLS")
        if tls and self.submission:
            lines.append("AUTH " + " ".join(self._mechanisms()))
        lines += ["8BITMIME", "SMTPUTF8"]
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    def _mechanisms(self) -> list[str]:
        return ["LOGIN", "PLAIN", "XOAUTH2"] if self.behaviour.offer_plain else ["LOGIN", "XOAUTH2"]

    # -------------------------------------------------------------- AUTH
    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """LOGIN and PLAIN (called by aiosmtpd with the decoded user name and password)."""
        if self.behaviour.auth_reply:
            return AuthResult(success=False, handled=False, message=self.behaviour.auth_reply)
        if self.behaviour.basic_retired or not self.submission:
            return AuthResult(success=False, handled=False, message=_BASIC_RETIRED)
        if isinstance(auth_data, LoginPassword) and self._password_ok(auth_data):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False, message=self._auth_failed(server))

    def _password_ok(self, auth_data: LoginPassword) -> bool:
        valid = self.behaviour.credentials_valid
        user = auth_data.login.decode("utf-8", "replace").lower()
        given = auth_data.password.decode("utf-8", "replace")
        return (
            valid and user == DEMO_USER and secrets.compare_digest(given, self.simulator.password)
        )

    def _auth_failed(self, server: SMTP) -> str:
        return known_reply("E06", suffix=f" [{server.hostname}]")

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        blob: bytes | object = _b64(args[1]) if len(args) > 1 else await server.challenge_auth("")
        if blob is MISSING or not isinstance(blob, bytes):
            return AuthResult(success=False, handled=True)
        if self.behaviour.auth_reply:
            return AuthResult(success=False, handled=False, message=self.behaviour.auth_reply)
        user, token = _parse_xoauth2(blob)
        if (
            self.behaviour.credentials_valid
            and user == DEMO_USER
            and secrets.compare_digest(token, self.simulator.token)
        ):
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        status = {
            "status": "401",
            "schemes": "bearer",
            "scope": "https://outlook.office.com/SMTP.Send",
        }
        await server.challenge_auth(json.dumps(status))
        return AuthResult(success=False, handled=False, message=self._auth_failed(server))

    # -------------------------------------------------------------- envelope
    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        refusal = self._mail_refusal(server, session, address)
        if refusal:
            return refusal
        envelope.mail_from, envelope.mail_options = address, list(mail_options)
        return "250 2.1.0 Sender OK"

    def _mail_refusal(self, server: SMTP, session: Session, address: str) -> str | None:
        if self.submission:
            if not _over_tls(server):
                return "530 5.7.0 Must issue a STARTTLS command first"
            if not session.authenticated:
                return known_reply("E13", suffix=f" [{server.hostname}]")
            login = getattr(session.auth_data, "login", b"").decode("utf-8", "replace")
            if address.lower() != login.lower():
                return known_reply("E14")
        if self.behaviour.mail_reply:
            return self.behaviour.mail_reply.format(peer=_peer_ip(session))
        return None

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = address.rsplit("@", 1)[-1].lower()
        if not self.submission and domain != TENANT_DOMAIN:
            if self._connector_matches(server, session):
                pass
            elif self._has_connector:
                return known_reply("E22")
            else:
                return known_reply("E24")
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    @property
    def _has_connector(self) -> bool:
        b = self.behaviour
        return b.connector_ips is not None or b.connector_cert_domain is not None

    def _connector_matches(self, server: SMTP, session: Session) -> bool:
        if _peer_ip(session) in (self.behaviour.connector_ips or ()):
            return True
        wanted = self.behaviour.connector_cert_domain
        if wanted is None or server.transport is None:
            return False
        ssl_object = server.transport.get_extra_info("ssl_object")
        cert = ssl_object.getpeercert() if ssl_object is not None else None
        names = [value for _kind, value in (cert or {}).get("subjectAltName", ())]
        return any(n.lower() == wanted or n.lower().endswith("." + wanted) for n in names)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.simulator.messages.append(envelope)
        queue_id = secrets.token_hex(8).upper()
        return f"250 2.6.0 <{queue_id}@{server.hostname}> Queued mail for delivery"


def _tls_version(server: SMTP) -> str | None:
    ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
    return ssl_object.version() if ssl_object is not None else None


def _b64(text: str) -> bytes | object:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return MISSING


def _parse_xoauth2(blob: bytes) -> tuple[str, str]:
    fields = dict(
        part.split("=", 1) for part in blob.decode("utf-8", "replace").split("\x01") if "=" in part
    )
    token = fields.get("auth", "")
    return fields.get("user", "").lower(), token.removeprefix("Bearer ")
