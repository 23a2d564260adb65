"""ConnectionTestApp: step through a live SMTP session (or the built-in simulator) in a notebook.

Each click runs one step as a task on the kernel's loop (the kernel never blocks); the steps
table and transcript grow as the session goes, and the diagnosis appears under the failing
step. The password box is emptied as soon as a session starts, so it is never saved with the
notebook's widget state.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as widgets

from o365diag.findings import render_findings_html
from o365diag.smtp.config import PROFILES, ConfigError, ProbeConfig, Secret
from o365diag.smtp.model import STOP_POINTS
from o365diag.smtp.probe import Probe
from o365diag.smtp.render import steps_html, transcript_html
from o365diag.smtp.result import SmtpResult
from o365diag.smtp.simulator import DEMO_USER, INTERNAL_RECIPIENT, SCENARIOS, Simulator
from o365diag.widgets._base import AppBase, demo_switch, escape

__all__ = ["ConnectionTestApp", "config_error_text"]

_WIDTH = "30em"
_LABELS = {"description_width": "7em"}
_DEFAULT_PORTS = {"submission": 587, "direct-send": 25, "relay": 25}
# The form's label of each setting an error can name (``O365DiagError.field``).
FIELD_LABELS = {
    "mail_from": "From",
    "rcpt_to": "To",
    "connect_address": "Connect to",
    "stop_after": "Stop after",
    "send": "Send a test message",
    "host": "Host",
    "port": "Port",
    "username": "User",
    "password": "Password",
    "auth_mechanism": "AUTH",
    "tls_mode": "TLS",
    "timeout": "Timeout",
}
# Steps table rows tinted by status, scoped to this app's table. Tints over the theme's own
# background keep its text colour readable in a light and a dark theme; a long reply wraps
# inside the table instead of widening it past the page.
_STEPS_STYLE = (
    "<style>"
    ".o365diag-steps{max-width:100%;overflow-x:auto}"
    ".o365diag-steps table{table-layout:auto;width:100%}"
    ".o365diag-steps td{white-space:nowrap}"
    ".o365diag-steps td:last-child{white-space:normal;overflow-wrap:anywhere}"
    ".o365diag-steps tr.step-ok td{background:rgba(46,125,50,.14)}"
    ".o365diag-steps tr.step-failed td{background:rgba(198,40,40,.18);font-weight:600}"
    ".o365diag-steps tr.step-skipped td{background:rgba(128,128,128,.12);font-style:italic}"
    "</style>"
)


def config_error_text(exc: ConfigError) -> str:
    """The error as the form words it: each setting under its label."""
    return exc.describe(FIELD_LABELS.get)


class ConnectionTestApp(AppBase):
    """Profile picker, form, Step / Run all / Reset, live transcript and diagnosis."""

    def __init__(self, demo: bool = True, scenario: str = "healthy", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe: Probe | None = None
        self.simulator: Simulator | None = None
        self.report: SmtpResult | None = None
        self._build_form(demo, scenario)
        self.step_button = widgets.Button(description="Step", icon="step-forward")
        self.run_button = widgets.Button(description="Run all", button_style="primary", icon="play")
        self.reset_button = widgets.Button(description="Reset", icon="undo")
        self.step_button.on_click(lambda _b: self.step())
        self.run_button.on_click(lambda _b: self.run_all())
        self.reset_button.on_click(lambda _b: self.reset())
        self.steps_view = widgets.HTML()
        self.diagnosis = widgets.HTML()
        self.transcript_view = widgets.HTML()
        self.views = (self.steps_view, self.diagnosis, self.transcript_view)
        self._stale = False
        self.children = [
            widgets.HBox([self.demo, self.scenario]),
            self.profile,
            self.form,
            widgets.HBox([self.step_button, self.run_button, self.reset_button]),
            self.status_bar,
            self.error,
            self.steps_view,
            self.diagnosis,
            widgets.HTML("<b>Transcript</b> (credentials are redacted)"),
            self.transcript_view,
            self.make_export_bar("connection-test"),
        ]
        self._sync_demo()
        self._watch_form()

    # ------------------------------------------------------------------ the form
    def _build_form(self, demo: bool, scenario: str) -> None:
        text = _text_field
        self.demo, self.scenario = demo_switch(
            "built-in simulator", SCENARIOS.values(), scenario, demo
        )
        self.profile = widgets.ToggleButtons(
            options=[(p.title, p.name) for p in PROFILES.values()],
            value="submission",
            description="Sending:",
            style={"button_width": "auto"},
        )
        self.host = text("Host:", "smtp.office365.com (empty: default for the profile)")
        self.port = widgets.IntText(
            value=587,
            description="Port:",
            style={"description_width": "3em"},
            layout=widgets.Layout(width="10em"),
        )
        self.address = text("Connect to:", "optional IP; TLS is still verified against Host")
        self.mail_from = text("From:", "scanner@contoso.com")
        self.rcpt_to = text("To:", "someone@contoso.com (comma-separated)")
        self.user = text("User:", "mailbox that signs in (empty: no AUTH)")
        self.password = _password("Password:")
        self.token = _password("OAuth token:")
        self.cafile = text("CA file:", "PEM file of a private CA to trust (optional)")
        self.auth = widgets.Dropdown(
            options=["auto", "login", "plain", "xoauth2"],
            description="AUTH:",
            style=_LABELS,
            layout=widgets.Layout(width="16em"),
        )
        self.tls = widgets.Dropdown(
            options=["(profile)", "auto", "starttls", "implicit", "none"],
            description="TLS:",
            style={"description_width": "3em"},
            layout=widgets.Layout(width="14em"),
        )
        self.insecure = widgets.Checkbox(description="Skip certificate check", indent=False)
        self.stop_after = widgets.Dropdown(
            options=["(end)", *STOP_POINTS],
            description="Stop after:",
            style=_LABELS,
            layout=widgets.Layout(width="16em"),
        )
        self.send = widgets.Checkbox(description="Send a test message (DATA)", indent=False)
        self.form = widgets.VBox(
            [
                widgets.HBox([self.host, self.port]),
                self.address,
                self.mail_from,
                self.rcpt_to,
                self.user,
                self.password,
                self.token,
                widgets.HBox([self.auth, self.tls]),
                widgets.HBox([self.cafile, self.insecure]),
                widgets.HBox([self.stop_after, self.send]),
            ]
        )
        self.profile.observe(self._profile_changed, names="value")
        self.demo.observe(lambda _change: self._sync_demo(), names="value")
        self.scenario.observe(lambda _change: self._show_scenario(), names="value")

    def _profile_changed(self, change: dict[str, Any]) -> None:
        self.port.value = _DEFAULT_PORTS[change["new"]]

    def _watch_form(self) -> None:
        """Any change to the form makes the result on screen someone else's: clear it.

        The password and token boxes are left out: the app empties them itself when a session
        starts."""
        watched = (self.demo, self.scenario, self.profile, *self._device_fields())
        for field in (*watched, self.stop_after, self.send):
            field.observe(self._form_changed, names="value")

    def _device_fields(self) -> tuple[widgets.ValueWidget, ...]:
        """The device's settings: the scenario sets them in demo mode."""
        return (
            self.host,
            self.port,
            self.address,
            self.mail_from,
            self.rcpt_to,
            self.user,
            self.auth,
            self.tls,
            self.cafile,
            self.insecure,
        )

    def _form_changed(self, _change: object = None) -> None:
        if self.probe is None and self.report is None and not self.steps_view.value:
            return
        self.cancel()
        self._stale = True  # the next Step or Run all opens a new session with the form as is
        self.input_changed()

    def _sync_demo(self) -> None:
        demo = bool(self.demo.value)
        self.scenario.layout.display = None if demo else "none"
        for field in (self.profile, *self._device_fields(), self.token, self.password):
            field.disabled = demo
        if demo:
            self.password.value = ""  # the simulator brings its own
            self._show_scenario()
        else:  # the demo's addresses must not be used for a real session by mistake
            self._clear_demo_values()

    def _clear_demo_values(self) -> None:
        client = SCENARIOS[self.scenario.value].client
        demo_values = {
            self.mail_from: client.get("mail_from", DEMO_USER),
            self.rcpt_to: ", ".join(client.get("rcpt_to", (INTERNAL_RECIPIENT,))),
            self.user: client.get("username", DEMO_USER) or "",
        }
        for field, value in demo_values.items():
            if field.value == value:
                field.value = ""

    def _show_scenario(self) -> None:
        """In demo mode the form shows what the picked scenario sends (its fields are locked)."""
        if not self.demo.value:
            return
        scenario = SCENARIOS[self.scenario.value]
        client = scenario.client
        self.profile.value = scenario.profile
        self.mail_from.value = client.get("mail_from", DEMO_USER)
        self.rcpt_to.value = ", ".join(client.get("rcpt_to", (INTERNAL_RECIPIENT,)))
        submission = scenario.profile == "submission"
        self.user.value = client.get("username", DEMO_USER if submission else None) or ""

    # ------------------------------------------------------------------ actions
    def step(self) -> asyncio.Task[Any]:
        """Run the next step (starting a session first if none is open)."""
        return self.start(self._guarded(self._step_once()), "Running one step")

    def run_all(self) -> asyncio.Task[Any]:
        """Run the remaining steps; the view updates after each."""
        return self.start(
            self._guarded(self._run_remaining()), "Running the session", done=self._done_text()
        )

    def _done_text(self) -> str:
        target = (
            f"demo scenario {self.scenario.value}"
            if self.demo.value
            else (self.host.value.strip() or "the profile's host")
        )
        return f"Tested: {target} ({self.profile.value})"

    def reset(self) -> asyncio.Task[Any]:
        self.cancel()
        return self.start(self._close_session(clear=True), "Resetting")

    async def _guarded(self, work: Any) -> None:
        self._buttons_enabled(False)  # a second click must not cancel the running step
        try:
            await work
        except ConfigError as exc:
            self.fail(config_error_text(exc))
        except asyncio.CancelledError:
            await self._close_session(clear=False)
            raise
        finally:
            self._buttons_enabled(True)

    def _buttons_enabled(self, enabled: bool) -> None:
        self.step_button.disabled = self.run_button.disabled = not enabled

    async def _step_once(self) -> None:
        probe = await self._session()
        await probe.step(on_start=self._running)
        await self._after_step(probe)

    async def _run_remaining(self) -> None:
        probe = await self._session()
        while not probe.done:
            await probe.step(on_start=self._running)
            await self._after_step(probe)

    def _running(self, name: str) -> None:
        self.status.value = f"Running <code>{escape(name)}</code>…"

    async def _after_step(self, probe: Probe) -> None:
        self._render(probe)
        if probe.done:
            self.report = probe.report()
            self.diagnosis.value = render_findings_html(
                self.report.sorted_findings(), heading="Diagnosis", copy=True
            )
            self._render(probe)
            await self._stop_simulator()

    # ------------------------------------------------------------------ session
    async def _session(self) -> Probe:
        if self.probe is not None and not self.probe.done and not self._stale:
            return self.probe
        self._stale = False
        await self._close_session(clear=True)
        password = self._take_password()
        if self.demo.value:
            self.simulator = Simulator(
                self.scenario.value, password=password.reveal() if password else None
            )
            await self.simulator.start()
            config = self.simulator.client_config(**self._session_options())
        else:
            config = self._live_config(password)
        self.probe = Probe(config)
        return self.probe

    def _take_password(self) -> Secret | None:
        """Read the password box and empty it at once (it must not be saved)."""
        value, self.password.value = self.password.value, ""
        return Secret(value) if value else None

    def _session_options(self) -> dict[str, Any]:
        stop = self.stop_after.value
        return {"stop_after": None if stop == "(end)" else stop, "send": bool(self.send.value)}

    def _live_config(self, password: Secret | None) -> ProbeConfig:
        token_value, self.token.value = self.token.value, ""
        user = self.user.value.strip() or None
        return ProbeConfig(
            mail_from=self.mail_from.value.strip(),
            rcpt_to=tuple(a.strip() for a in self.rcpt_to.value.split(",") if a.strip()),
            profile=self.profile.value,
            host=self.host.value.strip() or None,
            port=self.port.value or None,
            connect_address=self.address.value.strip() or None,
            cafile=self.cafile.value.strip() or None,
            username=user,
            password=password if user else None,
            token=Secret(token_value) if token_value and user else None,
            auth_mechanism=self.auth.value,
            tls_mode=None if self.tls.value == "(profile)" else self.tls.value,
            insecure=bool(self.insecure.value),
            **self._session_options(),
        ).validate()

    async def _close_session(self, *, clear: bool) -> None:
        if self.probe is not None:
            await self.probe.aclose()
        await self._stop_simulator()
        if clear:
            self.probe, self.report = None, None
            self.steps_view.value = self.diagnosis.value = self.transcript_view.value = ""

    async def _stop_simulator(self) -> None:
        if self.simulator is not None:
            await self.simulator.stop()
            self.simulator = None

    # ------------------------------------------------------------------ view
    def _render(self, probe: Probe) -> None:
        steps = probe.session().steps if probe.done else probe.results
        self.steps_view.value = (
            f'{_STEPS_STYLE}<div class="o365diag-steps">{steps_html(steps)}</div>'
        )
        self.transcript_view.value = transcript_html(probe.transcript)


def _text_field(description: str, placeholder: str) -> widgets.Text:
    return widgets.Text(
        description=description,
        placeholder=placeholder,
        style=_LABELS,
        layout=widgets.Layout(width=_WIDTH),
    )


def _password(description: str) -> widgets.Password:
    return widgets.Password(
        description=description, style=_LABELS, layout=widgets.Layout(width=_WIDTH)
    )
