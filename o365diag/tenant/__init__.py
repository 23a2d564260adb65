"""Read-only Microsoft Graph access for a tenant: sign-in (MSAL), message trace and sign-in
pulls into a Parquet store, the prerequisites check, and the Exchange settings script."""

from __future__ import annotations

from o365diag._lazy import lazy_getattr

__all__ = [
    "Connection",
    "GraphClient",
    "GraphError",
    "GraphSettings",
    "Store",
    "TracePullRequest",
    "check_tenant",
    "pull_message_trace",
]

__getattr__ = lazy_getattr(
    __name__,
    {
        "Connection": "auth",
        "GraphClient": "graph",
        "GraphError": "graph",
        "GraphSettings": "graph",
        "Store": "store",
        "TracePullRequest": "pull",
        "check_tenant": "check",
        "pull_message_trace": "pull",
    },
)
