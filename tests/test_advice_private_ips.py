"""A device's LAN address never becomes advice: no ip4: term, no connector entry, no blocklist.

Receivers only ever see the public address a network sends from. Each capability that takes a
device IP (the setup assistant, the domain audit, `o365diag spf`) says so and explains how to
find the public egress address instead.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from o365diag.addresses import is_non_public, non_public_kind
from o365diag.dns.audit import audit_domain
from o365diag.dns.resolver import Resolver
from o365diag.setup import SetupAnswers, plan_setup
from tests.dns_zones import DEVICE_IP, DOMAIN, ready_zone
from tests.dnsserver import DnsTestServer

NON_PUBLIC = ["192.168.1.50", "10.20.30.40", "172.16.5.5", "100.64.12.3", "169.254.7.7"]
EGRESS_HINT = "FromIP"  # every explanation names where to read the public address


@pytest.mark.parametrize(
    "address",
    [*NON_PUBLIC, "127.0.0.1", "fd12:3456::1", "fe80::1", "::ffff:192.168.1.50", "10.0.0.0/8"],
)
def test_non_public_addresses_are_recognised(address: str) -> None:
    assert is_non_public(address)


@pytest.mark.parametrize("address", ["203.0.113.25", "198.51.100.7", "2001:db8::25", "8.8.8.8"])
def test_public_and_documentation_addresses_are_not(address: str) -> None:
    assert non_public_kind(address) is None


@pytest.mark.parametrize("address", NON_PUBLIC)
@pytest.mark.parametrize("option_answers", [{"recipients": "both"}, {"recipients": "internal"}])
def test_setup_never_writes_a_private_ip_into_spf_connector_or_settings(
    address: str, option_answers: dict[str, str]
) -> None:
    answers = SetupAnswers(
        domain="contoso.example",
        sender="scanner@contoso.example",
        tls=True,
        auth="none",
        static_ips=(address,),
        **option_answers,  # type: ignore[arg-type]
    )
    plan = plan_setup(answers)
    data = plan.to_report().to_dict()
    generated = json.dumps({k: data[k] for k in ("device_settings", "dns_records", "powershell")})
    assert address not in generated
    warning = next(f for f in data["findings"] if f["code"] == "setup.private-ip")
    assert address in warning["detail"] and "left out" in warning["detail"]
    assert EGRESS_HINT in warning["fix"]


def test_setup_keeps_the_public_ip_next_to_a_private_one() -> None:
    answers = SetupAnswers(
        domain="contoso.example",
        sender="scanner@contoso.example",
        tls=True,
        auth="none",
        recipients="both",
        static_ips=("192.168.1.50", "203.0.113.25"),
    )
    plan = plan_setup(answers)
    data = plan.to_report().to_dict()
    spf = next(r for r in data["dns_records"] if r["value"].startswith("v=spf1"))
    assert "ip4:203.0.113.25" in spf["value"] and "192.168" not in spf["value"]
    assert any("'203.0.113.25'" in step["command"] for step in data["powershell"])


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    with DnsTestServer(ready_zone()) as running:
        yield running


async def test_domain_audit_explains_a_private_ip_instead_of_suggesting_it(
    server: DnsTestServer,
) -> None:
    resolver = Resolver(server.address, timeout=0.5)
    report = await audit_domain(
        DOMAIN, ips=["192.168.1.50", DEVICE_IP], resolver=resolver, dnsbl_zones=["zen.spamhaus.org"]
    )
    text = report.to_json()
    assert "ip4:192.168.1.50" not in text
    private = [f for f in report.findings if f.code == "spf.ip-private"]
    assert len(private) == 1
    assert "192.168.1.50" in private[0].title and "RFC 1918" in private[0].title
    assert EGRESS_HINT in private[0].fix
    # Not asked of the blocklists either, and no second finding says so.
    assert all(row["ip"] != "192.168.1.50" for row in report.data["dnsbl"])
    assert not [f for f in report.findings if f.code == "dnsbl.skipped-private"]
    assert "spf.ip-pass" in report.codes()  # the public device IP is still checked


def test_spf_command_explains_a_private_ip(
    server: DnsTestServer, python: str, cli_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [
            python,
            "-m",
            "o365diag",
            "spf",
            "--ip",
            "100.64.12.3",
            "--mail-from",
            f"scanner@{DOMAIN}",
            "--nameserver",
            server.address,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=False,
    )
    data = json.loads(result.stdout)
    codes = [f["code"] for f in data["findings"]]
    assert codes == ["spf.ip-private"], result.stdout
    assert "carrier-grade NAT" in data["findings"][0]["title"]
    assert "ip4:100.64" not in result.stdout


def test_header_analysis_never_advises_a_private_sending_ip_for_spf() -> None:
    from o365diag.headers import analyze
    from tests.conftest import SAMPLES

    sample = (SAMPLES / "05-intra-org-spoof-010.txt").read_text(encoding="utf-8")
    public = analyze(sample)
    private = analyze(sample.replace("198.51.100.201", "10.20.30.40"))
    public_fix = next(f.fix for f in public.findings if f.code == "spf-fail")
    assert "ip4:198.51.100.201" in public_fix
    for item in private.findings:
        assert "ip4:10.20.30.40" not in item.fix and "public IP 10.20.30.40" not in item.fix
    spf = next(f for f in private.findings if f.code == "spf-fail")
    assert "10.20.30.40 is a private (RFC 1918) address" in spf.fix and EGRESS_HINT in spf.fix


def test_the_configuration_audit_says_where_to_find_the_public_address() -> None:
    from o365diag.setup.audit import audit_files
    from tests.test_audit_rules import BAD

    report = audit_files(BAD)
    private = [f for f in report.findings if f.code == "audit.connector-private-ip"]
    assert private and all(EGRESS_HINT in f.fix for f in private)
