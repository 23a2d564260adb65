"""The cutover result as terminal text, Markdown and HTML (all untrusted text escaped)."""

from __future__ import annotations

from typing import Any

from o365diag.cutover.model import CutoverResult, IdentityRow
from o365diag.findings import escape_html, render_cards_html, render_findings_html, standalone_page

__all__ = ["result_fragment", "result_html", "result_markdown", "result_text"]

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


def result_text(result: CutoverResult) -> str:
    report = result.to_report()
    lines = [report.title, "=" * len(report.title), ""]
    table = [list(_COLUMNS)] + [_cells(r) for r in result.identities]
    widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
    for row in table:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    lines += ["", *_plan_lines(result.plan), ""]
    lines += _input_lines(result.inputs)
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
        lines.append(
            f"canary: {canary['identity']} -> {canary['path']}; then {canary['block_basic']}"
        )
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


def result_markdown(result: CutoverResult) -> str:
    report = result.to_report()
    lines = [f"## {report.title}", "", "| " + " | ".join(_COLUMNS) + " |"]
    lines.append("|" + "---|" * len(_COLUMNS))
    for row in result.identities:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |")
    lines += ["", "```", *_plan_lines(result.plan), "```", ""]
    lines += [f"- {line}" for line in _input_lines(result.inputs)[2:]]
    lines += [
        "",
        *(f"- **{f.code}** ({f.severity.value}): {f.title}" for f in report.sorted_findings()),
    ]
    return "\n".join(lines) + "\n"


def result_fragment(result: CutoverResult, charts: bool = False) -> str:
    """The result as an HTML fragment for notebooks, apps and the shared report."""
    esc = escape_html
    status = result.by_status()
    cards = [
        ("days to cutover", str(result.days_to_cutover), "neutral"),
        ("broken", str(status["broken"]), "bad" if status["broken"] else "good"),
        (
            "breaks at cutover",
            str(status["breaks-at-cutover"]),
            "bad" if status["breaks-at-cutover"] else "good",
        ),
        ("unused but enabled", str(status["unused-enabled"]), "neutral"),
        ("safe", str(status["safe"]), "good"),
    ]
    head = "".join(f"<th>{esc(c)}</th>" for c in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in _cells(r)) + "</tr>"
        for r in result.identities
    )
    steps = "".join(_steps_html(r) for r in result.identities if r.steps)
    plan = "<pre>" + esc("\n".join(_plan_lines(result.plan))) + "</pre>"
    inputs = "<pre>" + esc("\n".join(_input_lines(result.inputs))) + "</pre>"
    parts = [
        render_cards_html(cards),
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
        "<h4>Plan</h4>",
        plan,
        "<h4>Steps per identity</h4>",
        steps,
        "<h4>Inputs</h4>",
        inputs,
        render_findings_html(
            result.to_report().sorted_findings(), heading=result.to_report().title
        ),
    ]
    if charts:
        parts.append(_charts_html(result))
    return '<div class="o365diag">' + "".join(parts) + "</div>"


def _steps_html(row: IdentityRow) -> str:
    esc = escape_html
    items = "".join(
        f"<li><em>{esc(s['kind'])}</em>: <code>{esc(s['text'])}</code></li>" for s in row.steps
    )
    summary = f"{esc(row.identity)} → {esc(row.path)}"
    return f"<details><summary>{summary}</summary><ul>{items}</ul></details>"


def _charts_html(result: CutoverResult) -> str:
    from o365diag.cutover.charts import figures

    parts = []
    for index, figure in enumerate(figures(result)):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=index == 0))
    return "".join(parts)


def result_html(result: CutoverResult) -> str:
    return standalone_page(result.to_report().title, result_fragment(result, charts=True))
