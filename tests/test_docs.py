"""Every finding code the package can emit is listed in its capability's docs page."""

from __future__ import annotations

from o365diag.knowledge import load_table
from tests.conftest import REPO


def test_every_header_finding_code_is_documented() -> None:
    page = (REPO / "docs" / "headers.md").read_text(encoding="utf-8")
    missing = [code for code in load_table("header_findings").key_list() if f"`{code}`" not in page]
    assert missing == []


def test_every_header_rule_code_is_in_the_catalogue() -> None:
    import re

    source = (REPO / "o365diag" / "headers" / "diagnose.py").read_text(encoding="utf-8")
    used = set(re.findall(r'make_finding\(\s*"([a-z-]+)"', source))
    used |= set(re.findall(r'"(spf-[a-z]+|dkim-[a-z]+|dmarc-[a-z]+)"', source))
    assert used, "the pattern found no codes: the test would pass vacuously"
    assert used <= set(load_table("header_findings").key_list())


def test_every_cutover_finding_code_is_documented() -> None:
    page = (REPO / "docs" / "cutover.md").read_text(encoding="utf-8")
    codes = load_table("cutover_findings").key_list()
    assert len(codes) >= 15
    assert [code for code in codes if f"`{code}`" not in page] == []


def test_every_cutover_finding_code_is_in_the_catalogue() -> None:
    import re

    used: set[str] = set()
    for path in (REPO / "o365diag" / "cutover").glob("*.py"):
        used |= set(re.findall(r'"(cutover\.[a-z-]+)"', path.read_text(encoding="utf-8")))
    used |= {f"cutover.{risk}" for risk in ("failed-logins", "unexpected-country", "new-ip")}
    assert "cutover.suspected-compromise" in used
    assert used <= set(load_table("cutover_findings").key_list())
