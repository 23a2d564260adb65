"""Every authored sample in sample_headers/ against its hand-written expectation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from o365diag.headers import analyze
from tests.conftest import SAMPLES

SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".txt", ".eml"))


def _expected(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.with_name(f"{path.stem}.expected.json").read_text("utf-8")))


def _subset_mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Paths where ``actual`` differs from ``expected``; keys absent from expected are free."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        return [
            m
            for key, value in expected.items()
            for m in _subset_mismatches(value, actual.get(key), f"{where}.{key}")
        ]
    if isinstance(expected, list) and expected and isinstance(expected[0], dict):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r}"]
        return [
            m
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for m in _subset_mismatches(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def test_there_are_at_least_fifteen_samples_each_with_an_expectation() -> None:
    assert len(SAMPLE_FILES) >= 15
    for path in SAMPLE_FILES:
        assert path.with_name(f"{path.stem}.expected.json").is_file(), path.name


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_sample_matches_expectation(path: Path) -> None:
    expected = _expected(path)
    data = analyze(path.read_bytes(), name=path.name).to_dict()
    problems = _subset_mismatches(
        {k: expected[k] for k in ("summary", "authentication", "antispam") if k in expected}, data
    )
    if "hops_count" in expected and len(data["hops"]) != expected["hops_count"]:
        problems.append(f"hops: expected {expected['hops_count']}, got {len(data['hops'])}")
    total, want = data["total_transit_seconds"], expected.get("total_transit_seconds")
    if (want is None) != (total is None) or (want is not None and abs(total - want) > 1):
        problems.append(f"total_transit_seconds: expected {want}, got {total}")
    codes = {f["code"] for f in data["findings"]}
    missing = set(expected.get("findings_include", [])) - codes
    unwanted = set(expected.get("findings_exclude", [])) & codes
    if missing:
        problems.append(f"findings missing: {sorted(missing)}")
    if unwanted:
        problems.append(f"findings that should not be there: {sorted(unwanted)}")
    assert problems == []
