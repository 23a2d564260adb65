"""Findings of the cutover readiness, built from knowledge/cutover_findings.json."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from o365diag.findings import Finding, catalogue_finding
from o365diag.knowledge import load_table

__all__ = ["finding", "finding_codes"]


def finding(
    code: str,
    values: Mapping[str, Any] | None = None,
    *,
    detail: str = "",
    fix: str | None = None,
    evidence: Iterable[str] = (),
) -> Finding:
    """A finding for ``code``: the catalogue's title (filled from ``values``), meaning and fix."""
    return catalogue_finding(
        "cutover_findings",
        code,
        values,
        detail=detail,
        fix=fix,
        evidence=evidence,
        max_evidence=50,
    )


def finding_codes() -> list[str]:
    return load_table("cutover_findings").key_list()
