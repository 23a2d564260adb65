"""The Connect panel against the loopback Graph server: a pull with progress that hands the store
to the trace app, Cancel during a throttling wait, no token in any widget state; and notebook 04
loading a pulled store."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import polars as pl
import pytest

from o365diag.trace.synth import synthesize
from o365diag.widgets import ConnectPanel, TraceExplorerApp
from tests.graph_server import GraphServer, graph_records

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJ0aWQiOiJwYW5lbCJ9.panel-secret-token"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    start = (NOW - timedelta(days=6)).replace(minute=0, second=0, microsecond=0)
    return graph_records(synthesize(8000, 5.5, start=start, seed=5))


@pytest.fixture
def server(
    tmp_path: Path, records: list[dict[str, Any]], request: pytest.FixtureRequest
) -> Iterator[GraphServer]:
    options: dict[str, Any] = getattr(request, "param", {})
    with GraphServer(tmp_path, records, tokens={TOKEN}, **options) as graph:
        yield graph


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PANEL_TOKEN", TOKEN)
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))


def panel_for(server: GraphServer, out: Path, **kwargs: Any) -> ConnectPanel:
    panel = ConnectPanel(out=out, **kwargs)
    panel.tenant.value = "contoso.example"
    panel.how.value = "token-env"
    panel.credential.value = "PANEL_TOKEN"
    panel.graph_url.value = server.url
    panel.cafile.value = str(server.cafile)
    panel.since.value = "7d"
    return panel


def all_state(root: widgets.Widget) -> str:
    seen: list[str] = []

    def walk(widget: Any) -> None:
        if isinstance(widget, widgets.Widget):
            seen.append(json.dumps(widget.get_state(), default=str))
            for child in getattr(widget, "children", ()):
                walk(child)

    walk(root)
    return "\n".join(seen)


async def test_a_pull_shows_progress_and_hands_the_store_to_the_trace_app(
    server: GraphServer, tmp_path: Path
) -> None:
    app = TraceExplorerApp()
    handed: list[Path] = []

    def load(folder: Path, _report: Any) -> None:
        handed.append(folder)
        app.paths.value = str(folder)
        app.run()

    panel = panel_for(server, tmp_path / "store", on_pulled=load)
    await panel.pull()
    assert panel.last_pull is not None and panel.last_pull.data["complete"]
    rows = panel.last_pull.data["rows_written"]
    assert rows > 5000 and f"{rows:,} rows" in panel.progress.value
    assert handed == [tmp_path / "store"]
    assert app.task is not None
    await app.task
    assert app.analysis is not None and app.analysis.data.messages.height == rows
    assert app.analysis.data.format == "graph-store"
    state = all_state(panel) + all_state(app)
    assert TOKEN not in state and TOKEN.split(".")[2] not in state


@pytest.mark.parametrize("server", [{"faults": {2: "429"}}], indirect=True)
async def test_cancel_during_a_throttling_wait_keeps_what_was_stored(
    server: GraphServer, tmp_path: Path
) -> None:
    server.retry_after = "30"
    panel = panel_for(server, tmp_path / "store")
    panel.since.value = "20d"  # two windows; the second request is throttled for 30 s
    task = panel.pull()
    deadline = time.monotonic() + 10
    while len(server.requests) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    started = time.monotonic()
    panel.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "cancelled" in panel.status.value
    state_file = tmp_path / "store" / "_state" / "contoso.example.json"
    while not state_file.exists() and time.monotonic() - started < 5:
        await asyncio.sleep(0.05)
    assert time.monotonic() - started < 5, "the worker stopped waiting at once"
    assert len(server.requests) == 2
    assert panel.waiter is not None and panel.waiter.cancelled


async def test_missing_fields_are_said_in_the_panel(tmp_path: Path) -> None:
    panel = ConnectPanel(out=tmp_path / "s")
    await panel.pull()
    assert "tenant" in panel.error.value.lower()


def test_notebook_04_loads_a_pulled_store(server: GraphServer, tmp_path: Path) -> None:
    from o365diag.cli import main
    from tests.graph_server import graph_args
    from tests.test_notebooks import execute, outputs_text

    store = tmp_path / "store"
    assert main(graph_args("trace", server, store, "--since", "7d")) == 0
    rows = pl.scan_parquet(str(store / "tenant=*" / "date=*" / "*.parquet")).collect().height
    notebook = execute("04-trace-volume.ipynb", {"GRAPH_STORE": str(store), "AUTO_RUN": True})
    text = outputs_text(notebook)
    assert f"rows: {rows} format: graph-store" in text
    dumped = json.dumps(notebook, default=str)
    assert TOKEN not in dumped and "Connect to a tenant" in dumped
