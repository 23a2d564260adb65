"""Plain data for one probe session: replies, step results, transcript lines, TLS facts."""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

__all__ = [
    "AUTH_MECHANISMS",
    "PROFILE_NAMES",
    "STEP_NAMES",
    "STOP_POINTS",
    "TLS_MODES",
    "TLS_VERSIONS",
    "PeerCertificate",
    "Reply",
    "StepResult",
    "StepStatus",
    "TlsInfo",
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

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


class Reply(NamedTuple):
    """One server reply: the code, the RFC 3463 enhanced code when present, and the text."""

    code: int
    text: str
    enhanced: str | None = None

    @classmethod
    def parse(cls, code: int, message: str) -> Reply:
        """Build from aiosmtplib's (code, message): the message starts with the enhanced code."""
        first_line = message.split("\n", 1)[0]
        match = _ENHANCED.match(first_line)
        return cls(code=code, text=message, enhanced=match.group(0) if match else None)

    @property
    def finding_code(self) -> str:
        return f"smtp.{self.enhanced or self.code}"

    @property
    def one_line(self) -> str:
        return f"{self.code} {self.text.splitlines()[0] if self.text else ''}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "enhanced": self.enhanced, "text": self.text}


class StepResult:
    """What one step did: its status, timing, the server's reply and, for a local failure,
    the finding code that explains it."""

    __slots__ = (
        "detail",
        "elapsed_ms",
        "error_code",
        "name",
        "recipient",
        "reply",
        "started_ms",
        "status",
    )

    def __init__(
        self,
        name: str,
        status: StepStatus,
        *,
        reply: Reply | None = None,
        detail: str = "",
        error_code: str | None = None,
        recipient: str | None = None,
    ) -> None:
        self.name = name
        self.status: StepStatus = status
        self.reply = reply
        self.detail = detail
        self.error_code = error_code
        self.recipient = recipient
        self.started_ms: float | None = None
        self.elapsed_ms: float | None = None

    def __repr__(self) -> str:
        return f"StepResult({self.name!r}, {self.status!r}, reply={self.reply!r})"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "started_ms": _round(self.started_ms),
            "elapsed_ms": _round(self.elapsed_ms),
            "reply": self.reply.to_dict() if self.reply else None,
            "detail": self.detail or None,
            "error": self.error_code,
            "recipient": self.recipient,
        }


class TranscriptLine(NamedTuple):
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

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "t_ms": _round(self.t_ms),
            "dir": self.dir,
            "tls": self.tls,
            "line": self.line,
        }
        if self.error:
            data["error"] = True
        if self.unexpected:
            data["unexpected"] = True
        return data


class PeerCertificate(NamedTuple):
    subject: str | None
    issuer: str | None
    san: tuple[str, ...] = ()
    not_after: str | None = None
    days_left: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "san": list(self.san),
            "not_after": self.not_after,
            "days_left": self.days_left,
        }


class TlsInfo:
    """What the TLS handshake gave (or, for a failed one, what went wrong)."""

    __slots__ = ("cipher", "error", "mode", "peer_cert", "server_name", "verified", "version")

    def __init__(
        self,
        *,
        version: str | None = None,
        cipher: str | None = None,
        verified: bool | None = None,
        peer_cert: PeerCertificate | None = None,
        mode: str = "starttls",
        server_name: str | None = None,
        error: str | None = None,
    ) -> None:
        self.version = version
        self.cipher = cipher
        self.verified = verified
        self.peer_cert = peer_cert
        self.mode = mode
        self.server_name = server_name
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cipher": self.cipher,
            "verified": self.verified,
            "peer_cert": self.peer_cert.to_dict() if self.peer_cert else None,
            "mode": self.mode,
            "server_name": self.server_name,
            "error": self.error,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
