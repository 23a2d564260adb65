"""Text and HTML views of the DNS reports: readiness per record, the SPF tree, the findings.

Everything taken from DNS is untrusted text and is escaped in HTML.
"""

from __future__ import annotations

import html
from typing import Any

from o365diag.findings import Report, render_findings_html

__all__ = ["AREA_NAMES", "LIGHTS", "audit_html", "audit_text", "spf_text", "spf_tree_lines"]

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


def spf_tree_lines(tree: dict[str, Any], depth: int = 0) -> list[str]:
    """The include tree with its lookup counts, one indented line per record."""
    pad = "  " * depth
    head = f"{pad}{tree['domain']} ({tree['via']}): {tree['lookups']} lookup(s) here"
    if tree.get("children"):
        head += f", {tree['total_lookups']} with includes"
    if tree.get("problem"):
        head += f"  [!] {tree['problem']}"
    lines = [head]
    for child in tree.get("children", []):
        lines.extend(spf_tree_lines(child, depth + 1))
    return lines


def _findings_text(report: Report) -> list[str]:
    return [f.to_text() for f in report.sorted_findings()] or ["No findings."]


def audit_text(report: Report) -> str:
    data = report.data
    lines = [report.title, "=" * len(report.title)]
    lights = data.get("readiness", {})
    lines.append(
        "Readiness: "
        + " | ".join(f"{AREA_NAMES[a]} {lights[a]}" for a in AREA_NAMES if a in lights)
    )
    spf = data.get("spf", {})
    if spf.get("record"):
        lines += ["", f"SPF: {spf['record']}", *spf_tree_lines(spf["tree"], 1)]
    for row in data.get("spf_checks", []):
        path = " > ".join(row["path"]) or row.get("problem") or "no term matched"
        lines.append(f"  check_host {row['ip']}: {row['result']} ({path})")
    lines += ["", *_findings_text(report), "", _resolver_line(data)]
    return "\n".join(lines)


def _resolver_line(data: dict[str, Any]) -> str:
    info = data.get("resolver", {})
    servers = ", ".join(info.get("nameservers", [])) or "system resolver"
    return f"DNS: {info.get('queries', 0)} queries to {servers} in {info.get('elapsed_ms', 0)} ms"


def spf_text(report: Report) -> str:
    data = report.data
    lines = [
        report.title,
        "=" * len(report.title),
        f"Result: {data['result']}" + (f" ({data['problem']})" if data.get("problem") else ""),
    ]
    if data.get("explanation"):
        lines.append(f"Explanation: {data['explanation']}")
    lines.append(
        f"DNS-querying terms: {data['lookups']} of 10; void lookups: {data['void_lookups']} of 2"
    )
    lines += ["", "Trace:"]
    for row in data["trace"]:
        pad = "  " * (int(row["depth"]) + 1)
        if row["kind"] == "record":
            lines.append(
                f"{pad}{row['domain']} [{row['via']}]: {row['text'] or '(no record)'}"
                f" => {row['result']}"
            )
        else:
            detail = f" ({row['detail']})" if row["detail"] else ""
            lines.append(
                f"{pad}  {row['text']}: {row['outcome']}, lookups {row['lookups']}{detail}"
            )
    lines += ["", *_findings_text(report)]
    return "\n".join(lines)


def audit_html(report: Report) -> str:
    """The body of the HTML page: readiness table, SPF tree, device checks, findings."""
    data = report.data
    esc = html.escape
    cells = "".join(
        f'<td style="background:{LIGHTS[level]};color:#fff">{esc(AREA_NAMES[area])}<br>'
        f"{esc(level)}</td>"
        for area, level in data.get("readiness", {}).items()
    )
    parts = [f"<h2>{esc(report.title)}</h2>", f"<table><tr>{cells}</tr></table>"]
    spf = data.get("spf", {})
    if spf.get("record"):
        tree = "\n".join(spf_tree_lines(spf["tree"]))
        parts.append(f"<h3>SPF</h3><pre>{esc(spf['record'])}\n\n{esc(tree)}</pre>")
    rows = "".join(
        f"<tr><td>{esc(r['ip'])}</td><td>{esc(r['result'])}</td>"
        f"<td>{esc(' > '.join(r['path']) or (r.get('problem') or ''))}</td></tr>"
        for r in data.get("spf_checks", [])
    )
    if rows:
        parts.append(
            "<h3>Device IPs</h3><table><tr><th>IP</th><th>SPF</th><th>Decided by</th>"
            f"</tr>{rows}</table>"
        )
    parts.append(render_findings_html(report.sorted_findings(), heading="Findings"))
    parts.append(f"<p>{esc(_resolver_line(data))}</p>")
    return "".join(parts)
