"""The apps off the demo path: live mode keeps its form, and what is on screen always belongs to
the input in the form (a new input or an error leaves nothing of the last result behind)."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest

from o365diag.findings import Finding, Severity, render_cards_html, render_findings_html
from o365diag.smtp.simulator import DEMO_USER, Simulator
from o365diag.widgets import (
    ConnectionTestApp,
    DomainCheckApp,
    HeaderAnalyzerApp,
    SetupAssistantApp,
    TraceExplorerApp,
)
from o365diag.widgets.start import StartHereApp
from tests.test_headers_cli import HEADERS
from tests.test_trace_support import at, iso, make_trace, spike, write
from tests.test_widgets_headers import HOPS, _uploaded_eml

SAMPLES = Path(__file__).parents[1] / "sample_headers"
SCANNER = "scanner-3f@example.com"


async def _done(app: Any) -> None:
    assert app.task is not None
    await asyncio.wait_for(app.task, 60)


def _shown(widget: widgets.Widget) -> bool:
    """Whether the widget and every box around it inside the app are displayed."""
    return widget.layout.display != "none"


# -- 1. live mode keeps its form ------------------------------------------------------------------
def test_unticking_demo_shows_every_field_of_the_connection_form() -> None:
    app = ConnectionTestApp(demo=True, scenario="auth-disabled")
    app.demo.value = False
    assert not _shown(app.scenario)
    fields = (app.host, app.port, app.mail_from, app.rcpt_to, app.user, app.password, app.token)
    assert all(_shown(field) and not field.disabled for field in fields)
    # The demo's addresses are not kept for a real session the user cannot see them in.
    assert (app.mail_from.value, app.rcpt_to.value, app.user.value) == ("", "", "")
    app.demo.value = True
    assert _shown(app.scenario) and _shown(app.host)


def test_unticking_demo_shows_every_field_of_the_domain_form() -> None:
    app = DomainCheckApp(demo=True)
    app.demo.value = False
    assert not _shown(app.scenario)
    assert all(_shown(f) for f in (app.domain, app.ips, app.selectors, app.nameserver))


def test_no_two_widgets_share_a_layout() -> None:
    """Hiding one widget through a shared Layout hides all the others (the live-mode bug)."""
    for app in (ConnectionTestApp(), DomainCheckApp(), SetupAssistantApp(), TraceExplorerApp()):
        seen: dict[str, widgets.Widget] = {}
        todo: list[widgets.Widget] = [app]
        while todo:
            widget = todo.pop()
            todo.extend(getattr(widget, "children", ()))
            layout = getattr(widget, "layout", None)
            if layout is None:
                continue
            other = seen.setdefault(layout.model_id, widget)
            assert other is widget, f"{type(app).__name__}: {other} and {widget} share a Layout"


# -- 3. stale results -----------------------------------------------------------------------------
async def test_header_upload_replaces_the_pasted_sample_and_names_the_input() -> None:
    app = HeaderAnalyzerApp(samples_dir=SAMPLES)
    sample = next(p for p in app.samples.options if p[1])[1]
    app.samples.value = sample
    await _done_after(app, app.run())
    assert app.report is not None and f"Analyzed: {Path(sample).name}" in app.status.value
    app.upload.value = _uploaded_eml()
    # The new file is the input now: no old text, no old sample, no old result.
    assert app.paste.value == "" and app.samples.value == ""
    assert app.cards.value == app.findings.value == "" and app.report is None
    await _done_after(app, app.run())
    assert "Analyzed: m.eml" in app.status.value
    assert "intra-org-spoof" in app.findings.value
    app.samples.value = sample
    app.paste.value += "X-Edited: by hand\n"
    assert app.samples.value == ""  # edited text is no longer the sample: do not name it
    await _done_after(app, app.run())
    assert "Analyzed: pasted text" in app.status.value


async def test_header_error_after_a_success_leaves_no_result_and_says_failed() -> None:
    app = HeaderAnalyzerApp()
    app.paste.value = HOPS + HEADERS
    await _done_after(app, app.run())
    assert "Analyzed: pasted text" in app.status.value and app.figure is not None
    app.paste.value = "\x00\x01 not headers"
    assert app.cards.value == ""  # an edit makes the result someone else's at once
    await _done_after(app, app.run())
    assert "failed" in app.error.value and "done" not in app.status.value
    assert app.cards.value == app.findings.value == app.tables.value == ""
    assert app.chart.outputs == () and app.report is None and app.figure is None


async def test_domain_error_after_a_success_leaves_no_result() -> None:
    app = DomainCheckApp(demo=True)
    await _done_after(app, app.run())
    assert app.readiness.value and "Checked: contoso.example" in app.status.value
    app.demo.value = False
    assert app.readiness.value == "" and app.report is None  # the form changed
    app.domain.value = "not a domain"
    await asyncio.gather(app.run(), return_exceptions=True)
    assert "failed" in app.error.value and "done" not in app.status.value
    assert app.readiness.value == app.findings.value == app.records.value == ""
    assert app.chart.outputs == ()


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    frame = make_trace(1500, 5, seed=7, injections=[spike(f"{SCANNER}@{iso(at(3, 2))}")])
    other = make_trace(800, 4, seed=8)
    return write(frame, first, "messagetrace-v2"), write(other, second, "eac-extended")


async def test_trace_sender_filter_does_not_survive_new_files(exports: tuple[Path, Path]) -> None:
    first, second = exports
    app = TraceExplorerApp()
    app.paths.value = str(first)
    await _done_after(app, app.run())
    app.sender.value = SCANNER
    await _done(app)
    assert app.analysis is not None and app.analysis.data.messages.height < 1500
    app.paths.value = str(second)
    await _done_after(app, app.run())
    assert app.sender.value == "" and SCANNER not in app.sender.options
    assert app.analysis is not None and app.analysis.data.format == "eac-extended"
    assert f"Analyzed: {second.name}" in app.status.value


async def test_trace_error_after_a_success_leaves_no_chart(
    exports: tuple[Path, Path], tmp_path: Path
) -> None:
    app = TraceExplorerApp()
    app.paths.value = str(exports[0])
    await _done_after(app, app.run())
    assert app.charts["volume"].outputs
    bad = tmp_path / "people.csv"
    bad.write_text("Name,Phone\nA,555\n", encoding="utf-8")
    app.paths.value = str(bad)
    await _done_after(app, app.run())
    assert "failed" in app.error.value and "done" not in app.status.value
    assert all(chart.outputs == () for chart in app.charts.values())
    assert app.cards.value == "" and app.report is None and app.sender.disabled


async def test_connection_profile_change_clears_the_other_profiles_result() -> None:
    async with Simulator("healthy") as sim:
        app = ConnectionTestApp(demo=False)
        app.host.value, app.address.value = sim.public_name, sim.host
        app.mail_from.value, app.rcpt_to.value = DEMO_USER, "colleague@example.com"
        app.port.value, app.insecure.value = sim.port, True
        app.stop_after.value = "ehlo-tls"
        await _done_after(app, app.run_all())
        assert app.report is not None and app.steps_view.value
        assert f"Tested: {sim.public_name} (submission)" in app.status.value
        first = app.probe
        app.profile.value = "relay"
        assert app.report is None and app.steps_view.value == app.diagnosis.value == ""
        assert app.transcript_view.value == "" and app.status.value == ""
        app.port.value = sim.port
        await _done_after(app, app.step())
    assert app.probe is not first and app.probe is not None
    assert app.probe.config.profile == "relay"


async def test_connection_form_error_after_a_success_leaves_no_result() -> None:
    app = ConnectionTestApp(demo=True, scenario="healthy")
    await _done_after(app, app.run_all())
    app.demo.value = False
    app.mail_from.value = "not an address"
    await _done_after(app, app.run_all())
    assert "is not a mail address" in app.error.value
    assert app.steps_view.value == app.diagnosis.value == app.transcript_view.value == ""
    assert app.report is None


def test_setup_error_after_a_plan_leaves_no_plan() -> None:
    app = SetupAssistantApp(demo=True)
    app.set_answers({"domain": "example.com", "sender": "scanner@example.com", "tls": True})
    app.set_answers({"auth": "none", "recipients": "internal", "static_ips": "203.0.113.25"})
    assert app.recommend() is not None and app.card.value
    app.fields["domain"].value = "not a domain"
    assert app.recommend() is None
    assert app.error.value and app.card.value == app.configuration.value == ""
    assert app.plan is None and app.report is None and app.verify_button.disabled


async def _done_after(app: Any, task: Any) -> None:
    await asyncio.wait_for(task, 60)


def _copied(html: str) -> list[str]:
    """What the Copy buttons in ``html`` put on the clipboard."""
    return [unescape(text) for text in re.findall(r'data-copy="([^"]*)"', html)]


# -- 2. theme colours -----------------------------------------------------------------------------
def test_findings_and_cards_take_their_colours_from_the_theme() -> None:
    finding = Finding("x", Severity.ERROR, "Title", "detail", "fix it", ("evidence",))
    html = render_findings_html([finding]) + render_cards_html([("SPF", "fail", "bad")])
    for light in ("#fafafa", "#f7f7f7", "#f3f3f3", "color:#555"):
        assert light not in html
    assert "background:var(--jp-layout-color2" in html
    assert "color:var(--jp-content-font-color1" in html


# -- 5. labels ------------------------------------------------------------------------------------
def test_every_choice_and_field_of_the_forms_is_labelled() -> None:
    for app in (ConnectionTestApp(), DomainCheckApp(), TraceExplorerApp()):
        todo: list[widgets.Widget] = [app]
        while todo:
            widget = todo.pop()
            todo.extend(getattr(widget, "children", ()))
            if isinstance(widget, widgets.Dropdown | widgets.Text | widgets.IntText):
                assert widget.description, f"{type(app).__name__}: {widget} has no label"


# -- 12. copy buttons -----------------------------------------------------------------------------
async def test_every_app_offers_copy_buttons_on_fixes_and_the_markdown_summary() -> None:
    headers = HeaderAnalyzerApp()
    headers.paste.value = HOPS + HEADERS
    await _done_after(headers, headers.run())
    assert 'class="o365diag-copy"' in headers.findings.value
    connection = ConnectionTestApp(demo=True, scenario="auth-disabled")
    await _done_after(connection, connection.run_all())
    assert any("Set-CASMailbox" in text for text in _copied(connection.diagnosis.value))
    domain = DomainCheckApp(demo=True)
    await _done_after(domain, domain.run())
    assert any("v=spf1 ip4:198.51.100.7" in text for text in _copied(domain.findings.value))
    setup = SetupAssistantApp(demo=True)
    setup.set_answers({"domain": "example.com", "sender": "scanner@example.com", "tls": True})
    setup.set_answers({"auth": "none", "recipients": "both", "static_ips": "203.0.113.25"})
    setup.recommend()
    await _done_after(setup, setup.verify())
    for view in (setup.configuration, setup.verify_view):
        fixes = view.value.count('<div class="fix">')
        assert fixes and view.value.count('<div class="fix"><em>Fix:</em>') == fixes
        assert view.value.count("o365diag-copy") >= fixes
    start = StartHereApp(symptom="domain")
    assert _copied(start.answer.value) == ["o365diag dns example.com --ip 203.0.113.10"]
    headers.export_bar.export()
    assert 'class="o365diag-copy"' in headers.export_bar.copy.value
    assert "Copy the Markdown summary" in headers.export_bar.copy.value
    headers.paste.value = ""
    assert headers.export_bar.copy.value == headers.export_bar.link.value == ""
