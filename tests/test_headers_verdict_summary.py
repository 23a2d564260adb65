"""ARC-Authentication-Results below a more trusted verdict are read for their summary only
(authres.read_results_only): held to the full reading on real-looking, generated and mutated
values, and the verdict built so held to the one built from every header read in full."""

from __future__ import annotations

import random

from o365diag.headers import authres
from o365diag.headers.alignment import domain_of
from o365diag.headers.analysis import _summary
from o365diag.headers.parse import HeaderSet, parse_header_block, read_header_source
from o365diag.headers.verdict import Verdict, choose_verdict, parse_all_in_full, verdict_of
from tests.test_headers_fast_paths import _generated_sets, _mutations, _sample_sets

_ARC = "arc-authentication-results"
_AUTH = ("authentication-results", "x-ms-exchange-authentication-results", _ARC)


def _values() -> list[str]:
    values = [
        found.value
        for data in _sample_sets() + _generated_sets(20)
        for found in read_header_source(data)
        if found.key in _AUTH
    ]
    values += [
        "i=2; mx.example.net; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=",
        "i=1; mx.example.net; dkim/1=pass (x) header.d=example.com; none; arc=none (y)",
        "i=1; mx.example.net; spf=pass header.from= header.d=example.com",
        "i=1; mx.example.net; bogus=pass a=1 a=2; dmarc=fail header.from=example.com stray",
        'i=3; mx.example.net; arc=pass ("i=2" ams-verified); dkim=pass reason="a b"',
        "mx.example.net 1; none",
        "i=x; mx.example.net; spf=pass",
    ]
    return values


def _summary_of(parsed: authres.AuthResults) -> tuple[object, ...]:
    return (
        parsed.header,
        parsed.index,
        parsed.raw,
        parsed.authserv_id,
        parsed.version,
        parsed.instance,
        parsed.says_none,
        parsed.problems,
        [(r.method, r.result, r.version) for r in parsed.results],
    )


def test_the_summary_reading_reads_what_the_full_reading_reads_but_properties() -> None:
    values = _values()
    values += _mutations(values, ' =;()"/.\\xi', 4000, seed=31)
    summarized = 0
    for value in values:
        full = authres.parse_authentication_results(value, "ARC-Authentication-Results", 7)
        light = authres.read_results_only(value, "ARC-Authentication-Results", 7)
        assert _summary_of(light) == _summary_of(full), value
        if light != full:  # read for its summary: nothing else kept
            assert all(not r.props and not r.comments for r in light.results), value
            summarized += 1
    assert summarized > 500


def _without(data: bytes, key: str) -> HeaderSet:
    headers = read_header_source(data)
    kept = [found for found in headers.fields if found.key != key]
    return HeaderSet(fields=kept)


def _arc_first(data: bytes) -> HeaderSet:
    """The ARC headers moved above Authentication-Results (the summary reading needs a
    verdict above it)."""
    fields = read_header_source(data).fields
    arc = [found for found in fields if found.key == _ARC]
    return HeaderSet(fields=arc + [found for found in fields if found.key != _ARC])


def _silent_above(data: bytes) -> HeaderSet:
    """Authentication-Results that give no verdict (an authserv-id alone) above the ARC
    headers: the ARC headers still decide."""
    fields = read_header_source(data).fields
    return HeaderSet(
        fields=[
            found._replace(value="mx.example.net", raw="mx.example.net")
            if found.key == "authentication-results"
            else found
            for found in fields
        ]
    )


def _mutated_sets(count: int, seed: int) -> list[HeaderSet]:
    rng = random.Random(seed)
    sets = []
    for data in _generated_sets(count):
        text = data.decode("utf-8", "replace")
        lines = text.split("\n")
        for at, line in enumerate(lines):
            if line.lower().startswith(("arc-authentication-results:", "authentication-results:")):
                lines[at] = _mutations([line], ' =;()"/.\\x', 1, seed=rng.randrange(10**6))[0]
        sets.append(parse_header_block("\n".join(lines)))
    return sets


def _same_verdict(found: Verdict, expected: Verdict) -> None:
    assert found.data == expected.data
    assert found.source == expected.source
    assert [(p.header, problem) for p, problem in found.problems] == [
        (p.header, problem) for p, problem in expected.problems
    ]


def test_the_verdict_is_the_one_read_from_every_header_in_full() -> None:
    generated = _generated_sets(15)
    sets = [read_header_source(data) for data in _sample_sets() + generated]
    sets += [_without(data, "authentication-results") for data in generated]  # ARC decides
    sets += [_arc_first(data) for data in generated]
    sets += [_silent_above(data) for data in generated]
    sets += _mutated_sets(60, seed=4)
    sets += [
        parse_header_block(
            "Authentication-Results: mx.example.net; none\n"
            "ARC-Authentication-Results: i=1; mx.example.net; spf=pass smtp.mailfrom=a.example\n"
            "From: a@example.com\n"
        )
    ]
    arc_sources = 0
    for headers in sets:
        from_domain = domain_of(_summary(headers).from_address)
        found = choose_verdict(headers, from_domain, "192.0.2.1")
        expected = verdict_of(parse_all_in_full(headers), headers, from_domain, "192.0.2.1")
        _same_verdict(found, expected)
        arc_sources += found.data.source == "ARC-Authentication-Results"
    assert arc_sources >= 30
