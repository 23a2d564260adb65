"""The one result model: Finding, Severity and Report, with text, JSON and HTML rendering."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Finding",
    "Report",
    "Severity",
    "catalogue_finding",
    "escape_html",
    "findings_text",
    "render_cards_html",
    "render_findings_html",
]


_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
)


def escape_html(text: str) -> str:
    """Text made safe inside HTML elements and quoted attributes (what html.escape does; the
    html module is not imported because it pulls its entity table into every command's start)."""
    return text.translate(_HTML_ESCAPES)


class Severity(enum.Enum):
    """How much a finding matters, ordered ok < info < warning < error < critical."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_SEVERITY_ORDER = list(Severity)

_TEXT_MARK = {
    Severity.OK: "OK",
    Severity.INFO: "INFO",
    Severity.WARNING: "WARN",
    Severity.ERROR: "ERROR",
    Severity.CRITICAL: "CRIT",
}


@dataclass(frozen=True)
class Finding:
    """One observation with its meaning and, where something is wrong, the fix."""

    code: str
    severity: Severity
    title: str
    detail: str = ""
    fix: str = ""
    evidence: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "evidence": list(self.evidence),
            "references": list(self.references),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            code=str(data["code"]),
            severity=Severity(data["severity"]),
            title=str(data.get("title", "")),
            detail=str(data.get("detail", "")),
            fix=str(data.get("fix", "")),
            evidence=tuple(str(e) for e in data.get("evidence", ())),
            references=tuple(str(r) for r in data.get("references", ())),
        )

    def to_text(self, evidence_shown_by: str | None = None) -> str:
        """The finding as terminal lines; ``evidence_shown_by`` names an earlier finding that
        already showed the same evidence, which is then referred to instead of repeated."""
        lines = [f"[{_TEXT_MARK[self.severity]}] {self.code}: {self.title}"]
        if self.detail:
            lines.append(f"    {self.detail}")
        if self.fix:
            lines.append(f"    Fix: {self.fix}")
        if evidence_shown_by and self.evidence:
            lines.append(f"    > (the same evidence as {evidence_shown_by} above)")
        else:
            lines.extend(f"    > {line}" for line in self.evidence)
        lines.extend(f"    see {ref}" for ref in self.references)
        return "\n".join(lines)


@dataclass
class Report:
    """Structured data for one schema plus the findings drawn from it."""

    schema: str
    data: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    title: str = "o365diag report"

    @property
    def worst(self) -> Severity:
        return max((f.severity for f in self.findings), default=Severity.OK)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def sorted_findings(self) -> list[Finding]:
        """Findings, worst first; equal severities keep the order they were found in."""
        return sorted(self.findings, key=lambda f: -f.severity.rank)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            **self.data,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def to_text(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        if not self.findings:
            lines.append("No findings.")
        lines.extend(findings_text(self.sorted_findings()))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render_findings_html(self.sorted_findings(), heading=self.title)

    def to_html(self, body_html: str | None = None) -> str:
        """A standalone HTML page: the given body (already escaped) or the findings."""
        body = body_html if body_html is not None else self._repr_html_()
        return standalone_page(self.title, body)

    def __str__(self) -> str:
        return self.to_text()


_PAGE_CSS = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem;color:#1b1b1b}"
)
# Scoped to .o365diag so it styles the findings the same in a page, a notebook and an app.
_CSS = """
.o365diag table{border-collapse:collapse;margin:.5rem 0}
.o365diag td,.o365diag th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;
vertical-align:top}
.o365diag .finding{border-left:.4rem solid #999;padding:.3rem .6rem;margin:.4rem 0;
background:#fafafa}
.o365diag .sev-ok{border-color:#2e7d32}.o365diag .sev-info{border-color:#1565c0}
.o365diag .sev-warning{border-color:#ef6c00}.o365diag .sev-error{border-color:#c62828}
.o365diag .sev-critical{border-color:#6a1b9a}
.o365diag .code{font-family:ui-monospace,Consolas,monospace;font-size:.9em;color:#555}
.o365diag pre{white-space:pre-wrap;word-break:break-all;background:#f3f3f3;padding:.3rem;
margin:.2rem 0}
"""


def standalone_page(title: str, body_html: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape_html(title)}</title><style>{_PAGE_CSS}{_CSS}</style></head>"
        f'<body><div class="o365diag">{body_html}</div></body></html>\n'
    )


def findings_text(findings: Iterable[Finding]) -> list[str]:
    """Each finding as text, evidence already shown by an earlier finding referred to."""
    return [f.to_text(shown_by) for f, shown_by in _evidence_owners(findings)]


def _evidence_owners(findings: Iterable[Finding]) -> Iterator[tuple[Finding, str | None]]:
    """Each finding with the code of the earlier finding that showed the same evidence."""
    first: dict[tuple[str, ...], str] = {}
    for f in findings:
        owner = first.setdefault(f.evidence, f.code) if f.evidence else f.code
        yield f, (owner if owner != f.code else None)


def render_findings_html(findings: Iterable[Finding], heading: str | None = None) -> str:
    """Findings as escaped HTML blocks, one per finding, carrying their own scoped style."""
    parts = [f'<div class="o365diag"><style>{_CSS}</style>']
    if heading:
        parts.append(f"<h3>{escape_html(heading)}</h3>")
    for f, shown_by in _evidence_owners(findings):
        parts.append(_finding_html(f, shown_by))
    parts.append("</div>")
    return "".join(parts)


def _finding_html(f: Finding, evidence_shown_by: str | None = None) -> str:
    esc = escape_html
    out = [
        f'<div class="finding sev-{f.severity.value}">',
        f'<strong>{esc(f.title)}</strong> <span class="code">{esc(f.code)} · '
        f"{esc(f.severity.value)}</span>",
    ]
    if f.detail:
        out.append(f"<div>{esc(f.detail)}</div>")
    if f.fix:
        out.append(f"<div><em>Fix:</em> {esc(f.fix)}</div>")
    if f.evidence and evidence_shown_by:
        out.append(f'<div class="code">Evidence: the same as {esc(evidence_shown_by)} above.</div>')
    elif f.evidence:
        out.append("<pre>" + esc("\n".join(f.evidence)) + "</pre>")
    for ref in f.references:
        if ref.startswith(("https://", "http://")):
            out.append(f'<div><a href="{esc(ref)}" rel="noopener noreferrer">{esc(ref)}</a></div>')
        else:
            out.append(f"<div>{esc(ref)}</div>")
    out.append("</div>")
    return "".join(out)


_CARD_COLORS = {"good": "#2e7d32", "bad": "#c62828", "neutral": "#757575"}


def render_cards_html(cards: Iterable[tuple[str, str, str]]) -> str:
    """A row of summary cards from (label, value, state) with state good, bad or neutral."""
    cells = "".join(
        f'<div class="card" style="border-top:4px solid {_CARD_COLORS.get(state, "#757575")};'
        'padding:.3em .8em;margin:.2em;background:#f7f7f7;min-width:7em">'
        f'<div style="font-size:.8em;color:#555">{escape_html(label)}</div>'
        f'<div style="font-weight:600">{escape_html(value)}</div></div>'
        for label, value, state in cards
    )
    return f'<div class="cards" style="display:flex;flex-wrap:wrap">{cells}</div>'


class _Blank(dict[str, Any]):
    """format_map values: a value nobody supplied reads as ``missing`` instead of a KeyError."""

    def __init__(self, values: Mapping[str, Any], missing: str) -> None:
        super().__init__(values)
        self.missing = missing

    def __missing__(self, key: str) -> str:
        return self.missing


def catalogue_finding(
    table: str,
    code: str,
    values: Mapping[str, Any] | None = None,
    *,
    severity: Severity | None = None,
    title: str | None = None,
    detail: str = "",
    fix: str | None = None,
    evidence: Iterable[str] = (),
    references: Iterable[str] = (),
    missing: str = "(unknown)",
    max_evidence: int = 20,
) -> Finding:
    """A finding from the catalogue entry ``code`` of knowledge table ``table``.

    The entry gives the default severity, the title, the meaning (used as detail) and the fix;
    ``{name}`` placeholders in them are filled from ``values``. Arguments given here win.
    """
    from o365diag.knowledge import load_table

    entry = load_table(table).lookup(code)
    if entry is None:
        raise KeyError(f"finding code {code!r} is not in {table}.json")
    fields = _Blank({k: v for k, v in (values or {}).items() if v is not None}, missing)
    return Finding(
        code=code,
        severity=severity or Severity(entry.get("severity", "info")),
        title=title or str(entry.get("title", code)).format_map(fields),
        detail=detail or entry.meaning.format_map(fields),
        fix=fix if fix is not None else str(entry.get("fix", "")).format_map(fields),
        evidence=tuple(evidence)[:max_evidence],
        references=tuple(dict.fromkeys((*references, entry.source))),
    )
