"""DMARC identifier alignment (RFC 7489 §3.1) using the Public Suffix List."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = ["aligned", "domain_of", "organizational_domain"]


@cache
def _psl() -> PublicSuffixList:
    # Loaded on first use: parsing the list costs tens of milliseconds.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def domain_of(identity: str | None) -> str | None:
    """The domain of an address, ``@domain`` or bare domain, lower-cased, without a root dot."""
    if not identity:
        return None
    text = identity.strip().strip("<>").strip()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = text.strip().rstrip(".").lower()
    if not text or " " in text or "." not in text:
        return None
    return text


def organizational_domain(domain: str) -> str:
    """The registrable domain (one label below the public suffix); the domain itself if none."""
    found = _psl().privatesuffix(domain.lower())
    return str(found) if found else domain.lower()


def aligned(identifier: str | None, from_domain: str | None, strict: bool = False) -> bool | None:
    """Whether ``identifier`` aligns with the From domain; None when either is unknown."""
    if not identifier or not from_domain:
        return None
    if strict:
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)
