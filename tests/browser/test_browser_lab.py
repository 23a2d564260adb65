"""JupyterLab: open the header analyzer notebook, run all cells, use the app."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import PageWatch, Server
from tests.browser.samples import SCANNER_VIA_GATEWAY

START_TIMEOUT = 90_000
NO_BUSY_PROMPT = (
    "() => ![...document.querySelectorAll('.jp-InputPrompt')]"
    ".some(p => p.textContent.includes('*'))"
)


def open_notebook(page: Any, lab: Server, path: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{path}?reset", timeout=START_TIMEOUT)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=START_TIMEOUT)
    page.evaluate("async () => { await jupyterapp.started; await jupyterapp.restored; }")
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for(timeout=START_TIMEOUT)


def run_all_cells(page: Any) -> None:
    # The menu, not jupyterapp.commands: the command needs a focused notebook to act on.
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator("li[data-command='runmenu:run-all']").click()


def test_header_analyzer_in_jupyterlab(page: Any, watch: PageWatch, lab_server: Server) -> None:
    open_notebook(page, lab_server, "notebooks/01-header-analyzer.ipynb")
    run_all_cells(page)
    paste = page.locator(".widget-textarea textarea").first
    paste.wait_for(state="visible", timeout=START_TIMEOUT)
    page.wait_for_function(NO_BUSY_PROMPT, timeout=START_TIMEOUT)

    paste.fill(SCANNER_VIA_GATEWAY)
    page.get_by_role("button", name="Analyze").click()
    compauth = page.locator(".cards .card", has_text="compauth").first
    compauth.get_by_text("fail 001").wait_for(timeout=30_000)
    # The chart of this header (not the sample's, drawn when the notebook ran).
    chart = page.locator(".js-plotly-plot", has_text="gw.example.net")
    chart.locator("svg.main-svg").first.wait_for(state="visible", timeout=30_000)
    assert watch.dialogs == []
