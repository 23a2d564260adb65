"""The usual-shape reading of Authentication-Results and Received-SPF gives what the general
reading (tokens, segments, pairing) gives, on every value it takes, and takes the usual ones.

Values: RFC 8601's and RFC 7208's examples, the shapes the other tests use, the samples, the
benchmark's header sets, generated variants (quoted strings, comments everywhere, Microsoft's
dialect with missing spaces, empty values, stray tokens and no authserv-id) and mutations.
"""

from __future__ import annotations

import random

from o365diag.headers import authres
from o365diag.headers.parse import read_header_source
from tests.test_headers_fast_paths import _generated_sets, _mutations, _sample_sets
from tests.test_headers_shortcuts import _auth_results_segment_by_segment

RFC_EXAMPLES = [
    "example.org 1; none",
    "example.com;\n   spf=pass smtp.mailfrom=example.net",
    "example.com;\n  auth=pass (cram-md5) smtp.auth=sender@example.net;\n"
    "  spf=pass smtp.mailfrom=example.net",
    "example.com; iprev=pass\n  policy.iprev=192.0.2.200",
    "example.com;\n  dkim=pass (good signature) header.d=mail-router.example.net",
    'example.com;\n    dkim=pass reason="good signature"\n'
    "      header.i=@mail-router.example.net;\n"
    '    dkim=fail reason="bad signature"\n      header.i=@newyork.example.com',
    "foo.example.net (foobar) 1 (baz);\n"
    "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\n"
    "      policy (A dot can go here) . (like that) expired\n"
    "      (this surprised me) = (as I wasn't expecting it) 1362471462",
    "i=2; mx.microsoft.com 1; spf=pass smtp.mailfrom=example.org; dmarc=fail (p=reject "
    "sp=reject pct=100) action=oreject header.from=example.org; arc=pass (0 oda=1 ltdi=1)",
    "spf=none (sender IP is 198.51.100.7) smtp.mailfrom=bounce.example.net; example.org; "
    "dkim=none (message not signed) header.d=none;example.org; dmarc=none action=none "
    "header.from=;compauth=fail reason=001",
    "dmarc=none action=none header.from= header.d=example.com;compauth=pass reason=109",
    'example.com; spf=pass ptype.prop="value1;value2" smtp.mailfrom=example.net',
    'example.com; spf=pass smtp.mailfrom="first last"@example.net',
    "(a) example.com (b) ; (c) spf (d) = (e) pass (f) smtp (g) . (h) mailfrom (i) = (j) "
    "example.net (k) ; dmarc=fail(p=reject)header.from=example.net",
    "mx.google.com; spf=pass (google.com: domain of a=b@example.net designates 192.0.2.1 as "
    'permitted sender) smtp.mailfrom="a=b@example.net"; dmarc=pass header.from=example.net',
]
SPF_EXAMPLES = [
    "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted "
    "sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from=<myname@example.com>;"
    " helo=foo.example.com;",
    "fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 as "
    "permitted sender) identity=mailfrom; client-ip=192.0.2.1; envelope-from=<myname@example.com>;",
    "SoftFail (protection.outlook.com: domain of transitioning example.com discourages use of "
    "203.0.113.25 as permitted sender) receiver=protection.outlook.com; client-ip=203.0.113.25;",
    'Pass (mx.example.net: domain of "first last"@example.org designates 192.0.2.5 as permitted '
    'sender) client-ip = 192.0.2.5; envelope-from="first last@example.org"; '
    "helo=(greeting) mail.example.org; identity=mailfrom;",
    'neutral client-ip="192.0.2.9"; helo=mail.example.org; =x; a=b=c',
    '"pass" client-ip=192.0.2.9',
    'result="pass" client-ip=192.0.2.9',
    "; pass",
    "",
]


def _header_values() -> tuple[list[str], list[str]]:
    auth, spf = [], []
    for data in _sample_sets() + _generated_sets(10):
        for found in read_header_source(data):
            if "authentication-results" in found.key:
                auth.append(found.value)
            elif found.key == "received-spf":
                spf.append(found.value)
    return auth, spf


# The usual parts first, then the odd ones (taken one time in ODD).
_COMMENTS = ["(x)", "( spaced )", '("i=1" verified)', "(a;b)", "()", "(a (nested))", "(a\\)b)"]
_VALUES = ["example.net", "a@example.net", "Example.NET", '"a=b@example.net"', "@example.net"]
_VALUES += ["x=y", "", '"a b"', '"a;b"', '""', '"a"@example.net', '"a\\"b"', '"a(b)"']
_SPACES = [" ", "  ", "\n ", "\t", "", "\xa0"]
ODD = 8


def _pick(rng: random.Random, choices: list[str], usual: int) -> str:
    return rng.choice(choices[:usual] if rng.randrange(ODD) else choices)


def _variant(rng: random.Random) -> str:
    """An Authentication-Results value built from the usual parts and the odd ones."""
    parts = []
    if rng.random() < 0.3:
        parts.append(f"i={_pick(rng, ['1', '2', '12', '1234', 'x'], 3)}")
    if rng.random() < 0.6:
        parts.append(_pick(rng, ["mx.example.net", "mx.example.net 1", "example. 1", "a b"], 2))
    for _ in range(rng.randint(0, 4)):
        parts.append(_clause(rng))
    if not rng.randrange(ODD):
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(["none", "example.org", "a b"]))
    return rng.choice([";", "; ", " ; ", ";;", ";\n "]).join(parts) + rng.choice(["", ";", " "])


def _clause(rng: random.Random) -> str:
    method = _pick(rng, ["spf", "dkim", "DMARC", "compauth", "arc", "dkim/1", "x-new", "i"], 7)
    result = _pick(rng, ["pass", "Fail", "none", "softfail", "1", "", '"a"'], 5)
    words = [f"{method}={result}"]
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(["header.d", "header.from", "smtp.mailfrom", "Reason", "action", "h"])
        words.append(f"{key}={_pick(rng, _VALUES, 5)}")
    if not rng.randrange(ODD):
        words.insert(rng.randrange(len(words) + 1), rng.choice(["stray", "header.d=x", "="]))
    text = ""
    for word in words:
        if rng.random() < 0.4:
            text += _pick(rng, _SPACES, 3) + _pick(rng, _COMMENTS, 4)
        text += _pick(rng, _SPACES, 3) if text else ""
        text += word
    return text


def _spf_variant(rng: random.Random) -> str:
    """The result word, a comment, then properties with ';' or spaces between them."""
    text = _clause(rng).partition("=")[2]
    for _ in range(rng.randint(0, 3)):
        clause = _clause(rng)
        text += _pick(rng, ["; ", ";", " ", "; ;"], 3) + clause.replace("=", "-ip=", 1)
    return text


def _all_values() -> tuple[list[str], list[str]]:
    rng = random.Random(8601)
    auth, spf = _header_values()
    auth += RFC_EXAMPLES + [_variant(rng) for _ in range(4000)]
    auth += _mutations(auth, ' =;()"/.\\x\x00', 2000, seed=37)
    spf += SPF_EXAMPLES + [_spf_variant(rng) for _ in range(2000)]
    spf += _mutations(spf, ' =;()"/.\\x\x00', 1000, seed=41)
    return auth, spf


def _takes_usual(value: str) -> bool:
    return authres._read_usual(authres.AuthResults("x", 0, value), value)


def test_usual_authentication_results_reading_matches_the_general_reading() -> None:
    auth, _ = _all_values()
    usual = 0
    for value in auth:
        general = _auth_results_segment_by_segment(value)
        assert authres.parse_authentication_results(value) == general, value
        usual += _takes_usual(value)
    assert usual > len(auth) // 4  # the usual reading was put to the test


def test_usual_received_spf_reading_matches_the_general_reading() -> None:
    _, spf = _all_values()
    usual = 0
    for value in spf:
        general = authres.AuthResults(header="Received-SPF", index=0, raw=value)
        authres._read_received_spf_in_full(general, value)
        assert authres.parse_received_spf(value) == general, value
        usual += authres._usual_spf(value) is not None
    assert usual > len(spf) // 4


def test_usual_reading_takes_the_everyday_shapes() -> None:
    """Microsoft's dialect, ARC chains, Gmail's quoted address, stray tokens and empty values
    go the short way; quoted strings with spaces, nested comments and escapes do not."""
    auth, spf = _header_values()
    assert all(_takes_usual(value) for value in auth if "google" not in value)
    assert all(authres._usual_spf(value) is not None for value in spf)
    assert _takes_usual(RFC_EXAMPLES[-1]) and _takes_usual(RFC_EXAMPLES[8])
    assert _takes_usual("example.org 1; none") and _takes_usual("i=1; a.example; arc=pass")
    assert not any(map(_takes_usual, [RFC_EXAMPLES[5], RFC_EXAMPLES[6], RFC_EXAMPLES[9]]))
    assert not _takes_usual("example.com; dkim=pass (a (b)) header.d=x (a\\)b)")
