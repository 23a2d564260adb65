"""The message trace result (``o365diag.trace/1``): its title, facts and views from the typed
data (``TraceResultData``), so a saved result renders as the fresh one did; only the live app
and ``o365diag trace --html`` add the charts that need the full analysis."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.findings import render_cards_html, render_findings_html
from o365diag.result import Result, data_html
from o365diag.trace.model import TraceResultData
from o365diag.trace.report import (
    anomaly_table_html,
    cards,
    display_time,
    summary_markdown,
    summary_text,
    tables_html,
)
from o365diag.typed import ModelError, dump

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SCHEMA", "TraceResult"]

SCHEMA = "o365diag.trace/1"


@dataclass
class TraceResult(Result):
    """Volume, failures, anomalies and top talkers of message trace exports."""

    SCHEMA: ClassVar[str] = SCHEMA
    MODEL: ClassVar[type[Any] | None] = TraceResultData

    @property
    def model(self) -> TraceResultData:
        return self.typed(TraceResultData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        rows = data.get("rows")
        if not isinstance(rows, int):
            return "Message trace"
        return f"Message trace: {data.get('format') or 'no data'}, {rows:,} rows"

    def facts(self) -> list[tuple[str, Any]]:
        data = self.model
        start, end = data.time_range.start, data.time_range.end
        return [
            ("Format", data.format),
            ("Rows", data.rows),
            ("Time range", f"{display_time(start)} to {display_time(end)} UTC" if start else None),
        ]

    def to_text(self) -> str:
        try:
            data = self.model
        except ModelError:  # saved in another shape: the findings still tell the story
            return super().to_text()
        return summary_text(data, self.title, self.sorted_findings())

    def body_html(self) -> str:
        data = self.model
        statuses = [(f"Status {name}", f"{n:,}", "neutral") for name, n in data.by_status.items()]
        details = {
            "files": dump(data.files),
            "duplicates": data.duplicates,
            "org_domains": data.org_domains,
            "baseline": dump(data.baseline),
            "by_direction": data.by_direction,
        }
        return "".join(
            [
                f"<h2>{html.escape(self.title)}</h2>",
                render_cards_html(cards(data) + statuses),
                render_findings_html(self.sorted_findings(), heading="Findings"),
                anomaly_table_html(data.anomalies),
                tables_html(data),
                "<h3>Details</h3>" + data_html({k: v for k, v in details.items() if v}),
            ]
        )

    def markdown_extra(self) -> list[str]:
        return summary_markdown(self.model)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import saved_volume_figure

        figure = saved_volume_figure(self.model.volume)
        return [figure] if figure is not None else []
