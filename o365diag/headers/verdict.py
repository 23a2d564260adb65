"""Choose the authentication verdict that counts for this mailbox and describe it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import cast

from o365diag.headers.alignment import aligned, domain_of
from o365diag.headers.authres import (
    AuthResults,
    MethodResult,
    parse_authentication_results,
    parse_received_spf,
)
from o365diag.headers.model import (
    Alignment,
    Arc,
    Authentication,
    Compauth,
    Dkim,
    Dmarc,
    OtherAuth,
    Spf,
    Status,
)
from o365diag.headers.parse import HeaderSet
from o365diag.knowledge import load_table

__all__ = ["Verdict", "choose_verdict"]

# Headers that can carry the verdict, in the order they are trusted.
VERDICT_HEADERS = (
    "authentication-results",
    "x-ms-exchange-authentication-results",
    "arc-authentication-results",
    "authentication-results-original",
)
_IP_IN_COMMENT = re.compile(r"(?:sender IP is|designates|client-ip=)\s*\[?([0-9A-Fa-f:.]{3,45})")
_POLICY_IN_COMMENT = re.compile(r"\bp=([A-Za-z]+)")


@dataclass
class Verdict:
    source: AuthResults | None
    parsed: list[AuthResults] = field(default_factory=list)
    data: Authentication = field(default_factory=Authentication)

    @property
    def problems(self) -> list[tuple[AuthResults, str]]:
        return [(p, problem) for p in self.parsed for problem in p.problems]


_VERDICT_KEYS = frozenset(VERDICT_HEADERS)


def parse_all(headers: HeaderSet) -> list[AuthResults]:
    """Every authentication header, in header order (topmost first)."""
    parsed: list[AuthResults] = []
    for found in headers:
        if found.key in _VERDICT_KEYS:
            parsed.append(parse_authentication_results(found.value, found.name, found.position))
        elif found.key == "received-spf":
            parsed.append(parse_received_spf(found.value, found.position))
    return parsed


def _pick_source(parsed: list[AuthResults]) -> AuthResults | None:
    """The topmost header of the most trusted kind that gives a verdict; a receiver's
    ``none`` is one, so a lower header (another server's, perhaps the sender's) is not used."""
    for name in VERDICT_HEADERS:
        candidates = [p for p in parsed if p.header.lower() == name and (p.results or p.says_none)]
        if not candidates:
            continue
        if name == "arc-authentication-results":
            return max(candidates, key=lambda p: p.instance or 0)
        return candidates[0]
    return next((p for p in parsed if p.results), None)


def _merge_same_server(
    source: AuthResults, parsed: list[AuthResults], received: list[int]
) -> AuthResults:
    """One server may stamp several headers (e.g. OpenDKIM and OpenDMARC each add one): methods
    missing from the chosen header are taken from its siblings with the same authserv-id,
    stamped at the same hop (no Received field between them); one further down the chain
    may be a copy the sender wrote with the receiver's name in it."""
    if source.authserv_id is None:
        return source
    siblings = [
        p
        for p in parsed
        if p is not source
        and p.header == source.header
        and p.authserv_id == source.authserv_id
        and not any(min(p.index, source.index) < at < max(p.index, source.index) for at in received)
    ]
    if not siblings:
        return source
    merged = replace(source, results=list(source.results), problems=list(source.problems))
    present = {r.method for r in merged.results}
    for sibling in siblings:
        added = [r for r in sibling.results if r.method not in present]
        merged.results.extend(added)
        present.update(r.method for r in added)
    return merged


def choose_verdict(headers: HeaderSet, from_domain: str | None, fallback_ip: str | None) -> Verdict:
    parsed = parse_all(headers)
    picked = _pick_source(parsed)
    received = [found.position for found in headers.get_all("received")]
    source = _merge_same_server(picked, parsed, received) if picked else None
    spf = _spf(_method(source, "spf") or _first_spf(parsed), fallback_ip)
    dkim = [_dkim(d) for d in (source.of("dkim") if source else [])]
    data = Authentication(
        spf=spf,
        dkim=dkim,
        dmarc=_dmarc(_method(source, "dmarc"), from_domain),
        compauth=_compauth(_method(source, "compauth")),
        arc=_arc(_method(source, "arc")),
        source=source.header if source else None,
        source_authserv_id=source.authserv_id if source else None,
        others=[_summary(p) for p in parsed if p is not picked],
        alignment=_alignment(spf, dkim, from_domain),
    )
    return Verdict(source=source, parsed=parsed, data=data)


def _method(source: AuthResults | None, method: str) -> MethodResult | None:
    return source.first(method) if source else None


def _first_spf(parsed: list[AuthResults]) -> MethodResult | None:
    """SPF from the topmost Received-SPF: another server's Authentication-Results, lower in
    the chain, are not this receiver's word."""
    return next((p.first("spf") for p in parsed if p.header == "Received-SPF"), None)


def _explain(method: str, result: str | None) -> str | None:
    return load_table("auth_result").meaning(f"{method}.{result}") if result else None


def _spf(spf: MethodResult | None, fallback_ip: str | None) -> Spf:
    if spf is None:
        return Spf(ip=fallback_ip)
    ip = spf.prop("client-ip")
    for comment in spf.comments:
        found = _IP_IN_COMMENT.search(comment)
        if found and not ip:
            ip = found.group(1).rstrip(".")
    # smtp.mfrom and smtp.from: older spellings, used in RFC 8617's own examples
    mail_from = spf.prop("smtp.mailfrom", "smtp.mfrom", "smtp.from")
    domain = domain_of(mail_from) or domain_of(spf.prop("smtp.helo", "helo"))
    return Spf(
        result=spf.result or None,
        domain=domain,
        ip=ip or fallback_ip,
        helo=spf.prop("smtp.helo", "helo"),
        meaning=_explain("spf", spf.result),
    )


def _dkim(dkim: MethodResult) -> Dkim:
    domain = domain_of(dkim.prop("header.d")) or domain_of(dkim.prop("header.i"))
    reason = dkim.prop("reason") or (dkim.comments[0] if dkim.comments else None)
    return Dkim(
        result=dkim.result or None,
        domain=domain,
        selector=dkim.prop("header.s"),
        reason=reason,
        meaning=_explain("dkim", dkim.result),
    )


def _dmarc(dmarc: MethodResult | None, from_domain: str | None) -> Dmarc:
    if dmarc is None:
        return Dmarc(header_from=from_domain)
    policy = next(
        (m.group(1).lower() for c in dmarc.comments for m in [_POLICY_IN_COMMENT.search(c)] if m),
        None,
    )
    action = dmarc.prop("action")
    return Dmarc(
        result=dmarc.result or None,
        action=action,
        policy=policy,
        header_from=domain_of(dmarc.prop("header.from")),
        meaning=_explain("dmarc", dmarc.result),
        action_meaning=load_table("dmarc_action").meaning(action) if action else None,
    )


def _compauth(compauth: MethodResult | None) -> Compauth:
    if compauth is None:
        return Compauth()
    reason = compauth.reason
    entry = load_table("compauth_reason").lookup(reason) if reason else None
    return Compauth(
        result=compauth.result or None,
        reason=reason,
        meaning=entry.meaning if entry else _explain("compauth", compauth.result),
        kind=entry.get("kind") if entry else None,
        status=cast(Status, entry.status) if entry else None,
    )


def _arc(arc: MethodResult | None) -> Arc:
    return Arc(
        result=arc.result if arc else None,
        detail=arc.comments[0] if arc and arc.comments else None,
    )


def _summary(parsed: AuthResults) -> OtherAuth:
    return OtherAuth(
        header=parsed.header,
        authserv_id=parsed.authserv_id,
        instance=parsed.instance,
        results={r.method: r.result for r in parsed.results},
    )


def _alignment(spf: Spf, dkim: list[Dkim], from_domain: str | None) -> Alignment:
    spf_domain = spf.domain
    dkim_domains = [d.domain for d in dkim if d.domain]
    passing_dkim = [d.domain for d in dkim if d.domain and d.result == "pass"]
    spf_pass = spf.result == "pass"
    spf_aligned = aligned(spf_domain, from_domain)
    dkim_aligned = any(aligned(d, from_domain) for d in dkim_domains) if from_domain else None
    return Alignment(
        from_domain=from_domain,
        spf_domain=spf_domain,
        dkim_domains=dkim_domains,
        spf_aligned=spf_aligned,
        dkim_aligned=dkim_aligned,
        spf_aligned_strict=aligned(spf_domain, from_domain, strict=True),
        dkim_aligned_strict=(
            any(aligned(d, from_domain, strict=True) for d in dkim_domains) if from_domain else None
        ),
        dmarc_pass_spf=bool(spf_pass and spf_aligned),
        dmarc_pass_dkim=any(aligned(d, from_domain) for d in passing_dkim),
    )
