"""Message-trace pulls against the loopback Graph server: windows, paging, resume, throttling,
faults and refusals; the store reads back as the same frame as the Graph JSON export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from o365diag.cli import main
from o365diag.tenant.graph import (
    GraphClient,
    GraphError,
    GraphSettings,
    ThrottleBudget,
    Waiter,
    token_refresher,
)
from o365diag.tenant.pull import TracePullRequest, pull_message_trace
from o365diag.tenant.store import Store
from o365diag.trace.load import load_traces
from o365diag.trace.synth import synthesize
from tests.graph_server import TRACE_PATH, GraphServer, graph_args, graph_records

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJ0aWQiOiJ0ZXN0LXRlbmFudCJ9.test-secret-token-value"
NOW = datetime.now(UTC)
START = (NOW - timedelta(days=14)).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return synthesize(12_000, 13.5, start=START, seed=7)


@pytest.fixture
def server(
    tmp_path: Path, frame: pl.DataFrame, request: pytest.FixtureRequest
) -> Iterator[GraphServer]:
    options: dict[str, Any] = getattr(request, "param", {})
    with GraphServer(tmp_path, graph_records(frame), tokens={TOKEN}, **options) as graph:
        yield graph


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))


def pull(server: GraphServer, out: Path, *extra: str) -> list[str]:
    return graph_args(
        "trace", server, out, "--backoff-base", "0.05", "--backoff-cap", "0.2", *extra
    )


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(argv)
    captured = capsys.readouterr()
    assert TOKEN not in captured.out and TOKEN not in captured.err
    assert "Traceback" not in captured.err
    data = json.loads(captured.out) if captured.out.strip().startswith("{") else {}
    return code, data, captured.err


def filters_of(server: GraphServer) -> list[tuple[datetime, datetime]]:
    spans = []
    for path in server.requests:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        if "$filter" in query and path.startswith(TRACE_PATH + "?"):
            parts = query["$filter"].split()
            spans.append((_time(parts[2]), _time(parts[6])))
    return spans


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_no_token_in(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
            assert TOKEN.split(".")[2].encode() not in path.read_bytes(), path


# ---------------------------------------------------------------- the normal pull
def test_pull_stores_the_same_frame_as_the_graph_export(
    server: GraphServer, frame: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, end = START + timedelta(hours=5), START + timedelta(days=12, hours=7)
    out = tmp_path / "store"
    code, data, _ = run(
        pull(server, out, "--start", start.isoformat(), "--end", end.isoformat()), capsys
    )
    assert code == 0 and data["schema"] == "o365diag.pull/1" and data["complete"] is True
    # Two windows of at most 10 days, the first ending at a midnight; pages of 5000 rows.
    assert next(w["start"] for w in data["windows"]) == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(data["windows"]) == 2
    spans = filters_of(server)
    assert all(b - a <= timedelta(days=10) for a, b in spans)
    assert all("%24top=5000" in p or "$top=5000" in p for p in server.requests)
    assert any("skiptoken" in p for p in server.requests), "a window needed several pages"
    expected = frame.filter((pl.col("received") >= start) & (pl.col("received") < end))
    assert data["rows_written"] == expected.height
    assert data["pages"] == len(server.requests) == len(data["requests"])
    assert set(data) >= {
        "asked",
        "windows",
        "requests",
        "pages",
        "rows_written",
        "retries",
        "throttle_wait_s",
        "findings",
    }
    # Hive layout, one folder per UTC day.
    days = sorted(p.name for p in (out / "tenant=contoso.example").iterdir())
    assert days[0] == f"date={start.date()}" and days[-1] == f"date={end.date()}"
    # Read back: the same normalized rows as the Graph JSON export of those rows gives.
    exported = tmp_path / "graph-messagetrace.json"
    exported.write_text(json.dumps({"value": graph_records(expected)}), encoding="utf-8")
    from_store = load_traces([out]).messages
    from_file = load_traces([exported]).messages
    columns = [c for c in from_file.columns if c not in ("format", "file")]
    key = ["trace_id", "recipient"]
    assert from_store.select(columns).sort(key).equals(from_file.select(columns).sort(key))
    assert from_store.schema == from_file.schema
    assert_no_token_in(out)


def test_the_default_ten_days_stay_within_graphs_ten_day_query_limit(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The range's ends carry fractions of a second; whole-second bounds once made the one
    # 10-day window 10 days and 1 second long, which Graph refuses.
    code, data, err = run(pull(server, tmp_path / "store", "--no-progress"), capsys)
    assert code == 0, err
    assert data["complete"] is True and data["rows_written"] > 0


def test_trace_reads_the_store_like_any_export(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "store"
    assert run(pull(server, out, "--since", "5d"), capsys)[0] == 0
    code, data, _ = run(["trace", str(out), "--json", "--no-progress"], capsys)
    assert code in (0, 1) and data["format"] == "graph-store" and data["rows"] > 0
    one_tenant = run(["trace", str(out / "tenant=contoso.example"), "--json"], capsys)[1]
    assert one_tenant["rows"] == data["rows"]


def test_a_rerun_fetches_only_missing_and_unsettled_days(
    frame: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = graph_records(frame)
    pending_day = (START + timedelta(days=8)).date().isoformat()
    on_day = [r for r in records if r["receivedDateTime"].startswith(pending_day)]
    on_day[0]["status"] = "gettingStatus"
    with GraphServer(tmp_path, records, tokens={TOKEN}) as server:
        _rerun(server, tmp_path / "store", capsys, pending_day)


def _rerun(
    server: GraphServer, out: Path, capsys: pytest.CaptureFixture[str], pending_day: str
) -> None:
    first_end = START + timedelta(days=6)  # a midnight: the store keeps whole UTC days
    run(pull(server, out, "--start", START.isoformat(), "--end", first_end.isoformat()), capsys)
    server.requests.clear()
    code, data, _ = run(
        pull(server, out, "--start", START.isoformat(), "--end", NOW.isoformat()), capsys
    )
    assert code == 0
    assert data["days"]["already_stored"] == 6
    assert all(a >= first_end for a, _ in filters_of(server))
    # The synthetic tenant's last two hours of mail are still Pending: that day comes again.
    unsettled = data["days"]["unsettled"]
    assert pending_day in unsettled
    server.requests.clear()
    again = run(pull(server, out, "--start", START.isoformat(), "--end", NOW.isoformat()), capsys)[
        1
    ]
    fetched_days = {a.date().isoformat() for a, _ in filters_of(server)}
    assert set(unsettled) <= fetched_days
    assert again["days"]["fetched"] < data["days"]["fetched"]
    # Refetched days replace their files: nothing is counted twice.
    stored = load_traces([out]).messages
    assert stored.height == stored.unique(["trace_id", "recipient"]).height
    assert (out / "_state" / "contoso.example.json").is_file()


def test_filters_reach_graph_and_keep_their_own_coverage(
    server: GraphServer, frame: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "store"
    sender = frame.filter(pl.col("status") == "Failed").get_column("sender")[0]
    code, data, _ = run(
        pull(server, out, "--since", "12d", "--sender", sender.upper(), "--status", "FAILED"),
        capsys,
    )
    assert code == 0 and data["rows_written"] > 0
    assert f"senderAddress eq '{sender}'" in urllib.parse.unquote(server.requests[0])
    assert "status eq 'failed'" in urllib.parse.unquote(server.requests[0])
    stored = load_traces([out]).messages
    assert set(stored.get_column("status")) == {"Failed"}
    assert set(stored.get_column("sender")) == {sender}
    server.requests.clear()
    data = run(pull(server, out, "--since", "12d"), capsys)[1]
    assert data["days"]["already_stored"] == 0, "a full pull is not covered by a filtered one"


@pytest.mark.parametrize("status", ["bogus", "delivered-ish"])
def test_bad_usage_exits_2_with_one_line(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    assert run(pull(server, tmp_path / "s", "--status", status), capsys)[0] == 2
    argv = pull(server, tmp_path / "s", "--start", "2026-01-05", "--end", "2026-01-02")
    code, _, err = run(argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    no_out = [a for a in pull(server, tmp_path / "s") if a not in ("--out", str(tmp_path / "s"))]
    assert run(no_out, capsys)[0] == 2
    assert server.requests == []


def test_a_range_past_90_days_is_cut_with_a_warning(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, _ = run(pull(server, tmp_path / "s", "--since", "120d"), capsys)
    assert code == 0, data
    cut = [f for f in data["findings"] if f["code"] == "tenant.range-cut"]
    assert cut and cut[0]["severity"] == "warning"
    assert len(data["windows"]) == 10 and data["complete"]


# ---------------------------------------------------------------- throttling and faults
@pytest.mark.parametrize(
    "server",
    [{"faults": {1: "429", 2: "429-no-retry-after", 3: "503", 5: "drop", 6: "malformed"}}],
    indirect=True,
)
def test_throttling_and_faults_are_retried(
    server: GraphServer, frame: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = NOW - timedelta(days=9)
    code, data, _ = run(pull(server, tmp_path / "s", "--start", first.isoformat()), capsys)
    assert code == 0 and data["complete"]
    assert data["retries"] == 5
    assert data["throttle_wait_s"] >= 1.0, "Retry-After: 1 was honoured"
    statuses = [r["status"] for r in data["requests"]]
    assert statuses[:3] == [429, 429, 503] and "no-answer" in statuses
    assert len(data["requests"]) == len(server.requests)
    assert data["rows_written"] == frame.filter(pl.col("received") >= first).height


@pytest.mark.parametrize(
    "server", [{"faults": {2: "malformed", 3: "malformed", 4: "malformed"}}], indirect=True
)
def test_a_page_that_stays_malformed_stops_the_pull_and_keeps_what_was_stored(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    code, data, err = run(pull(server, out, "--since", "12d"), capsys)
    assert code == 1 and data["complete"] is False
    assert "tenant.malformed-page" in [f["code"] for f in data["findings"]]
    assert err.strip().splitlines() == [err.strip()] and "stopped" in err
    assert data["rows_written"] == 5000  # the first page is stored
    assert list(out.rglob("*.parquet"))


def test_throttle_budget_is_shared_and_waits() -> None:
    budget = ThrottleBudget(limit=3, period=0.5)
    waiter = Waiter()
    waits = [budget.acquire(waiter) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0] and 0.3 < waits[3] < 0.8


@pytest.mark.parametrize(
    ("server", "code_expected"),
    [
        ({"mode": "no-sp"}, "tenant.service-principal-missing"),
        ({"mode": "no-permission"}, "tenant.permission-missing"),
        ({"expire_after": 1}, "tenant.token-invalid"),
    ],
    indirect=["server"],
)
def test_refusals_end_the_pull_with_a_finding(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], code_expected: str
) -> None:
    code, data, err = run(pull(server, tmp_path / "s", "--since", "12d"), capsys)
    assert code == 1
    assert code_expected in [f["code"] for f in data["findings"]]
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [(12, 0, "10 days"), (95, 88, "last 90 days")],
    ids=["window-over-10-days", "older-than-90-days"],
)
def test_graph_refuses_what_it_does_not_serve_with_its_error_body(
    server: GraphServer, first: int, last: int, words: str
) -> None:
    """Guards the planner: the server really refuses such windows, as Graph does."""
    client = GraphClient(
        GraphSettings(server.url, cafile=str(server.cafile)),
        token_refresher(lambda _r: TOKEN, False),
        ThrottleBudget(100, 300),
    )
    start, end = NOW - timedelta(days=first), NOW - timedelta(days=last)
    params = {
        "$filter": f"receivedDateTime ge {start:%Y-%m-%dT%H:%M:%SZ} "
        f"and receivedDateTime le {end:%Y-%m-%dT%H:%M:%SZ}"
    }
    with pytest.raises(GraphError) as caught:
        client.get_json(client.url(TRACE_PATH, params))
    assert caught.value.code == "tenant.bad-request" and words in caught.value.detail
    assert caught.value.detail.startswith("BadRequest: ")
    assert TOKEN not in str(caught.value)


def test_cancel_keeps_finished_windows_and_a_rerun_completes(
    server: GraphServer, tmp_path: Path
) -> None:
    waiter = Waiter()
    client = GraphClient(
        GraphSettings(server.url, cafile=str(server.cafile)),
        token_refresher(lambda _r: TOKEN, False),
        ThrottleBudget(100, 300),
        waiter=waiter,
    )
    store = Store(tmp_path / "s", "contoso.example", "messageTrace", "all", {})
    request = TracePullRequest(NOW - timedelta(days=12), NOW, "contoso.example")

    def cancel_in_second_window(progress: Any) -> None:
        if progress.window == 1 and progress.stage == "window done":
            waiter.cancel()

    report = pull_message_trace(client, store, request, cancel_in_second_window, now=NOW)
    assert "tenant.interrupted" in report.codes() and report.data["complete"] is False
    done = report.data["rows_written"]
    assert done > 0
    again = pull_message_trace(
        GraphClient(
            GraphSettings(server.url, cafile=str(server.cafile)),
            token_refresher(lambda _r: TOKEN, False),
            ThrottleBudget(100, 300),
        ),
        Store(tmp_path / "s", "contoso.example", "messageTrace", "all", {}),
        request,
        now=NOW,
    )
    assert again.data["complete"] and again.data["days"]["already_stored"] >= 9
    stored = load_traces([tmp_path / "s"]).messages
    assert stored.height == stored.unique(["trace_id", "recipient"]).height


def test_details_of_failed_messages_are_stored_and_loaded(
    tmp_path: Path, frame: pl.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = frame.filter(pl.col("status").is_in(["Failed", "Quarantined"]))
    failed = failed.sort("received", descending=True)
    details = {
        (row["trace_id"], row["recipient"]): [
            {
                "id": "d1",
                "messageId": row["message_id"],
                "dateTime": _iso(row["received"]),
                "event": "Receive",
                "action": None,
                "description": "Message received by: X",
                "data": None,
            },
            {
                "id": "d2",
                "messageId": row["message_id"],
                "dateTime": _iso(row["received"]),
                "event": "Fail",
                "action": None,
                "description": "Reason: [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound}]",
                "data": None,
            },
        ]
        for row in failed.head(5).iter_rows(named=True)
    }
    with GraphServer(tmp_path, graph_records(frame), tokens={TOKEN}, details=details) as server:
        out = tmp_path / "s"
        code, _data, _ = run(pull(server, out, "--since", "12d", "--details", "3"), capsys)
        assert code == 0
        asked = [p for p in server.requests if "getDetailsByRecipient" in p]
        assert len(asked) == 3
        server.requests.clear()
        data2 = run(pull(server, out, "--since", "12d", "--details", "3"), capsys)[1]
        assert data2["complete"]
        assert not [p for p in server.requests if "getDetailsByRecipient" in p], "stored once"
    loaded = load_traces([out])
    assert loaded.events.height == 6
    assert set(loaded.events.get_column("event")) == {"Receive", "Fail"}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_the_cli_process_shows_no_token_anywhere(server: GraphServer, tmp_path: Path) -> None:
    out = tmp_path / "s"
    argv = pull(server, out, "--since", "3d")
    argv.remove("--json")
    env = {**os.environ, "GRAPH_TOKEN": TOKEN}
    done = subprocess.run(
        [sys.executable, "-m", "o365diag", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "rows written" in done.stdout
    assert TOKEN not in done.stdout + done.stderr
    assert_no_token_in(out)
    assert all(a == f"Bearer {TOKEN}" for a in server.authorizations)


def test_ctrl_c_keeps_what_is_done_and_exits_1(
    server: GraphServer, frame: pl.DataFrame, tmp_path: Path
) -> None:
    """Ctrl-C (SIGINT) in the middle of a throttling wait: one line, exit 1, finished windows
    kept, and the next run fetches only the rest."""
    import signal
    import time as clock

    from o365diag.tenant.timerange import group_windows

    first = group_windows([(NOW - timedelta(days=12), NOW)])[0]
    rows = frame.filter((pl.col("received") >= first.start) & (pl.col("received") < first.end))
    pages = -(-rows.height // 5000)
    server.retry_after = "60"
    server.faults = {pages + 1: "429"}  # the second window's first request waits a minute
    out = tmp_path / "s"
    argv = pull(server, out, "--since", "12d")
    env = {**os.environ, "GRAPH_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "o365diag", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = clock.monotonic() + 30
    while len(server.requests) < pages + 1 and clock.monotonic() < deadline:
        clock.sleep(0.05)
    clock.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out_text, err_text = process.communicate(timeout=20)
    assert process.returncode == 1, err_text
    assert "Traceback" not in err_text and len(err_text.strip().splitlines()) == 1
    data = json.loads(out_text)
    assert data["complete"] is False
    assert "tenant.interrupted" in [f["code"] for f in data["findings"]]
    assert TOKEN not in out_text + err_text
    server.requests.clear()
    again = subprocess.run(
        [sys.executable, "-m", "o365diag", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["days"]["already_stored"] >= 9
