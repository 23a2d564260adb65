"""The message trace result (``o365diag.trace/1``): its title, facts and views from the saved
data alone (the live app and ``o365diag trace --html`` draw more from the full analysis)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from o365diag.findings import render_cards_html, render_findings_html
from o365diag.result import Result, data_html

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SCHEMA", "TraceResult"]

SCHEMA = "o365diag.trace/1"
_TABLE_ROWS = 50
_DETAILS = ("files", "bad_rows", "duplicates", "org_domains", "baseline", "by_direction")
_TABLES = (
    ("Anomalies", "anomalies", ("start", "end", "scope", "key", "kind", "observed", "expected")),
    ("Top senders", "top_senders", ("sender", "rows", "messages")),
    ("Top relay IPs", "top_relay_ips", ("from_ip", "rows", "messages")),
    ("Top recipient domains", "top_recipient_domains", ("recipient_domain", "rows", "messages")),
    ("New senders", "new_senders", ("sender", "first_seen", "rows")),
)


@dataclass
class TraceResult(Result):
    """Volume, failures, anomalies and top talkers of message trace exports."""

    SCHEMA: ClassVar[str] = SCHEMA

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        rows = data.get("rows")
        if not isinstance(rows, int):
            return "Message trace"
        return f"Message trace: {data.get('format') or 'no data'}, {rows:,} rows"

    def facts(self) -> list[tuple[str, Any]]:
        time_range = self.data.get("time_range") or {}
        start, end = time_range.get("start"), time_range.get("end")
        return [
            ("Format", self.data.get("format")),
            ("Rows", self.data.get("rows")),
            ("Time range", f"{start} to {end}" if start else None),
        ]

    def body_html(self) -> str:
        cards = [(label, str(value), "neutral") for label, value in self.safe_facts()]
        by_status = self.data.get("by_status") or {}
        cards += [(f"Status {name}", f"{count:,}", "neutral") for name, count in by_status.items()]
        parts = [
            f"<h2>{html.escape(self.title)}</h2>",
            render_cards_html(cards),
            render_findings_html(self.sorted_findings(), heading="Findings"),
        ]
        for title, key, columns in _TABLES:
            parts.append(_records_html(title, self.data.get(key) or [], columns))
        details = {key: self.data.get(key) for key in _DETAILS if self.data.get(key)}
        parts.append("<h3>Details</h3>" + data_html(details))
        return "".join(parts)

    def figures(self) -> list[go.Figure]:
        from o365diag.plots import saved_volume_figure

        figure = saved_volume_figure(self.data["volume"])
        return [figure] if figure is not None else []


def _records_html(title: str, records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    if not records:
        return ""
    shown = [c for c in columns if any(c in row for row in records)]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in shown) + "</tr>"
        for row in records[:_TABLE_ROWS]
    )
    more = f"<p>… {len(records) - _TABLE_ROWS} more</p>" if len(records) > _TABLE_ROWS else ""
    return f"<h3>{html.escape(title)}</h3><table><tr>{head}</tr>{body}</table>{more}"


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
