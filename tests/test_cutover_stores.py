"""The cutover over folders: sign-in and message-trace stores pulled from the loopback Graph
server, a collect-script output folder, and ``cutover --graph`` pulling both stores itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from o365diag.cutover.demo import demo_files
from o365diag.cutover.inputs import classify, load_inputs
from o365diag.trace.synth import synthesize
from tests.graph_server import (
    SIGNINS_PATH,
    TRACE_PATH,
    GraphServer,
    graph_args,
    graph_records,
    synthetic_signins,
)
from tests.test_tenant_signins import TOKEN, run  # run() also scans the output for TOKEN

NOW = datetime.now(UTC)
SIGNINS = synthetic_signins(NOW, 200)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GraphServer]:
    start = (NOW - timedelta(days=6)).replace(hour=0, minute=0, second=0, microsecond=0)
    frame = synthesize(600, 5.0, start=start, seed=3)
    with GraphServer(tmp_path, graph_records(frame), signins=SIGNINS, tokens={TOKEN}) as graph:
        yield graph


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))


def collect_folder(tmp_path: Path) -> Path:
    """The Exchange settings JSON files of the demo tenant, as collect-script leaves them."""
    folder = tmp_path / "o365diag-export"
    folder.mkdir()
    for name, data in demo_files():
        if classify(name, data) == "exchange-settings":
            (folder / Path(name).name).write_bytes(data)
    (folder / "readme.txt").write_text("not read: only the JSON files are", encoding="utf-8")
    return folder


def test_store_and_collect_folders_are_read_with_their_rows(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signins, trace = tmp_path / "signins", tmp_path / "trace"
    connection = ["--throttle", "100/1"]
    assert (
        run(graph_args("signins", server, signins, "--since", "30d", *connection), capsys)[0] == 0
    )
    assert run(graph_args("trace", server, trace, "--since", "10d", *connection), capsys)[0] == 0
    settings = collect_folder(tmp_path)

    inputs = load_inputs([signins, trace, settings])
    assert inputs.present() >= {"signins", "trace", "exchange-settings"}
    smtp = [r for r in SIGNINS if r["clientAppUsed"] == "Authenticated SMTP"]
    assert inputs.signins is not None and inputs.signins.frame.height == len(smtp)
    read = {Path(r["file"]).name: r for r in inputs.read}
    assert read["signins"]["kind"] == "signins" and read["signins"]["rows"] == len(smtp)
    assert read["trace"]["kind"] == "trace" and read["trace"]["format"] == "graph-store"
    assert inputs.trace is not None and read["trace"]["rows"] == inputs.trace.messages.height > 0
    json_files = sorted(p.name for p in settings.glob("*.json"))
    assert sorted(n for n, r in read.items() if r["kind"] == "exchange-settings") == json_files

    code, data, _ = run(["cutover", str(signins), str(trace), str(settings), "--json"], capsys)
    assert code in (0, 1)
    users = {row["identity"] for row in data["identities"]}
    assert {"scanner@example.com", "erp@example.com"} <= users  # the SMTP senders of SIGNINS


def test_a_folder_of_no_known_kind_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.txt").write_text("meow", encoding="utf-8")
    code, _, err = run(["cutover", str(folder)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(folder) in lines[0]


def test_graph_pulls_both_stores_then_assesses_them(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pulled"
    argv = graph_args("cutover", server, out, "--throttle", "100/1", "--no-progress")
    code, data, err = run(argv, capsys)
    assert code in (0, 1), err
    kinds = {r["kind"]: r for r in data["inputs"]["read"]}
    assert kinds["signins"]["format"] == "signins-store"
    assert kinds["trace"]["format"] == "graph-store"
    assert (out / "signins" / "_state").is_dir() and (out / "trace" / "_state").is_dir()
    assert any(r["identity"] == "scanner@example.com" for r in data["identities"])
    assert any(SIGNINS_PATH in r for r in server.requests)
    assert any(TRACE_PATH in r for r in server.requests)
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()


def test_graph_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["cutover", "--graph", "--token-env", "GRAPH_TOKEN"], capsys)
    assert code == 2 and "--out" in err


async def test_the_connect_panel_pulls_join_the_cutover_app(
    server: GraphServer, tmp_path: Path
) -> None:
    from o365diag.widgets import CutoverApp
    from tests.test_tenant_widget import all_state

    app = CutoverApp(demo=True)
    panel = app.connect_panel(tmp_path / "store")
    assert panel.out.value == str(tmp_path / "store" / "signins") and panel.since.value == "30d"
    panel.tenant.value = "contoso.example"
    panel.how.value = "token-env"
    panel.credential.value = "GRAPH_TOKEN"
    panel.graph_url.value = server.url
    panel.cafile.value = str(server.cafile)
    await panel.pull()
    assert app.demo.value is False and app.task is not None
    await app.task
    assert app.assessment is not None
    panel.kind.value = "messageTrace"
    assert panel.out.value == str(tmp_path / "store" / "trace") and panel.since.value == "10d"
    await panel.pull()
    assert app.task is not None
    await app.task
    assert app.report is not None
    formats = sorted(r["format"] for r in app.report.data["inputs"]["read"])
    assert formats == ["graph-store", "signins-store"]
    assert "scanner@example.com" in app.result_html.value

    assert TOKEN not in all_state(app) + all_state(panel)


@pytest.mark.notebook
def test_notebook_06_assesses_a_store_folder(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_notebooks import execute, outputs_text

    store = tmp_path / "signins"
    assert run(graph_args("signins", server, store, "--since", "30d"), capsys)[0] == 0
    notebook = execute(
        "06-basic-auth-cutover.ipynb", {"DEMO": False, "PATHS": [str(store)], "AUTO_RUN": True}
    )
    text = outputs_text(notebook)
    assert "scanner@example.com: " in text and "finding codes" in text
    dumped = json.dumps(notebook, default=str)
    assert TOKEN not in dumped and "Connect to a tenant" in dumped
