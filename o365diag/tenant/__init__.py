"""Read-only tenant data: Entra sign-ins and the EAC SMTP AUTH clients report, offline or pulled.

Submodules import polars and load on first use, so ``import o365diag.tenant`` stays light::

    from o365diag.tenant import load_signins, load_smtp_auth_report
    signins = load_signins(["InteractiveSignIns.csv"])   # SigninData, frame with SIGNIN_COLUMNS
"""

from __future__ import annotations

from o365diag._lazy import lazy_getattr

__all__ = [
    "SIGNIN_COLUMNS",
    "SMTP_AUTH_REPORT_COLUMNS",
    "SigninData",
    "SmtpAuthReport",
    "TenantInputError",
    "load_signins",
    "load_smtp_auth_report",
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
}

__getattr__ = lazy_getattr(__name__, _HOMES)
