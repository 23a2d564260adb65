"""DMARC identifier alignment (RFC 7489 §3.1) using the Public Suffix List."""

from __future__ import annotations

from o365diag.domains import domain_of, organizational_domain

__all__ = ["aligned", "alignment_forms", "domain_of", "organizational_domain"]


def aligned(identifier: str | None, from_domain: str | None, strict: bool = False) -> bool | None:
    """Whether ``identifier`` aligns with the From domain; None when either is unknown."""
    if not identifier or not from_domain:
        return None
    part = 0 if strict else 1
    return alignment_forms(identifier)[part] == alignment_forms(from_domain)[part]


def alignment_forms(domain: str) -> tuple[str, str]:
    """What strict and relaxed alignment compare: the name and its organizational domain.
    An internationalized name matches in either spelling (bücher.example and
    xn--bcher-kva.example are one domain: DKIM and SPF write the second, From often the first)."""
    name = _a_labels(domain)
    return name, organizational_domain(name)


def _a_labels(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain  # not a valid name: compared as written
