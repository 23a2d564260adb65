"""What a probe saw: the finished session (the input of the diagnosis).

Plain data, no network: the probe fills it in, ``diagnose`` reads it.
"""

from __future__ import annotations

from typing import NamedTuple

from o365diag.smtp.config import ProbeConfig
from o365diag.smtp.model import (
    AuthName,
    Outcome,
    SmtpData,
    StepResult,
    Target,
    TlsInfo,
    TranscriptLine,
)

__all__ = ["Session", "Target"]


class Session(NamedTuple):
    """Everything a finished (or stopped) probe saw; the input of the diagnosis."""

    config: ProbeConfig
    target: Target
    steps: list[StepResult]
    transcript: list[TranscriptLine]
    tls: TlsInfo | None
    extensions: dict[str, str]
    auth_mechanism: AuthName | None
    helo: str
    outcome: Outcome
    stopped_after: str | None

    def to_model(self) -> SmtpData:
        """The result's data (the OAuth sign-in, when there was one, is added later)."""
        return SmtpData(
            target=self.target,
            helo=self.helo,
            steps=[step.saved() for step in self.steps],
            transcript=[line.saved() for line in self.transcript],
            tls=self.tls,
            extensions=[f"{k.upper()} {v}".strip() for k, v in self.extensions.items()],
            auth_mechanism=self.auth_mechanism,
            outcome=self.outcome,
            stopped_after=self.stopped_after,
        )
