"""Findings of the setup assistant and the audit, built from knowledge/setup_findings.json."""

from __future__ import annotations

from collections.abc import Iterable

from o365diag.findings import Finding, catalogue_finding
from o365diag.knowledge import load_table

__all__ = ["finding", "finding_codes"]


def finding(
    code: str,
    detail: str = "",
    *,
    title: str | None = None,
    fix: str | None = None,
    evidence: Iterable[str] = (),
    references: Iterable[str] = (),
) -> Finding:
    """A finding for ``code``: the catalogue's title, meaning and fix unless given here."""
    return catalogue_finding(
        "setup_findings",
        code,
        title=title,
        detail=detail,
        fix=fix,
        evidence=evidence,
        references=references,
        max_evidence=1000,
    )


def finding_codes() -> list[str]:
    return load_table("setup_findings").key_list()
