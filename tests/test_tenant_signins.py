"""SMTP AUTH sign-ins: the Graph pull (interactive and non-interactive, the SMTP filter, the P1/P2
licence refusal) into a store, and the offline report over the store or the portal download."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from o365diag.cli import main
from tests.graph_server import SIGNINS_PATH, GraphServer, graph_args, synthetic_signins

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJ0aWQiOiJzaWducy10ZW5hbnQifQ.signins-secret"
NOW = datetime.now(UTC)
RECORDS = synthetic_signins(NOW, 400)
# Ranges are given as instants: a test may run minutes after this module was imported.
SINCE_15D = (NOW - timedelta(days=15)).isoformat()


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[GraphServer]:
    options: dict[str, Any] = getattr(request, "param", {})
    with GraphServer(tmp_path, signins=RECORDS, tokens={TOKEN}, **options) as graph:
        yield graph


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)


def pull(server: GraphServer, out: Path, *extra: str) -> list[str]:
    return graph_args("signins", server, out, "--throttle", "100/1", *extra)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(argv)
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err and "Traceback" not in captured.err
    data = json.loads(captured.out) if captured.out.startswith("{") else {}
    return code, data, captured.err


def expected_smtp(since: timedelta) -> list[dict[str, Any]]:
    first = (NOW - since).strftime("%Y-%m-%dT%H:%M:%S")
    return [
        r
        for r in RECORDS
        if r["clientAppUsed"] == "Authenticated SMTP" and r["createdDateTime"] >= first
    ]


def test_pull_stores_interactive_and_non_interactive_smtp_sign_ins(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "signins"
    code, data, _ = run(pull(server, out, "--start", SINCE_15D), capsys)
    assert code == 0 and data["complete"]
    expected = expected_smtp(timedelta(days=15))
    assert data["rows_written"] == len(expected)
    filters = [unquote(p) for p in server.requests if p.startswith(SIGNINS_PATH)]
    assert all("clientAppUsed eq 'Authenticated SMTP'" in p for p in filters)
    assert any("nonInteractiveUser" in p for p in filters) and any(
        "interactiveUser" in p for p in filters
    )
    assert all("$top=1000" in p for p in filters)
    assert len(data["windows"]) == 2 and len(filters) == 4  # two windows, two passes each
    code, report, _ = run(["signins", str(out), "--json"], capsys)
    assert code == 0  # accounts still on SMTP AUTH are a warning, not a failure
    smtp = report["smtp"]
    assert smtp["sign_ins"] == len(expected)
    assert {u["user"] for u in smtp["users"]} == {r["userPrincipalName"] for r in expected}
    assert smtp["failures"] == sum(1 for r in expected if r["status"]["errorCode"])
    assert "tenant.smtp-sign-ins" in [f["code"] for f in report["findings"]]
    for path in out.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes()


def test_the_portal_json_download_gives_the_same_report(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "signins"
    run(pull(server, out, "--start", SINCE_15D), capsys)
    from_store = run(["signins", str(out), "--json"], capsys)[1]
    download = tmp_path / "InteractiveSignIns.json"
    download.write_text(json.dumps(expected_smtp(timedelta(days=15))), encoding="utf-8")
    from_file = run(["signins", str(download), "--json"], capsys)[1]
    assert from_file["smtp"]["sign_ins"] == from_store["smtp"]["sign_ins"]
    assert from_file["smtp"]["users"] == from_store["smtp"]["users"]


@pytest.mark.parametrize("server", [{"mode": "no-licence"}], indirect=True)
def test_without_p1_the_pull_says_how_to_get_the_logs(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, err = run(pull(server, tmp_path / "s"), capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    finding = next(f for f in data["findings"] if f["code"] == "tenant.licence-missing")
    assert "o365diag signins FILE" in finding["fix"]


def test_stores_are_not_mixed_up(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "signins"
    run(pull(server, out, "--since", "5d"), capsys)
    code, _, err = run(["trace", str(out), "--json"], capsys)
    assert code == 2 and "not of message trace" in err
    argv = pull(server, out, "--since", "5d")
    argv[0] = "trace"
    assert run(argv, capsys)[0] == 2  # a trace pull into a sign-in store
