"""notebooks/03-domain-check.ipynb runs headless in demo mode and shows its verdicts."""

from __future__ import annotations

import pytest

from tests.test_notebooks import execute, outputs_text

pytestmark = pytest.mark.notebook


def test_domain_check_notebook_runs_a_demo_scenario() -> None:
    notebook = execute("03-domain-check.ipynb", {"SCENARIO": "scanner-not-in-spf"})
    text = outputs_text(notebook)
    assert "check_host 198.51.100.7: fail" in text
    assert "spf.ip-fail" in text
    assert "Traceback" not in text
