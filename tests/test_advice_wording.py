"""Wording that misled: a reason for a skipped step that is not true, numbers near zero, plurals,
two names for one window, placeholders for what is known, the assistant contradicting itself."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from o365diag.knowledge import load_table
from o365diag.plots import trace_volume_figure
from o365diag.setup.verify import VerifyOptions, verify_plan
from o365diag.smtp.probe import run_probe
from o365diag.smtp.simulator import Simulator
from o365diag.trace.analyze import TraceAnalysis, analyze_trace
from o365diag.trace.load import load_traces
from o365diag.trace.report import analysis_html
from tests.test_setup_verify import DEVICE_IP, plan_for
from tests.test_trace_support import at, iso, make_trace, new_sender, spike, write


async def _demo(scenario: str) -> dict[str, object]:
    async with Simulator(scenario) as simulator:
        report = await run_probe(simulator.client_config().validate())
    return json.loads(report.to_json())  # type: ignore[no-any-return]


def _step(data: dict[str, object], name: str) -> dict[str, object]:
    return next(s for s in data["steps"] if s["name"] == name)  # type: ignore[attr-defined,index]


# -- SMTP ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", ["relay", "relay-attribution", "direct-send"])
async def test_relay_and_direct_send_skip_auth_for_the_true_reason(scenario: str) -> None:
    auth = _step(await _demo(scenario), "auth")
    assert auth["status"] == "skipped"
    assert "earlier step failed" not in str(auth["detail"])
    assert "without AUTH" in str(auth["detail"])


async def test_a_step_after_a_failure_still_says_so() -> None:
    data = await _demo("relay-attribution")
    assert _step(data, "rcpt")["status"] == "failed"
    assert _step(data, "data")["detail"] == "not run: an earlier step failed"


async def test_the_simulator_address_is_named_as_this_machine() -> None:
    resolve = _step(await _demo("healthy"), "resolve")
    assert "127.0.0.1 (this machine)" in str(resolve["detail"])


async def test_no_finding_sends_users_to_the_test_servers_documentation() -> None:
    data = await _demo("starttls-required")
    assert "aiosmtpd" not in json.dumps(data["findings"])
    for entry in load_table("smtp_replies").entries:
        assert "aiosmtpd" not in entry.source, entry.key
        assert not any("aiosmtpd" in url for url in entry.get("more_sources") or ())


@pytest.mark.parametrize("scenario", ["auth-disabled", "wrong-password"])
async def test_fixes_name_the_mailbox_the_session_used(scenario: str) -> None:
    data = await _demo(scenario)
    fixes = " ".join(f["fix"] for f in data["findings"])  # type: ignore[attr-defined]
    assert "-Identity <mailbox>" not in fixes
    assert "-Identity scanner@example.com" in fixes


# -- trace --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analysis() -> Iterator[TraceAnalysis]:
    night_spike = spike(f"scanner-3f@example.com@{iso(at(4, 2))}")
    newcomer = new_sender(f"intruder@example.com@{iso(at(8, 2))}")
    frame = make_trace(3000, 10, seed=41, injections=[night_spike, newcomer])
    with tempfile.TemporaryDirectory() as folder:
        yield analyze_trace(load_traces([write(frame, Path(folder), "messagetrace-v2")]))


def test_a_spike_from_nothing_is_not_a_ratio_against_zero(analysis: TraceAnalysis) -> None:
    found = {f.code: f for f in analysis.findings}
    sender = found["trace.sender-spike"]
    assert "where almost none are usual" in sender.detail
    assert "0.0 are usual" not in sender.detail and "200.0x" not in sender.title
    assert "jumped from almost none" in sender.title
    tenant = found["trace.volume-spike"]
    assert "where about 4.0 are usual" in tenant.detail and "51.8x" in tenant.title


def test_one_new_sender_is_singular(analysis: TraceAnalysis) -> None:
    found = {f.code: f for f in analysis.findings}
    assert found["trace.new-sender"].title == "1 new sender in your domains"
    assert found["trace.new-relay-ip"].title == "1 new source IP sending as your domains"


def test_chart_and_finding_name_the_same_anomaly_window(analysis: TraceAnalysis) -> None:
    assert analysis.interval != analysis.anomaly_interval  # the case that confused: 30 min vs 1 h
    title = trace_volume_figure(analysis).layout.title.text
    spike_finding = next(f for f in analysis.findings if f.code == "trace.sender-spike")
    assert "looked for per 1 h" in title
    assert "looked for per 1 h" in spike_finding.evidence[0]
    assert "Volume per 30 min" in title


def test_the_trace_page_has_a_visible_title(analysis: TraceAnalysis) -> None:
    page = analysis_html(analysis)
    assert page.startswith("<h2>Message trace: messagetrace-v2, ")


# -- setup --------------------------------------------------------------------------------------
async def test_verify_does_not_flag_the_dmarc_record_the_assistant_wrote() -> None:
    plan = plan_for(recipients="both", static_ips=(DEVICE_IP,))
    dmarc = next(r for r in plan.dns_records if r.name == "_dmarc.example.com")
    assert "rua=mailto:dmarc-reports@example.com" in dmarc.value
    assert "create that mailbox" in dmarc.explanation
    result = await verify_plan(plan, VerifyOptions(demo=True, timeout=5))
    assert result.dns is not None
    codes = {f.code: f for f in result.dns.findings}
    assert "dmarc.no-rua" not in codes
    assert codes["dmarc.p-none"].severity.value == "info"
    assert "as this plan starts" in codes["dmarc.p-none"].title
    assert result.dns.data["readiness"]["dmarc"] == "info"
