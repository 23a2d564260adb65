"""Header analysis: parse -> authentication verdict -> stamps -> Received chain -> diagnosis."""

from __future__ import annotations

import email.utils
import functools
import re
from dataclasses import dataclass
from typing import Any

from o365diag.headers.alignment import domain_of
from o365diag.headers.diagnose import diagnose, most_likely
from o365diag.headers.model import Exchange, Summary
from o365diag.headers.parse import HeaderSet, read_header_source
from o365diag.headers.received import Chain, build_chain, parse_date_noting
from o365diag.headers.result import SCHEMA, HeadersResult
from o365diag.headers.stamps import (
    AntispamStamps,
    decode_antispam,
    decode_exchange,
)
from o365diag.headers.verdict import Verdict, choose_verdict

__all__ = ["SCHEMA", "Analysis", "analyze", "analyze_headers"]

# Real messages cross a few dozen servers at most; RFC 5321 §6.3 suggests treating 100
# Received headers as a mail loop. Past this many, the older hops are counted, not read.
MAX_HOPS = 1000
# email.utils.getaddresses recurses once per group ("name:" ... ";") and walks the value in
# Python: past these sizes the addresses are taken by pattern instead.
_MAX_GROUPS = 50
_MAX_ADDRESS_CHARS = 64 * 1024


@dataclass
class Analysis:
    """Everything the diagnosis rules look at."""

    headers: HeaderSet
    summary: Summary
    verdict: Verdict
    antispam: AntispamStamps
    untrusted: AntispamStamps
    exchange: Exchange
    chain: Chain

    @property
    def from_domain(self) -> str | None:
        return domain_of(self.summary.from_address)

    @functools.cached_property
    def template_values(self) -> dict[str, Any]:
        """What the findings' texts are filled from (read once; several rules use it)."""
        auth = self.verdict.data
        stamped = self.antispam.values
        failing_dkim = next((d for d in auth.dkim if d.result != "pass"), None)
        return {
            "ip": auth.spf.ip or stamped.get("cip"),
            "spf_domain": auth.spf.domain,
            "spf_result": auth.spf.result,
            "from_domain": self.from_domain,
            "dkim_domain": failing_dkim.domain if failing_dkim else None,
            "dmarc_action": auth.dmarc.action or "none stated",
            "compauth_reason": auth.compauth.reason,
            "scl": stamped.get("scl"),
            "sfv": stamped.get("sfv"),
            "bcl": stamped.get("bcl"),
            "auth_as": self.exchange.auth_as,
        }


def analyze(source: bytes | str | HeaderSet, name: str = "") -> HeadersResult:
    """Analyze headers (text, .eml or .msg bytes, or an already parsed HeaderSet).

    Raises InputError (from o365diag.headers.parse) when the input holds no headers at all.
    """
    headers = source if isinstance(source, HeaderSet) else read_header_source(source, name)
    analysis = build_analysis(headers)
    findings = diagnose(analysis)
    data = _report_data(analysis)
    lead = most_likely(findings)
    data["most_likely"] = (
        None if lead is None else {"code": lead.code, "title": lead.title, "fix": lead.fix}
    )
    return HeadersResult(data=data, findings=findings)


analyze_headers = analyze


def build_analysis(headers: HeaderSet) -> Analysis:
    summary = _summary(headers)
    antispam = decode_antispam(headers)
    from_domain = domain_of(summary.from_address)
    verdict = choose_verdict(headers, from_domain, antispam.get("cip"))
    return Analysis(
        headers=headers,
        summary=summary,
        verdict=verdict,
        antispam=antispam,
        untrusted=decode_antispam(headers, untrusted=True),
        exchange=decode_exchange(headers),
        chain=build_chain([f.value for f in headers.get_all("received")], MAX_HOPS),
    )


def _summary(headers: HeaderSet) -> Summary:
    from_field = headers.first("from")
    from_address = _addresses(from_field.raw if from_field else None, "From", headers.repairs)
    date = headers.value("date")
    return Summary(
        subject=headers.value("subject"),
        from_=from_field.value if from_field else None,
        from_address=_without_root_dot(from_address[0]) if from_address else None,
        to=list(map(_without_root_dot, _addresses(_raw(headers, "to"), "To", headers.repairs))),
        cc=list(map(_without_root_dot, _addresses(_raw(headers, "cc"), "Cc", headers.repairs))),
        reply_to=headers.value("reply-to"),
        return_path=headers.value("return-path"),
        message_id=headers.value("message-id"),
        date=_iso_date(date, headers),
        date_raw=date,
    )


def _raw(headers: HeaderSet, name: str) -> str | None:
    """A field as written: addresses are read before RFC 2047 decoding, as an encoded word
    can hold text shaped like an address ("=?utf-8?B?PHhAZXZpbC5leGFtcGxlPg==?=" is
    "<x@evil.example>") and no address is ever encoded (RFC 2047 §5)."""
    found = headers.first(name)
    return found.raw if found else None


def _without_root_dot(address: str) -> str:
    """``a@example.com.`` as ``a@example.com``: the domain without the root's dot, as host
    names and the From domain are read."""
    if not address.endswith("."):
        return address
    local, at, domain = address.rpartition("@")
    bare = domain.rstrip(".")
    return f"{local}{at}{bare}" if bare else address


_ADDR = r'[^\s<>@",;]+@[^\s<>@",;]+'
_ONE_ADDRESS = re.compile(rf'(?:"[^"\\]*"|[^",<>@]*)\s*<({_ADDR})>|({_ADDR})')
_ANY_ADDRESS = re.compile(r'[^\s<>@",;:()]{1,64}@[^\s<>@",;:()]{1,255}')
# A list of bare addresses ("a@example.com, b@example.org"), empty items allowed: each item is
# what _ONE_ADDRESS reads as an address alone when the list holds no '<'.
_BARE_LIST = re.compile(rf"\s*(?:{_ADDR}\s*)?(?:,\s*(?:{_ADDR}\s*)?)*")


def _addresses(value: str | None, name: str = "", repairs: list[str] | None = None) -> list[str]:
    if not value:
        return []
    # The usual single address, without the cost of the general parser; a comma outside
    # quotes is no part of one (_ONE_ADDRESS: no comma but in a quoted name).
    simple = _ONE_ADDRESS.fullmatch(value.strip()) if "," not in value or '"' in value else None
    if simple:
        return [simple.group(1) or simple.group(2)]
    listed = _simple_list(value)
    if listed is not None:
        return listed
    if value.count(":") > _MAX_GROUPS or len(value) > _MAX_ADDRESS_CHARS:
        repair = (
            f"{name}: {value.count(':'):,} group markers in {len(value):,} characters; "
            "the addresses were picked out by pattern"
        )
        if repairs is not None and repair not in repairs:  # a set analyzed again: noted once
            repairs.append(repair)
        return _ANY_ADDRESS.findall(value)
    return [addr for _, addr in email.utils.getaddresses([value]) if addr]


def _simple_list(value: str) -> list[str] | None:
    """A plain comma-separated list (no quotes, comments or groups) read part by part, as the
    general parser would read it; None when any part needs the general parser."""
    if '"' in value or "(" in value or ":" in value or "\\" in value:
        return None
    if "<" not in value and _BARE_LIST.fullmatch(value):  # bare addresses: each part is one
        return [part for part in map(str.strip, value.split(",")) if part]
    found = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        simple = _ONE_ADDRESS.fullmatch(part)
        if simple is None:
            return None
        found.append(simple.group(1) or simple.group(2))
    return found


def _iso_date(value: str | None, headers: HeaderSet) -> str | None:
    """The Date field's moment in ISO 8601; what its reading had to assume or change (a leap
    second read as :59, a missing zone taken as UTC) is noted as a repair, as on a hop."""
    if not value:
        return None
    parsed, notes = parse_date_noting(value)
    for note in notes:
        headers.note_repair(f"Date: {note}")
    return parsed.isoformat() if parsed else None


def _report_data(analysis: Analysis) -> dict[str, Any]:
    return {
        "summary": analysis.summary.to_json(),
        "authentication": analysis.verdict.data.to_json(),
        "antispam": {**analysis.antispam.to_dict(), "untrusted": analysis.untrusted.to_dict()},
        "exchange": analysis.exchange.to_json(),
        "hops": [hop.to_dict() for hop in analysis.chain.hops],
        "total_transit_seconds": analysis.chain.total_transit_seconds,
        "skipped_hops": analysis.chain.skipped,
        "input": {
            "kind": analysis.headers.source_kind,
            "fields": len(analysis.headers),
            "had_body": analysis.headers.had_body,
            "stray_lines": len(analysis.headers.stray_lines),
        },
    }
