"""CutoverApp: the Basic-auth cutover readiness of a tenant (its exports, or the demo tenant),
with the identity table, plan, steps, charts and findings, and an "explain this error" box."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from o365diag.widgets._base import AppBase, escape, show_figure, take_uploads

if TYPE_CHECKING:
    from o365diag.cutover.model import CutoverAssessment
    from o365diag.findings import Report
    from o365diag.widgets.tenant import ConnectPanel

__all__ = ["CutoverApp"]

_SUFFIXES = ".csv,.json,.yaml,.yml,.txt"
_CHARTS = 3


class CutoverApp(AppBase):
    """Demo or your files, Assess; then the result, the charts and the Export button."""

    def __init__(self, demo: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.assessment: CutoverAssessment | None = None
        self._build_form(demo)
        self.result_html = widgets.HTML()
        self.charts = [widgets.Output() for _ in range(_CHARTS)]
        self.explanation = widgets.HTML()
        self.views = (self.result_html, *self.charts)
        self.children = [
            self.demo,
            self.upload_row,
            self.paths,
            self.snapshots,
            self.dates_row,
            self.status_bar,
            self.error,
            self.result_html,
            *self.charts,
            self.make_export_bar("basic-auth-cutover"),
            widgets.HTML("<h4>Explain an error a device printed</h4>"),
            widgets.HBox([self.explain_text, self.explain_button]),
            self.explanation,
        ]
        self._demo_changed()

    def _build_form(self, demo: bool) -> None:
        self.demo = widgets.Checkbox(
            value=demo, description="Demo tenant (contoso.example)", indent=False
        )
        self.demo.observe(self._demo_changed, names="value")
        self.assess_button = widgets.Button(
            description="Assess", button_style="primary", icon="check"
        )
        self.assess_button.on_click(lambda _b: self.run())
        self.upload = widgets.FileUpload(accept=_SUFFIXES, multiple=True, description="Upload")
        self.upload.observe(lambda _c: self.input_changed(), names="value")
        self.upload_row = widgets.HBox([self.assess_button, self.upload])
        self.paths = widgets.Textarea(
            placeholder="Or paths to the exported files on this machine, one per line",
            layout=widgets.Layout(width="100%", height="5em"),
        )
        self.snapshots = widgets.Textarea(
            placeholder="Earlier snapshots, for the burndown only: one file or folder per line "
            "(dated by their content, else by a date in their name)",
            layout=widgets.Layout(width="100%", height="4em"),
        )
        self.as_of = widgets.Text(
            placeholder="YYYY-MM-DD (blank: today)", description="As of:", layout={"width": "22em"}
        )
        self.cutover_date = widgets.Text(
            value="2026-12-31", description="Cutover date:", style={"description_width": "initial"}
        )
        self.dates_row = widgets.HBox([self.as_of, self.cutover_date])
        for field in (self.paths, self.snapshots, self.as_of, self.cutover_date):
            field.observe(self.input_changed, names="value")
        self.explain_text = widgets.Textarea(
            placeholder="Paste an SMTP reply, a Postfix/Exim log line, a Python or PowerShell "
            "error, curl's message...",
            layout=widgets.Layout(width="70%", height="4em"),
        )
        self.explain_button = widgets.Button(description="Explain", icon="question")
        self.explain_button.on_click(lambda _b: self.explain())

    def _demo_changed(self, _change: object = None) -> None:
        live = not self.demo.value
        self.upload.disabled = not live
        self.paths.disabled = not live
        self.snapshots.disabled = not live
        self.input_changed()

    # -- work -----------------------------------------------------------------------------------
    def _sources(self) -> list[Any]:
        from o365diag.cutover.demo import demo_files

        if self.demo.value:
            return list(demo_files())
        uploaded: list[Any] = list(take_uploads(self.upload))
        paths = [line.strip() for line in self.paths.value.splitlines() if line.strip()]
        return uploaded or paths

    def _earlier(self) -> list[Any]:
        from o365diag.cutover.demo import demo_snapshot_files

        if self.demo.value:
            return list(demo_snapshot_files())
        return [line.strip() for line in self.snapshots.value.splitlines() if line.strip()]

    # -- the tenant's stores --------------------------------------------------------------------
    def add_store(self, folder: str | Path, report: Report | None = None) -> None:
        """A store folder (a finished pull) joins your inputs and the assessment re-runs on
        them, the demo unticked. A pull that stopped part-way is not added."""
        if report is not None and report.data.get("complete") is not True:
            self.show_error(f"The pull into {folder} did not finish; it is not assessed.")
            return
        lines = [line.strip() for line in self.paths.value.splitlines() if line.strip()]
        if str(folder) not in lines:
            lines.append(str(folder))
        self.demo.value = False
        self.paths.value = "\n".join(lines)
        self.run()

    def connect_panel(self, root: str | Path = "cutover-store") -> ConnectPanel:
        """A Connect panel that pulls SMTP sign-ins (30 days) into ROOT/signins or message trace
        (10 days) into ROOT/trace; each finished pull joins this app's inputs."""
        from o365diag.cutover.command import GRAPH_PULLS
        from o365diag.widgets.tenant import ConnectPanel

        pulls = {kind: (name, since) for kind, since, name in GRAPH_PULLS}
        panel = ConnectPanel(out=Path(root) / pulls["signIns"][0], on_pulled=self.add_store)

        def follow_kind(_change: object = None) -> None:
            name, since = pulls[str(panel.kind.value)]
            panel.out.value = str(Path(root) / name)
            panel.since.value = since

        panel.kind.observe(follow_kind, names="value")
        panel.kind.value = "signIns"
        follow_kind()
        return panel

    def _dates(self) -> tuple[date | None, date]:
        from o365diag.cutover.demo import DEMO_AS_OF

        as_of = date.fromisoformat(self.as_of.value.strip()) if self.as_of.value.strip() else None
        if as_of is None and self.demo.value:
            as_of = DEMO_AS_OF
        return as_of, date.fromisoformat(self.cutover_date.value.strip())

    def run(self) -> asyncio.Task[Any]:
        """Load the inputs and assess them (off the kernel's thread)."""
        self.input_changed()
        label = "Assessing the demo tenant" if self.demo.value else "Assessing your files"
        return self.start(self._assess(), label, self.show, done="Assessed.")

    async def _assess(self) -> CutoverAssessment | None:
        from o365diag.cutover.analyze import assess
        from o365diag.cutover.inputs import load_inputs
        from o365diag.cutover.snapshots import load_snapshots
        from o365diag.errors import O365DiagError

        try:
            as_of, cutover = self._dates()
        except ValueError:
            self.fail("The dates must be written YYYY-MM-DD.")
            return None
        sources = self._sources()
        if not sources:
            self.fail("Tick the demo, upload the exported files or type their paths first.")
            return None
        earlier = self._earlier()
        try:
            inputs = await asyncio.to_thread(load_inputs, sources)
            snapshots = await asyncio.to_thread(load_snapshots, earlier)
            return await asyncio.to_thread(
                assess, inputs, as_of=as_of, cutover_date=cutover, snapshots=snapshots
            )
        except O365DiagError as exc:
            self.fail(f"Assessing failed: {exc}")
            return None

    def show(self, assessment: CutoverAssessment | None) -> None:
        if assessment is None:
            return
        from o365diag.cutover.render import result_fragment

        self.assessment = assessment
        result = assessment.to_result()
        self.report = result
        self.result_html.value = result_fragment(assessment, result)
        figures = result.safe_figures()
        for output, figure in zip(self.charts, figures, strict=False):
            show_figure(output, figure)

    def explain(self) -> None:
        from o365diag.cutover.explain import explain

        text = self.explain_text.value
        if not text.strip():
            self.explanation.value = "<p><em>Paste the message first.</em></p>"
            return
        found = explain(text).to_result()
        self.explain_text.value = ""  # pasted text may hold names: keep it out of saved state
        self.explanation.value = f"<pre>{escape(found.to_text())}</pre>"

    def clear_results(self) -> None:
        super().clear_results()
        self.assessment = None
