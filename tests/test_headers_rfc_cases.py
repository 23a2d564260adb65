"""More bugs of issue 12's classes, each case failing before its fix, written from the RFCs:
RFC 5321 §4.1.2 (Path, A-d-l) and §4.4 (Received "for"), RFC 5322 §3.3 (date-time, a leap
second) and §3.2.1 (quoted-pair only in quoted strings and comments), RFC 8601 §2.7.1 (DKIM
results), RFC 2047 §2 and §5 (encoded words), with variants real servers write."""

from __future__ import annotations

from typing import Any

import pytest

from o365diag.findings import Finding, Severity
from o365diag.headers import analyze
from o365diag.headers import received as R
from o365diag.headers.diagnose import most_likely
from o365diag.headers.parse import decode_rfc2047, parse_header_block
from o365diag.headers.received import build_chain, parse_received
from tests.test_received import utc

DATE = "Tue, 9 Jan 2024 10:00:00 +0000"


def _every_reader(value: str) -> dict[str, Any]:
    """The lexers' fields, checked against each fast reader that takes the value."""
    lexed = R._lexed_hop_fields(value)
    for reader in (R._usual_hop_fields, R._exchange_hop_fields, R._one_word_hop_fields):
        fast = reader(value)
        assert fast is None or fast == lexed, (reader.__name__, value)
    return lexed


# ------------------------------------------------------------ RFC 5321 Path: the "for" address


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        # RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"; §3.3 gives the route's example
        ("<@relay.example:a@example.com>", "a@example.com"),
        ("<@hosta.example,@jkl.example:userc@d.bar.example>", "userc@d.bar.example"),
        ("<@[192.0.2.5]:a@example.com>", "a@example.com"),
        ("<@[IPv6:2001:db8::1],@relay.example:a@example.com>", "a@example.com"),
        ('<@relay.example:"a:b"@example.com>', '"a:b"@example.com'),
        ("@relay.example:a@example.com", "a@example.com"),
        # punctuation after the Path, and the root's dot of the domain (RFC 1034 §3.1)
        ("<a@example.com>.", "a@example.com"),
        ("<a@example.com>,", "a@example.com"),
        ("<a@example.com.>", "a@example.com"),
        ("a@example.com.", "a@example.com"),
        ("<@relay.example.:a@example.com.>.", "a@example.com"),
        ("<a@[192.0.2.1]>", "a@[192.0.2.1]"),
    ],
)
def test_the_recipient_is_the_mailbox_of_the_path(recipient: str, expected: str) -> None:
    for value in (
        f"from a.example (192.0.2.1) by b.example with ESMTP id 1 for {recipient}; {DATE}",
        f"by b.example with ESMTP for {recipient} (comment); {DATE}",
        f"from a (a.example [192.0.2.1]) by b.example with ESMTP for {recipient}; {DATE}",
        f"by b.example with ESMTP id x\\y for {recipient}; {DATE}",  # the lexers alone
    ):
        assert _every_reader(value)["for_"] == expected, value
        assert parse_received(value).problems == ()


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("<postmaster>", "postmaster"),
        ("<>", None),
        ('<"a.b."@example.com>', '"a.b."@example.com'),
        ("<a@example.com> <c@example.com>", "<a@example.com> <c@example.com>"),
        ("<@relay.example:>", "@relay.example:"),  # a route to no mailbox is shown as written
        ("a@.", "a@."),
    ],
)
def test_what_is_no_routed_or_dotted_mailbox_stays_as_written(
    recipient: str, expected: str | None
) -> None:
    assert _every_reader(f"by b.example for {recipient}; {DATE}")["for_"] == expected


# ------------------------------------------------------ RFC 5322: a backslash outside quotes


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        (f"from a.example by b.example with SMTP\\ id 4; {DATE}", ("a.example", "SMTP", "4")),
        (f"from a.example by b.example with \\SMTP id 4; {DATE}", ("a.example", "SMTP", "4")),
        (f"from a.example \\ by b.example with SMTP \\ id 4; {DATE}", ("a.example", "SMTP", "4")),
        (f"from a.example by b.example with SMTP id 4\\; {DATE}", ("a.example", "SMTP", "4")),
        (f"from DOMAIN\\host by b.example with SMTP id 4; {DATE}", ("DOMAIN\\host", "SMTP", "4")),
    ],
)
def test_a_backslash_outside_quotes_and_comments_escapes_nothing(
    value: str, fields: tuple[str, str, str]
) -> None:
    hop = parse_received(value)
    assert (hop.from_host, hop.with_, hop.id) == fields
    assert hop.by_host == "b.example"
    assert hop.timestamp == utc("2024-01-09T10:00:00")


def test_a_backslash_before_a_parenthesis_outside_comments_hides_no_comment() -> None:
    hop = parse_received(f"from a.example \\(192.0.2.1) by b.example with SMTP; {DATE}")
    assert (hop.from_host, hop.from_ip, hop.by_host) == ("a.example", "192.0.2.1", "b.example")
    assert hop.problems == ()


def test_a_backslash_in_a_quoted_string_or_a_comment_still_escapes() -> None:
    hop = parse_received(
        f'from a.example (odd \\) by x) by b.example for <"a\\"b"@example.com>; {DATE}'
    )
    assert (hop.by_host, hop.for_) == ("b.example", '"a\\"b"@example.com')
    assert hop.problems == ()


# ------------------------------------------------------------------ TLS named without a version


@pytest.mark.parametrize(
    ("value", "tls"),
    [
        (f"from a.example by b.example with SMTP (TLS) id 4; {DATE}", "yes"),
        (f"from a.example (using TLS) by b.example with SMTP id 4; {DATE}", "yes"),
        (f"from a.example by b.example (SSL) with SMTP; {DATE}", "yes"),
        (f"from a.example by b.example with ESMTP (TLS encrypted) id 4; {DATE}", "yes"),
        (f"by b.example with SMTP id 4 (a (TLS) b); {DATE}", "yes"),
        (f"from a (a.example [192.0.2.1]) (TLS) by b.example with SMTP id 4; {DATE}", "yes"),
        (f"from a (a.example [192.0.2.1] TLS) by b.example with SMTP id 4; {DATE}", "yes"),
        (f"from a (a.example [192.0.2.1]) by b.example (no TLS) with SMTP; {DATE}", None),
        # a version wherever it is named wins over a mention before it
        (f"from a.example (TLS) by b.example (using TLSv1.3) with SMTP; {DATE}", "TLSv1.3"),
        # said not to be used
        (f"from a.example by b.example with SMTP (no TLS) id 4; {DATE}", None),
        (f"from a.example by b.example with SMTP (TLS=no) id 4; {DATE}", None),
        (f"from a.example by b.example with SMTP (TLS not available) id 4; {DATE}", None),
        (f"from a.example by b.example with SMTP (without SSL) id 4; {DATE}", None),
        (f"from a.example by b.example with SMTP (non-TLS) id 4; {DATE}", None),
        # one comment says no, another says yes
        (f"from a.example (no TLS) by b.example with SMTP (TLS) id 4; {DATE}", "yes"),
        # names that are no mention of TLS
        (f"from a.example by b.example with SMTP (STARTTLS_OFF TLSA) id 4; {DATE}", None),
        (f"from a.example by b.example with SMTP (cipher=TLS_AES_128_GCM_SHA256); {DATE}", None),
        # the lexers alone (a backslash), the same reading
        (f"from a.example by b.example with SMTP (TLS) id x\\y; {DATE}", "yes"),
    ],
)
def test_tls_named_without_a_version_reads_as_used(value: str, tls: str | None) -> None:
    assert _every_reader(value)["tls"] == tls
    assert parse_received(value).tls == tls


# ------------------------------------------------------------ RFC 5322 §3.3: the leap second


@pytest.mark.parametrize(
    "value",
    [
        # the leap second at the end of 2016 (UTC), as each reader meets it
        "from a.example (192.0.2.1) by b.example with Microsoft SMTP Server id 15.20.1.2;"
        " Sat, 31 Dec 2016 23:59:60 +0000",
        "from a.example (192.0.2.1) by b.example with ESMTP id 1; Sat, 31 Dec 2016 23:59:60 +0000",
        "by b.example with ESMTP id 1; Sat, 31 Dec 2016 18:59:60 -0500",
        "from a (a.example [192.0.2.1]) by b.example with ESMTP; Sat, 31 Dec 2016 23:59:60 +0000",
        "by b.example with ESMTP id x\\y; 31 Dec 2016 23:59:60 GMT",
    ],
)
def test_a_leap_second_keeps_its_minute_and_is_noted(value: str) -> None:
    fields = _every_reader(value)
    assert fields["timestamp"] == utc("2016-12-31T23:59:59")
    assert [p for p in fields["problems"] if "leap second" in p] == [
        f"leap second {'18' if '-0500' in value else '23'}:59:60 read as "
        f"{'18' if '-0500' in value else '23'}:59:59"
    ]


def test_a_leap_second_is_information_not_damage() -> None:
    report = analyze(
        "From: a@example.com\nSubject: leap\n"
        "Received: by c.example with ESMTP id 2; Sun, 1 Jan 2017 00:00:00 +0000\n"
        "Received: by b.example with ESMTP id 1; Sat, 31 Dec 2016 23:59:60 +0000\n"
    )
    malformed = next(f for f in report.findings if f.code == "malformed-header")
    assert malformed.severity is Severity.INFO
    assert "Received hop 1: leap second 23:59:60 read as 23:59:59" in malformed.evidence
    assert "clock-skew" not in [f.code for f in report.findings]


def test_a_second_past_sixty_is_no_date() -> None:
    hop = parse_received("by b.example with ESMTP id 1; Sat, 31 Dec 2016 23:59:61 +0000")
    assert hop.timestamp is None
    assert "unparseable date: Sat, 31 Dec 2016 23:59:61 +0000" in hop.problems


def test_the_leap_second_orders_between_its_neighbours() -> None:
    chain = build_chain(
        [
            "by c.example; Sun, 1 Jan 2017 00:00:00 +0000",
            "by b.example; Sat, 31 Dec 2016 23:59:60 +0000",
            "by a.example; Sat, 31 Dec 2016 23:59:58 +0000",
        ]
    )
    assert [hop.delay_seconds for hop in chain.hops] == [None, 1.0, 1.0]
    assert not any(hop.clock_skew for hop in chain.hops)


# ------------------------------------------------------------------- RFC 8601 §2.7.1 results


def _dkim_finding(dkim: str) -> Finding:
    report = analyze(
        "From: a@example.com\nSubject: dkim\nAuthentication-Results: mx.example.net;"
        f" spf=none smtp.mailfrom=example.com; {dkim}; dmarc=fail header.from=example.com\n"
    )
    return next(f for f in report.findings if f.code == "dkim-fail")


@pytest.mark.parametrize("result", ["policy", "temperror", "permerror"])
def test_a_dkim_result_that_is_no_failed_verification_is_not_called_one(result: str) -> None:
    found = _dkim_finding(f"dkim={result} header.d=example.com")
    assert found.title == f"DKIM did not pass for example.com ({result}): not a failed verification"
    assert found.severity is Severity.ERROR  # DMARC counts it as not passing all the same
    assert found.detail.startswith(f"example.com: {result} (no reason given). dkim={result}: ")
    assert "body hash" not in found.fix
    assert "Nothing says the message changed" in found.fix


def test_dkim_policy_says_what_policy_means() -> None:
    found = _dkim_finding("dkim=policy (signature does not cover Subject) header.d=example.com")
    assert "not acceptable to the receiver" in found.detail
    assert "does not say the signature failed to verify" in found.detail


def test_dkim_neutral_explains_itself_and_keeps_the_failure_fix() -> None:
    # RFC 8601 gives neutral to failures no other result covers; receivers write it so
    found = _dkim_finding("dkim=neutral (body hash did not verify) header.d=example.com")
    assert found.title == "DKIM failed for example.com"
    assert found.detail.startswith("example.com: neutral (body hash did not verify). ")
    assert "could not otherwise be processed" in found.detail
    assert "body hash" in found.fix


def test_a_plain_dkim_fail_reads_as_before() -> None:
    found = _dkim_finding("dkim=fail (body hash did not verify) header.d=example.com")
    assert found.title == "DKIM failed for example.com"
    assert found.detail == "example.com: fail (body hash did not verify)."


def test_a_failed_signature_beside_a_refused_one_is_a_failure() -> None:
    found = _dkim_finding("dkim=policy header.d=example.org; dkim=fail header.d=example.com")
    assert found.title.startswith("DKIM failed for ")
    assert "dkim=policy: " in found.detail


# --------------------------------------------------- RFC 2047: a fold inside one encoded word


@pytest.mark.parametrize(
    ("subject", "decoded"),
    [
        ("=?utf-8?Q?caf=C3=A9_au_l\n ait?=", "café au lait"),
        ("=?utf-8?Q?caf=C3=\n\tA9?=", "café"),  # the fold between '=' and its two digits
        ("=?utf-8?Q?caf=\n C3=A9_au\n lait?=", "café aulait"),  # two folds in one word
        ("=?ISO-8859-1?q?Andr=E9\n _Pirard?=", "André Pirard"),  # RFC 2047 §8's name
        ("=?utf-8?B?Y2Fm\n w6k=?=", "café"),
        ("=?utf-8?Q?caf=C3=A9?=\n =?utf-8?Q?_au_lait?=", "café au lait"),  # a fold between
        ("=?utf-8?Q?caf=C3=A9_au_l\n ait?= and\n more", "café au lait and more"),
    ],
)
def test_a_fold_inside_an_encoded_word_leaves_no_space(subject: str, decoded: str) -> None:
    assert " ".join(decode_rfc2047(subject).split()) == decoded  # it unfolds no plain text
    for newline in ("\n", "\r\n"):
        block = f"From: a@example.com\nSubject: {subject}\nTo: b@example.com\n"
        block = block.replace("\n", newline)
        assert parse_header_block(block).first("subject").value == decoded  # type: ignore[union-attr]
        # a line ending in white space sends the block through the field-by-field reader
        spaced = block.replace("From: a@example.com", "From: a@example.com \n x")
        assert parse_header_block(spaced).first("subject").value == decoded  # type: ignore[union-attr]


def test_a_space_written_inside_one_line_word_is_kept() -> None:
    # not RFC 2047 (a Q word writes '_'), but no fold made it: the sender's space
    assert decode_rfc2047("=?utf-8?Q?caf=C3=A9 au lait?=") == "café au lait"
    block = "From: a@example.com\nSubject: =?utf-8?Q?caf=C3=A9 au lait?=\n"
    assert parse_header_block(block).first("subject").value == "café au lait"  # type: ignore[union-attr]


def test_each_fast_reader_takes_a_case_of_its_shape() -> None:
    """The cases above reach the readers they check, not only the lexers."""
    one_word = (
        f"from a (a.example [192.0.2.1]) by b.example with ESMTP for <a@example.com.>; {DATE}"
    )
    assert R._one_word_hop_fields(one_word) is not None
    usual = f"from a.example by b.example with SMTP (TLS) id 4; {DATE}"
    assert R._usual_hop_fields(usual) is not None
    exchange = (
        "from a.example (192.0.2.1) by b.example with Microsoft SMTP Server id 15.20.1.2;"
        " Sat, 31 Dec 2016 23:59:60 +0000"
    )
    assert R._exchange_hop_fields(exchange) is not None


# --------------------------------------------------------- RFC 7489 §11.2: DMARC error results


@pytest.mark.parametrize("result", ["temperror", "permerror"])
def test_a_dmarc_error_is_reported_not_passed_over(result: str) -> None:
    report = analyze(
        "From: a@example.com\nSubject: dmarc\nAuthentication-Results: mx.example.net;"
        " spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com;"
        f" dmarc={result} header.from=example.com\n"
    )
    found = next(f for f in report.findings if f.code == "dmarc-error")
    assert found.severity is Severity.WARNING
    assert found.title == f"DMARC could not be evaluated for example.com ({result})"
    assert "_dmarc.example.com" in found.fix
    leading = most_likely(report.findings)
    assert leading is not None and leading.code == "dmarc-error"
