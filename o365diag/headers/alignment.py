"""DMARC identifier alignment (RFC 7489 §3.1) using the Public Suffix List."""

from __future__ import annotations

from o365diag.domains import domain_of, organizational_domain

__all__ = ["aligned", "domain_of", "organizational_domain"]


def aligned(identifier: str | None, from_domain: str | None, strict: bool = False) -> bool | None:
    """Whether ``identifier`` aligns with the From domain; None when either is unknown.
    An internationalized name matches in either spelling (bücher.example and
    xn--bcher-kva.example are one domain: DKIM and SPF write the second, From often the first)."""
    if not identifier or not from_domain:
        return None
    identifier, from_domain = _a_labels(identifier), _a_labels(from_domain)
    if strict:
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)


def _a_labels(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain  # not a valid name: compared as written
