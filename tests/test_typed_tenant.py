"""The tenant connector's typed results: every output the pulls, the check and the sign-in
report really write (against the loopback Graph server and real files) fits its data classes
key for key, and a saved JSON renders as the fresh result does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from o365diag.capabilities import result_from_dict
from o365diag.cli import main
from o365diag.cutover.demo import write_demo
from o365diag.result import Result
from o365diag.tenant.check import check_tenant
from o365diag.tenant.command import _failure
from o365diag.tenant.graph import GraphClient, GraphError, GraphSettings, ThrottleBudget
from o365diag.tenant.pull import TracePullRequest, pull_message_trace
from o365diag.tenant.result import PullResult, SigninsResult, TenantCheckResult
from o365diag.tenant.signin_report import signins_report
from o365diag.tenant.store import Store
from o365diag.trace.synth import synthesize
from o365diag.typed import dump, unnamed_keys
from tests.graph_server import GraphServer, graph_args, graph_records, synthetic_signins
from tests.test_cutover_policies import ca_policy, policies_args
from tests.test_tenant_loaders import SMTP_FAIL, SMTP_OK, portal_csv

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJ0aWQiOiJ0eXBlZC10ZW5hbnQifQ.typed-secret-token"
NOW = datetime.now(UTC)
CA_POLICIES = [ca_policy("Block legacy"), ca_policy("Block legacy, second")]


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    start = (NOW - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    return graph_records(synthesize(3_000, 2.5, start=start, seed=11))


@pytest.fixture
def server(
    tmp_path: Path, records: list[dict[str, Any]], request: pytest.FixtureRequest
) -> Iterator[GraphServer]:
    options: dict[str, Any] = getattr(request, "param", {})
    signins = synthetic_signins(NOW, 200)
    with GraphServer(tmp_path, records, signins=signins, tokens={TOKEN}, **options) as graph:
        yield graph


def cli_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    main(argv)
    out = capsys.readouterr().out
    assert TOKEN not in out
    saved: dict[str, Any] = json.loads(out)
    return saved


def assert_fits(result_type: type[Result], saved: dict[str, Any]) -> Result:
    """The saved JSON loads as ``result_type``, its model names every key and gives it back."""
    result = result_from_dict(saved)
    assert type(result) is result_type
    assert result.check_model() is None
    assert result_type.MODEL is not None
    assert unnamed_keys(result_type.MODEL, result.data) == []
    assert dump(result.typed(result_type.MODEL)) == result.data
    return result


def assert_saved_renders_the_same(fresh: Result) -> None:
    saved = result_from_dict(json.loads(fresh.to_json()))
    assert saved.to_text() == fresh.to_text()
    assert saved.section_html() == fresh.section_html()
    assert saved.section_html() == saved.body_html(), "the typed view, not the fallback"
    assert saved.safe_facts() == fresh.safe_facts()


# ---------------------------------------------------------------- pulls
def pull_args(server: GraphServer, out: Path, command: str = "trace", *extra: str) -> list[str]:
    options = ["--backoff-base", "0.05", "--backoff-cap", "0.2", "--since", "2d", "--no-progress"]
    return graph_args(command, server, out, *options, *extra)


def test_a_trace_pull_and_its_rerun_fit_the_model(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = cli_json(pull_args(server, tmp_path / "store"), capsys)
    again = cli_json(pull_args(server, tmp_path / "store"), capsys)
    for saved in (first, again):
        pulled = assert_fits(PullResult, saved)
        assert isinstance(pulled, PullResult) and pulled.model.complete
    assert first["rows_written"] > 0 and first["days"]["fetched"] > 0
    assert PullResult.from_dict(first).model.requests[0].status == 200


def test_a_signin_pull_fits_the_model(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = cli_json(pull_args(server, tmp_path / "signins", "signins"), capsys)
    pulled = assert_fits(PullResult, saved)
    assert isinstance(pulled, PullResult)
    assert pulled.model.asked.filters == {"client_app": "Authenticated SMTP"}
    assert pulled.model.rows_written > 0


@pytest.mark.parametrize(
    "server",
    [
        {"faults": {1: "429", 2: "drop", 3: "503"}},
        {"faults": {1: "malformed", 2: "malformed", 3: "malformed"}},
    ],
    indirect=True,
    ids=["retried", "malformed"],
)
def test_retries_and_a_stopped_pull_fit_the_model(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = cli_json(pull_args(server, tmp_path / "store"), capsys)
    pulled = assert_fits(PullResult, saved)
    assert isinstance(pulled, PullResult)
    statuses = {r.status for r in pulled.model.requests}
    assert statuses - {200} or pulled.model.complete is False


@pytest.mark.parametrize("server", [{"mode": "no-permission"}], indirect=True)
def test_a_refused_pull_fits_the_model(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulled = assert_fits(PullResult, cli_json(pull_args(server, tmp_path / "store"), capsys))
    assert isinstance(pulled, PullResult) and pulled.model.complete is False
    assert "tenant.permission-missing" in pulled.codes()


def test_a_fresh_pull_and_its_saved_json_render_the_same(
    server: GraphServer, tmp_path: Path
) -> None:
    client = GraphClient(
        GraphSettings(graph_url=server.url, cafile=str(server.cafile)),
        _Token(),
        ThrottleBudget(100, 1.0),
    )
    store = Store(tmp_path / "store", "contoso.example", "messageTrace", "all", {})
    request = TracePullRequest(NOW - timedelta(days=2), NOW, "contoso.example", details=2)
    fresh = pull_message_trace(client, store, request)
    assert fresh.model.store == str(store.root)
    assert fresh.model.windows and fresh.model.asked.details == 2
    assert "rows written in" in fresh.to_text() and str(store.root) in fresh.to_text()
    assert_fits(PullResult, json.loads(fresh.to_json()))
    assert_saved_renders_the_same(fresh)


class _Token:
    can_refresh = False

    def token(self, refresh: bool = False) -> str:
        return TOKEN


def test_a_pull_that_could_not_start_fits_the_model() -> None:
    failed = _failure(
        PullResult,
        GraphError("tenant.not-signed-in", "no token cache for this tenant"),
        {"kind": "signIns", "asked": {"since": "10d"}},
    )
    assert failed.data["complete"] is False and failed.data["asked"]["since"] == "10d"
    assert failed.data["rows_written"] == 0 and failed.data["days"] is None
    assert failed.title == "Sign-in pull"
    assert_fits(PullResult, json.loads(failed.to_json()))
    assert_saved_renders_the_same(failed)


def test_an_older_save_of_another_shape_falls_back_to_the_generic_view() -> None:
    odd = {"schema": "o365diag.pull/1", "asked": {"tenant": "contoso.example"}, "pages": "x"}
    result = result_from_dict(odd)
    assert "pages: expected int" in (result.check_model() or "")
    html = result.section_html()
    assert "Graph pull for contoso.example" in html and "<table>" in html
    assert result.safe_facts() == []


@pytest.mark.parametrize(
    "server",
    [{"ca_policies": CA_POLICIES}, {"mode": "no-ca-licence"}, {"mode": "no-policy-permission"}],
    indirect=True,
    ids=["read", "no-ca-licence", "no-permission"],
)
def test_a_policies_pull_fits_the_model(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulled = assert_fits(PullResult, cli_json(policies_args(server, tmp_path / "p"), capsys))
    assert isinstance(pulled, PullResult) and pulled.model.kind == "policies"
    assert pulled.model.policies is not None
    assert pulled.title == "Security defaults and Conditional Access for contoso.example"
    assert pulled.model.store == str(tmp_path / "p" / "graph-policies.json")


# ---------------------------------------------------------------- check
def check_args(server: GraphServer) -> list[str]:
    connection = ["--graph-url", server.url, "--cafile", str(server.cafile)]
    return ["tenant", "check", *connection, "--token-env", "GRAPH_TOKEN", "--json"]


@pytest.mark.parametrize(
    "server",
    [{}, {"mode": "no-sp"}, {"mode": "no-permission"}, {"mode": "no-licence"}],
    indirect=True,
    ids=["ready", "no-sp", "no-permission", "no-licence"],
)
def test_every_check_outcome_fits_the_model(
    server: GraphServer, capsys: pytest.CaptureFixture[str]
) -> None:
    checked = assert_fits(TenantCheckResult, cli_json(check_args(server), capsys))
    assert isinstance(checked, TenantCheckResult)
    assert checked.model.mode == "token" and checked.model.requests
    probes = {"service_principal", "message_trace", "sign_ins", "policies"}
    assert set(checked.model.checks) <= probes


def test_a_fresh_check_and_its_saved_json_render_the_same(server: GraphServer) -> None:
    client = GraphClient(
        GraphSettings(graph_url=server.url, cafile=str(server.cafile)),
        _Token(),
        ThrottleBudget(100, 1.0),
    )
    fresh = check_tenant(client, "contoso.example", "token")
    assert fresh.model.checks["sign_ins"] == "tenant.signins-readable"
    assert ("Signed in as", "token") in fresh.safe_facts()
    assert_fits(TenantCheckResult, json.loads(fresh.to_json()))
    assert_saved_renders_the_same(fresh)
    unreached = _failure(
        TenantCheckResult,
        GraphError("tenant.not-signed-in", "no token"),
        {"tenant": "contoso.example"},
    )
    assert unreached.data["complete"] is False
    assert_fits(TenantCheckResult, json.loads(unreached.to_json()))


# ---------------------------------------------------------------- sign-ins report
def test_the_sign_in_report_of_portal_files_fits_the_model(tmp_path: Path) -> None:
    demo = [p for p in write_demo(tmp_path / "demo") if "sign" in p.name.lower()]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(portal_csv([SMTP_OK, SMTP_FAIL, {**SMTP_OK, "Date (UTC)": "yesterday"}]))
    fresh = signins_report([*demo, bad])
    model = fresh.model
    assert model.bad_rows.count == 1 and model.bad_rows.examples[0].file == str(bad)
    assert model.smtp.users and model.period is not None
    assert {f.bad_rows for f in model.files} == {0, 1}
    assert_fits(SigninsResult, json.loads(fresh.to_json()))
    assert_saved_renders_the_same(fresh)


def test_the_sign_in_report_of_a_store_fits_the_model(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_json(pull_args(server, tmp_path / "signins", "signins"), capsys)
    saved = cli_json(["signins", str(tmp_path / "signins"), "--json"], capsys)
    report = assert_fits(SigninsResult, saved)
    assert isinstance(report, SigninsResult)
    assert [f.kind for f in report.model.files] == ["signins-store"]
    assert report.model.files[0].bad_rows == 0


def test_a_download_without_smtp_sign_ins_fits_the_model(tmp_path: Path) -> None:
    browser = tmp_path / "browser.csv"
    browser.write_bytes(portal_csv([{**SMTP_OK, "Client app": "Browser"}]))
    fresh = signins_report([browser])
    assert fresh.model.smtp.users == [] and fresh.model.smtp.sign_ins == 0
    assert "tenant.no-smtp-sign-ins" in fresh.codes()
    assert_fits(SigninsResult, json.loads(fresh.to_json()))
