"""What a probe saw: the target and the finished session (the input of the diagnosis).

Plain data, no network: the probe fills it in, ``diagnose`` reads it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from o365diag.smtp.config import ProbeConfig
from o365diag.smtp.model import StepResult, TlsInfo, TranscriptLine
from o365diag.smtp.resolve import MxRecord

__all__ = ["Session", "Target"]


class Target:
    """Where the session goes; filled in by the resolve and connect steps."""

    __slots__ = ("addresses", "connected", "host", "mx", "port", "profile")

    def __init__(self, host: str | None, port: int, profile: str) -> None:
        self.host, self.port, self.profile = host, port, profile
        self.addresses: list[str] = []
        self.mx: list[MxRecord] = []
        self.connected: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "profile": self.profile,
            "addresses": list(self.addresses),
            "mx": [{"preference": r.preference, "host": r.host} for r in self.mx],
            "connected_address": self.connected,
        }


class Session(NamedTuple):
    """Everything a finished (or stopped) probe saw; the input of the diagnosis."""

    config: ProbeConfig
    target: Target
    steps: list[StepResult]
    transcript: list[TranscriptLine]
    tls: TlsInfo | None
    extensions: dict[str, str]
    auth_mechanism: str | None
    helo: str
    outcome: str
    stopped_after: str | None

    def to_data(self) -> dict[str, Any]:
        return {
            "target": self.target.to_dict(),
            "helo": self.helo,
            "steps": [s.to_dict() for s in self.steps],
            "transcript": [line.to_dict() for line in self.transcript],
            "tls": self.tls.to_dict() if self.tls else None,
            "extensions": [f"{k.upper()} {v}".strip() for k, v in self.extensions.items()],
            "auth_mechanism": self.auth_mechanism,
            "outcome": self.outcome,
            "stopped_after": self.stopped_after,
        }
