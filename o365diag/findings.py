"""The one result model: Finding, Severity and Report, with text, JSON and HTML rendering."""

from __future__ import annotations

import enum
import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from o365diag.knowledge import KnowledgeError, load_table

__all__ = [
    "Finding",
    "Report",
    "Severity",
    "catalogue_finding",
    "copy_button_html",
    "escape_html",
    "fill_template",
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
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _SEVERITY_RANK[self] < _SEVERITY_RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _SEVERITY_RANK[self] <= _SEVERITY_RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _SEVERITY_RANK[self] > _SEVERITY_RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _SEVERITY_RANK[self] >= _SEVERITY_RANK[other]


# A dict, not list.index: severities are compared for every finding of every analysis.
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}

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

    # Written out rather than generated: the generated __init__ of a frozen dataclass sets each
    # field through object.__setattr__, three times slower than storing into the instance's
    # dict, and every analysis builds findings. Same signature; the class stays frozen (its
    # __setattr__ still refuses), equality and hash are still generated from the fields.
    def __init__(
        self,
        code: str,
        severity: Severity,
        title: str,
        detail: str = "",
        fix: str = "",
        evidence: tuple[str, ...] = (),
        references: tuple[str, ...] = (),
    ) -> None:
        stored = self.__dict__
        stored["code"] = code
        stored["severity"] = severity
        stored["title"] = title
        stored["detail"] = detail
        stored["fix"] = fix
        stored["evidence"] = evidence
        stored["references"] = references

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


# Colours come from JupyterLab's theme variables, so the findings follow a dark theme in the
# lab, in Voila and in nbconvert's pages; the fallbacks are the light theme, for pages without
# them (the exported report defines them itself, light or dark as the reader's system prefers).
_THEME_VARS = {
    "light": (
        "--jp-layout-color0:#fff;--jp-layout-color1:#fff;--jp-layout-color2:#eee;"
        "--jp-content-font-color1:#1b1b1b;--jp-border-color1:#bdbdbd;--jp-border-color2:#e0e0e0;"
        "--jp-content-link-color:#0d47a1"
    ),
    "dark": (
        "--jp-layout-color0:#111;--jp-layout-color1:#212121;--jp-layout-color2:#424242;"
        "--jp-content-font-color1:#fff;--jp-border-color1:#616161;--jp-border-color2:#424242;"
        "--jp-content-link-color:#90caf9"
    ),
}
_PAGE_CSS = (
    f":root{{{_THEME_VARS['light']}}}"
    f"@media (prefers-color-scheme:dark){{:root{{{_THEME_VARS['dark']}}}}}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem;"
    "color:var(--jp-content-font-color1);background:var(--jp-layout-color0)}"
)
TEXT = "var(--jp-content-font-color1,#1b1b1b)"
PANEL = "var(--jp-layout-color2,#eee)"
BORDER = "var(--jp-border-color1,#bdbdbd)"
MONOSPACE = "var(--jp-code-font-family,ui-monospace,Consolas,monospace)"
# Scoped to .o365diag so it styles the findings the same in a page, a notebook and an app.
_CSS = f"""
.o365diag{{color:{TEXT}}}
.o365diag a{{color:var(--jp-content-link-color,#0d47a1)}}
.o365diag table{{border-collapse:collapse;margin:.5rem 0}}
.o365diag td,.o365diag th{{border:1px solid {BORDER};padding:.25rem .5rem;text-align:left;
vertical-align:top;color:{TEXT}}}
.o365diag .finding{{border-left:.4rem solid #999;padding:.3rem .6rem;margin:.4rem 0;
background:{PANEL};color:{TEXT}}}
.o365diag .sev-ok{{border-color:#2e7d32}}.o365diag .sev-info{{border-color:#1565c0}}
.o365diag .sev-warning{{border-color:#ef6c00}}.o365diag .sev-error{{border-color:#c62828}}
.o365diag .sev-critical{{border-color:#6a1b9a}}
.o365diag .code{{font-family:{MONOSPACE};font-size:.9em;color:{TEXT}}}
.o365diag pre,.o365diag code{{font-family:{MONOSPACE}}}
.o365diag pre{{white-space:pre-wrap;word-break:break-all;color:{TEXT};
background:var(--jp-layout-color1,#fff);border:1px solid var(--jp-border-color2,#e0e0e0);
padding:.3rem;margin:.2rem 0}}
.o365diag-copy{{font-size:.8em;margin-left:.5em;padding:0 .5em;cursor:pointer;color:{TEXT};
background:var(--jp-layout-color1,#fff);border:1px solid {BORDER};border-radius:3px}}
"""
STYLE = f"<style>{_CSS}</style>"


def standalone_page(title: str, body_html: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape_html(title)}</title><style>{_PAGE_CSS}{_CSS}</style></head>"
        f'<body><div class="o365diag">{body_html}</div></body></html>\n'
    )


def copy_button_html(text: str, label: str = "Copy") -> str:
    """A button that puts ``text`` on the clipboard (in a notebook or dashboard; a page with a
    strict Content-Security-Policy shows it inert). The text travels in a data attribute,
    HTML-escaped, so no JavaScript quoting is needed."""
    return (
        f'<button type="button" class="o365diag-copy" data-copy="{escape_html(text)}" '
        'onclick="(navigator.clipboard ? navigator.clipboard.writeText(this.dataset.copy)'
        " : Promise.reject()).then("
        "() => {this.textContent='Copied'}, () => {this.textContent='Select and copy by hand'})\""
        f">{escape_html(label)}</button>"
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


def render_findings_html(
    findings: Iterable[Finding], heading: str | None = None, *, copy: bool = False
) -> str:
    """Findings as escaped HTML blocks, one per finding, carrying their own scoped style; with
    ``copy``, each fix has a Copy button (for the apps: a shared page allows no inline script).
    Evidence already shown by an earlier finding is referred to, not repeated."""
    parts = [f'<div class="o365diag">{STYLE}']
    if heading:
        parts.append(f"<h3>{escape_html(heading)}</h3>")
    for f, shown_by in _evidence_owners(findings):
        parts.append(_finding_html(f, copy, shown_by))
    parts.append("</div>")
    return "".join(parts)


def _finding_html(f: Finding, copy: bool = False, evidence_shown_by: str | None = None) -> str:
    esc = escape_html
    out = [
        f'<div class="finding sev-{f.severity.value}">',
        f'<strong>{esc(f.title)}</strong> <span class="code">{esc(f.code)} · '
        f"{esc(f.severity.value)}</span>",
    ]
    if f.detail:
        out.append(f"<div>{esc(f.detail)}</div>")
    if f.fix:
        button = copy_button_html(f.fix) if copy else ""
        out.append(f'<div class="fix"><em>Fix:</em> {esc(f.fix)}{button}</div>')
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
        f'padding:.3em .8em;margin:.2em;background:{PANEL};color:{TEXT};min-width:7em">'
        f'<div style="font-size:.8em">{escape_html(label)}</div>'
        f'<div style="font-weight:600">{escape_html(value)}</div></div>'
        for label, value, state in cards
    )
    return f'<div class="cards" style="display:flex;flex-wrap:wrap">{cells}</div>'


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Set (to anything) by the test suite: a template naming a value the caller did not pass is
# then an error instead of a visible ``{name}`` left in the text.
STRICT_ENV = "O365DIAG_STRICT_PLACEHOLDERS"


def fill_template(template: str, values: Mapping[str, Any], missing: str = "(unknown)") -> str:
    """``{name}`` placeholders filled from ``values``; ``{{`` and ``}}`` are braces.

    Only ``{identifier}`` is a placeholder, so PowerShell's ``@{Add='<ip>'}`` stays as written.
    A value given as None reads as ``missing``; a name not given at all stays visible as
    ``{name}`` (and raises KnowledgeError when O365DIAG_STRICT_PLACEHOLDERS is set).
    """

    if "{" not in template and "}" not in template:
        return template  # nothing to fill (most fixes and many titles)
    out: list[str] = []
    for literal, name in _template_parts(template):
        out.append(literal)
        if name is None:
            continue
        if name not in values:
            if os.environ.get(STRICT_ENV):
                raise KnowledgeError(f"the text names {{{name}}} but no value was given for it")
            out.append(f"{{{name}}}")
            continue
        value = values[name]
        out.append(missing if value is None else str(value))
    return "".join(out)


@functools.lru_cache(maxsize=2048)
def _template_parts(template: str) -> tuple[tuple[str, str | None], ...]:
    """A template as (text, placeholder name or None) pieces, read once per template (the
    catalogue's texts): ``{{`` and ``}}`` are already single braces in the text."""
    parts: list[tuple[str, str | None]] = []
    copied = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[copied : match.start()]
        name = match.group(1)
        parts.append((literal + match.group(0)[0], None) if name is None else (literal, name))
        copied = match.end()
    parts.append((template[copied:], None))
    return tuple(parts)


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
    ``{name}`` placeholders in them are filled from ``values`` (see ``fill_template``).
    Arguments given here win.
    """
    default_severity, title_text, meaning, fix_text, source = _catalogue_entry(table, code)
    fields = values if isinstance(values, dict) else dict(values or {})
    return Finding(
        code=code,
        severity=severity or default_severity,
        title=title or fill_template(title_text, fields, missing),
        detail=detail or fill_template(meaning, fields, missing),
        fix=fix if fix is not None else fill_template(fix_text, fields, missing),
        evidence=tuple(evidence)[:max_evidence],
        references=(source,) if not references else tuple(dict.fromkeys((*references, source))),
    )


@functools.lru_cache(maxsize=1024)
def _catalogue_entry(table: str, code: str) -> tuple[Severity, str, str, str, str]:
    """A catalogue entry's severity, title, meaning, fix and source, read once per code."""
    entry = load_table(table).lookup(code)
    if entry is None:
        raise KeyError(f"finding code {code!r} is not in {table}.json")
    severity = Severity(entry.get("severity", "info"))
    return (
        severity,
        str(entry.get("title", code)),
        entry.meaning,
        str(entry.get("fix", "")),
        entry.source,
    )
