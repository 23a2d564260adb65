"""Off the demo path, in a real browser: live sessions against loopback servers typed into the
forms, a second input after a first, an error after a success, labels, Copy buttons, and what
the dashboard shows around the apps."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from o365diag.smtp.certs import LocalCA
from tests.browser.conftest import PageWatch, Server
from tests.browser.samples import SCANNER_VIA_GATEWAY
from tests.browser.test_browser_lab import (
    NO_BUSY_PROMPT,
    START_TIMEOUT,
    run_all_cells,
)
from tests.browser.test_browser_voila import RENDER_TIMEOUT, open_dashboard
from tests.dns_zones import DEVICE_IP, DOMAIN, OTHER_IP, ready_zone
from tests.dnsserver import DnsTestServer
from tests.smtp_support import plain_aiosmtpd

PASSWORD = "pw-for-tests"  # what tests.smtp_support's server accepts for user@example.com
# Visible text of every label, toggle button and HTML block in the page, for "is X shown?"
SHOWN_TEXT = """() => [...document.querySelectorAll(
    '.widget-html-content, .widget-label, .js-plotly-plot, .jp-OutputArea-output pre')]
    .filter(e => e.offsetParent !== null).map(e => e.innerText).join('\\n')"""
CUT_OFF = """() => [...document.querySelectorAll('.widget-label, .widget-toggle-button')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent)"""


class LoopbackSmtp:
    """tests.smtp_support's aiosmtpd server (STARTTLS, AUTH) on a loop in its own thread."""

    def __init__(self, folder: Path) -> None:
        self.ca = LocalCA("o365diag browser test CA")
        self.cafile = self.ca.write_ca(folder)
        self.folder = folder
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with plain_aiosmtpd(tls_folder=self.folder, ca=self.ca) as port:
            self.port = port
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> LoopbackSmtp:
        self._thread.start()
        assert self._ready.wait(10), "the SMTP server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackSmtp]:
    with LoopbackSmtp(tmp_path_factory.mktemp("smtp-tls")) as server:
        yield server


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer(ready_zone()) as server:
        yield server


def fill(page: Any, label: str, value: str) -> None:
    """Type into a form field as a user does, and leave it (fields that sync on change)."""
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def open_ran(page: Any, voila: Server, notebook: str, analyzed: str) -> None:
    """Open a dashboard and wait until its app has analyzed its samples on load."""
    open_dashboard(page, voila, notebook, ".jupyter-widgets")
    page.get_by_text(f"Analyzed: {analyzed}").wait_for(timeout=RENDER_TIMEOUT)


def shown_text(page: Any) -> str:
    return str(page.evaluate(SHOWN_TEXT))


def test_connection_test_live_session_against_a_loopback_server(
    page: Any, voila_server: Server, smtp_server: LoopbackSmtp
) -> None:
    open_dashboard(page, voila_server, "02-connection-test", "button:has-text('Run all')")
    page.locator(".widget-html-content", has_text="5.7.139").first.wait_for(timeout=60_000)
    page.get_by_label("Demo (built-in simulator)").uncheck()
    # Live mode shows its whole form (it hid it all), empty of the demo's addresses.
    host = page.get_by_label("Host:", exact=True)
    host.wait_for(state="visible")
    expect(page.get_by_label("Scenario:")).to_be_hidden()
    expect(page.get_by_label("From:", exact=True)).to_have_value("")
    # The demo's result went with the demo.
    expect(page.locator(".widget-html-content", has_text="5.7.139")).to_have_count(0)
    for label, value in (
        ("Host:", "localhost"),
        ("Port:", str(smtp_server.port)),
        ("Connect to:", "127.0.0.1"),
        ("From:", "device@example.com"),
        ("To:", "rcpt@example.com"),
        ("User:", "user@example.com"),
        ("Password:", PASSWORD),
        ("CA file:", str(smtp_server.cafile)),
    ):
        fill(page, label, value)
    page.get_by_role("button", name="Run all").click()
    page.get_by_text("Tested: localhost (submission)").wait_for(timeout=60_000)
    steps = page.locator(".o365diag-steps")
    passed = steps.locator("tr.step-ok td:first-child").all_inner_texts()
    assert {"starttls", "auth", "mail"} <= set(passed), passed
    assert any(name.startswith("rcpt") for name in passed), passed
    transcript = page.locator("pre", has_text="EHLO").first
    assert "235" in transcript.inner_text() and "<redacted>" in transcript.inner_text()
    assert PASSWORD not in page.content()
    expect(page.get_by_label("Password:", exact=True)).to_have_value("")
    # The transcript keeps a monospace font, and the steps table stays inside the page.
    font = transcript.evaluate("e => getComputedStyle(e).fontFamily").lower()
    assert "mono" in font or "consolas" in font or "courier" in font
    assert steps.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert steps.evaluate("e => e.getBoundingClientRect().right <= window.innerWidth")

    # A form change makes the result someone else's: it goes at once.
    page.locator(".widget-toggle-button", has_text="relay").first.click()
    steps.wait_for(state="detached", timeout=30_000)
    expect(page.get_by_text("Tested: localhost")).to_have_count(0)
    expect(page.locator(".widget-html-content", has_text="Diagnosis")).to_have_count(0)


def test_domain_check_live_against_a_loopback_dns_server(
    page: Any, voila_server: Server, dns_server: DnsTestServer
) -> None:
    open_dashboard(page, voila_server, "03-domain-check", "button:has-text('Check')")
    page.get_by_text("Checked: contoso.example").wait_for(timeout=RENDER_TIMEOUT)
    page.get_by_label("Demo (built-in example domain)").uncheck()
    page.get_by_label("Domain:", exact=True).wait_for(state="visible")
    expect(page.get_by_text("Domain check: contoso.example")).to_have_count(0)
    fill(page, "Domain:", DOMAIN)
    fill(page, "Device IPs:", f"{DEVICE_IP}, {OTHER_IP}")
    fill(page, "DNS server:", dns_server.address)
    page.get_by_label("Check blocklists").uncheck()
    page.get_by_role("button", name="Check").click()
    page.get_by_text(f"Checked: {DOMAIN}").wait_for(timeout=60_000)
    devices = page.locator(".widget-html-content", has_text="Device IPs (SPF check_host)")
    rows = devices.locator("tr").all_inner_texts()
    assert any(DEVICE_IP in r and "pass" in r for r in rows)
    assert any(OTHER_IP in r and "fail" in r for r in rows)
    # An error after the success: the message says so and nothing of the result stays.
    fill(page, "Domain:", "not a domain")
    page.get_by_role("button", name="Check").click()
    error = page.locator(".o365diag-error")
    error.wait_for(timeout=30_000)
    assert "failed" in error.inner_text()
    assert DEVICE_IP not in shown_text(page) and page.locator(".plot-container").count() == 0


def test_header_analyzer_second_input_and_error_leave_nothing_of_the_first(
    page: Any, voila_server: Server
) -> None:
    open_ran(page, voila_server, "01-header-analyzer", "02-direct-send-scanner-not-in-spf.txt")
    assert "MFP-3RDFLOOR" in shown_text(page)
    page.locator(".widget-textarea textarea").first.fill(SCANNER_VIA_GATEWAY)
    expect(page.get_by_label("Sample:")).to_have_value(
        "(choose a sample)"
    )  # no longer names the sample
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Analyzed: pasted text").wait_for(timeout=30_000)
    chart = page.locator(".js-plotly-plot", has_text="gw.example.net")
    chart.locator("svg.main-svg").first.wait_for(timeout=30_000)
    text = shown_text(page)
    assert "MFP-3RDFLOOR" not in text and "198.51.100.77" not in text
    assert page.locator(".plot-container").count() == 1

    page.locator(".widget-textarea textarea").first.fill("   ")
    page.get_by_role("button", name="Analyze").click()
    error = page.locator(".o365diag-error")
    error.wait_for(timeout=30_000)
    assert "failed" in error.inner_text() and "empty" in error.inner_text()
    text = shown_text(page)
    assert "gw.example.net" not in text and "compauth" not in text and "done" not in text
    assert page.locator(".plot-container").count() == 0


def test_copy_buttons_put_the_fix_and_the_markdown_on_the_clipboard(
    page: Any, voila_server: Server
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=voila_server.url)
    open_dashboard(page, voila_server, "01-header-analyzer", ".widget-textarea textarea")
    button = page.locator(".finding .fix button.o365diag-copy").first
    button.wait_for(timeout=RENDER_TIMEOUT)
    fix = button.get_attribute("data-copy")
    button.click()
    page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())
    assert page.evaluate("() => navigator.clipboard.readText()") == fix
    assert fix and fix in button.locator("xpath=..").inner_text()

    page.get_by_role("button", name="Export report").click()
    copy = page.get_by_role("button", name="Copy the Markdown summary")
    copy.click()
    markdown = page.evaluate("() => navigator.clipboard.readText()")
    assert markdown.startswith("# o365diag report")
    assert markdown == page.locator(".widget-textarea textarea").nth(1).input_value()


@pytest.mark.parametrize(
    "notebook",
    [
        "00-start-here",
        "01-header-analyzer",
        "02-connection-test",
        "03-domain-check",
        "04-trace-volume",
        "05-setup-assistant",
        "06-basic-auth-cutover",
    ],
)
def test_dashboard_shows_whole_labels_and_no_power_user_output(
    page: Any, voila_server: Server, notebook: str
) -> None:
    open_dashboard(page, voila_server, notebook, ".jupyter-widgets")
    page.locator(".o365diag-busy").first.wait_for(state="detached", timeout=RENDER_TIMEOUT)
    with contextlib.suppress(Exception):  # 05 keeps its optional questions folded: open them
        page.get_by_text("More details (optional)").click(timeout=2_000)
    assert page.evaluate(CUT_OFF) == []
    # The power-user cells print nothing in a dashboard (it would not follow the app).
    outputs = page.locator(".jp-OutputArea-output pre, .output_stdout").all_inner_texts()
    assert not [o for o in outputs if "finding codes" in o or "{" in o], outputs
    # No folder of this machine is shown (the README's screenshots come from these pages).
    assert "/tmp/" not in shown_text(page) + "".join(
        page.locator("textarea, input").evaluate_all("els => els.map(e => e.value)")
    )


def test_trace_dashboard_draws_each_chart_once_and_a_new_load_resets_the_sender(
    page: Any, voila_server: Server
) -> None:
    open_ran(page, voila_server, "04-trace-volume", "messagetrace-v2.csv, messagetrace-detail.csv")
    page.locator(".js-plotly-plot svg.main-svg").first.wait_for(timeout=30_000)
    titles = page.locator(".plot-container .gtitle").all_text_contents()
    assert titles and len(titles) == len(set(titles)), titles  # each chart once
    page.get_by_label("Sender:").select_option("scanner-3f@example.com")
    page.get_by_text("Filtering on scanner-3f@example.com: done.").wait_for(timeout=30_000)
    page.get_by_label("Sample:").select_option(label="eac-enhanced-summary.csv")
    expect(page.get_by_label("Sender:")).to_have_value("(all senders)")
    expect(page.locator(".plot-container")).to_have_count(0)  # the last trace's charts went
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Analyzed: eac-enhanced-summary.csv").wait_for(timeout=60_000)
    expect(page.get_by_label("Sender:")).to_have_value("(all senders)")


# WCAG 2.x contrast of every visible text in cards, findings, tables and errors against the
# background it is drawn on (translucent layers composed over the ones beneath); the charts'
# SVG text has colours of its own on the chart's own background, and is left out, as are the
# coloured dots of the domain check's traffic lights (a marker next to the state in words).
LOW_CONTRAST = """selector => {
    const rgba = s => { const p = s.match(/[\\d.]+/g).map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
    const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]))
        .concat([1]);
    const lum = c => { const f = v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
    const background = el => { const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
        let bg = [255, 255, 255, 1];
        for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
        return bg; };
    const ratio = el => { const bg = background(el);
        const fg = over(rgba(getComputedStyle(el).color), bg);
        const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
        return (hi + 0.05) / (lo + 0.05); };
    const texts = [...document.querySelectorAll(selector)].filter(e => e instanceof HTMLElement
        && e.offsetParent !== null
        && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
        && e.textContent.trim() !== '\u25cf');
    return { checked: texts.length, low: texts.map(e => [e.textContent.trim().slice(0, 50),
        Math.round(ratio(e) * 100) / 100]).filter(r => r[1] < 4.5) };
}"""
CHECKED = (
    ".cards .card *, .o365diag .finding, .o365diag .finding *, .o365diag td, .o365diag th, "
    ".o365diag pre, .o365diag h3, .o365diag-error, .o365diag-copy"
)
THEME = "() => jupyterapp.commands.execute('apputils:change-theme', {theme: '%s'})"


def open_in_lab(page: Any, lab: Server, path: str, workspace: str) -> None:
    """Open a notebook in a workspace of its own: JupyterLab moves a second tab on the default
    workspace to another one by a reload, which would cut the waits below short."""
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?reset", timeout=START_TIMEOUT)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=START_TIMEOUT)
    page.evaluate("async () => { await jupyterapp.started; await jupyterapp.restored; }")
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for(timeout=START_TIMEOUT)


def switch_theme(page: Any, theme: str, light: bool) -> None:
    page.evaluate(THEME % theme)
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === '{str(light).lower()}'", timeout=30_000
    )


def test_cards_and_findings_are_readable_in_the_dark_and_the_light_theme(
    page: Any, watch: PageWatch, lab_server: Server
) -> None:
    open_in_lab(page, lab_server, "notebooks/01-header-analyzer.ipynb", "dark-theme")
    switch_theme(page, "JupyterLab Dark", light=False)
    try:
        run_all_cells(page)
        page.locator(".cards .card", has_text="compauth").first.wait_for(timeout=START_TIMEOUT)
        page.wait_for_function(NO_BUSY_PROMPT, timeout=START_TIMEOUT)
        dark = page.evaluate(LOW_CONTRAST, CHECKED)
        assert dark["checked"] > 20 and dark["low"] == []
        page.locator(".widget-textarea textarea").first.fill("   ")
        page.get_by_role("button", name="Analyze").click()
        page.locator(".o365diag-error").wait_for(timeout=30_000)
        assert page.evaluate(LOW_CONTRAST, ".o365diag-error")["low"] == []
        switch_theme(page, "JupyterLab Light", light=True)
        page.get_by_role("button", name="Analyze").click()  # the error again, in light
        page.locator(".widget-textarea textarea").first.fill(SCANNER_VIA_GATEWAY)
        page.get_by_role("button", name="Analyze").click()
        page.locator(".cards .card", has_text="compauth").first.wait_for(timeout=30_000)
        light = page.evaluate(LOW_CONTRAST, CHECKED)
        assert light["checked"] > 20 and light["low"] == []
    finally:
        switch_theme(page, "JupyterLab Light", light=True)
    assert watch.dialogs == []


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_exported_report_is_readable_in_the_readers_theme(
    page: Any, tmp_path: Path, scheme: str
) -> None:
    from o365diag.headers.analysis import analyze
    from o365diag.report import SharedReport

    saved = tmp_path / "report.html"
    saved.write_text(SharedReport.build([analyze(SCANNER_VIA_GATEWAY)]).to_html(), "utf-8")
    page.emulate_media(color_scheme=scheme)
    page.goto(saved.as_uri())
    page.locator(".o365diag .finding").first.wait_for()
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(17, 17, 17)") == (scheme == "dark"), background
    body_text = "body *, .o365diag .finding, .o365diag .finding *, .o365diag td, .o365diag pre"
    result = page.evaluate(LOW_CONTRAST, body_text)
    assert result["checked"] > 20 and result["low"] == []


@pytest.mark.parametrize(
    ("notebook", "ready"),
    [
        ("01-header-analyzer", "Analyzed: 02-direct-send-scanner-not-in-spf.txt"),
        ("02-connection-test", "Tested: demo scenario auth-disabled (submission)"),
        ("03-domain-check", "Checked: contoso.example"),
        ("04-trace-volume", "Analyzed: messagetrace-v2.csv, messagetrace-detail.csv"),
        ("05-setup-assistant", "Verifying (demo): done."),
    ],
)
def test_dashboard_in_the_dark_theme_keeps_every_app_readable(
    page: Any, voila_server: Server, notebook: str, ready: str
) -> None:
    page.goto(
        f"{voila_server.url}/voila/render/{notebook}.ipynb?theme=dark", timeout=RENDER_TIMEOUT
    )
    page.get_by_text(ready).wait_for(timeout=RENDER_TIMEOUT)
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false"
    checked = f"{CHECKED}, .o365diag-steps td, .o365diag-card, .o365diag-card *, .widget-html *"
    result = page.evaluate(LOW_CONTRAST, checked)
    assert result["checked"] > 20 and result["low"] == []


def test_start_here_in_jupyterlab_shows_the_way_before_any_cell_runs(
    page: Any, lab_server: Server
) -> None:
    open_in_lab(page, lab_server, "notebooks/00-start-here.ipynb", "first-minute")
    first = page.locator(".jp-MarkdownOutput").first
    first.get_by_text("Run > Run All Cells").wait_for(timeout=START_TIMEOUT)
    links = first.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    names = [h.split("?")[0].rsplit("/", 1)[-1] for h in links]
    assert [n for n in names if n.endswith(".ipynb")] == [
        "01-header-analyzer.ipynb",
        "02-connection-test.ipynb",
        "03-domain-check.ipynb",
        "04-trace-volume.ipynb",
        "05-setup-assistant.ipynb",
        "06-basic-auth-cutover.ipynb",
    ]
    assert first.is_visible()
    first.locator("a", has_text="01 · Header analyzer").click()  # opens it in the lab
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text="01-header-analyzer").wait_for()
