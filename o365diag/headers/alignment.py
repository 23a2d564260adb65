"""DMARC identifier alignment (RFC 7489 §3.1) using the Public Suffix List."""

from __future__ import annotations

from o365diag.domains import domain_of, organizational_domain

__all__ = ["aligned", "domain_of", "organizational_domain"]


def aligned(identifier: str | None, from_domain: str | None, strict: bool = False) -> bool | None:
    """Whether ``identifier`` aligns with the From domain; None when either is unknown."""
    if not identifier or not from_domain:
        return None
    if strict:
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)
