"""Findings of the DNS checks, built from the catalogue in knowledge/dns_findings.json."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from o365diag.findings import Finding, Severity
from o365diag.knowledge import Entry, load_table

__all__ = ["finding", "microsoft_fact", "organizational_domain"]

_MAX_EVIDENCE = 20


class _Blank(dict[str, Any]):
    """format_map values where a missing key reads as an empty string, not a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def finding(
    code: str,
    values: Mapping[str, Any] | None = None,
    *,
    severity: Severity | None = None,
    detail: str = "",
    evidence: tuple[str, ...] | list[str] = (),
    references: tuple[str, ...] = (),
) -> Finding:
    """The catalogue entry ``code`` with its title, meaning and fix filled from ``values``."""
    entry = load_table("dns_findings").lookup(code)
    if entry is None:
        raise KeyError(f"finding code {code!r} is not in dns_findings.json")
    fields = _Blank({k: v for k, v in (values or {}).items() if v is not None})
    refs = tuple(dict.fromkeys((*references, entry.source)))
    return Finding(
        code=code,
        severity=severity or Severity(entry.get("severity", "info")),
        title=str(entry.get("title", code)).format_map(fields),
        detail=detail or entry.meaning.format_map(fields),
        fix=str(entry.get("fix", "")).format_map(fields),
        evidence=tuple(evidence)[:_MAX_EVIDENCE],
        references=refs,
    )


def microsoft_fact(key: str) -> Entry:
    """An entry of knowledge/dns_microsoft.json (endpoint suffixes, SPF includes...)."""
    entry = load_table("dns_microsoft").lookup(key)
    if entry is None:
        raise KeyError(f"{key!r} is not in dns_microsoft.json")
    return entry


@cache
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList  # parsing the list costs tens of ms

    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """The registrable domain per the Public Suffix List (RFC 7489 3.2); else the domain."""
    found = _psl().privatesuffix(domain.lower().rstrip("."))
    return str(found) if found else domain.lower().rstrip(".")
