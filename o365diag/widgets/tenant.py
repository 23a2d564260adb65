"""ConnectPanel: sign in to a tenant, see the sign-in status, and pull message trace or SMTP AUTH
sign-ins from Microsoft Graph into a local store, with progress and Cancel.

The pull runs in a worker thread (the kernel stays responsive); Cancel stops it between two
requests or during a throttling wait, and every finished window stays in the store. Tokens
never reach a widget: the panel shows account, expiry and counts only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from o365diag.findings import render_findings_html
from o365diag.widgets._base import AppBase, escape

if TYPE_CHECKING:
    from o365diag.tenant.auth import Connection
    from o365diag.tenant.graph import TokenSource, Waiter
    from o365diag.tenant.result import PullResult

__all__ = ["ConnectPanel"]

_SIGN_IN = (
    ("Device code (a code to enter in any browser)", "device-code"),
    ("Browser on this machine", "browser"),
    ("Certificate (app-only, PEM path)", "certificate"),
    ("Token in an environment variable (automation)", "token-env"),
)
_KINDS = (("Message trace", "messageTrace"), ("SMTP AUTH sign-ins", "signIns"))


class ConnectPanel(AppBase):
    """Sign in, Status, Pull (with Cancel); ``on_pulled(store_folder, report)`` after a pull."""

    def __init__(
        self,
        out: str | Path = "tenant-store",
        on_pulled: Callable[[Path, PullResult], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.on_pulled = on_pulled
        self.waiter: Waiter | None = None
        self.last_pull: PullResult | None = None
        self._build(str(out))
        self.progress = widgets.HTML()
        self.sign_in_message = widgets.HTML()
        self.state = widgets.HTML()
        self.findings = widgets.HTML()
        self.views = (self.findings,)
        self.children = [
            widgets.HTML("<b>Connect to a tenant</b> (read-only Microsoft Graph)"),
            widgets.HBox([self.tenant, self.client_id]),
            widgets.HBox([self.how, self.credential]),
            self.advanced,
            widgets.HBox([self.sign_in_button, self.status_button]),
            self.sign_in_message,
            self.state,
            widgets.HBox([self.kind, self.since, self.details]),
            widgets.HBox([self.out, self.pull_button]),
            self.status_bar,
            self.progress,
            self.error,
            self.findings,
        ]

    def _build(self, out: str) -> None:
        short = {"description_width": "initial"}
        self.tenant = widgets.Text(description="Tenant:", placeholder="contoso.onmicrosoft.com")
        self.client_id = widgets.Text(description="App (client) ID:", style=short)
        self.how = widgets.Dropdown(options=_SIGN_IN, description="Sign in:")
        self.credential = widgets.Text(
            placeholder="PEM path or variable name", description="", layout={"width": "18em"}
        )
        self.graph_url = widgets.Text(value="https://graph.microsoft.com", description="Graph:")
        self.authority = widgets.Text(
            value="https://login.microsoftonline.com", description="Sign-in host:", style=short
        )
        self.cafile = widgets.Text(description="Extra CA (PEM):", style=short)
        self.advanced = widgets.Accordion(
            children=[widgets.VBox([self.graph_url, self.authority, self.cafile])],
            titles=("National cloud, proxy CA",),
            selected_index=None,
        )
        self.sign_in_button = widgets.Button(description="Sign in", icon="sign-in")
        self.sign_in_button.on_click(lambda _b: self.sign_in())
        self.status_button = widgets.Button(description="Status", icon="info")
        self.status_button.on_click(lambda _b: self.show_status())
        self.kind = widgets.Dropdown(options=_KINDS, description="Pull:")
        self.since = widgets.Text(value="10d", description="Since:", layout={"width": "10em"})
        self.details = widgets.BoundedIntText(
            value=0, min=0, max=1000, description="Details:", layout={"width": "10em"}
        )
        self.out = widgets.Text(value=out, description="Store:", layout={"width": "24em"})
        self.pull_button = widgets.Button(
            description="Pull", button_style="primary", icon="download"
        )
        self.pull_button.on_click(lambda _b: self.pull())

    # -- connection -----------------------------------------------------------------------------
    def _connection(self) -> Connection:
        from o365diag.errors import UsageError
        from o365diag.tenant.auth import Connection

        tenant, client_id = self.tenant.value.strip(), self.client_id.value.strip()
        if not tenant or not client_id:
            raise UsageError("give the tenant and the app (client) ID first")
        mode = "certificate" if self.how.value == "certificate" else "delegated"
        connection = Connection(tenant, client_id, mode)
        if mode == "certificate":
            connection.cert = self.credential.value.strip()
        connection.graph_url = self.graph_url.value.strip() or connection.graph_url
        connection.authority = self.authority.value.strip() or connection.authority
        connection.cafile = self.cafile.value.strip() or None
        return connection

    def _tokens(self) -> TokenSource:
        from o365diag.tenant.auth import EnvToken, MsalTokens, load_profile, o365diag_home

        if self.how.value == "token-env":
            return EnvToken(self.credential.value.strip())
        saved = load_profile(o365diag_home(), self.tenant.value.strip() or None)
        connection = self._connection() if saved is None else saved
        if saved is not None:
            connection.cafile = self.cafile.value.strip() or saved.cafile
        return MsalTokens(connection, o365diag_home())

    # -- sign in and status ---------------------------------------------------------------------
    def sign_in(self) -> asyncio.Task[Any]:
        return self.start(self._sign_in(), "Signing in", self._signed_in)

    async def _sign_in(self) -> dict[str, Any] | None:
        from o365diag.tenant.auth import MsalTokens, o365diag_home

        if self.how.value == "token-env":
            self.fail("With a token from the environment there is nothing to sign in: pull.")
            return None
        tokens = MsalTokens(self._connection(), o365diag_home())
        if self.how.value == "browser":
            import webbrowser

            return await asyncio.to_thread(tokens.login_browser, webbrowser.open)
        if self.how.value == "certificate":
            return await asyncio.to_thread(tokens.login_app)
        return await asyncio.to_thread(tokens.login_device_code, self._show_code)

    def _show_code(self, message: str) -> None:
        self.sign_in_message.value = f"<div class='o365diag'><pre>{escape(message)}</pre></div>"

    def _signed_in(self, outcome: dict[str, Any] | None) -> None:
        self.sign_in_message.value = ""
        if outcome is not None:
            self.show_status()

    def show_status(self) -> asyncio.Task[Any]:
        return self.start(self._status(), "Reading the sign-in", self._show_state)

    async def _status(self) -> dict[str, Any] | None:
        tokens = self._tokens()
        status = getattr(tokens, "status", None)
        if status is None:
            return {"tenant": self.tenant.value or "(from the token)", "account": "token from env"}
        result: dict[str, Any] = await asyncio.to_thread(status)
        return result

    def _show_state(self, status: dict[str, Any] | None) -> None:
        if status is None:
            return
        rows = "".join(
            f"<tr><th>{escape(name)}</th><td>{escape(str(status.get(name) or ''))}</td></tr>"
            for name in ("tenant", "account", "mode", "expires")
        )
        self.state.value = f"<div class='o365diag'><table>{rows}</table></div>"

    # -- pull -----------------------------------------------------------------------------------
    def pull(self) -> asyncio.Task[Any]:
        label = dict((v, k) for k, v in _KINDS)[self.kind.value]
        return self.start(self._pull(), f"Pulling {label.lower()}", self._pulled)

    def cancel(self) -> None:
        if self.waiter is not None:
            self.waiter.cancel()
        super().cancel()

    async def _pull(self) -> PullResult | None:
        from o365diag.tenant.graph import GraphClient, GraphSettings, Waiter, budget_for
        from o365diag.tenant.pull import THROTTLE, plan_pull

        # Made here, once start() has cancelled the previous run (and with it its waiter).
        self.waiter = waiter = Waiter()
        tenant = self.tenant.value.strip()
        if not tenant:
            self.fail("Give the tenant (its ID or a verified domain) first.")
            return None
        kind = str(self.kind.value)
        job = plan_pull(
            kind,
            tenant,
            self.out.value.strip() or "tenant-store",
            since=self.since.value.strip() or None,
            details=int(self.details.value),
        )
        settings = GraphSettings(
            graph_url=self.graph_url.value.strip(), cafile=self.cafile.value.strip() or None
        )
        budget = budget_for((kind, tenant.lower()), *THROTTLE[kind])
        client = GraphClient(settings, self._tokens(), budget, waiter=waiter)
        return await asyncio.to_thread(job.run, client, self._progress)

    def _progress(self, progress: Any) -> None:
        self.progress.value = f"<code>{escape(progress.line())}</code>"

    def _pulled(self, report: PullResult | None) -> None:
        if report is None:
            return
        self.last_pull = report
        self.report = report
        pulled = report.model
        incomplete = "" if pulled.complete else " (incomplete)"
        self.progress.value = f"<code>{escape(report.summary())}{incomplete}</code>"
        self.findings.value = render_findings_html(report.sorted_findings(), heading="Pull")
        if self.on_pulled is not None and pulled.store is not None:
            self.on_pulled(Path(pulled.store), report)
