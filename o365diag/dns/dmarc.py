"""DMARC record check (RFC 7489): find the record, parse and validate every tag, and check
that report addresses outside the domain have authorised it (RFC 7489 7.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from o365diag.dns.catalogue import finding, organizational_domain
from o365diag.dns.model import DmarcData, DmarcPolicyName
from o365diag.dns.records import Section, lookup_failed, parse_tags
from o365diag.dns.resolver import BadDomainName, Resolver
from o365diag.findings import Finding
from o365diag.knowledge import load_table

__all__ = ["DmarcPolicy", "check_dmarc", "parse_dmarc"]

_POLICIES = ("none", "quarantine", "reject")


@dataclass
class DmarcPolicy:
    record: str
    tags: dict[str, str]
    problems: list[str]
    unknown_tags: list[str]

    @property
    def p(self) -> DmarcPolicyName | None:
        return _policy(self.tags.get("p", ""))

    @property
    def sp(self) -> DmarcPolicyName | None:
        return _policy(self.tags.get("sp", "")) or self.p

    @property
    def pct(self) -> int:
        value = _percent(self.tags.get("pct", "100"))
        return 100 if value is None else value

    def uris(self, tag: str) -> list[str]:
        return [u.strip() for u in self.tags.get(tag, "").split(",") if u.strip()]

    @property
    def enforced(self) -> bool:
        return self.p in ("quarantine", "reject") and self.pct > 0


def parse_dmarc(record: str) -> DmarcPolicy:
    """Parse ``v=DMARC1; p=...`` and list every problem with its tags."""
    tags, problems = parse_tags(record)
    known = set(load_table("dns_dmarc_tags").key_list())
    lowered = {k.lower(): v for k, v in tags.items()}
    unknown = [k for k in tags if k.lower() not in known]
    if not record.strip().startswith("v=DMARC1"):
        problems.append("the record must start with v=DMARC1 (exact case, first tag)")
    problems.extend(_tag_problems(lowered))
    return DmarcPolicy(record, lowered, problems, unknown)


def _tag_problems(tags: dict[str, str]) -> list[str]:
    problems: list[str] = []
    if "p" not in tags:
        problems.append("p= is missing (receivers treat the record as p=none if rua= is valid)")
    for tag in ("p", "sp", "np"):
        if tag in tags and tags[tag].lower() not in _POLICIES:
            problems.append(f"{tag}={tags[tag]} is not none, quarantine or reject")
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag].lower() not in ("r", "s"):
            problems.append(f"{tag}={tags[tag]} must be r or s")
    pct = tags.get("pct")
    if pct is not None and _percent(pct) is None:
        problems.append(f"pct={pct} must be a whole number from 0 to 100")
    ri = tags.get("ri")
    if ri is not None and not ri.isdigit():
        problems.append(f"ri={ri} must be a number of seconds")
    fo = tags.get("fo")
    if fo is not None and not all(part in ("0", "1", "d", "s") for part in fo.split(":")):
        problems.append(f"fo={fo} must be 0, 1, d or s, separated by ':'")
    for tag in ("rua", "ruf"):
        bad = [u for u in _split(tags.get(tag, "")) if not u.lower().startswith("mailto:")]
        if bad:
            problems.append(f"{tag}= URIs must be mailto: ({', '.join(bad)})")
    return problems


def _policy(value: str) -> DmarcPolicyName | None:
    value = value.lower()
    return cast(DmarcPolicyName, value) if value in _POLICIES else None


def _percent(value: str) -> int | None:
    """``pct=`` as a whole number from 0 to 100, or None. Only ASCII digits count ("²" is a
    digit to str.isdigit but not to int), and a long one is refused before int() reads it."""
    digits = value.lstrip("0") or "0"
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 3):
        return None
    number = int(digits)
    return number if number <= 100 else None


def _split(value: str) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()]


def _mailto_domain(uri: str) -> str | None:
    if not uri.lower().startswith("mailto:"):
        return None
    address = uri[7:].split("!", 1)[0]
    return address.rsplit("@", 1)[1].lower().rstrip(".") if "@" in address else None


async def _fetch(domain: str, resolver: Resolver) -> tuple[Any, list[str]]:
    answer = await resolver.query(f"_dmarc.{domain}", "TXT")
    texts = [t.decode("utf-8", "replace") for t in answer.texts()]
    return answer, [t for t in texts if t.lower().startswith("v=dmarc1")]


async def check_dmarc(domain: str, resolver: Resolver) -> Section[DmarcData]:
    """The policy that applies to ``domain``: its own record, else its organizational domain's."""
    answer, records = await _fetch(domain, resolver)
    location = domain
    org = organizational_domain(domain)
    if not records and not answer.failed and org != domain:
        answer, records = await _fetch(org, resolver)
        location = org
    section = Section(DmarcData(location))
    if answer.failed:
        section.findings.append(lookup_failed("dmarc.lookup-failed", answer))
        return section
    if not records:
        section.findings.append(finding("dmarc.missing", {"domain": domain}))
        return section
    if len(records) > 1:
        section.findings.append(
            finding("dmarc.multiple", {"name": f"_dmarc.{location}"}, evidence=tuple(records))
        )
        return section
    policy = parse_dmarc(records[0])
    section.model = _policy_data(location, policy)
    section.findings.extend(_policy_findings(domain, location, policy))
    section.findings.extend(await _report_authorisation(location, policy, resolver))
    return section


def _policy_data(location: str, policy: DmarcPolicy) -> DmarcData:
    tags = policy.tags
    return DmarcData(
        location=location,
        record=policy.record,
        p=policy.p,
        sp=policy.sp,
        pct=policy.pct,
        rua=policy.uris("rua"),
        ruf=policy.uris("ruf"),
        adkim=tags.get("adkim", "r").lower(),
        aspf=tags.get("aspf", "r").lower(),
        fo=tags.get("fo"),
        valid=not policy.problems,
        problems=policy.problems,
        unknown_tags=policy.unknown_tags,
    )


def _policy_findings(domain: str, location: str, policy: DmarcPolicy) -> list[Finding]:
    evidence = (f"_dmarc.{location} TXT {policy.record}",)
    values = {
        "domain": domain,
        "location": location,
        "p": policy.p,
        "pct": policy.pct,
        "problems": "; ".join(policy.problems),
        "tags": ", ".join(policy.unknown_tags),
    }
    out: list[Finding] = []
    if location != domain:
        out.append(finding("dmarc.inherited", values, evidence=evidence))
    if policy.problems:
        out.append(finding("dmarc.syntax", values, evidence=evidence))
    if policy.unknown_tags:
        out.append(finding("dmarc.unknown-tag", values, evidence=evidence))
    if policy.p == "none" or policy.p is None:
        out.append(finding("dmarc.p-none", values, evidence=evidence))
    else:
        out.append(finding("dmarc.enforced", values, evidence=evidence))
        if policy.pct < 100:
            out.append(finding("dmarc.pct-partial", values, evidence=evidence))
    if not policy.uris("rua"):
        out.append(finding("dmarc.no-rua", values, evidence=evidence))
    if "s" in (policy.tags.get("adkim", "r").lower(), policy.tags.get("aspf", "r").lower()):
        out.append(finding("dmarc.strict-alignment", values, evidence=evidence))
    return out


async def _report_authorisation(
    location: str, policy: DmarcPolicy, resolver: Resolver
) -> list[Finding]:
    """RFC 7489 7.1: a report address in another organizational domain must authorise us."""
    own_org = organizational_domain(location)
    destinations = {
        d
        for d in map(_mailto_domain, policy.uris("rua") + policy.uris("ruf"))
        if d and organizational_domain(d) != own_org
    }
    names = sorted(f"{location}._report._dmarc.{d}" for d in destinations)
    try:
        answers = await resolver.query_many([(n, "TXT") for n in names])
    except BadDomainName:
        return []
    out: list[Finding] = []
    for name, answer in zip(names, answers, strict=True):
        authorised = any(t.lower().startswith(b"v=dmarc1") for t in answer.texts())
        if answer.failed:
            out.append(lookup_failed("dmarc.lookup-failed", answer))
        elif not authorised:
            destination = name.split("._report._dmarc.", 1)[1]
            out.append(
                finding(
                    "dmarc.rua-unauthorized",
                    {"name": name, "destination": destination},
                    evidence=(answer.describe(),),
                )
            )
    return out
