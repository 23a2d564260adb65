"""check_host(), the SPF parser and the include tree, against the in-process DNS server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from o365diag.dns.resolver import Resolver
from o365diag.dns.spf import SpfResult, check_host
from o365diag.dns.spf_lint import check_findings, parsed_record, tree_findings
from o365diag.dns.spf_syntax import SpfRecord, SpfSyntaxError
from o365diag.dns.spf_tree import spf_tree
from tests.dns_zones import DEVICE_IP, DOMAIN, MICROSOFT_IP, OTHER_IP, ready_zone
from tests.dnsserver import DnsTestServer, Zone


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    with DnsTestServer(ready_zone()) as running:
        yield running


def resolver_for(server: DnsTestServer, timeout: float = 1.0) -> Resolver:
    return Resolver(server.address, timeout=timeout)


async def spf(server: DnsTestServer, ip: str, sender: str = f"app@{DOMAIN}", helo: str = "") -> Any:
    return await check_host(ip, sender, helo, resolver=resolver_for(server))


async def test_device_ip_passes_on_its_own_term(server: DnsTestServer) -> None:
    check = await spf(server, DEVICE_IP)
    assert check.result is SpfResult.PASS
    assert check.path == [f"{DOMAIN}: ip4:{DEVICE_IP}"]
    assert check.lookups == 0 and check.explanation is None


async def test_match_inside_an_include_reports_the_include_path(server: DnsTestServer) -> None:
    check = await spf(server, MICROSOFT_IP)
    assert check.result is SpfResult.PASS
    assert check.path == [
        f"{DOMAIN}: include:spf.protection.outlook.com",
        "spf.protection.outlook.com: ip4:203.0.113.0/27",
    ]
    assert check.matched == "ip4:203.0.113.0/27"
    assert check.lookups == 1


async def test_unlisted_ip_fails_with_every_term_in_the_trace(server: DnsTestServer) -> None:
    check = await spf(server, OTHER_IP)
    assert check.result is SpfResult.FAIL
    assert check.explanation_source == "default"
    terms = [(r["text"], r["outcome"]) for r in check.trace() if r["kind"] == "term"]
    assert terms == [
        (f"ip4:{DEVICE_IP}", "no-match"),
        ("include:spf.protection.outlook.com", "no-match"),
        ("ip4:203.0.113.0/27", "no-match"),
        ("ip6:2001:db8:40::/48", "no-match"),
        ("-all", "match"),
        (f"include:_spf.{DOMAIN}", "no-match"),
        ("ip4:192.0.2.128/28", "no-match"),
        ("~all", "match"),
        ("-all", "match"),
    ]
    records = [
        (r["depth"], r["domain"], r["result"]) for r in check.trace() if r["kind"] == "record"
    ]
    assert records == [
        (0, DOMAIN, "fail"),
        (1, "spf.protection.outlook.com", "fail"),
        (1, f"_spf.{DOMAIN}", "softfail"),
    ]
    assert check.to_dict()["lookups"] == 2


async def test_exp_text_is_expanded_for_a_fail(server: DnsTestServer) -> None:
    server.zone.txt("strict.contoso.test", "v=spf1 -all exp=why.contoso.test")
    server.zone.txt("why.contoso.test", "%{i} may not send for %{d} (sender %{l})")
    check = await spf(server, OTHER_IP, sender="scanner@strict.contoso.test")
    assert check.explanation == f"{OTHER_IP} may not send for strict.contoso.test (sender scanner)"
    assert check.explanation_source == "exp"


async def test_empty_mail_from_uses_postmaster_at_helo(server: DnsTestServer) -> None:
    check = await spf(server, DEVICE_IP, sender="", helo=DOMAIN)
    assert check.result is SpfResult.PASS and check.sender == f"postmaster@{DOMAIN}"


async def test_ipv4_mapped_ipv6_client_is_treated_as_ipv4(server: DnsTestServer) -> None:
    check = await spf(server, f"::ffff:{DEVICE_IP}")
    assert check.result is SpfResult.PASS and check.ip == DEVICE_IP


async def test_eleven_lookups_is_a_permerror_naming_the_limit() -> None:
    zone = Zone().txt("many.test", "v=spf1 " + " ".join(f"a:h{i}.many.test" for i in range(11)))
    for i in range(11):
        zone.add(f"h{i}.many.test", "A", f"192.0.2.{i + 1}")
    with DnsTestServer(zone) as server:
        check = await check_host("198.51.100.99", "x@many.test", resolver=resolver_for(server))
    assert check.result is SpfResult.PERMERROR
    assert "more than 10 DNS-querying terms" in check.problem
    assert check.lookups == 11


async def test_third_void_lookup_is_a_permerror() -> None:
    zone = Zone().txt("void.test", "v=spf1 a:n1.void.test a:n2.void.test mx:n3.void.test -all")
    with DnsTestServer(zone) as server:
        check = await check_host("198.51.100.99", "x@void.test", resolver=resolver_for(server))
    assert check.result is SpfResult.PERMERROR
    assert check.void_lookups == 3 and "found nothing" in check.problem


async def test_large_record_set_is_fetched_over_tcp() -> None:
    zone = Zone()
    for i in range(30):  # verification tokens push the TXT answer far past 512 bytes
        zone.txt("big.test", f"site-verification=token-{i:02d}-" + "v" * 40)
    zone.txt("big.test", "v=spf1 ip4:198.51.100.0/24 -all")
    with DnsTestServer(zone) as server:
        check = await check_host("198.51.100.20", "x@big.test", resolver=resolver_for(server))
        protocols = [q.protocol for q in server.queries]
    assert check.result is SpfResult.PASS
    assert protocols == ["udp", "tcp"]


async def test_silent_include_gives_temperror_within_the_time_limit() -> None:
    zone = Zone().txt("slowinc.test", "v=spf1 include:silent.test -all").never_answer("silent.test")
    with DnsTestServer(zone) as server:
        started = time.perf_counter()
        check = await check_host(
            "198.51.100.1", "x@slowinc.test", resolver=resolver_for(server, timeout=0.3)
        )
        elapsed = time.perf_counter() - started
    assert check.result is SpfResult.TEMPERROR
    assert "no answer" in check.problem
    assert elapsed < 1.0


async def test_servfail_on_the_domain_is_a_temperror() -> None:
    with DnsTestServer(Zone().fail("broken.test")) as server:
        check = await check_host("198.51.100.1", "x@broken.test", resolver=resolver_for(server))
    assert check.result is SpfResult.TEMPERROR and "SERVFAIL" in check.problem


async def test_overall_time_limit_turns_into_temperror() -> None:
    zone = Zone().txt("chain.test", "v=spf1 include:slow.chain.test -all")
    zone.txt("slow.chain.test", "v=spf1 -all")
    with DnsTestServer(zone, delay=0.3) as server:
        check = await check_host(
            "198.51.100.1", "x@chain.test", resolver=resolver_for(server), time_limit=0.4
        )
    assert check.result is SpfResult.TEMPERROR
    assert "more than 0.4 s" in check.problem


def test_bad_ip_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        asyncio.run(check_host("999.1.1.1", "a@b.test", resolver=Resolver("127.0.0.1:9")))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("v=spf1 ip4:192.0.2.1/33 -all", "prefix length 33 is over 32"),
        ("v=spf1 include -all", "needs ':' and a domain"),
        ("v=spf1 a:%{z}.example.com", "macro letter 'z'"),
        ("v=spf1 redirect=a.test redirect=b.test", "appears more than once"),
        ("v=spf1 mx:example.com:25", "not a valid top-level label"),
        ("v=spf1 spf.protection.outlook.com -all", "unknown mechanism"),
    ],
)
def test_syntax_errors_say_where(record: str, message: str) -> None:
    with pytest.raises(SpfSyntaxError, match=message):
        SpfRecord.parse(record)


def test_parser_keeps_terms_in_order() -> None:
    record = SpfRecord.parse("v=spf1 a/24//64 mx:mail.example.com ~all exp=e.%{d} foo=bar")
    assert [(m.qualifier, m.name) for m in record.mechanisms] == [
        ("+", "a"),
        ("+", "mx"),
        ("~", "all"),
    ]
    assert (record.mechanisms[0].cidr4, record.mechanisms[0].cidr6) == (24, 64)
    assert record.exp is not None and record.exp.value == "e.%{d}"
    assert [m.name for m in record.unknown_modifiers] == ["foo"]
    assert record.terms_with_lookups == 2


async def test_tree_counts_lookups_through_nested_includes() -> None:
    zone = Zone()
    zone.txt("root.test", "v=spf1 include:l1.test mx a:host.root.test -all")
    zone.txt("l1.test", "v=spf1 include:l2.test ip4:192.0.2.1")
    zone.txt("l2.test", "v=spf1 exists:%{i}.bl.test include:gone.test")
    zone.add("root.test", "MX", (10, "mail.root.test")).add("host.root.test", "A", "192.0.2.9")
    with DnsTestServer(zone) as server:
        tree = await spf_tree("root.test", resolver_for(server))
    assert (tree.lookups, tree.total_lookups, tree.depth) == (3, 6, 3)
    assert [c.domain for c in tree.children] == ["l1.test"]
    codes = [f.code for f in tree_findings(tree)]
    assert "spf.include-missing" in codes  # gone.test has no record
    assert "spf.macro-not-followed" in codes
    assert "spf.microsoft-missing" in codes
    assert "spf.lookup-count" in codes


async def test_tree_reports_loops_and_over_limit() -> None:
    zone = Zone().txt("loop.test", "v=spf1 include:loop2.test -all")
    zone.txt("loop2.test", "v=spf1 include:loop.test -all")
    with DnsTestServer(zone) as server:
        tree = await spf_tree("loop.test", resolver_for(server))
    codes = [f.code for f in tree_findings(tree)]
    assert "spf.loop" in codes


def test_suggested_fix_puts_the_device_ip_first() -> None:
    record = parsed_record("v=spf1 include:spf.protection.outlook.com -all")
    from o365diag.dns.spf import SpfCheck, SpfNode

    check = SpfCheck(
        SpfResult.FAIL, "192.0.2.55", "a@x.test", "", "x.test", 1, 0, SpfNode("x.test")
    )
    (found,) = check_findings("x.test", [check], record)
    assert found.code == "spf.ip-fail"
    assert "v=spf1 ip4:192.0.2.55 include:spf.protection.outlook.com -all" in found.fix
