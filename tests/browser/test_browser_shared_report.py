"""A shared report opens offline in a real browser, fast, and every chart in it draws.

The page carries the smallest plotly.js that draws its charts (o365diag.plotly_bundle), not the
full 4.8 MB library: the file stays small enough to attach to a ticket and opens in a second or
two. The Content-Security-Policy still lets only the page's own nonce'd scripts run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from o365diag.headers import analyze
from o365diag.report import SharedReport, report_from_dict
from o365diag.trace.analyze import analyze_trace
from o365diag.trace.load import load_traces
from tests.browser.conftest import PageWatch
from tests.conftest import SAMPLES
from tests.test_report import SMTP_RESULT
from tests.test_trace_support import make_trace, write

# The full plotly.js alone is 4.8 MB; the basic bundle that draws bar charts is 1.2 MB, and the
# three results with their data add about 0.3 MB.
MAX_PAGE_BYTES = 2_000_000


def _shared_page(tmp_path: Path) -> Path:
    headers = analyze((SAMPLES / "11-slow-hop-smart-host.txt").read_bytes())
    frame = make_trace(400, 4, seed=7)
    trace = analyze_trace(load_traces([write(frame, tmp_path, "messagetrace-v2")])).to_report()
    reports = [headers, report_from_dict(SMTP_RESULT), trace]
    path = tmp_path / "shared.html"
    path.write_text(SharedReport.build(reports).to_html(), encoding="utf-8")
    return path


def test_shared_report_is_small_and_draws_every_chart_offline(
    page: Any, watch: PageWatch, tmp_path: Path
) -> None:
    path = _shared_page(tmp_path)
    assert path.stat().st_size < MAX_PAGE_BYTES
    started = time.monotonic()
    page.goto(path.as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=30_000
    )
    opened = time.monotonic() - started
    drawn = page.eval_on_selector_all(".js-plotly-plot", "nodes => nodes.length")
    bars = page.eval_on_selector_all(".js-plotly-plot .bars path", "nodes => nodes.length")
    assert drawn == 3 and bars >= 5
    assert [url for url in watch.requests if not url.startswith("file://")] == []
    assert watch.errors == []  # no CSP violation, no script error
    assert opened < 15, f"the report took {opened:.1f} s to draw"
