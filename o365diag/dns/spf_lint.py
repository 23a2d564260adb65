"""Findings about a domain's SPF record and the IPs it must authorise.

Works on the include tree (:mod:`o365diag.dns.spf_tree`) for the record itself and on
check_host() results (:mod:`o365diag.dns.spf`) for each device IP.
"""

from __future__ import annotations

from o365diag.addresses import non_public_kind
from o365diag.dns.catalogue import finding, microsoft_fact
from o365diag.dns.model import SpfData
from o365diag.dns.spf import MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfCheck, SpfResult
from o365diag.dns.spf_syntax import SpfRecord, SpfSyntaxError
from o365diag.dns.spf_tree import MAX_RECORDS, SpfTree
from o365diag.domains import is_always_published
from o365diag.findings import Finding

__all__ = ["MICROSOFT_INCLUDES", "check_findings", "parsed_record", "spf_data", "tree_findings"]

MICROSOFT_INCLUDES = ("spf-include", "spf-include-gcc-high", "spf-include-21vianet")
_NEAR_LIMIT = 8
_MAX_RECORD_LENGTH = 450  # RFC 7208 3.4: keep answers small enough for UDP
_LISTED = 5

_ALL_CODES = {
    "+": "spf.plus-all",
    "?": "spf.neutral-all",
    "~": "spf.softfail-all",
    "-": "spf.fail-all",
}


def microsoft_include(tree: SpfTree) -> str | None:
    """The Microsoft 365 include found anywhere in the tree, if any."""
    for key in MICROSOFT_INCLUDES:
        value = str(microsoft_fact(key).get("value"))
        if tree.includes(value):
            return value
    return None


def spf_data(tree: SpfTree) -> SpfData:
    parsed = tree.parsed
    all_term = parsed.all_mechanism if parsed else None
    return SpfData(
        record=tree.record,
        lookups=tree.total_lookups if parsed else None,
        void_lookups=tree.total_void_lookups if parsed else None,
        all=all_term.text if all_term else None,
        includes_microsoft=microsoft_include(tree) is not None if parsed else None,
        depth=tree.depth if parsed else None,
        tree=tree.to_node(),
    )


def tree_findings(tree: SpfTree) -> list[Finding]:
    """What is wrong (or right) with the record and everything it includes."""
    top = _top_problem(tree)
    if top is not None:
        return [top]
    evidence = (f"{tree.domain} TXT {tree.record}",)
    out = _record_findings(tree, evidence)
    out.extend(_include_findings(tree))
    out.extend(_count_findings(tree, evidence))
    include = microsoft_include(tree)
    default_include = str(microsoft_fact("spf-include").get("value"))
    if include:
        out.append(finding("spf.microsoft-included", {"include": include}, evidence=evidence))
    else:
        values = {
            "domain": tree.domain,
            "include": default_include,
            "suggested": _suggested_record(tree, default_include),
        }
        out.append(finding("spf.microsoft-missing", values, evidence=evidence))
    return out


def _top_problem(tree: SpfTree) -> Finding | None:
    values = {"domain": tree.domain, "problem": tree.problem}
    if tree.dns_failure:
        return finding(
            "spf.lookup-failed", {"query": f"{tree.domain} TXT", "error": tree.dns_failure}
        )
    if tree.records_found == 0:
        return finding("spf.missing", values)
    if tree.records_found > 1:
        return finding("spf.multiple", {**values, "count": tree.records_found})
    if tree.parsed is None:
        return finding("spf.syntax", values, evidence=(f"{tree.domain} TXT {tree.record}",))
    return None


def _record_findings(tree: SpfTree, evidence: tuple[str, ...]) -> list[Finding]:
    assert tree.parsed is not None
    out: list[Finding] = []
    all_term = tree.parsed.all_mechanism
    if all_term is not None:
        out.append(
            finding(_ALL_CODES[all_term.qualifier], {"term": all_term.text}, evidence=evidence)
        )
    elif tree.parsed.redirect is None:
        out.append(finding("spf.no-all", {"domain": tree.domain}, evidence=evidence))
    if all_term is not None and tree.parsed.redirect is not None:
        out.append(
            finding("spf.redirect-ignored", {"term": tree.parsed.redirect.text}, evidence=evidence)
        )
    if len(tree.record or "") > _MAX_RECORD_LENGTH:
        out.append(
            finding("spf.record-too-long", {"length": len(tree.record or "")}, evidence=evidence)
        )
    return out


def _include_findings(tree: SpfTree) -> list[Finding]:
    out: list[Finding] = []
    for node in tree.nodes():
        for term in node.terms:
            values = {"domain": node.domain, "term": term.term, "note": term.note}
            if term.term.lstrip("+-~?").lower().startswith("ptr"):
                out.append(finding("spf.ptr", values))
            elif "depends on the sender" in term.note:
                out.append(finding("spf.macro-not-followed", values))
            elif "over the limit of 10" in term.note:
                out.append(finding("spf.mx-too-many", values))
            elif term.void:
                out.append(finding("spf.void-lookup", values, evidence=(term.note,)))
        if node is not tree:
            out.extend(_child_problem(node))
    out.extend(_unvisited(tree))
    return out


def _unvisited(tree: SpfTree) -> list[Finding]:
    """One finding for the records the walk did not fetch: unknown, not missing."""
    skipped = [n.domain for n in tree.nodes() if n.not_followed]
    if not skipped:
        return []
    shown = ", ".join(skipped[:_LISTED]) + (", ..." if len(skipped) > _LISTED else "")
    values = {"count": len(skipped), "max": MAX_RECORDS, "domains": shown}
    return [finding("spf.tree-truncated", values)]


def _child_problem(node: SpfTree) -> list[Finding]:
    if node.not_followed:
        return []  # counted once by _unvisited
    values = {"domain": node.domain, "via": node.via, "problem": node.problem}
    if node.problem.startswith("loop"):
        return [finding("spf.loop", values)]
    if node.dns_failure:
        return [finding("spf.include-lookup-failed", values)]
    if node.records_found == 0 and node.problem and is_always_published(node.domain):
        return [finding("spf.include-unseen", values)]
    if node.records_found == 0 and node.problem:
        return [finding("spf.include-missing", values)]
    if node.problem:
        return [finding("spf.include-broken", values)]
    return []


def _count_findings(tree: SpfTree, evidence: tuple[str, ...]) -> list[Finding]:
    lookups, voids = tree.total_lookups, tree.total_void_lookups
    values = {
        "lookups": lookups,
        "limit": MAX_LOOKUPS,
        "void": voids,
        "void_limit": MAX_VOID_LOOKUPS,
        "tree": _lookup_tree_text(tree),
    }
    tree_lines = tuple(_lookup_tree_text(tree).splitlines())
    out: list[Finding] = []
    if lookups > MAX_LOOKUPS:
        out.append(finding("spf.too-many-lookups", values, evidence=tree_lines))
    elif lookups >= _NEAR_LIMIT:
        out.append(finding("spf.lookups-near-limit", values, evidence=tree_lines))
    else:
        out.append(finding("spf.lookup-count", values, evidence=tree_lines))
    if voids > MAX_VOID_LOOKUPS:
        out.append(finding("spf.too-many-void-lookups", values, evidence=evidence))
    return out


def _lookup_tree_text(tree: SpfTree, depth: int = 0) -> str:
    """The lookup count as an indented tree: one line per record."""
    pad = "  " * depth
    own = f"{pad}{tree.domain}: {tree.lookups} here, {tree.total_lookups} with includes"
    return "\n".join([own, *(_lookup_tree_text(c, depth + 1) for c in tree.children)])


def _suggested_record(tree: SpfTree, include: str) -> str:
    """The record with the Microsoft include added just before the 'all' term."""
    parsed = tree.parsed
    if parsed is None:
        return f"v=spf1 include:{include} -all"
    terms = [m.text for m in parsed.mechanisms if m.name != "all"]
    tail = parsed.all_mechanism.text if parsed.all_mechanism else "~all"
    return " ".join(["v=spf1", *terms, f"include:{include}", tail])


def check_findings(domain: str, checks: list[SpfCheck], record: SpfRecord | None) -> list[Finding]:
    """One finding per device IP: does SPF authorise it, and if not, what to publish."""
    out: list[Finding] = []
    for check in checks:
        kind = non_public_kind(check.ip)
        if kind is not None:
            values = {"ip": check.ip, "kind": kind, "result": check.result.value}
            out.append(finding("spf.ip-private", values))
            continue
        values = {
            "ip": check.ip,
            "domain": domain,
            "sender": check.sender,
            "result": check.result.value,
            "matched": check.matched or "no term matched",
            "path": " > ".join(check.path),
            "problem": check.problem,
            "suggested": _suggested_with_ip(record, check.ip),
        }
        evidence = tuple(_trace_lines(check))
        code = {
            SpfResult.PASS: "spf.ip-pass",
            SpfResult.FAIL: "spf.ip-fail",
            SpfResult.SOFTFAIL: "spf.ip-softfail",
            SpfResult.NEUTRAL: "spf.ip-neutral",
            SpfResult.NONE: "spf.ip-none",
        }.get(check.result, "spf.ip-error")
        out.append(finding(code, values, evidence=evidence))
    return out


def _suggested_with_ip(parsed: SpfRecord | None, ip: str) -> str:
    mechanism = f"ip6:{ip}" if ":" in ip else f"ip4:{ip}"
    if parsed is None:
        include = str(microsoft_fact("spf-include").get("value"))
        return f"v=spf1 {mechanism} include:{include} -all"
    terms = [m.text for m in parsed.mechanisms if m.name != "all"]
    tail = [parsed.all_mechanism.text] if parsed.all_mechanism else []
    if parsed.redirect is not None and not tail:
        tail = [parsed.redirect.text]
    return " ".join(["v=spf1", mechanism, *terms, *tail])


def parsed_record(text: str | None) -> SpfRecord | None:
    """The record parsed, or None when there is none or it does not parse."""
    if not text:
        return None
    try:
        return SpfRecord.parse(text)
    except SpfSyntaxError:
        return None


def _trace_lines(check: SpfCheck) -> list[str]:
    lines = []
    for row in check.trace():
        pad = "  " * int(row["depth"])
        if row["kind"] == "record":
            lines.append(f"{pad}{row['domain']}: {row['text'] or '(no record)'}")
        else:
            lines.append(f"{pad}  {row['text']} -> {row['outcome']} (lookups {row['lookups']})")
    return lines
