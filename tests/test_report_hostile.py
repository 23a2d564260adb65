"""Hostile saved results given to ``o365diag report``: nesting 250 deep, a lone surrogate, hop
delays of 1e308 (and the non-finite numbers Python's JSON reads). One clear error or a report in
valid UTF-8, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from o365diag.cli import main
from o365diag.headers.analysis import analyze
from o365diag.report import ReportInputError, SharedReport, load_input
from tests.conftest import SAMPLES

SAMPLE = sorted(SAMPLES.glob("*.txt"))[0]


def saved_headers_result() -> dict[str, object]:
    return json.loads(analyze(SAMPLE.read_bytes(), name=SAMPLE.name).to_json())  # type: ignore[no-any-return]


def render_everything(tmp_path: Path, saved: str, *, redact: bool) -> tuple[str, str]:
    source = tmp_path / "saved.json"
    source.write_text(saved, encoding="utf-8")
    out, markdown = tmp_path / "report.html", tmp_path / "report.md"
    argv = ["report", str(source), "-o", str(out), "--markdown", str(markdown)]
    assert main([*argv, "--redact"] if redact else argv) == 0
    return out.read_bytes().decode("utf-8"), markdown.read_bytes().decode("utf-8")


def test_results_nested_250_deep_are_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = saved_headers_result()
    nested: object = "leaf"
    for _ in range(250):
        nested = {"results": [nested]}
    saved["extra"] = nested
    with pytest.raises(ReportInputError, match="nested more than"):
        load_input(json.dumps(saved).encode(), "deep.json")
    source = tmp_path / "deep.json"
    source.write_text(json.dumps(saved), encoding="utf-8")
    assert main(["report", str(source), "-o", str(tmp_path / "r.html"), "--redact"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nested" in err


@pytest.mark.parametrize("redact", [False, True])
def test_a_lone_surrogate_gives_valid_utf8(tmp_path: Path, redact: bool) -> None:
    saved = saved_headers_result()
    saved["summary"] = {**saved["summary"], "subject": "MARKER"}  # type: ignore[dict-item]
    text = json.dumps(saved).replace("MARKER", "Scan \\ud800 from the copier")
    page, markdown = render_everything(tmp_path, text, redact=redact)
    assert "Scan \ufffd from the copier" in page + markdown


@pytest.mark.parametrize("delay", ["1e308", "-1e308", "Infinity", "NaN"])
def test_absurd_hop_delays_render(tmp_path: Path, delay: str) -> None:
    saved = saved_headers_result()
    hops = saved["hops"]
    assert isinstance(hops, list) and hops
    for hop in hops:
        hop["delay_seconds"] = "DELAY"
    saved["total_transit_seconds"] = "DELAY"
    text = json.dumps(saved).replace('"DELAY"', delay)
    page, _markdown = render_everything(tmp_path, text, redact=False)
    assert "<html" in page


def test_a_shared_report_of_absurd_values_is_built_in_python() -> None:
    saved = saved_headers_result()
    saved["total_transit_seconds"] = 1e308
    results, _notes = load_input(json.dumps(saved).encode(), "big.json")
    shared = SharedReport.build(results, redact=True)
    assert shared.to_html() and shared.to_markdown()
