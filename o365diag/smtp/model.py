"""The data of one probe session: what the probe fills in step by step and what an
``o365diag.smtp/1`` result saves (replies, steps, transcript lines, TLS facts, the target, the
OAuth sign-in). The same data classes serve both: a saved result loads back into them
(``o365diag.typed``), so the views read one typed shape, fresh or saved."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "AUTH_MECHANISMS",
    "PROFILE_NAMES",
    "STEP_NAMES",
    "STOP_POINTS",
    "TLS_MODES",
    "TLS_VERSIONS",
    "AuthName",
    "MxRecord",
    "OAuthRecord",
    "Outcome",
    "PeerCertificate",
    "ProfileName",
    "Reply",
    "SimulatorRun",
    "SmtpData",
    "StepResult",
    "StepStatus",
    "Target",
    "TlsInfo",
    "TlsMode",
    "TranscriptLine",
]

STEP_NAMES = (
    "resolve",
    "connect",
    "banner",
    "ehlo",
    "starttls",
    "ehlo-tls",
    "auth",
    "mail",
    "rcpt",
    "data",
    "quit",
)
# Every step except quit can end a session early (like swaks --quit-after).
STOP_POINTS = STEP_NAMES[:-1]
PROFILE_NAMES = ("submission", "direct-send", "relay")
TLS_MODES = ("auto", "starttls", "implicit", "none")
AUTH_MECHANISMS = ("auto", "login", "plain", "xoauth2")
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")

StepStatus = Literal["ok", "failed", "skipped"]
Direction = Literal["send", "recv", "info"]
ProfileName = Literal["submission", "direct-send", "relay"]
TlsMode = Literal["auto", "starttls", "implicit", "none"]
Outcome = Literal["sent", "accepted-no-data", "failed"]
AuthName = Literal["login", "plain", "xoauth2"]

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


@dataclass(frozen=True)
class Reply:
    """One server reply: the code, the RFC 3463 enhanced code when present, and the text."""

    code: int
    text: str
    enhanced: str | None = None

    @classmethod
    def parse(cls, code: int, message: str) -> Reply:
        """Build from aiosmtplib's (code, message): the message starts with the enhanced code."""
        first_line = message.split("\n", 1)[0]
        match = _ENHANCED.match(first_line)
        return cls(code=code, enhanced=match.group(0) if match else None, text=message)

    @property
    def finding_code(self) -> str:
        return f"smtp.{self.enhanced or self.code}"

    @property
    def one_line(self) -> str:
        return f"{self.code} {self.text.splitlines()[0] if self.text else ''}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "enhanced": self.enhanced, "text": self.text}


@dataclass
class StepResult:
    """What one step did: its status, timing, the server's reply and, for a local failure,
    ``error``, the finding code that explains it. ``name`` is one of ``STEP_NAMES`` (the
    command line also shows the OAuth sign-in as a step named ``oauth``; it is never saved)."""

    name: str
    status: StepStatus
    started_ms: float | None = None
    elapsed_ms: float | None = None
    reply: Reply | None = None
    detail: str | None = None
    error: str | None = None
    recipient: str | None = None

    def __post_init__(self) -> None:
        self.detail = self.detail or None  # an empty detail is saved as null

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def label(self) -> str:
        """The step's name, with the recipient for a RCPT step."""
        return f"{self.name} {self.recipient}" if self.recipient else self.name

    @property
    def what(self) -> str:
        """The server's reply in one line, or the reason when there is none."""
        return self.reply.one_line if self.reply else (self.detail or "")

    def saved(self) -> StepResult:
        """This step as saved: times rounded to the microsecond."""
        return StepResult(
            self.name,
            self.status,
            _round(self.started_ms),
            _round(self.elapsed_ms),
            self.reply,
            self.detail,
            self.error,
            self.recipient,
        )


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the session as sent, received or noted; credentials already redacted."""

    t_ms: float
    dir: Direction
    tls: bool
    line: str
    error: bool = False
    unexpected: bool = False

    @property
    def hint(self) -> str:
        """The swaks transaction hint for this line (`` ->``, ``<~ ``, ``===``...)."""
        if self.dir == "info":
            return "***" if self.error else "==="
        if self.dir == "send":
            return " ~>" if self.tls else " ->"
        if self.unexpected:
            return "<~*" if self.tls else "<**"
        return "<~ " if self.tls else "<- "

    def render(self, with_time: bool = True) -> str:
        text = f"{self.hint} {self.line}"
        return f"[{self.t_ms / 1000:8.3f}] {text}" if with_time else text

    def saved(self) -> TranscriptLine:
        return TranscriptLine(
            round(self.t_ms, 3), self.dir, self.tls, self.line, self.error, self.unexpected
        )


@dataclass(frozen=True)
class PeerCertificate:
    subject: str | None
    issuer: str | None
    san: tuple[str, ...] = ()
    not_after: str | None = None
    days_left: int | None = None


@dataclass
class TlsInfo:
    """What the TLS handshake gave (or, for a failed one, what went wrong)."""

    version: str | None = None
    cipher: str | None = None
    verified: bool | None = None
    peer_cert: PeerCertificate | None = None
    mode: TlsMode = "starttls"
    server_name: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class MxRecord:
    preference: int
    host: str


@dataclass
class Target:
    """Where the session goes; filled in by the resolve and connect steps."""

    host: str | None
    port: int
    profile: ProfileName
    addresses: list[str] = field(default_factory=list)
    mx: list[MxRecord] = field(default_factory=list)
    connected_address: str | None = None


@dataclass(frozen=True)
class OAuthRecord:
    """The device-code sign-in before the session, safe to show: never the token itself."""

    flow: Literal["device-code"]
    authority: str
    client_id: str
    scopes: list[str]
    account: str | None
    elapsed_ms: float
    expires_in: int | None
    result: Literal["token", "failed"]
    error: str | None
    detail: str | None


@dataclass(frozen=True)
class SimulatorRun:
    """The simulator scenario a setup plan's verify step ran the session against."""

    scenario: str
    note: str


@dataclass(kw_only=True)
class SmtpData:
    """The data of an ``o365diag.smtp/1`` result, key for key (in the order saved). The probe
    writes every key; the defaults let a shorter hand-made or older save still load."""

    target: Target
    helo: str = ""
    steps: list[StepResult] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    tls: TlsInfo | None = None
    # The EHLO extensions as the server listed them ("SIZE 37748736", "STARTTLS").
    extensions: list[str] = field(default_factory=list)
    auth_mechanism: AuthName | None = None
    outcome: Outcome
    stopped_after: str | None = None
    oauth: OAuthRecord | None = None
    demo: SimulatorRun | None = None

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if step.failed), None)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
