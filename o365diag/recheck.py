"""Re-check a header analysis against DNS as it is now (``o365diag headers --live-dns``).

The header analysis says what the receiving server decided back then; this asks today's DNS
whether the connecting IP passes SPF for the envelope domain and whether each DKIM key the
message was signed with is still published.
"""

from __future__ import annotations

import asyncio
from typing import Any

from o365diag.dns.model import DkimSelectorRef, LiveRecheck
from o365diag.findings import Report
from o365diag.typed import dump

__all__ = ["recheck_live_dns"]


def _targets(data: dict[str, Any]) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    auth = data["authentication"]
    ip = auth["spf"]["ip"] or data["antispam"].get("cip")
    pairs = [(d["domain"], d["selector"]) for d in auth["dkim"] if d["domain"] and d["selector"]]
    return ip, auth["spf"]["domain"], pairs


def recheck_live_dns(report: Report, nameserver: str | None = None, timeout: float = 3.0) -> Report:
    """Append live SPF and DKIM findings to ``report`` and record what was checked."""
    from o365diag.dns import live_recheck

    ip, mail_from_domain, pairs = _targets(report.data)
    findings = asyncio.run(
        live_recheck(ip, mail_from_domain, pairs, nameserver=nameserver, timeout=timeout)
    )
    report.findings.extend(findings)
    checked = LiveRecheck(
        nameserver=nameserver,
        ip=ip,
        mail_from_domain=mail_from_domain,
        dkim=[DkimSelectorRef(d, s) for d, s in pairs],
        findings=[f.code for f in findings],
    )
    report.data["live_dns"] = dump(checked)
    return report
