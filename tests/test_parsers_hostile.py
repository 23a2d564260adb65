"""Defects the fuzzing found in parsers outside the loaders, kept as regression tests."""

from __future__ import annotations

import pytest

from o365diag.dns.dmarc import parse_dmarc
from o365diag.headers.analysis import analyze


@pytest.mark.parametrize("pct", ["9" * 4301, "²", "101", "-1", "0" * 5000 + "50"])
def test_a_dmarc_pct_that_is_no_percentage_is_a_problem_not_a_crash(pct: str) -> None:
    policy = parse_dmarc(f"v=DMARC1; p=reject; pct={pct}")
    expected = 50 if pct.endswith("50") else None
    if expected is None:
        assert any(problem.startswith("pct=") for problem in policy.problems)
        assert policy.pct == 100
    else:
        assert policy.pct == expected and not policy.problems


def test_pasted_headers_with_a_lone_surrogate_give_valid_utf8() -> None:
    result = analyze("From: Scanner \ud800 <scanner@example.com>\r\nSubject: x\r\n", name="paste")
    text = result.to_json()
    text.encode("utf-8")  # strict
    assert "\ufffd" in text
