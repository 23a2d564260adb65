"""Text and HTML views of an ``o365diag.smtp/1`` result, drawn from its typed data
(``SmtpData``), so a saved JSON result renders the same way as a fresh one. ``html`` loads
only for the HTML views: a ``--json`` run does not need it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from o365diag.findings import MONOSPACE, Report, render_findings_html
from o365diag.smtp.model import SmtpData, StepResult, TlsInfo, TranscriptLine

if TYPE_CHECKING:
    from o365diag.smtp.result import SmtpResult

__all__ = [
    "render_html",
    "render_text",
    "render_transcript",
    "step_line",
    "steps_html",
    "summary_rows",
    "transcript_html",
]

_MARKS = {"ok": " ok ", "failed": "FAIL", "skipped": "skip"}


def step_line(step: StepResult) -> str:
    """One line per step for live output: mark, name, time and reply (or reason)."""
    elapsed = f"{step.elapsed_ms:8.1f} ms" if step.elapsed_ms is not None else " " * 11
    return f"[{_MARKS[step.status]}] {step.label:<10} {elapsed}  {step.what}".rstrip()


def render_transcript(lines: Iterable[TranscriptLine], *, with_time: bool = True) -> str:
    return "\n".join(line.render(with_time) for line in lines)


def summary_rows(data: SmtpData) -> list[tuple[str, str]]:
    """The session's summary as (label, text): target, profile, addresses, outcome, TLS."""
    target = data.target
    rows = [
        ("Target", f"{target.host}:{target.port}"),
        ("Profile", target.profile),
        ("Addresses", ", ".join(target.addresses) or "-"),
        ("Outcome", data.outcome),
    ]
    if data.tls is not None:
        rows += _tls_rows(data.tls)
    return rows


def _tls_rows(tls: TlsInfo) -> list[tuple[str, str]]:
    rows = []
    if tls.version:
        verified = "verified" if tls.verified else "NOT verified"
        rows.append(("TLS", f"{tls.version} {tls.cipher} ({verified})"))
    peer = tls.peer_cert
    if peer is not None:
        rows.append(
            (
                "Certificate",
                f"{peer.subject}; issuer {peer.issuer}; not after {peer.not_after} "
                f"({peer.days_left} days left)",
            )
        )
    return rows


def render_text(result: SmtpResult, *, transcript: bool = True) -> str:
    data = result.model
    parts = [f"{label:<12} {value}" for label, value in summary_rows(data)]
    if transcript:
        parts += ["", "Transcript", "----------", render_transcript(data.transcript)]
    parts += ["", Report.to_text(result)]
    return "\n".join(parts)


def render_html(result: SmtpResult, *, copy: bool = False) -> str:
    """An HTML fragment (escaped): summary, steps, transcript and findings (with ``copy``, a
    Copy button on each fix: for the apps)."""
    from html import escape as esc

    data = result.model
    summary = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary_rows(data))
    return (
        f"<h3>{esc(result.title)}</h3><table>{summary}</table>"
        f"{steps_html(data.steps)}"
        f"<details open><summary>Transcript</summary>"
        f"{transcript_html(data.transcript)}</details>"
        f"{render_findings_html(result.sorted_findings(), heading='Findings', copy=copy)}"
    )


def steps_html(steps: Iterable[StepResult]) -> str:
    """The steps as an escaped table."""
    rows = "".join(_step_row(step) for step in steps)
    return (
        "<table><tr><th>Step</th><th>Status</th><th>ms</th><th>Reply / detail</th></tr>"
        f"{rows}</table>"
    )


def transcript_html(lines: Iterable[TranscriptLine]) -> str:
    from html import escape

    # Its own font and wrapping: a dashboard's page styles do not make a <pre> monospace.
    style = f"font-family:{MONOSPACE};white-space:pre-wrap;overflow-wrap:anywhere"
    return (
        f'<pre class="o365diag-transcript" style="{style}">{escape(render_transcript(lines))}</pre>'
    )


def _step_row(step: StepResult) -> str:
    from html import escape as esc

    reply = step.reply
    what = f"{reply.code} {reply.text}" if reply else (step.detail or "")
    elapsed = "" if step.elapsed_ms is None else f"{step.elapsed_ms:.1f}"
    return (
        f'<tr class="step-{esc(step.status)}"><td>{esc(step.label)}</td>'
        f"<td>{esc(step.status)}</td><td>{elapsed}</td><td>{esc(what)}</td></tr>"
    )
