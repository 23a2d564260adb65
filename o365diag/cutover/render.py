"""The cutover and explain results as terminal text, Markdown rows and HTML (all untrusted text
escaped), from their typed data (``cutover.model``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag.cutover.model import (
    BurndownData,
    CutoverData,
    ExplainData,
    IdentityData,
    InputsData,
    PlanData,
)
from o365diag.findings import Report, escape_html, render_cards_html, render_findings_html
from o365diag.wording import plural

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["charts_html", "explain_text", "markdown_rows", "result_fragment", "result_text"]

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


def _cells(row: IdentityData) -> list[str]:
    return [
        row.identity + (f" (app {row.app_id})" if row.app_id else ""),
        row.auth,
        row.smtp_auth_state,
        row.status,
        row.path,
        str(len(row.source_ips)),
        row.last_seen[:10] if row.last_seen else "-",
        f"{row.messages_per_day:g}" if row.messages_per_day is not None else "-",
        ", ".join(row.risk) or "-",
    ]


def result_text(result: CutoverData, report: Report) -> str:
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


def _plan_lines(plan: PlanData) -> list[str]:
    lines = ["Plan", "----"]
    countdown = plan.countdown
    lines.append(
        f"{countdown.days_to_cutover} days to {countdown.cutover_date} (as of {countdown.as_of})"
    )
    for off in plan.turn_off_now:
        lines.append(f"now ({off.why}): {off.command}")
    canary = plan.canary
    if canary:
        lines.append(f"canary: {canary.identity} -> {canary.path}")
        lines.append(f"  then: {canary.block_basic}")
    for wave in plan.waves:
        for item in wave.identities:
            lines.append(f"{wave.name}: {item.identity} -> {item.path}")
    lines.append(f"create the policy: {plan.block_basic.create_policy}")
    lines.append(f"organization, once all moved: {plan.block_basic.organization}")
    lines.append(f"rollback: {plan.rollback.per_mailbox}")
    return lines


def _input_lines(inputs: InputsData) -> list[str]:
    lines = ["Inputs", "------"]
    for item in inputs.read:
        lines.append(f"read {item.file}: {item.kind}, {item.rows:,} rows")
    for missing in inputs.missing:
        lines.append(f"missing {missing.input}: {missing.cost}")
    if inputs.history:
        lines.append(f"history: {inputs.history}")
    return lines


_DATED_BY = {
    "content": "its content",
    "file-name": "its file name",
    "folder-name": "its folder's name",
    "as-of": "the as-of date",
}


def _burndown_lines(burndown: BurndownData | None) -> list[str]:
    """The weekly counts of identities still on Basic, or why there are none, and the
    snapshots they come from (nothing for a result saved before the burndown existed)."""
    if burndown is None:
        return []
    lines = ["Burndown: identities still on Basic per ISO week", "-" * 48]
    if burndown.note:
        lines.append(burndown.note)
    else:
        for week in burndown.weeks:
            lines.append(
                f"{week.iso_week} ({week.week} to {week.week_end}): "
                f"{week.identities_on_basic} ({plural(week.snapshots, 'snapshot')})"
            )
    for snapshot in burndown.snapshots:
        by = _DATED_BY.get(snapshot.dated_by, snapshot.dated_by)
        lines.append(
            f"snapshot {snapshot.file}: {snapshot.kind}, {snapshot.date} (dated by {by}), "
            f"{snapshot.identities_on_basic} on Basic"
        )
    for left in burndown.left_out:
        lines.append(f"left out {left.file}: {left.why}")
    return lines


def markdown_rows(result: CutoverData) -> list[str]:
    """The identities table and the plan, for the Markdown summary."""
    lines = ["", "| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for row in result.identities:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |")
    return [*lines, "", "```", *_plan_lines(result.plan), "```"]


def _state(count: int) -> str:
    return "bad" if count else "good"


def result_fragment(result: CutoverData, report: Report) -> str:
    """The result as an HTML fragment for notebooks, apps and the shared report."""
    esc = escape_html
    broken, breaking = result.count("broken"), result.count("breaks-at-cutover")
    cards = [
        ("days to cutover", str(result.days_to_cutover), "neutral"),
        ("broken", str(broken), _state(broken)),
        ("breaks at cutover", str(breaking), _state(breaking)),
        ("unused but enabled", str(result.count("unused-enabled")), "neutral"),
        ("safe", str(result.count("safe")), "good"),
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


def _burndown_html(burndown: BurndownData | None) -> str:
    lines = _burndown_lines(burndown)
    if not lines:
        return ""
    body = "\n".join(lines[2:])
    return f"<h4>{escape_html(lines[0])}</h4><pre>{escape_html(body)}</pre>"


def _steps_html(row: IdentityData) -> str:
    esc = escape_html
    items = "".join(
        f"<li><em>{esc(s.kind)}</em>: <code>{esc(s.text)}</code></li>" for s in row.steps
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


def explain_text(explained: ExplainData) -> str:
    """What ``o365diag explain`` prints: the cause, the cutover verdict, the fix, the sources;
    for text it does not recognise, the closest entries it knows."""
    if not explained.recognised:
        closest = [f"  closest: {c}" for c in explained.closest]
        lines = ["Not recognised: no SMTP reply, client wording or code o365diag knows."]
        return "\n".join(lines + (closest or ["  (no close match)"])) + "\n"
    reply = explained.reply
    shown = " ".join(str(p) for p in (reply.code, reply.enhanced, reply.text) if p) if reply else ""
    labelled = (
        ("client", explained.client),
        ("reply", shown),
        ("cause", explained.cause),
        ("the Basic-auth cutover", explained.is_basic_auth_cutover),
        ("can it be switched back on", explained.can_switch_back_on),
        ("fix", explained.fix),
    )
    lines = [explained.title or "Recognised"]
    lines += [f"{label}: {value}" for label, value in labelled if value]
    lines += [f"source: {s}" for s in explained.sources]
    return "\n".join(lines) + "\n"
