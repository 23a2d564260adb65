"""The connection test's typed data (``SmtpData``): every shape the probe really writes, from
the simulator's scenarios and real loopback servers, is described key for key by the model,
loads back from its saved JSON and renders the same; a save of another shape falls back to
the generic view."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from o365diag.capabilities import result_from_dict
from o365diag.cli import main
from o365diag.result import generic_html
from o365diag.smtp.model import SmtpData, StepResult
from o365diag.smtp.oauth import TokenAttempt, add_to_report
from o365diag.smtp.probe import Probe
from o365diag.smtp.result import SmtpResult
from o365diag.smtp.simulator import DEMO_USER, SCENARIOS, Simulator
from o365diag.typed import dump, unnamed_keys
from tests.smtp_support import (
    closed_port,
    greets_with,
    loopback_config,
    raw_server,
    resets_after_ehlo,
)


def assert_fully_typed(result: SmtpResult) -> None:
    assert result.check_model() is None
    assert unnamed_keys(SmtpData, result.data) == []
    assert dump(result.model) == result.data


def assert_saved_renders_the_same(result: SmtpResult) -> None:
    saved = result_from_dict(json.loads(result.to_json()), "saved.json")
    assert isinstance(saved, SmtpResult)
    assert saved.model == result.model
    assert saved.body_html() == result.body_html()
    assert saved.to_text() == result.to_text()
    assert saved.to_markdown() == result.to_markdown()
    assert saved.facts() == result.facts()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_every_scenario_is_described_by_the_model(name: str) -> None:
    async with Simulator(name) as sim:
        result = await Probe(sim.client_config()).run()
    assert_fully_typed(result)
    assert_saved_renders_the_same(result)


@pytest.mark.parametrize(
    "changes",
    [
        {"send": True},
        {"stop_after": "ehlo"},
        {"cafile": None},  # an untrusted certificate: the failed handshake's peer certificate
        {"tls_mode": "implicit"},
    ],
    ids=["send", "stop-after", "untrusted", "implicit"],
)
async def test_sessions_with_tls_data_and_stops_are_described(changes: dict[str, Any]) -> None:
    tls = "implicit" if changes.get("tls_mode") == "implicit" else "starttls"
    async with Simulator("healthy", tls=tls) as sim:
        result = await Probe(sim.client_config(**changes)).run()
    assert_fully_typed(result)
    assert_saved_renders_the_same(result)


async def test_local_failures_are_described() -> None:
    results = [await Probe(loopback_config(closed_port())).run()]
    async with raw_server(resets_after_ehlo) as port:
        results.append(await Probe(loopback_config(port)).run())
    async with raw_server(greets_with("HTTP/1.1 400 Bad Request")) as port:
        results.append(await Probe(loopback_config(port)).run())
    errors = [r.model.failed_step.error for r in results if r.model.failed_step]
    assert errors == ["connect.refused", "connection.reset", "reply.malformed"]
    for result in results:
        assert_fully_typed(result)
        assert_saved_renders_the_same(result)


async def test_the_oauth_sign_in_is_part_of_the_typed_data() -> None:
    async with Simulator("healthy") as sim:
        result = await Probe(sim.client_config()).run()
    assert result.data["oauth"] is None  # written always, so a save and its model agree
    attempt = TokenAttempt("https://idp.example/t", "client", ("s",), 5.0, account=DEMO_USER)
    add_to_report(result, attempt, DEMO_USER)
    assert_fully_typed(result)
    oauth = result.model.oauth
    assert oauth is not None and oauth.account == DEMO_USER and oauth.result == "token"
    failed = TokenAttempt("https://idp.example/t", "c", ("s",), 1.0, "oauth.unreachable", "x")
    add_to_report(result, failed, None)
    assert result.model.oauth is not None and result.model.oauth.error == "oauth.unreachable"
    assert_fully_typed(result)


def test_a_blocked_probe_is_described() -> None:
    probe = Probe(loopback_config(closed_port()))
    probe.block("the OAuth sign-in failed")
    result = probe.report()
    assert {step.status for step in result.model.steps} == {"skipped"}
    assert_fully_typed(result)


def test_the_command_lines_json_loads_into_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smtp", "--demo", "send-as-denied", "--json"]) == 1
    saved = result_from_dict(json.loads(capsys.readouterr().out))
    assert isinstance(saved, SmtpResult)
    assert saved.check_model() is None and unnamed_keys(SmtpData, saved.data) == []
    failed = saved.model.failed_step
    assert failed is not None and failed.reply is not None and failed.reply.code == 550


async def test_an_older_save_without_the_newer_keys_renders_the_same() -> None:
    async with Simulator("auth-disabled") as sim:
        result = await Probe(sim.client_config()).run()
    older = json.loads(result.to_json())
    del older["oauth"]
    for line in older["transcript"]:  # saved only when true before the data was typed
        for flag in ("error", "unexpected"):
            if line[flag] is False:
                del line[flag]
    saved = result_from_dict(older)
    assert saved.check_model() is None
    assert saved.body_html() == result.body_html()
    assert "<~* 535 5.7.139" in saved.to_text()


async def test_a_save_of_another_shape_falls_back_to_the_generic_view() -> None:
    async with Simulator("healthy") as sim:
        result = await Probe(sim.client_config()).run()
    odd = json.loads(result.to_json())
    odd["steps"][2]["status"] = "maybe"
    odd["tls"]["peer_cert"]["days_left"] = "soon"
    saved = result_from_dict(copy.deepcopy(odd))
    assert "steps[2].status" in (saved.check_model() or "")
    assert saved.section_html() == generic_html(saved)
    assert saved.safe_facts() == [] and saved.safe_figures() == []
    assert saved.title == result.title  # the title is read from the raw data


def test_a_step_saves_an_empty_detail_as_null_and_rounds_its_times() -> None:
    step = StepResult("banner", "ok", started_ms=1.23456, elapsed_ms=2.0004, detail="")
    assert step.detail is None
    assert dump(step.saved()) == {
        "name": "banner",
        "status": "ok",
        "started_ms": 1.235,
        "elapsed_ms": 2.0,
        "reply": None,
        "detail": None,
        "error": None,
        "recipient": None,
    }


def test_a_short_hand_made_save_loads_with_defaults_and_keeps_its_own_view() -> None:
    short = {
        "schema": "o365diag.smtp/1",
        "target": {"host": "smtp.office365.com", "port": 587, "profile": "submission"},
        "steps": [{"name": "connect", "status": "ok", "started_ms": 0.0, "elapsed_ms": 12.5}],
        "outcome": "accepted-no-data",
    }
    saved = result_from_dict(short)
    assert saved.check_model() is None
    assert saved.section_html() == saved.body_html() != generic_html(saved)
    assert len(saved.figures()) == 1
