"""The cutover and explain results are typed: every output the assessment and ``explain`` really
write (the demo tenant on several dates, each input alone, bad rows, a yaml inventory, the CLI,
every known client wording) fits their data classes key for key, and a saved JSON renders as
the fresh result does."""

from __future__ import annotations

import json
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any, get_args

import pytest

from o365diag.capabilities import result_from_dict
from o365diag.cli import main
from o365diag.cutover.analyze import assess
from o365diag.cutover.demo import DEMO_AS_OF, demo_files, demo_snapshot_files
from o365diag.cutover.explain import explain
from o365diag.cutover.inputs import load_inputs
from o365diag.cutover.model import CutoverData, ExplainData, FileRead, InputName, ReportRead
from o365diag.cutover.result import CutoverResult, ExplainResult
from o365diag.cutover.snapshots import load_snapshots
from o365diag.findings import escape_html
from o365diag.result import Result
from o365diag.typed import dump, unnamed_keys
from tests.test_cutover import KINDS, only
from tests.test_explain import CASES

Files = list[tuple[str, bytes]]


@pytest.fixture(scope="module")
def files() -> Files:
    return demo_files()


def assert_fits(result: Result) -> Result:
    """The result's JSON, saved and loaded back, fits its model, which names every key and
    gives the same JSON back."""
    saved = result_from_dict(json.loads(result.to_json()))
    assert type(saved) is type(result) and saved.MODEL is not None
    assert saved.check_model() is None
    assert unnamed_keys(saved.MODEL, saved.data) == []
    assert dump(saved.typed(saved.MODEL)) == saved.data
    return saved


def assert_saved_renders_the_same(fresh: Result) -> None:
    saved = assert_fits(fresh)
    assert saved.to_text() == fresh.to_text()
    assert saved.section_html() == fresh.section_html() == fresh.body_html()
    assert saved.to_markdown() == fresh.to_markdown()
    assert saved.safe_facts() == fresh.safe_facts()
    assert len(saved.safe_figures()) == len(fresh.safe_figures())


@pytest.mark.parametrize(
    "as_of",
    [DEMO_AS_OF, date(2026, 9, 20), date(2027, 1, 15)],
    ids=["demo-day", "short-history", "after-cutover"],
)
def test_the_demo_tenant_on_any_day_fits_the_model(files: Files, as_of: date) -> None:
    fresh = assess(load_inputs(files), as_of=as_of).to_result()
    assert_saved_renders_the_same(fresh)
    model = fresh.model
    assert model.as_of == as_of.isoformat() and model.identities
    assert {type(r) for r in model.inputs.read} == {ReportRead, FileRead}


def test_the_typed_views_show_what_the_data_holds(files: Files) -> None:
    fresh = assess(load_inputs(files), as_of=DEMO_AS_OF).to_result()
    model = fresh.model
    printer = next(r for r in model.identities if r.identity == "printer@contoso.example")
    assert printer.device is not None and printer.device.kind == "printer"
    assert printer.path == "relay-connector" and "legacy-tls" in printer.risk
    assert model.plan.canary is not None
    assert f"canary: {model.plan.canary.identity} -> {model.plan.canary.path}" in fresh.to_text()
    assert escape_html(printer.steps[0].text) in fresh.body_html()
    assert ("Broken now", model.count("broken")) in fresh.facts()
    assert model.charts.basic_logins and model.charts.tls_mix and len(fresh.figures()) >= 2


def test_earlier_snapshots_and_their_burndown_fit_the_model(files: Files) -> None:
    earlier = load_snapshots(demo_snapshot_files())
    later = date(2027, 2, 1)
    fresh = assess(load_inputs(files), as_of=DEMO_AS_OF, snapshots=earlier).to_result()
    assert_saved_renders_the_same(fresh)
    burndown = fresh.model.burndown
    assert burndown is not None and burndown.note is None and len(burndown.weeks) >= 2
    assert [w.week for w in fresh.model.charts.burndown] == [w.week for w in burndown.weeks]
    assert len(fresh.figures()) == 3
    assert f"{burndown.weeks[0].iso_week} ({burndown.weeks[0].week}" in fresh.to_text()
    beyond = [*earlier, *load_snapshots([(f"SMTPAuthClients_{later}.csv", _report(files))])]
    left = assess(load_inputs(files), as_of=DEMO_AS_OF, snapshots=beyond).to_result()
    assert left.model.burndown is not None and left.model.burndown.left_out
    assert_saved_renders_the_same(left)


def _report(files: Files) -> bytes:
    return next(b for n, b in files if n.startswith("SMTPAuthClients"))


@pytest.mark.parametrize(
    "kinds",
    [pair for size in (1, 2) for pair in combinations(sorted(KINDS), size)],
    ids=lambda kinds: "+".join(kinds),
)
def test_every_input_alone_and_in_pairs_fits_the_model(files: Files, kinds: tuple[str]) -> None:
    fresh = assess(load_inputs(only(files, *kinds)), as_of=DEMO_AS_OF).to_result()
    assert_saved_renders_the_same(fresh)
    assert {m.input for m in fresh.model.inputs.missing} == set(get_args(InputName)) - set(kinds)


def test_bad_rows_and_a_yaml_inventory_fit_the_model(files: Files) -> None:
    signins = next(b for n, b in files if "SignIns" in n)
    broken = signins + b"\r\n" + b",".join([b"not a date"] + [b""] * 20) + b"\r\n"
    inventory = b"- identity: printer@contoso.example\n  kind: printer\n  oauth: no\n"
    chosen = [(n, b) for n, b in files if "SignIns" not in n and not n.endswith(".csv")]
    chosen += [("signins.csv", broken), ("devices.yaml", inventory)]
    fresh = assess(load_inputs(chosen), as_of=DEMO_AS_OF).to_result()
    model = fresh.model
    assert model.inputs.bad_rows["signins"].count >= 1
    assert model.inputs.bad_rows["signins"].examples[0].file == "signins.csv"
    assert any(r.kind == "inventory" and r.format == "yaml" for r in model.inputs.read)
    assert_saved_renders_the_same(fresh)


def test_the_cli_json_fits_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    main(["cutover", "--demo", "--json"])
    saved = result_from_dict(json.loads(capsys.readouterr().out))
    assert isinstance(saved, CutoverResult) and saved.check_model() is None
    assert unnamed_keys(CutoverData, saved.data) == []


def test_a_saved_file_renders_the_same_html_text_and_charts(files: Files, tmp_path: Path) -> None:
    fresh = assess(load_inputs(files), as_of=DEMO_AS_OF).to_result()
    path = tmp_path / "cutover.json"
    path.write_text(fresh.to_json(), encoding="utf-8")
    loaded = result_from_dict(json.loads(path.read_text(encoding="utf-8")))
    assert loaded.section_html() == fresh.section_html()
    assert loaded.to_text() == fresh.to_text()
    charts = [f.to_plotly_json() for f in fresh.figures()]
    assert [f.to_plotly_json() for f in loaded.figures()] == charts and len(charts) >= 2


def test_an_odd_save_falls_back_to_the_generic_view() -> None:
    odd: dict[str, Any] = {
        "schema": "o365diag.cutover/1",
        "as_of": "2026-11-30",
        "identities": [{"identity": "a@contoso.example", "status": "gone"}],
    }
    result = result_from_dict(odd)
    assert "status" in (result.check_model() or "") or "missing" in (result.check_model() or "")
    html = result.section_html()
    assert "a@contoso.example" in html and "Basic-auth cutover readiness" in html
    assert result.safe_facts() == [] and result.safe_figures() == []


# ---------------------------------------------------------------- explain
@pytest.mark.parametrize("text", [c[0] for c in CASES], ids=range(len(CASES)))
def test_every_known_wording_fits_the_explain_model(text: str) -> None:
    fresh = explain(text).to_result()
    assert fresh.recognised and fresh.model.sources
    assert_saved_renders_the_same(fresh)


def test_unrecognised_text_fits_the_explain_model() -> None:
    fresh = explain("the printer beeps three times and shows a red light").to_result()
    model = fresh.model
    assert isinstance(model, ExplainData) and not model.recognised and model.closest
    assert "closest:" in fresh.to_text()
    assert_saved_renders_the_same(fresh)


def test_the_cutover_reply_keeps_its_parts_in_the_typed_reply() -> None:
    fresh = explain("550 5.7.30 Basic authentication is not supported for Client Submission.")
    model = fresh.to_result().model
    assert model.reply is not None and (model.reply.code, model.reply.enhanced) == (550, "5.7.30")
    assert model.is_basic_auth_cutover == "yes"
    assert "reply: 550 5.7.30 Basic authentication" in fresh.to_text()


def test_the_explain_cli_json_fits_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    main(["explain", "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication", "--json"])
    saved = result_from_dict(json.loads(capsys.readouterr().out))
    assert isinstance(saved, ExplainResult) and saved.check_model() is None
    assert unnamed_keys(ExplainData, saved.data) == []
