"""Render a header analysis Report as terminal text or as escaped HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from o365diag.findings import Report, findings_text, render_cards_html, render_findings_html
from o365diag.headers.diagnose import most_likely
from o365diag.headers.model import HeadersData, HopData, StampField
from o365diag.typed import load
from o365diag.wording import duration, plural

__all__ = [
    "analysis_html",
    "analysis_text",
    "auth_cards",
    "headers_model",
    "hops_html",
    "lead_html",
    "lead_text",
    "stamps_html",
]

_NOTHING_FOUND = "No problem in these headers: nothing at warning level or above."


def auth_cards(data: HeadersData) -> list[tuple[str, str, str]]:
    """(label, value, state) for the summary cards; state is good / bad / neutral."""
    auth = data.authentication
    spam = data.antispam
    dkim = auth.dkim
    dkim_value = (
        ", ".join(f"{_text(d.result)} ({d.domain})" if d.domain else _text(d.result) for d in dkim)
        if dkim
        else "none"
    )
    dkim_state = next(
        (d.result for d in dkim if d.result == "pass"), dkim[0].result if dkim else None
    )
    compauth = auth.compauth
    return [
        ("SPF", _text(auth.spf.result), _state(auth.spf.result)),
        ("DKIM", dkim_value, _state(dkim_state)),
        ("DMARC", _text(auth.dmarc.result), _state(auth.dmarc.result)),
        (
            "compauth",
            f"{_text(compauth.result)} {compauth.reason or ''}".strip(),
            _state(compauth.result),
        ),
        ("SCL", _text(spam.scl), _level_state(spam.scl, 5)),
        ("BCL", _text(spam.bcl), _level_state(spam.bcl, 7)),
    ]


def headers_model(report: Report) -> HeadersData:
    """The typed data of a header analysis (``ModelError`` when it was saved in another shape)."""
    return load(HeadersData, report.data, getattr(report, "schema", "") or "data")


def _text(value: Any) -> str:
    if isinstance(value, list):  # the To and Cc addresses: a list, never its Python form
        return ", ".join(map(str, value)) or "—"
    return "—" if value is None else str(value)


def _state(result: str | None) -> str:
    if result in ("pass", "bestguesspass", "softpass"):
        return "good"
    if result in ("fail", "softfail", "permerror", "temperror"):
        return "bad"
    return "neutral"


def _level_state(level: int | None, threshold: int) -> str:
    if level is None:
        return "neutral"
    return "bad" if level >= threshold else "good"


def lead_text(report: Report) -> list[str]:
    """The answer first: the most likely cause and what to do about it."""
    lead = most_likely(report.findings)
    if lead is None:
        return [_NOTHING_FOUND]
    lines = [f"Most likely cause: {lead.title} ({lead.code})"]
    if lead.fix:
        lines.append(f"  Do this: {lead.fix}")
    return lines


def lead_html(report: Report) -> str:
    lead = most_likely(report.findings)
    style = "border-left:.4rem solid #c62828;padding:.4rem .7rem;margin:.5rem 0"
    if lead is None:
        return f'<div class="lead" style="{style};border-color:#2e7d32">{_NOTHING_FOUND}</div>'
    fix = f"<div><em>Do this:</em> {html.escape(lead.fix)}</div>" if lead.fix else ""
    return (
        f'<div class="lead" style="{style}"><strong>Most likely cause:</strong> '
        f"{html.escape(lead.title)} <code>{html.escape(lead.code)}</code>{fix}</div>"
    )


def analysis_text(report: Report) -> str:
    data = headers_model(report)
    summary = data.summary
    lines = [report.title, "=" * min(len(report.title), 100), *lead_text(report), ""]
    for label, value in (
        ("from", summary.from_),
        ("to", ", ".join(summary.to)),
        ("date", summary.date),
        ("message_id", summary.message_id),
    ):
        if value:
            lines.append(f"{label:<11} {value}")
    lines.append("")
    lines.append("Authentication (" + (data.authentication.source or "none found") + ")")
    lines.extend(f"  {label:<9} {value}" for label, value, _ in auth_cards(data))
    align = data.authentication.alignment
    lines.append(
        f"  aligned   SPF {_yes_no(align.spf_aligned)}, DKIM {_yes_no(align.dkim_aligned)}"
        f" (From domain {_text(align.from_domain)})"
    )
    lines.append("")
    lines.extend(_hops_text(data.hops, data.total_transit_seconds))
    lines.append("")
    lines.append("Findings")
    lines.extend(findings_text(report.sorted_findings()))
    return "\n".join(lines)


def _hops_text(hops: Sequence[HopData], total: float | None) -> list[str]:
    lines = [f"Received chain: {plural(len(hops), 'hop')}, total transit {duration(total)}"]
    for hop in hops[:50]:
        lines.append(
            f"  {hop.index:>3}. {duration(hop.delay_seconds):>10}  "
            f"{hop.from_ or hop.from_ip or '?'} -> {hop.by or '?'}"
            f"{'  [skew]' if hop.clock_skew else ''}"
        )
    if len(hops) > 50:
        lines.append(f"  ... {plural(len(hops) - 50, 'more hop')} in the JSON output")
    return lines


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def analysis_html(report: Report) -> str:
    """The analysis as an HTML fragment; every value from the headers is escaped."""
    data = headers_model(report)
    parts = [
        f"<h2>{html.escape(report.title)}</h2>",
        lead_html(report),
        render_cards_html(auth_cards(data)),
        render_findings_html(report.sorted_findings(), heading="Findings"),
        "<h3>Received chain</h3>",
        hops_html(data.hops, data.total_transit_seconds),
        "<h3>Anti-spam stamps</h3>",
        stamps_html(data.antispam.fields),
        "<h3>Summary</h3>",
        _kv_html(data.summary.to_json().items()),
    ]
    return "".join(parts)


def hops_html(hops: Sequence[HopData], total: float | None) -> str:
    longest = max((h.delay_seconds or 0 for h in hops), default=0) or 1
    rows = []
    for hop in hops:
        delay = hop.delay_seconds
        width = 0 if not delay or delay < 0 else int(100 * delay / longest)
        bar = f'<div style="background:#1565c0;height:.6em;width:{width}%"></div>'
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(_text(v))}</td>"
                for v in (
                    hop.index,
                    hop.from_ or hop.from_ip,
                    hop.by,
                    hop.with_,
                    hop.timestamp,
                    duration(delay) + (" (skew)" if hop.clock_skew else ""),
                )
            )
            + f'<td style="min-width:8em">{bar}</td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ("#", "from", "by", "with", "time (UTC)", "delay", ""))
    return (
        f"<p>Total transit: {html.escape(duration(total))}</p>"
        f"<table><tr>{head}</tr>{''.join(rows)}</table>"
    )


def stamps_html(fields: Iterable[StampField]) -> str:
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_text(value))}</td>"
            for value in (f.field, f.value, f.meaning, f.status)
        )
        + "</tr>"
        for f in fields
    )
    return (
        f"<table><tr><th>field</th><th>value</th><th>meaning</th><th>status</th></tr>{rows}</table>"
    )


def _kv_html(items: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_text(v))}</td></tr>" for k, v in items
    )
    return f"<table>{rows}</table>"
