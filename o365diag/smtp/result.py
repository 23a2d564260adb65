"""The connection test result (``o365diag.smtp/1``): its title, facts and views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.result import Result
from o365diag.smtp.render import render_html, render_text

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SCHEMA", "SmtpResult"]

SCHEMA = "o365diag.smtp/1"


@dataclass
class SmtpResult(Result):
    """One SMTP session: target, steps, transcript, TLS, outcome and the diagnosis."""

    SCHEMA: ClassVar[str] = SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        target = data.get("target")
        if not isinstance(target, Mapping):
            return "SMTP connection test"
        return (
            f"SMTP connection test: {target.get('host') or '?'}:{target.get('port')} "
            f"({target.get('profile')})"
        )

    def facts(self) -> list[tuple[str, Any]]:
        data = self.data
        target = data.get("target") or {}
        failed = next((s for s in data.get("steps") or [] if s.get("status") == "failed"), None)
        reply = (failed or {}).get("reply") or {}
        return [
            ("Target", _join(target.get("host"), target.get("port"), ":")),
            ("Profile", target.get("profile")),
            ("Outcome", data.get("outcome")),
            ("Failed step", failed.get("name") if failed else None),
            ("Reply", _join(reply.get("code"), reply.get("text"), " ") if reply else None),
            ("TLS", (data.get("tls") or {}).get("version")),
        ]

    def to_text(self, transcript: bool = True) -> str:
        return render_text(self, transcript=transcript)

    def body_html(self) -> str:
        return render_html(self)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import smtp_steps_figure

        figure = smtp_steps_figure(self.data["steps"])
        return [figure] if figure is not None else []

    def markdown_extra(self) -> list[str]:
        transcript = _transcript_tail(self.data.get("transcript"))
        if not transcript:
            return []
        fence = "`" * max(3, _longest_backtick_run(transcript) + 1)
        return ["", "Transcript (last lines):", "", fence, transcript, fence]


def _join(first: Any, second: Any, separator: str) -> str | None:
    if first is None:
        return None
    return f"{first}{separator}{second}" if second is not None else str(first)


def _transcript_tail(transcript: Any, limit: int = 25) -> str:
    if not isinstance(transcript, list):
        return ""
    lines = []
    for entry in transcript[-limit:]:
        if isinstance(entry, Mapping):
            arrow = {"send": "->", "recv": "<-"}.get(str(entry.get("dir")), "==")
            lines.append(f"{arrow} {entry.get('line', '')}")
    return "\n".join(lines)


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest
