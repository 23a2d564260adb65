"""TraceExplorerApp: load message-trace exports (upload, path or sample), see the charts,
filter on one sender, read the anomaly table and the findings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from o365diag.findings import render_cards_html, render_findings_html
from o365diag.widgets._base import (
    AppBase,
    sample_options,
    show_figure,
    shown_path,
    take_uploads,
)

if TYPE_CHECKING:
    from o365diag.trace.analyze import TraceAnalysis
    from o365diag.trace.load import Source
    from o365diag.trace.model import TraceData
    from o365diag.trace.result import TraceResult

__all__ = ["TraceExplorerApp"]

_SAMPLE_SUFFIXES = (".csv", ".json", ".jsonl", ".txt")
_INTERVALS = ("auto", "5m", "15m", "1h", "6h", "1d")
_ALL_SENDERS = ""
_CHARTS = ("volume", "senders", "status", "top", "heatmap")
_SENDER_CHOICES = 30


@dataclass
class _Settings:
    interval: str
    org_domains: list[str]
    date_order: str


class TraceExplorerApp(AppBase):
    """Upload or path or sample, Analyze; cards, findings, charts, a sender filter, tables."""

    def __init__(self, samples_dir: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: TraceData | None = None
        self.analysis: TraceAnalysis | None = None
        self.report: TraceResult | None = None
        self.figures: dict[str, Any] = {}
        self._build_inputs(samples_dir)
        self.cards = widgets.HTML()
        self.findings = widgets.HTML()
        self.charts = {name: widgets.Output() for name in _CHARTS}
        self.anomaly_table = widgets.HTML()
        self.tables = widgets.HTML()
        self.views = (self.cards, self.findings, *self.charts.values(), self.anomaly_table)
        self.views += (self.tables,)
        self.children = [
            self.upload_row,
            self.paths,
            self.options_row,
            self.status_bar,
            self.error,
            self.cards,
            self.sender,
            self.charts["volume"],
            self.anomaly_table,
            self.findings,
            *[self.charts[name] for name in _CHARTS[1:]],
            self.tables,
            self.make_export_bar("message-trace"),
        ]

    def _build_inputs(self, samples_dir: str | Path | None) -> None:
        self.upload = widgets.FileUpload(
            accept=",".join(_SAMPLE_SUFFIXES), multiple=True, description="Upload"
        )
        self.samples = widgets.Dropdown(
            options=sample_options(samples_dir, _SAMPLE_SUFFIXES, full_names=True),
            description="Sample:",
            layout={"width": "auto"},
        )
        self.samples.observe(self._sample_chosen, names="value")
        self.analyze_button = widgets.Button(
            description="Analyze", button_style="primary", icon="chart-bar"
        )
        self.analyze_button.on_click(lambda _b: self.run())
        self.upload_row = widgets.HBox([self.analyze_button, self.upload, self.samples])
        self.upload.observe(self._uploaded, names="value")
        self.paths = widgets.Textarea(
            placeholder="Or paths to export files on this machine, one per line",
            layout=widgets.Layout(width="100%", height="4em"),
        )
        self.interval = widgets.Dropdown(options=_INTERVALS, value="auto", description="Interval:")
        self.org_domains = widgets.Text(
            placeholder="example.com, example.net (blank: guess)",
            description="Your domains:",
            style={"description_width": "initial"},
            layout={"width": "26em"},
        )
        self.date_order = widgets.Dropdown(
            options=[("detect", "auto"), ("month/day", "mdy"), ("day/month", "dmy")],
            value="auto",
            description="Dates:",
            layout={"width": "auto"},
        )
        self.options_row = widgets.HBox([self.interval, self.org_domains, self.date_order])
        self.sender = widgets.Dropdown(
            options=[("(all senders)", _ALL_SENDERS)],
            description="Sender:",
            disabled=True,
            layout={"width": "auto"},
        )
        self.sender.observe(self._on_sender, names="value")

    # -- input ----------------------------------------------------------------------------------
    def _sources(self) -> list[Source]:
        uploaded: list[Source] = list(take_uploads(self.upload))
        if uploaded:
            return uploaded
        return [line.strip() for line in self.paths.value.splitlines() if line.strip()]

    def _sample_chosen(self, change: dict[str, Any]) -> None:
        """The last input wins: a picked sample replaces whatever the paths box held."""
        if change.get("new"):
            self.paths.value = shown_path(change["new"])
            self.input_changed()

    def _uploaded(self, change: dict[str, Any]) -> None:
        """New files uploaded: what is shown belongs to the previous input."""
        if change.get("new"):
            self.input_changed()

    def _input_name(self, sources: list[Source]) -> str:
        names = [s[0] if isinstance(s, tuple) else Path(s).name for s in sources]
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")

    def _settings(self) -> _Settings:
        domains = [d.strip() for d in self.org_domains.value.replace(";", ",").split(",")]
        return _Settings(self.interval.value, [d for d in domains if d], self.date_order.value)

    # -- work -----------------------------------------------------------------------------------
    def run(self) -> asyncio.Task[Any]:
        """Load the chosen exports and analyse them (off the kernel's thread)."""
        sources = self._sources()
        name = self._input_name(sources)
        self.input_changed()  # a new load: nothing of the last one stays, its sender filter too
        return self.start(
            self._load_and_analyze(sources, self._settings()),
            f"Loading {name}" if sources else "Loading the trace",
            self.show,
            done=f"Analyzed: {name}",
        )

    async def _load_and_analyze(
        self, sources: list[Source], settings: _Settings
    ) -> TraceAnalysis | None:
        from o365diag.trace.analyze import analyze_trace
        from o365diag.trace.load import load_traces
        from o365diag.trace.model import TraceInputError

        if not sources:
            self.fail("Choose a sample, upload export files or type their paths first.")
            return None
        try:
            data = await asyncio.to_thread(
                load_traces,
                sources,
                org_domains=settings.org_domains,
                date_order=settings.date_order,
            )
            analysis = await asyncio.to_thread(analyze_trace, data, settings.interval)
        except TraceInputError as exc:
            self.fail(f"Loading failed: {exc}")
            return None
        self.data = data
        return analysis

    def filter_sender(self, sender: str) -> asyncio.Task[Any]:
        """Show one sender's traffic ('' for everyone)."""
        label = f"Filtering on {sender}" if sender else "Showing all senders"
        return self.start(self._refilter(sender), label, self.show)

    async def _refilter(self, sender: str) -> TraceAnalysis | None:
        from o365diag.trace.analyze import analyze_trace

        if self.data is None:
            return None
        data = self.data.filter_sender(sender) if sender else self.data
        return await asyncio.to_thread(analyze_trace, data, self._settings().interval)

    def _on_sender(self, change: dict[str, Any]) -> None:
        if self.data is not None and change.get("new") is not None:
            self.filter_sender(str(change["new"]))

    # -- display --------------------------------------------------------------------------------
    def clear_results(self) -> None:
        """Forget the loaded trace too, and offer every sender again on the next load."""
        super().clear_results()
        self.data, self.analysis, self.figures = None, None, {}
        self._set_senders([])

    def show(self, analysis: TraceAnalysis | None) -> None:
        from o365diag.plots import trace_figures
        from o365diag.trace.report import anomaly_table_html, cards, tables_html

        if analysis is None:
            return
        self.analysis = analysis
        self.report = analysis.to_report()
        data = self.report.model
        self.cards.value = render_cards_html(cards(data))
        self.findings.value = render_findings_html(
            self.report.sorted_findings(), heading="Findings", copy=True
        )
        self.anomaly_table.value = anomaly_table_html(data.anomalies) or (
            "<p><em>No unusual volume.</em></p>"
        )
        self.tables.value = tables_html(data)
        self._offer_senders([row.sender for row in data.top_senders])
        self.figures = trace_figures(analysis) if analysis.data.messages.height else {}
        for name, output in self.charts.items():
            output.outputs = ()
            if name in self.figures:
                show_figure(output, self.figures[name])

    def _offer_senders(self, senders: list[str]) -> None:
        if self.sender.value != _ALL_SENDERS:
            return  # keep the list the user is choosing from
        self._set_senders(senders[:_SENDER_CHOICES])

    def _set_senders(self, senders: list[str]) -> None:
        """Offer these senders, with "(all senders)" chosen; no filtering runs for the change."""
        with self.sender.hold_trait_notifications():
            self.sender.unobserve(self._on_sender, names="value")
            # Dropdown labels are plain text, not HTML: no escaping needed.
            self.sender.options = [("(all senders)", _ALL_SENDERS)] + [(s, s) for s in senders]
            self.sender.value = _ALL_SENDERS
            self.sender.observe(self._on_sender, names="value")
        self.sender.disabled = not senders
