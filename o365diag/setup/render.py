"""A setup plan as terminal text, Markdown, a notebook cell, or HTML for the widget.

Every view reads the saved data (``SetupData``) and the findings, so a fresh plan and a saved
``o365diag.setup/1`` result render the same."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from o365diag.findings import PANEL, TEXT, Finding, copy_button_html, render_findings_html
from o365diag.setup.model import AuditData, PowerShellStep, SetupData, VerifyData

__all__ = [
    "audit_inputs_html",
    "configuration_markdown",
    "notebook_cell",
    "plan_html",
    "plan_markdown",
    "plan_text",
    "recommendation_html",
    "verify_html",
]


# -- text -----------------------------------------------------------------------------------------
def plan_text(plan: SetupData, findings: Sequence[Finding]) -> str:
    rec = plan.recommendation
    title = f"Recommended: {rec.title}"
    lines = [title, "=" * len(title), _wrap(rec.why, "")]
    lines += [f"Also fits: {v.title}" for v in rec.alternatives]
    if rec.rejected:
        lines += ["", "Why not the others:"]
        lines += [f"  - {v.title}: {v.why}" for v in rec.rejected]
    lines += ["", "Device settings", "---------------"]
    for setting in plan.device_settings:
        lines += [f"  {setting.name}: {setting.value}", _wrap(setting.explanation, "      ")]
    lines += ["", "DNS records", "-----------"]
    for record in plan.dns_records:
        lines += [
            f"  [{record.action}] {record.type} {record.name}",
            f"      {record.value}",
            _wrap(record.explanation, "      "),
        ]
    lines += ["", "Exchange Online PowerShell", "--------------------------"]
    for step in plan.required_steps:
        lines += [_wrap(step.explanation, "  # "), f"  {step.command}"]
    if plan.optional_steps:
        lines += [
            "",
            "Optional hardening (tenant-wide; not part of the setup)",
            "--------------------------------------------------------",
        ]
    for step in plan.optional_steps:
        lines += [
            _wrap("WARNING: changes the whole tenant. " + step.explanation, "  # "),
            f"  {step.command}",
        ]
    lines += ["", "Findings", "--------"]
    lines += [f.to_text() for f in findings]
    return "\n".join(lines)


def _wrap(text: str, prefix: str, width: int = 96) -> str:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(prefix) + len(current) + 1 + len(word) > width:
            lines.append(prefix + current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(prefix + current)
    return "\n".join(lines)


# -- Markdown -------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    """Escape text for Markdown prose and table cells."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _fence(body: str, language: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def plan_markdown(plan: SetupData, findings: Sequence[Finding]) -> str:
    rec = plan.recommendation
    parts = [f"## Recommended: {_md(rec.title)}", _md(rec.why)]
    if rec.alternatives:
        parts.append("Also fits: " + ", ".join(_md(v.title) for v in rec.alternatives))
    if rec.rejected:
        parts.append(
            "**Why not the others**\n\n"
            + "\n".join(f"- **{_md(v.title)}**: {_md(v.why)}" for v in rec.rejected)
        )
    parts += configuration_markdown(plan)
    parts.append(
        "### Findings\n\n"
        + "\n".join(
            f"- **{_md(f.severity.value)}** `{f.code}`: {_md(f.title)}. {_md(f.detail)}"
            for f in findings
        )
    )
    return "\n\n".join(parts) + "\n"


def configuration_markdown(plan: SetupData) -> list[str]:
    """The device settings, DNS records and PowerShell script as Markdown blocks."""
    settings = _table(
        ("Setting", "Value", "Why"),
        ((s.name, s.value, s.explanation) for s in plan.device_settings),
    )
    records = _table(
        ("Action", "Type", "Name", "Value", "Why"),
        ((r.action, r.type, r.name, r.value, r.explanation) for r in plan.dns_records),
    )
    script = _fence(plan.script().rstrip(), "powershell")
    return [
        "### Device settings\n\n" + settings,
        "### DNS records\n\n" + records,
        "### Exchange Online PowerShell\n\n" + script,
    ]


def notebook_cell(source: str) -> dict[str, Any]:
    """An nbformat v4 Markdown cell holding the plan's Markdown, to append to a shared notebook."""
    return {
        "cell_type": "markdown",
        "id": "o365diag-setup-" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:12],
        "metadata": {"tags": ["o365diag-setup"]},
        "source": source,
    }


# -- HTML (widget) --------------------------------------------------------------------------------
_esc = html.escape


def recommendation_html(plan: SetupData) -> str:
    rec = plan.recommendation
    border = "#ef6c00" if rec.is_fallback else "#2e7d32"
    rows = "".join(
        f"<li><strong>{_esc(v.title)}</strong>: {_esc(v.why)}</li>" for v in rec.rejected
    )
    also = "".join(f"<li>{_esc(v.title)}</li>" for v in rec.alternatives)
    sources = "".join(
        f'<a href="{_esc(s)}" rel="noopener noreferrer" target="_blank">source</a> '
        for s in rec.sources
    )
    return (
        f'<div class="o365diag-card" style="border-left:6px solid {border};padding:.5em 1em;'
        f'background:{PANEL};color:{TEXT};margin:.5em 0">'
        "<div style='font-size:.85em'>Recommended sending option</div>"
        f"<div style='font-size:1.3em;font-weight:600'>{_esc(rec.title)}</div>"
        f"<p>{_esc(rec.why)} {sources}</p>"
        + (f"<div>Also fits:</div><ul>{also}</ul>" if also else "")
        + (f"<div>Why not the others:</div><ul>{rows}</ul>" if rows else "")
        + "</div>"
    )


def _step_html(step: PowerShellStep) -> str:
    return (
        f"<div class='o365diag-step'><div>{_esc(step.explanation)}</div>"
        f"<pre style='display:inline-block;margin:.2em 0'>{_esc(step.command)}</pre>"
        f"{copy_button_html(step.command)}</div>"
    )


def _optional_html(plan: SetupData) -> str:
    """Tenant-wide hardening, apart from the setup and left out of its Copy-all script."""
    if not plan.optional_steps:
        return ""
    steps = "".join(_step_html(p) for p in plan.optional_steps)
    return (
        "<div class='o365diag-optional' style='border-left:4px solid #ef6c00;"
        "padding:.2em .6em;margin:.5em 0'>"
        "<h4>Optional hardening (not included in the script above)</h4>"
        "<p><strong>Warning:</strong> this changes a setting for the whole tenant. Run it "
        "only once no device or service relies on direct send any more.</p>"
        f"{steps}</div>"
    )


def plan_html(plan: SetupData, findings: Sequence[Finding]) -> str:
    settings = "".join(
        f"<tr><td>{_esc(s.name)}</td><td><code>{_esc(s.value)}</code></td>"
        f"<td>{_esc(s.explanation)}</td></tr>"
        for s in plan.device_settings
    )
    records = "".join(
        f"<tr><td>{_esc(r.action)}</td><td>{_esc(r.type)}</td><td>{_esc(r.name)}</td>"
        f"<td><code>{_esc(r.value)}</code>{'' if r.placeholder else copy_button_html(r.value)}</td>"
        f"<td>{_esc(r.explanation)}</td></tr>"
        for r in plan.dns_records
    )
    steps = "".join(_step_html(p) for p in plan.required_steps)
    return (
        '<div class="o365diag">'
        "<h4>Device settings</h4><table><tr><th>Setting</th><th>Value</th><th>Why</th></tr>"
        f"{settings}</table>"
        "<h4>DNS records</h4><table><tr><th>Action</th><th>Type</th><th>Name</th>"
        f"<th>Value</th><th>Why</th></tr>{records}</table>"
        f"<h4>Exchange Online PowerShell {copy_button_html(plan.script())}</h4>{steps}"
        + _optional_html(plan)
        + render_findings_html(findings, heading="Findings", copy=True)
        + "</div>"
    )


def verify_html(verify: VerifyData | None) -> str:
    """The notes of a saved verify step (its DNS and SMTP results are reports of their own)."""
    if verify is None:
        return ""
    notes = [Finding.from_dict(f) for f in verify.findings]
    return render_findings_html(notes, heading=f"Verify ({verify.mode})")


# -- the audit ------------------------------------------------------------------------------------
def audit_inputs_html(audit: AuditData) -> str:
    """The export files read, and what the audit was told about the device."""
    rows = "".join(
        f"<tr><td>{_esc(i.file)}</td><td>{_esc(i.kind or '—')}</td><td>{i.objects:,}</td>"
        f"<td>{_esc(i.encoding)}</td></tr>"
        for i in audit.inputs
    )
    parts = [
        "<h4>Exports read</h4><table><tr><th>File</th><th>Kind</th><th>Objects</th>"
        f"<th>Encoding</th></tr>{rows}</table>"
    ]
    device = audit.device
    if device.ips:
        parts.append(f"<p>Device IPs: {_esc(', '.join(device.ips))}</p>")
    for cert in device.certificates:
        expiry = f", valid until {_esc(cert.not_after)}" if cert.not_after else ""
        parts.append(
            f"<p>Device certificate {_esc(cert.source)}: {_esc(', '.join(cert.names))}{expiry}</p>"
        )
    return "".join(parts)
