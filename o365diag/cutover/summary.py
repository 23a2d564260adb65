"""Findings over all identities, and the data behind the charts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import polars as pl

from o365diag.cutover.activity import SUCCESS
from o365diag.cutover.catalogue import finding
from o365diag.cutover.inputs import CutoverInputs
from o365diag.cutover.model import BREAKING, CutoverAssessment, IdentityRow
from o365diag.cutover.policies import CaPolicy
from o365diag.cutover.snapshots import burndown_chart_weeks
from o365diag.findings import Finding
from o365diag.setup.powershell import command
from o365diag.wording import plural

if TYPE_CHECKING:
    from o365diag.setup.smtp_auth_state import SmtpAuthSettings

__all__ = ["charts_data", "result_findings"]

_LISTED = 20
_CHART_IDENTITIES = 15


def result_findings(
    result: CutoverAssessment,
    inputs: CutoverInputs,
    settings: SmtpAuthSettings | None,
    coverage_days: int | None,
) -> list[Finding]:
    found = [_countdown(result)]
    found += list(_status_findings(result))
    found += list(_identity_findings(result.identities))
    found += list(_settings_findings(result, settings))
    found += list(_policy_findings(result, inputs))
    found += list(_input_findings(result, inputs, coverage_days))
    return found


def _countdown(result: CutoverAssessment) -> Finding:
    values = {"when": _when(result.days_to_cutover), "date": result.cutover_date.isoformat()}
    return finding("cutover.countdown", values)


def _when(days: int) -> str:
    if days > 0:
        return f"in {plural(days, 'day')}"
    return "today" if days == 0 else f"passed {plural(-days, 'day')} ago"


def _line(row: IdentityRow) -> str:
    return f"{row.identity}: {row.status}, path {row.path} ({row.path_reason})"


_IDENTITIES = ("identity", "identities")
_COUNTED_AS = {
    "cutover.already-broken": _IDENTITIES,
    "cutover.breaks-at-cutover": _IDENTITIES,
    "cutover.unused-enabled": ("mailbox", "mailboxes"),
    "cutover.safe": _IDENTITIES,
}


def _status_findings(result: CutoverAssessment) -> Iterator[Finding]:
    groups = {
        "cutover.already-broken": [r for r in result.identities if r.status == "broken"],
        "cutover.breaks-at-cutover": [
            r for r in result.identities if r.status == "breaks-at-cutover"
        ],
        "cutover.unused-enabled": [r for r in result.identities if r.status == "unused-enabled"],
        "cutover.safe": [r for r in result.identities if r.status == "safe"],
    }
    for code, rows in groups.items():
        if rows:
            noun = _COUNTED_AS[code]
            yield finding(
                code,
                {"count": plural(len(rows), *noun)},
                evidence=[_line(r) for r in rows[:_LISTED]],
            )
    if not result.breaking:
        yield finding("cutover.nothing-breaks")


def _identity_findings(rows: list[IdentityRow]) -> Iterator[Finding]:
    for row in rows:
        devices = plural(len(row.source_ip_counts), "device or host", "devices or hosts")
        values = {"identity": row.identity, "count": devices}
        if row.suspected_compromise:
            yield finding(
                "cutover.suspected-compromise", values, evidence=_compromise_evidence(row)
            )
        for code in row.risk:
            yield finding(f"cutover.{code}", values, evidence=_risk_evidence(row, code))
        if row.basic_allowed_by_policy is False and row.status == "broken":
            yield finding(
                "cutover.policy-blocks-basic",
                values,
                evidence=[f"{row.identity}: authentication policy {row.authentication_policy!r}"],
            )


def _compromise_evidence(row: IdentityRow) -> list[str]:
    return [
        f"{row.failed_logins:,} failed SMTP AUTH sign-ins",
        f"successful sign-ins from {', '.join(row.countries) or 'an unusual country'}",
        f"{row.messages or 0:,} messages, busiest day well above its usual volume",
    ]


def _risk_evidence(row: IdentityRow, code: str) -> list[str]:
    if code == "failed-logins":
        codes = ", ".join(
            f"{f['code']} x{f['count']}" for f in row.recent_failures if f["source"] == "signins"
        )
        return [f"{row.failed_logins:,} failed sign-ins ({codes})"]
    if code == "unexpected-country":
        return [f"countries: {', '.join(row.countries)}"]
    if code == "many-devices":
        return [f"{ip}: {n:,} sign-ins" for ip, n in row.source_ip_counts.items()]
    if code == "legacy-tls":
        return [f"TLS {v}: {share}%" for v, share in row.tls_shares.items()]
    return [f"source addresses: {', '.join(row.source_ips)}"]


def _settings_findings(
    result: CutoverAssessment, settings: SmtpAuthSettings | None
) -> Iterator[Finding]:
    if settings is None:
        return
    if settings.org_disabled is False:
        yield finding(
            "cutover.org-smtp-auth-enabled",
            evidence=[settings.org_evidence] if settings.org_evidence else [],
        )
    listed = {r.identity for r in result.identities}
    quiet = [a for a in settings.inheriting_enabled() if a not in listed]
    if quiet:
        keep = [r.identity for r in result.identities if r.status in BREAKING]
        fixes = [
            command("Set-CASMailbox", Identity=m, SmtpClientAuthenticationDisabled=False)
            for m in keep[:_LISTED]
        ]
        fixes.append(command("Set-TransportConfig", SmtpClientAuthenticationDisabled=True))
        yield finding(
            "cutover.inherited-enabled-unused",
            {"count": plural(len(quiet), "mailbox", "mailboxes")},
            fix="Keep SMTP AUTH for the identities that still need it until they move, then "
            "turn it off for the organization: " + "; ".join(fixes),
            evidence=quiet[:_LISTED]
            + ([f"... and {len(quiet) - _LISTED:,} more"] if len(quiet) > _LISTED else []),
        )


def _policy_findings(result: CutoverAssessment, inputs: CutoverInputs) -> Iterator[Finding]:
    """Security defaults and each Conditional Access policy that blocks Basic SMTP AUTH: whom
    it blocks now, would block (report-only), spares, or may block (unknown)."""
    policies = inputs.graph_policies
    if policies is None:
        return
    for part, why in policies.not_read().items():
        yield finding("cutover.policies-not-assessed", {"part": part, "why": why})
    if policies.security_defaults:
        on_basic = [r for r in result.identities if r.auth != "oauth" and r.entra_block]
        yield finding(
            "cutover.security-defaults-block",
            {"count": plural(len(on_basic), *_IDENTITIES)},
            evidence=["identitySecurityDefaultsEnforcementPolicy isEnabled: true"]
            + [_line(r) for r in on_basic[:_LISTED]],
        )
    for policy in policies.blocking():
        yield from _ca_findings(result.identities, policy)
    fully_read = policies.security_defaults is False and policies.conditional_access is not None
    if fully_read and not any(p.enforced for p in policies.blocking()):
        yield finding("cutover.legacy-auth-not-blocked")


_CA_CODES = {  # (enforced, coverage) -> finding
    (True, "covered"): "cutover.ca-blocks-legacy",
    (True, "excluded"): "cutover.ca-excluded",
    (True, "unknown"): "cutover.ca-scope-unknown",
    (False, "covered"): "cutover.ca-report-only",
    (False, "unknown"): "cutover.ca-report-only",
}


def _ca_findings(rows: list[IdentityRow], policy: CaPolicy) -> Iterator[Finding]:
    grouped: dict[str, list[str]] = {}
    for row in rows:
        for seen in row.conditional_access:
            code = _CA_CODES.get((policy.enforced, seen["coverage"]))
            if code and seen["policy_id"] == policy.id and seen["policy"] == policy.name:
                line = f"{row.identity}: {seen['coverage']} ({seen['why']}); status {row.status}"
                grouped.setdefault(code, []).append(line)
    for code, lines in grouped.items():
        values = {"policy": policy.name, "count": plural(len(lines), *_IDENTITIES)}
        header = f"policy {policy.name!r} ({policy.id or 'no id'}), state {policy.state}"
        yield finding(code, values, evidence=[header, *lines[:_LISTED]])


def _input_findings(
    result: CutoverAssessment, inputs: CutoverInputs, coverage_days: int | None
) -> Iterator[Finding]:
    for item in result.inputs["missing"]:
        yield finding("cutover.input-missing", {"input": item["input"]}, detail=item["cost"] + ".")
    if coverage_days is None or coverage_days < 60:
        yield finding("cutover.short-history", {"days": plural(coverage_days or 0, "day")})
    bad = result.inputs.get("bad_rows", {})
    total = sum(int(part.get("count", 0)) for part in bad.values())
    if total:
        evidence = [
            f"{name}: {reason} x{count:,}"
            for name, part in bad.items()
            for reason, count in part.get("by_reason", {}).items()
        ]
        yield finding("cutover.bad-rows", {"count": plural(total, "row")}, evidence=evidence)
    unknown = [
        r.identity
        for r in result.identities
        if r.device is None and r.path not in ("none", "turn-off")
    ]
    if unknown:
        yield finding(
            "cutover.inventory-missing",
            {"count": plural(len(unknown), "identity", "identities")},
            evidence=unknown[:_LISTED],
        )


# -- chart data ---------------------------------------------------------------------------------
def charts_data(
    result: CutoverAssessment, smtp: pl.DataFrame | None, burndown: dict[str, Any]
) -> dict[str, Any]:
    return {
        "basic_logins": _daily_logins(smtp),
        "tls_mix": {r.identity: r.tls_shares for r in result.identities if r.tls_shares},
        "burndown": burndown_chart_weeks(burndown),
    }


def _daily_logins(smtp: pl.DataFrame | None) -> dict[str, dict[str, int]]:
    if smtp is None or smtp.is_empty():
        return {}
    ok = smtp.filter(SUCCESS)
    top = (
        ok.group_by("user_principal_name")
        .len()
        .sort(["len", "user_principal_name"], descending=[True, False])
        .head(_CHART_IDENTITIES)
        .get_column("user_principal_name")
    )
    daily = (
        ok.filter(pl.col("user_principal_name").is_in(top.implode()))
        .group_by("user_principal_name", pl.col("created").dt.date().alias("day"))
        .len()
        .sort("user_principal_name", "day")
    )
    out: dict[str, dict[str, int]] = {}
    for user, day, count in daily.iter_rows():
        out.setdefault(user, {})[day.isoformat()] = int(count)
    return out
