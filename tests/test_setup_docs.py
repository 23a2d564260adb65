"""docs/setup.md lists every finding code the setup assistant and the audit can emit."""

from __future__ import annotations

import re

from o365diag.knowledge import load_table
from tests.conftest import REPO

PACKAGE = REPO / "o365diag" / "setup"


def test_every_setup_and_audit_code_is_documented() -> None:
    page = (REPO / "docs" / "setup.md").read_text(encoding="utf-8")
    codes = load_table("setup_findings").key_list()
    assert [c for c in codes if f"`{c}`" not in page] == []


def test_every_code_the_package_emits_is_in_the_catalogue() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in PACKAGE.glob("*.py"))
    used = set(re.findall(r'finding\(\s*"((?:setup|audit)\.[a-z0-9-]+)"', source))
    assert len(used) > 30, "the pattern found too few codes: the test would pass vacuously"
    assert used == set(load_table("setup_findings").key_list())
