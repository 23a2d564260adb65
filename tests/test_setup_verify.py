"""The verify step on real parts: the domain audit over a DNS server on 127.0.0.1, and the
connection test against the Office 365-like simulator (demo mode and live mode)."""

from __future__ import annotations

import json

import pytest

from o365diag.setup.answers import SetupAnswers
from o365diag.setup.demo_zone import zone_for_plan
from o365diag.setup.generate import plan_setup
from o365diag.setup.verify import VerifyOptions, demo_scenario, verify_plan
from o365diag.smtp.config import Secret
from o365diag.smtp.simulator import Simulator
from tests.dnsserver import DnsTestServer, Zone

DEVICE_IP = "203.0.113.25"


def plan_for(**changes: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "domain": "example.com",
        "sender": "scanner@example.com",
        "tls": True,
        "auth": "none",
        "recipients": "internal",
    }
    return plan_setup(SetupAnswers(**{**values, **changes}).validate())


@pytest.mark.parametrize(
    ("changes", "option", "scenario"),
    [
        ({"auth": "oauth", "recipients": "both"}, "submission", "oauth"),
        ({"auth": "basic", "sent_items": True}, "submission", "healthy"),
        ({"recipients": "internal"}, "direct-send", "direct-send"),
        ({"recipients": "both", "static_ips": (DEVICE_IP,)}, "relay", "relay"),
        ({"auth": "basic", "volume_per_day": 50_000, "port25_open": False}, "hve", "healthy"),
    ],
)
async def test_demo_verify_runs_both_checks_for_the_chosen_option(
    changes: dict[str, object], option: str, scenario: str
) -> None:
    plan = plan_for(**changes)
    assert plan.option == option and demo_scenario(plan) == scenario
    result = await verify_plan(plan, VerifyOptions(demo=True, timeout=5))
    assert result.mode == "demo"
    assert result.dns is not None and result.smtp is not None
    assert result.dns.data["domain"] == "example.com"
    assert result.dns.data["demo_zone"]["queries"] > 0
    # The generated records, served as if published, satisfy the domain audit.
    assert "spf.microsoft-included" in result.dns.codes()
    assert not any(code.endswith("lookup-failed") for code in result.dns.codes())
    assert result.smtp.data["outcome"] == "accepted-no-data"
    assert result.smtp.data["demo"]["scenario"] == scenario
    assert result.findings[-1].code == "setup.first-message-check"


async def test_demo_zone_publishes_exactly_the_plan_records() -> None:
    plan = plan_for(recipients="both", static_ips=(DEVICE_IP,), dmarc_rua="dmarc@example.com")
    zone = zone_for_plan(plan)
    spf = next(r for r in plan.dns_records if r.type == "TXT" and r.name == "example.com")
    assert zone.records[("example.com", "TXT")] == [spf.value]
    assert zone.records[("_dmarc.example.com", "TXT")] == [
        "v=DMARC1; p=none; rua=mailto:dmarc@example.com"
    ]
    result = await verify_plan(plan, VerifyOptions(demo=True, timeout=5))
    assert result.dns is not None
    check = result.dns.data["spf_checks"][0]
    assert (check["ip"], check["result"]) == (DEVICE_IP, "pass")
    assert result.dns.data["dmarc"]["p"] == "none"


def live_zone(simulator_host_names: tuple[str, ...]) -> Zone:
    zone = Zone()
    zone.add("example.com", "MX", (0, "example-com.mail.protection.outlook.com"))
    for name in simulator_host_names:
        zone.add(name, "A", "127.0.0.1")
    zone.txt("example.com", f"v=spf1 ip4:{DEVICE_IP} include:spf.protection.outlook.com ~all")
    zone.txt("spf.protection.outlook.com", "v=spf1 -all")
    zone.txt("_dmarc.example.com", "v=DMARC1; p=none")
    return zone


async def test_live_verify_of_relay_resolves_the_mx_and_connects() -> None:
    plan = plan_for(static_ips=(DEVICE_IP,), recipients="both")
    assert plan.option == "relay"
    async with Simulator("relay") as sim:
        with DnsTestServer(live_zone(("example-com.mail.protection.outlook.com",))) as dns:
            options = VerifyOptions(
                demo=False,
                nameserver=dns.address,
                timeout=5,
                check_dnsbl=False,
                recipient="partner@example.net",
                smtp_overrides={
                    "port": sim.port,
                    "cafile": str(sim.cafile),
                    "helo": "scanner01.example.com",
                },
            )
            result = await verify_plan(plan, options)
    assert result.mode == "live"
    assert result.dns is not None and result.smtp is not None
    assert result.dns.data["spf_checks"][0]["result"] == "pass"
    assert result.smtp.data["target"]["host"] == "example-com.mail.protection.outlook.com"
    assert result.smtp.data["outcome"] == "accepted-no-data"
    assert len(sim.messages) == 0  # no DATA without --send


async def test_live_verify_of_submission_without_a_password_stops_before_auth() -> None:
    plan = plan_for(auth="basic", recipients="both")
    async with Simulator("healthy") as sim:
        with DnsTestServer(live_zone(("smtp.office365.com",))) as dns:
            options = VerifyOptions(
                demo=False,
                nameserver=dns.address,
                timeout=5,
                check_dnsbl=False,
                smtp_overrides={"port": sim.port, "cafile": str(sim.cafile)},
            )
            result = await verify_plan(plan, options)
    assert result.smtp is not None
    ran = [s["name"] for s in result.smtp.data["steps"] if s["status"] == "ok"]
    assert "ehlo-tls" in ran and "auth" not in ran and "mail" not in ran
    skipped = [f for f in result.findings if f.code == "setup.verify-skipped"]
    assert skipped and "AUTH not tested" in skipped[0].detail


async def test_live_verify_signs_in_and_never_shows_the_password() -> None:
    plan = plan_for(auth="basic", recipients="both")
    async with Simulator("healthy") as sim:
        with DnsTestServer(live_zone(("smtp.office365.com",))) as dns:
            options = VerifyOptions(
                demo=False,
                nameserver=dns.address,
                timeout=5,
                check_dnsbl=False,
                password=Secret(sim.password),
                smtp_overrides={"port": sim.port, "cafile": str(sim.cafile)},
            )
            result = await verify_plan(plan, options)
        password = sim.password
    assert result.smtp is not None
    assert result.smtp.data["outcome"] == "accepted-no-data", result.smtp.codes()
    dumped = json.dumps(result.to_dict()) + repr(options)
    assert password not in dumped
    assert "setup.verify-skipped" not in [f.code for f in result.findings]


async def test_live_verify_reports_what_it_cannot_run() -> None:
    plan = plan_for(tls=False, recipients="external", third_party_hosted=True)
    assert plan.option == "other"
    bad_dns = VerifyOptions(demo=False, nameserver="not-an-address", timeout=1)
    result = await verify_plan(plan, bad_dns)
    assert result.dns is None and result.smtp is None
    details = [f.detail for f in result.findings if f.code == "setup.verify-skipped"]
    assert any("Domain audit not run" in d and "not-an-address" in d for d in details)
    assert any("local relay" in d for d in details)
