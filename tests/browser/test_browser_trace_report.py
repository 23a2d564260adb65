"""The --html report of a trace draws all its charts in a real browser with no network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from o365diag.trace.analyze import analyze_trace
from o365diag.trace.load import load_traces
from o365diag.trace.report import analysis_html
from tests.test_trace_support import at, iso, make_trace, spike, write


def test_offline_report_renders_every_chart(page: Any, tmp_path: Path) -> None:
    frame = make_trace(
        3000, 10, seed=41, injections=[spike(f"scanner-3f@example.com@{iso(at(4, 2))}")]
    )
    analysis = analyze_trace(load_traces([write(frame, tmp_path, "messagetrace-v2")]))
    page_path = tmp_path / "trace.html"
    page_path.write_text(analysis.to_report().to_html(analysis_html(analysis)), encoding="utf-8")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_path.as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 10", timeout=30_000
    )
    drawn = page.eval_on_selector_all(".js-plotly-plot", "nodes => nodes.length")
    bars = page.eval_on_selector_all(".js-plotly-plot .bars path", "nodes => nodes.length")
    assert drawn == 5 and bars > 100
    assert [url for url in requested if not url.startswith("file://")] == []
