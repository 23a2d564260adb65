"""Hard inputs other implementations test themselves with: RFC 2047 §8, RFC 5322 obsolete
syntax, mbox edge cases, and the header crashes found by fuzzing (issue 10, item 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from o365diag.headers import InputError, analyze
from o365diag.headers.bulk import iter_messages
from o365diag.headers.parse import decode_rfc2047, parse_header_block, read_header_source
from tests.olewriter import compound_file
from tests.test_headers_cli import HEADERS
from tests.test_headers_cli import _run as run_headers
from tests.test_report import _cli as run_report

# --------------------------------------------------------------------------- RFC 2047 §8


def test_rfc2047_section8_header_examples() -> None:
    # RFC 2047 §8's message, with documentation domains in place of the original ones.
    headers = read_header_source(
        "From: =?US-ASCII?Q?Keith_Moore?= <moore@example.edu>\n"
        "To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@example.dk>\n"
        "CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@example.be>\n"
        "Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\n"
        "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\n"
    )
    assert headers.value("from") == "Keith Moore <moore@example.edu>"
    assert headers.value("to") == "Keld Jørn Simonsen <keld@example.dk>"
    assert headers.value("cc") == "André Pirard <PIRARD@example.be>"
    assert headers.value("subject") == "If you can read this you understand the example."


def test_rfc2047_section8_hebrew_comment() -> None:
    value = "Nathaniel Borenstein <nsb@example.com> (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)"
    assert decode_rfc2047(value) == "Nathaniel Borenstein <nsb@example.com> (םולש ןב ילטפנ)"


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ],
)
def test_rfc2047_section8_spacing_table(encoded: str, decoded: str) -> None:
    assert decode_rfc2047(encoded) == decoded


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # "é" (C3 A9) split between two Q words, and "✓" (E2 9C 93) between two B words
        ("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "café"),
        ("=?UTF-8?B?4pw=?= =?utf-8?B?kw==?= ok", "✓ ok"),
        # three words, and a Shift_JIS double-byte character split in two
        ("=?utf-8?Q?=E2?= =?utf-8?Q?=9C?= =?utf-8?Q?=93?=", "✓"),
        ("=?shift_jis?B?mA==?= =?shift_jis?B?sQ==?=", "亞"),
        # a different charset ends the run: each part decodes on its own
        ("=?utf-8?Q?=C3?= =?iso-8859-1?Q?=E9?=", "\ufffdé"),
        # text between the words ends the run too
        ("=?utf-8?Q?caf=C3?= x =?utf-8?Q?=A9?=", "caf\ufffd x \ufffd"),
    ],
)
def test_multibyte_character_split_across_adjacent_words(encoded: str, decoded: str) -> None:
    assert decode_rfc2047(encoded) == decoded


@pytest.mark.parametrize(
    "charset", ["idna", "rot13", "base64", "zlib", "hex", "bz2", "quopri", "uu", "punycode"]
)
def test_a_codec_that_is_no_text_encoding_keeps_the_word_and_is_reported(charset: str) -> None:
    word = f"=?{charset}?B?aGVsbG8=?="
    report = analyze(f"Subject: {word}\nFrom: a@example.com\n")
    assert report.data["summary"]["subject"] == word
    malformed = next(f for f in report.findings if f.code == "malformed-header")
    assert any("Subject: an encoded word could not be decoded" in e for e in malformed.evidence)


# ------------------------------------------------------------------- RFC 5322 obsolete syntax


def test_obsolete_white_space_before_the_colon() -> None:
    headers = parse_header_block(
        "From : someone@example.com\nSubject\t: hello\nTo  :  a@example.org\n"
    )
    assert [(f.name, f.value) for f in headers] == [
        ("From", "someone@example.com"),
        ("Subject", "hello"),
        ("To", "a@example.org"),
    ]
    assert headers.stray_lines == []


def test_a_file_starting_with_obsolete_from_is_no_mbox(tmp_path: Path) -> None:
    path = tmp_path / "obsolete.eml"
    path.write_bytes(b"From : someone@example.com\nSubject: obsolete syntax\n\nbody\n")
    [(label, content)] = list(iter_messages([str(path)]))
    assert label == str(path)
    report = analyze(content)
    assert report.data["summary"]["from_address"] == "someone@example.com"


def test_an_obsolete_from_inside_an_mbox_does_not_split_the_message(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From sender@example.org Mon Nov 23 10:00:00 2026\n"
        b"Subject: first\nFrom : someone@example.com\n\nbody\n"
        b"From MAILER-DAEMON Mon Nov 23 10:00:01 2026\nSubject: second\n\nbody\n"
    )
    messages = list(iter_messages([str(path)]))
    assert [label for label, _ in messages] == [f"{path}#1", f"{path}#2"]
    assert b"From : someone@example.com" in messages[0][1]


# --------------------------------------------------------------------------- item 15 crashes


def test_a_thousand_nested_groups_in_from() -> None:
    value = "g:" * 1000 + "x@example.com" + ";" * 1000
    report = analyze(f"From: {value}\nTo: {value}\nSubject: groups\n")
    assert report.data["summary"]["from_address"] == "x@example.com"
    assert report.data["summary"]["to"] == ["x@example.com"]
    malformed = next(f for f in report.findings if f.code == "malformed-header")
    assert any(e.startswith("From: 1,000 group markers") for e in malformed.evidence)


def test_dkim_pass_without_a_domain_in_the_alignment_rule() -> None:
    report = analyze(
        "Authentication-Results: mx.example.net; dkim=pass; spf=fail smtp.mailfrom=example.org\n"
        "From: a@example.com\n"
    )
    aligned = next(f for f in report.findings if f.code == "not-aligned")
    assert "DKIM passed for (no domain given)" in aligned.detail


STORAGE_MSG = compound_file(
    {"__substg1.0_0037001F": "Subject".encode("utf-16-le"), "__substg1.0_007D001F": None}
)


def test_msg_whose_transport_headers_are_a_storage() -> None:
    with pytest.raises(InputError, match="not a stream"):
        read_header_source(STORAGE_MSG, "odd.msg")


def test_msg_falls_back_to_the_ansi_stream_when_the_unicode_one_is_a_storage() -> None:
    msg = compound_file(
        {"__substg1.0_007D001E": HEADERS.encode("latin-1"), "__substg1.0_007D001F": None}
    )
    assert read_header_source(msg).value("from") == "Scanner <scanner@example.com>"


def test_both_commands_refuse_the_storage_msg_in_one_line(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "odd.msg"
    source.write_bytes(STORAGE_MSG)
    headers = run_headers(python, cli_env, str(source))
    report = run_report(python, cli_env, str(source), "-o", str(tmp_path / "r.html"))
    for returncode, stderr in (
        (headers.returncode, headers.stderr.decode()),
        (report.returncode, report.stderr),
    ):
        assert returncode == 2, stderr
        assert "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1
        assert "not a stream" in stderr


def test_a_message_saved_with_its_mbox_envelope_line_is_not_malformed() -> None:
    report = analyze(
        "From sender@example.org Mon Dec  7 00:00:00 2026\n"
        "From: App <app@example.org>\nSubject: saved from a mailbox file\n"
    )
    assert report.data["input"]["stray_lines"] == 0
    assert "malformed-header" not in report.codes()
    assert report.data["summary"]["from_address"] == "app@example.org"
