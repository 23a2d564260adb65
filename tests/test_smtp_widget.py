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
