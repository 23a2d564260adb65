"""Blocklist checks against zones served by the in-process DNS server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from o365diag.dns.dnsbl import check_blocklists, default_zones, public_resolvers, query_name
from o365diag.dns.records import Section
from o365diag.dns.resolver import Resolver
from o365diag.findings import Severity
from tests.dnsserver import DnsTestServer, Zone

LISTED, CLEAN, REFUSED = "203.0.113.66", "198.51.100.7", "192.0.2.77"


def blocklist_zone() -> Zone:
    zone = Zone()
    zone.add("2.0.0.127.zen.spamhaus.org", "A", "127.0.0.2")
    zone.add(query_name(LISTED, "zen.spamhaus.org"), "A", "127.0.0.4")
    zone.add(query_name(LISTED, "zen.spamhaus.org"), "A", "127.0.0.10")
    zone.add(query_name(REFUSED, "zen.spamhaus.org"), "A", "127.255.255.254")
    # a list that is broken: it answers for everything, 127.0.0.1 included
    zone.add("1.0.0.127.everything.example", "A", "127.0.0.2")
    zone.add("2.0.0.127.everything.example", "A", "127.0.0.2")
    zone.add(query_name(LISTED, "everything.example"), "A", "127.0.0.2")
    # a list whose answers are not in 127.0.0.0/8 (a rewriting resolver)
    zone.add("2.0.0.127.rewrite.example", "A", "127.0.0.2")
    zone.add(query_name(CLEAN, "rewrite.example"), "A", "192.0.2.200")
    return zone


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    with DnsTestServer(blocklist_zone()) as running:
        yield running


async def check(server: DnsTestServer, ips: list[str], zones: list[str]) -> Section:
    return await check_blocklists(ips, Resolver(server.address, timeout=0.5), zones)


def test_query_names_reverse_the_address() -> None:
    assert query_name("203.0.113.10", "zen.spamhaus.org") == "10.113.0.203.zen.spamhaus.org"
    v6 = query_name("2001:db8::1", "bl.example")
    assert v6.startswith("1.0.0.0.") and v6.endswith(".8.b.d.0.1.0.0.2.bl.example")
    assert len(v6.split(".")) == 32 + 2


async def test_listed_ip_gets_each_code_explained(server: DnsTestServer) -> None:
    section = await check(server, [LISTED, CLEAN], ["zen.spamhaus.org"])
    listed = next(r for r in section.data["rows"] if r["ip"] == LISTED)
    assert listed["listed"] is True
    assert listed["codes"] == ["127.0.0.4", "127.0.0.10"]
    assert "XBL" in listed["meaning"] and "PBL (ISP)" in listed["meaning"]
    found = {f.code: f for f in section.findings}
    assert found["dnsbl.listed"].severity is Severity.ERROR
    assert found["dnsbl.not-listed"].title.startswith(CLEAN)


async def test_error_codes_are_refusals_not_listings(server: DnsTestServer) -> None:
    section = await check(server, [REFUSED], ["zen.spamhaus.org"])
    (row,) = section.data["rows"]
    assert row["listed"] is False and "public or open resolver" in row["error"]
    assert [f.code for f in section.findings] == ["dnsbl.refused"]


async def test_list_that_lists_127_0_0_1_is_broken_and_ignored(server: DnsTestServer) -> None:
    section = await check(server, [LISTED], ["everything.example"])
    assert [f.code for f in section.findings] == ["dnsbl.broken-list", "dnsbl.unknown"]
    (row,) = section.data["rows"]
    assert row["listed"] is False and "127.0.0.1 test entry" in row["error"]


async def test_answers_outside_loopback_are_not_listings(server: DnsTestServer) -> None:
    section = await check(server, [CLEAN], ["rewrite.example"])
    (row,) = section.data["rows"]
    assert row["listed"] is False and "rewrites answers" in row["error"]


async def test_list_without_test_entry_is_flagged(server: DnsTestServer) -> None:
    section = await check(server, [CLEAN], ["quiet.example"])
    assert [f.code for f in section.findings] == ["dnsbl.no-test-entry", "dnsbl.unknown"]


async def test_private_addresses_and_retired_lists_are_not_queried(server: DnsTestServer) -> None:
    section = await check(server, ["10.1.2.3", CLEAN], ["dnsbl.sorbs.net", "zen.spamhaus.org"])
    assert {"dnsbl.skipped-private", "dnsbl.decommissioned"} <= {f.code for f in section.findings}
    assert not any("sorbs" in q.name or q.name.startswith("3.2.1.10") for q in server.queries)
    assert [r["ip"] for r in section.data["rows"]] == [CLEAN]


def test_default_lists_skip_the_decommissioned_one() -> None:
    zones = default_zones()
    assert "zen.spamhaus.org" in zones and "dnsbl.sorbs.net" not in zones


def test_public_resolvers_are_recognised() -> None:
    assert public_resolvers(["127.0.0.1", "8.8.8.8", "2606:4700:4700:0::1111"]) == [
        "8.8.8.8 (Google Public DNS)",
        "2606:4700:4700:0::1111 (Cloudflare 1.1.1.1)",
    ]
