"""Trace figures: built from aggregates, right numbers, safe labels, offline HTML, bounded size."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest

from o365diag.plots import (
    trace_figures,
    trace_heatmap_figure,
    trace_sender_figure,
    trace_top_figure,
    trace_volume_figure,
)
from o365diag.trace.analyze import TraceAnalysis, analyze_trace
from o365diag.trace.load import load_traces
from o365diag.trace.report import analysis_html
from tests.test_trace_support import at, iso, make_trace, spike, write

SCANNER = "scanner-3f@example.com"
MAX_FIGURE_BYTES = 2_000_000


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> TraceAnalysis:
    folder = tmp_path_factory.mktemp("plots")
    frame = make_trace(4000, 10, seed=21, injections=[spike(f"{SCANNER}@{iso(at(4, 2))}")])
    return analyze_trace(load_traces([write(frame, folder, "messagetrace-v2")]))


def test_volume_bars_add_up_and_anomalies_are_shaded(analysis: TraceAnalysis) -> None:
    figure = trace_volume_figure(analysis)
    assert figure.layout.barmode == "stack"
    total = sum(sum(trace.y) for trace in figure.data)
    assert total == analysis.data.messages.height
    assert {trace.name for trace in figure.data} == set(analysis.data.messages["status"])
    assert len(figure.layout.shapes) == analysis.anomalies.height == 3
    band = figure.layout.shapes[0]
    assert (band.x0, band.x1) == ("2025-06-20 02:00", "2025-06-20 03:00")


def test_sender_panels_put_the_anomalous_sender_first(analysis: TraceAnalysis) -> None:
    figure = trace_sender_figure(analysis)
    titles = [a.text for a in figure.layout.annotations]
    assert titles[0] == SCANNER and len(titles) == 9
    first = figure.data[0]
    by_time = dict(zip(first.x, first.y, strict=True))
    assert by_time["2025-06-20 02:00"] + by_time["2025-06-20 02:30"] >= 200
    assert len(figure.layout.shapes) == 1  # the scanner's own spike


def test_heatmap_cells_hold_every_row(analysis: TraceAnalysis) -> None:
    figure = trace_heatmap_figure(analysis)
    cells = figure.data[0].z
    assert len(cells) == 7 and all(len(row) == 24 for row in cells)
    assert sum(map(sum, cells)) == analysis.data.messages.height
    friday_2am = cells[4][2]
    assert friday_2am >= 200


def test_top_panels_split_delivered_and_not(analysis: TraceAnalysis) -> None:
    figure = trace_top_figure(analysis)
    senders = [t for t in figure.data if t.xaxis == "x"]
    delivered, failed = senders
    busiest = analysis.top_senders.row(0, named=True)
    assert delivered.y[-1] == busiest["sender"]
    assert delivered.x[-1] + failed.x[-1] == busiest["rows"]


def test_every_figure_serialises_small(analysis: TraceAnalysis) -> None:
    figures = trace_figures(analysis)
    assert set(figures) == {"volume", "senders", "heatmap", "status", "top"}
    sizes = {name: len(fig.to_json()) for name, fig in figures.items()}
    assert sum(sizes.values()) < 600_000, sizes


def test_offline_html_carries_plotly_js_once_and_the_charts(analysis: TraceAnalysis) -> None:
    page = analysis_html(analysis)
    assert page.count("Plotly.newPlot") == 5
    assert not re.search(r"<script[^>]*\bsrc=", page)  # nothing fetched: works offline
    assert len(re.findall(r"plotly\.js (?:\([a-z -]+\) )?v\d", page)) == 1  # inlined once
    assert SCANNER in page


def test_labels_from_the_trace_are_inert(tmp_path: Path) -> None:
    header = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\n'
    rows = "".join(
        f'"2025-06-20T0{n}:00:00Z","x<img src=1 onerror=alert(1)>@example.com",'
        f'"bob@example.net","Delivered","id{n}"\n'
        for n in range(5)
    )
    path = tmp_path / "evil.csv"
    path.write_text(header + rows, encoding="utf-8")
    analysis = analyze_trace(load_traces([path]))
    payload = json.dumps([json.loads(f.to_json()) for f in trace_figures(analysis).values()])
    assert "<img" not in payload and "&lt;img" in payload
    assert "<img src=1" not in analysis_html(analysis, figures=False)


def test_an_empty_trace_still_draws(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text('"Received","SenderAddress","RecipientAddress","Status"\n', encoding="utf-8")
    analysis = analyze_trace(load_traces([path]))
    figures = trace_figures(analysis)
    assert all(isinstance(f, go.Figure) for f in figures.values())
    assert "Plotly.newPlot" not in analysis_html(analysis)


# -- a million rows ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A 1,000,000-row Get-MessageTraceV2 export (plus an injected spike), written once."""
    folder = tmp_path_factory.mktemp("million")
    frame = make_trace(1_000_000, 30, seed=22, injections=[spike(f"{SCANNER}@{iso(at(9, 3))}")])
    return write(frame, folder, "messagetrace-v2"), frame.height


@pytest.mark.slow
def test_a_million_rows_give_figures_under_two_megabytes(million: tuple[Path, int]) -> None:
    path, rows = million
    assert rows > 1_000_000
    started = time.perf_counter()
    analysis = analyze_trace(load_traces([path]))
    figures = trace_figures(analysis)
    elapsed = time.perf_counter() - started
    sizes = {name: len(fig.to_json()) for name, fig in figures.items()}
    assert sum(sizes.values()) < MAX_FIGURE_BYTES, sizes
    assert analysis.data.messages.height == rows
    spikes = analysis.anomalies.filter(pl.col("scope") == "sender")
    assert spikes["key"].to_list() == [SCANNER]
    assert spikes["start"][0] == at(9, 3)
    html = analysis_html(analysis)
    assert len(html.encode()) < 1_600_000 + MAX_FIGURE_BYTES  # its plotly.js bundle is ~1.5 MB
    assert elapsed < 60, f"load + analysis + figures took {elapsed:.1f} s"
