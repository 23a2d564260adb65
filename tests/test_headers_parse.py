from __future__ import annotations

import codecs
import time

import pytest

from o365diag.headers.parse import (
    InputError,
    decode_rfc2047,
    parse_header_block,
    read_header_source,
)


def test_folded_crlf_and_leading_blank_lines() -> None:
    text = "\r\n\r\nSubject: hello\r\n world\r\nFrom: a@example.com\r\n\r\nbody: not a header\r\n"
    headers = read_header_source(text)
    assert [f.name for f in headers] == ["Subject", "From"]
    assert headers.value("subject") == "hello world"
    assert headers.had_body


def test_lost_indentation_is_folded_onto_previous_field() -> None:
    text = (
        "Authentication-Results: spf=pass (sender IP is 192.0.2.1)\n"
        "smtp.mailfrom=example.com; dkim=none\n"
        "Received: from a by b; Mon, 23 Nov 2026\n"
        "10:00:00 +0000\n"
    )
    headers = parse_header_block(text)
    assert len(headers) == 2
    assert "smtp.mailfrom=example.com" in headers.fields[0].value
    # "10:00:00 +0000" would look like a field named "10": it must stay a continuation.
    assert headers.fields[1].value.endswith("10:00:00 +0000")


def test_text_before_first_header_is_kept_as_stray_lines() -> None:
    headers = parse_header_block("this is not a header\nSubject: x\n")
    assert headers.stray_lines == ["this is not a header"]
    assert headers.value("subject") == "x"


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("=?utf-8?B?U2NhbiBmcm9tIE1GUA==?=", "Scan from MFP"),
        ("=?UTF 8?B?U2NhbiBmcm9tIE1GUA==?=", "Scan from MFP"),
        ("=?utf-8?Q?Caf=C3=A9_menu?=", "Café menu"),
        ("=?utf-8?B?U2Nh?= =?utf-8?B?bg==?=", "Scan"),
        ("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=", "Привет"),
        ("=?unknown-charset?B?aGk=?=", "hi"),
        ("=?utf-8?B?U2NhbiBmcm9tIE1GUA?=", "Scan from MFP"),
        ("plain text", "plain text"),
    ],
)
def test_rfc2047_decoding_tolerates_bad_words(encoded: str, decoded: str) -> None:
    assert decode_rfc2047(encoded) == decoded


def test_utf16_input_with_and_without_bom() -> None:
    text = "Subject: héllo\r\nFrom: a@example.com\r\n"
    with_bom = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    assert read_header_source(with_bom).value("subject") == "héllo"
    assert read_header_source(text.encode("utf-16-le")).value("subject") == "héllo"


@pytest.mark.parametrize("bad", [b"", b"   \n\n  ", bytes(range(256)) * 40, "no colon here\n"])
def test_unusable_input_is_a_clear_error(bad: bytes | str) -> None:
    with pytest.raises(InputError):
        read_header_source(bad)


def test_msg_without_ole_structure_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"\.msg"):
        read_header_source(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


def test_five_megabyte_header_parses_in_linear_time() -> None:
    big = "X-Big: " + "a" * (5 * 1024 * 1024) + "\nSubject: after\n"
    started = time.perf_counter()
    headers = read_header_source(big)
    assert time.perf_counter() - started < 5
    assert headers.value("subject") == "after"


def test_outlook_msg_transport_headers_are_read() -> None:
    from tests.olewriter import compound_file
    from tests.test_headers_cli import HEADERS

    unicode_msg = compound_file({"__substg1.0_007D001F": HEADERS.encode("utf-16-le")})
    headers = read_header_source(unicode_msg, "message.msg")
    assert headers.source_kind == "msg"
    assert headers.value("from") == "Scanner <scanner@example.com>"
    ansi_msg = compound_file(
        {
            "__substg1.0_0037001F": "Subject".encode("utf-16-le"),
            "__substg1.0_007D001E": HEADERS.encode("latin-1"),
        }
    )
    assert read_header_source(ansi_msg).value("x-forefront-antispam-report") is not None


def test_msg_without_transport_headers_says_why() -> None:
    from tests.olewriter import compound_file

    draft = compound_file({"__substg1.0_0037001F": "Draft".encode("utf-16-le")})
    with pytest.raises(InputError, match="no transport headers"):
        read_header_source(draft)


@pytest.mark.parametrize(
    "value",
    [
        "Scanner <scanner@example.com>",
        '"Doe, John" <j@example.com>',
        "a@example.com",
        "a@example.com, b@example.org",
        "=?utf-8?Q?x?= <q@example.net>",
        '"Odd \\"quote\\"" <o@example.com>',
        "Group: a@example.com;",
        "<x@example.com>",
        "Name <x@example.com> (comment)",
        "undisclosed-recipients:;",
        "not an address",
        "Scanner <s@example.com>, Other Person <o@example.org>, c@example.net",
        "a@example.com,, b@example.org,",
        "Doe, John <j@example.com>",
        "a@example.com; b@example.org",
        "<a@[192.0.2.1]>, b@example.org",
    ],
)
def test_address_fast_path_agrees_with_the_stdlib_parser(value: str) -> None:
    import email.utils

    from o365diag.headers.analysis import _addresses

    assert _addresses(value) == [a for _, a in email.utils.getaddresses([value]) if a]
