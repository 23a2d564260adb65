"""Notebook 06 (CutoverApp) in a real browser: the demo tenant in Voila and in JupyterLab, then
off the demo path: files of a second tenant typed as paths, a bad upload after that success,
the dark theme, and the Connect panel under the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PageWatch, Server, screenshot
from tests.browser.test_browser_lab import NO_BUSY_PROMPT, START_TIMEOUT, run_all_cells
from tests.browser.test_browser_offdemo import (
    CHECKED,
    LOW_CONTRAST,
    open_in_lab,
    shown_text,
    switch_theme,
)
from tests.browser.test_browser_voila import RENDER_TIMEOUT, open_dashboard

NOTEBOOK = "06-basic-auth-cutover"
ASSESSED = "Assessed."
PATHS = "Or paths to the exported files on this machine, one per line"
# The demo's planted identities (o365diag.cutover.demo.PLANTED), as the table shows them.
DEMO_ROWS = {
    "printer@contoso.example": ("breaks-at-cutover", "relay-connector"),
    "invoices@contoso.example": ("safe", "none"),
    "oldscanner@contoso.example": ("unused-enabled", "turn-off"),
    "hr-notify@contoso.example": ("broken", "hve"),
}
# A second tenant: one copier on Basic over TLS 1.0 in an SMTP AUTH clients report.
SECOND_REPORT = (
    "Sender address,Domain,TLS 1.0 %,TLS 1.1 %,TLS 1.2 %,Messages sent,Authentication Protocol\r\n"
    "copier@fabrikam.example,fabrikam.example,100%,0%,0%,412,Basic\r\n"
    "webshop@fabrikam.example,fabrikam.example,0%,0%,100%,9031,OAuth\r\n"
)
RESULT_TEXT = """() => [...document.querySelectorAll('.o365diag table')]
    .filter(t => t.offsetParent !== null).map(t => t.innerText).join('\\n')"""


def identity_rows(page: Any) -> dict[str, list[str]]:
    """The identity table: identity (without its app id) -> its other cells. textContent, not
    innerText: JupyterLab skips laying out cells off screen, and innerText needs the layout."""
    table = page.locator(".o365diag table", has_text="smtp_auth_state").first
    # The status line can arrive before the result's HTML is drawn: wait for its rows.
    table.locator("tbody tr").first.wait_for(state="attached", timeout=60_000)
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    return {cells[0].split(" (app ")[0]: cells[1:] for cells in rows}


def chart_titles(page: Any) -> list[str]:
    page.locator(".js-plotly-plot svg.main-svg").first.wait_for(timeout=60_000)
    for plot in page.locator(".js-plotly-plot").all():
        plot.scroll_into_view_if_needed()
    return [t.strip() for t in page.locator(".plot-container .gtitle").all_text_contents()]


def open_06(page: Any, voila: Server, query: str = "") -> None:
    """Open notebook 06 in Voila and wait until the app has assessed the demo tenant."""
    if query:
        page.goto(f"{voila.url}/voila/render/{NOTEBOOK}.ipynb{query}", timeout=RENDER_TIMEOUT)
    else:
        open_dashboard(page, voila, NOTEBOOK, ".jupyter-widgets")
    page.get_by_text(ASSESSED, exact=True).wait_for(timeout=RENDER_TIMEOUT)


def test_cutover_demo_shows_the_table_the_plan_the_charts_and_the_connect_panel(
    page: Any, voila_server: Server
) -> None:
    open_06(page, voila_server)
    watch = PageWatch()
    watch.attach(page)
    rows = identity_rows(page)
    for identity, (status, path) in DEMO_ROWS.items():
        assert identity in rows, sorted(rows)
        assert status in rows[identity] and path in rows[identity], rows[identity]
    cards = page.locator(".cards .card", has_text="days to cutover").first
    assert "31" in cards.inner_text()  # 2026-11-30 to 2026-12-31
    plan = page.locator(".o365diag pre", has_text="canary:").first
    assert "Set-User" in plan.inner_text() and "rollback:" in plan.inner_text()
    titles = chart_titles(page)
    assert "Basic SMTP AUTH sign-ins per identity" in titles, titles
    assert "Burndown: identities still on Basic per week" in titles, titles  # demo snapshots
    assert any(t.startswith("TLS version mix") for t in titles), titles
    assert len(titles) == len(set(titles)), titles  # each chart once in the dashboard
    # The explain box ran on its sample, and the Connect panel is there, ready to sign in.
    explained = page.locator("pre", has_text="5.7.30").last
    assert "the Basic-auth cutover: yes" in explained.inner_text(), explained.inner_text()
    panel = page.get_by_text("Connect to a tenant")
    # Its cell runs after the app's; on a loaded machine Voila can take a while to get there.
    panel.wait_for(state="attached", timeout=2 * RENDER_TIMEOUT)
    panel.scroll_into_view_if_needed()
    expect(panel).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Pull:")).to_be_visible()
    assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
    screenshot(page, NOTEBOOK, top=page.get_by_label("Demo tenant (contoso.example)"))
    assert watch.dialogs == [] and watch.errors == []


def test_cutover_second_tenant_from_paths_then_a_bad_upload_clears_it(
    page: Any, voila_server: Server, tmp_path: Path
) -> None:
    report = tmp_path / "SMTPAuthClients_fabrikam.csv"
    report.write_text(SECOND_REPORT, encoding="utf-8")
    open_06(page, voila_server)
    assert "printer@contoso.example" in identity_rows(page)

    page.get_by_label("Demo tenant (contoso.example)").uncheck()
    # Unticking the demo makes the shown result someone else's: it goes at once.
    expect(page.locator(".o365diag table")).to_have_count(0)
    paths = page.get_by_placeholder(PATHS)
    paths.fill(str(report))
    paths.press("Tab")
    as_of = page.get_by_label("As of:")
    as_of.fill("2026-11-30")
    as_of.press("Tab")
    page.get_by_role("button", name="Assess").click()
    page.get_by_text(ASSESSED, exact=True).wait_for(timeout=60_000)
    page.locator(".o365diag table", has_text="copier@fabrikam.example").wait_for(timeout=60_000)
    rows = identity_rows(page)
    assert set(rows) == {"copier@fabrikam.example", "webshop@fabrikam.example"}, rows
    assert "basic" in rows["copier@fabrikam.example"]
    assert "legacy-tls" in rows["copier@fabrikam.example"]
    assert "safe" in rows["webshop@fabrikam.example"]
    text = page.evaluate(RESULT_TEXT)
    assert "contoso.example" not in text  # nothing of the demo tenant stays
    assert any(t.startswith("TLS version mix") for t in chart_titles(page))
    assert page.locator(".plot-container").count() == 1  # the report has no sign-ins to chart
    burndown = page.locator(".o365diag pre", has_text="one snapshot: no burndown")
    expect(burndown).to_have_count(1)  # said in words, not drawn as a line

    # A bad file after the success: the error names it and the copier's result is gone.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload").click()
    chooser.value.set_files(
        files=[{"name": "broken-export.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}]
    )
    page.get_by_role("button", name="Assess").click()
    error = page.locator(".o365diag-error")
    error.wait_for(timeout=60_000)
    assert "broken-export.csv" in error.inner_text(), error.inner_text()
    assert "copier@fabrikam.example" not in shown_text(page)
    expect(page.locator(".o365diag table")).to_have_count(0)
    expect(page.locator(".plot-container")).to_have_count(0)
    expect(page.get_by_text(ASSESSED, exact=True)).to_have_count(0)


def test_cutover_dashboard_in_the_dark_theme_is_readable(page: Any, voila_server: Server) -> None:
    open_06(page, voila_server, "?theme=dark")
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false"
    page.locator("details summary").first.click()  # one identity's steps, opened
    checked = f"{CHECKED}, .o365diag-card, .o365diag-card *, .widget-html *, .o365diag summary"
    result = page.evaluate(LOW_CONTRAST, checked)
    assert result["checked"] > 40 and result["low"] == [], result["low"]


def test_cutover_in_jupyterlab_dark_theme_runs_and_stays_readable(
    page: Any, watch: PageWatch, lab_server: Server
) -> None:
    open_in_lab(page, lab_server, f"notebooks/{NOTEBOOK}.ipynb", "cutover-dark")
    switch_theme(page, "JupyterLab Dark", light=False)
    try:
        run_all_cells(page)
        page.get_by_text(ASSESSED, exact=True).wait_for(timeout=START_TIMEOUT)
        page.wait_for_function(NO_BUSY_PROMPT, timeout=START_TIMEOUT)
        rows = identity_rows(page)
        assert "printer@contoso.example" in rows, rows
        assert rows["printer@contoso.example"][2] == "breaks-at-cutover", rows
        # The charts cell redraws them as plain outputs for a saved notebook's HTML export.
        titles = chart_titles(page)
        assert titles.count("Basic SMTP AUTH sign-ins per identity") == 2, titles
        expect(page.get_by_text("Connect to a tenant")).to_have_count(1)
        power = page.locator(".jp-OutputArea-output pre", has_text="days to cutover: 31")
        expect(power).to_have_count(1)
        result = page.evaluate(LOW_CONTRAST, CHECKED + ", .o365diag-card, .o365diag-card *")
        assert result["checked"] > 40 and result["low"] == [], result["low"]
    finally:
        switch_theme(page, "JupyterLab Light", light=True)
    assert watch.dialogs == []
