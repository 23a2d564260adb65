"""The message trace result is typed: every real output fits ``TraceResultData`` key for key,
and a saved result renders as the fresh one did."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from o365diag.capabilities import result_from_dict
from o365diag.report import SharedReport
from o365diag.result import generic_html
from o365diag.trace.analyze import analyze_trace
from o365diag.trace.load import load_traces
from o365diag.trace.model import TraceResultData
from o365diag.trace.result import TraceResult
from o365diag.trace.writers import EXPORT_FILES, write_exports
from o365diag.typed import dump, unnamed_keys
from o365diag.widgets import TraceExplorerApp
from tests.conftest import REPO
from tests.test_trace_support import make_trace, new_sender, spike

SAMPLES = sorted(
    p for p in (REPO / "notebooks" / "data").iterdir() if p.suffix in (".csv", ".json")
)
SCANNER = "scanner-3f@example.com"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every export format of one synthetic tenant with a spike and a newcomer."""
    folder = tmp_path_factory.mktemp("typed-trace")
    frame = make_trace(
        rows=2500,
        injections=[
            spike(f"{SCANNER}@2025-06-20T02:00"),
            new_sender("new@example.com@2025-06-23T02:00"),
        ],
    )
    paths = write_exports(frame, folder, list(EXPORT_FILES))
    return dict(zip(EXPORT_FILES, paths, strict=True))


def _result(*sources: Path | tuple[str, bytes], sender: str | None = None) -> TraceResult:
    data = load_traces(list(sources))
    return analyze_trace(data.filter_sender(sender) if sender else data).to_report()


def _assert_fits(result: TraceResult) -> None:
    assert result.check_model() is None
    assert unnamed_keys(TraceResultData, result.data) == []
    assert dump(result.model) == result.data


@pytest.mark.parametrize("export", list(EXPORT_FILES))
def test_every_export_format_gives_data_the_model_describes(
    exports: dict[str, Path], export: str
) -> None:
    _assert_fits(_result(exports[export]))


def test_the_samples_all_formats_at_once_and_odd_inputs_fit(exports: dict[str, Path]) -> None:
    assert len(SAMPLES) >= 5
    for sample in SAMPLES:
        _assert_fits(_result(sample))
    _assert_fits(_result(*exports.values()))  # daily totals set aside beside messages
    empty = _result(exports["messagetrace-v2"], sender="nobody@example.com")
    _assert_fits(empty)
    assert empty.model.new_senders is None and empty.model.time_range.start is None
    text = exports["messagetrace-v2"].read_text(encoding="utf-8").splitlines()
    bad = "\n".join([*text[:40], '"not a date","x@example.com","y@example.net"']) + "\n"
    with_bad_rows = _result(("bad.csv", bad.encode()))
    _assert_fits(with_bad_rows)
    assert with_bad_rows.model.bad_rows.examples[0].file == "bad.csv"


def test_the_typed_data_carries_what_the_analysis_found(exports: dict[str, Path]) -> None:
    model = _result(exports["messagetrace-v2"]).model
    found = next(a for a in model.anomalies if a.scope == "sender")
    assert (found.key, found.kind, found.start) == (SCANNER, "spike", "2025-06-20T02:00:00Z")
    assert model.new_senders and model.new_senders[0].key == "new@example.com"
    assert model.messages == sum(point.total for point in model.volume.series)
    assert model.top_senders[0].rows >= model.top_senders[-1].rows


def test_a_saved_result_renders_and_reads_as_the_fresh_one(exports: dict[str, Path]) -> None:
    fresh = _result(exports["messagetrace-v2"], exports["messagetrace-detail"])
    saved = result_from_dict(json.loads(fresh.to_json()), "trace.json")
    assert isinstance(saved, TraceResult)
    assert saved.section_html() == fresh.section_html()
    assert saved.to_text() == fresh.to_text()
    assert saved.safe_facts() == fresh.safe_facts()
    assert len(saved.safe_figures()) == 1
    section = saved.section_html()
    assert section != generic_html(saved)  # its own view, not the fallback
    for heading in ("Anomalies", "Top senders", "New senders", "Failure reasons"):
        assert f"<h4>{heading}" in section
    assert "2025-06-20 02:00" in section and SCANNER in saved.to_text()


def test_the_terminal_text_reads_the_typed_data(exports: dict[str, Path]) -> None:
    result = _result(exports["messagetrace-v2"])
    text = result.to_text()
    assert f"Rows: {result.model.rows:,}" in text
    assert f"Interval: {result.model.volume.interval}" in text
    assert "spike sender" in text and "observed" in text


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"anomalies": [{"start": "x"}]}, "anomalies[0]"),
        ({"rows": "many"}, ".rows"),
        ({"volume": {"interval": "1h", "series": [{"start": 1, "total": 2}]}}, "series[0].start"),
        ({"top_senders": [{"sender": "a@example.com", "rows": 1}]}, "top_senders[0]"),
    ],
)
def test_a_save_of_another_shape_falls_back_to_the_generic_view(
    exports: dict[str, Path], change: dict[str, object], where: str
) -> None:
    saved = json.loads(_result(exports["messagetrace-v2"]).to_json())
    odd = result_from_dict({**saved, **change}, "odd.json")
    assert where in (odd.check_model() or "")
    assert odd.section_html() == generic_html(odd)
    assert odd.to_text().startswith(odd.title)
    shared = SharedReport.build([odd], redact=True)
    assert shared.to_html().startswith("<!DOCTYPE html>")


async def test_the_app_shows_the_tables_a_saved_result_shows(exports: dict[str, Path]) -> None:
    app = TraceExplorerApp()
    app.paths.value = str(exports["messagetrace-v2"])
    app.analyze_button.click()
    assert app.task is not None
    await asyncio.wait_for(app.task, 60)
    assert isinstance(app.report, TraceResult)
    saved = result_from_dict(json.loads(app.report.to_json()), "trace.json")
    section = saved.section_html()
    assert app.tables.value and app.tables.value in section
    assert SCANNER in app.anomaly_table.value and app.anomaly_table.value in section
    assert [label for label, _ in app.sender.options][1] == app.report.model.top_senders[0].sender


def test_a_shared_report_lists_anomalies_and_senders_in_markdown(
    exports: dict[str, Path],
) -> None:
    result = _result(exports["messagetrace-v2"])
    markdown = SharedReport.build([result], redact=False).to_markdown()
    row = next(line for line in markdown.splitlines() if line.startswith("| spike | sender"))
    assert "2025-06-20 02:00" in row and SCANNER in row
    top = result.model.top_senders[0]
    assert f"| {top.sender} | {top.rows:,} |" in markdown
