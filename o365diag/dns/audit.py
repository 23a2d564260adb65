"""The domain audit: is this domain ready to send through Microsoft 365 from these devices?

Every check runs at once over one resolver (one cache), so the wall time is set by the
longest chain of dependent lookups (the SPF include depth), not by the number of lookups.
The result is a DomainResult for schema ``o365diag.dns/1``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from o365diag.addresses import is_non_public
from o365diag.dns.catalogue import finding
from o365diag.dns.dkim_keys import check_dkim, fetch_key, key_findings
from o365diag.dns.dmarc import check_dmarc
from o365diag.dns.dnsbl import check_blocklists
from o365diag.dns.model import (
    BlocklistRows,
    DeviceCheck,
    DkimKeyData,
    DmarcData,
    DomainData,
    Light,
    ResolverInfo,
    SpfData,
)
from o365diag.dns.records import (
    Section,
    check_autodiscover,
    check_mta_sts,
    check_mx,
    check_tls_rpt,
)
from o365diag.dns.resolver import DEFAULT_TIMEOUT, Outcome, Resolver
from o365diag.dns.result import DNS_SCHEMA as SCHEMA
from o365diag.dns.result import DomainResult
from o365diag.dns.spf import SpfCheck, SpfResult, check_host, parse_ip, valid_domain
from o365diag.dns.spf_lint import check_findings, parsed_record, spf_data, tree_findings
from o365diag.dns.spf_tree import spf_tree
from o365diag.errors import InputError
from o365diag.findings import Finding, Severity

__all__ = ["SCHEMA", "audit_domain", "live_recheck", "normalize_domain", "readiness"]

AREAS = ("mx", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "autodiscover", "dnsbl")


def normalize_domain(text: str) -> str:
    """Lower-case, no trailing dot, IDNA for non-ASCII; InputError for what cannot be a domain."""
    domain = text.strip().rstrip(".").lower()
    if "@" in domain:
        domain = domain.rsplit("@", 1)[1]
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InputError(f"{text!r} is not a domain name", field="domain") from exc
    if not valid_domain(domain) or any(c in domain for c in " /\\:;,"):
        raise InputError(
            f"{text!r} is not a domain name (expected something like contoso.com)", field="domain"
        )
    return domain


async def audit_domain(
    domain: str,
    *,
    ips: Iterable[str] = (),
    selectors: Iterable[str] = (),
    resolver: Resolver | None = None,
    nameserver: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    dnsbl_zones: list[str] | None = None,
    check_dnsbl: bool = True,
) -> DomainResult:
    """Audit ``domain``; ``ips`` are the devices' public addresses. ValueError for bad input."""
    domain = normalize_domain(domain)
    addresses = [str(parse_ip(ip)) for ip in ips]
    resolver = resolver or Resolver(nameserver, timeout=timeout)
    started = time.perf_counter()
    spf_job = asyncio.ensure_future(_spf(domain, addresses, resolver))
    public = [ip for ip in addresses if not is_non_public(ip)]
    dnsbl_job = (
        asyncio.ensure_future(check_blocklists(public, resolver, dnsbl_zones))
        if public and check_dnsbl
        else None
    )
    mx, dkim, dmarc, mta_sts, tls_rpt, autodiscover = await asyncio.gather(
        check_mx(domain, resolver),
        check_dkim(domain, resolver, tuple(s.strip() for s in selectors if s.strip())),
        check_dmarc(domain, resolver),
        check_mta_sts(domain, resolver),
        check_tls_rpt(domain, resolver),
        check_autodiscover(domain, resolver),
    )
    spf_section, checks = await spf_job
    dnsbl = await dnsbl_job if dnsbl_job is not None else Section(BlocklistRows())
    findings = [
        f
        for s in (mx, spf_section, dkim, dmarc, mta_sts, tls_rpt, autodiscover, dnsbl)
        for f in s.findings
    ]
    findings.extend(_cross_findings(domain, dmarc.model, dkim.model.selectors.values(), checks))
    exists = not _domain_missing(domain, resolver)
    if not exists:
        findings = _missing_domain_findings(domain, findings)
    findings[:0] = _unreachable(resolver)
    lights = readiness(findings)
    if not exists:
        missing: dict[str, Light] = {area: "error" for area in AREAS[:4]}
        lights = missing | lights
    data = DomainData(
        domain=domain,
        ips=addresses,
        mx=mx.model,
        spf=spf_section.model,
        spf_checks=[_device_check(c) for c in checks],
        dkim=dkim.model.selectors,
        dmarc=dmarc.model,
        mta_sts=mta_sts.model,
        tls_rpt=tls_rpt.model,
        autodiscover=autodiscover.model,
        dnsbl=dnsbl.model.rows,
        exists=exists,
        readiness=lights,
        resolver=ResolverInfo(
            nameservers=resolver.nameservers,
            queries=resolver.queries_sent,
            timeout=resolver.timeout,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        ),
    )
    return DomainResult.from_model(data, findings)


async def _spf(
    domain: str, ips: list[str], resolver: Resolver
) -> tuple[Section[SpfData], list[SpfCheck]]:
    """The include tree and one check_host() per IP, side by side on the shared cache."""
    sender = f"postmaster@{domain}"
    tree_job = asyncio.ensure_future(spf_tree(domain, resolver))
    checks = list(
        await asyncio.gather(*(check_host(ip, sender, domain, resolver=resolver) for ip in ips))
    )
    tree = await tree_job
    section = Section(spf_data(tree), tree_findings(tree))
    if tree.parsed is not None or tree.records_found:
        section.findings.extend(check_findings(domain, checks, tree.parsed))
    return section, checks


def _device_check(check: SpfCheck) -> DeviceCheck:
    return DeviceCheck(
        ip=check.ip,
        result=check.result.verdict,
        matched=check.matched,
        path=check.path,
        explanation=check.explanation,
        problem=check.problem or None,
        lookups=check.lookups,
        void_lookups=check.void_lookups,
        trace=check.trace_rows(),
    )


def _cross_findings(
    domain: str, dmarc: DmarcData, keys: Iterable[DkimKeyData], checks: list[SpfCheck]
) -> list[Finding]:
    """Findings that need two records at once: DMARC enforcement against device IPs."""
    if dmarc.p not in ("quarantine", "reject") or not dmarc.pct:
        return []
    dkim_ready = any(key.key_bits and not key.revoked for key in keys)
    out = []
    for check in checks:
        if check.result is not SpfResult.PASS and not is_non_public(check.ip):
            dkim = "a DKIM key is published" if dkim_ready else "no DKIM key is published"
            values = {
                "ip": check.ip,
                "domain": domain,
                "p": dmarc.p,
                "result": check.result.value,
                "dkim": dkim,
            }
            severity = Severity.WARNING if dkim_ready else Severity.ERROR
            out.append(finding("dmarc.device-not-authorized", values, severity=severity))
    return out


def _domain_missing(domain: str, resolver: Resolver) -> bool:
    """True when every question about the domain's own name got NXDOMAIN."""
    own = [r for r in resolver.log if r.name.rstrip(".").lower() == domain]
    return bool(own) and all(r.outcome is Outcome.NXDOMAIN for r in own)


def _missing_domain_findings(domain: str, findings: list[Finding]) -> list[Finding]:
    """One "does not exist" instead of a "missing" finding for each record it cannot have."""
    kept = [f for f in findings if f.code.startswith("dnsbl.") or f.code == "spf.ip-private"]
    return [finding("dns.domain-missing", {"domain": domain}), *kept]


def _unreachable(resolver: Resolver) -> list[Finding]:
    log = resolver.log
    if log and all(r.failed for r in log):
        kinds = sorted({r.outcome.value for r in log})
        values = {
            "nameservers": ", ".join(resolver.nameservers),
            "outcomes": ", ".join(kinds),
            "count": len(log),
            "timeout": resolver.timeout,
        }
        return [finding("dns.unreachable", values)]
    return []


def readiness(findings: list[Finding]) -> dict[str, Light]:
    """The worst severity per area (mx, spf, dkim...): the traffic light of each record."""
    worst: dict[str, Severity] = {}
    for item in findings:
        area = item.code.split(".", 1)[0]
        if area in AREAS:
            worst[area] = max(worst.get(area, Severity.OK), item.severity)
    return {area: worst[area].value for area in AREAS if area in worst}


async def live_recheck(
    ip: str | None,
    mail_from_domain: str | None,
    dkim_domains_selectors: Iterable[tuple[str, str]] = (),
    *,
    nameserver: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    resolver: Resolver | None = None,
) -> list[Finding]:
    """Re-evaluate a received message's authentication against DNS as it is now.

    SPF for the connecting ``ip`` and ``mail_from_domain`` (check_host with
    postmaster@domain when no full address is given), and the DKIM key of each
    (domain, selector) the message was signed with. Never raises for DNS trouble; a bad
    ``ip`` or domain comes back as a finding too.
    """
    resolver = resolver or Resolver(nameserver, timeout=timeout)
    jobs: list[Any] = []
    if ip and mail_from_domain:
        jobs.append(_live_spf(ip, mail_from_domain, resolver))
    for domain, selector in dict.fromkeys(dkim_domains_selectors):
        jobs.append(_live_dkim(domain, selector, resolver))
    results = await asyncio.gather(*jobs)
    return [f for group in results for f in group]


async def _live_spf(ip: str, mail_from: str, resolver: Resolver) -> list[Finding]:
    sender = mail_from if "@" in mail_from else f"postmaster@{mail_from}"
    domain = sender.rsplit("@", 1)[1]
    try:
        check = await check_host(ip, sender, domain, resolver=resolver)
    except ValueError as exc:
        return [
            finding(
                "spf.ip-error",
                {"ip": ip, "domain": domain, "result": "not evaluated", "problem": str(exc)},
            )
        ]
    return check_findings(domain, [check], parsed_record(check.tree.record))


async def _live_dkim(domain: str, selector: str, resolver: Resolver) -> list[Finding]:
    try:
        key = await fetch_key(domain, selector, resolver)
    except ValueError as exc:
        values = {"name": f"{selector}._domainkey.{domain}", "problem": str(exc)}
        return [finding("dkim.key-invalid", values)]
    return key_findings(key)
