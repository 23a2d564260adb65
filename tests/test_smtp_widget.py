"""ConnectionTestApp driven as a user would: pick, type, click, await the task, read the view."""

from __future__ import annotations

import asyncio
import json

import ipywidgets as widgets

from o365diag.smtp.simulator import DEMO_USER, Simulator
from o365diag.widgets.connection import ConnectionTestApp

SECRET = "W1dget-Secret-" + "q" * 10


async def _click(app: ConnectionTestApp, button: widgets.Button) -> None:
    button.click()
    assert app.task is not None
    await asyncio.wait_for(app.task, 10)


def _all_widget_state(widget: widgets.Widget) -> str:
    """The state of the app and every widget inside it, as a notebook would save it."""
    states, todo = [], [widget]
    while todo:
        current = todo.pop()
        states.append(current.get_state())
        todo.extend(getattr(current, "children", ()))
    return json.dumps(states, default=str)


async def test_step_by_step_in_demo_mode() -> None:
    app = ConnectionTestApp(demo=True, scenario="auth-disabled")
    sizes = []
    for _ in range(6):  # resolve, connect, banner, ehlo, starttls, ehlo-tls
        await _click(app, app.step_button)
        sizes.append(app.transcript_view.value.count("\n"))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # the transcript grows
    assert app.diagnosis.value == ""
    await _click(app, app.step_button)  # auth fails
    await _click(app, app.step_button)  # quit
    assert app.probe is not None and app.probe.done
    assert "smtp.5.7.139" in app.diagnosis.value
    assert "Set-CASMailbox" in app.diagnosis.value
    assert "step-failed" in app.steps_view.value
    assert app.simulator is None  # stopped once the session ended
    assert not app.step_button.disabled


async def test_run_all_then_reset() -> None:
    app = ConnectionTestApp(demo=True, scenario="healthy")
    app.send.value = True
    await _click(app, app.run_button)
    assert app.report is not None and app.report.data["outcome"] == "sent"
    assert "session.sent" in app.diagnosis.value
    await _click(app, app.reset_button)
    assert app.report is None and app.steps_view.value == ""


async def test_live_session_clears_the_password_and_never_shows_it() -> None:
    async with Simulator("healthy", password=SECRET) as sim:
        app = ConnectionTestApp(demo=False)
        app.host.value = sim.public_name
        app.port.value = sim.port
        app.mail_from.value = DEMO_USER
        app.rcpt_to.value = "colleague@example.com"
        app.user.value = DEMO_USER
        app.password.value = SECRET
        app.insecure.value = True  # the simulator's CA is not in the system store
        assert SECRET in _all_widget_state(app)  # the scan below would see it
        app.address.value = sim.host  # loopback, while TLS names the real host
        await _click(app, app.run_button)
    assert app.password.value == ""
    assert app.report is not None and app.report.data["outcome"] == "accepted-no-data"
    assert SECRET not in _all_widget_state(app)
    assert "&lt;redacted&gt;" in app.transcript_view.value


async def test_bad_form_input_is_an_error_not_a_traceback() -> None:
    app = ConnectionTestApp(demo=False)
    app.mail_from.value = "not an address"
    app.rcpt_to.value = "x@example.com"
    await _click(app, app.step_button)
    assert "not a mail address" in app.error.value
    assert app.probe is None


async def test_form_errors_use_the_form_labels_not_flags() -> None:
    app = ConnectionTestApp(demo=False)
    app.rcpt_to.value = "x@example.com"
    await _click(app, app.step_button)
    assert "From: &#x27;&#x27; is not a mail address" in app.error.value
    assert "--" not in app.error.value
    app.mail_from.value = "scanner@example.com"
    app.rcpt_to.value = "not-an-address"
    await _click(app, app.step_button)
    assert "To: &#x27;not-an-address&#x27; is not a mail address" in app.error.value


def test_demo_scenario_sets_profile_and_shows_its_addresses() -> None:
    from o365diag.smtp.simulator import EXTERNAL_RECIPIENT, INTERNAL_RECIPIENT, SCENARIOS

    app = ConnectionTestApp(demo=True, scenario="healthy")
    assert app.password.disabled and app.mail_from.disabled
    assert (app.profile.value, app.rcpt_to.value) == ("submission", INTERNAL_RECIPIENT)
    assert app.user.value == DEMO_USER and app.port.value == 587
    relay = next(
        s
        for s in SCENARIOS.values()
        if s.profile == "relay" and EXTERNAL_RECIPIENT in s.client.get("rcpt_to", ())
    )
    app.scenario.value = relay.name
    assert app.profile.value == "relay" and app.port.value == 25
    assert app.rcpt_to.value == EXTERNAL_RECIPIENT
    spoof = next(s for s in SCENARIOS.values() if "mail_from" in s.client)
    app.scenario.value = spoof.name
    assert app.mail_from.value == spoof.client["mail_from"]
    app.demo.value = False
    assert not app.password.disabled and not app.profile.disabled


async def test_shown_addresses_are_the_ones_the_session_uses() -> None:
    app = ConnectionTestApp(demo=True, scenario="send-as-denied")
    assert app.mail_from.value != DEMO_USER
    await _click(app, app.run_button)
    assert f"MAIL FROM:&lt;{app.mail_from.value}&gt;" in app.transcript_view.value
    app.scenario.value = "relay"
    await _click(app, app.reset_button)
    await _click(app, app.run_button)
    assert app.report is not None and app.report.data["target"]["profile"] == app.profile.value
    assert f"RCPT TO:&lt;{app.rcpt_to.value}&gt;" in app.transcript_view.value


async def test_steps_table_colours_rows_by_status() -> None:
    app = ConnectionTestApp(demo=True, scenario="auth-disabled")
    await _click(app, app.run_button)
    view = app.steps_view.value
    assert '<div class="o365diag-steps">' in view and 'class="step-failed"' in view
    assert ".o365diag-steps tr.step-failed td{" in view  # scoped: only this table
    assert ".o365diag-steps tr.step-ok td{" in view and ".o365diag-steps tr.step-skipped" in view
