"""The bug classes of issue 12 looked for elsewhere in the parsers: each case here failed
before its fix. Inputs are the RFCs' own examples (RFC 2047, RFC 8601, RFC 7208, RFC 8617)
with documentation names, and variants real senders write."""

from __future__ import annotations

import base64

import pytest

from o365diag.headers import analyze
from o365diag.headers.parse import decode_rfc2047

# --------------------------------------------------------------- RFC 2047: base64 across words

# RFC 2047 §8's subject, as one base64 text that a sender cut into words at fixed widths.
_SENTENCE = "If you can read this you understand the example."


def _cut_words(charset: str, text: str, cut: int) -> str:
    letters = base64.b64encode(text.encode(charset)).decode()
    return f"=?{charset}?B?{letters[:cut]}?= =?{charset}?B?{letters[cut:]}?="


@pytest.mark.parametrize("cut", [5, 6, 7, 13, 30, 41, 59])
def test_base64_cut_inside_a_group_decodes_the_joined_letters(cut: int) -> None:
    assert decode_rfc2047(_cut_words("ISO-8859-1", _SENTENCE, cut)) == _SENTENCE


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 6, 7, 9, 10, 11])
def test_base64_cut_inside_a_multibyte_character_and_a_group(cut: int) -> None:
    text = "Grüße, café ✓ 日本"
    assert decode_rfc2047(_cut_words("utf-8", text, cut)) == text


def test_base64_cut_in_three_words_with_the_padding_on_the_last() -> None:
    # "café ✓!" in UTF-8 is 10 bytes, Y2Fmw6kg4pyTIQ==: cut 5 + 8 + 3
    assert decode_rfc2047("=?utf-8?b?Y2Fmw?= =?utf-8?b?6kg4pyTI?= =?utf-8?b?Q==?=") == "café ✓!"


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # each word encoded on its own with its padding dropped: still read word by word
        ("=?utf-8?B?YQ?= =?utf-8?B?Yg?=", "ab"),
        ("=?ISO-8859-1?B?S2VsZA?= =?ISO-8859-1?B?IErDuHJu?=", "Keld JÃ¸rn"),
        # two padded words pasted into one
        ("=?utf-8?B?YQ==Yg==?=", "ab"),
        ("=?utf-8?B?4pyT?=", "✓"),
    ],
)
def test_base64_words_that_stand_alone_are_read_alone(encoded: str, decoded: str) -> None:
    assert decode_rfc2047(encoded) == decoded


# ------------------------------------------------ one-value stamps with comments and white space


def _antispam(stamps: str) -> dict[str, object]:
    report = analyze(f"From: a@example.com\nSubject: stamps\n{stamps}")
    return report.data["antispam"]  # type: ignore[no-any-return]


def _malformed_evidence(stamps: str) -> tuple[str, ...]:
    report = analyze(f"From: a@example.com\nSubject: stamps\n{stamps}")
    found = next((f for f in report.findings if f.code == "malformed-header"), None)
    return found.evidence if found else ()


@pytest.mark.parametrize(
    ("stamp", "field", "value"),
    [
        ("X-MS-Exchange-Organization-SCL: 1 (comment)\n", "scl", 1),
        ("X-MS-Exchange-Organization-SCL: (set by a transport rule) -1\n", "scl", -1),
        ("X-MS-Exchange-Organization-SCL: 5\t\n", "scl", 5),
        ("X-MS-Exchange-Organization-PCL: 2 (phish)\n", "pcl", 2),
        ("X-Forefront-Antispam-Report: CIP:192.0.2.1;SCL:5 (spam);SFV:SPM;\n", "scl", 5),
        ("X-Forefront-Antispam-Report: SFV:SKI (same tenant);IPV:NLI;\n", "sfv", "SKI"),
        ("X-Forefront-Antispam-Report: (stamped) CIP:192.0.2.1;SFV:NSPM;\n", "cip", "192.0.2.1"),
        ("X-Microsoft-Antispam: BCL:7 (bulk);\n", "bcl", 7),
        ("X-Forefront-Antispam-Report: CIP:192.0.2.1;SCL:\n 6;SFV:\n SPM;\n", "scl", 6),
    ],
)
def test_a_one_value_stamp_is_read_through_comments_and_white_space(
    stamp: str, field: str, value: object
) -> None:
    assert _antispam(stamp)[field] == value


def test_rule_ids_in_parentheses_are_no_comments() -> None:
    antispam = _antispam(
        "X-Forefront-Antispam-Report: SFV:SPM;SFS:(13230040)(366016)\n (39860400002);\n"
    )
    assert antispam["sfs"] == ["13230040", "366016", "39860400002"]


def test_an_empty_value_is_no_value_and_no_problem() -> None:
    assert _antispam("X-Microsoft-Antispam: BCL:;\n")["bcl"] is None
    assert _malformed_evidence("X-Microsoft-Antispam: BCL:;\n") == ()


def test_a_key_given_twice_with_different_values_is_reported() -> None:
    stamp = "X-Forefront-Antispam-Report: SCL:1;SFV:NSPM;scl:9;SFV:NSPM;\n"
    assert _antispam(stamp)["scl"] == 1
    assert _malformed_evidence(stamp) == (
        "X-Forefront-Antispam-Report: SCL is given twice with different values "
        "('1' in X-Forefront-Antispam-Report, then '9'); the first was used",
    )


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [
        ("X-MS-Exchange-Organization-SCL: high\n", "X-MS-Exchange-Organization-SCL: 'high'"),
        ("X-Microsoft-Antispam: BCL:x;\n", "X-Microsoft-Antispam: BCL:x"),
    ],
)
def test_a_level_that_is_no_number_is_reported_under_its_own_header(
    stamp: str, problem: str
) -> None:
    assert _malformed_evidence(stamp) == (f"{problem} is not a number",)
