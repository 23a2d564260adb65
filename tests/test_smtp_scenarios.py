"""Every simulator scenario, run by the real probe over loopback, gives its finding."""

from __future__ import annotations

import base64
import subprocess

import pytest

from o365diag.findings import Severity
from o365diag.knowledge import load_table
from o365diag.smtp.probe import Probe
from o365diag.smtp.simulator import DEMO_USER, SCENARIOS, Simulator


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario_gives_its_finding(name: str) -> None:
    async with Simulator(name) as sim:
        report = await Probe(sim.client_config()).run()
    scenario = SCENARIOS[name]
    assert scenario.expect in report.codes()
    finding = next(f for f in report.findings if f.code == scenario.expect)
    if scenario.expect.startswith("session."):
        assert report.data["outcome"] == "accepted-no-data"
        assert finding.severity is Severity.OK
        return
    assert report.data["outcome"] == "failed"
    failed = [s for s in report.data["steps"] if s["status"] == "failed"]
    assert failed, "a failing scenario must fail a step"
    assert f"smtp.{failed[0]['reply']['enhanced']}" == scenario.expect
    assert finding.severity >= Severity.WARNING
    assert finding.fix, "every reply finding says what to change"
    assert any(ref.startswith("https://") for ref in finding.references)
    assert failed[0]["reply"]["text"].split()[0] in " ".join(finding.evidence)


async def test_password_and_username_are_redacted_in_the_transcript() -> None:
    async with Simulator("healthy", password="S3cret-Pa55!") as sim:
        probe = Probe(sim.client_config())
        await probe.run()
    lines = [line.line for line in probe.transcript]
    hidden = [base64.b64encode(v.encode()).decode() for v in ("S3cret-Pa55!", DEMO_USER)]
    assert not any(h in line for h in hidden for line in lines)
    assert not any("S3cret-Pa55!" in line for line in lines)
    auth_index = lines.index("AUTH LOGIN")
    assert lines[auth_index + 2] == "<redacted>" and lines[auth_index + 4] == "<redacted>"
    assert "235 2.7.0 Authentication successful" in lines


async def test_xoauth2_error_challenge_is_answered_and_reported() -> None:
    async with Simulator("oauth-bad-token", token="tok-" + "x" * 30) as sim:
        probe = Probe(sim.client_config())
        report = await probe.run()
    lines = [(line.dir, line.line) for line in probe.transcript]
    challenge = next(i for i, (d, text) in enumerate(lines) if "error challenge" in text)
    assert '"status": "401"' in lines[challenge][1]
    assert lines[challenge + 1] == ("send", "")  # the empty acknowledgement
    assert lines[challenge + 2][1].startswith("535 5.7.3")
    assert ("send", "AUTH XOAUTH2 <redacted>") in lines
    assert "smtp.5.7.3" in report.codes()


async def test_send_delivers_the_message_and_reports_it() -> None:
    async with Simulator("healthy") as sim:
        report = await Probe(sim.client_config(send=True)).run()
        assert len(sim.messages) == 1
        envelope = sim.messages[0]
    assert envelope.mail_from == DEMO_USER
    assert b"Subject: o365diag connection test" in envelope.original_content
    assert report.data["outcome"] == "sent"
    assert "session.sent" in report.codes()
    data_step = next(s for s in report.data["steps"] if s["name"] == "data")
    assert data_step["reply"]["enhanced"] == "2.6.0"


async def test_without_send_the_transaction_is_reset_not_sent() -> None:
    async with Simulator("healthy") as sim:
        probe = Probe(sim.client_config())
        await probe.run()
        assert sim.messages == []
    sent = [line.line for line in probe.transcript if line.dir == "send"]
    assert sent[-2:] == ["RSET", "QUIT"]
    assert "DATA" not in sent


async def test_legacy_tls_scenario_negotiates_tls_1_1() -> None:
    async with Simulator("legacy-tls") as sim:
        report = await Probe(sim.client_config()).run()
    assert report.data["tls"]["version"] == "TLSv1.1"
    assert {"tls.legacy-version", "smtp.4.7.66"} <= set(report.codes())


async def test_the_same_reply_means_something_else_on_relay() -> None:
    async with Simulator("no-auth") as sim:
        on_submission = await Probe(sim.client_config()).run()
        on_relay = await Probe(sim.client_config(profile="relay")).run()
    detail = {
        r.data["target"]["profile"]: next(f for f in r.findings if f.code == "smtp.5.7.57").detail
        for r in (on_submission, on_relay)
    }
    assert "MX endpoint" in detail["relay"]
    assert "MX endpoint" not in detail["submission"]
    assert "profile.host-mismatch" in on_relay.codes()


async def test_refused_recipient_does_not_stop_the_other_recipients() -> None:
    async with Simulator("direct-send") as sim:
        config = sim.client_config(
            rcpt_to=("partner@example.net", "colleague@example.com"), send=True
        )
        report = await Probe(config).run()
        assert sim.messages == []
    rcpts = [(s["recipient"], s["status"]) for s in report.data["steps"] if s["name"] == "rcpt"]
    assert rcpts == [("partner@example.net", "failed"), ("colleague@example.com", "ok")]
    data = next(s for s in report.data["steps"] if s["name"] == "data")
    assert data["status"] == "skipped"
    finding = next(f for f in report.findings if f.code == "smtp.5.7.1")
    assert "partner@example.net" in finding.detail
    assert "own tenant" in finding.detail  # the direct-send note


def test_importing_the_simulator_leaves_aiosmtpds_logger_alone(
    python: str, cli_env: dict[str, str]
) -> None:
    code = (
        "import logging, o365diag.smtp.simulator; "
        "log = logging.getLogger('mail.log'); print(len(log.handlers), log.level, log.disabled)"
    )
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=cli_env, timeout=60, check=True
    )
    assert result.stdout.split() == ["0", "0", "False"]


def test_the_simulators_refusals_are_the_catalogues_words() -> None:
    texts = {str(e.get("text")) for e in load_table("smtp_replies").entries}
    refusals = [s.behaviour.auth_reply for s in SCENARIOS.values() if s.behaviour.auth_reply]
    assert refusals and all(r.split(" ", 2)[2] in texts for r in refusals)
