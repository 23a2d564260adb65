"""DNS blocklist checks for sending IPs (RFC 5782), with each list's return codes explained.

An answer in 127.0.0.0/8 means listed, except 127.255.255.0/24, which lists use for errors
(for example Spamhaus refusing queries that come through a public resolver). Each list is
also asked about its test entries: 127.0.0.2 should be listed and 127.0.0.1 must not be.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from o365diag.addresses import is_non_public
from o365diag.dns.catalogue import finding
from o365diag.dns.model import BlocklistRow, BlocklistRows
from o365diag.dns.records import Section
from o365diag.dns.resolver import DnsResult, Resolver
from o365diag.findings import Finding, Severity
from o365diag.knowledge import Entry, load_table
from o365diag.wording import plural

__all__ = ["ListAnswer", "check_blocklists", "default_zones", "public_resolvers", "query_name"]

_ERROR_NET = ipaddress.ip_network("127.255.255.0/24")
_LISTED_NET = ipaddress.ip_network("127.0.0.0/8")


@dataclass
class ListAnswer(BlocklistRow):
    """A row and how it was judged (the status is not saved; the findings say it)."""

    status: str = "clean"  # clean | listed | refused | failed | ignored | unknown

    def to_row(self) -> BlocklistRow:
        return BlocklistRow(self.ip, self.zone, self.listed, self.codes, self.meaning, self.error)


def default_zones() -> list[str]:
    table = load_table("dns_blocklists")
    return [e.key for e in table.entries if e.get("default") and not e.get("decommissioned")]


def public_resolvers(addresses: list[str]) -> list[str]:
    """The addresses that are well-known public resolvers, with their operator."""
    table = load_table("dns_public_resolvers")
    found = []
    for address in addresses:
        entry = table.lookup(str(ipaddress.ip_address(address)))
        if entry is not None:
            found.append(f"{address} ({entry.meaning})")
    return found


def query_name(ip: str, zone: str) -> str:
    """``203.0.113.10`` on ``zone`` -> ``10.113.0.203.zone``; IPv6 as 32 reversed nibbles."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        labels = str(address).split(".")
    else:
        labels = list(address.exploded.replace(":", ""))
    return ".".join(reversed(labels)) + "." + zone.strip(".")


def _interpret(ip: str, zone: str, answer: DnsResult, entry: Entry | None) -> ListAnswer:
    if answer.failed:
        return ListAnswer(ip, zone, False, [], error=answer.describe(), status="failed")
    codes = answer.addresses()
    if not codes:
        return ListAnswer(ip, zone, False, [])
    known: dict[str, str] = dict(entry.get("codes", {})) if entry else {}
    errors: dict[str, str] = dict(entry.get("errors", {})) if entry else {}
    refused = [c for c in codes if ipaddress.ip_address(c) in _ERROR_NET]
    if refused:
        text = "; ".join(f"{c}: {errors.get(c, 'error code of the list')}" for c in refused)
        error = f"the list refused the query ({text})"
        return ListAnswer(ip, zone, False, codes, error=error, status="refused")
    outside = [c for c in codes if ipaddress.ip_address(c) not in _LISTED_NET]
    if outside:
        note = "an answer outside 127.0.0.0/8: the resolver or the zone rewrites answers"
        return ListAnswer(ip, zone, False, codes, error=note, status="failed")
    meaning = "; ".join(f"{c}: {known.get(c, 'listed (code not documented here)')}" for c in codes)
    return ListAnswer(ip, zone, True, codes, meaning=meaning, status="listed")


async def check_blocklists(
    ips: list[str], resolver: Resolver, zones: list[str] | None = None
) -> Section[BlocklistRows]:
    """Ask every zone about every public IP, plus the zones' test entries, all at once."""
    table = load_table("dns_blocklists")
    section = Section(BlocklistRows())
    zones = list(dict.fromkeys(z.strip(".").lower() for z in (zones or default_zones())))
    usable = []
    for zone in zones:
        entry = table.lookup(zone)
        if entry is not None and entry.get("decommissioned"):
            section.findings.append(
                finding("dnsbl.decommissioned", {"zone": zone, "meaning": entry.meaning})
            )
        else:
            usable.append(zone)
    public = public_resolvers(resolver.nameserver_addresses)
    if public:
        section.findings.append(finding("dnsbl.public-resolver", {"resolvers": ", ".join(public)}))
    targets = [ip for ip in ips if not is_non_public(ip)]
    for ip in ips:
        if ip not in targets:
            section.findings.append(finding("dnsbl.skipped-private", {"ip": ip}))
    questions = [(query_name(ip, z), "A") for ip in targets for z in usable]
    probes = [(query_name(t, z), "A") for z in usable for t in ("127.0.0.2", "127.0.0.1")]
    answers = await resolver.query_many(questions + probes)
    broken, unverified = _test_entries(usable, answers[len(questions) :], section.findings)
    rows = [
        _interpret(ip, zone, answers[i * len(usable) + j], table.lookup(zone))
        for i, ip in enumerate(targets)
        for j, zone in enumerate(usable)
    ]
    for row in rows:
        if row.zone in broken and row.listed:
            row.listed, row.status = False, "ignored"
            row.error = "ignored: this list also lists its 127.0.0.1 test entry"
        elif row.zone in unverified and row.status == "clean":
            # A list that does not list 127.0.0.2 answers "not listed" for everything.
            row.status = "unknown"
            row.error = "unknown: this list did not list its 127.0.0.2 test entry either"
    section.model.rows = [r.to_row() for r in rows]
    section.findings.extend(_row_findings(targets, rows, table))
    return section


def _test_entries(
    zones: list[str], probes: list[DnsResult], out: list[Finding]
) -> tuple[set[str], set[str]]:
    """Lists that list everything (127.0.0.1), and lists whose "not listed" proves nothing."""
    broken: set[str] = set()
    unverified: set[str] = set()
    for j, zone in enumerate(zones):
        should, must_not = probes[2 * j], probes[2 * j + 1]
        if must_not.ok and must_not.addresses():
            broken.add(zone)
            out.append(
                finding("dnsbl.broken-list", {"zone": zone}, evidence=(must_not.describe(),))
            )
        elif not _lists_test_entry(should):
            unverified.add(zone)
            if should.void:
                out.append(
                    finding("dnsbl.no-test-entry", {"zone": zone}, evidence=(should.describe(),))
                )
    return broken, unverified


def _lists_test_entry(answer: DnsResult) -> bool:
    codes = answer.addresses() if answer.ok else []
    return any(
        ipaddress.ip_address(c) in _LISTED_NET and ipaddress.ip_address(c) not in _ERROR_NET
        for c in codes
    )


def _row_findings(ips: list[str], rows: list[ListAnswer], table: Any) -> list[Finding]:
    out: list[Finding] = []
    for row in rows:
        entry = table.lookup(row.zone)
        name = entry.get("name", row.zone) if entry else row.zone
        values = {
            "ip": row.ip,
            "zone": row.zone,
            "name": name,
            "meaning": row.meaning,
            "error": row.error,
            "query": query_name(row.ip, row.zone),
        }
        if row.status == "listed":
            severity = Severity(entry.get("listed_severity", "error")) if entry else None
            out.append(finding("dnsbl.listed", values, severity=severity))
        elif row.status in ("refused", "failed"):
            code = "dnsbl.refused" if row.status == "refused" else "dnsbl.lookup-failed"
            out.append(finding(code, values))
    for ip in ips:
        mine = [r for r in rows if r.ip == ip]
        if not mine or any(r.status not in ("clean", "ignored", "unknown") for r in mine):
            continue  # listed, refused or failed: those rows have their own findings
        clean = sum(r.status == "clean" for r in mine)
        unknown = len(mine) - clean
        values = {
            "ip": ip,
            "lists": plural(clean, "working blocklist"),
            "asked": plural(len(mine), "list"),
            "unknown_note": (
                f" {plural(unknown, 'more list')} did not list its own test entry: "
                "unknown there, not clean."
                if unknown
                else ""
            ),
        }
        out.append(finding("dnsbl.not-listed" if clean else "dnsbl.unknown", values))
    return out
