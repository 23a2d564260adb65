"""Shareable reports: one self-contained HTML file and a Markdown summary for a ticket.

Inputs are saved results (any ``o365diag.<kind>/<n>`` JSON object, a list of them, or JSON
lines) or header files, which are analyzed on the fly. ``SharedReport.build`` redacts the data
first (secrets always, names and addresses on request; see ``o365diag.redact``), then
``to_html`` and ``to_markdown`` render only the redacted copy.

The HTML page needs no network: the smallest plotly.js bundle that draws its charts
(``o365diag.plotly_bundle``) is inlined once and every chart is drawn from a JSON
island by one script. A Content-Security-Policy with a per-page nonce lets only those scripts
run, so text from a message that slipped through escaping still could not execute.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from o365diag import __version__, safejson
from o365diag.capabilities import raw_reader, result_from_dict, result_type
from o365diag.errors import InputError
from o365diag.findings import Report, standalone_page
from o365diag.redact import Redactor
from o365diag.result import DEFAULT_TITLE, Result, ResultLoadError, generic_html
from o365diag.result import markdown_inline as _md

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "ReportInputError",
    "SharedReport",
    "generic_html",
    "load_input",
    "report_from_dict",
]

MAX_RESULTS = 500
# Deeper than any saved result (an SPF tree of ten nested includes is about 30 levels).
MAX_DEPTH = 64
_DEFAULT_TITLE = DEFAULT_TITLE

# The older name of the error a saved input raises when it holds no usable result.
ReportInputError = ResultLoadError


# -- loading ------------------------------------------------------------------------------------
def report_from_dict(obj: Mapping[str, Any], name: str = "") -> Result:
    """A result from one saved JSON object, as its capability's registered type."""
    return result_from_dict(obj, name)


def load_input(raw: bytes, name: str) -> tuple[list[Result], list[str]]:
    """Results from one input and notes about parts that were skipped.

    JSON (an object, a list, or one object per line) is read as saved results; anything else
    goes to the capability that reads raw inputs (message headers: text, .eml or .msg).
    """
    text = _as_text(raw)
    if text is not None and text.lstrip()[:1] in ("{", "["):
        return _load_json(text, name)
    try:
        return [raw_reader()(raw, name)], []
    except InputError as exc:
        raise ReportInputError(f"{name}: {exc}") from None


def _as_text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _load_json(text: str, name: str) -> tuple[list[Result], list[str]]:
    try:
        objects = _json_objects(text)
    except safejson.TooDeep as exc:
        raise ReportInputError(f"{name}: {exc}, more than any saved result") from None
    except ValueError as exc:
        raise ReportInputError(f"{name}: not valid JSON ({exc})") from None
    reports: list[Result] = []
    notes: list[str] = []
    for index, obj in enumerate(objects, 1):
        where = f"{name} #{index}" if len(objects) > 1 else name
        if isinstance(obj, dict) and "schema" not in obj and "error" in obj:
            notes.append(f"{where}: skipped, the analysis had failed ({obj['error']})")
            continue
        if not isinstance(obj, dict):
            raise ReportInputError(f"{where}: expected a JSON object")
        reports.append(report_from_dict(obj, where))
    if not reports and not notes:
        raise ReportInputError(f"{name}: no results in it")
    return reports, notes


def _json_objects(text: str) -> list[Any]:
    """The saved results in ``text``; ValueError (with a reason) when it holds none. Nesting is
    bounded: no result is deeper than ``MAX_DEPTH``, and the redaction and renderers walk it."""
    stripped = text.strip()
    try:
        value = safejson.loads(stripped, max_depth=MAX_DEPTH)
    except json.JSONDecodeError:
        # JSON lines: one object per line (the bulk mode of `o365diag headers --jsonl`).
        return [
            safejson.loads(line, max_depth=MAX_DEPTH)
            for line in stripped.splitlines()
            if line.strip()
        ]
    return value if isinstance(value, list) else [value]


# -- the shared report --------------------------------------------------------------------------
@dataclass
class SharedReport:
    """Reports made safe to share, and their HTML and Markdown renderings."""

    reports: list[Result]
    title: str = _DEFAULT_TITLE
    redacted: bool = False
    notes: list[str] = field(default_factory=list)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    redaction_map: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        reports: Iterable[Report],
        *,
        redact: bool = False,
        secrets: Iterable[str] = (),
        title: str | None = None,
        notes: Iterable[str] = (),
    ) -> SharedReport:
        """Copy the reports through one Redactor, so placeholders agree across all of them."""
        redactor = Redactor(anonymize=redact, secrets=secrets)
        kept = list(reports)
        notes = list(notes)
        if len(kept) > MAX_RESULTS:
            notes.append(f"{len(kept) - MAX_RESULTS} more result(s) left out of this report")
            kept = kept[:MAX_RESULTS]
        clean = [_redact_report(redactor, report) for report in kept]
        return cls(
            reports=clean,
            title=redactor.text(title) if title else _DEFAULT_TITLE,
            redacted=redact,
            notes=[redactor.text(note) for note in notes],
            redaction_map=redactor.mapping(),
        )

    # -- HTML -----------------------------------------------------------------------------------
    def to_html(self) -> str:
        nonce = secrets.token_urlsafe(16)
        charts: list[tuple[str, go.Figure]] = []
        sections = [
            self._section_html(number, report, charts)
            for number, report in enumerate(self.reports, 1)
        ]
        body = "".join([self._header_html(), *sections, _charts_script(charts, nonce)])
        page = standalone_page(self._page_title(), body)
        return page.replace("<head>", f"<head>{_csp_meta(nonce)}", 1)

    def _header_html(self) -> str:
        esc = html.escape
        parts = [
            f"<h1>{esc(self.title)}</h1>",
            f'<p class="meta">Generated {esc(self._created_text())} by o365diag '
            f"{esc(__version__)}: {len(self.reports)} result(s). Works offline.</p>",
        ]
        if self.redacted:
            parts.append(f"<p><strong>Redacted.</strong> {esc(_REDACTION_NOTE)}</p>")
        parts.extend(f'<p class="note">{esc(note)}</p>' for note in self.notes)
        if len(self.reports) > 1:
            links = "".join(
                f'<li><a href="#result-{n}">{esc(r.title)}</a> '
                f'<span class="code">{esc(r.worst.value)}</span></li>'
                for n, r in enumerate(self.reports, 1)
            )
            parts.append(f"<ol>{links}</ol>")
        return "".join(parts)

    def _section_html(
        self, number: int, report: Result, charts: list[tuple[str, go.Figure]]
    ) -> str:
        chart_divs = []
        for figure in report.safe_figures():
            div_id = f"chart-{len(charts) + 1}"
            charts.append((div_id, figure))
            chart_divs.append(f'<div id="{div_id}" class="chart" style="min-height:240px"></div>')
        raw = html.escape(report.to_json())
        return (
            f'<section id="result-{number}"><hr>{report.section_html()}'
            + "".join(chart_divs)
            + "<details><summary>Data (JSON, schema "
            + f"{html.escape(report.schema)})</summary><pre>{raw}</pre></details></section>"
        )

    def _page_title(self) -> str:
        if len(self.reports) == 1:
            return f"{self.title}: {self.reports[0].title}"
        return self.title

    def _created_text(self) -> str:
        return self.created.strftime("%Y-%m-%d %H:%M UTC")

    # -- Markdown -------------------------------------------------------------------------------
    def to_markdown(self) -> str:
        lines = [
            f"# {_md(self.title)}",
            "",
            f"Generated {self._created_text()} by o365diag {__version__}: "
            f"{len(self.reports)} result(s).",
        ]
        if self.redacted:
            lines += ["", f"**Redacted.** {_md(_REDACTION_NOTE)}"]
        lines += [f"\n> {_md(note)}" for note in self.notes]
        for number, report in enumerate(self.reports, 1):
            lines += ["", *report.markdown_lines(number)]
        return "\n".join(lines) + "\n"


_REDACTION_NOTE = (
    "Addresses, domains, host names, IP addresses and tenant ids are replaced by placeholders "
    "(the same value always gets the same placeholder in this report); Microsoft's own host "
    "names are kept. Secrets are removed."
)


def _redact_report(redactor: Redactor, report: Report) -> Result:
    clean = redactor.data(report.to_dict())
    result = result_type(report.schema).from_dict(clean, report.title)
    result.title = redactor.text(report.title)
    return result


# -- charts -------------------------------------------------------------------------------------
def _charts_script(charts: Sequence[tuple[str, go.Figure]], nonce: str) -> str:
    if not charts:
        return ""
    from o365diag.plotly_bundle import plotly_js, script_safe_js

    islands = "".join(
        f'<script type="application/json" class="o365diag-figure" data-target="{div_id}">'
        f"{_script_safe(figure.to_json())}</script>"
        for div_id, figure in charts
    )
    library = script_safe_js(plotly_js(figure for _, figure in charts))
    draw = (
        "document.querySelectorAll('script.o365diag-figure').forEach(function(s){"
        "var f=JSON.parse(s.textContent);"
        "Plotly.newPlot(s.dataset.target,f.data,f.layout,"
        "{responsive:true,displaylogo:false});});"
    )
    return (
        f'{islands}<script nonce="{nonce}">{library}</script>'
        f'<script nonce="{nonce}">{draw}</script>'
    )


def _script_safe(json_text: str) -> str:
    """JSON that cannot end its <script> element early."""
    return json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csp_meta(nonce: str) -> str:
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
    )
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
