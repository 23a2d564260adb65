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
