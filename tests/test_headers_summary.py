"""The message summary: what it reads from Date, From, To and Cc, and the shortcuts it takes.

Each fix here failed before it: a Date with a leap second read as :59 without a word, and an
address with the root's dot (``a@example.com.``) kept it while host names and the From domain
drop it.
"""

from __future__ import annotations

import email.utils
import random

import pytest

from o365diag.findings import Severity
from o365diag.headers import analyze
from o365diag.headers.analysis import _BARE_LIST, _ONE_ADDRESS, _addresses, _simple_list
from tests.test_headers_fast_paths import _mutations


def _malformed_evidence(text: str) -> tuple[Severity, tuple[str, ...]]:
    found = next(f for f in analyze(text).findings if f.code == "malformed-header")
    return found.severity, found.evidence


# ------------------------------------------------------------------ Date (RFC 5322 §3.3)


@pytest.mark.parametrize(
    ("date", "iso", "note"),
    [
        (
            "Sat, 31 Dec 2016 23:59:60 +0000",
            "2016-12-31T23:59:59+00:00",
            "23:59:60 read as 23:59:59",
        ),
        (
            "Sat, 31 Dec 2016 18:59:60 -0500",
            "2016-12-31T23:59:59+00:00",
            "18:59:60 read as 18:59:59",
        ),
        ("31 Dec 2016 23:59:60 GMT", "2016-12-31T23:59:59+00:00", "23:59:60 read as 23:59:59"),
    ],
)
def test_a_leap_second_in_the_date_is_noted(date: str, iso: str, note: str) -> None:
    text = f"From: a@example.com\nSubject: leap\nDate: {date}\n"
    summary = analyze(text).data["summary"]
    assert (summary["date"], summary["date_raw"]) == (iso, date)
    severity, evidence = _malformed_evidence(text)
    assert severity is Severity.INFO
    assert f"Date: leap second {note}" in evidence


@pytest.mark.parametrize(
    ("date", "iso", "notes"),
    [
        ("Sat, 31 Dec 2016 10:00:00", "2016-12-31T10:00:00+00:00", ["no time zone, assumed UTC"]),
        (
            "31 Dec 2016 10:00 XYZ",
            "2016-12-31T10:00:00+00:00",
            ["no time zone, assumed UTC (XYZ not understood)"],
        ),
        (
            "31 Dec 2016",
            "2016-12-31T00:00:00+00:00",
            ["no time of day, assumed 00:00", "no time zone, assumed UTC"],
        ),
    ],
)
def test_a_date_read_with_an_assumption_says_so(date: str, iso: str, notes: list[str]) -> None:
    text = f"From: a@example.com\nDate: {date}\n"
    assert analyze(text).data["summary"]["date"] == iso
    severity, evidence = _malformed_evidence(text)
    assert severity is Severity.INFO and evidence == tuple(f"Date: {note}" for note in notes)


def test_an_ordinary_date_adds_no_note() -> None:
    report = analyze("From: a@example.com\nDate: Sat, 31 Dec 2016 23:59:59 +0000\n")
    assert report.data["summary"]["date"] == "2016-12-31T23:59:59+00:00"
    assert "malformed-header" not in [f.code for f in report.findings]


def test_analyzing_a_parsed_set_twice_notes_each_repair_once() -> None:
    from o365diag.headers.parse import read_header_source

    groups = "".join(f"g{n}: a{n}@example.com;, " for n in range(60))
    headers = read_header_source(
        f"From: a@example.com\nTo: {groups}\nDate: 31 Dec 2016 23:59:60 +0000\n"
    )
    first = analyze(headers).data["summary"]["to"]
    second = analyze(headers).data["summary"]["to"]
    assert first == second and len(first) == 60
    assert headers.repairs == [
        "To: 60 group markers in 1,359 characters; the addresses were picked out by pattern",
        "Date: leap second 23:59:60 read as 23:59:59",
    ]


# ------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    ("field", "address"),
    [
        ("a@example.com.", "a@example.com"),
        ("Scanner <scanner@example.com.>", "scanner@example.com"),
        ('"Doe, John" <j@example.com..>', "j@example.com"),
        ("a@example.com", "a@example.com"),
        ("a.@example.com", "a.@example.com"),  # a dot in the local part is no root dot
    ],
)
def test_the_from_address_drops_the_root_dot(field: str, address: str) -> None:
    report = analyze(f"From: {field}\nTo: b@example.org., {field}\nCc: {field}\n")
    summary = report.data["summary"]
    assert summary["from_address"] == address
    assert summary["to"] == ["b@example.org", address]
    assert summary["cc"] == [address]
    assert report.data["authentication"]["alignment"]["from_domain"] == "example.com"


def _list_part_by_part(value: str) -> list[str] | None:
    """The plain list reading the bare-list shortcut skips: each part on its own."""
    if any(mark in value for mark in '"(:\\'):
        return None
    found = []
    for part in value.split(","):
        if part.strip():
            simple = _ONE_ADDRESS.fullmatch(part.strip())
            if simple is None:
                return None
            found.append(simple.group(1) or simple.group(2))
    return found


def test_bare_address_lists_read_as_part_by_part() -> None:
    """The bare-list shortcut (one pattern over the list) may decline, never read differently."""
    values = [
        "a@example.com, b@example.org",
        "a@example.com,, b@example.org,",
        " a@example.com ,b@example.org , c@example.net",
        "a@example.com; b@example.org",
        "a@example.com b@example.org",
        "a@b@example.com, c@example.org",
        "a@example.com,\u3000b@example.org",
        ", ,",
    ]
    values += _mutations(values, " ,;@<>x.\t\u00a0", 3000, seed=41)
    shortcut = 0
    for value in values:
        assert _simple_list(value) == _list_part_by_part(value), value
        shortcut += "<" not in value and _BARE_LIST.fullmatch(value) is not None
    assert shortcut > 100


def test_bare_address_list_pattern_is_linear() -> None:
    import time

    rng = random.Random(43)
    for piece in ("a@b,", "a@b ", "a@", ", ", "a@b.c"):
        value = piece * 20000 + rng.choice("x<;")
        started = time.process_time()
        _addresses(value)
        assert time.process_time() - started < 1.0


def _addresses_plainly(value: str) -> list[str]:
    """_addresses without its shortcuts: one address alone, else the list part by part, else
    the stdlib's parser (values of the sizes tested here)."""
    simple = _ONE_ADDRESS.fullmatch(value.strip())
    if simple:
        return [simple.group(1) or simple.group(2)]
    listed = _list_part_by_part(value)
    if listed is not None:
        return listed
    return [a for _, a in email.utils.getaddresses([value]) if a]


def test_address_reading_matches_the_plain_reading() -> None:
    """A comma outside quotes skips the single-address pattern: it could not match."""
    values = [
        "Scanner <scanner@example.com>",
        '"Doe, John" <j@example.com>',
        "Doe, John <j@example.com>",
        "a@example.com, b@example.org",
        "<a@example.com>, Name <b@example.org>",
        '"x" <a@example.com>, b@example.org',
        "Group: a@example.com, b@example.org;",
    ]
    values += _mutations(values, ' ,"<>@x', 3000, seed=43)
    for value in values:
        assert _addresses(value) == _addresses_plainly(value), value
