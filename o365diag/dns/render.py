"""Text and HTML views of the domain check results, drawn from their typed data: readiness
per record, the SPF tree, the device verdicts, the findings and the records.

Everything taken from DNS is untrusted text and is escaped in HTML.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from o365diag.dns.model import (
    DomainData,
    ResolverInfo,
    SpfTraceRecord,
    SpfTraceRow,
    SpfTreeNode,
)
from o365diag.findings import Report, render_findings_html

if TYPE_CHECKING:
    from o365diag.dns.result import DkimResult, DomainResult, SpfCheckResult

__all__ = [
    "AREA_NAMES",
    "LIGHTS",
    "audit_html",
    "audit_text",
    "device_html",
    "dkim_html",
    "dkim_text",
    "readiness_html",
    "records_html",
    "spf_html",
    "spf_text",
    "spf_tree_lines",
]

AREA_NAMES = {
    "mx": "MX",
    "spf": "SPF",
    "dkim": "DKIM",
    "dmarc": "DMARC",
    "mta-sts": "MTA-STS",
    "tls-rpt": "TLS-RPT",
    "autodiscover": "Autodiscover",
    "dnsbl": "Blocklists",
}
LIGHTS = {
    "ok": "#2e7d32",
    "info": "#1565c0",
    "warning": "#ef6c00",
    "error": "#c62828",
    "critical": "#6a1b9a",
}


def spf_tree_lines(tree: SpfTreeNode, depth: int = 0) -> list[str]:
    """The include tree with its lookup counts, one indented line per record."""
    pad = "  " * depth
    head = f"{pad}{tree.domain} ({tree.via}): {tree.lookups} lookup(s) here"
    if tree.children:
        head += f", {tree.total_lookups} with includes"
    if tree.problem:
        head += f"  [!] {tree.problem}"
    lines = [head]
    for child in tree.children:
        lines.extend(spf_tree_lines(child, depth + 1))
    return lines


def _findings_text(report: Report) -> list[str]:
    return [f.to_text() for f in report.sorted_findings()] or ["No findings."]


def audit_text(result: DomainResult) -> str:
    data = result.model
    lines = [result.title, "=" * len(result.title)]
    lights = data.readiness
    lines.append(
        "Readiness: "
        + " | ".join(f"{AREA_NAMES[a]} {lights[a]}" for a in AREA_NAMES if a in lights)
    )
    if data.spf.record:
        lines += ["", f"SPF: {data.spf.record}", *spf_tree_lines(data.spf.tree, 1)]
    for row in data.spf_checks:
        path = " > ".join(row.path) or row.problem or "no term matched"
        lines.append(f"  check_host {row.ip}: {row.result} ({path})")
    lines += ["", *_findings_text(result), "", _resolver_line(data.resolver)]
    return "\n".join(lines)


def _resolver_line(info: ResolverInfo) -> str:
    servers = ", ".join(info.nameservers) or "system resolver"
    return f"DNS: {info.queries} queries to {servers} in {info.elapsed_ms} ms"


def _spf_summary(result: SpfCheckResult) -> list[str]:
    data = result.model
    lines = [f"Result: {data.result}" + (f" ({data.problem})" if data.problem else "")]
    if data.explanation:
        lines.append(f"Explanation: {data.explanation}")
    lines.append(
        f"DNS-querying terms: {data.lookups} of 10; void lookups: {data.void_lookups} of 2"
    )
    return lines


def spf_text(result: SpfCheckResult) -> str:
    lines = [result.title, "=" * len(result.title), *_spf_summary(result)]
    lines += ["", "Trace:", *(_trace_line(row) for row in result.model.trace)]
    lines += ["", *_findings_text(result)]
    return "\n".join(lines)


def spf_html(result: SpfCheckResult) -> str:
    """The verdict, the trace (as text: it prints and copies) and the findings."""
    esc = html.escape
    summary = "".join(f"<p>{esc(line)}</p>" for line in _spf_summary(result))
    trace = "\n".join(_trace_line(row) for row in result.model.trace)
    return (
        f"<h2>{esc(result.title)}</h2>{summary}<h3>Trace</h3><pre>{esc(trace)}</pre>"
        + render_findings_html(result.sorted_findings(), heading="Findings")
    )


def _trace_line(row: SpfTraceRow) -> str:
    pad = "  " * (row.depth + 1)
    if isinstance(row, SpfTraceRecord):
        return f"{pad}{row.domain} [{row.via}]: {row.text or '(no record)'} => {row.result}"
    detail = f" ({row.detail})" if row.detail else ""
    return f"{pad}  {row.text}: {row.outcome}, lookups {row.lookups}{detail}"


def _signature_rows(result: DkimResult) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for sig in result.model.signatures:
        aligned = "-" if sig.aligned is None else ("yes" if sig.aligned else "NO")
        bits = str(sig.key_bits) if sig.key_bits else "?"
        rows.append(
            (str(sig.index), sig.domain, sig.selector, sig.result, bits, aligned, sig.reason)
        )
    return rows


_SIGNATURE_COLUMNS = ("#", "d=", "s=", "Result", "Key bits", "Aligned with From", "Why")


def _arc_line(result: DkimResult) -> str:
    arc = result.model.arc
    return "" if arc is None else f"ARC: {arc.result} ({arc.instances} instance(s))"


def dkim_text(result: DkimResult) -> str:
    """Each signature's verdict and why, the ARC chain, then the findings."""
    data = result.model
    lines = [result.title, "=" * len(result.title), f"From domain: {data.from_domain or '-'}"]
    lines += [
        f"  #{i} d={d} s={s}: {verdict}, key {bits} bits, aligned {aligned} ({why})"
        for i, d, s, verdict, bits, aligned, why in _signature_rows(result)
    ]
    if data.arc is not None:
        lines.append(f"  {_arc_line(result)}")
    lines += ["", *_findings_text(result)]
    return "\n".join(lines)


def dkim_html(result: DkimResult) -> str:
    """The signatures as a table (every value escaped), the ARC chain and the findings."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in _SIGNATURE_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
        for row in _signature_rows(result)
    )
    from_domain = result.model.from_domain or "-"
    parts = [f"<h2>{esc(result.title)}</h2><p>From domain: {esc(from_domain)}</p>"]
    if body:
        parts.append(f"<table><tr>{head}</tr>{body}</table>")
    if result.model.arc is not None:
        parts.append(f"<p>{esc(_arc_line(result))}</p>")
    parts.append(render_findings_html(result.sorted_findings(), heading="Findings"))
    return "".join(parts)


def audit_html(result: DomainResult, *, copy: bool = False) -> str:
    """The body of the HTML page: readiness per record, the SPF include tree, device checks,
    findings and the records as DNS has them now (with ``copy``, a Copy button on each fix:
    for the apps)."""
    data = result.model
    esc = html.escape
    parts = [f"<h2>{esc(result.title)}</h2>", readiness_html(result)]
    if data.spf.record:
        tree = "\n".join(spf_tree_lines(data.spf.tree))
        parts.append(f"<h3>SPF</h3><pre>{esc(data.spf.record)}\n\n{esc(tree)}</pre>")
    parts.append(device_html(result))
    parts.append(render_findings_html(result.sorted_findings(), heading="Findings", copy=copy))
    parts.append(records_html(result))
    parts.append(f"<p>{esc(_resolver_line(data.resolver))}</p>")
    return "".join(parts)


def readiness_html(result: DomainResult) -> str:
    """One row per record: a coloured light, the verdict and the most important finding."""
    esc = html.escape
    rows = []
    for area, level in result.model.readiness.items():
        worst = next((f for f in result.sorted_findings() if f.code.startswith(area + ".")), None)
        rows.append(
            f'<tr><td style="color:{LIGHTS[level]};font-size:1.4em">●</td>'
            f"<td><b>{esc(AREA_NAMES.get(area, area))}</b></td><td>{esc(level)}</td>"
            f"<td>{esc(worst.title if worst else '')}</td></tr>"
        )
    return (
        '<table class="o365diag-readiness"><tr><th></th><th>Record</th><th>State</th>'
        f"<th>Most important finding</th></tr>{''.join(rows)}</table>"
    )


def device_html(result: DomainResult) -> str:
    """Each device IP's SPF verdict and the term that decided it."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(r.ip)}</td><td>{esc(r.result)}</td><td>{esc(r.decided_by)}</td></tr>"
        for r in result.model.spf_checks
    )
    if not rows:
        return ""
    return (
        "<h4>Device IPs (SPF check_host)</h4><table><tr><th>IP</th><th>SPF</th>"
        f"<th>Decided by</th></tr>{rows}</table>"
    )


def _record_rows(data: DomainData) -> list[tuple[str, str, str | None]]:
    rows: list[tuple[str, str, str | None]] = [("SPF", data.domain, data.spf.record)]
    rows += [("MX", data.domain, f"{r.preference} {r.host}") for r in data.mx.records]
    rows += [
        ("DKIM", key.name, f"CNAME {key.cname}" if key.cname else key.record)
        for key in data.dkim.values()
    ]
    rows.append(("DMARC", f"_dmarc.{data.dmarc.location}", data.dmarc.record))
    return rows


def records_html(result: DomainResult) -> str:
    """What DNS says now, record by record, next to which the fixes say what to publish."""
    esc = html.escape
    cells = "".join(
        f"<tr><td>{esc(kind)}</td><td><code>{esc(name)}</code></td>"
        f"<td><code>{esc(value or '(none)')}</code></td></tr>"
        for kind, name, value in _record_rows(result.model)
    )
    return (
        f"<h4>Records now</h4><table><tr><th></th><th>Name</th><th>Value</th></tr>{cells}</table>"
    )
