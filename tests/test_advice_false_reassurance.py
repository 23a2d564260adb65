"""No false reassurance: unknown is said as unknown, one cause gets one finding, and a Microsoft
name that does not resolve blames the local DNS rather than the user's spelling."""

from __future__ import annotations

import pytest

from o365diag.dns.audit import audit_domain
from o365diag.dns.dnsbl import check_blocklists, default_zones
from o365diag.dns.resolver import Resolver
from o365diag.findings import Severity
from o365diag.smtp.probe import Probe
from tests.dns_zones import DOMAIN, ready_zone
from tests.dnsserver import DnsTestServer, Zone
from tests.smtp_support import closed_port, loopback_config

CLEAN = "198.51.100.7"


async def test_lists_that_fail_their_own_test_entry_give_unknown_not_clean() -> None:
    """An empty zone: every list answers NXDOMAIN for everything, 127.0.0.2 included (what a
    list refusing a public resolver, or a resolver hiding answers, looks like)."""
    zones = default_zones()
    assert len(zones) >= 5
    with DnsTestServer(Zone()) as server:
        section = await check_blocklists([CLEAN], Resolver(server.address, timeout=0.5), zones)
    codes = [f.code for f in section.findings]
    assert "dnsbl.not-listed" not in codes
    (unknown,) = [f for f in section.findings if f.code == "dnsbl.unknown"]
    assert unknown.severity is Severity.WARNING
    assert CLEAN in unknown.title and "Unknown" in unknown.title
    assert f"{len(zones)} lists" in unknown.detail
    assert {row["listed"] for row in section.data["rows"]} == {False}
    assert all("unknown" in row["error"] for row in section.data["rows"])


async def test_working_lists_are_counted_apart_from_silent_ones() -> None:
    zone = Zone()
    zone.add("2.0.0.127.zen.spamhaus.org", "A", "127.0.0.2")  # works; the other list does not
    with DnsTestServer(zone) as server:
        section = await check_blocklists(
            [CLEAN], Resolver(server.address, timeout=0.5), ["zen.spamhaus.org", "quiet.example"]
        )
    (clean,) = [f for f in section.findings if f.code == "dnsbl.not-listed"]
    assert clean.title == f"{CLEAN} is on none of the 1 working blocklist checked"
    assert "1 more list did not list its own test entry" in clean.detail


async def test_a_domain_that_does_not_exist_is_one_finding() -> None:
    with DnsTestServer(ready_zone()) as server:
        report = await audit_domain(
            "not-registered.test",
            ips=[CLEAN],
            resolver=Resolver(server.address, timeout=0.5),
            dnsbl_zones=["zen.spamhaus.org"],
        )
    record_findings = [f for f in report.findings if not f.code.startswith("dnsbl.")]
    assert [f.code for f in record_findings] == ["dns.domain-missing"]
    assert record_findings[0].title == "not-registered.test does not exist in DNS"
    assert report.data["exists"] is False
    assert report.data["readiness"]["mx"] == "error"


async def test_an_existing_domain_without_records_still_gets_each_missing_record() -> None:
    zone = ready_zone()
    zone.add(f"bare.{DOMAIN}", "A", "192.0.2.10")  # exists, publishes nothing for mail
    with DnsTestServer(zone) as server:
        report = await audit_domain(
            f"bare.{DOMAIN}", resolver=Resolver(server.address, timeout=0.5), check_dnsbl=False
        )
    assert report.data["exists"] is True
    assert {"mx.missing", "spf.missing"} <= set(report.codes())
    assert "dns.domain-missing" not in report.codes()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("smtp.office365.com", "dns.microsoft-host-unresolved"),
        ("contoso-example.mail.protection.outlook.com", "dns.microsoft-host-unresolved"),
        ("smtp.office365.example", "dns.no-address"),
    ],
)
async def test_a_microsoft_name_that_does_not_resolve_blames_the_local_dns(
    host: str, expected: str
) -> None:
    with DnsTestServer(Zone()) as server:
        config = loopback_config(
            closed_port(), host=host, connect_address=None, nameserver=server.address
        )
        report = await Probe(config).run()
    (found,) = [f for f in report.findings if f.code.startswith("dns.")]
    assert found.code == expected
    if expected == "dns.microsoft-host-unresolved":
        assert "spelling is not the problem" in found.detail
        assert "Check the spelling" not in found.fix


async def test_microsofts_spf_include_missing_blames_the_resolver_not_the_spelling() -> None:
    zone = Zone()
    zone.txt(DOMAIN, "v=spf1 include:spf.protection.outlook.com include:gone.example -all")
    with DnsTestServer(zone) as server:
        report = await audit_domain(
            DOMAIN, resolver=Resolver(server.address, timeout=0.5), check_dnsbl=False
        )
    found = {f.code: f for f in report.findings}
    assert "spf.protection.outlook.com" in found["spf.include-unseen"].title
    assert "spelling" not in found["spf.include-unseen"].fix
    missing = [f for f in report.findings if f.code == "spf.include-missing"]
    assert [f.title for f in missing] == ["include target gone.example has no SPF record"]
