"""Reports inline the smallest plotly.js that draws their charts, never the full 4.8 MB library."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from o365diag.headers import analyze
from o365diag.plotly_bundle import plotly_js, trace_types
from o365diag.report import SharedReport
from o365diag.trace.analyze import analyze_trace
from o365diag.trace.load import load_traces
from o365diag.trace.report import analysis_html
from tests.conftest import SAMPLES
from tests.test_trace_support import make_trace, write

BANNER = re.compile(r"\* plotly\.js (\([a-z -]+\) )?v\d+\.\d+\.\d+")


def test_bar_charts_get_the_basic_bundle() -> None:
    figure = go.Figure(go.Bar(x=[1], y=["a"], orientation="h"))
    source = plotly_js([figure])
    assert "plotly.js (basic - minified) v4." in source[:300]
    assert len(source) < 1_300_000


def test_a_heatmap_gets_the_cartesian_bundle() -> None:
    figures = [go.Figure(go.Bar(x=[1], y=[2])), go.Figure(go.Heatmap(z=[[1, 2]]))]
    assert trace_types(figures) == {"bar", "heatmap"}
    assert "plotly.js (cartesian - minified) v4." in plotly_js(figures)[:300]


def test_a_trace_type_no_partial_bundle_has_gets_the_full_library() -> None:
    figure = go.Figure(go.Icicle(labels=["a", "b"], parents=["", "a"]))
    assert plotly_js([figure]) == get_plotlyjs()


def test_a_shared_report_with_a_chart_stays_small() -> None:
    page = SharedReport.build([analyze((SAMPLES / "11-slow-hop-smart-host.txt").read_bytes())])
    html = page.to_html()
    assert '<div id="chart-1"' in html
    assert [m.group(0) for m in BANNER.finditer(html)] == ["* plotly.js (basic - minified) v4.1.1"]
    assert len(html.encode()) < 1_400_000  # was 4.9 MB with the full library


def test_the_trace_page_inlines_one_cartesian_bundle(tmp_path: Path) -> None:
    analysis = analyze_trace(
        load_traces([write(make_trace(300, 3, seed=5), tmp_path, "messagetrace-v2")])
    )
    html = analysis.to_report().to_html(analysis_html(analysis))
    assert [m.group(1) for m in BANNER.finditer(html)] == ["(cartesian - minified) "]
    assert html.count("Plotly.newPlot(") == 5
    assert len(html.encode()) < 1_800_000  # was 5 MB with the full library
