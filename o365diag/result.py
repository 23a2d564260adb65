"""The capability contract: a result that knows its schema and renders itself.

Every capability's result class derives from ``Result`` and is registered once in
``o365diag.capabilities``. The command line, the shared report and the apps only call what is
defined here, so none of them holds code for one schema:

- ``SCHEMA`` (the version this code writes) and ``title_from(data)`` (its title, from data);
- ``facts()``: the few (label, value) pairs a ticket needs first;
- ``to_text()``, ``body_html()``, ``to_markdown()`` and ``figures()`` (plotly, imported lazily);
- ``to_dict()`` / ``to_json()`` and ``from_dict()``, which reads a result saved by this or an
  older version (``upgrade`` moves older data forward). A saved result whose data has another
  shape still renders: the generic layout takes over when a capability's own view fails.

The data is typed: ``MODEL`` names the data class tree (in the capability's ``model`` module)
that describes the JSON, ``model`` returns it, checked value by value (``o365diag.typed``), and
``from_model`` builds a result from it. Views read the typed model, never the raw dictionary.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from o365diag.errors import InputError
from o365diag.findings import Finding, Report, escape_html, render_findings_html
from o365diag.typed import ModelError, dump, load

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "DEFAULT_TITLE",
    "RENDER_ERRORS",
    "SCHEMA_PATTERN",
    "ModelError",
    "Result",
    "ResultLoadError",
    "data_html",
    "generic_html",
    "markdown_inline",
    "split_schema",
]

ModelT = TypeVar("ModelT")
ResultT = TypeVar("ResultT", bound="Result")

SCHEMA_PATTERN = re.compile(r"^(o365diag\.[a-z][a-z0-9_-]*)/(\d{1,6})$")
DEFAULT_TITLE = "o365diag report"
# What a capability's own view may raise on data saved with another shape; the generic view
# (or no chart, no facts) is used instead. Anything else is a bug and propagates.
RENDER_ERRORS = (AttributeError, LookupError, TypeError, ValueError, ArithmeticError)


class ResultLoadError(InputError):
    """A saved object that is no o365diag result; the message names the input and the reason."""


def split_schema(schema: object) -> tuple[str, int] | None:
    """``("o365diag.headers", 1)`` from ``"o365diag.headers/1"``; None if it is no schema."""
    if not isinstance(schema, str):
        return None
    match = SCHEMA_PATTERN.match(schema)
    return (match.group(1), int(match.group(2))) if match else None


@dataclass
class Result(Report):
    """Base of every capability's result: its schema, title, facts, findings and views."""

    schema: str = ""
    SCHEMA: ClassVar[str] = ""
    # The data class tree that describes ``data``; None for a result of an unknown schema.
    MODEL: ClassVar[type[Any] | None] = None

    def __post_init__(self) -> None:
        if not self.schema:
            self.schema = self.SCHEMA
        if self.title == DEFAULT_TITLE:
            self.title = self.safe_title(self.data, self.schema)

    # -- the typed data ------------------------------------------------------------------------
    @classmethod
    def from_model(
        cls: type[ResultT],
        model: Any,
        findings: list[Finding] | None = None,
        title: str = DEFAULT_TITLE,
    ) -> ResultT:
        """A result whose data is the JSON of ``model`` (an instance of ``MODEL``)."""
        if cls.MODEL is not None and not isinstance(model, cls.MODEL):
            raise TypeError(f"{cls.__name__} takes a {cls.MODEL.__name__}, not {type(model)}")
        data = dump(model)
        assert isinstance(data, dict)
        return cls(cls.SCHEMA, data, list(findings or []), title)

    def typed(self, cls: type[ModelT]) -> ModelT:
        """``data`` as an instance of the data class ``cls``; ``ModelError`` (a ``ValueError``,
        so views fall back to the generic layout) when the saved data has another shape."""
        return load(cls, self.data, self.schema or "data")

    def check_model(self) -> str | None:
        """Why ``data`` does not fit ``MODEL``, or None when it fits (or there is no model)."""
        if self.MODEL is None:
            return None
        try:
            self.typed(self.MODEL)
        except ModelError as exc:
            return str(exc)
        return None

    # -- what a capability overrides ------------------------------------------------------------
    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        """The title, from the data alone (so a saved result gets the same one); empty for the
        generic ``Result (schema)``."""
        return ""

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Data saved under an older ``version`` of the schema, in today's shape."""
        return data

    def facts(self) -> list[tuple[str, Any]]:
        """The few values a ticket needs first, as (label, value)."""
        return []

    def body_html(self) -> str:
        """This result as an HTML fragment (every value escaped); the generic layout here."""
        return generic_html(self)

    def figures(self) -> list[go.Figure]:
        """Charts drawn from the data (plotly is imported by the overriding method only)."""
        return []

    def markdown_extra(self) -> list[str]:
        """Markdown lines after the findings and fixes (a transcript, a table)."""
        return []

    # -- what everyone calls --------------------------------------------------------------------
    @classmethod
    def safe_title(cls, data: Mapping[str, Any], schema: str) -> str:
        try:
            title = cls.title_from(data)
        except RENDER_ERRORS:
            title = ""
        return title or f"Result ({schema or 'unknown schema'})"

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], name: str = "") -> Result:
        """A result from its saved JSON object (``schema`` key, data and findings)."""
        where = name or "input"
        parsed = split_schema(obj.get("schema"))
        if parsed is None:
            raise ResultLoadError(f"{where}: not an o365diag result (no 'schema' key)")
        schema = str(obj["schema"])
        raw_findings = obj.get("findings") or []
        if not isinstance(raw_findings, list):
            raise ResultLoadError(f"{where}: 'findings' is not a list")
        try:
            findings = [Finding.from_dict(f) for f in raw_findings]
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ResultLoadError(f"{where}: a finding is malformed ({exc})") from None
        data = {k: v for k, v in obj.items() if k not in ("schema", "findings")}
        current = split_schema(cls.SCHEMA)
        if current is not None and parsed[1] < current[1]:
            data, schema = cls.upgrade(data, parsed[1]), cls.SCHEMA
        return cls(schema, data, findings, cls.safe_title(data, schema))

    def safe_facts(self) -> list[tuple[str, str]]:
        try:
            facts = self.facts()
        except RENDER_ERRORS:
            return []
        return [(label, str(value)) for label, value in facts if value not in (None, "")]

    def section_html(self) -> str:
        """``body_html``, or the generic layout for data saved with another shape."""
        try:
            return self.body_html()
        except RENDER_ERRORS:
            return generic_html(self)

    def safe_figures(self) -> list[go.Figure]:
        try:
            return self.figures()
        except RENDER_ERRORS:
            return []  # a chart is a bonus; the tables already carry the data

    def to_html(self, body_html: str | None = None) -> str:
        return super().to_html(self.section_html() if body_html is None else body_html)

    def to_markdown(self, number: int | None = None) -> str:
        return "\n".join(self.markdown_lines(number)) + "\n"

    def markdown_lines(self, number: int | None = None) -> list[str]:
        heading = (
            f"{number}. {markdown_inline(self.title)}" if number else markdown_inline(self.title)
        )
        lines = [
            f"## {heading}",
            "",
            f"Worst: **{self.worst.value}** · {len(self.findings)} finding(s) · "
            f"schema `{self.schema}`",
        ]
        facts = self.safe_facts()
        if facts:
            lines += ["", *(f"- **{markdown_inline(k)}:** {markdown_inline(v)}" for k, v in facts)]
        if self.findings:
            lines += ["", "| Severity | Code | Finding |", "|---|---|---|"]
            lines += [
                f"| {f.severity.value} | `{f.code}` | {markdown_inline(f.title)} |"
                for f in self.sorted_findings()
            ]
        fixes = [f for f in self.sorted_findings() if f.fix]
        if fixes:
            lines += ["", "What to change:", ""]
            lines += [f"{i}. `{f.code}`: {markdown_inline(f.fix)}" for i, f in enumerate(fixes, 1)]
        with contextlib.suppress(*RENDER_ERRORS):
            lines += self.markdown_extra()
        return lines


# -- generic views --------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def markdown_inline(text: Any) -> str:
    """Inline Markdown text: one line, with the characters that format escaped."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def generic_html(report: Report) -> str:
    """Any result: its findings, then its data as nested tables (every value escaped)."""
    return (
        f"<h2>{escape_html(report.title)}</h2>"
        + render_findings_html(report.sorted_findings(), heading="Findings")
        + "<h3>Details</h3>"
        + data_html(report.data)
    )


def data_html(value: Any) -> str:
    """Any JSON-like value as nested, escaped tables (bounded in rows and depth)."""
    return _value_html(value, 0)


_MAX_ROWS = 200
_MAX_DEPTH = 4


def _value_html(value: Any, depth: int) -> str:
    if isinstance(value, Mapping):
        if depth >= _MAX_DEPTH:
            return _pre_json(value)
        rows = "".join(
            f"<tr><th>{escape_html(str(k))}</th><td>{_value_html(v, depth + 1)}</td></tr>"
            for k, v in list(value.items())[:_MAX_ROWS]
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        return _list_html(value, depth)
    return escape_html("—" if value is None else str(value))


def _list_html(items: list[Any], depth: int) -> str:
    if not items:
        return "—"
    shown = items[:_MAX_ROWS]
    more = f"<p>… {len(items) - _MAX_ROWS} more</p>" if len(items) > _MAX_ROWS else ""
    if all(isinstance(item, Mapping) for item in shown) and depth < _MAX_DEPTH:
        columns = list(dict.fromkeys(k for item in shown for k in item))[:12]
        head = "".join(f"<th>{escape_html(str(c))}</th>" for c in columns)
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
    return f"<pre>{escape_html(json.dumps(value, indent=1, ensure_ascii=False, default=str))}</pre>"
