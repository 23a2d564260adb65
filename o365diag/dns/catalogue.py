"""Findings of the DNS checks, built from the catalogue in knowledge/dns_findings.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from o365diag.domains import organizational_domain
from o365diag.findings import Finding, Severity, catalogue_finding
from o365diag.knowledge import Entry, load_table

__all__ = ["finding", "microsoft_fact", "organizational_domain"]


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
    return catalogue_finding(
        "dns_findings",
        code,
        values,
        severity=severity,
        detail=detail,
        evidence=evidence,
        references=references,
        missing="",
    )


def microsoft_fact(key: str) -> Entry:
    """An entry of knowledge/dns_microsoft.json (endpoint suffixes, SPF includes...)."""
    entry = load_table("dns_microsoft").lookup(key)
    if entry is None:
        raise KeyError(f"{key!r} is not in dns_microsoft.json")
    return entry
