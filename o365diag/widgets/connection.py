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

from o365diag.findings import Report, render_findings_html
from o365diag.smtp.config import PROFILES, ConfigError, ProbeConfig, Secret
from o365diag.smtp.model import STOP_POINTS
from o365diag.smtp.probe import Probe
from o365diag.smtp.render import steps_html, transcript_html
from o365diag.smtp.simulator import DEMO_USER, INTERNAL_RECIPIENT, SCENARIOS, Simulator
from o365diag.widgets._base import AppBase, demo_switch, escape

__all__ = ["ConnectionTestApp", "config_error_text"]

_WIDE = widgets.Layout(width="28em")
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
# Steps table rows coloured by status, scoped to this app's table.
_STEPS_STYLE = (
    "<style>"
    ".o365diag-steps tr.step-ok td{background:#e8f5e9}"
    ".o365diag-steps tr.step-failed td{background:#ffebee;color:#b71c1c;font-weight:600}"
    ".o365diag-steps tr.step-skipped td{background:#f5f5f5;color:#757575}"
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
        self.report: Report | None = None
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

    # ------------------------------------------------------------------ the form
    def _build_form(self, demo: bool, scenario: str) -> None:
        text = _text_field
        self.demo, self.scenario = demo_switch(
            "built-in simulator", SCENARIOS.values(), scenario, demo, _WIDE
        )
        self.profile = widgets.ToggleButtons(
            options=[(p.title, p.name) for p in PROFILES.values()],
            value="submission",
            description="Sending:",
            style={"button_width": "auto"},
        )
        self.host = text("Host:", "smtp.office365.com (empty: default for the profile)")
        self.port = widgets.IntText(
            value=587, description="Port:", layout=widgets.Layout(width="12em")
        )
        self.address = text("Connect to:", "optional IP; TLS is still verified against Host")
        self.mail_from = text("From:", "scanner@contoso.com")
        self.rcpt_to = text("To:", "someone@contoso.com (comma-separated)")
        self.user = text("User:", "mailbox that signs in (empty: no AUTH)")
        self.password = widgets.Password(description="Password:", layout=_WIDE)
        self.token = widgets.Password(description="OAuth token:", layout=_WIDE)
        self.auth = widgets.Dropdown(
            options=["auto", "login", "plain", "xoauth2"], description="AUTH:"
        )
        self.tls = widgets.Dropdown(
            options=["(profile)", "auto", "starttls", "implicit", "none"], description="TLS:"
        )
        self.insecure = widgets.Checkbox(description="Skip certificate check", indent=False)
        self.stop_after = widgets.Dropdown(
            options=["(end)", *STOP_POINTS], description="Stop after:"
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
                widgets.HBox([self.auth, self.tls, self.insecure]),
                widgets.HBox([self.stop_after, self.send]),
            ]
        )
        self.profile.observe(self._profile_changed, names="value")
        self.demo.observe(lambda _change: self._sync_demo(), names="value")
        self.scenario.observe(lambda _change: self._show_scenario(), names="value")

    def _profile_changed(self, change: dict[str, Any]) -> None:
        self.port.value = _DEFAULT_PORTS[change["new"]]

    def _sync_demo(self) -> None:
        demo = bool(self.demo.value)
        self.scenario.layout.display = None if demo else "none"
        for field in (
            self.profile,
            self.host,
            self.port,
            self.address,
            self.mail_from,
            self.rcpt_to,
            self.user,
            self.token,
            self.auth,
            self.tls,
            self.insecure,
            self.password,
        ):
            field.disabled = demo
        if demo:
            self.password.value = ""  # the simulator brings its own
            self._show_scenario()

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
        return self.start(self._guarded(self._run_remaining()), "Running the session")

    def reset(self) -> asyncio.Task[Any]:
        self.cancel()
        return self.start(self._close_session(clear=True), "Resetting")

    async def _guarded(self, work: Any) -> None:
        self._buttons_enabled(False)  # a second click must not cancel the running step
        try:
            await work
        except ConfigError as exc:
            self.show_error(config_error_text(exc))
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
                self.report.sorted_findings(), heading="Diagnosis"
            )
            self._render(probe)
            await self._stop_simulator()

    # ------------------------------------------------------------------ session
    async def _session(self) -> Probe:
        if self.probe is not None and not self.probe.done:
            return self.probe
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
        steps = (
            [s.to_dict() for s in probe.session().steps]
            if probe.done
            else [s.to_dict() for s in probe.results]
        )
        self.steps_view.value = (
            f'{_STEPS_STYLE}<div class="o365diag-steps">{steps_html(steps)}</div>'
        )
        self.transcript_view.value = transcript_html(probe.transcript)


def _text_field(description: str, placeholder: str) -> widgets.Text:
    return widgets.Text(description=description, placeholder=placeholder, layout=_WIDE)
