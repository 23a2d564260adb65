"""What a newcomer sees: each notebook says how to start its app before anything runs, and in a
dashboard the power-user cells print nothing (their output would not follow the app)."""

from __future__ import annotations

import json

import nbformat
import pytest

from tests.conftest import NOTEBOOKS
from tests.test_notebooks import execute, outputs_text

APPS = sorted(NOTEBOOKS.glob("0[1-9]-*.ipynb"))


def _first_markdown(path: object) -> str:
    notebook = nbformat.read(path, as_version=4)
    return str(next(c.source for c in notebook.cells if c.cell_type == "markdown"))


@pytest.mark.parametrize("path", APPS, ids=lambda p: p.stem)
def test_every_app_notebook_says_how_to_start_it_at_the_top(path: object) -> None:
    assert "Run > Run All Cells" in _first_markdown(path)


def test_start_here_links_every_notebook_before_any_cell_runs() -> None:
    first = _first_markdown(NOTEBOOKS / "00-start-here.ipynb")
    assert "Run > Run All Cells" in first
    for path in APPS:
        assert f"]({path.name})" in first, path.name


@pytest.mark.notebook
def test_in_a_dashboard_the_trace_notebook_draws_each_chart_once_and_prints_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOILA_KERNEL_ID", "dashboard-under-test")  # what Voila sets
    notebook = execute("04-trace-volume.ipynb", {"AUTO_RUN": True})
    text = outputs_text(notebook)
    assert "rows:" not in text and "finding codes:" not in text
    dumped = json.dumps([c.get("outputs", []) for c in notebook.cells])
    assert "application/vnd.plotly.v1+json" not in dumped  # the app's own charts only
    assert "application/vnd.jupyter.widget-view+json" in dumped
