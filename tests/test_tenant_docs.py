"""docs/tenant.md lists every tenant finding code; the package uses every one; the DuckDB
example of the page runs over a store written by a pull."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from o365diag.findings import catalogue_finding
from o365diag.knowledge import load_table
from tests.conftest import REPO

PAGE = (REPO / "docs" / "tenant.md").read_text(encoding="utf-8")


def codes() -> list[str]:
    return load_table("tenant_findings").key_list()


def test_every_tenant_finding_code_is_documented() -> None:
    assert len(codes()) > 20
    assert [c for c in codes() if f"`{c}`" not in PAGE] == []


def test_every_code_is_used_by_the_package_and_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("O365DIAG_STRICT_PLACEHOLDERS")  # missing values on purpose
    source = "".join(
        p.read_text(encoding="utf-8") for p in (REPO / "o365diag" / "tenant").glob("*.py")
    )
    used = set(re.findall(r'"(tenant\.[a-z-]+)"', source))
    assert len(used) > 15, "the pattern found too few codes: the test would pass vacuously"
    assert set(codes()) <= used
    for code in codes():
        finding = catalogue_finding("tenant_findings", code, {})
        assert finding.title and finding.detail and finding.references[0].startswith("https://")


def test_the_duckdb_example_runs_over_a_pulled_store(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    import polars as pl

    from o365diag.tenant.store import Store

    sql = re.search(r"```sql\n(.*?)```", PAGE, re.S)
    assert sql is not None
    for tenant, statuses in (
        ("contoso.example", ["Failed", "Delivered"]),
        ("fabrikam.test", ["Quarantined"]),
    ):
        store = Store(tmp_path / "store", tenant, "messageTrace", "all", {})
        frame = pl.DataFrame({"status": statuses, "received": [None] * len(statuses)})
        store.write_day(__import__("datetime").date(2026, 1, 2), frame)
    rows = duckdb.sql(sql.group(1).replace("'store/", f"'{tmp_path}/store/")).fetchall()
    assert [(t, str(d), s, n) for t, d, s, n in rows] == [
        ("contoso.example", "2026-01-02", "Failed", 1),
        ("fabrikam.test", "2026-01-02", "Quarantined", 1),
    ]
