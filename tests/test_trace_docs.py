"""The trace finding catalogue, the rules that use it, and the docs page agree."""

from __future__ import annotations

import re

import pytest

from o365diag.knowledge import load_table
from o365diag.trace.diagnose import trace_finding
from o365diag.trace.formats import FORMATS
from tests.conftest import REPO

PAGE = (REPO / "docs" / "trace.md").read_text(encoding="utf-8")


def catalogue() -> list[str]:
    return load_table("trace_findings").key_list()


def test_every_trace_finding_code_is_documented() -> None:
    codes = catalogue()
    assert len(codes) > 20
    assert [c for c in codes if f"`{c}`" not in PAGE] == []


def test_every_code_the_rules_emit_is_in_the_catalogue_and_every_entry_is_used() -> None:
    source = (REPO / "o365diag" / "trace" / "diagnose.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"(trace\.[a-z-]+)"', source))
    assert len(used) > 20, "the pattern found too few codes: the test would pass vacuously"
    assert used == set(catalogue())


def test_every_entry_renders_with_missing_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("O365DIAG_STRICT_PLACEHOLDERS")  # missing values on purpose
    for code in catalogue():
        finding = trace_finding(code, {})
        assert finding.title and finding.detail and finding.references[0].startswith("https://")


def test_every_format_is_documented() -> None:
    assert [f.name for f in FORMATS if f"`{f.name}`" not in PAGE] == []
