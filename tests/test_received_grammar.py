"""Received values read by RFC 5321/5322 grammar: quoted strings, the root's dot of a host name,
and the one-match reader of the usual shapes giving exactly what the lexers give.

RFC 5321 §4.4 writes the ``for`` clause as ``"FOR" FWS ( "<" Postmaster ... ">" / Path /
Mailbox )``; a Mailbox's local part may be an RFC 5322 quoted-string (§3.2.4), in which ``;``,
``(``, ``<`` and runs of spaces are text. A domain written with the root's trailing dot
(``mx.example.com.``, RFC 1034 §3.1) names the same host as without it.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from o365diag.headers import received as R
from o365diag.headers.received import parse_received
from tests.test_headers_fast_paths import _mutations, _received_values
from tests.test_received import REAL_SAMPLES, utc

DATE = "Tue, 9 Jan 2024 10:00:00 +0000"


# --------------------------------------------------------------------------- quoted strings


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ('<"a;b"@example.com>', '"a;b"@example.com'),
        ('<"john  q. doe"@example.com>', '"john  q. doe"@example.com'),
        ('<"a(b"@example.com>', '"a(b"@example.com'),
        ('<"a)b"@example.com>', '"a)b"@example.com'),
        ('<"a<b"@example.com>', '"a<b"@example.com'),
        ('<"by; with"@example.com>', '"by; with"@example.com'),
        ('<"a\\"b;c"@example.com>', '"a\\"b;c"@example.com'),
        ('"a;b"@example.com', '"a;b"@example.com'),
    ],
)
def test_quoted_local_part_of_the_recipient_is_one_word(recipient: str, expected: str) -> None:
    value = f"from a.example (192.0.2.1) by b.example with ESMTP for {recipient}; {DATE}"
    hop = parse_received(value)
    assert hop.for_ == expected
    assert (hop.from_host, hop.from_ip, hop.by_host, hop.with_) == (
        "a.example",
        "192.0.2.1",
        "b.example",
        "ESMTP",
    )
    assert hop.timestamp == utc("2024-01-09T10:00:00")
    assert hop.problems == ()


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("<a@example.com (comment)>", "a@example.com"),
        ('<"x y"@example.com (a (nested) comment) >', '"x y"@example.com'),
        ("<a@example.com> (after the address)", "a@example.com"),
    ],
)
def test_comment_inside_the_angle_brackets_keeps_the_address(recipient: str, expected: str) -> None:
    hop = parse_received(f"from a.example by b.example with ESMTP for {recipient}; {DATE}")
    assert hop.for_ == expected
    assert hop.timestamp == utc("2024-01-09T10:00:00")


def test_semicolon_in_a_quoted_string_does_not_start_the_date() -> None:
    hop = parse_received(f'by b.example id 7 for <"x;{DATE}"@example.com>; 9 Jan 2024 11:00 +0000')
    assert hop.timestamp == utc("2024-01-09T11:00:00")


def test_keyword_inside_a_quoted_helo_name_starts_no_part() -> None:
    hop = parse_received(f'from "by with" (192.0.2.1) by mx.example.net with ESMTP; {DATE}')
    assert (hop.from_host, hop.from_ip, hop.by_host, hop.with_) == (
        '"by with"',
        "192.0.2.1",
        "mx.example.net",
        "ESMTP",
    )
    assert hop.problems == ()


def test_quote_inside_a_comment_is_comment_text() -> None:
    hop = parse_received(f'from a.example (it is "quoted) by b.example (x") with SMTP; {DATE}')
    assert (hop.from_host, hop.by_host, hop.with_) == ("a.example", "b.example", "SMTP")
    assert hop.problems == ()


def test_unclosed_quote_is_an_ordinary_character() -> None:
    hop = parse_received(f'by b.example for <"x@example.com>; {DATE}')
    assert hop.for_ == '"x@example.com'
    assert hop.timestamp == utc("2024-01-09T10:00:00")


def test_parenthesis_in_a_quoted_string_is_no_comment() -> None:
    hop = parse_received(f'from a.example by b.example for <"(192.0.2.9"@example.com>; {DATE}')
    assert hop.from_ip is None
    assert "unbalanced parentheses" not in hop.problems


# --------------------------------------------------------------------------- root's dot


@pytest.mark.parametrize(
    ("value", "from_host", "by_host"),
    [
        (f"from a.example. (192.0.2.1) by mx.example.com.; {DATE}", "a.example", "mx.example.com"),
        (f"from a.example by mx.example.com. with ESMTP; {DATE}", "a.example", "mx.example.com"),
        (f"from a.example., by mx.example.net., id 1; {DATE}", "a.example", "mx.example.net"),
        (f'from a.example. by "b".example. for <"x"@y>; {DATE}', "a.example", '"b".example'),
        (f"by mx.example.com. (Postfix) with ESMTP id 9; {DATE}", None, "mx.example.com"),
    ],
)
def test_root_dot_of_a_host_name_is_dropped(
    value: str, from_host: str | None, by_host: str
) -> None:
    hop = parse_received(value)
    assert (hop.from_host, hop.by_host) == (from_host, by_host)


def test_a_host_of_dots_alone_is_no_host() -> None:
    assert "no 'by' part" in parse_received(f"by . with SMTP; {DATE}").problems


# --------------------------------------------------------------------------- the one-match reader


_KEYWORDS = ["from", "FROM", "By", "by", "with", "WITH", "id", "Id", "for", "via", "VIA"]
_WORDS = [
    "mx.example.net", "a.example.", "b.example,", "192.0.2.1", "[192.0.2.7]", "[192.0.2.1.2525]",
    "2001:db8::1", "IPv6:2001:db8::2", "esmtps", "ESMTPSA", "HTTPS", "<a@example.com>", ",",
    "Microsoft", "SMTP", "Server", "TLSv1.2", "15.20.7409.31", "unknown", "HELO", "helo=x",
    "x@192.0.2.9", "Frontend", "Transport", "tls", "TLS_AES_256_GCM_SHA384", "é.example",
    "<@relay.example:a@example.com>", "<@a.example,@[192.0.2.5]:b@example.com>", "<a@example.com>.",
    "<a@example.com.>", "a@example.com.", "<>", "@relay.example:", "TLS",
]  # fmt: skip
_COMMENTS = [
    "(192.0.2.1)", "(2001:db8::7a)", "(mail.example.org [192.0.2.10])", "(Postfix)",
    "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))", "(a (b) c)",
    "(version=TLS1_2, cipher=TLS_ECDHE)", "([192.0.2.3]:41234 helo=x)", "()", "(by x)",
    "(from y; z)", "(HELO 198.51.100.7)", "(SSLv3)", "(Exim 4.96)", "(x@192.0.2.44)",
    "(TLS)", "(no TLS)", "(using SSL)", "(TLS=no)", "(a (TLS) b)", "(not SSL (TLS))",
]  # fmt: skip
_DATES = [DATE, "9 Jan 2024", "yesterday", "Tue, 9 Jan 2024 10:00:00 +0000 (UTC)", "(UTC)", ""]
_DATES += ["Sat, 31 Dec 2016 23:59:60 +0000", "Sat, 31 Dec 2016 23:59:61 +0000"]
_GLUE = [" ", " ", " ", "  ", "\t", "", " ; "]


def _random_value(rng: random.Random) -> str:
    pieces: list[str] = []
    for _ in range(rng.randint(1, 14)):
        roll = rng.random()
        pool = _KEYWORDS if roll < 0.3 else _COMMENTS if roll < 0.55 else _WORDS
        pieces.append(rng.choice(pool))
        pieces.append(rng.choice(_GLUE))
    if rng.random() < 0.9:
        pieces.append(";" + rng.choice(["", " ", "  "]) + rng.choice(_DATES))
    return "".join(pieces)


def _shaped_value(rng: random.Random) -> str:
    """A value in the usual keyword order, so that the one-match reader takes most of them."""
    pieces = []
    for keyword in ("from", "by", "via", "with", "id", "via", "for"):
        if keyword != "by" and rng.random() < 0.4:
            continue
        pieces.append(rng.choice([keyword, keyword.upper(), keyword.title()]))
        pieces += [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))]
        pieces += [rng.choice(_COMMENTS + _WORDS) for _ in range(rng.randint(0, 3))]
    return rng.choice(_GLUE[:5]).join(pieces) + "; " + rng.choice(_DATES)


def _compared(values: list[str]) -> int:
    taken = 0
    for value in values:
        lexed = R._lexed_hop_fields(value)
        usual = R._usual_hop_fields(value)
        if usual is not None:
            taken += 1
            assert usual == lexed, value
        for reader in (R._exchange_hop_fields, R._one_word_hop_fields):
            fields = reader(value)
            if fields is not None:
                assert fields == lexed, (reader.__name__, value)
    return taken


def _exchange_taken(values: list[str], reader: Any = R._exchange_hop_fields) -> int:
    """How many values the reader takes, each checked against the lexers."""
    taken = 0
    for value in values:
        fields = reader(value)
        if fields is not None:
            taken += 1
            assert fields == R._lexed_hop_fields(value), value
    return taken


def test_one_match_reader_reads_what_the_lexers_read_on_known_values() -> None:
    values = _received_values() + REAL_SAMPLES
    assert _compared(values) > 0.8 * len(values)


def test_one_match_reader_reads_what_the_lexers_read_on_mutations() -> None:
    values = _received_values()
    mutated = _mutations(values, '();\\" \txFROMbyIdVia,.[]:0', 3000, seed=17)
    assert _compared(mutated) > 300


def test_one_match_reader_reads_what_the_lexers_read_on_generated_values() -> None:
    rng = random.Random(5321)
    values = [_random_value(rng) for _ in range(3000)]
    values += [_shaped_value(rng) for _ in range(3000)]
    assert _compared(values) > 1200


_EXCHANGE_HOSTS = [
    "DM6PR11MB3369.namprd11.prod.outlook.com", "CY4PEPF0000E6.mail.protection.outlook.com",
    "mail.example.com", "10.0.0.7", "by", "ID", "a", "x.example.", "via", "a-b.example,",
    "192.0.2.1.example", "1.2", "mx1.2.3.example",
]  # fmt: skip
_EXCHANGE_ADDRESSES = [
    "192.0.2.1", "2001:db8::1", "2001:DB8:0:0::A", "::ffff:192.0.2.9", "::1", "1.2.3",
    "192.0.2.1.", "999.0.2.1", "2001:db8::1::2", "fe80::1", "0.0.0.0", "::", "1.2.3.4.5",
    "[fe80::5d1c:9a2e:43b0:7f61]", "[fe80::5d1c:9a2e:43b0:7f61%12]", "fe80::1%eth0", "[192.0.2.5]",
    "[192.0.2.5%3]", "[2001:db8::1", "2001:db8::1]", "[192.0.2.1.25]", "fe80::1%" + "z" * 21,
    "[2001:db8::1%]", "[[2001:db8::1]]",
]  # fmt: skip
_EXCHANGE_WITH = [
    "HTTPS", "Microsoft SMTP Server id 15.20.8511.13",
    "Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) "
    "id 15.20.8511.34",
    "Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.1.2 "
    "via Frontend Transport",
    "Microsoft SMTP Server id 15.1.2507.39 via Mailbox Transport", "mapi id 15.20.4649.019",
    "Microsoft SMTP Server (version=TLS1_0, cipher=X) id 15.", "HTTPS id 1",
    "mapi id 15.20.4649.019 via Mailbox Transport", "mapi (version=TLS1_2, cipher=X) id 15.2.1",
    "MAPI id 15.20.1.2", "Microsoft SMTPSVC(10.0.17763.1)",
]  # fmt: skip
_EXCHANGE_DATES = [
    "Sun, 16 Mar 2025 00:56:37 +0000", "16 Mar 2025 00:56:37 -0700", "Sun, 16 Mar 2025",
    "Sun, 16 Mar 2025 00:56:37 +0000", "Mon, 1 Dec 2025 23:59:59 +0100",
    "Sun, 16 Mar 2025 0:5:7 +0000", "Sun, 30 Feb 2025 00:56:37 +0000",
    "Sun, 16 Xyz 2025 00:56:37 +0000", "Sun,  16 Mar 2025 00:56:37 +0000",
    "Sun, 16 Mar 2025 00:56:37 +2400", "Sun, 16 mar 2025 00:56:37 -0000",
    "Tue, 9 Jan 2024 10:00:00 +0000 (UTC)", "yesterday", "Sun, 16 Mar 2025 25:61:00 +0000",
    "Sat, 31 Dec 2016 23:59:60 +0000", "Sat, 31 Dec 2016 18:59:60 -0500",
]  # fmt: skip


def _exchange_value(rng: random.Random) -> str:
    by_ip = rng.choice(["", f" ({rng.choice(_EXCHANGE_ADDRESSES)})"])
    return (
        f"from {rng.choice(_EXCHANGE_HOSTS)} ({rng.choice(_EXCHANGE_ADDRESSES)})"
        f"{rng.choice([' ', '  ', ' '])}by {rng.choice(_EXCHANGE_HOSTS)}{by_ip} with "
        f"{rng.choice(_EXCHANGE_WITH)};{rng.choice([' ', '', '  '])}{rng.choice(_EXCHANGE_DATES)}"
    )


def test_exchange_reader_reads_what_the_lexers_read() -> None:
    rng = random.Random(8617)
    values = [_exchange_value(rng) for _ in range(4000)]
    assert _exchange_taken(values) > 200
    mutated = _mutations(values, '();\\" \txFROMbyIdVia,.[]:0', 12000, seed=29)
    assert _exchange_taken(mutated) > 25


_MTA_FROM_COMMENTS = [
    "(localhost [127.0.0.1])", "(relay.example.org [192.0.2.117])", "([192.0.2.9]:41234 helo=x)",
    "(unknown [192.0.2.61])", "(HELO laptop-9)", "(helo [192.0.2.5])", "(192.0.2.5 [192.0.2.6])",
    "(host [192.0.2.300])", "(x@192.0.2.44)", "(2001:db8::5)", "(a (b) c)", "(host\t[192.0.2.8])",
    "(host  [192.0.2.8] extra)", "(ehlo [192.0.2.1] 192.0.2.2)", "()", "(h [192.0.2.4] TLSv1.2)",
]  # fmt: skip
_MTA_MORE_COMMENTS = [
    "", " (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))",
    " (No client certificate requested)", " (Authenticated sender: a@example.org)", "(SSLv3)",
    " (version=TLSv1.2 cipher=ECDHE bits=256 verify=NOT)", " (TLS1.3)", " (Exim 4.96)",
    " (TLS)", " (no TLS)", "(using SSL)", " (TLS=no) (TLS)",
    " (sam@192.0.2.47)", " (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96)", " (x) 192.0.2.8",
]  # fmt: skip
_MTA_WORDS = [
    "mx.example.org", "x.example.", "y.example,", "[192.0.2.14]", "by", "ID", "é.example",
    "192.0.2.9", "unknown",
]  # fmt: skip
_MTA_DATES = [
    *_EXCHANGE_DATES,
    "Sat,  2 Aug 2025 14:55:55 +0000 (UTC)", "Sat,  2 Aug 2025 14:55:55 +0000 (Coordinated)",
    "Sat, 2 Aug 2025 14:55:55 +0000 (UTC) (x)", "2 Aug 2025 14:55:55 -0000",
]  # fmt: skip


_MTA_PARTS = [
    ("with", ["ESMTPS", "esmtp", "LMTP", "ESMTPSA extra"]),
    ("id", ["4Z8MNU0JM9fW", "1uAkgR-000229-Qr", "x,"]),
    (
        "for",
        [
            "<a@example.com>",
            "a@example.com",
            "<a@example.com",
            "<>",
            "<a@example.com.>",
            "<@relay.example:a@example.com>",
            "<a@example.com>.",
            "a@example.com.,",
        ],
    ),
]


def _mta_value(rng: random.Random) -> str:
    pieces = [f"from {rng.choice(_MTA_WORDS)} {rng.choice(_MTA_FROM_COMMENTS)}"]
    pieces.append(rng.choice(_MTA_MORE_COMMENTS))
    pieces.append(f" by {rng.choice(_MTA_WORDS)}{rng.choice(_MTA_MORE_COMMENTS)}")
    for keyword, words in _MTA_PARTS:
        if rng.random() < 0.7:
            pieces.append(f" {keyword} {rng.choice(words)}{rng.choice(_MTA_MORE_COMMENTS)}")
    pieces.append(f";{rng.choice([' ', '', '  '])}{rng.choice(_MTA_DATES)}")
    return "".join(pieces)


def test_one_word_reader_reads_what_the_lexers_read() -> None:
    rng = random.Random(5322)
    values = [_mta_value(rng) for _ in range(4000)]
    assert _exchange_taken(values, R._one_word_hop_fields) > 200
    mutated = _mutations(values, '();\\" \txFROMbyIdVia,.[]:0', 12000, seed=31)
    assert _exchange_taken(mutated, R._one_word_hop_fields) > 100


def test_exchange_reader_takes_exchange_online_hops() -> None:
    date = "Sun, 16 Mar 2025 00:56:34 +0000"
    smtp = (
        "from CY4PR.apcprd03.prod.outlook.com (2001:db8:2af5::9c) by CY55PR.prod.outlook.com "
        "(2001:db8:f6b8::b8) with Microsoft SMTP Server (version=TLS1_2, "
        "cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8511.13 via Frontend Transport;"
        f" {date}"
    )
    fields = R._exchange_hop_fields(smtp)
    assert fields is not None
    assert (fields["from_ip"], fields["by_ip"], fields["tls"], fields["via"], fields["id"]) == (
        "2001:db8:2af5::9c",
        "2001:db8:f6b8::b8",
        "TLSv1.2",
        "Frontend Transport",
        "15.20.8511.13",
    )
    mapi = (
        "from EXCH01.wingtip.example ([fe80::5d1c:9a2e:43b0:7f61]) by EXCH01.wingtip.example "
        f"([fe80::5d1c:9a2e:43b0:7f61%12]) with mapi id 15.02.1544.014; {date}"
    )
    fields = R._exchange_hop_fields(mapi)
    assert fields is not None
    assert (fields["from_ip"], fields["by_ip"], fields["with_"], fields["tls"]) == (
        "fe80::5d1c:9a2e:43b0:7f61",
        "fe80::5d1c:9a2e:43b0:7f61",
        "mapi",
        None,
    )
    https = f"from a.example (192.0.2.1) by b.example with HTTPS; {date}"
    assert R._exchange_hop_fields(https) is not None
    assert R._exchange_hop_fields(https)["tls"] == "yes"  # type: ignore[index]
    assert R._exchange_hop_fields(f"from a (a.example [192.0.2.1]) by b with HTTPS; {date}") is None


@pytest.mark.parametrize(
    "value",
    [
        f"from a by b via c with d id e via f; {DATE}",  # via twice: the lexers report it
        f"from a; by b; {DATE}",
        f"by b for <a@example.com>; {DATE};",
        f"by b {DATE}",
        f"by (comment first) b; {DATE}",
        f"by b (a (b (c))); {DATE}",
        f"by b (a \\) c); {DATE}",
        f'by b for <"x"@y>; {DATE}',
        f"by b; {DATE} (unclosed",
        f"x by b; {DATE}",
    ],
)
def test_one_match_reader_declines_what_it_does_not_read(value: str) -> None:
    assert R._usual_hop_fields(value) is None
    parse_received(value)  # the lexers read it without raising


def test_one_match_readers_take_unicode_white_space_as_the_lexers() -> None:
    """The readers' patterns spell white space out (received._SPACE); the lexers' \\s is the
    category. Values with other white space between their words read the same either way."""
    rng = random.Random(2028)
    spaces = ["\xa0", "\u3000", "\x1c", "\u2028", "\x85", "\u2009", "\t", "\x0b"]
    values = []
    for value in _received_values() + REAL_SAMPLES:
        head, semicolon, date = value.rpartition(";")  # the readers' dates are spaced by " "
        words = head.split(" ")
        spaced = "".join(word + rng.choice(spaces + [" "] * 4) for word in words[:-1])
        values.append(spaced + words[-1] + semicolon + date)
    readers = (R._usual_hop_fields, R._exchange_hop_fields, R._one_word_hop_fields)
    taken = [sum(reader(value) is not None for value in values) for reader in readers]
    assert _compared(values) > 0 and min(taken) > 5, taken
