"""Domain names: the domain of an address and the organizational domain (Public Suffix List)."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

from o365diag.knowledge import load_table

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = ["domain_of", "is_always_published", "organizational_domain", "registrable_domain"]


@cache
def _psl() -> PublicSuffixList:
    # Loaded on first use: parsing the list costs tens of milliseconds.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


# Pure and called for the same few sender domains message after message.
@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=8192)
def organizational_domain(domain: str) -> str:
    """The registrable domain (RFC 7489 §3.2: one label below the public suffix), else itself."""
    name = domain.lower().rstrip(".")
    found = _psl().privatesuffix(name)
    return str(found) if found else name


def registrable_domain(name: str) -> str | None:
    """The registrable domain under a *known* public suffix; None for names like
    ``report.html`` whose last label is no top-level domain at all."""
    found = _psl().privatesuffix(name.lower().rstrip("."), accept_unknown=False)
    return found if isinstance(found, str) else None


def is_always_published(host: str) -> bool:
    """True for Microsoft 365 names that resolve on every working network (knowledge/
    dns_microsoft.json): when one does not, the local resolver is at fault, not the spelling."""
    entry = load_table("dns_microsoft").lookup("always-published-hosts")
    if entry is None:
        return False
    name = host.strip().rstrip(".").lower()
    suffixes = tuple(f".{suffix}" for suffix in entry.get("suffixes") or ())
    return name in (entry.get("value") or ()) or name.endswith(suffixes)
