"""Diagnosis rules: each looks at one aspect of an Analysis and yields findings with the fix.

Titles, severities and fixes live in knowledge/header_findings.json; the rules only decide
when a finding applies and fill in what was seen.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from o365diag.addresses import non_public_kind
from o365diag.findings import Finding, Severity, catalogue_finding, fill_template
from o365diag.headers.authres import AuthResults
from o365diag.headers.model import Dkim, Dmarc
from o365diag.headers.parse import ENCODED_WORD, HeaderField, HeaderSet
from o365diag.headers.waits import held_by_names
from o365diag.knowledge import load_table
from o365diag.wording import duration

if TYPE_CHECKING:
    from o365diag.headers.analysis import Analysis
    from o365diag.headers.received import Hop

__all__ = ["SLOW_HOP_SECONDS", "diagnose", "finding_rank", "make_finding", "most_likely"]

SLOW_HOP_SECONDS = 300
MAX_HOP_FINDINGS = 10
_SPAM_SFV = frozenset({"SPM", "SKS", "SKB"})
_ALLOW_SFV = frozenset({"SKA", "SKN", "SFE"})
_HIGH_PHISH_CAT = frozenset({"HPHSH", "HPHISH"})
_MAX_EVIDENCE = 12
# Severity's comparisons run in Python: the few that count as a problem, found by identity.
_AT_LEAST_WARNING = tuple(s for s in Severity if s >= Severity.WARNING)
_LAST_RANK = 1000
_NO_DOMAIN = "(no domain given)"
# DKIM results that say the signature could not be checked, or was refused by the receiver's
# own rules, rather than failed (RFC 8601 §2.7.1). Not "neutral": RFC 8601 also gives it to
# failures no other result covers, and receivers write it for a body hash mismatch.
_NOT_VERIFIED = frozenset({"policy", "temperror", "permerror"})


def make_finding(
    code: str,
    values: dict[str, Any] | None = None,
    *,
    detail: str = "",
    evidence: tuple[str, ...] = (),
    severity: Severity | None = None,
    references: tuple[str, ...] = (),
) -> Finding:
    """A finding from the catalogue entry ``code`` with its templates filled from ``values``."""
    return catalogue_finding(
        "header_findings",
        code,
        values,
        detail=detail,
        evidence=evidence,
        severity=severity,
        references=references,
        max_evidence=_MAX_EVIDENCE,
    )


def diagnose(analysis: Analysis) -> list[Finding]:
    """Every rule's findings, the most specific first (the catalogue's ``rank``)."""
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(analysis))
    return sorted(findings, key=lambda f: finding_rank(f.code))


@functools.lru_cache(maxsize=512)  # the catalogue's codes: a few dozen
def finding_rank(code: str) -> int:
    """Lower leads: a specific cause ranks above the generic finding it explains."""
    entry = load_table("header_findings").lookup(code)
    return int(entry.get("rank", _LAST_RANK)) if entry else _LAST_RANK


def most_likely(findings: Iterable[Finding]) -> Finding | None:
    """The one finding to act on first: the worst, and among the worst the most specific."""
    problems = [f for f in findings if f.severity in _AT_LEAST_WARNING]
    if not problems:
        return None
    return min(problems, key=lambda f: (-f.severity.rank, finding_rank(f.code)))


def _verdict_evidence(a: Analysis) -> tuple[str, ...]:
    source = a.verdict.source
    if source is None:
        return ()
    fields = a.headers.fields
    if 0 <= source.index < len(fields) and fields[source.index].position == source.index:
        found: HeaderField | None = fields[source.index]  # a parsed set's fields are in order
    else:
        found = next((f for f in fields if f.position == source.index), None)
    return (found.line(),) if found else ()


def _stamp_evidence(a: Analysis) -> tuple[str, ...]:
    return tuple(a.antispam.headers)


def rule_authentication(a: Analysis) -> Iterator[Finding]:
    auth = a.verdict.data
    values = a.template_values
    evidence = _verdict_evidence(a)
    if a.verdict.source is None:
        yield make_finding("no-auth-results", values)
        return
    if a.verdict.source.says_none and not a.verdict.source.results:
        detail = f"{a.verdict.source.authserv_id} wrote 'none': it checked no SPF, DKIM or DMARC."
        yield make_finding("no-auth-results", values, detail=detail, evidence=evidence)
        return
    found = [
        *_spf_findings(auth.spf.result, values, evidence),
        *_dkim_findings(auth.dkim, values, evidence),
        *_dmarc_findings(auth.dmarc, values, evidence),
        *_compauth_findings(a, values, evidence),
    ]
    # Only some findings have another fix for a private IP: the address is read for those.
    if values["ip"] and any(_has_text(f.code, "fix_private_ip") for f in found):
        kind = non_public_kind(str(values["ip"]))
        if kind:
            with_kind = {**values, "ip_kind": kind}
            found = [_private_ip_fix(f, with_kind) for f in found]
    yield from found


def _private_ip_fix(item: Finding, values: dict[str, Any]) -> Finding:
    """A private sending IP can never go into SPF: the catalogue's other fix says what can."""
    other = _other_text(item.code, "fix_private_ip", values)
    return dataclasses.replace(item, fix=other) if other else item


@functools.lru_cache(maxsize=512)  # the catalogue's codes and text names: a few dozen
def _has_text(code: str, key: str) -> bool:
    """Whether the catalogue entry ``code`` has the special-case text ``key``."""
    entry = load_table("header_findings").lookup(code)
    return bool(entry and entry.get(key))


def _other_text(code: str, key: str, values: dict[str, Any]) -> str | None:
    """One of a catalogue entry's texts for a special case (``fix_private_ip`` ...), filled."""
    entry = load_table("header_findings").lookup(code)
    text = entry.get(key) if entry else None
    return fill_template(str(text), values) if text else None


_SPF_CODES = {
    "fail": "spf-fail",
    "softfail": "spf-softfail",
    "none": "spf-none",
    "temperror": "spf-error",
    "permerror": "spf-error",
}


def _spf_findings(
    result: str | None, values: dict[str, Any], evidence: tuple[str, ...]
) -> Iterator[Finding]:
    code = _SPF_CODES.get(result or "")
    if code:
        yield make_finding(code, values, evidence=evidence)


def _dkim_findings(
    dkim: list[Dkim], values: dict[str, Any], evidence: tuple[str, ...]
) -> Iterator[Finding]:
    if not dkim or all(d.result == "none" for d in dkim):
        yield make_finding("dkim-none", values, evidence=evidence)
        return
    # An empty result ("dkim=;") says nothing; malformed-header reports it.
    failed = [d for d in dkim if d.result not in ("pass", "none", None)]
    if not failed:
        return
    passed = any(d.result == "pass" for d in dkim)
    reasons = "; ".join(
        f"{d.domain or _NO_DOMAIN}: {d.result} ({d.reason or 'no reason given'})" for d in failed
    )
    found = make_finding(
        "dkim-fail",
        values,
        evidence=evidence,
        detail=f"{reasons}.{_dkim_result_meanings(failed)}"
        + (" Another signature passed, so this one alone does not fail DMARC." if passed else ""),
        severity=Severity.INFO if passed else None,
    )
    yield _not_verified_wording(found, failed, values)


def _dkim_result_meanings(failed: list[Dkim]) -> str:
    """What each result other than a plain fail means (RFC 8601 §2.7.1): "policy" or
    "temperror" is no signature that failed to verify, and the admin's fix differs."""
    table = load_table("auth_result")
    results = dict.fromkeys(d.result for d in failed if d.result != "fail")
    meanings = [(result, table.meaning(f"dkim.{result}")) for result in results]
    return "".join(f" dkim={result}: {meaning}" for result, meaning in meanings if meaning)


def _not_verified_wording(item: Finding, failed: list[Dkim], values: dict[str, Any]) -> Finding:
    """The catalogue's other title and fix when no signature failed verification itself: the
    receiver could not check them, or refused them by its own policy."""
    if any(d.result not in _NOT_VERIFIED for d in failed):
        return item
    first = failed[0]
    filled = {**values, "dkim_domain": first.domain or _NO_DOMAIN, "dkim_result": first.result}
    title = _other_text("dkim-fail", "title_not_verified", filled)
    fix = _other_text("dkim-fail", "fix_not_verified", filled)
    return dataclasses.replace(item, title=title or item.title, fix=fix or item.fix)


def _dmarc_findings(
    dmarc: Dmarc, values: dict[str, Any], evidence: tuple[str, ...]
) -> Iterator[Finding]:
    result = dmarc.result
    if result == "fail":
        action = dmarc.action_meaning
        detail = "DMARC failed" + (f"; action {dmarc.action}: {action}" if action else ".")
        yield make_finding("dmarc-fail", values, evidence=evidence, detail=detail)
    elif result == "none":
        yield make_finding("dmarc-none", values, evidence=evidence)
    elif result in ("temperror", "permerror"):  # RFC 7489 §11.2: no policy could be applied
        filled = {**values, "dmarc_result": result}
        yield make_finding("dmarc-error", filled, evidence=evidence)


def _compauth_findings(
    a: Analysis, values: dict[str, Any], evidence: tuple[str, ...]
) -> Iterator[Finding]:
    compauth = a.verdict.data.compauth
    kind = compauth.kind
    meaning = compauth.meaning or ""
    if compauth.result == "fail":
        yield make_finding(
            "compauth-fail",
            values,
            evidence=evidence,
            detail=f"compauth=fail{_reason_words(compauth.reason)}: {meaning}",
        )
        if kind == "intra-org-spoof":
            yield make_finding("intra-org-spoof", values, evidence=evidence)
    elif kind == "arc-override":
        yield make_finding("arc-override", values, evidence=evidence)
    elif compauth.result in ("pass", "softpass") and not _any_auth_failure(a):
        yield make_finding(
            "auth-pass",
            values,
            evidence=evidence,
            detail=f"compauth={compauth.result}{_reason_words(compauth.reason)}: {meaning}",
        )


def _reason_words(reason: str | None) -> str:
    return f" reason={reason}" if reason else " (no reason given)"


def _any_auth_failure(a: Analysis) -> bool:
    auth = a.verdict.data
    return auth.spf.result in ("fail", "softfail") or auth.dmarc.result == "fail"


def rule_alignment(a: Analysis) -> Iterator[Finding]:
    auth = a.verdict.data
    align = auth.alignment
    spf_pass = auth.spf.result == "pass"
    dkim_pass = any(d.result == "pass" for d in auth.dkim)
    if not (spf_pass or dkim_pass) or align.dmarc_pass_spf or align.dmarc_pass_dkim:
        return
    if auth.compauth.kind == "arc-override":
        return  # a forwarder broke alignment and ARC explains it; see arc-override
    if not align.from_domain:
        return
    detail = (
        f"From domain {align.from_domain}; SPF passed for "
        f"{(align.spf_domain or _NO_DOMAIN) if spf_pass else '(not passed)'}; DKIM passed for "
        f"{_passing_dkim_domains(auth.dkim) or '(none)'}"
        ". Neither aligns with the From domain."
    )
    evidence = _verdict_evidence(a)
    yield make_finding("not-aligned", a.template_values, detail=detail, evidence=evidence)


def _passing_dkim_domains(dkim: list[Dkim]) -> str:
    # dkim=pass without header.d/header.i names no domain: say so rather than fail on None
    return ", ".join(d.domain or _NO_DOMAIN for d in dkim if d.result == "pass")


def rule_spam(a: Analysis) -> Iterator[Finding]:
    values = a.template_values
    stamped = a.antispam.values  # read directly: this runs for every message
    cat = (stamped.get("cat") or "").upper()
    sfv = (stamped.get("sfv") or "").upper()
    scl = stamped.get("scl")
    evidence = _stamp_evidence(a)
    if cat in _HIGH_PHISH_CAT:
        yield make_finding("high-confidence-phish", values, evidence=evidence)
    is_bulk = cat == "BULK" or (stamped.get("srv") or "").upper() == "BULK"
    bcl = stamped.get("bcl")
    if is_bulk or (isinstance(bcl, int) and bcl >= 4):
        severity = Severity.WARNING if is_bulk or (bcl or 0) >= 7 else Severity.INFO
        yield make_finding(
            "bulk", values, evidence=evidence, severity=severity, detail=_bcl_detail(bcl)
        )
    spam = sfv in _SPAM_SFV or (isinstance(scl, int) and scl >= 5)
    if spam and not is_bulk and cat not in _HIGH_PHISH_CAT:
        yield make_finding("spam-verdict", values, evidence=evidence, detail=_spam_detail(a))


def _bcl_detail(bcl: int | None) -> str:
    meaning = load_table("bcl").meaning(str(bcl)) if bcl is not None else None
    return f"BCL {bcl}: {meaning}" if meaning else "The message was identified as bulk mail."


def _spam_detail(a: Analysis) -> str:
    parts = []
    for field in ("sfv", "cat", "scl"):
        entry = next((d for d in a.antispam.decoded if d["field"].lower() == field), None)
        if entry and entry["meaning"]:
            parts.append(f"{entry['field']}:{entry['value']} = {entry['meaning'].rstrip('.')}")
    dest = a.antispam.get("dest")
    if dest:
        parts.append(f"Mailbox-Delivery dest:{dest}")
    return "; ".join(parts) or "Spam filtering marked the message as spam."


def rule_allow_listed(a: Analysis) -> Iterator[Finding]:
    stamped = a.antispam.values
    sfv = (stamped.get("sfv") or "").upper()
    ipv = (stamped.get("ipv") or "").upper()
    scl = stamped.get("scl")
    reasons = []
    if sfv in _ALLOW_SFV:
        reasons.append(f"SFV:{sfv}")
    if ipv == "CAL":
        reasons.append("IPV:CAL (IP Allow List)")
    if sfv == "SKI" and ipv == "CAL":
        reasons.append("SFV:SKI")
    if scl == -1:
        reasons.append("SCL -1")
    if not reasons:
        return
    why = ", ".join(reasons)
    details = "; ".join(
        f"{d['field']}:{d['value']} = {d['meaning']}"
        for d in a.antispam.decoded
        if d["field"] in ("SFV", "IPV", "SCL") and d["meaning"]
    )
    yield make_finding(
        "allow-listed",
        {**a.template_values, "why": why},
        detail=details or why,
        evidence=_stamp_evidence(a),
    )


def rule_untrusted(a: Analysis) -> Iterator[Finding]:
    if not a.untrusted.headers:
        return
    differing = [
        f"{name.upper()}: untrusted {_stamp_value(a.untrusted.get(name))} vs trusted "
        f"{_stamp_value(a.antispam.get(name))}"
        for name in ("sfv", "scl", "dir", "ipv", "cat")
        if a.untrusted.get(name) != a.antispam.get(name) and a.untrusted.get(name) is not None
    ]
    detail = load_table("header_findings").lookup("untrusted-stamps")
    text = detail.meaning if detail else ""
    if differing:
        text += " Differences: " + "; ".join(differing) + "."
    yield make_finding(
        "untrusted-stamps", a.template_values, detail=text, evidence=tuple(a.untrusted.headers)
    )


def _stamp_value(value: object) -> str:
    return "(not stamped)" if value is None else repr(value)


def rule_hops(a: Analysis) -> Iterator[Finding]:
    """Slow hops and clock skew, at most MAX_HOP_FINDINGS of each, then a count of the rest."""
    emitted = {"slow-hop": 0, "clock-skew": 0}
    hops = a.chain.hops
    for hop in hops:  # _is_slow_or_skewed, inline: this runs for every hop of every message
        delay = hop.delay_seconds
        if delay is not None and (hop.clock_skew or delay >= SLOW_HOP_SECONDS):
            break
    else:
        return  # the usual chain: no finding, so no need to name who held the message
    held_by = held_by_names(_hop_names(hop) for hop in hops)
    for hop, holder in zip(hops, held_by, strict=True):
        finding = _hop_finding(hop, holder)
        if finding is None:
            continue
        emitted[finding.code] += 1
        if emitted[finding.code] <= MAX_HOP_FINDINGS:
            yield finding
    for code, count in emitted.items():
        if count > MAX_HOP_FINDINGS:
            yield make_finding(
                code,
                {"hop": "several", "by": "several servers", "delay": "..."},
                detail=f"{count - MAX_HOP_FINDINGS} more hop(s) like the ones "
                "above; the hops list in the JSON output has them all.",
                severity=Severity.INFO,
            )


def _hop_names(hop: Hop) -> dict[str, Any]:
    """The parts of a hop that name servers, as in the JSON ``hops``."""
    return {
        "from": hop.from_host,
        "from_ip": hop.from_ip,
        "by": hop.by_host,
        "by_ip": hop.by_ip,
        "timestamp": hop.timestamp,
    }


def _is_slow_or_skewed(hop: Hop) -> bool:
    delay = hop.delay_seconds
    return delay is not None and (hop.clock_skew or delay >= SLOW_HOP_SECONDS)


def _hop_finding(hop: Hop, held_by: str) -> Finding | None:
    delay = hop.delay_seconds
    if delay is None or not _is_slow_or_skewed(hop):
        return None
    values = {"hop": hop.index, "by": held_by, "delay": duration(abs(delay))}
    if hop.clock_skew:
        return make_finding(
            "clock-skew",
            values,
            evidence=(hop.raw,),
            detail=f"Hop {hop.index} is stamped {duration(-delay)}"
            " before the previous hop; that delay is not counted in the total.",
        )
    return make_finding(
        "slow-hop",
        values,
        evidence=(hop.raw,),
        severity=Severity.ERROR if delay >= 3600 else None,
        detail=f"The message waited {values['delay']} on {values['by']} before "
        f"{hop.by_host or hop.by_ip or 'the next server'} received it (hop {hop.index}).",
    )


def rule_attribution(a: Analysis) -> Iterator[Finding]:
    auth_as = a.exchange.auth_as
    if not auth_as:
        return
    meaning = (a.exchange.meanings.auth_as or "").rstrip(".")
    parts = [
        f"AuthAs {auth_as}: {meaning}" if meaning else f"AuthAs {auth_as} (no published meaning)"
    ]
    if a.exchange.auth_source:
        parts.append(f"evaluated by {a.exchange.auth_source}")
    if a.exchange.auth_mechanism:
        parts.append(f"AuthMechanism {a.exchange.auth_mechanism} (no published meaning)")
    if a.exchange.directionality:
        parts.append(f"direction {a.exchange.directionality}")
    yield make_finding("exchange-attribution", a.template_values, detail="; ".join(parts) + ".")


def rule_malformed(a: Analysis) -> Iterator[Finding]:
    """Damage the analyzer had to read around: a warning when something could not be read,
    information when every problem was repaired (the repairs are listed as evidence)."""
    auth_problems = a.verdict.problems
    unreadable = _unreadable_parts(a, auth_problems)
    repaired = _repaired_parts(a, auth_problems)
    if not unreadable and not repaired:
        return
    problems = unreadable + repaired
    yield make_finding(
        "malformed-header",
        detail=f"{len(unreadable)} part(s) could not be read, {len(repaired)} were repaired; "
        "the analysis used what could be read.",
        evidence=tuple(problems),
        severity=None if any(not _is_minor(p) for p in unreadable) else Severity.INFO,
    )


_AuthProblems = list[tuple[AuthResults, str]]


def _unreadable_parts(a: Analysis, auth_problems: _AuthProblems) -> list[str]:
    problems: list[str] = []
    if a.headers.stray_lines:
        problems.append(
            f"{len(a.headers.stray_lines)} line(s) before the first header field, "
            f"e.g. {a.headers.stray_lines[0][:120]!r}"
        )
    if auth_problems:
        problems.extend(
            f"{parsed.header}: {problem}"
            for parsed, problem in auth_problems
            if not problem.startswith(("stray token", "empty value"))
        )
    problems.extend(a.antispam.problems)  # each names its header
    if a.chain.skipped:
        problems.append(
            f"Received: {a.chain.skipped + len(a.chain.hops):,} headers, far more than any "
            f"real path (a mail loop?); only the newest {len(a.chain.hops):,} were analyzed "
            "and the total transit time covers only those"
        )
    for hop in a.chain.hops:
        if hop.problems:
            problems.extend(f"Received hop {hop.index}: {p}" for p in hop.problems)
    problems.extend(_undecoded_words(a.headers))
    return problems


def _undecoded_words(headers: HeaderSet) -> list[str]:
    """One line per field whose value still holds an encoded word after decoding."""
    # A value differs from its raw text only where the raw text holds "=?": the parser
    # noted those fields.
    if headers.encoded is None:
        candidates = [found for found in headers.fields if "=?" in found.raw]
    else:
        candidates = [headers.fields[position] for position in headers.encoded]
    return [
        f"{found.name}: an encoded word could not be decoded"
        for found in candidates
        if "=?" in found.value and ENCODED_WORD.search(found.value)
    ]


def _repaired_parts(a: Analysis, auth_problems: _AuthProblems) -> list[str]:
    # Stray "; domain" tokens are Microsoft's dialect, not damage: they stay out of this list.
    repairs = [*a.headers.repairs, *a.antispam.repairs]
    if auth_problems:
        repairs.extend(
            f"{parsed.header}: {problem}"
            for parsed, problem in auth_problems
            if problem.startswith("empty value")
        )
    repairs.extend(
        f"Received hop {hop.index}: no ';' before the date"
        for hop in a.chain.hops
        if ";" not in hop.raw and hop.timestamp is not None
    )
    return repairs


def _is_minor(problem: str) -> bool:
    return "assumed UTC" in problem or "no 'by' part" in problem or "leap second" in problem


RULES: tuple[Callable[[Analysis], Iterator[Finding]], ...] = (
    rule_authentication,
    rule_alignment,
    rule_spam,
    rule_allow_listed,
    rule_untrusted,
    rule_hops,
    rule_attribution,
    rule_malformed,
)
