"""Hostile DNS zones on the in-process server: an SPF tree wider than the walk follows, and a
server whose answer is truncated even over TCP. Unknown is not reported as missing."""

from __future__ import annotations

from collections import Counter

from o365diag.dns.audit import audit_domain
from o365diag.dns.resolver import Outcome, Resolver
from o365diag.dns.spf_tree import MAX_RECORDS
from tests.dnsserver import DnsTestServer, Zone

INCLUDES = 70


def wide_spf_zone() -> Zone:
    zone = Zone().txt(
        "wide.test",
        "v=spf1 " + " ".join(f"include:s{i}.wide.test" for i in range(INCLUDES)) + " -all",
    )
    for i in range(INCLUDES):
        zone.txt(f"s{i}.wide.test", "v=spf1 ip4:192.0.2.1 -all")
    return zone


async def test_includes_past_the_walk_limit_are_unknown_not_missing() -> None:
    with DnsTestServer(wide_spf_zone()) as server:
        report = await audit_domain(
            "wide.test", resolver=Resolver(server.address, timeout=2.0), dnsbl_zones=()
        )
    codes = Counter(report.codes())
    assert codes["spf.include-missing"] == 0, report.to_text()
    assert codes["spf.too-many-lookups"] == 1
    assert codes["spf.tree-truncated"] == 1
    truncated = next(f for f in report.findings if f.code == "spf.tree-truncated")
    not_followed = INCLUDES - (MAX_RECORDS - 1)  # the root record takes one of the budget
    assert truncated.title == f"{not_followed} included records were not checked"
    assert f"s{INCLUDES - 1}.wide.test" not in truncated.detail  # five named, then "..."
    assert "..." in truncated.detail


async def test_an_include_that_really_is_missing_is_still_reported() -> None:
    zone = (
        Zone().txt("narrow.test", "v=spf1 include:gone.narrow.test -all").touch("gone.narrow.test")
    )
    with DnsTestServer(zone) as server:
        report = await audit_domain(
            "narrow.test", resolver=Resolver(server.address, timeout=2.0), dnsbl_zones=()
        )
    assert "spf.include-missing" in report.codes()
    assert "spf.tree-truncated" not in report.codes()


async def test_an_answer_truncated_over_tcp_is_a_failure_not_no_record() -> None:
    zone = Zone().txt("tc.test", "v=spf1 ip4:192.0.2.1 -all").truncate("tc.test")
    with DnsTestServer(zone) as server:
        resolver = Resolver(server.address, timeout=2.0)
        answer = await resolver.query("tc.test", "TXT")
        protocols = {query.protocol for query in server.queries}
        report = await audit_domain(
            "tc.test", resolver=Resolver(server.address, timeout=2.0), dnsbl_zones=()
        )
    assert protocols == {"udp", "tcp"}  # the retry over TCP happened, and was cut short too
    assert answer.outcome is Outcome.ERROR and "truncated" in answer.describe()
    assert "spf.missing" not in report.codes()
    assert "spf.lookup-failed" in report.codes()
