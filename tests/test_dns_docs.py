"""Every DNS finding code is in the catalogue, used by the code, and documented in docs/dns.md."""

from __future__ import annotations

import re

from o365diag.knowledge import load_table
from tests.conftest import REPO

SOURCES = sorted((REPO / "o365diag" / "dns").glob("*.py"))
CATALOGUE = set(load_table("dns_findings").key_list())
AREAS = "dns|mx|spf|dkim|dmarc|mta-sts|tls-rpt|autodiscover|dnsbl"


def _source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)


def test_every_code_used_in_the_source_is_in_the_catalogue() -> None:
    literal = set(re.findall(rf'"((?:{AREAS})\.[a-z][a-z0-9-]*)"', _source()))
    assert len(literal) > 60, "the pattern found too few codes: the test would pass vacuously"
    assert literal - CATALOGUE == set()


def test_every_catalogue_code_is_emitted_somewhere() -> None:
    source = _source()
    templated = set(re.findall(r'f"\{area\}\.([a-z-]+)"', source))
    unused = {
        code
        for code in CATALOGUE
        if f'"{code}"' not in source and code.split(".", 1)[1] not in templated
    }
    assert unused == set()


def test_every_code_is_documented_with_its_fix() -> None:
    page = (REPO / "docs" / "dns.md").read_text(encoding="utf-8")
    missing = [code for code in sorted(CATALOGUE) if f"| `{code}` |" not in page]
    assert missing == []


def test_catalogue_entries_have_a_title_and_a_fix_where_something_is_wrong() -> None:
    for entry in load_table("dns_findings").entries:
        assert entry.get("title"), entry.key
        assert entry.source.startswith("https://"), entry.key
        if entry.get("severity") in ("error", "critical"):
            assert entry.get("fix"), f"{entry.key} is an error without a fix"
