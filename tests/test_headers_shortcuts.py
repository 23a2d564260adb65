"""More shortcuts the header analyzer takes for speed, each held to the general way it skips.

The general ways stay in the code (or are written out here) and are compared with the shortcut
on the samples, the benchmark's generated header sets, and hand-made and mutated inputs.
"""

from __future__ import annotations

import ipaddress
import random

import pytest

from o365diag.addresses import network_kind, non_public_kind
from o365diag.findings import fill_template
from o365diag.headers import authres
from o365diag.headers.parse import read_header_source
from o365diag.headers.verdict import VERDICT_HEADERS
from tests.test_headers_fast_paths import _generated_sets, _mutations, _sample_sets

# --------------------------------------------------------------------------- Authentication-Results


def _auth_values() -> list[str]:
    values = []
    for data in _sample_sets() + _generated_sets(10):
        for found in read_header_source(data):
            if found.key in VERDICT_HEADERS or found.key == "received-spf":
                values.append(found.value)
    values += [
        "mx.example.net; dkim=pass header.d=example.com; spf = pass smtp.mailfrom=example.com",
        'mx.example.net; dkim=pass reason="good signature" header.i=@example.com',
        "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dmarc=pass header.from=;",
        "i=1; mx.example.net; arc=none; dkim/1=pass (x) header.d=example.com; none",
    ]
    return values


def test_usual_segment_reading_matches_the_full_reading() -> None:
    values = _auth_values()
    values += _mutations(values, ' =;()"/.\\x', 2000, seed=23)
    shortcut = 0
    for value in values:
        tokens, _ = authres.tokenize(value)
        for segment in authres._segments(tokens):
            assert authres._pairs(segment) == authres._pairs_in_full(segment), value
            shortcut += all(kind == authres.COMMENT or "=" in text[:-1] for kind, text in segment)
    assert shortcut > 500


def _segments_plainly(tokens: list[authres.Token]) -> list[list[authres.Token]]:
    segments: list[list[authres.Token]] = [[]]
    for token in tokens:
        if token[0] == authres.SEMI:
            segments.append([])
        else:
            segments[-1].append(token)
    return segments


def test_segments_match_the_plain_split() -> None:
    values = [*_auth_values(), "", ";", ";;a", "a;", '(;) ; "a;b" ;']
    for value in values + _mutations(values, ';() "', 500, seed=29):
        tokens, _ = authres.tokenize(value)
        assert authres._segments(tokens) == _segments_plainly(tokens), value


# --------------------------------------------------------------------------- private addresses


def _kind_through_ipaddress(value: str) -> str | None:
    try:
        return network_kind(ipaddress.ip_network(value, False))
    except ValueError:
        return None


def test_dotted_quad_shortcut_matches_ipaddress() -> None:
    rng = random.Random(1918)
    edges = ["0", "1", "9", "10", "99", "100", "127", "169", "172", "192", "168", "254", "255"]
    edges += ["16", "31", "32", "63", "64", "128", "256", "01", "00", "300", ""]
    values = [".".join(rng.choice(edges) for _ in range(4)) for _ in range(20_000)]
    values += ["192.0.2.1", " 10.0.0.1", "10.0.0.1 ", "10.0.0.1/8", "1.2.3", "1.2.3.4.5", "١.٢.٣.٤"]
    kinds = set()
    for value in values:
        kind = non_public_kind(value)
        assert kind == _kind_through_ipaddress(value), value
        kinds.add(kind)
    assert len(kinds) >= 6  # public and most private kinds were met


# --------------------------------------------------------------------------- finding templates


@pytest.mark.parametrize(
    "template",
    ["plain text", "", "a {ip} b", "{{literal}}", "}", "{", "@{Add='<ip>'}", "x {missing_name"],
)
def test_template_without_braces_is_returned_as_is_and_others_are_filled(template: str) -> None:
    filled = fill_template(template, {"ip": "192.0.2.1"})
    if "{" not in template and "}" not in template:
        assert filled is template
    elif template == "a {ip} b":
        assert filled == "a 192.0.2.1 b"
    elif template == "{{literal}}":
        assert filled == "{literal}"
