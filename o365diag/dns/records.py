"""MX, MTA-STS, TLS-RPT and autodiscover checks for a domain that sends through Microsoft 365.

Each check returns a :class:`Section`: the data for its part of the ``o365diag.dns/1`` report
and the findings drawn from it. DKIM and DMARC have their own modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from o365diag.dns.catalogue import finding, microsoft_fact
from o365diag.dns.model import AutodiscoverData, MtaStsData, MxData, MxHost, TlsRptData
from o365diag.dns.resolver import DnsResult, Resolver
from o365diag.findings import Finding, Severity
from o365diag.typed import dump

__all__ = [
    "Section",
    "check_autodiscover",
    "check_mta_sts",
    "check_mx",
    "check_tls_rpt",
    "lookup_failed",
    "microsoft_mx_form",
    "parse_tags",
]


ModelT = TypeVar("ModelT")


@dataclass
class Section(Generic[ModelT]):
    """One check's part of the domain check: its typed data and the findings drawn from it."""

    model: ModelT
    findings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> Any:
        """The section's JSON, as the result saves it."""
        return dump(self.model)


def lookup_failed(code: str, answer: DnsResult) -> Finding:
    """The finding for a lookup that gave SERVFAIL, a timeout or another error."""
    return finding(
        code,
        {"query": f"{answer.name} {answer.rdtype}", "error": answer.describe()},
        evidence=(answer.describe(),),
    )


def parse_tags(text: str) -> tuple[dict[str, str], list[str]]:
    """``tag=value; ...`` (DMARC, MTA-STS, TLS-RPT, DKIM keys) -> (tags, problems)."""
    tags: dict[str, str] = {}
    problems: list[str] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name:
            problems.append(f"{part!r} is not tag=value")
        elif name in tags:
            problems.append(f"tag {name!r} appears twice")
        else:
            tags[name] = value.strip()
    return tags, problems


def microsoft_mx_form(host: str) -> Literal["classic", "dane"] | None:
    """ "classic" (mail.protection.outlook.com), "dane" (mx.microsoft) or None."""
    host = host.lower().rstrip(".")
    if host.endswith("." + str(microsoft_fact("mx-classic").get("suffix"))):
        return "classic"
    if host.endswith("." + str(microsoft_fact("mx-dane").get("suffix"))):
        return "dane"
    return None


# -- MX ---------------------------------------------------------------------------------------


async def check_mx(domain: str, resolver: Resolver) -> Section[MxData]:
    answer = await resolver.query(domain, "MX")
    expected = f"{domain.replace('.', '-')}.mail.protection.outlook.com"
    section = Section(MxData([], answer.outcome_name))
    if answer.failed:
        section.findings.append(lookup_failed("mx.lookup-failed", answer))
        return section
    if answer.void or not answer.mx():
        section.findings.append(finding("mx.missing", {"domain": domain, "expected": expected}))
        return section
    rows = answer.mx()
    if len(rows) == 1 and rows[0][1] == ".":
        section.model.records = [MxHost(rows[0][0], ".")]
        section.findings.append(finding("mx.null", {"domain": domain}))
        return section
    hosts = [host for _pref, host in rows]
    lookups = await resolver.query_many([(h, t) for h in hosts for t in ("A", "AAAA")])
    by_host = {h: lookups[2 * i : 2 * i + 2] for i, h in enumerate(hosts)}
    records = section.model.records = [
        MxHost(
            preference,
            host,
            [a for r in by_host[host] for a in r.addresses()],
            microsoft_mx_form(host),
        )
        for preference, host in rows
    ]
    section.findings.extend(_mx_findings(domain, records, by_host, expected))
    ours = [r for r in records if r.microsoft]
    section.model.relay_endpoint = ours[0].host if ours else None
    return section


def _mx_findings(
    domain: str, records: list[MxHost], by_host: dict[str, list[DnsResult]], expected: str
) -> list[Finding]:
    out: list[Finding] = []
    evidence = [f"{domain} MX {r.preference} {r.host}" for r in records]
    for record in records:
        if not record.addresses:
            results = by_host[record.host]
            error = "; ".join(r.describe() for r in results)
            values = {"host": record.host, "error": error}
            out.append(finding("mx.host-unresolvable", values, evidence=evidence))
    ours = [r for r in records if r.microsoft]
    if ours:
        form = "DNSSEC/DANE (mx.microsoft)" if ours[0].microsoft == "dane" else "classic"
        out.append(finding("mx.microsoft", {"host": ours[0].host, "form": form}, evidence=evidence))
    else:
        hosts = ", ".join(r.host for r in records)
        out.append(
            finding("mx.not-microsoft", {"hosts": hosts, "expected": expected}, evidence=evidence)
        )
    if len(records) > 1:
        mixed = bool(ours) and len(ours) < len(records)
        out.append(
            finding(
                "mx.multiple",
                {"count": len(records)},
                evidence=evidence,
                severity=Severity.WARNING if mixed else Severity.INFO,
            )
        )
    return out


# -- MTA-STS and TLS-RPT ---------------------------------------------------------------------

_STS_ID = re.compile(r"[A-Za-z0-9]{1,32}")


async def check_mta_sts(domain: str, resolver: Resolver) -> Section[MtaStsData]:
    """The ``_mta-sts`` TXT record (RFC 8461 3.1); the HTTPS policy file is not fetched."""
    name = f"_mta-sts.{domain}"
    answer, record, findings = await _single_record(name, "v=STSv1", "mta-sts", resolver)
    section = Section(MtaStsData(name, record, False, answer.outcome_name), findings)
    if record is None:
        return section
    tags, problems = parse_tags(record)
    if tags.get("v") != "STSv1" or not record.startswith("v=STSv1"):
        problems.append("the record must start with v=STSv1")
    if not _STS_ID.fullmatch(tags.get("id", "")):
        problems.append("id= must be 1 to 32 letters or digits")
    policy_url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
    section.model.id, section.model.policy_url = tags.get("id"), policy_url
    section.model.valid = not problems
    if problems:
        section.findings.append(
            finding("mta-sts.invalid", {"problems": "; ".join(problems)}, evidence=(record,))
        )
    else:
        section.findings.append(
            finding("mta-sts.ok", {"policy_url": policy_url, "id": tags["id"]}, evidence=(record,))
        )
    return section


async def check_tls_rpt(domain: str, resolver: Resolver) -> Section[TlsRptData]:
    """The ``_smtp._tls`` TXT record (RFC 8460 3)."""
    name = f"_smtp._tls.{domain}"
    answer, record, findings = await _single_record(name, "v=TLSRPTv1", "tls-rpt", resolver)
    section = Section(TlsRptData(name, record, False, answer.outcome_name), findings)
    if record is None:
        return section
    tags, problems = parse_tags(record)
    if not record.startswith("v=TLSRPTv1"):
        problems.append("the record must start with v=TLSRPTv1")
    uris = [u.strip() for u in tags.get("rua", "").split(",") if u.strip()]
    if not uris:
        problems.append("rua= is missing: reports have nowhere to go")
    bad = [u for u in uris if not u.lower().startswith(("mailto:", "https:"))]
    if bad:
        problems.append("rua= URIs must be mailto: or https: (" + ", ".join(bad) + ")")
    section.model.rua, section.model.valid = uris, not problems
    code = "tls-rpt.invalid" if problems else "tls-rpt.ok"
    values = {"problems": "; ".join(problems), "rua": ", ".join(uris)}
    section.findings.append(finding(code, values, evidence=(record,)))
    return section


async def _single_record(
    name: str, prefix: str, area: str, resolver: Resolver
) -> tuple[DnsResult, str | None, list[Finding]]:
    """Fetch TXT at ``name`` and pick the one record starting with ``prefix`` (if exactly one):
    the answer, that record, and the finding when there is none or more than one."""
    answer = await resolver.query(name, "TXT")
    if answer.failed:
        return answer, None, [lookup_failed(f"{area}.lookup-failed", answer)]
    texts = [t.decode("utf-8", "replace") for t in answer.texts()]
    found = [t for t in texts if t.lower().startswith(prefix.lower())]
    if not found:
        return answer, None, [finding(f"{area}.missing", {"name": name})]
    if len(found) > 1:
        values = {"name": name, "count": len(found)}
        return answer, None, [finding(f"{area}.multiple", values, evidence=tuple(found))]
    return answer, found[0], []


# -- autodiscover -----------------------------------------------------------------------------


async def check_autodiscover(domain: str, resolver: Resolver) -> Section[AutodiscoverData]:
    name = f"autodiscover.{domain}"
    answer = await resolver.query(name, "CNAME")
    expected = str(microsoft_fact("autodiscover").get("value"))
    target = answer.targets()[0] if answer.ok and answer.targets() else None
    section = Section(AutodiscoverData(name, target, None))
    if answer.failed:
        section.findings.append(lookup_failed("autodiscover.lookup-failed", answer))
        return section
    if target is None:
        values = {"name": name, "expected": expected}
        section.findings.append(finding("autodiscover.missing", values))
        return section
    section.model.microsoft = target.lower() == expected
    code = "autodiscover.microsoft" if section.model.microsoft else "autodiscover.not-microsoft"
    values = {"name": name, "target": target, "expected": expected}
    section.findings.append(finding(code, values, evidence=(answer.describe(),)))
    return section
