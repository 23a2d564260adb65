"""Hostile and broken inputs: a finding or a clear error, never a traceback, in linear time."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from o365diag.headers import InputError, analyze
from o365diag.headers.analysis import MAX_HOPS
from tests.test_headers_cli import HEADERS

LIMIT_SECONDS = 5.0


def _timed(build: Callable[[], str | bytes]) -> tuple[float, list[str]]:
    data = build()
    started = time.perf_counter()
    report = analyze(data)
    return time.perf_counter() - started, report.codes()


def _many_received() -> str:
    hop = (
        "Received: from h{n}.example.net (192.0.2.{m}) by h{k}.example.net with ESMTP id A{n};"
        " Mon, 23 Nov 2026 10:{mm:02d}:{ss:02d} +0000\n"
    )
    lines = [
        hop.format(n=n, m=n % 250 + 1, k=n + 1, mm=(20000 - n) // 60 % 60, ss=(20000 - n) % 60)
        for n in range(20_000)
    ]
    return "".join(lines) + HEADERS


CASES: dict[str, Callable[[], str | bytes]] = {
    "5 MB header": lambda: HEADERS + "X-Big: " + "a" * (5 * 1024 * 1024) + "\n",
    "20,000 Received lines": _many_received,
    "50,000 nested parentheses in A-R": lambda: HEADERS.replace(
        "(sender IP is 203.0.113.25)", "(" * 50_000 + "x" + ")" * 50_000
    ),
    "50,000 unclosed parentheses in Received": lambda: HEADERS.replace(
        "(10.13.3.181)", "(" * 50_000
    ),
    "100,000 semicolons in the antispam report": lambda: HEADERS.replace(
        "DIR:INB;", "DIR:INB;" + ";" * 100_000
    ),
    "200,000 folded lines": lambda: "Subject: x\n" + " y\n" * 200_000 + HEADERS,
    "50,000 encoded words": lambda: "Subject: " + "=?utf-8?B?YQ==?= " * 50_000 + "\n" + HEADERS,
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_analyzed_in_linear_time(name: str) -> None:
    elapsed, codes = _timed(CASES[name])
    assert elapsed < LIMIT_SECONDS, f"{name} took {elapsed:.1f} s"
    assert "intra-org-spoof" in codes


def test_twenty_thousand_hops_keep_the_newest_thousand_in_order() -> None:
    report = analyze(_many_received())
    hops = report.data["hops"]
    assert len(hops) == MAX_HOPS
    assert report.data["skipped_hops"] == 20_001 - MAX_HOPS
    # Numbered by their place from the bottom, oldest of the kept ones first.
    assert [hop["index"] for hop in hops[:2]] == [20_001 - MAX_HOPS + 1, 20_001 - MAX_HOPS + 2]
    assert hops[-1]["index"] == 20_001


def test_a_hundred_thousand_hops_are_capped_and_the_finding_says_so() -> None:
    lines = [
        f"Received: from h{n}.example.net (192.0.2.1) by h{n + 1}.example.net with ESMTP; "
        f"Mon, 23 Nov 2026 {(100_000 - n) // 3600 % 24:02d}:{(100_000 - n) // 60 % 60:02d}:"
        f"{(100_000 - n) % 60:02d} +0000\n"
        for n in range(100_000)
    ]
    text = "".join(lines) + HEADERS
    started = time.perf_counter()
    report = analyze(text)
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_SECONDS, f"took {elapsed:.1f} s"
    assert len(report.data["hops"]) == MAX_HOPS
    malformed = next(f for f in report.findings if f.code == "malformed-header")
    assert any("100,001 headers" in line and "only the newest 1,000" in line
               for line in malformed.evidence)  # fmt: skip


def test_random_mutations_never_raise() -> None:
    rng = random.Random(20261129)
    base = HEADERS.encode()
    alphabet = b'();:=\r\n\t ?=<>@[]%"\\\x00\xff'
    for _ in range(400):
        data = bytearray(base)
        for _ in range(rng.randint(1, 40)):
            position = rng.randrange(len(data))
            action = rng.random()
            if action < 0.4:
                data[position] = rng.choice(alphabet)
            elif action < 0.7:
                del data[position : position + rng.randint(1, 30)]
            else:
                data[position:position] = bytes(rng.choice(alphabet) for _ in range(5))
        try:
            report = analyze(bytes(data))
        except InputError:
            continue
        report.to_json()
        report.to_text()
        report._repr_html_()


def test_many_slow_hops_give_ten_findings_and_a_count() -> None:
    hops = "".join(
        f"Received: from a{n}.example.net by a{n + 1}.example.net with ESMTP; "
        f"Mon, 23 Nov 2026 {n // 6:02d}:{n % 6 * 10:02d}:00 +0000\n"
        for n in reversed(range(30))
    )
    report = analyze(hops + HEADERS)
    slow = [f for f in report.findings if f.code == "slow-hop"]
    assert len(slow) == 11
    assert "19 more hop(s)" in slow[-1].detail
