"""Text and HTML views of the DNS reports: readiness per record, the SPF tree, the findings.

Everything taken from DNS is untrusted text and is escaped in HTML.
"""

from __future__ import annotations

import html
from typing import Any

from o365diag.findings import Report, render_findings_html

__all__ = [
    "AREA_NAMES",
    "LIGHTS",
    "audit_html",
    "audit_text",
    "device_html",
    "readiness_html",
    "records_html",
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


def audit_html(report: Report, *, copy: bool = False) -> str:
    """The body of the HTML page: readiness per record, the SPF include tree, device checks,
    findings and the records as DNS has them now (with ``copy``, a Copy button on each fix:
    for the apps)."""
    data = report.data
    esc = html.escape
    parts = [f"<h2>{esc(report.title)}</h2>", readiness_html(report)]
    spf = data.get("spf", {})
    if spf.get("record"):
        tree = "\n".join(spf_tree_lines(spf["tree"]))
        parts.append(f"<h3>SPF</h3><pre>{esc(spf['record'])}\n\n{esc(tree)}</pre>")
    parts.append(device_html(report))
    parts.append(render_findings_html(report.sorted_findings(), heading="Findings", copy=copy))
    parts.append(records_html(report))
    parts.append(f"<p>{esc(_resolver_line(data))}</p>")
    return "".join(parts)


def readiness_html(report: Report) -> str:
    """One row per record: a coloured light, the verdict and the most important finding."""
    esc = html.escape
    rows = []
    for area, level in report.data.get("readiness", {}).items():
        worst = next((f for f in report.sorted_findings() if f.code.startswith(area + ".")), None)
        rows.append(
            f'<tr><td style="color:{LIGHTS[level]};font-size:1.4em">●</td>'
            f"<td><b>{esc(AREA_NAMES.get(area, area))}</b></td><td>{esc(level)}</td>"
            f"<td>{esc(worst.title if worst else '')}</td></tr>"
        )
    return (
        '<table class="o365diag-readiness"><tr><th></th><th>Record</th><th>State</th>'
        f"<th>Most important finding</th></tr>{''.join(rows)}</table>"
    )


def device_html(report: Report) -> str:
    """Each device IP's SPF verdict and the term that decided it."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(r['ip'])}</td><td>{esc(r['result'])}</td>"
        f"<td>{esc(' > '.join(r['path']) or (r.get('problem') or 'no term matched'))}</td></tr>"
        for r in report.data.get("spf_checks", [])
    )
    if not rows:
        return ""
    return (
        "<h4>Device IPs (SPF check_host)</h4><table><tr><th>IP</th><th>SPF</th>"
        f"<th>Decided by</th></tr>{rows}</table>"
    )


def records_html(report: Report) -> str:
    """What DNS says now, record by record, next to which the fixes say what to publish."""
    esc = html.escape
    data = report.data
    rows = [("SPF", data["domain"], (data.get("spf") or {}).get("record"))]
    rows += [
        ("MX", data["domain"], f"{r['preference']} {r['host']}")
        for r in (data.get("mx") or {}).get("records", [])
    ]
    rows += [
        ("DKIM", v["name"], f"CNAME {v['cname']}" if v.get("cname") else v.get("record"))
        for v in (data.get("dkim") or {}).values()
    ]
    rows.append(
        (
            "DMARC",
            f"_dmarc.{(data.get('dmarc') or {}).get('location')}",
            (data.get("dmarc") or {}).get("record"),
        )
    )
    cells = "".join(
        f"<tr><td>{esc(kind)}</td><td><code>{esc(name)}</code></td>"
        f"<td><code>{esc(value or '(none)')}</code></td></tr>"
        for kind, name, value in rows
    )
    return (
        f"<h4>Records now</h4><table><tr><th></th><th>Name</th><th>Value</th></tr>{cells}</table>"
    )
