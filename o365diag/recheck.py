"""Re-check a header analysis against DNS as it is now (``o365diag headers --live-dns``).

The header analysis says what the receiving server decided back then; this asks today's DNS
whether the connecting IP passes SPF for the envelope domain and whether each DKIM key the
message was signed with is still published.
"""

from __future__ import annotations

import asyncio

from o365diag.dns.model import DkimSelectorRef, LiveRecheck
from o365diag.headers.model import HeadersData
from o365diag.headers.result import HeadersResult
from o365diag.typed import dump

__all__ = ["recheck_live_dns"]


def _targets(data: HeadersData) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    auth = data.authentication
    ip = auth.spf.ip or data.antispam.cip
    pairs = [(d.domain, d.selector) for d in auth.dkim if d.domain and d.selector]
    return ip, auth.spf.domain, pairs


def recheck_live_dns(
    report: HeadersResult, nameserver: str | None = None, timeout: float = 3.0
) -> HeadersResult:
    """Append live SPF and DKIM findings to ``report`` and record what was checked."""
    from o365diag.dns import live_recheck

    ip, mail_from_domain, pairs = _targets(report.model)
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
