"""HeaderAnalyzerApp: paste or upload headers, click Analyze, read the diagnosis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from o365diag.findings import render_cards_html, render_findings_html
from o365diag.headers.analysis import analyze
from o365diag.headers.model import HopData
from o365diag.headers.parse import InputError
from o365diag.headers.render import auth_cards, hops_html, lead_html, stamps_html
from o365diag.headers.result import HeadersResult
from o365diag.widgets._base import AppBase, sample_options, show_figure, take_uploads

__all__ = ["HeaderAnalyzerApp"]

_SAMPLE_SUFFIXES = (".txt", ".eml")


class HeaderAnalyzerApp(AppBase):
    """Paste box, file upload, sample picker, Analyze button; cards, findings, hop chart, tables."""

    def __init__(self, samples_dir: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report: HeadersResult | None = None
        self.figure: Any = None
        self.paste = widgets.Textarea(
            placeholder="Paste the message headers here (Outlook: File > Properties > "
            "Internet headers), or upload a .eml / .msg file.",
            layout=widgets.Layout(width="100%", height="12em"),
        )
        self.upload = widgets.FileUpload(
            accept=".eml,.msg,.txt", multiple=False, description="Upload"
        )
        self.samples = widgets.Dropdown(
            options=sample_options(samples_dir, _SAMPLE_SUFFIXES),
            description="Sample:",
            layout={"width": "auto"},
        )
        self.samples.observe(self._load_sample, names="value")
        self.upload.observe(self._uploaded, names="value")
        self.analyze_button = widgets.Button(
            description="Analyze", button_style="primary", icon="search"
        )
        self.analyze_button.on_click(lambda _b: self.run())
        self.cards = widgets.HTML()
        self.findings = widgets.HTML()
        self.chart = widgets.Output()
        self.tables = widgets.HTML()
        self.views = (self.cards, self.findings, self.chart, self.tables)
        self._sample_text = ""
        self.paste.observe(self._pasted, names="value")
        self.children = [
            self.paste,
            widgets.HBox([self.analyze_button, self.upload, self.samples]),
            self.status_bar,
            self.error,
            self.cards,
            self.findings,
            self.chart,
            self.tables,
            self.make_export_bar("header-analysis"),
        ]

    # -- input ----------------------------------------------------------------------------------
    def _load_sample(self, change: dict[str, Any]) -> None:
        path = change.get("new")
        if path:
            self._sample_text = Path(path).read_text(encoding="utf-8", errors="replace")
            self.paste.value = self._sample_text

    def _pasted(self, change: dict[str, Any]) -> None:
        """Edited text is not the sample any more: the picker must not name it."""
        if self.samples.value and change.get("new") != self._sample_text:
            self._forget_sample()
        self.input_changed()

    def _forget_sample(self) -> None:
        self.samples.unobserve(self._load_sample, names="value")
        self.samples.value = ""
        self.samples.observe(self._load_sample, names="value")

    def _uploaded(self, change: dict[str, Any]) -> None:
        """A new upload is the input now: the paste box and the sample no longer are."""
        if not change.get("new"):
            return  # the upload emptied once read
        self._forget_sample()
        self.paste.value = ""
        self.input_changed()

    def _input(self) -> tuple[bytes | str, str]:
        uploaded = take_uploads(self.upload)
        if uploaded:
            name, content = uploaded[0]
            return content, name
        sample = self.samples.value
        if sample:  # still the sample's own text: an edit forgets the sample
            return self.paste.value, Path(sample).name
        return self.paste.value, "pasted text"

    # -- work -----------------------------------------------------------------------------------
    def run(self) -> asyncio.Task[Any]:
        data, name = self._input()
        return self.start(
            self._analyze(data, name), f"Analyzing {name}", self.show, done=f"Analyzed: {name}"
        )

    async def _analyze(self, data: bytes | str, name: str) -> HeadersResult | None:
        await asyncio.sleep(0)
        try:
            return analyze(data, name=name)
        except InputError as exc:
            self.fail(f"Analyzing {name} failed: {exc}")
            return None

    def show(self, report: HeadersResult | None) -> None:
        if report is None:
            return
        self.report = report
        data = report.model
        # The answer first: the most likely cause and what to do, above the cards.
        self.cards.value = lead_html(report) + render_cards_html(auth_cards(data))
        self.findings.value = render_findings_html(
            report.sorted_findings(), heading="Findings", copy=True
        )
        self.tables.value = (
            "<h4>Received chain</h4>"
            + hops_html(data.hops, data.total_transit_seconds)
            + "<h4>Anti-spam stamps, decoded</h4>"
            + stamps_html(data.antispam.fields)
        )
        self._draw_chart(data.hops)

    def _draw_chart(self, hops: list[HopData]) -> None:
        from o365diag.plots import hop_delay_figure

        self.chart.outputs = ()
        if not any(h.delay_seconds is not None for h in hops):
            self.figure = None
            return
        self.figure = hop_delay_figure(hops)
        show_figure(self.chart, self.figure)

    def clear_results(self) -> None:
        super().clear_results()
        self.figure = None
