"""Every notebook executes headless, in demo mode, with its parameters (nbclient)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import NOTEBOOKS

pytestmark = pytest.mark.notebook


def execute(
    name: str | Path, parameters: dict[str, Any] | None = None, store_widget_state: bool = True
) -> nbformat.NotebookNode:
    """Run a notebook the way papermill does: parameters injected after the 'parameters' cell.

    ``name`` is a notebook in notebooks/, or the path of one elsewhere (it runs in its folder).
    """
    path = name if isinstance(name, Path) else NOTEBOOKS / name
    notebook = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(notebook, parameters)
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        store_widget_state=store_widget_state,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def inject_parameters(notebook: nbformat.NotebookNode, parameters: dict[str, Any]) -> None:
    position = next(
        i
        for i, cell in enumerate(notebook.cells)
        if "parameters" in cell.get("metadata", {}).get("tags", [])
    )
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(position + 1, cell)


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_every_notebook_has_parameters_cell_and_a_paired_script() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        tags = [t for cell in notebook.cells for t in cell.get("metadata", {}).get("tags", [])]
        assert "parameters" in tags, path.name
        assert path.with_suffix(".py").is_file(), f"{path.name} has no paired .py"
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
            f"{path.name} has outputs committed"
        )


def test_start_here_points_to_the_header_analyzer() -> None:
    notebook = execute("00-start-here.ipynb", {"SYMPTOM": "junk"}, store_widget_state=True)
    state = json.dumps(notebook.metadata["widgets"])
    assert 'href=\\"01-header-analyzer.ipynb\\"' in state


def test_header_analyzer_notebook_analyzes_a_sample() -> None:
    notebook = execute(
        "01-header-analyzer.ipynb",
        {"SAMPLE": "02-direct-send-scanner-not-in-spf.txt", "AUTO_RUN": True},
    )
    text = outputs_text(notebook)
    assert "finding codes:" in text
    assert "intra-org-spoof" in text
    assert "hop chart: 3 bars" in text
