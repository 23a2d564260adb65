"""Choose the authentication verdict that counts for this mailbox and describe it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import cast

from o365diag.headers.alignment import alignment_forms, domain_of
from o365diag.headers.authres import (
    AuthResults,
    MethodResult,
    parse_authentication_results,
    parse_received_spf,
    read_results_only,
)
from o365diag.headers.kinds import AUTHENTICATION, VERDICT_HEADERS
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
from o365diag.headers.parse import HeaderField, HeaderSet
from o365diag.knowledge import load_table

__all__ = ["VERDICT_HEADERS", "Verdict", "choose_verdict"]

_IP_IN_COMMENT = re.compile(r"(?:sender IP is|designates|client-ip=)\s*\[?([0-9A-Fa-f:.]{3,45})")
_POLICY_IN_COMMENT = re.compile(r"\bp=([A-Za-z]+)")


@dataclass
class Verdict:
    source: AuthResults | None
    # Every authentication header as parse_all read it (an ARC instance below a verdict of a
    # more trusted kind without its properties and comments).
    parsed: list[AuthResults] = field(default_factory=list)
    data: Authentication = field(default_factory=Authentication)

    @property
    def problems(self) -> list[tuple[AuthResults, str]]:
        return [(p, problem) for p in self.parsed for problem in p.problems]


_ARC = "arc-authentication-results"
# The kinds trusted before ARC's: when one of them gives a verdict, no ARC instance can.
_ABOVE_ARC = frozenset(VERDICT_HEADERS[: VERDICT_HEADERS.index(_ARC)])


def parse_all(headers: HeaderSet) -> list[AuthResults]:
    """Every authentication header, in header order (topmost first).

    An ARC-Authentication-Results below a verdict of a more trusted kind can only be
    summarized (``others``) and checked (its problems): it is read without its properties and
    comments (authres.read_results_only). Every other header is read in full.
    """
    parsed: list[AuthResults] = []
    summarized = False  # a header above gave a verdict of a kind trusted before ARC's
    for found in headers.of_kind(AUTHENTICATION):
        if summarized and found.key == _ARC:
            parsed.append(read_results_only(found.value, found.name, found.position))
            continue
        read = _read_in_full(found)
        if found.key in _ABOVE_ARC and (read.results or read.says_none):
            summarized = True
        parsed.append(read)
    return parsed


def parse_all_in_full(headers: HeaderSet) -> list[AuthResults]:
    """Every authentication header read in full, in header order (topmost first)."""
    return [_read_in_full(found) for found in headers.of_kind(AUTHENTICATION)]


def _read_in_full(found: HeaderField) -> AuthResults:
    if found.key == "received-spf":
        return parse_received_spf(found.value, found.position)
    return parse_authentication_results(found.value, found.name, found.position)


def _pick_source(parsed: list[AuthResults]) -> AuthResults | None:
    """The topmost header of the most trusted kind that gives a verdict; a receiver's
    ``none`` is one, so a lower header (another server's, perhaps the sender's) is not used."""
    by_kind: dict[str, list[AuthResults]] = {}
    for p in parsed:
        if p.results or p.says_none:
            by_kind.setdefault(p.header.lower(), []).append(p)
    for name in VERDICT_HEADERS:
        candidates = by_kind.get(name)
        if not candidates:
            continue
        if name == "arc-authentication-results":
            return max(candidates, key=lambda p: p.instance or 0)
        return candidates[0]
    return next((p for p in parsed if p.results), None)


def _merge_same_server(
    source: AuthResults, parsed: list[AuthResults], headers: HeaderSet
) -> AuthResults:
    """One server may stamp several headers (e.g. OpenDKIM and OpenDMARC each add one): methods
    missing from the chosen header are taken from its siblings with the same authserv-id,
    stamped at the same hop (no Received field between them); one further down the chain
    may be a copy the sender wrote with the receiver's name in it."""
    if source.authserv_id is None:
        return source
    same_server = [
        p
        for p in parsed
        if p is not source and p.header == source.header and p.authserv_id == source.authserv_id
    ]
    if not same_server:
        return source
    received = [found.position for found in headers.get_all("received")]
    siblings = [
        p
        for p in same_server
        if not any(min(p.index, source.index) < at < max(p.index, source.index) for at in received)
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
    return verdict_of(parse_all(headers), headers, from_domain, fallback_ip)


def verdict_of(
    parsed: list[AuthResults], headers: HeaderSet, from_domain: str | None, fallback_ip: str | None
) -> Verdict:
    """The verdict from the set's authentication headers as parse_all read them."""
    picked = _pick_source(parsed)
    source = _merge_same_server(picked, parsed, headers) if picked else None
    firsts = {r.method: r for r in reversed(source.results)} if source else {}
    spf = _spf(firsts.get("spf") or _first_spf(parsed), fallback_ip)
    dkim = [_dkim(r) for r in source.results if r.method == "dkim"] if source else []
    data = Authentication(
        spf=spf,
        dkim=dkim,
        dmarc=_dmarc(firsts.get("dmarc"), from_domain),
        compauth=_compauth(firsts.get("compauth")),
        arc=_arc(firsts.get("arc")),
        source=source.header if source else None,
        source_authserv_id=source.authserv_id if source else None,
        others=[_summary(p) for p in parsed if p is not picked],
        alignment=_alignment(spf, dkim, from_domain),
    )
    return Verdict(source=source, parsed=parsed, data=data)


def _first_spf(parsed: list[AuthResults]) -> MethodResult | None:
    """SPF from the topmost Received-SPF: another server's Authentication-Results, lower in
    the chain, are not this receiver's word."""
    return next((p.first("spf") for p in parsed if p.header == "Received-SPF"), None)


def _explain(method: str, result: str | None) -> str | None:
    return load_table("auth_result").meaning(f"{method}.{result}") if result else None


def _spf(spf: MethodResult | None, fallback_ip: str | None) -> Spf:
    if spf is None:
        return Spf(ip=fallback_ip)
    props = spf.props
    # smtp.mfrom and smtp.from: older spellings, used in RFC 8617's own examples
    mail_from = props.get("smtp.mailfrom") or props.get("smtp.mfrom") or props.get("smtp.from")
    helo = props.get("smtp.helo") or props.get("helo") or None
    return Spf(
        result=spf.result or None,
        domain=domain_of(mail_from) or domain_of(helo),
        ip=props.get("client-ip") or _ip_in_comments(spf.comments) or fallback_ip,
        helo=helo,
        meaning=_explain("spf", spf.result),
    )


def _ip_in_comments(comments: list[str]) -> str | None:
    for comment in comments:
        found = _IP_IN_COMMENT.search(comment)
        if found and (ip := found.group(1).rstrip(".")):
            return ip
    return None


def _dkim(dkim: MethodResult) -> Dkim:
    props = dkim.props
    domain = domain_of(props.get("header.d")) or domain_of(props.get("header.i"))
    reason = props.get("reason") or (dkim.comments[0] if dkim.comments else None)
    return Dkim(
        result=dkim.result or None,
        domain=domain,
        selector=props.get("header.s") or None,
        reason=reason,
        meaning=_explain("dkim", dkim.result),
    )


def _dmarc(dmarc: MethodResult | None, from_domain: str | None) -> Dmarc:
    if dmarc is None:
        return Dmarc(header_from=from_domain)
    policy = None
    for comment in dmarc.comments:
        if found := _POLICY_IN_COMMENT.search(comment):
            policy = found.group(1).lower()
            break
    action = dmarc.props.get("action") or None
    return Dmarc(
        result=dmarc.result or None,
        action=action,
        policy=policy,
        header_from=domain_of(dmarc.props.get("header.from")),
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
    results = {r.method: r.result for r in parsed.results}
    return OtherAuth(parsed.header, parsed.authserv_id, parsed.instance, results)


def _alignment(spf: Spf, dkim: list[Dkim], from_domain: str | None) -> Alignment:
    found = Alignment(from_domain, spf.domain, [d.domain for d in dkim if d.domain])
    if not from_domain:
        return found
    strict_from, relaxed_from = alignment_forms(from_domain)
    if spf.domain:
        strict, relaxed = alignment_forms(spf.domain)
        found.spf_aligned, found.spf_aligned_strict = relaxed == relaxed_from, strict == strict_from
        found.dmarc_pass_spf = spf.result == "pass" and found.spf_aligned
    found.dkim_aligned = found.dkim_aligned_strict = False
    for signature in dkim:
        if signature.domain:
            strict, relaxed = alignment_forms(signature.domain)
            if relaxed == relaxed_from:
                found.dkim_aligned = True
                found.dmarc_pass_dkim = found.dmarc_pass_dkim or signature.result == "pass"
            found.dkim_aligned_strict = found.dkim_aligned_strict or strict == strict_from
    return found
