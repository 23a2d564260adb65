"""The Basic-auth cutover notebook runs headless on the demo tenant (nbclient), and the app
assesses it, explains an error and fails clearly on bad input."""

from __future__ import annotations

import json

import pytest

from o365diag.cutover.demo import PLANTED
from tests.test_notebooks import execute, outputs_text

pytestmark = pytest.mark.notebook

NOTEBOOK = "06-basic-auth-cutover.ipynb"


def test_cutover_notebook_assesses_the_demo_tenant_and_draws_charts() -> None:
    notebook = execute(NOTEBOOK, {"DEMO": True, "AUTO_RUN": True})
    text = outputs_text(notebook)
    for identity, (status, path) in PLANTED.items():
        assert f"{identity}: {status} -> {path}" in text
    assert "days to cutover: 31" in text
    assert "cutover.suspected-compromise" in text
    dumped = json.dumps([c.get("outputs", []) for c in notebook.cells])
    assert dumped.count("application/vnd.plotly.v1+json") >= 3


def test_cutover_notebook_with_no_files_says_what_to_do() -> None:
    notebook = execute(NOTEBOOK, {"DEMO": False, "PATHS": [], "EXPLAIN": ""})
    text = outputs_text(notebook)
    assert "finding codes" not in text  # nothing assessed, nothing pretended


async def test_app_assesses_explains_and_reports_bad_files(tmp_path: object) -> None:
    from pathlib import Path

    from o365diag.widgets import CutoverApp

    app = CutoverApp(demo=True)
    await app.run()
    assert app.assessment is not None and app.report is not None
    assert "printer@contoso.example" in app.result_html.value
    assert app.export_reports() and app.export_reports()[0].schema == "o365diag.cutover/1"
    app.explain_text.value = "curl: (67) Login denied"
    app.explain()
    assert "curl" in app.explanation.value and app.explain_text.value == ""

    bad = Path(str(tmp_path)) / "notes.txt"
    bad.write_text("call the vendor\n", encoding="utf-8")
    app.demo.value = False
    app.paths.value = str(bad)
    await app.run()
    assert app.assessment is None and "notes.txt" in app.error.value
    assert app.result_html.value == ""
    app.paths.value = ""
    app.as_of.value = "30/11/2026"
    await app.run()
    assert "YYYY-MM-DD" in app.error.value
