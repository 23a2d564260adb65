"""Join the inputs into one row per sending identity and judge each: status, path, risk, steps.

Rows: every identity with SMTP AUTH activity (an "Authenticated SMTP" sign-in or a row of the
SMTP AUTH clients report) plus every mailbox with SMTP AUTH explicitly enabled. Mailboxes that
only inherit an enabled organization setting and show no activity are counted in one finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from o365diag.cutover import activity
from o365diag.cutover.inputs import CutoverInputs
from o365diag.cutover.inventory import InventoryEntry, is_private_address
from o365diag.cutover.model import CutoverAssessment, IdentityRow
from o365diag.cutover.paths import PathFacts, path_steps
from o365diag.cutover.policies import Coverage, coverage
from o365diag.cutover.snapshots import Snapshot, burndown_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from o365diag.setup.smtp_auth_state import SmtpAuthSettings

__all__ = ["DEFAULT_CUTOVER", "UNUSED_DAYS", "assess"]

DEFAULT_CUTOVER = date(2026, 12, 31)
UNUSED_DAYS = 60
FAILED_LOGINS = 20
MANY_DEVICES = 3
FIXED_IP_DAYS = 14
BURST_MIN = 50
BURST_FACTOR = 3
RECENT_FAILURES_BROKEN = 5


@dataclass
class Context:
    """What every identity's judgement needs besides its own row."""

    as_of: datetime
    coverage_days: int | None
    inputs: CutoverInputs
    settings: SmtpAuthSettings | None
    usual_countries: list[str]
    compromise: dict[str, dict[str, Any]] = field(default_factory=dict)
    trace_days: int | None = None
    object_ids: dict[str, set[str]] = field(default_factory=dict)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def assess(
    inputs: CutoverInputs,
    *,
    as_of: date | None = None,
    cutover_date: date = DEFAULT_CUTOVER,
    snapshots: Sequence[Snapshot] = (),
) -> CutoverAssessment:
    """The readiness of every sending identity in ``inputs`` on ``as_of`` (default: today).

    ``snapshots``: earlier inputs (``load_snapshot``), for the burndown only."""
    day = as_of or datetime.now(UTC).date()
    moment = end_of(day)
    settings = inputs.settings
    smtp = _smtp(inputs, moment)
    usual = activity.usual_countries(smtp) if smtp is not None else []
    context = Context(moment, _coverage(inputs, moment), inputs, settings, usual)
    if inputs.graph_policies is not None:
        context.object_ids = _object_ids(inputs)
    names = _identity_names(inputs, smtp, settings)
    table = _joined(inputs, smtp, names, context)
    rows = [_judge(row, context) for row in table.iter_rows(named=True)]
    rows.sort(key=_row_order)
    from o365diag.cutover.plan import build_plan
    from o365diag.cutover.summary import charts_data, result_findings

    result = CutoverAssessment(
        as_of=day,
        cutover_date=cutover_date,
        identities=rows,
        findings=[],
        inputs=_inputs_section(inputs, context),
        plan={},
        coverage_days=context.coverage_days,
    )
    result.plan = build_plan(result, settings)
    result.findings = result_findings(result, inputs, settings, context.coverage_days)
    result.burndown = burndown_of(inputs, snapshots, day)
    result.charts_data = charts_data(result, smtp, result.burndown)
    return result


_STATUS_ORDER = {"broken": 0, "breaks-at-cutover": 1, "unused-enabled": 2, "safe": 3}


def _row_order(row: IdentityRow) -> tuple[int, str]:
    return _STATUS_ORDER[row.status], row.identity


# -- inputs -------------------------------------------------------------------------------------
def _smtp(inputs: CutoverInputs, moment: datetime) -> pl.DataFrame | None:
    if inputs.signins is None:
        return None
    return activity.smtp_signins(inputs.signins.frame, moment)


def _coverage(inputs: CutoverInputs, moment: datetime) -> int | None:
    starts: list[datetime] = []
    if inputs.signins is not None and inputs.signins.period is not None:
        starts.append(inputs.signins.period[0])
    if inputs.trace is not None and not inputs.trace.messages.is_empty():
        starts.append(inputs.trace.messages.get_column("received").min())  # type: ignore[arg-type]
    if inputs.report is not None:
        first = inputs.report.frame.get_column("date").min()
        if isinstance(first, datetime):
            starts.append(first)
    if not starts:
        return None
    return max(0, (moment - min(starts)).days + 1)


def _identity_names(
    inputs: CutoverInputs, smtp: pl.DataFrame | None, settings: SmtpAuthSettings | None
) -> list[str]:
    names: set[str] = set()
    if smtp is not None:
        names.update(smtp.get_column("user_principal_name").unique().to_list())
    if inputs.report is not None:
        names.update(inputs.report.frame.get_column("sender").unique().to_list())
    if settings is not None:
        names.update(a for a, m in settings.mailboxes.items() if m.explicit is True)
    return sorted(n for n in names if n)


def _joined(
    inputs: CutoverInputs, smtp: pl.DataFrame | None, names: list[str], context: Context
) -> pl.DataFrame:
    identities = pl.DataFrame({"identity": names}, schema={"identity": pl.String})
    signins = None
    if smtp is not None:
        signins = activity.signin_activity(smtp, context.usual_countries, context.as_of)
        moments = activity.compromise_moments(smtp, context.usual_countries)
        context.compromise = {r["identity"]: r for r in moments.iter_rows(named=True)}
    trace = None
    if inputs.trace is not None:
        messages = inputs.trace.messages.filter(pl.col("received") <= context.as_of)
        trace = activity.trace_activity(messages, identities.get_column("identity"))
        context.trace_days = _period_days(messages)
    report = _report_by_identity(inputs)
    return activity.identity_table(identities, signins, trace, report)


def _period_days(messages: pl.DataFrame) -> int | None:
    if messages.is_empty():
        return None
    first, last = messages.select(
        pl.col("received").min().alias("first"), pl.col("received").max().alias("last")
    ).row(0)
    return int((last.date() - first.date()).days) + 1


def _report_by_identity(inputs: CutoverInputs) -> pl.DataFrame | None:
    if inputs.report is None:
        return None
    per = inputs.report.by_sender()
    protocol = pl.col("auth_protocol")
    weight = pl.col("messages").fill_null(0)
    shares = [
        ((pl.col(c) * weight).sum() / weight.sum().clip(1)).alias(c)
        for c in ("tls10_percent", "tls11_percent", "tls12_percent", "tls13_percent")
    ]
    return (
        per.group_by("sender")
        .agg(
            pl.col("messages").filter(protocol == "basic").sum().alias("report_basic"),
            pl.col("messages").filter(protocol == "oauth").sum().alias("report_oauth"),
            pl.col("messages").filter(protocol.is_null()).sum().alias("report_unknown"),
            pl.col("messages").sum().alias("report_messages"),
            pl.col("last_date").max().alias("report_last"),
            *shares,
        )
        .rename({"sender": "identity"})
    )


# -- one identity -------------------------------------------------------------------------------
def _judge(row: dict[str, Any], context: Context) -> IdentityRow:
    out = IdentityRow(identity=row["identity"])
    device = _device(out.identity, row, context)
    _fill_activity(out, row, context)
    _fill_auth(out, row)
    _fill_settings(out, context)
    _fill_policies(out, row, context)
    _fill_risk(out, row, context)
    _fill_status(out, row, context)
    _fill_path(out, row, context, device)
    return out


def _device(identity: str, row: dict[str, Any], context: Context) -> InventoryEntry | None:
    inventory = context.inputs.inventory
    if inventory is None:
        return None
    ips = [ip for ip, _ in _ok_ips(row)]
    return inventory.lookup(identity, *ips)


def _ok_ips(row: dict[str, Any]) -> list[tuple[str, int]]:
    found = row.get("ok_ips") or []
    return [(item["ip"], int(item["count"])) for item in found if item.get("ip")]


def _fill_activity(out: IdentityRow, row: dict[str, Any], context: Context) -> None:
    ips = _ok_ips(row)
    out.source_ip_counts = dict(ips)
    out.source_ips = [ip for ip, _ in ips] or list(row.get("trace_ips") or [])
    out.basic_logins = int(row.get("successes") or 0)
    out.failed_logins = int(row.get("failures") or 0)
    out.countries = list(row.get("unusual_countries") or [])
    seen = [row.get("last_success"), row.get("last_message"), row.get("report_last")]
    out.last_seen = max((s for s in seen if s is not None), default=None)
    out.messages = _messages(row)
    if row.get("trace_messages") is not None and context.trace_days:
        out.messages_per_day = round(int(row["trace_messages"]) / context.trace_days, 2)
    recipient_rows = int(row.get("recipient_rows") or 0)
    if recipient_rows:
        internal = int(row.get("internal_rows") or 0)
        out.internal_share = round(internal / recipient_rows, 3)
        external = int(row.get("external_rows") or 0)
        out.recipients = _recipients(internal, external)
    out.tls_shares = {
        version: round(float(row[column]), 1)
        for version, column in (
            ("1.0", "tls10_percent"),
            ("1.1", "tls11_percent"),
            ("1.2", "tls12_percent"),
            ("1.3", "tls13_percent"),
        )
        if row.get(column) is not None and float(row[column]) > 0
    }
    out.tls_versions = sorted(out.tls_shares)
    out.recent_failures = _failures(row)


def _messages(row: dict[str, Any]) -> int | None:
    if row.get("trace_messages") is not None:
        return int(row["trace_messages"])
    if row.get("report_messages") is not None:
        return int(row["report_messages"])
    return None


def _recipients(internal: int, external: int) -> str | None:
    if internal and external:
        return "both"
    if external:
        return "external"
    return "internal" if internal else None


def _failures(row: dict[str, Any]) -> list[dict[str, Any]]:
    found = [
        {"source": "signins", "code": int(item["status_code"]), "count": int(item["count"])}
        for item in row.get("failure_codes") or []
        if item.get("status_code") is not None
    ]
    if row.get("failed_rows"):
        found.append({"source": "trace", "code": "Failed", "count": int(row["failed_rows"])})
    return found


def _fill_auth(out: IdentityRow, row: dict[str, Any]) -> None:
    basic = int(row.get("report_basic") or 0)
    oauth = int(row.get("report_oauth") or 0)
    unknown = int(row.get("report_unknown") or 0)
    evidence = []
    if out.basic_logins:
        evidence.append(
            f"{out.basic_logins:,} successful 'Authenticated SMTP' sign-ins (Basic: Entra ID "
            "logs password logins to SMTP AUTH, never the XOAUTH2 session)"
        )
    if basic:
        evidence.append(f"SMTP AUTH clients report: {basic:,} messages with Basic")
    if oauth:
        evidence.append(f"SMTP AUTH clients report: {oauth:,} messages with OAuth")
    if unknown:
        evidence.append(f"SMTP AUTH clients report: {unknown:,} messages, protocol not shown")
    out.auth_evidence = evidence
    if out.basic_logins or basic:
        out.auth = "basic"
    elif oauth:
        out.auth = "oauth"


def _fill_settings(out: IdentityRow, context: Context) -> None:
    settings = context.settings
    if settings is None:
        out.unknowns.append("SMTP AUTH setting (no Exchange settings export)")
        return
    out.smtp_auth_state = settings.state(out.identity)
    out.authentication_policy = settings.policy_of(out.identity)
    out.basic_allowed_by_policy = settings.basic_smtp_allowed(out.identity)


def _object_ids(inputs: CutoverInputs) -> dict[str, set[str]]:
    """Address -> the directory object IDs seen for it (sign-ins' user ID, Get-User's or
    Get-CASMailbox's ExternalDirectoryObjectId), lower case: what a policy names users by."""
    found: dict[str, set[str]] = {}
    if inputs.signins is not None:
        pairs = (
            inputs.signins.frame.select("user_principal_name", "user_id")
            .drop_nulls()
            .unique()
            .iter_rows()
        )
        for address, object_id in pairs:
            found.setdefault(address.lower(), set()).add(object_id.lower())
    for export in inputs.exports:
        for obj in export.objects:
            object_id = obj.get("ExternalDirectoryObjectId")
            if not isinstance(object_id, str) or not object_id.strip():
                continue
            for key in ("UserPrincipalName", "PrimarySmtpAddress", "WindowsEmailAddress"):
                address = obj.get(key)
                if isinstance(address, str) and "@" in address:
                    found.setdefault(address.strip().lower(), set()).add(object_id.lower())
    return found


def _fill_policies(out: IdentityRow, row: dict[str, Any], context: Context) -> None:
    """Security defaults and every Conditional Access policy that blocks Basic SMTP AUTH:
    whether each applies to this identity (``entra_block`` when one enforced does)."""
    policies = context.inputs.graph_policies
    if policies is None or out.auth == "oauth":  # a legacy-auth block never touches OAuth
        return
    if policies.security_defaults:
        out.entra_block = (
            "security defaults are on: they block legacy authentication, Basic SMTP AUTH "
            "included, for every account"
        )
    ids = context.object_ids.get(out.identity, set()) | {out.identity}
    for policy in policies.blocking():
        found = _contradicted(coverage(policy, ids), row.get("last_success"))
        if found.verdict == "not-covered":
            continue
        out.conditional_access.append(found.to_dict())
        if not policy.enforced:
            continue
        if found.verdict == "covered" and out.entra_block is None:
            out.entra_block = (
                f"Conditional Access policy {policy.name!r} blocks legacy authentication "
                f"(Basic SMTP AUTH) for it ({found.why})"
            )
        elif found.verdict == "unknown":
            out.unknowns.append(
                f"whether Conditional Access policy {policy.name!r} blocks it ({found.why})"
            )


def _contradicted(found: Coverage, last_success: datetime | None) -> Coverage:
    """A Basic sign-in that succeeded after an enforced block last changed shows the block
    does not reach the identity (an exemption the inputs do not show): unknown, not covered."""
    policy = found.policy
    if found.verdict != "covered" or not policy.enforced or policy.changed is None:
        return found
    if last_success is None or last_success <= policy.changed:
        return found
    why = (
        f"a Basic sign-in succeeded on {last_success:%Y-%m-%d}, after the policy last changed "
        f"on {policy.changed:%Y-%m-%d}: something exempts it that the inputs do not show"
    )
    return Coverage(policy, "unknown", why)


def _fill_risk(out: IdentityRow, row: dict[str, Any], context: Context) -> None:
    risk = []
    if out.failed_logins >= FAILED_LOGINS:
        risk.append("failed-logins")
    if out.countries:
        risk.append("unexpected-country")
    if row.get("new_ips"):
        risk.append("new-ip")
    if len(out.source_ip_counts) >= MANY_DEVICES and not _is_app(out, context):
        risk.append("many-devices")
    if any(v in out.tls_shares for v in ("1.0", "1.1")):
        risk.append("legacy-tls")
    out.risk = risk
    out.suspected_compromise = _compromised(out, row, context)


def _is_app(out: IdentityRow, context: Context) -> bool:
    """An app hosted in a cloud signs in from rotating addresses: not "many devices"."""
    inventory = context.inputs.inventory
    device = inventory.lookup(out.identity) if inventory is not None else None
    return device is not None and device.kind in ("app", "service")


def _compromised(out: IdentityRow, row: dict[str, Any], context: Context) -> bool:
    moment = context.compromise.get(out.identity)
    if moment is None or int(moment.get("failures_before") or 0) < FAILED_LOGINS:
        return False
    if context.inputs.trace is None:
        return True  # the burst cannot be checked; failures then a foreign success suffice
    busiest, median = row.get("busiest_day_messages"), row.get("median_day_messages") or 0
    day = row.get("busiest_day")
    if busiest is None or day is None:
        return False
    burst = busiest >= max(BURST_MIN, BURST_FACTOR * float(median))
    return bool(burst and day >= moment["takeover"].date())


def _fill_status(out: IdentityRow, row: dict[str, Any], context: Context) -> None:
    blocked = _blocked_reason(out)
    failing = _failing_now(row)
    active = _active_recently(out, row, context)
    if out.auth == "oauth":
        out.status, out.status_reason = "safe", "sends with OAuth; the cutover does not touch it"
    elif blocked and (active or out.auth == "basic" or row.get("trace_messages")):
        out.status, out.status_reason = "broken", blocked + "; its mail stopped or fails now"
    elif failing:
        out.status, out.status_reason = "broken", failing
    elif not active:
        _status_without_activity(out, context)
    elif out.auth == "basic":
        out.status = "breaks-at-cutover"
        out.status_reason = "signs in with Basic authentication, which is off by default after "
        out.status_reason += "the cutover date"
    else:
        out.status = "breaks-at-cutover"
        out.status_reason = (
            "SMTP AUTH activity without the protocol shown: assumed Basic until the SMTP AUTH "
            "clients report's Authentication Protocol column says otherwise"
        )


def _status_without_activity(out: IdentityRow, context: Context) -> None:
    covered = context.coverage_days
    if covered is not None and covered >= UNUSED_DAYS and out.smtp_auth_state.endswith("enabled"):
        out.status = "unused-enabled"
        out.status_reason = f"SMTP AUTH enabled, no activity in the {UNUSED_DAYS} days before as_of"
        return
    out.status = "breaks-at-cutover"
    shown = f"{covered} days" if covered is not None else "no dated input"
    out.status_reason = (
        f"SMTP AUTH enabled and no activity seen, but the inputs cover {shown} (less than "
        f"{UNUSED_DAYS}): not called unused; if anything signs in with Basic it breaks"
    )
    out.unknowns.append(f"whether it is used (inputs cover {shown})")


def _blocked_reason(out: IdentityRow) -> str | None:
    if out.smtp_auth_state in ("disabled", "inherited-disabled"):
        return f"SMTP AUTH is off for the mailbox ({out.smtp_auth_state})"
    if out.basic_allowed_by_policy is False:
        return f"authentication policy {out.authentication_policy!r} blocks Basic SMTP"
    return out.entra_block


def _failing_now(row: dict[str, Any]) -> str | None:
    last_ok, last_try = row.get("last_success"), row.get("last_attempt")
    failures = int(row.get("failures") or 0)
    if last_try is None or failures < RECENT_FAILURES_BROKEN:
        return None
    if last_ok is not None and last_ok >= last_try - timedelta(days=1):
        return None
    since = f"since {last_ok.date().isoformat()}" if last_ok else "in the whole period"
    return f"no successful sign-in {since}; its recent sign-ins fail"


def _active_recently(out: IdentityRow, row: dict[str, Any], context: Context) -> bool:
    window = context.as_of - timedelta(days=UNUSED_DAYS)
    seen = [row.get("last_attempt"), row.get("last_message"), row.get("report_last")]
    if any(s is not None and s >= window for s in seen):
        return True
    # A report without dates still shows use within its own (up to 90-day) range.
    return bool(row.get("report_messages")) and row.get("report_last") is None


# -- the path ----------------------------------------------------------------------------------
def _fill_path(
    out: IdentityRow, row: dict[str, Any], context: Context, device: InventoryEntry | None
) -> None:
    out.device = device.to_dict() if device else None
    if device is not None and device.app_id:
        out.app_id = device.app_id
    path, reason = _choose_path(out, row, device)
    out.path, out.path_reason = path, reason
    if device is None and path not in ("none", "turn-off"):
        out.unknowns.append("whether its client can do OAuth (no inventory entry)")
    out.steps = path_steps(path, _facts(out, device, row))


def _choose_path(
    out: IdentityRow, row: dict[str, Any], device: InventoryEntry | None
) -> tuple[str, str]:
    if out.suspected_compromise:
        return "turn-off", "suspected compromise: turn SMTP AUTH off until the account is secured"
    if out.status == "unused-enabled":
        return "turn-off", "nothing uses it: turn SMTP AUTH off"
    if out.status == "safe":
        return "none", "nothing to move"
    if device is not None and device.oauth:
        return "oauth", f"the inventory says its client ({device.label()}) can do OAuth"
    fixed, why = _fixed_public_ip(out, row, device)
    if fixed:
        return "relay-connector", why
    recipients = (device.recipients if device else None) or out.recipients
    if recipients == "internal":
        return "hve", "mails internal recipients only" + (f"; {why}" if why else "")
    if recipients in ("external", "both"):
        return "acs", "mails external recipients and has no fixed public IP" + (
            f"; {why}" if why else ""
        )
    out.unknowns.append("its recipients (no message trace)")
    return "acs", "recipients unknown: Azure Communication Services Email reaches both; " + (
        "High Volume Email is the cheaper choice if they are internal only"
    )


def _fixed_public_ip(
    out: IdentityRow, row: dict[str, Any], device: InventoryEntry | None
) -> tuple[bool, str]:
    if device is not None and device.fixed_ip:
        if is_private_address(device.fixed_ip):
            return False, (
                f"the inventory's fixed_ip {device.fixed_ip} is private, not what Microsoft 365 "
                "sees (the connector needs the public address)"
            )
        return True, f"fixed public IP {device.fixed_ip} (inventory)"
    ips = out.source_ip_counts
    days = len(set(row.get("ok_days") or []))
    if len(ips) == 1 and days >= FIXED_IP_DAYS:
        ip = next(iter(ips))
        if not is_private_address(ip):
            return (
                True,
                f"one public address, {ip}, on {days} days of sign-ins: confirm it is fixed",
            )
    return False, ""


def _facts(out: IdentityRow, device: InventoryEntry | None, row: dict[str, Any]) -> PathFacts:
    fixed = device.fixed_ip if device and device.fixed_ip else None
    if fixed is None and len(out.source_ip_counts) == 1:
        fixed = next(iter(out.source_ip_counts))
    recipients = (device.recipients if device else None) or out.recipients or "both"
    name = (device.model or device.kind) if device else None
    return PathFacts(
        identity=out.identity,
        domain=out.identity.rpartition("@")[2] or "example.com",
        device_name=(name or out.identity.partition("@")[0])[:40],
        recipients=recipients,  # type: ignore[arg-type]
        fixed_ip=fixed,
        tls12=not any(v in out.tls_shares for v in ("1.0", "1.1")) or "1.2" in out.tls_shares,
        app_id=out.app_id,
        service_principal_id=device.service_principal_id if device else None,
        compromised=out.suspected_compromise,
    )


# -- the inputs section --------------------------------------------------------------------------
_COSTS = {
    "signins": "no sign-ins: no source IPs, countries or failed logins for Basic logins, so no "
    "risk signals and no compromise check",
    "smtp-auth-report": "no SMTP AUTH clients report: the Basic/OAuth split per sender and "
    "the TLS versions are unknown",
    "trace": "no message trace: messages per day, internal versus external recipients and the "
    "burst of a compromise are unknown, so HVE cannot be told from ACS",
    "exchange-settings": "no Exchange settings (CAS mailboxes, transport config, "
    "authentication policies, Get-User): SMTP AUTH state is unknown, inherited mailboxes are "
    "not counted, and Basic blocked by a policy is not seen",
    "graph-policies": "no security defaults or Conditional Access policies (cutover --graph "
    "reads them; or give a Graph Explorer or Get-MgIdentityConditionalAccessPolicy export): "
    "whether they already block legacy authentication, Basic SMTP AUTH included, is not "
    "checked, so an identity they block is not called broken and report-only or excluded "
    "users are not shown",
}


def _inputs_section(inputs: CutoverInputs, context: Context) -> dict[str, Any]:
    present = inputs.present()
    missing = [
        {"input": name, "cost": cost} for name, cost in _COSTS.items() if name not in present
    ]
    coverage = context.coverage_days
    history = None
    if coverage is None or coverage < UNUSED_DAYS:
        shown = f"{coverage} days" if coverage is not None else "no dated input"
        history = (
            f"the inputs cover {shown} before as_of, less than the {UNUSED_DAYS} days needed "
            "to call a mailbox unused; no mailbox is called unused"
        )
    return {
        "read": inputs.read,
        "missing": missing,
        "policies": inputs.graph_policies.to_dict() if inputs.graph_policies else None,
        "coverage_days": coverage,
        "history": history,
        "usual_countries": context.usual_countries,
        "bad_rows": _bad_rows(inputs),
    }


def _bad_rows(inputs: CutoverInputs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if inputs.signins is not None:
        out["signins"] = inputs.signins.bad_rows.to_dict()
    if inputs.report is not None:
        out["smtp-auth-report"] = inputs.report.bad_rows.to_dict()
    if inputs.trace is not None:
        out["trace"] = inputs.trace.bad_rows.to_dict()
    if inputs.graph_policies is not None and inputs.graph_policies.bad_count:
        out["graph-policies"] = inputs.graph_policies.bad_rows()
    return out
