"""Findings of the setup assistant and the audit, built from knowledge/setup_findings.json."""

from __future__ import annotations

from collections.abc import Iterable

from o365diag.findings import Finding, Severity
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
    entry = load_table("setup_findings").lookup(code)
    if entry is None:
        raise LookupError(f"finding code {code!r} is not in setup_findings.json")
    return Finding(
        code=code,
        severity=Severity(entry.get("severity", "info")),
        title=title or str(entry.get("title", code)),
        detail=detail or entry.meaning,
        fix=fix if fix is not None else str(entry.get("fix", "")),
        evidence=tuple(evidence),
        references=tuple(dict.fromkeys((*references, entry.source))),
    )


def finding_codes() -> list[str]:
    return load_table("setup_findings").key_list()
