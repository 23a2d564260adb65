"""More shortcuts the header analyzer takes for speed, each held to the general way it skips.

The general ways stay in the code (or are written out here) and are compared with the shortcut
on the samples, the benchmark's generated header sets, and hand-made and mutated inputs.
"""

from __future__ import annotations

import ipaddress
import random
import re

import pytest

from o365diag import addresses, findings
from o365diag.addresses import network_kind, non_public_kind
from o365diag.findings import fill_template
from o365diag.headers import authres, parse, stamps
from o365diag.headers import received as R
from o365diag.headers.parse import read_header_source
from o365diag.headers.verdict import VERDICT_HEADERS
from o365diag.knowledge import load_table, table_names
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


def test_ipv6_shortcut_matches_ipaddress() -> None:
    rng = random.Random(4291)
    pieces = ["::", ":", "1", "0", "ffff", "fe80", "FEBF", "fc00", "fd12", "2001", "db8", "0001"]
    pieces += ["00000", "1.2.3.4", "192.168.1.1", "10.0.0.1", "01.2.3.4", "1.2.3", "g", "%1", "/64"]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(40_000)]
    values += ["::1", "::", "::ffff:10.0.0.1", "::ffff:192.0.2.1", "fe80::1%eth0", "2001:db8::/32"]
    kinds = set()
    shortcut = 0
    for value in values:
        kind = non_public_kind(value)
        assert kind == _kind_through_ipaddress(value), value
        kinds.add(kind)
        shortcut += bool(addresses._PLAIN_IPV6.fullmatch(value))
    assert len(kinds) >= 6 and shortcut > 1000


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


# --------------------------------------------------------------------------- one-pass readings


def _auth_results_segment_by_segment(value: str) -> authres.AuthResults:
    parsed = authres.AuthResults(header="Authentication-Results", index=0, raw=value)
    tokens, parsed.problems = authres.tokenize(value)
    for segment in authres._segments(tokens):
        if segment:
            authres._parse_segment(parsed, segment)
    return parsed


def test_flat_authentication_results_reading_matches_the_segment_reading() -> None:
    values = _auth_values()
    values += ["a; b", "spf=pass; x", "; ;", "(c) ; dkim=pass (x) y z=1", "i=1; a 1; none"]
    values += _mutations(values, " =;()/.x", 2000, seed=31)
    flat = 0
    for value in values:
        assert authres.parse_authentication_results(value) == (
            _auth_results_segment_by_segment(value)
        ), value
        flat += not any(c in value for c in '"\\')
    assert flat > 500


# A line holding nothing but white space, written plainly (the parser's pattern is faster).
_PLAIN_BLANK_LINE = re.compile(r"\n[^\S\n]*(?:\n|\Z)")


def _fields_line_by_line(text: str) -> tuple[list[parse.HeaderField], list[str], list[str]]:
    """parse_header_block's result through its field-by-field reading."""
    result = parse.HeaderSet()
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    first = parse._first_field(text, result)
    if first is not None:
        blank = _PLAIN_BLANK_LINE.search(text, first)
        parse._fields_one_by_one(result, text[first : blank.start()] if blank else text[first:])
    return result.fields, result.stray_lines, result.repairs


def test_one_pass_block_split_matches_the_field_by_field_reading() -> None:
    texts = [data.decode("utf-8", errors="replace") for data in _sample_sets()]
    texts += [data.decode("utf-8") for data in _generated_sets(5)]
    texts += [
        "A: 1\n b\nstray\n c\nB: 2", "A: x \n y\nB: 2", "A:\n\tb\n c\nB:\n 2\n", "A: 1\n\x0c b",
        "A: 1\n \x0c b", "A: =?utf-8?Q?a?=\n =?utf-8?Q?b?=\nB: =?x?Q?c?=", "A:\u00a0\n\u2003x",
        "10:00:00 x\nA: 1", "From x\nA: 1\n\nbody", "A: 1\n\t\nB: 2", "A: a\u2028\n b",
        "X=?Y: plain\nB: =?utf-8?Q?b?=", "A: " + "?" * 300 + "\nB: =?utf-8?Q?=C3=A9?= =?",
        "A: =" + "?=" * 400 + "\nB: x =?utf-8?B?w6k=?=", "A: x\n =?utf-8?Q?b?=",
    ]  # fmt: skip
    texts += _mutations(texts, "\n \t:x=?\u00a0", 2000, seed=37)
    one_pass = 0
    for text in texts:
        found = parse.parse_header_block(text)
        fields, stray, repairs = _fields_line_by_line(text)
        assert (found.fields, found.stray_lines, found.repairs) == (fields, stray, repairs), text
        assert found.encoded == [f.position for f in fields if "=?" in f.raw], text
        one_pass += "\n " in text or "\n\t" in text
    assert one_pass > 500


def test_undecoded_words_are_found_in_a_header_set_built_by_hand() -> None:
    from o365diag.headers.diagnose import _undecoded_words

    text = b"From: a@example.com\nSubject: =?rot13?Q?n?= =?utf-8?Q?=C3=A9?=\nTo: b@example.com"
    parsed = read_header_source(text)
    assert parsed.encoded == [1]
    by_hand = parse.HeaderSet(fields=list(parsed.fields))
    assert by_hand.encoded is None
    expected = ["Subject: an encoded word could not be decoded"]
    assert _undecoded_words(parsed) == _undecoded_words(by_hand) == expected


def test_leading_address_literal_shortcut_matches_the_scan() -> None:
    texts = [
        "host.example [192.0.2.1]", "[192.0.2.1]", "[192.0.2.1]:25 helo=x", "helo [192.0.2.1]",
        "EHLO [192.0.2.1] 192.0.2.2", "192.0.2.9 [192.0.2.1]", "192.0.2.9. [192.0.2.1]",
        "host [192.0.2.300]", "host [192.0.2.300] 192.0.2.5", "host\t[192.0.2.1]", "a_b [10.0.0.1]",
        "host.  [192.0.2.01]", "dead:beef [192.0.2.1]", "host [192.0.2.1.25]", "- [0.0.0.0]",
    ]  # fmt: skip
    texts += _mutations(texts, "0123456789.[] heloHELO:", 3000, seed=41)
    taken = 0
    for text in texts:
        assert R._first_ip(text) == R._scan_for_ip(text), text
        taken += R._LEADING_LITERAL.match(text) is not None
    assert taken > 500


def _filled_by_substitution(template: str, values: dict[str, object]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)[0]
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return "(unknown)" if values[name] is None else str(values[name])

    return findings._PLACEHOLDER.sub(replace, template)


def test_template_pieces_fill_as_one_substitution_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(findings.STRICT_ENV, raising=False)
    templates = [
        str(entry.get(part, entry.meaning))
        for name in table_names()
        for entry in load_table(name).entries
        for part in ("title", "fix", "meaning")
    ]
    templates += ["{{ip}}", "{ip}{ip}", "}{", "{{{ip}}}", "{9x} {x_1} {ip", "a}}b{{c", "{gone}"]
    templates += _mutations(templates[-7:], "{}ip_x ", 1000, seed=43)
    values: dict[str, object] = {"ip": "192.0.2.1", "x_1": 7, "none": None, "domain": "a.example"}
    braced = 0
    for template in templates:
        assert findings.fill_template(template, values) == (
            _filled_by_substitution(template, values)
        ), template
        braced += "{" in template
    assert braced > 500


def _pairs_item_by_item(value: str) -> list[tuple[str, str]]:
    pairs = []
    for item in value.replace("(null)", "").split(";"):
        key, sep, text = item.strip().partition(":")
        if "(" in key:
            key = stamps._COMMENT.sub(" ", key)
        if sep and key.strip():
            pairs.append((key.strip(), text.strip()))
    return pairs


def test_stamp_pairs_in_one_findall_match_the_item_by_item_reading() -> None:
    values = [
        found.value
        for data in _sample_sets() + _generated_sets(10)
        for found in read_header_source(data)
        if found.key.startswith("x-") and ":" in found.value
    ]
    values += [
        "a:1;;b: 2 ;:3; :4;c:;d",
        "CIP:2001:db8::1;CTRY:;",
        " \u00a0:x;\u2003k\u00a0: v\u00a0;",
    ]
    values += _mutations(values, ";: \t\u00a0x(null)", 2000, seed=47)
    one_findall = 0
    for value in values:
        assert stamps.parse_pairs(value) == _pairs_item_by_item(value), value
        one_findall += "(" not in value
    assert one_findall > 500


def test_field_look_ups_match_a_plain_search() -> None:
    for data in _sample_sets() + _generated_sets(3):
        headers = read_header_source(data)
        keys = {found.key for found in headers} | {"no-such-field"}
        for round_ in range(2):
            for key in keys:
                plain = [found for found in headers if found.key == key]
                for name in (key, key.upper()):
                    assert headers.get_all(name) == plain
                    assert headers.first(name) == (plain[0] if plain else None)
                    assert headers.value(name) == (plain[0].value if plain else None)
            parse._add_field(headers, "Subject", f"added {round_}")  # look-ups see new fields
            keys.add("subject")


def test_single_encoded_word_shortcut_matches_the_run_reading() -> None:
    values = [
        found.raw
        for data in _sample_sets() + _generated_sets(10)
        for found in read_header_source(data)
        if "=?" in found.raw
    ]
    values += [
        "foo?= =?utf-8?Q?x?=", "a?= =?b", "=?utf-8?Q?a?= =?", "x =?utf-8?Q?a_b?= y", "=?",
        "?==?utf-8?Q?a?=", "no words", "=?utf-8?B?w6k=?= tail", "=?x-sjis?B?gqA=?=",
        "=?rot13?Q?a?=",
    ]  # fmt: skip
    values += _mutations(values, "=? \tQB_", 2000, seed=53)
    single = 0
    for value in values:
        assert parse._decode_words(value) == parse._decode_run_of_words(value), value
        single += value.count("=?") == 1
    assert single > 300


def test_tls_version_pattern_matches_the_look_behind_first_pattern() -> None:
    plain = re.compile(r"(?<![A-Za-z0-9])(TLS|SSL) ?v?([0-9])(?:[._]([0-9]))?(?![0-9])")
    rng = random.Random(59)
    texts = ["version=TLS1_2, cipher=TLS_AES", "using TLSv1.3 with", "xTLS1.2 SSLv3", "TLS 1.0"]
    texts += ["".join(rng.choice("TLSv1._2 aS(x9") for _ in range(24)) for _ in range(20_000)]
    found = 0
    for text in texts:
        mine, theirs = R._TLS_VERSION.search(text), plain.search(text)
        assert (mine and (mine.span(), mine.groups())) == (
            theirs and (theirs.span(), theirs.groups())
        ), text
        found += mine is not None
    assert found > 30


def test_address_hint_pattern_finds_what_the_plain_pattern_finds() -> None:
    plain = re.compile(r":|[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
    rng = random.Random(61)
    texts = ["mx.example.net", "1.2", "a:b", "1.a", "x9.9", "", "CH24PR34MB9786.eurprd05.prod"]
    texts += ["8.15.2/8.15.2", "Exim 4.96", "15.20.8511.13", "1.2.3.4", "1234.5.6.7", "1.2.3."]
    texts += ["".join(rng.choice("ab9.:1 ") for _ in range(12)) for _ in range(20_000)]
    for text in texts:
        assert (R._MAYBE_IP.search(text) is None) == (plain.search(text) is None), text


def test_no_address_is_found_where_the_hint_finds_no_shape() -> None:
    """The hint skips the scan: every text the scan reads an address from must hold one."""
    rng = random.Random(67)
    pieces = [
        "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.9", "1.2.3", "8.15.2/8.15.2", "4.96",
        "[192.0.2.7.2525]", "192.0.2.3:25", "IPv6:2001:db8::2", "fe80::1%eth0", "helo",
        "x@192.0.2.44", "255.255.255.255", "0.0.0.0", "1.2.3.4.5", "10.0.0", ".", " ", "[",
    ]  # fmt: skip
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))) for _ in range(20_000)]
    texts += ["".join(rng.choice("0123456789.:[] ") for _ in range(rng.randint(1, 20)))
              for _ in range(20_000)]  # fmt: skip
    found = 0
    for text in texts:
        address = R._scan_for_ip(text)
        found += address is not None
        assert address is None or R._MAYBE_IP.search(text) is not None, text
    assert found > 5_000
