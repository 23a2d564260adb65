"""DKIM selector records: the CNAME Microsoft 365 asks for, the key it points to, its size.

Microsoft 365 publishes each domain's keys at a target of its own; the custom domain only
holds two CNAMEs (``selector1._domainkey`` and ``selector2._domainkey``) pointing there. The
resolver follows the chain, so one TXT lookup gives the CNAME, the target and the key.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from dataclasses import dataclass, field, replace
from typing import cast

from o365diag.dns.catalogue import finding, microsoft_fact
from o365diag.dns.model import DkimForm, DkimKeyData, DkimSelectors, DnsOutcome
from o365diag.dns.records import Section, lookup_failed, parse_tags
from o365diag.dns.resolver import DnsResult, Resolver
from o365diag.findings import Finding, Severity

__all__ = ["DkimKey", "check_dkim", "fetch_key", "key_findings", "parse_key_record"]

MICROSOFT_SELECTORS = ("selector1", "selector2")
_WEAK_BITS = 1024  # RFC 8301: verifiers must reject keys under 1024 bits


@dataclass
class DkimKey:
    """What DNS says about one selector of one domain."""

    domain: str
    selector: str
    name: str
    outcome: DnsOutcome
    cname: str | None = None
    target: str | None = None
    form: DkimForm | None = None  # where the CNAME points; None without one
    record: str | None = None
    key_type: str | None = None
    key_bits: int | None = None
    revoked: bool = False
    testing: bool = False
    problem: str = ""
    answer: DnsResult | None = field(default=None, repr=False)

    @property
    def found(self) -> bool:
        return self.record is not None

    def to_data(self) -> DkimKeyData:
        """This selector as the domain check saves it."""
        return DkimKeyData(
            name=self.name,
            outcome=self.outcome,
            cname=self.cname,
            target=self.target,
            form=self.form,
            record=self.record,
            key_type=self.key_type,
            key_bits=self.key_bits,
            revoked=self.revoked,
            testing=self.testing,
            problem=self.problem or None,
        )


def parse_key_record(text: str) -> tuple[dict[str, str], str | None, int | None, str]:
    """(tags, key type, key bits, problem) of a DKIM key record (RFC 6376 3.6.1)."""
    tags, problems = parse_tags(text)
    if tags.get("v", "DKIM1") != "DKIM1":
        problems.append(f"v={tags['v']} is not DKIM1")
    if "p" not in tags:
        problems.append("the p= tag (the public key) is missing")
        return tags, None, None, "; ".join(problems)
    key_type = tags.get("k", "rsa").lower()
    bits, key_problem = _key_bits(key_type, tags["p"])
    if key_problem:
        problems.append(key_problem)
    return tags, key_type, bits, "; ".join(problems)


def _key_bits(key_type: str, encoded: str) -> tuple[int | None, str]:
    compact = re.sub(r"\s+", "", encoded)
    if not compact:
        return None, ""  # revoked: an empty p= is legal
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None, "p= is not valid base64"
    if key_type == "ed25519":
        return (256, "") if len(raw) == 32 else (None, "an ed25519 key must be 32 bytes")
    if key_type != "rsa":
        return None, f"unknown key type k={key_type}"
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(raw)
    except (ValueError, TypeError):
        return None, "p= does not hold an RSA public key"
    if not isinstance(key, rsa.RSAPublicKey):
        return None, "p= holds a key that is not RSA"
    return key.key_size, ""


def _target_form(target: str) -> DkimForm:
    host = target.lower().rstrip(".")
    for form, key in (
        ("microsoft-classic", "dkim-target-classic"),
        ("microsoft-new", "dkim-target-new"),
    ):
        suffix = str(microsoft_fact(key).get("suffix"))
        if host.endswith("." + suffix) and "._domainkey." in host:
            return cast(DkimForm, form)
    return "other"


async def fetch_key(domain: str, selector: str, resolver: Resolver) -> DkimKey:
    """Look up ``<selector>._domainkey.<domain>`` TXT, following CNAMEs."""
    name = f"{selector}._domainkey.{domain}"
    answer = await resolver.query(name, "TXT")
    key = DkimKey(domain, selector, name, outcome=answer.outcome_name, answer=answer)
    if answer.cnames:
        key.cname = answer.cnames[0]
        key.target = answer.canonical_name
        key.form = _target_form(key.target)
    if not answer.ok:
        return key
    records = [t.decode("utf-8", "replace") for t in answer.texts()]
    keys = [r for r in records if "p=" in r]
    if not keys:
        key.problem = "the TXT record found is not a DKIM key (no p= tag)"
        return key
    key.record = keys[0]
    tags, key.key_type, key.key_bits, key.problem = parse_key_record(key.record)
    key.revoked = "p" in tags and not tags["p"].strip()
    key.testing = "y" in tags.get("t", "").lower().split(":")
    if len(keys) > 1:
        key.problem = (key.problem + "; " if key.problem else "") + "more than one key record"
    return key


def key_findings(key: DkimKey) -> list[Finding]:
    """Findings about one key that was found (or whose lookup failed)."""
    values = {
        "name": key.name,
        "selector": key.selector,
        "domain": key.domain,
        "target": key.target or key.name,
        "bits": key.key_bits,
        "problem": key.problem,
        "key_type": key.key_type,
    }
    evidence = tuple(x for x in (key.answer.describe() if key.answer else "",) if x)
    if key.answer is not None and key.answer.failed:
        return [lookup_failed("dkim.lookup-failed", key.answer)]
    if not key.found:
        code = "dkim.cname-target-missing" if key.cname else "dkim.selector-missing"
        return [finding(code, values, evidence=evidence)]
    if key.problem and key.key_bits is None and not key.revoked:
        return [finding("dkim.key-invalid", values, evidence=evidence)]
    out: list[Finding] = []
    if key.revoked:
        out.append(finding("dkim.key-revoked", values, evidence=evidence))
    elif key.key_type == "rsa" and key.key_bits is not None and key.key_bits < _WEAK_BITS:
        out.append(finding("dkim.key-too-short", values, evidence=evidence))
    elif key.key_type == "rsa" and key.key_bits == _WEAK_BITS:
        out.append(finding("dkim.key-short", values, evidence=evidence))
    else:
        out.append(finding("dkim.selector-ok", values, evidence=evidence))
    if key.testing:
        out.append(finding("dkim.testing", values, evidence=evidence))
    return out


async def check_dkim(
    domain: str, resolver: Resolver, selectors: tuple[str, ...] = ()
) -> Section[DkimSelectors]:
    """Microsoft's two selectors plus any custom ones, all asked at once."""
    wanted = list(dict.fromkeys((*MICROSOFT_SELECTORS, *selectors)))
    keys = await asyncio.gather(*(fetch_key(domain, s, resolver) for s in wanted))
    section = Section(DkimSelectors({k.selector: k.to_data() for k in keys}))
    present = [k for k in keys if k.found or k.cname or (k.answer and k.answer.failed)]
    if not present:
        section.findings.append(finding("dkim.not-configured", {"domain": domain}))
        return section
    microsoft_present = any(k.selector in MICROSOFT_SELECTORS for k in present)
    for key in keys:
        found = key_findings(key)
        if key not in present and key.selector in MICROSOFT_SELECTORS and microsoft_present:
            # One Microsoft selector signs at a time; the other is needed only for rotation.
            found = [replace(f, severity=Severity.INFO) for f in found]
        section.findings.extend(found)
        if key.form == "other" and key.selector in MICROSOFT_SELECTORS:
            values = {"name": key.name, "target": key.target}
            section.findings.append(finding("dkim.not-microsoft", values))
    return section
