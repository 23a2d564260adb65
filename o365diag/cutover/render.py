"""The cutover result as terminal text, Markdown rows and HTML (all untrusted text escaped)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from o365diag.cutover.model import CutoverAssessment, IdentityRow
from o365diag.findings import Report, escape_html, render_cards_html, render_findings_html
from o365diag.wording import plural

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["charts_html", "markdown_rows", "result_fragment", "result_text"]

_COLUMNS = (
    "identity",
    "auth",
    "smtp_auth_state",
    "status",
    "path",
    "ips",
    "last_seen",
    "msg/day",
    "risk",
)


def _cells(row: IdentityRow) -> list[str]:
    return [
        row.identity + (f" (app {row.app_id})" if row.app_id else ""),
        row.auth,
        row.smtp_auth_state,
        row.status,
        row.path,
        str(len(row.source_ips)),
        row.last_seen.date().isoformat() if row.last_seen else "-",
        f"{row.messages_per_day:g}" if row.messages_per_day is not None else "-",
        ", ".join(row.risk) or "-",
    ]


def result_text(result: CutoverAssessment, report: Report) -> str:
    lines = [report.title, "=" * len(report.title), ""]
    table = [list(_COLUMNS)] + [_cells(r) for r in result.identities]
    widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    lines += ["", *_plan_lines(result.plan), ""]
    lines += _input_lines(result.inputs)
    lines += ["", *_burndown_lines(result.burndown)]
    lines += ["", *(f.to_text() for f in report.sorted_findings())]
    return "\n".join(lines) + "\n"


def _plan_lines(plan: dict[str, Any]) -> list[str]:
    lines = ["Plan", "----"]
    countdown = plan.get("countdown") or {}
    lines.append(
        f"{countdown.get('days_to_cutover')} days to {countdown.get('cutover_date')} "
        f"(as of {countdown.get('as_of')})"
    )
    for item in plan.get("turn_off_now") or []:
        lines.append(f"now ({item['why']}): {item['command']}")
    canary = plan.get("canary")
    if canary:
        lines.append(f"canary: {canary['identity']} -> {canary['path']}")
        lines.append(f"  then: {canary['block_basic']}")
    for wave in plan.get("waves") or []:
        for item in wave["identities"]:
            lines.append(f"{wave['name']}: {item['identity']} -> {item['path']}")
    block = plan.get("block_basic") or {}
    if block:
        lines.append(f"create the policy: {block['create_policy']}")
        lines.append(f"organization, once all moved: {block['organization']}")
    rollback = plan.get("rollback") or {}
    if rollback:
        lines.append(f"rollback: {rollback['per_mailbox']}")
    return lines


def _input_lines(inputs: dict[str, Any]) -> list[str]:
    lines = ["Inputs", "------"]
    for item in inputs.get("read", []):
        lines.append(f"read {item['file']}: {item['kind']}, {item.get('rows', 0):,} rows")
    for item in inputs.get("missing", []):
        lines.append(f"missing {item['input']}: {item['cost']}")
    if inputs.get("history"):
        lines.append(f"history: {inputs['history']}")
    return lines


_DATED_BY = {
    "content": "its content",
    "file-name": "its file name",
    "folder-name": "its folder's name",
    "as-of": "the as-of date",
}


def _burndown_lines(burndown: dict[str, Any]) -> list[str]:
    """The weekly counts of identities still on Basic, or why there are none, and the
    snapshots they come from."""
    if not burndown:
        return []
    lines = ["Burndown: identities still on Basic per ISO week", "-" * 48]
    if burndown.get("note"):
        lines.append(str(burndown["note"]))
    else:
        for week in burndown.get("weeks") or []:
            lines.append(
                f"{week['iso_week']} ({week['week']} to {week['week_end']}): "
                f"{week['identities_on_basic']} ({plural(week['snapshots'], 'snapshot')})"
            )
    for item in burndown.get("snapshots") or []:
        by = _DATED_BY.get(item["dated_by"], item["dated_by"])
        lines.append(
            f"snapshot {item['file']}: {item['kind']}, {item['date']} (dated by {by}), "
            f"{item['identities_on_basic']} on Basic"
        )
    for item in burndown.get("left_out") or []:
        lines.append(f"left out {item['file']}: {item['why']}")
    return lines


def markdown_rows(result: CutoverAssessment) -> list[str]:
    """The identities table and the plan, for the Markdown summary."""
    lines = ["", "| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for row in result.identities:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |")
    return [*lines, "", "```", *_plan_lines(result.plan), "```"]


def _state(count: int) -> str:
    return "bad" if count else "good"


def result_fragment(result: CutoverAssessment, report: Report | None = None) -> str:
    """The result as an HTML fragment for notebooks, apps and the shared report."""
    esc = escape_html
    report = report or result.to_result()
    status = result.by_status()
    breaking = status["breaks-at-cutover"]
    cards = [
        ("days to cutover", str(result.days_to_cutover), "neutral"),
        ("broken", str(status["broken"]), _state(status["broken"])),
        ("breaks at cutover", str(breaking), _state(breaking)),
        ("unused but enabled", str(status["unused-enabled"]), "neutral"),
        ("safe", str(status["safe"]), "good"),
    ]
    head = "".join(f"<th>{esc(c)}</th>" for c in _COLUMNS)
    rows = ("".join(f"<td>{esc(c)}</td>" for c in _cells(r)) for r in result.identities)
    body = "".join(f"<tr>{cells}</tr>" for cells in rows)
    steps = "".join(_steps_html(r) for r in result.identities if r.steps)
    parts = [
        f"<h2>{esc(report.title)}</h2>",
        render_cards_html(cards),
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
        "<h4>Plan</h4>",
        "<pre>" + esc("\n".join(_plan_lines(result.plan))) + "</pre>",
        "<h4>Steps per identity</h4>",
        steps,
        "<h4>Inputs</h4>",
        "<pre>" + esc("\n".join(_input_lines(result.inputs))) + "</pre>",
        _burndown_html(result.burndown),
        render_findings_html(report.sorted_findings(), heading="Findings"),
    ]
    return '<div class="o365diag">' + "".join(parts) + "</div>"


def _burndown_html(burndown: dict[str, Any]) -> str:
    lines = _burndown_lines(burndown)
    if not lines:
        return ""
    body = "\n".join(lines[2:])
    return f"<h4>{escape_html(lines[0])}</h4><pre>{escape_html(body)}</pre>"


def _steps_html(row: IdentityRow) -> str:
    esc = escape_html
    items = "".join(
        f"<li><em>{esc(s['kind'])}</em>: <code>{esc(s['text'])}</code></li>" for s in row.steps
    )
    summary = f"{esc(row.identity)} → {esc(row.path)}"
    return f"<details><summary>{summary}</summary><ul>{items}</ul></details>"


def charts_html(figures: list[go.Figure]) -> str:
    """The charts after one inline copy of the smallest plotly.js that draws them (offline)."""
    if not figures:
        return ""
    from o365diag.plotly_bundle import plotly_js, script_safe_js

    library = f"<script>{script_safe_js(plotly_js(figures))}</script>"
    charts = [
        f.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})
        for f in figures
    ]
    return "<h4>Charts</h4>" + library + "".join(charts)
