"""TraceExplorerApp driven as a user would: pick, upload or type, click, filter, export."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from o365diag.widgets import TraceExplorerApp
from tests.test_trace_support import at, iso, make_trace, spike, write

SCANNER = "scanner-3f@example.com"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    frame = make_trace(2500, 10, seed=31, injections=[spike(f"{SCANNER}@{iso(at(4, 2))}")])
    for export in ("messagetrace-v2", "messagetrace-detail", "eac-extended"):
        write(frame, folder, export)
    (folder / "notes.md").write_text("not an export", encoding="utf-8")
    return folder


def _uploaded(path: Path, name: str) -> tuple[dict[str, object], ...]:
    """What FileUpload holds after a user picks ``path`` (under another name)."""
    content = path.read_bytes()
    return (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.now(UTC),
        },
    )


async def _finish(app: TraceExplorerApp) -> None:
    assert app.task is not None
    await asyncio.wait_for(app.task, 60)


async def _click(app: TraceExplorerApp) -> None:
    app.analyze_button.click()
    await _finish(app)


async def test_pick_a_sample_and_see_cards_findings_charts_and_anomalies(samples: Path) -> None:
    app = TraceExplorerApp(samples_dir=samples)
    labels = [label for label, _ in app.samples.options]
    assert labels == [
        "(choose a sample)",
        "eac-extended.csv",
        "messagetrace-detail.csv",
        "messagetrace-v2.csv",
    ]
    app.samples.value = str(samples / "messagetrace-v2.csv")
    await _click(app)
    assert app.error.value == ""
    assert "Anomalies" in app.cards.value and "2,700" in app.cards.value
    assert "trace.sender-spike" in app.findings.value
    assert SCANNER in app.anomaly_table.value and "spike" in app.anomaly_table.value
    for name, output in app.charts.items():
        (shown,) = output.outputs
        assert "application/vnd.plotly.v1+json" in shown["data"], name
    assert set(app.figures) == set(app.charts)
    assert "Top senders" in app.tables.value
    assert not app.sender.disabled and SCANNER in [v for _, v in app.sender.options]


async def test_sender_filter_reanalyses_one_sender_and_back(samples: Path) -> None:
    app = TraceExplorerApp(samples_dir=samples)
    app.samples.value = str(samples / "messagetrace-v2.csv")
    await _click(app)
    everyone = app.analysis
    assert everyone is not None and everyone.top_senders.height > 1
    app.sender.value = SCANNER
    await _finish(app)
    assert app.analysis is not None
    assert app.analysis.top_senders["sender"].to_list() == [SCANNER]
    assert SCANNER in app.report.to_text() if app.report else False
    options_while_filtered = list(app.sender.options)
    app.sender.value = ""
    await _finish(app)
    assert app.analysis.top_senders.height == everyone.top_senders.height
    assert list(app.sender.options) == options_while_filtered


async def test_typed_paths_load_several_files_with_detail_reasons(samples: Path) -> None:
    app = TraceExplorerApp()
    app.paths.value = (
        f"{samples / 'messagetrace-v2.csv'}\n\n{samples / 'messagetrace-detail.csv'}\n"
    )
    app.interval.value = "1h"
    await _click(app)
    assert app.analysis is not None and app.analysis.interval == 3600
    assert "5.1.10" in app.tables.value
    assert "trace.failure-reason" in app.findings.value


async def test_upload_wins_and_handles_utf16_without_bom(samples: Path) -> None:
    app = TraceExplorerApp(samples_dir=samples)
    app.samples.value = str(samples / "messagetrace-v2.csv")
    app.upload.value = _uploaded(samples / "eac-extended.csv", "extended.csv")
    await _click(app)
    assert app.data is not None and app.data.format == "eac-extended"
    assert app.data.files[0].encoding == "utf-16-le (no BOM)"


async def test_errors_show_in_the_app_not_as_a_traceback(samples: Path, tmp_path: Path) -> None:
    app = TraceExplorerApp()
    await _click(app)
    assert "Choose a sample" in app.error.value and app.analysis is None
    other = tmp_path / "people.csv"
    other.write_text("<b>Alice</b>,Phone\nA,555\n", encoding="utf-8")
    app.paths.value = str(other)
    await _click(app)
    assert "not a message-trace export" in app.error.value
    assert "<b>Alice</b>" not in app.error.value and "&lt;b&gt;Alice" in app.error.value
    assert app.cancel_button.disabled


async def test_export_bar_saves_the_trace_report(samples: Path) -> None:
    app = TraceExplorerApp(samples_dir=samples)
    app.samples.value = str(samples / "messagetrace-v2.csv")
    await _click(app)
    shared = app.export_bar.export()
    assert shared is not None
    page = shared.to_html()
    assert "Message trace" in page and "trace.sender-spike" in page


async def test_upload_is_emptied_once_read_and_the_result_stays(samples: Path) -> None:
    app = TraceExplorerApp()
    app.upload.value = _uploaded(samples / "messagetrace-v2.csv", "v2.csv")
    await _click(app)
    assert app.upload.value == ()
    assert SCANNER not in str(app.upload.get_state())
    assert "trace.sender-spike" in app.findings.value and app.data is not None


async def test_picking_a_sample_replaces_typed_paths(samples: Path, tmp_path: Path) -> None:
    app = TraceExplorerApp(samples_dir=samples)
    app.paths.value = str(tmp_path / "gone.csv")  # e.g. pre-filled by the notebook
    app.samples.value = str(samples / "eac-extended.csv")
    assert app.paths.value == str(samples / "eac-extended.csv")
    await _click(app)
    assert app.error.value == ""
    assert app.data is not None and app.data.format == "eac-extended"
