"""HTML report weight and open time in Chromium: the partial plotly.js bundle next to the full one.

Two pages, as users share them:
- a shared report (`o365diag report`) of a header analysis, an SMTP session and a message trace
  (three bar charts);
- the message-trace page (`o365diag trace --html`, five charts, one of them a heatmap).
Each is written twice: as o365diag writes it now (the smallest plotly.js bundle that draws its
charts) and with the full plotly.js that plotly.py ships in its place (how every report was
written before). Open time is from navigation until every chart has drawn its SVG, in headless
Chromium (/usr/bin/chromium, Playwright), a fresh tab each time: the first open in a fresh
browser context (no cache, as a recipient opens the file), then the median of ROUNDS opens.

Run: ``.venv/bin/python -m benchmarks reports`` or ``.venv/bin/python benchmarks/bench_reports.py
[--rounds N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plotly.offline import get_plotlyjs  # noqa: E402

from o365diag.headers import analyze  # noqa: E402
from o365diag.plotly_bundle import plotly_js, script_safe_js  # noqa: E402
from o365diag.plots import trace_figures  # noqa: E402
from o365diag.report import SharedReport, report_from_dict  # noqa: E402
from o365diag.trace.analyze import analyze_trace  # noqa: E402
from o365diag.trace.load import load_traces  # noqa: E402
from o365diag.trace.report import analysis_html  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.test_report import SMTP_RESULT  # noqa: E402
from tests.test_trace_support import make_trace, write  # noqa: E402

SAMPLE = REPO / "sample_headers" / "11-slow-hop-smart-host.txt"


def _pages(folder: Path) -> dict[str, tuple[str, int]]:
    """name -> (page html, number of charts), in the partial and the full variant."""
    trace_file = write(make_trace(3000, 10, seed=41), folder, "messagetrace-v2")
    analysis = analyze_trace(load_traces([trace_file]))
    shared_reports = [
        analyze(SAMPLE.read_bytes()),
        report_from_dict(SMTP_RESULT),
        analysis.to_report(),
    ]
    shared = SharedReport.build(shared_reports).to_html()
    shared_library = script_safe_js(plotly_js([]))
    trace_page = analysis.to_report().to_html(analysis_html(analysis))
    trace_library = script_safe_js(plotly_js(trace_figures(analysis).values()))
    full = script_safe_js(get_plotlyjs())
    return {
        "shared report, partial bundle": (shared, 3),
        "shared report, full plotly.js": (shared.replace(shared_library, full, 1), 3),
        "trace page, partial bundle": (trace_page, 5),
        "trace page, full plotly.js": (trace_page.replace(trace_library, full, 1), 5),
    }


def _open_seconds(context: Any, path: Path, charts: int) -> float:
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
            timeout=60_000,
        )
        return time.perf_counter() - started
    finally:
        page.close()


def measure(rounds: int) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        folder = Path(scratch)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        for index, (name, (html, charts)) in enumerate(_pages(folder).items()):
            path = folder / f"page-{index}.html"
            path.write_text(html, encoding="utf-8")
            # First open in a fresh context (no cache), as a recipient opens the file.
            context = browser.new_context()
            first = _open_seconds(context, path, charts)
            times = [_open_seconds(context, path, charts) for _ in range(rounds)]
            context.close()
            results[name] = {
                "bytes": path.stat().st_size,
                "first_open_s": round(first, 3),
                "open_median_s": round(statistics.median(times), 3),
                "open_min_s": round(min(times), 3),
            }
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.rounds)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'page':<32} {'size':>9} {'first open':>11} {'open (median)':>14} {'open (min)':>11}")
    for name, row in results.items():
        print(
            f"{name:<32} {row['bytes'] / 1e6:>7.2f} MB {row['first_open_s']:>9.2f} s "
            f"{row['open_median_s']:>12.2f} s {row['open_min_s']:>9.2f} s"
        )


if __name__ == "__main__":
    main()
