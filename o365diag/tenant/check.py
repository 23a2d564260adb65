"""``o365diag tenant check``: what message trace and sign-in pulls need, each missing piece a
finding with its exact fix. Read-only: one small query per prerequisite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from o365diag.findings import Finding, catalogue_finding
from o365diag.tenant.graph import GraphClient, GraphError
from o365diag.tenant.model import GraphRequest, TenantCheckData
from o365diag.tenant.policies import CONDITIONAL_ACCESS_PATH, refusal_finding
from o365diag.tenant.pull import MESSAGE_TRACE_PATH
from o365diag.tenant.result import CHECK_SCHEMA, TenantCheckResult
from o365diag.tenant.timerange import format_instant

__all__ = ["CHECK_SCHEMA", "SIGNINS_PATH", "TRACE_APP_ID", "check_tenant"]

TRACE_APP_ID = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373"
SIGNINS_PATH = "/beta/auditLogs/signIns"
_TABLE = "tenant_findings"


def check_tenant(
    client: GraphClient, tenant: str, mode: str, sign_in: dict[str, Any] | None = None
) -> TenantCheckResult:
    """``sign_in`` is what ``tenant status`` shows (None with a token from the environment)."""
    findings: list[Finding] = []
    checks: dict[str, str] = {}
    if sign_in is not None:
        findings.extend(_sign_in_findings(sign_in))
    if mode == "secret":
        findings.append(catalogue_finding(_TABLE, "tenant.client-secret"))
    for name, probe in (
        ("service_principal", _service_principal),
        ("message_trace", _message_trace),
        ("sign_ins", _sign_ins),
        ("policies", _policies),
    ):
        finding = probe(client)
        checks[name] = finding.code
        findings.append(finding)
        if finding.code in ("tenant.token-invalid", "tenant.not-signed-in"):
            break
    requests = [GraphRequest(**r) for r in client.log.requests]
    checked = TenantCheckData(tenant=tenant, mode=mode, checks=checks, requests=requests)
    return TenantCheckResult.from_model(checked, findings, f"Tenant check for {tenant}")


def _sign_in_findings(sign_in: dict[str, Any]) -> list[Finding]:
    values = {
        "tenant": sign_in.get("tenant"),
        "account": sign_in.get("account") or f"app {sign_in.get('client_id')}",
        "expires": sign_in.get("expires"),
        "path": sign_in.get("cache", {}).get("path"),
    }
    found = [catalogue_finding(_TABLE, "tenant.signed-in", values)]
    if not str(sign_in.get("cache", {}).get("protection", "")).startswith("encrypted"):
        found.append(catalogue_finding(_TABLE, "tenant.cache-unencrypted", values))
    return found


def _failed(exc: GraphError) -> Finding:
    return catalogue_finding(_TABLE, exc.code, {"detail": exc.detail})


def _service_principal(client: GraphClient) -> Finding:
    params = {"$filter": f"appId eq '{TRACE_APP_ID}'", "$select": "id,appId"}
    try:
        page = client.get_json(client.url("/v1.0/servicePrincipals", params))
    except GraphError as exc:
        if exc.code in ("tenant.permission-missing", "tenant.licence-missing"):
            return catalogue_finding(_TABLE, "tenant.sp-unknown", {"detail": exc.detail})
        return _failed(exc)
    if page.get("value"):
        return catalogue_finding(_TABLE, "tenant.sp-present")
    detail = f"no service principal with appId {TRACE_APP_ID} in the tenant"
    return catalogue_finding(_TABLE, "tenant.service-principal-missing", {"detail": detail})


def _recent_filter(field: str) -> str:
    now = datetime.now(UTC)
    start = format_instant(now - timedelta(hours=1))
    return f"{field} ge {start} and {field} le {format_instant(now)}"


def _readable(client: GraphClient, path: str, time_field: str, ok_code: str) -> Finding:
    """One row asked for from the last hour: answered, or the refusal's finding."""
    params = {"$filter": _recent_filter(time_field), "$top": "1"}
    try:
        client.get_json(client.url(path, params))
    except GraphError as exc:
        return _failed(exc)
    return catalogue_finding(_TABLE, ok_code)


def _message_trace(client: GraphClient) -> Finding:
    return _readable(client, MESSAGE_TRACE_PATH, "receivedDateTime", "tenant.trace-readable")


def _sign_ins(client: GraphClient) -> Finding:
    return _readable(client, SIGNINS_PATH, "createdDateTime", "tenant.signins-readable")


def _policies(client: GraphClient) -> Finding:
    """The Conditional Access list (Policy.Read.All and Entra ID P1): what cutover --graph
    reads besides security defaults; a refusal is a warning, the rest works without it."""
    try:
        client.get_json(client.url(CONDITIONAL_ACCESS_PATH))
    except GraphError as exc:
        found = refusal_finding("conditional_access", exc)
        return found if found is not None else _failed(exc)
    return catalogue_finding(_TABLE, "tenant.policies-readable")
