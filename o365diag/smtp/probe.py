"""The probe: one SMTP session run step by step, each step timed, with its reply.

``await probe.step()`` runs the next step and returns its :class:`StepResult` (``None`` once
the session is over), so a notebook can run one step per click; ``async for result in probe``
does the same in a loop and :meth:`Probe.run` runs everything and returns the SmtpResult.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from typing import NamedTuple, cast

from aiosmtplib import (
    SMTPDataError,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from o365diag.smtp.config import ProbeConfig
from o365diag.smtp.diagnose import build_report
from o365diag.smtp.model import (
    STEP_NAMES,
    AuthName,
    Outcome,
    PeerCertificate,
    ProfileName,
    Reply,
    StepResult,
    StepStatus,
    Target,
    TlsInfo,
    TlsMode,
    TranscriptLine,
)
from o365diag.smtp.resolve import ResolveError, lookup_mx, resolve_host
from o365diag.smtp.result import SmtpResult
from o365diag.smtp.session import Session
from o365diag.smtp.tlsinfo import (
    build_context,
    classify_ssl_error,
    describe_tls,
    peer_cert_from_der,
)
from o365diag.smtp.transcript import Recorder, TranscriptProtocol
from o365diag.smtp.wire import SMTPProtocol, parse_esmtp_extensions

__all__ = ["Probe", "Session", "Target", "run_probe"]

StepFunc = Callable[[], Awaitable[StepResult]]
# After these the connection cannot carry a QUIT, so it is closed at once.
_CONNECTION_UNUSABLE = frozenset({"reply.timeout", "reply.malformed", "connection.reset"})


class _Action(NamedTuple):
    name: str
    run: StepFunc
    recipient: str | None = None


class Probe:
    """One SMTP session against one target, run a step at a time."""

    def __init__(self, config: ProbeConfig) -> None:
        self.config = config.validate()
        self.profile = config.profile_info
        self.recorder = Recorder()
        self.recorder.add_secrets(_secret_forms(config))
        mode = config.effective_tls_mode
        self.tls_context = build_context(config) if mode != "none" else None
        self.helo = config.helo or _default_helo()
        self.target = Target(
            config.host or self.profile.host,
            config.effective_port,
            cast(ProfileName, config.profile),  # ProbeConfig.validate allows only PROFILES
        )
        self.results: list[StepResult] = []
        self.tls: TlsInfo | None = None
        self.extensions: dict[str, str] = {}
        self.auth_methods: list[str] = []
        self.auth_mechanism: AuthName | None = None
        self._protocol: TranscriptProtocol | None = None
        self._plan: Iterator[_Action] = self._actions()
        self._done = False
        self._mail_accepted = False
        self._data_sent = False
        self._blocked: str | None = None

    # ----------------------------------------------------------------- public API
    @property
    def done(self) -> bool:
        return self._done

    @property
    def transcript(self) -> list[TranscriptLine]:
        return self.recorder.lines

    async def step(self, on_start: Callable[[str], None] | None = None) -> StepResult | None:
        """Run the next step and return its result; ``None`` when the session is over.
        ``on_start`` is called with the step's name just before it runs."""
        if self._done:
            return None
        action = next(self._plan, None)
        if action is None:
            self._done = True
            if on_start is not None and self._connected:
                on_start("quit")
            return await self._quit()
        if on_start is not None:
            on_start(action.name)
        result = await self._run(action)
        self.results.append(result)
        return result

    def __aiter__(self) -> AsyncIterator[StepResult]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StepResult]:
        while (result := await self.step()) is not None:
            yield result

    async def run(self) -> SmtpResult:
        """Run the remaining steps and return the Report."""
        async for _ in self:
            pass
        return self.report()

    def block(self, reason: str) -> None:
        """End the session before its first step because a prerequisite failed (such as the
        OAuth sign-in): every step is reported as not run, for ``reason``."""
        if self.results:
            raise RuntimeError("the session has already started")
        self._done, self._blocked = True, reason

    async def aclose(self) -> None:
        """Drop the connection without finishing the session (for abandoned step-throughs)."""
        self._done = True
        self._close()

    async def __aenter__(self) -> Probe:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def session(self) -> Session:
        return Session(
            config=self.config,
            target=self.target,
            steps=sorted(  # stable: recipients keep their order
                self.results + self._skipped_steps(), key=lambda s: STEP_NAMES.index(s.name)
            ),
            transcript=list(self.recorder.lines),
            tls=self.tls,
            extensions=dict(self.extensions),
            auth_mechanism=self.auth_mechanism,
            helo=self.helo,
            outcome=self._outcome(),
            stopped_after=self._stopped_after(),
        )

    def report(self) -> SmtpResult:
        return build_report(self.session())

    # ----------------------------------------------------------------- the plan
    def _actions(self) -> Iterator[_Action]:
        config = self.config
        for name, run in (
            ("resolve", self._resolve),
            ("connect", self._connect),
            ("banner", self._banner),
            ("ehlo", partial(self._ehlo, "ehlo")),
        ):
            if not self._may_run(name):
                return
            yield _Action(name, run)
        if self._starttls_wanted():
            for name in ("starttls", "ehlo-tls"):
                if not self._may_run(name):
                    return
                yield _Action(
                    name, self._starttls if name == "starttls" else partial(self._ehlo, name)
                )
        if config.has_credentials:
            if not self._may_run("auth"):
                return
            yield _Action("auth", self._auth)
        if not self._may_run("mail"):
            return
        yield _Action("mail", self._mail)
        for rcpt in config.rcpt_to:
            if not self._may_run("rcpt"):
                return
            yield _Action("rcpt", partial(self._rcpt, rcpt), rcpt)
        if (
            config.send
            and self._may_run("data")
            and all(r.ok for r in self.results if r.name == "rcpt")
        ):
            yield _Action("data", self._data)

    def _may_run(self, name: str) -> bool:
        stop = self.config.stop_after
        if stop is not None and STEP_NAMES.index(name) > STEP_NAMES.index(stop):
            return False
        if not self.results or not self.results[-1].failed:
            return True
        # A refused recipient does not end the session: the others are still tried.
        last = self.results[-1]
        return last.name == name == "rcpt" and last.reply is not None and self._connected

    def _starttls_wanted(self) -> bool:
        mode = self.config.effective_tls_mode
        return mode == "starttls" or (mode == "auto" and "starttls" in self.extensions)

    @property
    def _connected(self) -> bool:
        return self._protocol is not None and self._protocol.is_connected

    # ----------------------------------------------------------------- step runner
    async def _run(self, action: _Action) -> StepResult:
        started = self.recorder.now_ms()
        try:
            result = await action.run()
        except Exception as exc:  # every failure becomes a finding, never a traceback
            result = self._failure_from_exception(action.name, exc)
        result.started_ms = started
        result.elapsed_ms = self.recorder.now_ms() - started
        result.recipient = action.recipient
        if result.failed:
            if result.reply is not None:
                self.recorder.flag_last_reply()
            if result.error:
                self.recorder.info(result.detail or "", error=True)
        return result

    def _failure_from_exception(self, name: str, exc: Exception) -> StepResult:
        if isinstance(exc, ResolveError):
            code, detail = exc.code, exc.detail
        elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
            code, detail = classify_ssl_error(exc)
        elif isinstance(exc, SMTPTimeoutError | TimeoutError):
            waited = self.config.step_timeout("data" if name == "data" else "command")
            code, detail = "reply.timeout", f"no reply from the server within {waited:g} s"
        elif isinstance(exc, SMTPServerDisconnected | ConnectionError):
            cause = exc.__cause__ or exc
            code, detail = "connection.reset", f"the server closed the connection ({cause})"
        elif isinstance(exc, SMTPResponseException):
            code, detail = "reply.malformed", f"the server's reply is not SMTP ({exc.message})"
        else:
            code, detail = "probe.error", f"{type(exc).__name__}: {exc}"
        if code in _CONNECTION_UNUSABLE or code.startswith("tls."):
            self._close()
        return StepResult(name, "failed", detail=detail, error=code)

    def _expect(
        self, name: str, response: SMTPResponse, expected: tuple[int, ...], detail: str = ""
    ) -> StepResult:
        reply = Reply.parse(response.code, response.message)
        status: StepStatus = "ok" if reply.code in expected else "failed"
        return StepResult(name, status, reply=reply, detail=detail)

    # ----------------------------------------------------------------- the steps
    async def _resolve(self) -> StepResult:
        config = self.config
        if self.target.host is None:
            domain = config.mx_domain
            self.target.mx = await lookup_mx(
                domain, nameserver=config.nameserver, timeout=config.timeout
            )
            self.target.host = self.target.mx[0].host
            for record in self.target.mx:
                self.recorder.info(f"MX {domain}: {record.preference} {record.host}")
        host = self.target.host
        if config.connect_address:
            self.target.addresses = [config.connect_address]
            where = " (this machine)" if _is_loopback(config.connect_address) else ""
            detail = f"{host}: using the given address {config.connect_address}{where}"
        else:
            self.target.addresses = await resolve_host(
                host,
                self.target.port,
                family=config.family,
                nameserver=config.nameserver,
                timeout=config.timeout,
            )
            detail = f"{host} -> {', '.join(self.target.addresses)}"
        self.recorder.info(detail)
        return StepResult("resolve", "ok", detail=detail)

    async def _connect(self) -> StepResult:
        failure = StepResult(
            "connect", "failed", detail="no address to connect to", error="dns.no-address"
        )
        for address in self.target.addresses:
            self.recorder.info(f"Trying {_hostport(address, self.target.port)}...")
            failure = await self._connect_one(address)
            if failure.ok:
                return failure
            self.recorder.info(failure.detail or "", error=True)
        failure.error = failure.error or "connect.failed"
        return failure

    async def _connect_one(self, address: str) -> StepResult:
        config, loop = self.config, asyncio.get_running_loop()
        implicit = config.effective_tls_mode == "implicit"
        server_name = self._server_name()
        connect_timeout = config.step_timeout("connect")
        try:
            _transport, protocol = await asyncio.wait_for(
                loop.create_connection(
                    lambda: TranscriptProtocol(self.recorder, loop=loop),
                    address,
                    self.target.port,
                    ssl=self.tls_context if implicit else None,
                    server_hostname=server_name if implicit else None,
                    ssl_handshake_timeout=connect_timeout if implicit else None,
                    local_addr=(config.source_address, 0) if config.source_address else None,
                ),
                connect_timeout,
            )
        except TimeoutError:
            return _local_failure(
                "connect",
                "connect.timeout",
                f"no TCP connection to {address} within {connect_timeout:g} s",
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            return await self._tls_failure("connect", exc, address)
        except ConnectionRefusedError:
            return _local_failure(
                "connect",
                "connect.refused",
                f"{_hostport(address, self.target.port)} refused the "
                "connection (nothing listens there, or a firewall rejects it)",
            )
        except OSError as exc:
            return _local_failure(
                "connect", "connect.failed", f"cannot connect to {address}: {exc.strerror or exc}"
            )
        self._protocol = protocol
        self.target.connected_address = address
        if implicit:
            self._record_tls("implicit")
        return StepResult("connect", "ok", detail=f"connected to {address}")

    @property
    def _command_timeout(self) -> float:
        return self.config.step_timeout("command")

    async def _banner(self) -> StepResult:
        response = await self._require_protocol().read_response(timeout=self._command_timeout)
        return self._expect("banner", response, (220,))

    async def _ehlo(self, name: str) -> StepResult:
        protocol = self._require_protocol()
        response = await protocol.execute_command(
            b"EHLO", self.helo.encode("ascii"), timeout=self._command_timeout
        )
        if response.code in (500, 502):  # a server without ESMTP: fall back to HELO
            response = await protocol.execute_command(
                b"HELO", self.helo.encode("ascii"), timeout=self._command_timeout
            )
            return self._expect(name, response, (250,), detail="EHLO refused; used HELO")
        if response.code == 250:
            self.extensions, self.auth_methods = parse_esmtp_extensions(response.message)
        return self._expect(name, response, (250,))

    async def _starttls(self) -> StepResult:
        if "starttls" not in self.extensions:
            return _local_failure(
                "starttls",
                "starttls.not-offered",
                "the server did not offer STARTTLS in its EHLO reply",
            )
        assert self.tls_context is not None
        protocol = self._require_protocol()
        try:
            response = await protocol.start_tls(
                self.tls_context,
                server_hostname=self._server_name(),
                timeout=self._command_timeout,
            )
        except SMTPResponseException as exc:
            if exc.code < 0:
                raise
            return self._expect("starttls", SMTPResponse(exc.code, exc.message), (220,))
        except (ssl.SSLError, ssl.CertificateError) as exc:
            return await self._tls_failure("starttls", exc, self.target.connected_address)
        except (SMTPServerDisconnected, SMTPTimeoutError) as exc:
            if "upgrading transport" not in str(exc):  # aiosmtplib's wording for the handshake
                raise
            return self._handshake_dropped(exc)
        self.extensions, self.auth_methods = {}, []  # RFC 3207: forget the pre-TLS EHLO
        self._record_tls("starttls")
        return self._expect("starttls", response, (220,))

    async def _auth(self) -> StepResult:
        config = self.config
        mechanism = self._choose_mechanism()
        self.auth_mechanism = mechanism
        over_tls = self.tls is not None and self.tls.version is not None
        if not over_tls and not config.allow_plaintext_auth:
            return _local_failure(
                "auth",
                "auth.plaintext-refused",
                "credentials were not sent: the connection is not encrypted "
                "(use STARTTLS, or --allow-plaintext-auth on a trusted network)",
            )
        if not self.auth_methods:
            return _local_failure(
                "auth", "auth.not-offered", "the server's EHLO reply offers no AUTH mechanism"
            )
        if mechanism not in self.auth_methods:
            return _local_failure(
                "auth",
                "auth.mechanism-unsupported",
                f"AUTH {mechanism.upper()} is not offered (offered: "
                f"{' '.join(m.upper() for m in self.auth_methods)})",
            )
        self.recorder.redacting = True
        try:
            response = await self._authenticate(mechanism)
        finally:
            self.recorder.redacting = False
        return self._expect("auth", response, (235,), detail=f"AUTH {mechanism.upper()}")

    def _choose_mechanism(self) -> AuthName:
        wanted = self.config.auth_mechanism
        if wanted != "auto":
            return cast(AuthName, wanted)  # ProbeConfig.validate allows only AUTH_MECHANISMS
        if self.config.token:
            return "xoauth2"
        return (
            "plain"
            if "plain" in self.auth_methods and "login" not in self.auth_methods
            else "login"
        )

    async def _authenticate(self, mechanism: str) -> SMTPResponse:
        config, protocol = self.config, self._require_protocol()
        user = (config.username or "").encode("utf-8")
        timeout = config.step_timeout("command")
        if mechanism == "xoauth2":
            token = config.token.reveal() if config.token else ""
            blob = base64.b64encode(
                b"user=" + user + b"\x01auth=Bearer " + token.encode() + b"\x01\x01"
            )
            response = await protocol.execute_command(b"AUTH", b"XOAUTH2", blob, timeout=timeout)
            if response.code == 334:  # an error challenge: acknowledge it to get the verdict
                self.recorder.info(f"XOAUTH2 error challenge: {_decode_challenge(response)}")
                response = await protocol.execute_command(b"", timeout=timeout)
            return response
        password = (config.password.reveal() if config.password else "").encode("utf-8")
        if mechanism == "plain":  # with the initial response (RFC 4954): one round trip
            blob = base64.b64encode(b"\0" + user + b"\0" + password)
            return await protocol.execute_command(b"AUTH", b"PLAIN", blob, timeout=timeout)
        response = await protocol.execute_command(b"AUTH", b"LOGIN", timeout=timeout)
        for value in (user, password):
            if response.code != 334:
                break
            response = await protocol.execute_command(base64.b64encode(value), timeout=timeout)
        return response

    async def _mail(self) -> StepResult:
        response = await self._require_protocol().execute_command(
            b"MAIL",
            b"FROM:<" + self.config.mail_from.encode("utf-8") + b">",
            timeout=self._command_timeout,
        )
        result = self._expect("mail", response, (250,))
        self._mail_accepted = result.ok
        return result

    async def _rcpt(self, recipient: str) -> StepResult:
        response = await self._require_protocol().execute_command(
            b"RCPT", b"TO:<" + recipient.encode("utf-8") + b">", timeout=self._command_timeout
        )
        return self._expect("rcpt", response, (250, 251))

    async def _data(self) -> StepResult:
        message = self.config.message or build_test_message(self.config)
        self.recorder.begin_data()
        try:
            response = await self._require_protocol().execute_data_command(
                message, timeout=self.config.step_timeout("data")
            )
        except SMTPDataError as exc:
            response = SMTPResponse(exc.code, exc.message)
        finally:
            self.recorder.end_data()
        result = self._expect("data", response, (250,))
        self._data_sent = result.ok
        return result

    async def _quit(self) -> StepResult | None:
        greeted = any(r.name == "banner" for r in self.results)
        if not self._connected or not greeted:  # before the banner a QUIT reply is ambiguous
            self._close()
            return None
        protocol = self._require_protocol()
        started = self.recorder.now_ms()
        try:
            if self._mail_accepted and not self._data_sent:
                await protocol.execute_command(b"RSET", timeout=self._command_timeout)
            response = await protocol.execute_command(b"QUIT", timeout=self._command_timeout)
            result = self._expect("quit", response, (221,))
        except Exception as exc:
            result = self._failure_from_exception("quit", exc)
        finally:
            self._close()
        result.started_ms, result.elapsed_ms = started, self.recorder.now_ms() - started
        self.results.append(result)
        self.recorder.info("Connection closed with remote host.")
        return result

    # ----------------------------------------------------------------- helpers
    def _require_protocol(self) -> TranscriptProtocol:
        if self._protocol is None or not self._protocol.is_connected:
            raise SMTPServerDisconnected("not connected")
        return self._protocol

    def _server_name(self) -> str:
        return self.config.tls_name or self.target.host or ""

    def _close(self) -> None:
        protocol = self._protocol
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

    def _record_tls(self, mode: TlsMode) -> None:
        assert self._protocol is not None and self._protocol.transport is not None
        ssl_object = self._protocol.transport.get_extra_info("ssl_object")
        self.tls = describe_tls(ssl_object, mode, self._server_name())
        cipher = ssl_object.cipher()
        self.recorder.info(
            f"TLS started with cipher {self.tls.version}:{self.tls.cipher}:{cipher[2]}",
            tls=True,
        )
        peer = self.tls.peer_cert
        if peer is not None:
            self.recorder.info(
                f"TLS peer subject: {peer.subject}; issuer: {peer.issuer}; "
                f"not after: {peer.not_after}",
                tls=True,
            )
        self.recorder.info(
            "TLS peer certificate "
            + ("verified" if self.tls.verified else "NOT verified (--insecure)"),
            tls=True,
        )

    async def _tls_failure(self, step: str, exc: BaseException, address: str | None) -> StepResult:
        code, detail = classify_ssl_error(exc)
        self._close()
        self.tls = TlsInfo(
            verified=False,
            mode=self.config.effective_tls_mode,
            server_name=self._server_name(),
            error=detail,
        )
        if code.startswith("tls.cert") and address is not None:
            self.tls.peer_cert = await self._inspect_certificate(address)
            if self.tls.peer_cert is not None:
                peer = self.tls.peer_cert
                self.recorder.info(
                    f"the server presented: subject {peer.subject}; issuer {peer.issuer}; "
                    f"names {', '.join(peer.san) or '-'}; not after {peer.not_after}"
                )
        return _local_failure(step, code, detail)

    def _handshake_dropped(self, exc: Exception) -> StepResult:
        self._close()
        limit = self.config.tls_max_version
        detail = f"the server dropped the TLS handshake ({exc})"
        if limit in ("1.0", "1.1"):
            return _local_failure(
                "starttls",
                "tls.legacy-version",
                f"{detail}; this client offered at most TLS {limit}",
            )
        return _local_failure("starttls", "tls.handshake-failed", detail)

    async def _inspect_certificate(self, address: str) -> PeerCertificate | None:
        """Fetch the certificate again without verifying it, to show what was presented."""
        try:
            return await asyncio.wait_for(
                fetch_peer_certificate(
                    address,
                    self.target.port,
                    self.config.effective_tls_mode,
                    self._server_name(),
                    self.helo,
                    self.config.step_timeout("connect"),
                ),
                self.config.step_timeout("connect"),
            )
        except (OSError, TimeoutError, SMTPResponseException, ssl.SSLError):
            return None

    # ----------------------------------------------------------------- summary
    def _outcome(self) -> Outcome:
        ran = [r for r in self.results if r.name != "quit"]
        if self._blocked or any(r.failed for r in ran):
            return "failed"
        return "sent" if self._data_sent else "accepted-no-data"

    def _stopped_after(self) -> str | None:
        stop = self.config.stop_after
        ran = [r for r in self.results if r.name != "quit"]
        if stop is None or not ran or any(r.failed for r in ran):
            return None
        return ran[-1].name

    def _skipped_steps(self) -> list[StepResult]:
        seen = {r.name for r in self.results}
        tried = {r.recipient for r in self.results if r.name == "rcpt"}
        skipped: list[StepResult] = []
        for name in STEP_NAMES:
            if name == "rcpt":
                skipped.extend(
                    StepResult("rcpt", "skipped", detail=self._skip_reason("rcpt"), recipient=r)
                    for r in self.config.rcpt_to
                    if r not in tried
                )
            elif name not in seen:
                skipped.append(StepResult(name, "skipped", detail=self._skip_reason(name)))
        return skipped

    def _failed_before(self, name: str) -> bool:
        """True when a step that comes before ``name`` in a session failed."""
        position = STEP_NAMES.index(name)
        return any(
            r.failed and r.name in STEP_NAMES and STEP_NAMES.index(r.name) < position
            for r in self.results
            if r.name != "quit"
        )

    def _skip_reason(self, name: str) -> str:
        config = self.config
        if self._blocked:
            return f"not run: {self._blocked}"
        if self._failed_before(name):
            return "not run: an earlier step failed"
        if config.stop_after and STEP_NAMES.index(name) > STEP_NAMES.index(config.stop_after):
            return f"not run: stopped after {config.stop_after}"
        if name in ("starttls", "ehlo-tls"):
            return f"not used (TLS mode {config.effective_tls_mode})"
        if name == "auth" and config.profile != "submission":
            return f"not used: {config.profile} sends without AUTH (the MX endpoint offers none)"
        if name == "auth":
            return "no credentials given"
        if name == "data":
            return "DATA is only sent when a test message is asked for"
        return "not run"


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _local_failure(name: str, code: str, detail: str) -> StepResult:
    return StepResult(name, "failed", detail=detail, error=code)


def _hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _decode_challenge(response: SMTPResponse) -> str:
    try:
        decoded = base64.b64decode(response.message, validate=True).decode("utf-8")
        return json.dumps(json.loads(decoded), sort_keys=True)
    except (ValueError, UnicodeDecodeError):
        return response.message[:200]


def _secret_forms(config: ProbeConfig) -> list[str]:
    """Every form in which a credential could reach the wire, or come back from a server that
    repeats it: the value, its base64 (a LOGIN answer), the PLAIN and the XOAUTH2 blobs. The
    base64 forms lose their padding, so an echo without the ``=`` is found too."""
    user = (config.username or "").encode("utf-8")
    forms: list[str] = []
    for secret in (config.password, config.token):
        if not secret:
            continue
        raw = secret.reveal().encode("utf-8")
        forms.append(secret.reveal())
        for blob in (
            raw,
            b"\0" + user + b"\0" + raw,
            b"user=" + user + b"\x01auth=Bearer " + raw + b"\x01\x01",
        ):
            forms.append(base64.b64encode(blob).decode("ascii").rstrip("="))
    return forms


def _default_helo() -> str:
    import socket

    name = socket.gethostname() or "localhost"
    return name if _looks_like_helo(name) else "localhost"


def _looks_like_helo(name: str) -> bool:
    return bool(name) and all(33 <= ord(ch) < 127 for ch in name)


def build_test_message(config: ProbeConfig) -> bytes:
    """A small plain-text message; headers are ASCII so no encoding step is needed."""
    from email.utils import formatdate, make_msgid

    domain = config.mail_from.rsplit("@", 1)[1]
    lines = [
        f"From: <{config.mail_from}>",
        f"To: {', '.join(f'<{r}>' for r in config.rcpt_to)}",
        "Subject: o365diag connection test",
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {make_msgid('o365diag', domain=domain)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "This message was sent by o365diag to test the SMTP connection of a device.",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


async def fetch_peer_certificate(
    address: str, port: int, mode: str, server_name: str, helo: str, timeout: float
) -> PeerCertificate | None:
    """Connect again with verification off and return the certificate the server presents."""
    loop = asyncio.get_running_loop()
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    implicit = mode == "implicit"
    transport, protocol = await loop.create_connection(
        lambda: SMTPProtocol(loop=loop),
        address,
        port,
        ssl=context if implicit else None,
        server_hostname=server_name if implicit else None,
    )
    try:
        if not implicit:
            await protocol.read_response(timeout=timeout)
            await protocol.execute_command(b"EHLO", helo.encode("ascii"), timeout=timeout)
            await protocol.start_tls(context, server_hostname=server_name, timeout=timeout)
        assert protocol.transport is not None
        der = protocol.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
        return peer_cert_from_der(der) if der else None
    finally:
        (protocol.transport or transport).close()


async def run_probe(config: ProbeConfig) -> SmtpResult:
    """Run a whole session and return its Report."""
    probe = Probe(config)
    try:
        return await probe.run()
    finally:
        await probe.aclose()
