"""DNS checks for sending through Microsoft 365: resolver, SPF (RFC 7208), records, blocklists.

Submodules load on first use, so ``import o365diag.dns`` stays cheap::

    from o365diag.dns import Resolver, audit_domain, check_host
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag._lazy import lazy_getattr

if TYPE_CHECKING:
    from o365diag.dns.audit import audit_domain, live_recheck
    from o365diag.dns.dkim_verify import verify_message
    from o365diag.dns.resolver import DnsResult, Outcome, Resolver
    from o365diag.dns.spf import SpfCheck, SpfResult, check_host

__all__ = [
    "DnsResult",
    "Outcome",
    "Resolver",
    "SpfCheck",
    "SpfResult",
    "audit_domain",
    "check_host",
    "live_recheck",
    "verify_message",
]

_HOMES = {
    "DnsResult": "resolver",
    "Outcome": "resolver",
    "Resolver": "resolver",
    "SpfCheck": "spf",
    "SpfResult": "spf",
    "check_host": "spf",
    "audit_domain": "audit",
    "live_recheck": "audit",
    "verify_message": "dkim_verify",
}


__getattr__ = lazy_getattr(__name__, _HOMES)
