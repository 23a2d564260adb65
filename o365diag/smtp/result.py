"""The connection test result (``o365diag.smtp/1``): its title, facts and views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.result import Result
from o365diag.smtp.model import OAuthRecord, SmtpData, TranscriptLine
from o365diag.smtp.render import render_html, render_text
from o365diag.typed import dump

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SCHEMA", "SmtpResult"]

SCHEMA = "o365diag.smtp/1"


@dataclass
class SmtpResult(Result):
    """One SMTP session: target, steps, transcript, TLS, outcome and the diagnosis."""

    SCHEMA: ClassVar[str] = SCHEMA
    MODEL: ClassVar[type[Any] | None] = SmtpData

    @property
    def model(self) -> SmtpData:
        return self.typed(SmtpData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        target = data.get("target")
        if not isinstance(target, Mapping):
            return "SMTP connection test"
        return (
            f"SMTP connection test: {target.get('host') or '?'}:{target.get('port')} "
            f"({target.get('profile')})"
        )

    def add_oauth(self, record: OAuthRecord) -> None:
        """Record the device-code sign-in that ran before the session."""
        self.data["oauth"] = dump(record)

    def facts(self) -> list[tuple[str, Any]]:
        data = self.model
        target = data.target
        failed = data.failed_step
        reply = failed.reply if failed else None
        return [
            ("Target", f"{target.host}:{target.port}" if target.host else None),
            ("Profile", target.profile),
            ("Outcome", data.outcome),
            ("Failed step", failed.name if failed else None),
            ("Reply", f"{reply.code} {reply.text}" if reply else None),
            ("TLS", data.tls.version if data.tls else None),
        ]

    def to_text(self, transcript: bool = True) -> str:
        return render_text(self, transcript=transcript)

    def body_html(self) -> str:
        return render_html(self)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import smtp_steps_figure

        figure = smtp_steps_figure(self.model.steps)
        return [figure] if figure is not None else []

    def markdown_extra(self) -> list[str]:
        transcript = _transcript_tail(self.model.transcript)
        if not transcript:
            return []
        fence = "`" * max(3, _longest_backtick_run(transcript) + 1)
        return ["", "Transcript (last lines):", "", fence, transcript, fence]


def _transcript_tail(transcript: list[TranscriptLine], limit: int = 25) -> str:
    arrows = {"send": "->", "recv": "<-"}
    return "\n".join(f"{arrows.get(line.dir, '==')} {line.line}" for line in transcript[-limit:])


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest
