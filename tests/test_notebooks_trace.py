"""The message-trace notebook runs headless on its samples and with a sender filter (nbclient)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import NOTEBOOKS
from tests.test_notebooks import execute, outputs_text

pytestmark = pytest.mark.notebook

NOTEBOOK = "04-trace-volume.ipynb"
SCANNER = "scanner-3f@example.com"


def test_samples_ship_beside_the_notebook() -> None:
    shipped = {p.name for p in (NOTEBOOKS / "data").iterdir()}
    assert {"messagetrace-v2.csv", "messagetrace-detail.csv"} <= shipped
    assert sum(p.stat().st_size for p in (NOTEBOOKS / "data").iterdir()) < 1_500_000


def test_trace_notebook_finds_the_sample_spike_and_draws_offline_charts() -> None:
    notebook = execute(NOTEBOOK, {"AUTO_RUN": True, "INTERVAL": "1h"})
    text = outputs_text(notebook)
    assert "finding codes:" in text and "trace.sender-spike" in text
    assert SCANNER in text and "trace.failure-reason" in text
    dumped = json.dumps([c.get("outputs", []) for c in notebook.cells])
    assert dumped.count("application/vnd.plotly.v1+json") >= 5
    assert "text/html" in dumped  # the notebook renderer: charts survive an HTML export


def test_trace_notebook_filters_on_one_sender() -> None:
    from o365diag.trace.load import load_traces

    sample = load_traces([NOTEBOOKS / "data" / "messagetrace-v2.csv"]).messages
    scanner_rows = sample.filter(sample["sender"] == SCANNER).height
    assert 0 < scanner_rows < sample.height
    notebook = execute(NOTEBOOK, {"SENDER": SCANNER, "SAMPLES": ["messagetrace-v2.csv"]})
    text = outputs_text(notebook)
    assert f"rows: {scanner_rows} format: messagetrace-v2" in text
    assert "trace.sender-spike" in text and "erp@example.com" not in text
