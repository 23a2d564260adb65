"""notebooks/02-connection-test.ipynb runs headless in demo mode; the password typed into it
is used, then appears nowhere in the saved notebook (outputs or widget state)."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest

from tests.test_notebooks import execute, outputs_text

pytestmark = pytest.mark.notebook

NAME = "02-connection-test.ipynb"
SECRET = "N0tebook-Secret-" + "k" * 12


def test_demo_scenario_runs_and_shows_its_finding() -> None:
    notebook = execute(NAME, {"DEMO": True, "SCENARIO": "relay-attribution", "AUTO_RUN": True})
    text = outputs_text(notebook)
    assert "outcome: failed" in text
    assert "smtp.5.7.64" in text


def test_typed_password_is_used_and_never_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("O365DIAG_NOTEBOOK_SECRET", SECRET)  # the kernel inherits it
    notebook = nbformat.read(Path(__file__).parents[1] / "notebooks" / NAME, as_version=4)
    app_cell = next(i for i, c in enumerate(notebook.cells) if "ConnectionTestApp(" in c.source)
    notebook.cells.insert(
        app_cell + 1,
        nbformat.v4.new_code_cell(
            'import os\napp.password.value = os.environ["O365DIAG_NOTEBOOK_SECRET"]'
        ),
    )
    saved_input = tmp_path / "input.ipynb"
    nbformat.write(notebook, saved_input)
    executed = execute(saved_input, {"DEMO": True, "SCENARIO": "healthy", "AUTO_RUN": True})
    saved = tmp_path / "executed.ipynb"
    nbformat.write(executed, saved)
    text = saved.read_text(encoding="utf-8")
    assert "session.accepted" in text  # the simulator accepts exactly that password
    assert "widgets" in executed.metadata  # the widget state was saved, and scanned below
    for form in (
        SECRET,
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(b"\0scanner@example.com\0" + SECRET.encode()).decode(),
    ):
        assert form not in text
