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
import importlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from o365diag import __version__
from o365diag.findings import Finding, Report, render_findings_html, standalone_page
from o365diag.redact import Redactor
from o365diag.wording import duration

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "ReportInputError",
    "SharedReport",
    "load_input",
    "report_from_dict",
]

SCHEMA_PATTERN = re.compile(r"^o365diag\.[a-z][a-z0-9_-]*/\d+$")
MAX_RESULTS = 500
_DEFAULT_TITLE = "o365diag report"

# Capabilities that render their own section: schema -> "module:function(report) -> html".
_SECTION_RENDERERS = {
    "o365diag.headers/1": "o365diag.headers.render:analysis_html",
    "o365diag.smtp/1": "o365diag.smtp.render:render_html",
    "o365diag.dns/1": "o365diag.dns.render:audit_html",
}


class ReportInputError(ValueError):
    """An input that holds no usable result; the message names the input and the reason."""


# -- loading ------------------------------------------------------------------------------------
def report_from_dict(obj: Mapping[str, Any], name: str = "") -> Report:
    """A Report from one saved JSON object (``schema`` key plus data and findings)."""
    schema = obj.get("schema")
    if not isinstance(schema, str) or not SCHEMA_PATTERN.match(schema):
        raise ReportInputError(f"{name or 'input'}: not an o365diag result (no 'schema' key)")
    raw_findings = obj.get("findings") or []
    if not isinstance(raw_findings, list):
        raise ReportInputError(f"{name}: 'findings' is not a list")
    try:
        findings = [Finding.from_dict(f) for f in raw_findings]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ReportInputError(f"{name}: a finding is malformed ({exc})") from None
    data = {k: v for k, v in obj.items() if k not in ("schema", "findings")}
    return Report(schema=schema, data=data, findings=findings, title=_title_for(schema, data))


def load_input(raw: bytes, name: str) -> tuple[list[Report], list[str]]:
    """Reports from one input and notes about parts that were skipped.

    JSON (an object, a list, or one object per line) is read as saved results; anything else
    is treated as message headers (text, .eml or .msg) and analyzed.
    """
    text = _as_text(raw)
    if text is not None and text.lstrip()[:1] in ("{", "["):
        return _load_json(text, name)
    from o365diag.headers import InputError, analyze

    try:
        return [analyze(raw, name=name)], []
    except InputError as exc:
        raise ReportInputError(f"{name}: {exc}") from None


def _as_text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _load_json(text: str, name: str) -> tuple[list[Report], list[str]]:
    try:
        objects = _json_objects(text)
    except ValueError as exc:
        raise ReportInputError(f"{name}: not valid JSON ({exc})") from None
    reports: list[Report] = []
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
    stripped = text.strip()
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        # JSON lines: one object per line (the bulk mode of `o365diag headers --jsonl`).
        return [json.loads(line) for line in stripped.splitlines() if line.strip()]
    return value if isinstance(value, list) else [value]


def _title_for(schema: str, data: Mapping[str, Any]) -> str:
    kind = schema.split("/")[0].removeprefix("o365diag.")
    if kind == "headers":
        subject = _get(data, "summary", "subject")
        return f"Header analysis: {subject}" if subject else "Header analysis"
    if kind == "smtp":
        host, port = _get(data, "target", "host"), _get(data, "target", "port")
        return f"Connection test: {host}:{port}" if host else "Connection test"
    if kind == "dns":
        return f"Domain check: {data.get('domain')}" if data.get("domain") else "Domain check"
    titles = {
        "spf": "SPF evaluation",
        "trace": "Message trace",
        "setup": "Setup assistant",
        "audit": "Configuration audit",
    }
    return titles.get(kind, f"Result ({schema})")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


# -- the shared report --------------------------------------------------------------------------
@dataclass
class SharedReport:
    """Reports made safe to share, and their HTML and Markdown renderings."""

    reports: list[Report]
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
        self, number: int, report: Report, charts: list[tuple[str, go.Figure]]
    ) -> str:
        chart_divs = []
        for figure in _figures(report):
            div_id = f"chart-{len(charts) + 1}"
            charts.append((div_id, figure))
            chart_divs.append(f'<div id="{div_id}" class="chart" style="min-height:240px"></div>')
        raw = html.escape(report.to_json())
        return (
            f'<section id="result-{number}"><hr>{_section_body(report)}'
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
            lines += ["", *_report_markdown(number, report)]
        return "\n".join(lines) + "\n"


_REDACTION_NOTE = (
    "Addresses, domains, host names, IP addresses and tenant ids are replaced by placeholders "
    "(the same value always gets the same placeholder in this report); Microsoft's own host "
    "names are kept. Secrets are removed."
)


def _redact_report(redactor: Redactor, report: Report) -> Report:
    clean = redactor.data(report.to_dict())
    data = {k: v for k, v in clean.items() if k not in ("schema", "findings")}
    findings = [Finding.from_dict(f) for f in clean["findings"]]
    return Report(
        schema=report.schema, data=data, findings=findings, title=redactor.text(report.title)
    )


# -- sections -----------------------------------------------------------------------------------
def _section_body(report: Report) -> str:
    target = _SECTION_RENDERERS.get(report.schema)
    if target is not None:
        module_name, _, function_name = target.partition(":")
        try:
            render: Callable[[Report], str] = getattr(
                importlib.import_module(module_name), function_name
            )
            return render(report)
        except (ImportError, AttributeError, LookupError, TypeError, ValueError):
            pass  # a result saved by another version: the generic layout still shows it all
    return generic_html(report)


def generic_html(report: Report) -> str:
    """Any result: its findings, then its data as nested tables (every value escaped)."""
    return (
        f"<h2>{html.escape(report.title)}</h2>"
        + render_findings_html(report.sorted_findings(), heading="Findings")
        + "<h3>Details</h3>"
        + _value_html(report.data, 0)
    )


_MAX_ROWS = 200
_MAX_DEPTH = 4


def _value_html(value: Any, depth: int) -> str:
    if isinstance(value, Mapping):
        if depth >= _MAX_DEPTH:
            return _pre_json(value)
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{_value_html(v, depth + 1)}</td></tr>"
            for k, v in list(value.items())[:_MAX_ROWS]
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        return _list_html(value, depth)
    return html.escape("—" if value is None else str(value))


def _list_html(items: list[Any], depth: int) -> str:
    if not items:
        return "—"
    shown = items[:_MAX_ROWS]
    more = f"<p>… {len(items) - _MAX_ROWS} more</p>" if len(items) > _MAX_ROWS else ""
    if all(isinstance(item, Mapping) for item in shown) and depth < _MAX_DEPTH:
        columns = list(dict.fromkeys(k for item in shown for k in item))[:12]
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        rows = "".join(
            "<tr>"
            + "".join(f"<td>{_value_html(item.get(c), depth + 1)}</td>" for c in columns)
            + "</tr>"
            for item in shown
        )
        return f"<table><tr>{head}</tr>{rows}</table>{more}"
    cells = "".join(f"<li>{_value_html(item, depth + 1)}</li>" for item in shown)
    return f"<ul>{cells}</ul>{more}"


def _pre_json(value: Any) -> str:
    return f"<pre>{html.escape(json.dumps(value, indent=1, ensure_ascii=False, default=str))}</pre>"


# -- charts -------------------------------------------------------------------------------------
def _figures(report: Report) -> list[go.Figure]:
    from o365diag import report_charts

    builder = report_charts.BUILDERS.get(report.schema)
    if builder is None:
        return []
    try:
        return builder(report.data)
    except (AttributeError, LookupError, TypeError, ValueError):
        return []  # a chart is a bonus; the tables above already carry the data


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


# -- Markdown -----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text: Any) -> str:
    """Inline Markdown text: one line, with the characters that format escaped."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _report_markdown(number: int, report: Report) -> list[str]:
    lines = [
        f"## {number}. {_md(report.title)}",
        "",
        f"Worst: **{report.worst.value}** · {len(report.findings)} finding(s) · "
        f"schema `{report.schema}`",
    ]
    facts = _facts(report)
    if facts:
        lines += ["", *(f"- **{_md(label)}:** {_md(value)}" for label, value in facts)]
    if report.findings:
        lines += ["", "| Severity | Code | Finding |", "|---|---|---|"]
        lines += [
            f"| {f.severity.value} | `{f.code}` | {_md(f.title)} |"
            for f in report.sorted_findings()
        ]
    fixes = [f for f in report.sorted_findings() if f.fix]
    if fixes:
        lines += ["", "What to change:", ""]
        lines += [f"{i}. `{f.code}`: {_md(f.fix)}" for i, f in enumerate(fixes, 1)]
    transcript = _transcript_tail(report.data.get("transcript"))
    if transcript:
        fence = "`" * max(3, _longest_backtick_run(transcript) + 1)
        lines += ["", "Transcript (last lines):", "", fence, transcript, fence]
    return lines


def _facts(report: Report) -> list[tuple[str, str]]:
    """The few values a ticket needs first; none when the saved data has another shape."""
    kind = report.schema.split("/")[0].removeprefix("o365diag.")
    try:
        facts = _headers_facts(report) if kind == "headers" else _plain_facts(kind, report.data)
    except (AttributeError, LookupError, TypeError, ValueError):
        return []
    return [(label, str(value)) for label, value in facts if value not in (None, "")]


def _headers_facts(report: Report) -> list[tuple[str, Any]]:
    from o365diag.headers.render import auth_cards

    cards = [(label, value) for label, value, _ in auth_cards(report.to_dict())]
    transit = report.data.get("total_transit_seconds")
    hops = report.data.get("hops") or []
    lead = report.data.get("most_likely") or {}
    return [
        ("Most likely cause", lead.get("title")),
        *cards,
        ("Hops", f"{len(hops)}, total transit {_seconds(transit)}"),
    ]


def _plain_facts(kind: str, data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    if kind == "smtp":
        failed = next(
            (
                s
                for s in data.get("steps") or []
                if isinstance(s, Mapping) and s.get("status") == "failed"
            ),
            None,
        )
        reply = _get(failed, "reply") if failed else None
        return [
            ("Target", _join(_get(data, "target", "host"), _get(data, "target", "port"), ":")),
            ("Profile", _get(data, "target", "profile")),
            ("Outcome", data.get("outcome")),
            ("Failed step", failed.get("name") if failed else None),
            ("Reply", _join(_get(reply, "code"), _get(reply, "text"), " ") if reply else None),
            ("TLS", _get(data, "tls", "version")),
        ]
    if kind == "dns":
        return [
            ("Domain", data.get("domain")),
            ("SPF", _get(data, "spf", "record")),
            ("DMARC", _get(data, "dmarc", "record")),
        ]
    if kind == "spf":
        return [("Result", data.get("result")), ("Lookups", data.get("lookups"))]
    if kind == "trace":
        start, end = _as_list(data.get("time_range")) or [None, None]
        return [
            ("Format", data.get("format")),
            ("Rows", data.get("rows")),
            ("Time range", _join(start, end, " to ")),
        ]
    if kind == "setup":
        return [("Recommended", _get(data, "recommendation", "option"))]
    return []


def _join(first: Any, second: Any, separator: str) -> str | None:
    if first is None:
        return None
    return f"{first}{separator}{second}" if second is not None else str(first)


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, Mapping):
        return [value.get("start"), value.get("end")]
    if isinstance(value, list) and len(value) == 2:
        return value
    return None


def _seconds(value: Any) -> str:
    return duration(float(value)) if value is not None else "—"


def _transcript_tail(transcript: Any, limit: int = 25) -> str:
    if not isinstance(transcript, list):
        return ""
    lines = []
    for entry in transcript[-limit:]:
        if isinstance(entry, Mapping):
            arrow = {"send": "->", "recv": "<-"}.get(str(entry.get("dir")), "==")
            lines.append(f"{arrow} {entry.get('line', '')}")
    return "\n".join(lines)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
