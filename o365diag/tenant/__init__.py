"""Read-only tenant data: Microsoft Graph sign-in (MSAL), message trace and sign-in pulls into a
Parquet store, the prerequisites check, Entra sign-ins and the EAC SMTP AUTH clients report
offline, and the Exchange settings collection script.

Submodules import polars (and MSAL) and load on first use, so ``import o365diag.tenant`` stays
light::

    from o365diag.tenant import load_signins, load_smtp_auth_report
    signins = load_signins(["InteractiveSignIns.csv"])   # SigninData, frame with SIGNIN_COLUMNS
"""

from __future__ import annotations

from o365diag._lazy import lazy_getattr

__all__ = [
    "SIGNIN_COLUMNS",
    "SMTP_AUTH_REPORT_COLUMNS",
    "Connection",
    "GraphClient",
    "GraphError",
    "GraphSettings",
    "SigninData",
    "SmtpAuthReport",
    "Store",
    "TenantInputError",
    "TracePullRequest",
    "check_tenant",
    "load_signins",
    "load_smtp_auth_report",
    "pull_message_trace",
    "signins_frame_from_graph",
]

_HOMES = {
    "SIGNIN_COLUMNS": "signins",
    "SigninData": "signins",
    "TenantInputError": "signins",
    "load_signins": "signins",
    "signins_frame_from_graph": "signins",
    "SMTP_AUTH_REPORT_COLUMNS": "smtp_auth_report",
    "SmtpAuthReport": "smtp_auth_report",
    "load_smtp_auth_report": "smtp_auth_report",
    "Connection": "auth",
    "GraphClient": "graph",
    "GraphError": "graph",
    "GraphSettings": "graph",
    "Store": "store",
    "TracePullRequest": "pull",
    "check_tenant": "check",
    "pull_message_trace": "pull",
}

__getattr__ = lazy_getattr(__name__, _HOMES)
