from __future__ import annotations

from o365diag.headers.authres import (
    parse_authentication_results,
    parse_received_spf,
    split_comments,
)


def test_microsoft_dialect_without_authserv_id() -> None:
    parsed = parse_authentication_results(
        "spf=pass (sender IP is 192.0.2.48) smtp.mailfrom=example.com; dkim=pass (signature "
        "was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;"
        "compauth=pass reason=100"
    )
    assert parsed.authserv_id is None
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("compauth", "pass"),
    ]
    assert parsed.first("compauth").reason == "100"  # type: ignore[union-attr]
    assert parsed.first("dmarc").props["action"] == "none"  # type: ignore[union-attr]
    assert parsed.first("spf").comments == ["sender IP is 192.0.2.48"]  # type: ignore[union-attr]
    assert parsed.problems == []


def test_stray_domain_tokens_and_empty_values_are_tolerated() -> None:
    parsed = parse_authentication_results(
        "spf=none (sender IP is 198.51.100.7) smtp.mailfrom=bounce.example.net; example.org; "
        "dkim=none (message not signed) header.d=none;example.org; dmarc=none action=none "
        "header.from=;compauth=fail reason=001"
    )
    assert [r.result for r in parsed.results] == ["none", "none", "none", "fail"]
    assert parsed.first("dmarc").props["header.from"] == ""  # type: ignore[union-attr]
    assert sum("stray token" in p for p in parsed.problems) == 2


def test_rfc_header_with_authserv_id_version_and_spaces_around_equals() -> None:
    parsed = parse_authentication_results(
        "mx.google.com 1;\n dkim = pass header.i=@example.com header.s=s1 header.b=AbC+/x=;\n"
        " spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted "
        "sender) smtp.mailfrom=a@example.com; dmarc=pass (p=REJECT sp=REJECT dis=NONE) "
        "header.from=example.com"
    )
    assert parsed.authserv_id == "mx.google.com"
    assert parsed.version == "1"
    dkim = parsed.first("dkim")
    assert dkim is not None and dkim.props["header.b"] == "AbC+/x="
    assert dkim.props["header.s"] == "s1"


def test_arc_authentication_results_instance_and_authserv() -> None:
    parsed = parse_authentication_results(
        "i=2; mx.microsoft.com 1; spf=pass smtp.mailfrom=example.org; dmarc=fail (p=reject "
        "sp=reject pct=100) action=oreject header.from=example.org; arc=pass (0 oda=1 ltdi=1)",
        header="ARC-Authentication-Results",
    )
    assert parsed.instance == 2
    assert parsed.authserv_id == "mx.microsoft.com"
    assert parsed.first("arc").comments == ["0 oda=1 ltdi=1"]  # type: ignore[union-attr]


def test_no_result_and_garbage_never_raise() -> None:
    assert parse_authentication_results("example.org; none").results == []
    for junk in ["", ";;;;", "=", "((((", "spf=", "a=b=c; (x) ; y=(z)", "\x00\x01"]:
        parse_authentication_results(junk)


def test_deeply_nested_comments_are_linear() -> None:
    value = "spf=pass " + "(" * 50_000 + "x" + ")" * 50_000 + " smtp.mailfrom=example.com"
    parsed = parse_authentication_results(value)
    assert parsed.first("spf").props["smtp.mailfrom"] == "example.com"  # type: ignore[union-attr]
    _text, comments, balanced = split_comments("a (b (c) d) e (unclosed")
    assert comments[0] == "b (c) d"
    assert not balanced


def test_received_spf() -> None:
    parsed = parse_received_spf(
        "SoftFail (protection.outlook.com: domain of transitioning example.com discourages use "
        "of 203.0.113.25 as permitted sender) receiver=protection.outlook.com; "
        "client-ip=203.0.113.25; helo=scanner.example.com;"
    )
    spf = parsed.first("spf")
    assert spf is not None and spf.result == "softfail"
    assert spf.props["client-ip"] == "203.0.113.25"
    assert spf.props["smtp.mailfrom"] == "example.com"


# --------------------------------------------------------------------------- RFC 8601 Appendix B
# The examples of RFC 8601 Appendix B, each with the values the RFC's text gives them.


def test_rfc8601_b2_service_provided_but_no_authentication_done() -> None:
    parsed = parse_authentication_results("example.org 1; none")
    assert (parsed.authserv_id, parsed.version, parsed.results) == ("example.org", "1", [])
    assert parsed.problems == []


def test_rfc8601_b3_one_spf_result() -> None:
    parsed = parse_authentication_results("example.com;\n   spf=pass smtp.mailfrom=example.net")
    spf = parsed.first("spf")
    assert parsed.authserv_id == "example.com"
    assert spf is not None and spf.props == {"smtp.mailfrom": "example.net"}


def test_rfc8601_b4_several_results_from_one_mta() -> None:
    parsed = parse_authentication_results(
        "example.com;\n  auth=pass (cram-md5) smtp.auth=sender@example.net;\n"
        "  spf=pass smtp.mailfrom=example.net"
    )
    auth = parsed.first("auth")
    assert auth is not None and auth.comments == ["cram-md5"]
    assert auth.props == {"smtp.auth": "sender@example.net"}
    assert [r.method for r in parsed.results] == ["auth", "spf"]
    iprev = parse_authentication_results("example.com; iprev=pass\n  policy.iprev=192.0.2.200")
    assert iprev.first("iprev").props == {"policy.iprev": "192.0.2.200"}  # type: ignore[union-attr]


def test_rfc8601_b6_quoted_reasons_with_spaces() -> None:
    parsed = parse_authentication_results(
        'example.com;\n    dkim=pass reason="good signature"\n'
        "      header.i=@mail-router.example.net;\n"
        '    dkim=fail reason="bad signature"\n      header.i=@newyork.example.com'
    )
    assert [(r.result, r.reason, r.props["header.i"]) for r in parsed.of("dkim")] == [
        ("pass", "good signature", "@mail-router.example.net"),
        ("fail", "bad signature", "@newyork.example.com"),
    ]
    assert parsed.problems == []


def test_rfc8601_b7_comment_heavy_example_gives_one_result() -> None:
    parsed = parse_authentication_results(
        "foo.example.net (foobar) 1 (baz);\n"
        "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\n"
        "      policy (A dot can go here) . (like that) expired\n"
        "      (this surprised me) = (as I wasn't expecting it) 1362471462"
    )
    assert (parsed.authserv_id, parsed.version) == ("foo.example.net", "1")
    assert len(parsed.results) == 1
    dkim = parsed.results[0]
    assert (dkim.method, dkim.version, dkim.result) == ("dkim", "1", "fail")
    assert dkim.props == {"policy.expired": "1362471462"}
    assert dkim.comments == [
        "Because I like it",
        "One yay",
        "wait for it",
        "A dot can go here",
        "like that",
        "this surprised me",
        "as I wasn't expecting it",
    ]
    assert parsed.problems == []


# --------------------------------------------------------------------------- quoted strings, CFWS


def test_quoted_property_value_keeps_its_semicolon_and_spaces() -> None:
    parsed = parse_authentication_results(
        'example.com; spf=pass ptype.prop="value1;value2" smtp.mailfrom=example.net; '
        'dkim=pass header.d=example.net reason="a \\"quoted\\" (word)"'
    )
    assert parsed.first("spf").props == {  # type: ignore[union-attr]
        "ptype.prop": "value1;value2",
        "smtp.mailfrom": "example.net",
    }
    assert parsed.first("dkim").reason == 'a "quoted" (word)'  # type: ignore[union-attr]
    assert [r.method for r in parsed.results] == ["spf", "dkim"]


def test_quoted_local_part_in_a_property_value() -> None:
    parsed = parse_authentication_results(
        'example.com; spf=pass smtp.mailfrom="first last"@example.net'
    )
    spf = parsed.first("spf")
    assert spf is not None and spf.props["smtp.mailfrom"] == '"first last"@example.net'
    assert parsed.problems == []


def test_comments_around_every_token() -> None:
    parsed = parse_authentication_results(
        "(a) example.com (b) ; (c) spf (d) = (e) pass (f) smtp (g) . (h) mailfrom (i) = (j) "
        "example.net (k) ; dmarc=fail(p=reject)header.from=example.net"
    )
    assert parsed.authserv_id == "example.com"
    spf, dmarc = parsed.results
    assert (spf.method, spf.result, spf.props) == ("spf", "pass", {"smtp.mailfrom": "example.net"})
    assert (dmarc.result, dmarc.comments, dmarc.props) == (
        "fail",
        ["p=reject"],
        {"header.from": "example.net"},
    )


def test_unclosed_quote_is_a_problem_not_a_crash() -> None:
    parsed = parse_authentication_results('example.com; dkim=fail reason="never closed; spf=pass')
    assert parsed.first("dkim").reason == "never closed; spf=pass"  # type: ignore[union-attr]
    assert parsed.problems == ["unbalanced parentheses or quotes"]


def test_microsoft_empty_value_followed_by_the_next_property() -> None:
    parsed = parse_authentication_results(
        "dmarc=none action=none header.from= header.d=example.com;compauth=pass reason=109"
    )
    assert parsed.first("dmarc").props == {  # type: ignore[union-attr]
        "action": "none",
        "header.from": "",
        "header.d": "example.com",
    }


def test_received_spf_quoted_values_and_comments_between_tokens() -> None:
    parsed = parse_received_spf(
        'Pass (mx.example.net: domain of "first last"@example.org designates 192.0.2.5 as '
        'permitted sender) client-ip = 192.0.2.5; envelope-from="first last@example.org"; '
        "helo=(greeting) mail.example.org; identity=mailfrom;"
    )
    spf = parsed.first("spf")
    assert spf is not None and spf.result == "pass"
    assert spf.props["client-ip"] == "192.0.2.5"
    assert spf.props["envelope-from"] == "first last@example.org"
    assert spf.props["helo"] == "mail.example.org"
    assert spf.props["identity"] == "mailfrom"


# --------------------------------------------------------------------------- the two tokenizers


def _values() -> list[str]:
    from benchmarks.header_corpus import generate
    from o365diag.headers.parse import read_header_source
    from tests.conftest import SAMPLES

    sources = [p.read_bytes() for p in SAMPLES.iterdir() if p.suffix in (".txt", ".eml")]
    values = []
    for data in sources + generate(10, seed=9):
        values += [
            f.value
            for f in read_header_source(data)
            if "authentication-results" in f.key or f.key == "received-spf"
        ]
    return values


def test_one_findall_tokenizer_matches_the_full_one() -> None:
    import random

    from o365diag.headers.authres import _tokenize_in_full, tokenize

    rng = random.Random(5)
    values = _values()
    assert len(values) > 50
    for value in values:
        assert tokenize(value) == _tokenize_in_full(value)
    for _ in range(3000):
        chars = list(rng.choice(values))
        for _ in range(rng.randint(1, 6)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice('();"\\ \t\x0c\xa0=x'))
        text = "".join(chars)
        assert tokenize(text) == _tokenize_in_full(text), text


def test_unicode_white_space_separates_tokens_and_loses_nothing() -> None:
    parsed = parse_authentication_results("example.com;\xa0spf=pass\x0csmtp.mailfrom=example.net")
    assert parsed.first("spf").props == {"smtp.mailfrom": "example.net"}  # type: ignore[union-attr]
