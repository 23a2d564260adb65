"""Refused, timed-out, reset and garbled connections; DNS (MX lookup through a real dnslib
server on loopback); plain aiosmtpd servers answering in their own words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from o365diag.smtp.certs import LocalCA
from o365diag.smtp.config import Secret
from o365diag.smtp.probe import Probe
from o365diag.smtp.simulator import MX_HOST, Simulator
from tests.smtp_support import (
    DnsServer,
    closed_port,
    full_backlog_listener,
    greets_with,
    loopback_config,
    plain_aiosmtpd,
    raw_server,
    resets_after_ehlo,
    silent,
    silent_udp_port,
)


def _failure(report: object) -> tuple[str, str | None]:
    step = next(s for s in report.data["steps"] if s["status"] == "failed")  # type: ignore
    return step["name"], step["error"]


async def test_connection_refused() -> None:
    started = time.perf_counter()
    report = await Probe(loopback_config(closed_port())).run()
    assert _failure(report) == ("connect", "connect.refused")
    assert "connect.refused" in report.codes()
    assert time.perf_counter() - started < 1


async def test_connect_timeout_is_bounded_by_the_timeout() -> None:
    with full_backlog_listener() as port:
        started = time.perf_counter()
        report = await Probe(loopback_config(port, timeout=0.4)).run()
        elapsed = time.perf_counter() - started
    assert _failure(report) == ("connect", "connect.timeout")
    assert 0.35 < elapsed < 1.5


async def test_server_that_never_greets() -> None:
    async with raw_server(silent) as port:
        started = time.perf_counter()
        report = await Probe(loopback_config(port, timeout=0.4)).run()
        elapsed = time.perf_counter() - started
    assert _failure(report) == ("banner", "reply.timeout")
    assert 0.35 < elapsed < 1.5
    assert report.data["outcome"] == "failed"


async def test_connection_reset_mid_session() -> None:
    async with raw_server(resets_after_ehlo) as port:
        report = await Probe(loopback_config(port)).run()
    assert _failure(report) == ("ehlo", "connection.reset")
    statuses = {s["name"]: s["status"] for s in report.data["steps"]}
    assert statuses["quit"] == "skipped"


async def test_not_smtp_at_all() -> None:
    async with raw_server(greets_with("HTTP/1.1 400 Bad Request")) as port:
        report = await Probe(loopback_config(port)).run()
    assert _failure(report) == ("banner", "reply.malformed")


async def test_banner_refusal_is_explained_from_the_generic_table() -> None:
    async with raw_server(greets_with("554 5.7.1 Service unavailable; no SMTP here")) as port:
        report = await Probe(loopback_config(port)).run()
    assert _failure(report) == ("banner", None)
    finding = next(f for f in report.findings if f.code == "smtp.5.7.1")
    assert "554 5.7.1 Service unavailable" in finding.detail


ZONE = f"""
$ORIGIN example.com.
@            300 IN MX 10 {MX_HOST}.
{MX_HOST}. 300 IN A 127.0.0.1
other.example.org. 300 IN MX 5 mail.example.org.
mail.example.org. 300 IN A 127.0.0.1
"""


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with DnsServer(ZONE) as server:
        yield server


async def test_direct_send_finds_the_mx_endpoint_through_dns(dns: DnsServer) -> None:
    async with Simulator("direct-send") as sim:
        config = sim.client_config(host=None, connect_address=None, nameserver=dns.nameserver)
        report = await Probe(config).run()
    assert report.data["outcome"] == "accepted-no-data"
    target = report.data["target"]
    assert target["host"] == MX_HOST and target["addresses"] == ["127.0.0.1"]
    assert target["mx"] == [{"preference": 10, "host": MX_HOST}]
    assert report.data["tls"]["verified"] is True  # verified against the MX name


async def test_mx_not_pointing_at_microsoft_is_a_warning(dns: DnsServer) -> None:
    async with Simulator("direct-send") as sim:
        config = sim.client_config(
            host=None,
            connect_address=None,
            insecure=True,
            domain="other.example.org",
            nameserver=dns.nameserver,
        )
        report = await Probe(config).run()
    assert "dns.mx-not-microsoft" in report.codes()
    assert report.data["target"]["host"] == "mail.example.org"


async def test_domain_without_mx(dns: DnsServer) -> None:
    report = await Probe(
        loopback_config(
            1,
            host=None,
            connect_address=None,
            domain="nothing.example.com",
            nameserver=dns.nameserver,
        )
    ).run()
    assert _failure(report) == ("resolve", "dns.no-mx")


async def test_host_without_address(dns: DnsServer) -> None:
    report = await Probe(
        loopback_config(
            25, host="missing.example.com", connect_address=None, nameserver=dns.nameserver
        )
    ).run()
    assert _failure(report) == ("resolve", "dns.no-address")


async def test_dns_server_that_never_answers() -> None:
    with silent_udp_port() as port:
        started = time.perf_counter()
        report = await Probe(
            loopback_config(
                25, host=None, connect_address=None, timeout=0.5, nameserver=f"127.0.0.1:{port}"
            )
        ).run()
        elapsed = time.perf_counter() - started
    assert _failure(report) == ("resolve", "dns.error")
    assert elapsed < 2


async def test_plain_aiosmtpd_requiring_starttls(tmp_path: Path) -> None:
    ca = LocalCA()
    async with plain_aiosmtpd(tls_folder=tmp_path, ca=ca, require_starttls=True) as port:
        report = await Probe(loopback_config(port, tls_mode="none")).run()
    finding = next(f for f in report.findings if f.code == "smtp.530")
    assert "catalogue: E04 (documented)" in finding.evidence
    assert "tls.none" in report.codes()


async def test_plaintext_auth_is_refused_unless_allowed() -> None:
    async with plain_aiosmtpd(auth_require_tls=False) as port:
        creds = {
            "username": "user@example.com",
            "password": Secret("pw-for-tests"),
            "auth_mechanism": "plain",
        }
        refused_probe = Probe(loopback_config(port, **creds))
        refused = await refused_probe.run()
        allowed = await Probe(loopback_config(port, allow_plaintext_auth=True, **creds)).run()
    assert _failure(refused) == ("auth", "auth.plaintext-refused")
    assert not any(line.line.startswith("AUTH") for line in refused_probe.transcript)
    auth = next(s for s in allowed.data["steps"] if s["name"] == "auth")
    assert auth["status"] == "ok" and auth["reply"]["code"] == 235


async def test_mechanism_not_offered_and_wrong_password_on_plain_aiosmtpd(tmp_path: Path) -> None:
    ca = LocalCA()
    cafile = ca.write_ca(tmp_path)
    async with plain_aiosmtpd(tls_folder=tmp_path, ca=ca, auth_exclude_mechanism=["PLAIN"]) as port:
        base = loopback_config(
            port, tls_mode="starttls", cafile=str(cafile), username="user@example.com"
        )
        unsupported = await Probe(
            base.with_changes(password=Secret("x"), auth_mechanism="plain")
        ).run()
        wrong = await Probe(
            base.with_changes(password=Secret("wrong"), auth_mechanism="login")
        ).run()
    assert _failure(unsupported) == ("auth", "auth.mechanism-unsupported")
    assert _failure(wrong)[0] == "auth"
    assert "smtp.5.7.8" in wrong.codes()


async def test_source_address_is_used_and_a_foreign_one_fails() -> None:
    async with Simulator("direct-send") as sim:
        local = await Probe(sim.client_config(source_address="127.0.0.1")).run()
        foreign = await Probe(sim.client_config(source_address="198.51.100.1")).run()
    assert local.data["outcome"] == "accepted-no-data"
    assert _failure(foreign) == ("connect", "connect.failed")
    failed = next(s for s in foreign.data["steps"] if s["status"] == "failed")
    assert failed["detail"].startswith("cannot connect to 127.0.0.1")


def test_the_smtp_nameserver_is_parsed_like_the_domain_checks() -> None:
    from o365diag.smtp.resolve import make_resolver

    resolver = make_resolver("[::1]:5353", 1.0)
    assert (resolver.nameservers, resolver.port) == (["::1"], 5353)
    resolver = make_resolver("2001:db8::53", 1.0)
    assert (resolver.nameservers, resolver.port) == (["2001:db8::53"], 53)


async def test_a_bracketed_nameserver_with_a_port_reaches_the_dns_server(dns: DnsServer) -> None:
    host, port = dns.nameserver.rsplit(":", 1)
    async with Simulator("direct-send") as sim:
        config = sim.client_config(host=None, connect_address=None, nameserver=f"[{host}]:{port}")
        report = await Probe(config).run()
    assert report.data["target"]["mx"] == [{"preference": 10, "host": MX_HOST}]
