"""The step-through API, stop points, skipped steps and the o365diag.smtp/1 JSON contract."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest

from o365diag.errors import ConfigError
from o365diag.smtp.model import STEP_NAMES
from o365diag.smtp.probe import Probe
from o365diag.smtp.simulator import Simulator
from tests.smtp_support import greets_with, loopback_config, raw_server


async def test_one_step_per_call_in_session_order() -> None:
    async with Simulator("healthy") as sim:
        probe = Probe(sim.client_config())
        seen = []
        while (result := await probe.step()) is not None:
            seen.append((result.name, result.status))
        assert probe.done
        assert await probe.step() is None
    assert seen == [
        (name, "ok")
        for name in (
            "resolve",
            "connect",
            "banner",
            "ehlo",
            "starttls",
            "ehlo-tls",
            "auth",
            "mail",
            "rcpt",
            "quit",
        )
    ]


async def test_on_start_names_each_step_before_it_runs() -> None:
    started: list[str] = []
    async with Simulator("direct-send") as sim:
        probe = Probe(sim.client_config())
        results = [r.name async for r in _iterate(probe, started.append)]
    assert started == results


async def _iterate(probe: Probe, on_start):  # type: ignore[no-untyped-def]
    while (result := await probe.step(on_start=on_start)) is not None:
        yield result


@pytest.mark.parametrize(
    "stop", ["resolve", "connect", "banner", "ehlo", "starttls", "ehlo-tls", "auth", "mail", "rcpt"]
)
async def test_stop_after_ends_the_session_there(stop: str) -> None:
    async with Simulator("healthy") as sim:
        probe = Probe(sim.client_config(stop_after=stop))
        report = await probe.run()
    ran = [s["name"] for s in report.data["steps"] if s["status"] == "ok" and s["name"] != "quit"]
    assert ran[-1] == stop
    assert report.data["outcome"] == "accepted-no-data"
    assert report.data["stopped_after"] == stop
    sent = [line.line for line in probe.transcript if line.dir == "send"]
    after_banner = STEP_NAMES.index(stop) >= STEP_NAMES.index("banner")
    assert (sent[-1:] == ["QUIT"]) is after_banner
    later = STEP_NAMES[STEP_NAMES.index(stop) + 1 : -1]
    statuses = {s["name"]: s["status"] for s in report.data["steps"]}
    assert all(statuses[name] == "skipped" for name in later)


async def test_skipped_steps_are_listed_with_a_reason() -> None:
    async with Simulator("wrong-password") as sim:
        report = await Probe(sim.client_config(rcpt_to=("a@example.com", "b@example.com"))).run()
    steps = report.data["steps"]
    assert [s["name"] for s in steps if s["status"] == "skipped"] == [
        "mail",
        "rcpt",
        "rcpt",
        "data",
    ]
    assert {s["detail"] for s in steps if s["status"] == "skipped"} == {
        "not run: an earlier step failed"
    }
    assert sorted(s["name"] for s in steps) == sorted([*STEP_NAMES, "rcpt"])


async def test_json_contract_fields() -> None:
    async with Simulator("healthy") as sim:
        report = await Probe(sim.client_config()).run()
    data = json.loads(report.to_json())
    assert data["schema"] == "o365diag.smtp/1"
    assert {"host", "port", "profile", "addresses"} <= data["target"].keys()
    assert data["target"]["host"] == "smtp.office365.com"
    for step in data["steps"]:
        assert {"name", "status", "started_ms", "elapsed_ms", "reply"} <= step.keys()
        assert step["name"] in STEP_NAMES and step["status"] in ("ok", "failed", "skipped")
        if step["reply"] is not None:
            assert set(step["reply"]) == {"code", "enhanced", "text"}
    for line in data["transcript"]:
        assert {"t_ms", "dir", "tls", "line"} <= line.keys()
        assert line["dir"] in ("send", "recv", "info")
    tls = data["tls"]
    assert tls["version"].startswith("TLSv1.") and tls["verified"] is True
    assert set(tls["peer_cert"]) == {"subject", "issuer", "san", "not_after", "days_left"}
    assert "smtp.office365.com" in tls["peer_cert"]["san"]
    assert 360 <= tls["peer_cert"]["days_left"] <= 366
    assert "AUTH LOGIN XOAUTH2" in data["extensions"]
    assert data["outcome"] == "accepted-no-data"
    assert isinstance(data["findings"], list)


async def test_tls_marker_and_timing() -> None:
    async with Simulator("healthy") as sim:
        probe = Probe(sim.client_config())
        report = await probe.run()
    lines = probe.transcript
    starttls = next(i for i, line in enumerate(lines) if line.line == "STARTTLS")
    assert not any(line.tls for line in lines[: starttls + 2])
    assert all(line.tls for line in lines if line.dir == "send" and line.line.startswith("MAIL"))
    times = [line.t_ms for line in lines]
    assert times == sorted(times)
    ran = [s for s in report.data["steps"] if s["status"] != "skipped"]
    assert all(s["elapsed_ms"] >= 0 for s in ran)
    assert [s["started_ms"] for s in ran] == sorted(s["started_ms"] for s in ran)


async def test_aclose_drops_an_abandoned_session() -> None:
    async with Simulator("healthy") as sim:
        probe = Probe(sim.client_config())
        for _ in range(4):
            await probe.step()
        assert len(sim._connections) == 1
        await probe.aclose()
        for _ in range(50):
            if not sim._connections:
                break
            await asyncio.sleep(0.01)
        assert not sim._connections
        assert probe.done and await probe.step() is None


async def test_an_unneeded_stop_point_ends_at_the_step_before() -> None:
    async with Simulator("direct-send") as sim:  # no credentials: no auth step to stop at
        report = await Probe(sim.client_config(stop_after="auth")).run()
    ran = [s["name"] for s in report.data["steps"] if s["status"] == "ok"]
    assert ran[-2:] == ["ehlo-tls", "quit"]


async def _answers_all_but_the_message(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A server that answers every command, takes the message, and never says 250 to it."""
    writer.write(b"220 slow.example ESMTP\r\n")
    replies = {b"EHLO": b"250 slow.example\r\n", b"MAIL": b"250 OK\r\n", b"RCPT": b"250 OK\r\n"}
    with contextlib.suppress(Exception):
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
            elif verb in replies:
                writer.write(replies[verb])
            await writer.drain()
    writer.close()


async def test_the_data_timeout_bounds_the_wait_for_the_messages_reply() -> None:
    async with raw_server(_answers_all_but_the_message) as port:
        config = loopback_config(port, timeout=20, data_timeout=0.3, send=True)
        started = time.perf_counter()
        report = await Probe(config).run()
    failed = [s for s in report.data["steps"] if s["status"] == "failed"]
    assert [s["name"] for s in failed] == ["data"]
    assert "within 0.3 s" in failed[0]["detail"]
    assert time.perf_counter() - started < 5


async def test_the_command_timeout_bounds_each_reply_and_not_the_connection() -> None:
    async with raw_server(greets_with("220 mute.example ESMTP")) as port:
        config = loopback_config(port, timeout=20, command_timeout=0.3)
        started = time.perf_counter()
        report = await Probe(config).run()
    failed = [s for s in report.data["steps"] if s["status"] == "failed"]
    assert [s["name"] for s in failed] == ["ehlo"] and "within 0.3 s" in failed[0]["detail"]
    assert time.perf_counter() - started < 5


def test_a_step_timeout_must_be_positive() -> None:
    with pytest.raises(ConfigError) as caught:
        loopback_config(25, connect_timeout=0).validate()
    assert caught.value.field == "connect_timeout"
