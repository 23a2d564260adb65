"""Read-only pull of the tenant's security defaults and Conditional Access policies.

Two GETs (Policy.Read.All): ``/v1.0/policies/identitySecurityDefaultsEnforcementPolicy`` and
``/v1.0/identity/conditionalAccess/policies`` (every page, following ``@odata.nextLink``),
through the same :class:`GraphClient` as the other pulls (timeouts, Retry-After on 429,
back-off, token renewal). A refusal of one part (403: the permission, a role, or the Entra ID
P1 licence Conditional Access needs) is recorded in the file and reported as a finding; it does
not stop the other part. The result is one JSON file, ``graph-policies.json`` (schema
``o365diag.graph-policies/1``), that the cutover recognises by its content.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from o365diag.findings import Finding, catalogue_finding
from o365diag.knowledge import load_table
from o365diag.tenant.graph import Cancelled, GraphClient, GraphError
from o365diag.tenant.model import GraphRequest, PoliciesRead, PullAsked, PullData
from o365diag.tenant.result import PullResult

__all__ = [
    "CONDITIONAL_ACCESS_PATH",
    "POLICIES_FILE",
    "POLICIES_SCHEMA",
    "SECURITY_DEFAULTS_PATH",
    "pull_policies",
    "refusal_finding",
]

POLICIES_SCHEMA = "o365diag.graph-policies/1"
POLICIES_FILE = "graph-policies.json"


def _endpoint(key: str) -> str:
    entry = load_table("graph_policies").lookup(key)
    assert entry is not None, key
    return str(entry.get("path"))


SECURITY_DEFAULTS_PATH = _endpoint("endpoint.security-defaults")
CONDITIONAL_ACCESS_PATH = _endpoint("endpoint.conditional-access")
# A 403 means this part was not readable (permission, role or licence): say so, carry on.
_REFUSED = ("tenant.permission-missing", "tenant.licence-missing")
_PARTS = {
    "security_defaults": "security defaults",
    "conditional_access": "Conditional Access policies",
}


def pull_policies(client: GraphClient, tenant: str, out: str | Path) -> PullResult:
    """Read both parts and write ``out/graph-policies.json``; the result says what was read.

    A part Graph refuses (403) is kept in the file as an error and reported with
    ``tenant.policies-unreadable``; any other failure stops the pull (nothing is written).
    """
    findings: list[Finding] = []
    document: dict[str, Any] = {
        "schema": POLICIES_SCHEMA,
        "tenant": tenant,
        "fetched": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    complete = True
    try:
        document.update(_part(client, "security_defaults", _security_defaults, findings))
        document.update(_part(client, "conditional_access", _conditional_access, findings))
    except GraphError as exc:
        findings.append(catalogue_finding("tenant_findings", exc.code, {"detail": exc.detail}))
        complete = False
    except (Cancelled, KeyboardInterrupt):
        findings.append(catalogue_finding("tenant_findings", "tenant.interrupted"))
        complete = False
    finally:
        client.close()
    path = _write(Path(out), document) if complete else None
    if complete:
        findings.append(_read_finding(document))
    log = client.log
    pulled = PullData(
        kind="policies",
        asked=PullAsked(tenant=tenant),
        requests=[GraphRequest(**r) for r in log.requests],
        pages=log.pages,
        rows_written=len(document.get("conditional_access") or []),
        retries=log.retries,
        throttle_wait_s=round(log.throttle_wait_s, 3),
        complete=complete,
        store=str(path) if path else None,
        policies=_summary(document) if complete else None,
    )
    return PullResult.from_model(pulled, findings)  # titled as a saved one is


def _part(client: GraphClient, name: str, read: Any, findings: list[Finding]) -> dict[str, Any]:
    try:
        return {name: read(client), f"{name}_error": None}
    except GraphError as exc:
        refused = refusal_finding(name, exc)
        if refused is None:
            raise
        findings.append(refused)
        error = {"code": exc.code, "status": exc.status, "detail": exc.detail}
        return {name: None, f"{name}_error": error}


def _security_defaults(client: GraphClient) -> dict[str, Any]:
    answer = client.get_json(client.url(SECURITY_DEFAULTS_PATH))
    client.log.pages += 1
    if not isinstance(answer.get("isEnabled"), bool):
        raise GraphError("tenant.malformed-page", "the security defaults answer has no isEnabled")
    return {k: v for k, v in answer.items() if not k.startswith("@odata")}


def _conditional_access(client: GraphClient) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = []
    for page in client.pages(CONDITIONAL_ACCESS_PATH):
        value = page.get("value")
        if not isinstance(value, list):
            raise GraphError("tenant.malformed-page", "a policies page has no 'value' list")
        policies.extend(item for item in value if isinstance(item, dict))
    return policies


def _write(folder: Path, document: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / POLICIES_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)  # a reader never sees half a file
    return path


def refusal_finding(part: str, exc: GraphError) -> Finding | None:
    """``tenant.policies-unreadable`` for a 403 on ``part`` (``security_defaults`` or
    ``conditional_access``); None for any other failure."""
    if exc.code not in _REFUSED:
        return None
    needs = "Policy.Read.All"
    if part == "conditional_access":
        needs += ", and Microsoft Entra ID P1 (Conditional Access needs it)"
    values = {"part": _PARTS[part], "detail": exc.detail, "needs": needs}
    return catalogue_finding("tenant_findings", "tenant.policies-unreadable", values)


def _summary(document: dict[str, Any]) -> PoliciesRead:
    defaults = document.get("security_defaults")
    policies = document.get("conditional_access")
    return PoliciesRead(
        security_defaults=defaults.get("isEnabled") if isinstance(defaults, dict) else None,
        conditional_access_policies=len(policies) if isinstance(policies, list) else None,
    )


def _read_finding(document: dict[str, Any]) -> Finding:
    summary = _summary(document)
    defaults = summary.security_defaults
    count = summary.conditional_access_policies
    values = {
        "defaults": "not read" if defaults is None else ("on" if defaults else "off"),
        "policies": "not read" if count is None else str(count),
    }
    return catalogue_finding("tenant_findings", "tenant.policies-read", values)
