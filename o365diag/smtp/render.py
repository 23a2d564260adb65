"""Text and HTML views of an ``o365diag.smtp/1`` report (built from its data, so a saved
JSON report renders the same way). ``html`` loads only for the HTML views: a ``--json`` run
does not need it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from o365diag.findings import MONOSPACE, Report, render_findings_html
from o365diag.smtp.model import StepResult, TranscriptLine

__all__ = [
    "render_html",
    "render_text",
    "render_transcript",
    "step_line",
    "steps_html",
    "transcript_html",
]

_MARKS = {"ok": " ok ", "failed": "FAIL", "skipped": "skip"}


def step_line(step: StepResult) -> str:
    """One line per step for live output: mark, name, time and reply (or reason)."""
    elapsed = f"{step.elapsed_ms:8.1f} ms" if step.elapsed_ms is not None else " " * 11
    what = step.reply.one_line if step.reply else step.detail
    name = f"{step.name} {step.recipient}" if step.recipient else step.name
    return f"[{_MARKS[step.status]}] {name:<10} {elapsed}  {what}".rstrip()


def render_transcript(lines: Iterable[TranscriptLine], *, with_time: bool = True) -> str:
    return "\n".join(line.render(with_time) for line in lines)


def _transcript_lines(data: Mapping[str, Any]) -> list[TranscriptLine]:
    return [
        TranscriptLine(
            t_ms=float(item.get("t_ms") or 0.0),
            dir=item["dir"],
            tls=bool(item["tls"]),
            line=str(item["line"]),
            error=bool(item.get("error")),
            unexpected=bool(item.get("unexpected")),
        )
        for item in data.get("transcript", [])
    ]


def _summary_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    target = data.get("target") or {}
    tls = data.get("tls") or {}
    rows = [
        ("Target", f"{target.get('host')}:{target.get('port')}"),
        ("Profile", str(target.get("profile"))),
        ("Addresses", ", ".join(target.get("addresses") or []) or "-"),
        ("Outcome", str(data.get("outcome"))),
    ]
    if tls.get("version"):
        verified = "verified" if tls.get("verified") else "NOT verified"
        rows.append(("TLS", f"{tls['version']} {tls.get('cipher')} ({verified})"))
    peer = tls.get("peer_cert") or {}
    if peer:
        rows.append(
            (
                "Certificate",
                f"{peer.get('subject')}; issuer {peer.get('issuer')}; "
                f"not after {peer.get('not_after')} "
                f"({peer.get('days_left')} days left)",
            )
        )
    return rows


def render_text(report: Report, *, transcript: bool = True) -> str:
    data = report.to_dict()
    parts = [f"{label:<12} {value}" for label, value in _summary_rows(data)]
    if transcript:
        parts += ["", "Transcript", "----------", render_transcript(_transcript_lines(data))]
    parts += ["", Report.to_text(report)]
    return "\n".join(parts)


def render_html(report: Report, *, copy: bool = False) -> str:
    """An HTML fragment (escaped): summary, steps, transcript and findings (with ``copy``, a
    Copy button on each fix: for the apps)."""
    data = report.to_dict()
    from html import escape as esc

    summary = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _summary_rows(data)
    )
    return (
        f"<h3>{esc(report.title)}</h3><table>{summary}</table>"
        f"{steps_html(data.get('steps', []))}"
        f"<details open><summary>Transcript</summary>"
        f"{transcript_html(_transcript_lines(data))}</details>"
        f"{render_findings_html(report.sorted_findings(), heading='Findings', copy=copy)}"
    )


def steps_html(steps: Iterable[Mapping[str, Any]]) -> str:
    """The steps as an escaped table (from ``StepResult.to_dict()`` items)."""
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


def _step_row(step: Mapping[str, Any]) -> str:
    from html import escape as esc

    reply = step.get("reply") or {}
    what = f"{reply.get('code')} {reply.get('text')}" if reply else (step.get("detail") or "")
    name = step["name"] + (f" {step['recipient']}" if step.get("recipient") else "")
    elapsed = step.get("elapsed_ms")
    return (
        f'<tr class="step-{esc(step["status"])}"><td>{esc(name)}</td>'
        f"<td>{esc(step['status'])}</td><td>{'' if elapsed is None else f'{elapsed:.1f}'}</td>"
        f"<td>{esc(what)}</td></tr>"
    )
