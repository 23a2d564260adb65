"""The resolver layer against the in-process DNS server: every outcome, the cache, TCP fallback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from o365diag.dns.resolver import (
    BadDomainName,
    DnsConfigError,
    Outcome,
    Resolver,
    parse_nameserver,
    to_name,
)
from tests.dnsserver import DnsTestServer, Zone

ZONE = """
contoso.test.            300 IN A     192.0.2.10
contoso.test.            300 IN MX    10 contoso-test.mail.protection.outlook.com.
www.contoso.test.        300 IN CNAME web.contoso.test.
web.contoso.test.        300 IN CNAME contoso.test.
dangling.contoso.test.   300 IN CNAME gone.contoso.test.
"""


def make_zone() -> Zone:
    zone = Zone.from_text(ZONE).fail("broken.contoso.test").never_answer("slow.contoso.test")
    for i in range(40):  # 40 x ~90 bytes: far past the 512-byte UDP limit
        zone.txt("big.contoso.test", f"verification-token-{i:02d}-" + "x" * 60)
    return zone


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    with DnsTestServer(make_zone()) as running:
        yield running


def resolver_for(server: DnsTestServer, timeout: float = 1.0) -> Resolver:
    return Resolver(server.address, timeout=timeout)


async def test_answer_nxdomain_and_nodata_are_told_apart(server: DnsTestServer) -> None:
    resolver = resolver_for(server)
    answer = await resolver.query("contoso.test", "A")
    missing_name = await resolver.query("nowhere.contoso.test", "A")
    missing_type = await resolver.query("contoso.test", "AAAA")
    assert (answer.outcome, answer.addresses()) == (Outcome.ANSWER, ["192.0.2.10"])
    assert missing_name.outcome is Outcome.NXDOMAIN and missing_name.void
    assert missing_type.outcome is Outcome.NODATA and missing_type.void
    assert "does not exist" in missing_name.describe()
    assert "no record of this type" in missing_type.describe()


async def test_cname_chain_is_followed_and_reported(server: DnsTestServer) -> None:
    resolver = resolver_for(server)
    chained = await resolver.query("www.contoso.test", "A")
    assert chained.addresses() == ["192.0.2.10"]
    assert chained.cnames == ("web.contoso.test", "contoso.test")
    assert chained.canonical_name == "contoso.test"
    assert "via web.contoso.test -> contoso.test" in chained.describe()
    dangling = await resolver.query("dangling.contoso.test", "TXT")
    assert dangling.outcome is Outcome.NXDOMAIN
    assert dangling.cnames == ("gone.contoso.test",)


async def test_servfail_is_not_a_void_answer(server: DnsTestServer) -> None:
    result = await resolver_for(server).query("broken.contoso.test", "TXT")
    assert result.outcome is Outcome.SERVFAIL
    assert result.failed and not result.void


async def test_silent_name_times_out_within_the_timeout(server: DnsTestServer) -> None:
    resolver = resolver_for(server, timeout=0.4)
    started = time.perf_counter()
    result = await resolver.query("slow.contoso.test", "A")
    elapsed = time.perf_counter() - started
    assert result.outcome is Outcome.TIMEOUT
    assert 0.35 < elapsed < 0.9
    assert "0.4 s" in result.error


async def test_server_that_never_answers_ends_each_query_in_time() -> None:
    with DnsTestServer(make_zone()) as server:
        server.silent = True
        resolver = resolver_for(server, timeout=0.3)
        started = time.perf_counter()
        results = await resolver.query_many([("contoso.test", "A"), ("contoso.test", "MX")])
        elapsed = time.perf_counter() - started
    assert [r.outcome for r in results] == [Outcome.TIMEOUT, Outcome.TIMEOUT]
    assert elapsed < 0.8  # both ran at once


async def test_truncated_udp_answer_is_retried_over_tcp(server: DnsTestServer) -> None:
    result = await resolver_for(server).query("big.contoso.test", "TXT")
    assert result.outcome is Outcome.ANSWER
    assert len(result.texts()) == 40
    protocols = [q.protocol for q in server.queries if q.name == "big.contoso.test"]
    assert protocols == ["udp", "tcp"]


async def test_one_question_is_asked_once_per_run(server: DnsTestServer) -> None:
    server.delay = 0.1
    resolver = resolver_for(server)
    together = await asyncio.gather(*(resolver.query("contoso.test", "MX") for _ in range(5)))
    again = await resolver.query("CONTOSO.test.", "MX")
    assert {r.mx()[0][1] for r in [*together, again]} == {
        "contoso-test.mail.protection.outlook.com"
    }
    assert [q.name for q in server.queries] == ["contoso.test"]
    assert resolver.queries_sent == 1 and resolver.cache_hits == 5
    fresh = resolver_for(server)  # a new run has its own cache
    await fresh.query("contoso.test", "MX")
    assert len(server.queries) == 2


async def test_independent_queries_run_concurrently(server: DnsTestServer) -> None:
    server.delay = 0.2
    resolver = resolver_for(server)
    names = [f"n{i}.contoso.test" for i in range(8)]
    started = time.perf_counter()
    results = await resolver.query_many([(n, "A") for n in names])
    elapsed = time.perf_counter() - started
    assert all(r.outcome is Outcome.NXDOMAIN for r in results)
    assert elapsed < 0.6  # eight sequential answers would take 1.6 s
    assert [r.name for r in results] == names


async def test_names_are_asked_literally_without_search_domains(server: DnsTestServer) -> None:
    server.zone.add("odd name%20.contoso.test", "A", "192.0.2.99")
    result = await resolver_for(server).query("odd name%20.contoso.test", "A")
    assert result.addresses() == ["192.0.2.99"]


def test_parse_nameserver_forms() -> None:
    assert parse_nameserver("192.0.2.53") == ("192.0.2.53", 53)
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("2001:db8::53") == ("2001:db8::53", 53)
    assert parse_nameserver("[2001:db8::53]:5300") == ("2001:db8::53", 5300)


@pytest.mark.parametrize(
    "spec", ["dns.example.com", "127.0.0.1:0", "127.0.0.1:99999", "[2001:db8::1", "1.2.3.4:x"]
)
def test_bad_nameserver_is_a_clear_error(spec: str) -> None:
    with pytest.raises(DnsConfigError, match="bad nameserver"):
        parse_nameserver(spec)


def test_resolver_lists_its_nameservers() -> None:
    resolver = Resolver(["127.0.0.1:5300", "192.0.2.53"], timeout=1)
    assert resolver.nameservers == ["127.0.0.1:5300", "192.0.2.53"]
    with pytest.raises(DnsConfigError):
        Resolver("127.0.0.1", timeout=0)


@pytest.mark.parametrize("name", ["a..example.com", "x" * 64 + ".example.com", "", "."])
def test_unaskable_names_raise_bad_domain_name(name: str) -> None:
    with pytest.raises(BadDomainName):
        to_name(name)


def test_idna_names_are_encoded() -> None:
    assert to_name("bücher.example").to_text() == "xn--bcher-kva.example."
