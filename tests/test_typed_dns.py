"""The domain checks' typed data (``DomainData``, ``SpfCheckData``, ``DkimCheckData``): every
shape the checks really write, against the in-process DNS server (demo scenarios, the test
zones, failures), is described key for key by the model, loads back from its saved JSON and
renders the same; a save of another shape falls back to the generic view."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import dkim
import pytest

from o365diag.capabilities import result_from_dict
from o365diag.cli import main
from o365diag.dns.audit import audit_domain
from o365diag.dns.demo import DEMO_DOMAIN, DEMO_IPS, SCENARIOS, DemoDns
from o365diag.dns.dkim_verify import verify_message
from o365diag.dns.model import (
    DkimCheckData,
    DomainData,
    LiveRecheck,
    SpfCheckData,
    SpfTraceRecord,
    SpfTraceTerm,
)
from o365diag.dns.resolver import Resolver
from o365diag.dns.result import DomainResult, SpfCheckResult
from o365diag.dns.spf import check_host
from o365diag.dns.spf_lint import check_findings, parsed_record
from o365diag.result import Result, generic_html
from o365diag.setup.answers import SetupAnswers
from o365diag.setup.generate import plan_setup
from o365diag.setup.verify import VerifyOptions, verify_plan
from o365diag.smtp.model import SmtpData
from o365diag.smtp.result import SmtpResult
from o365diag.typed import dump, load, unnamed_keys
from tests.dns_zones import DEVICE_IP, DOMAIN, LISTED_IP, OTHER_IP, private_pem, ready_zone
from tests.dnsserver import DnsTestServer

MESSAGE = (
    b"From: Scanner <scanner@contoso.test>\r\n"
    b"To: bob@contoso.test\r\n"
    b"Subject: Scan 42\r\n"
    b"Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n"
    b"\r\n"
    b"Your scan is attached.\r\n"
)


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    with DnsTestServer(ready_zone().never_answer("slow._domainkey.contoso.test")) as running:
        yield running


def assert_fully_typed(result: Result, model: type[Any]) -> None:
    assert result.MODEL is model
    assert result.check_model() is None
    assert unnamed_keys(model, result.data) == []
    assert dump(result.typed(model)) == result.data


def assert_saved_renders_the_same(result: Result) -> None:
    saved = result_from_dict(json.loads(result.to_json()), "saved.json")
    assert type(saved) is type(result)
    assert saved.section_html() == result.section_html() != generic_html(result)
    assert saved.to_text() == result.to_text()
    assert saved.to_markdown() == result.to_markdown()
    assert saved.safe_facts() == result.safe_facts() != []


# -- the domain check ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_every_demo_scenario_is_described_by_the_model(name: str) -> None:
    async with DemoDns(name) as demo:
        result = await audit_domain(
            DEMO_DOMAIN, ips=list(DEMO_IPS), nameserver=demo.address, check_dnsbl=False
        )
    assert_fully_typed(result, DomainData)
    assert_saved_renders_the_same(result)


async def test_device_ips_blocklists_and_custom_selectors_are_described(
    server: DnsTestServer,
) -> None:
    resolver = Resolver(server.address, timeout=0.5)
    result = await audit_domain(
        DOMAIN,
        ips=[DEVICE_IP, OTHER_IP, LISTED_IP, "10.0.0.5"],
        selectors=["slow", "custom"],
        resolver=resolver,
        dnsbl_zones=["zen.spamhaus.org"],
    )
    model = result.model
    assert [check.result for check in model.spf_checks] == ["pass", "fail", "fail", "fail"]
    assert any(row.listed for row in model.dnsbl) and "slow" in model.dkim
    trace = model.spf_checks[0].trace
    assert isinstance(trace[0], SpfTraceRecord) and isinstance(trace[1], SpfTraceTerm)
    assert_fully_typed(result, DomainData)
    assert_saved_renders_the_same(result)


async def test_a_missing_domain_and_an_unreachable_server_are_described(
    server: DnsTestServer,
) -> None:
    missing = await audit_domain(
        "not-registered.test", resolver=Resolver(server.address, timeout=0.5), check_dnsbl=False
    )
    assert missing.model.exists is False and missing.model.mx.outcome == "nxdomain"
    silent = DnsTestServer(ready_zone().never_answer(DOMAIN))
    with silent:
        unreachable = await audit_domain(
            DOMAIN, resolver=Resolver(silent.address, timeout=0.2), check_dnsbl=False
        )
    assert unreachable.model.mx.outcome == "timeout" and unreachable.model.spf.record is None
    for result in (missing, unreachable):
        assert_fully_typed(result, DomainData)
        assert_saved_renders_the_same(result)


def test_the_command_lines_json_loads_into_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    main(["dns", "--demo", "scanner-not-in-spf", "--json"])
    saved = result_from_dict(json.loads(capsys.readouterr().out))
    assert isinstance(saved, DomainResult)
    assert saved.check_model() is None and unnamed_keys(DomainData, saved.data) == []
    assert saved.model.readiness["spf"] == "error"
    assert saved.model.dmarc.p == "reject"


async def test_a_save_of_another_shape_falls_back_to_the_generic_view() -> None:
    async with DemoDns("ready") as demo:
        result = await audit_domain(DEMO_DOMAIN, nameserver=demo.address, check_dnsbl=False)
    odd = json.loads(result.to_json())
    odd["spf"]["tree"]["children"][0]["lookups"] = "many"
    saved = result_from_dict(odd)
    assert "spf.tree.children[0].lookups" in (saved.check_model() or "")
    assert saved.section_html() == generic_html(saved)
    assert saved.safe_facts() == []
    assert saved.title == result.title


# -- one check_host -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ip", "sender"),
    [
        (DEVICE_IP, f"scanner@{DOMAIN}"),
        (OTHER_IP, f"scanner@{DOMAIN}"),
        (OTHER_IP, "someone@not-registered.test"),
    ],
)
async def test_spf_evaluations_are_described(server: DnsTestServer, ip: str, sender: str) -> None:
    check = await check_host(ip, sender, "device.example", resolver=Resolver(server.address))
    findings = check_findings(check.domain, [check], parsed_record(check.tree.record))
    result = SpfCheckResult.from_model(check.to_data(), findings)
    assert result.data == check.to_dict()
    assert_fully_typed(result, SpfCheckData)
    assert_saved_renders_the_same(result)


# -- DKIM signatures ----------------------------------------------------------------------------
def _signed(message: bytes, selector: bytes = b"selector1") -> bytes:
    headers = [b"from", b"to", b"subject", b"date"]
    signature = dkim.sign(
        message, selector, DOMAIN.encode(), private_pem(), include_headers=headers
    )
    return bytes(signature) + message


@pytest.mark.parametrize(
    "raw",
    [
        _signed(MESSAGE),
        _signed(MESSAGE) + b"-- \r\nadded after signing\r\n",
        _signed(_signed(MESSAGE), b"retired"),
        _signed(MESSAGE, b"slow"),
        MESSAGE,
        b"\x00\xff not a message",
        b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=contoso.test; s=selector1; b=AAAA\r\n"
        + _signed(MESSAGE),
    ],
    ids=["pass", "body-hash", "two-signers", "temperror", "unsigned", "unreadable", "arc"],
)
async def test_dkim_verifications_are_described(server: DnsTestServer, raw: bytes) -> None:
    result = await verify_message(raw, Resolver(server.address, timeout=0.3))
    assert_fully_typed(result, DkimCheckData)
    assert_saved_renders_the_same(result)


# -- the live re-check a header analysis saves --------------------------------------------------
HEADERS = f"""Authentication-Results: spf=softfail (sender IP is {DEVICE_IP})
 smtp.mailfrom={DOMAIN}; dkim=pass (signature was verified) header.d={DOMAIN}
 header.s=selector1;dmarc=pass action=none header.from={DOMAIN};compauth=pass reason=100
From: Scanner <scanner@{DOMAIN}>
Subject: live check
"""


def test_the_live_recheck_a_header_analysis_saves_is_described(
    python: str, cli_env: dict[str, str], server: DnsTestServer
) -> None:
    command = [python, "-m", "o365diag", "headers", "-", "--json", "--live-dns"]
    done = subprocess.run(
        [*command, "--nameserver", server.address],
        input=HEADERS,
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads(done.stdout)["live_dns"]
    assert unnamed_keys(LiveRecheck, saved) == []
    live = load(LiveRecheck, saved)
    assert dump(live) == saved
    assert live.ip == DEVICE_IP and live.dkim[0].selector == "selector1"


# -- the setup plan's verify step ---------------------------------------------------------------
async def test_the_setup_verify_steps_results_are_described() -> None:
    answers = SetupAnswers(
        domain="example.com",
        sender="scanner@example.com",
        tls=True,
        auth="none",
        recipients="internal",
    ).validate()
    result = await verify_plan(plan_setup(answers), VerifyOptions(demo=True, timeout=5))
    assert isinstance(result.dns, DomainResult) and isinstance(result.smtp, SmtpResult)
    assert result.dns.model.demo_zone is not None and result.dns.model.demo_zone.queries > 0
    assert result.smtp.model.demo is not None
    assert_fully_typed(result.dns, DomainData)
    assert_fully_typed(result.smtp, SmtpData)


async def test_an_older_domain_save_without_the_keys_now_always_written_renders_the_same(
    server: DnsTestServer,
) -> None:
    result = await audit_domain(
        DOMAIN, ips=[DEVICE_IP], resolver=Resolver(server.address), check_dnsbl=False
    )
    older = json.loads(result.to_json())
    del older["demo_zone"]
    for key in ("valid", "problems", "unknown_tags"):
        del older["dmarc"][key]
    saved = result_from_dict(older)
    assert saved.check_model() is None
    assert saved.model.dmarc.problems == [] and saved.model.demo_zone is None
    assert saved.section_html() == result.section_html()


async def test_the_dkim_and_spf_sections_show_their_own_tables_escaped(
    server: DnsTestServer,
) -> None:
    hostile = MESSAGE.replace(b"Subject: Scan 42", b"Subject: <script>x</script>")
    dkim_result = await verify_message(_signed(hostile), Resolver(server.address))
    page = dkim_result.section_html()
    assert "<th>Aligned with From</th>" in page and "<td>selector1</td>" in page
    assert "<td>pass</td>" in page and "<script>" not in page
    assert (
        "#1 d=contoso.test s=selector1: pass, key 2048 bits, aligned yes" in dkim_result.to_text()
    )
    check = await check_host(
        DEVICE_IP, f"s@{DOMAIN}", "h.example", resolver=Resolver(server.address)
    )
    spf = SpfCheckResult.from_model(check.to_data(), [])
    assert "<h3>Trace</h3>" in spf.section_html() and f"ip4:{DEVICE_IP}: match" in spf.to_text()
