"""The bug classes of issue 12 looked for elsewhere in the parsers: each case here failed
before its fix. Inputs are the RFCs' own examples (RFC 2047, RFC 8601, RFC 7208, RFC 8617)
with documentation names, and variants real senders write."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from o365diag.findings import Finding
from o365diag.headers import analyze
from o365diag.headers.bulk import BulkSummary, analyze_line, iter_messages
from o365diag.headers.parse import decode_rfc2047
from o365diag.headers.received import parse_received
from o365diag.headers.render import analysis_html, analysis_text

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


# ------------------------------------------------------------- "None" in the rendered texts

_NONE_WORD = re.compile(r"\bNone\b")
_FROM = "From: a@example.com\n"
_EDGE_CASES = {
    "dkim fail without header.d": "Authentication-Results: mx.example.com; dkim=fail;"
    " spf=pass smtp.mailfrom=example.com; dmarc=fail header.from=example.com\n",
    "compauth fail without reason": "Authentication-Results: spf=fail smtp.mailfrom=example.com;"
    " dkim=none; dmarc=fail action=none header.from=example.com;compauth=fail\n",
    "compauth pass without reason": "Authentication-Results: spf=pass smtp.mailfrom=example.com;"
    " dkim=pass header.d=example.com; dmarc=pass header.from=example.com;compauth=pass\n",
    "empty results": "Authentication-Results: mx.example.com; spf=; dkim=; dmarc=\n",
    "untrusted stamp the trusted one lacks": "X-Forefront-Antispam-Report-Untrusted: SFV:SPM;"
    "SCL:5\nX-Forefront-Antispam-Report: SFV:NSPM\n",
    "spf pass without a domain": "Authentication-Results: mx.example.com; spf=pass;"
    " dkim=pass header.d=example.net; dmarc=fail\n",
    "no from": "Authentication-Results: mx.example.com; spf=pass; dkim=pass; dmarc=pass\n",
}


@pytest.mark.parametrize("case", sorted(_EDGE_CASES))
def test_no_rendered_text_says_none(case: str) -> None:
    text = ("" if case == "no from" else _FROM) + "Subject: edge\n" + _EDGE_CASES[case]
    report = analyze(text)
    outputs = [analysis_text(report), analysis_html(report)]
    outputs += [" ".join((f.title, f.detail, f.fix)) for f in report.findings]
    assert [o for o in outputs if _NONE_WORD.search(o)] == []


def _finding(text: str, code: str) -> Finding:
    return next(f for f in analyze(_FROM + text).findings if f.code == code)


def test_dkim_fail_without_a_domain_says_so() -> None:
    found = _finding(_EDGE_CASES["dkim fail without header.d"], "dkim-fail")
    assert found.detail == "(no domain given): fail (no reason given)."


def test_compauth_without_a_reason_says_so() -> None:
    found = _finding(_EDGE_CASES["compauth fail without reason"], "compauth-fail")
    assert found.detail.startswith("compauth=fail (no reason given): ")


def test_an_empty_dkim_result_is_no_failure() -> None:
    report = analyze(_FROM + _EDGE_CASES["empty results"])
    assert "dkim-fail" not in [f.code for f in report.findings]
    malformed = next(f for f in report.findings if f.code == "malformed-header")
    assert "Authentication-Results: empty result for dkim" in malformed.evidence
    assert "\n  DKIM      —\n" in analysis_text(report)


def test_a_stamp_missing_from_the_trusted_header_is_named_so() -> None:
    found = _finding(_EDGE_CASES["untrusted stamp the trusted one lacks"], "untrusted-stamps")
    assert "SCL: untrusted 5 vs trusted (not stamped)" in found.detail


# ------------------------------------------- which Authentication-Results count (RFC 8601 §5)

_HOP = (
    "Received: from mail.example.net (mail.example.net [192.0.2.1]) by mx.example.org"
    " with ESMTPS; Mon, 7 Dec 2026 03:00:00 +0000\n"
)
_SENDERS_OWN = (
    "Authentication-Results: mail.example.net; spf=pass smtp.mailfrom=example.com;"
    " dkim=pass header.d=example.com; dmarc=pass header.from=example.com\n"
)


def test_the_receivers_none_is_its_verdict_and_a_lower_header_is_not_used() -> None:
    # RFC 8601 appendix B.2, above a header the sending side wrote itself
    report = analyze(f"Authentication-Results: example.org 1; none\n{_HOP}{_SENDERS_OWN}{_FROM}")
    auth = report.data["authentication"]
    assert auth["source_authserv_id"] == "example.org"
    assert (auth["spf"]["result"], auth["dkim"], auth["dmarc"]["result"]) == (None, [], None)
    # nothing was checked: not "the message is not DKIM-signed"
    found = {f.code: f for f in report.findings}
    assert "dkim-none" not in found
    assert found["no-auth-results"].detail == (
        "example.org wrote 'none': it checked no SPF, DKIM or DMARC."
    )


def test_the_receivers_name_further_down_the_chain_is_not_merged() -> None:
    forged = _SENDERS_OWN.replace("mail.example.net", "mx.example.org")
    top = "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=example.com\n"
    auth = analyze(top + _HOP + forged + _FROM).data["authentication"]
    assert (auth["spf"]["result"], auth["dkim"], auth["dmarc"]["result"]) == ("fail", [], None)
    # the same two headers stamped at one hop (OpenDKIM and OpenDMARC) are one verdict
    auth = analyze(top + forged + _HOP + _FROM).data["authentication"]
    assert [d["result"] for d in auth["dkim"]] == ["pass"]
    assert auth["dmarc"]["result"] == "pass"


@pytest.mark.parametrize(
    ("value", "result", "domain"),
    [
        # RFC 8617 appendix B, instance 1 and instance 2
        (
            "i=1; lists.example.org;\n    spf=pass smtp.mfrom=jqd@d1.example;\n"
            "    dkim=pass (1024-bit key) header.i=@d1.example;\n    dmarc=pass",
            "pass",
            "d1.example",
        ),
        (
            "i=2; gmail.example;\n    spf=fail smtp.from=jqd@d1.example;\n"
            "    dkim=fail (512-bit key) header.i=@example.org; dmarc=fail;\n"
            "    arc=pass (as.1.lists.example.org=pass, ams.1.lists.example.org=pass)",
            "fail",
            "d1.example",
        ),
    ],
)
def test_rfc8617_spf_spellings_name_the_domain(value: str, result: str, domain: str) -> None:
    report = analyze(f"ARC-Authentication-Results: {value}\nFrom: jqd@d1.example.org\n")
    spf = report.data["authentication"]["spf"]
    assert (spf["result"], spf["domain"]) == (result, domain)


# ------------------------------------------- addresses are read before RFC 2047 decoding


@pytest.mark.parametrize(
    ("field", "address"),
    [
        # a display name "Doe, John", encoded as real mail clients do: one address, not two
        ("=?utf-8?Q?Doe=2C_John?= <john@example.com>", "john@example.com"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@example.be>", "PIRARD@example.be"),
        # a name that decodes to text shaped like an address never becomes the address
        ("=?utf-8?Q?x=40evil.example=2C?= <a@example.com>", "a@example.com"),
        ("=?utf-8?B?eEBldmlsLmV4YW1wbGUs?= <a@example.com>", "a@example.com"),
    ],
)
def test_the_from_address_is_read_from_the_field_as_written(field: str, address: str) -> None:
    report = analyze(f"From: {field}\nTo: {field}\nCc: {field}, b@example.org\n")
    summary = report.data["summary"]
    assert summary["from_address"] == address
    assert summary["to"] == [address]
    assert summary["cc"] == [address, "b@example.org"]
    assert report.data["authentication"]["alignment"]["from_domain"] == address.split("@")[1]


# ------------------------------------------------- organization stamps and dates with comments


def test_organization_stamps_are_read_through_comments() -> None:
    report = analyze(
        f"{_FROM}X-MS-Exchange-Organization-AuthAs: Anonymous (not authenticated)\n"
        "X-MS-Exchange-Organization-AuthSource: EX01.example.org (the hub)\n"
        "X-MS-Exchange-Organization-MessageDirectionality: Incoming (x)\n"
        "X-MS-Exchange-CrossTenant-FromEntityHeader: Internet (stamped)\n"
    )
    exchange = report.data["exchange"]
    assert (exchange["auth_as"], exchange["auth_source"]) == ("Anonymous", "EX01.example.org")
    assert exchange["directionality"] == "Incoming"
    assert exchange["cross_tenant"] == {"FromEntityHeader": "Internet"}
    assert all(exchange["meanings"].values())


def test_an_auth_as_without_a_published_meaning_says_so() -> None:
    found = _finding("X-MS-Exchange-Organization-AuthAs: Partner2\n", "exchange-attribution")
    assert found.detail == "AuthAs Partner2 (no published meaning)."


@pytest.mark.parametrize(
    "date",
    [
        # RFC 5322 §4.3: obs-hour, obs-minute and obs-second may have CFWS around them
        "Mon , 7 Dec 2026 03 : 04 : 05 +0000",
        "Mon, 7 Dec 2026 03 :04: 05 (the seconds) +0000",
        # RFC 5322 appendix A.6.3, folded everywhere
        "Mon,\n      7\n        Dec\n          2026\n      03:04:05\n               +0000 (UTC)",
    ],
)
def test_obsolete_white_space_around_the_colons_of_a_date(date: str) -> None:
    report = analyze(
        f"{_FROM}Date: {date}\nReceived: from a.example.net by b.example.org; {date}\n"
    )
    assert report.data["summary"]["date"] == "2026-12-07T03:04:05+00:00"
    assert report.data["hops"][0]["timestamp"] == "2026-12-07T03:04:05Z"


# ------------------------------------------------------- Received: an address with its port


@pytest.mark.parametrize(
    "tcp_info",
    ["(192.0.2.1:54321)", "(host.example.net 192.0.2.1:25)", "([192.0.2.1]:54321 helo=x)"],
)
def test_the_connecting_address_is_found_beside_its_port(tcp_info: str) -> None:
    hop = parse_received(
        f"from host.example.net {tcp_info} by mx.example.org with ESMTP;"
        " Mon, 7 Dec 2026 03:00:00 +0000"
    )
    assert hop.from_ip == "192.0.2.1"


@pytest.mark.parametrize("tcp_info", ["(10:52)", "(192.0.2.1:999999)"])
def test_a_time_or_an_impossible_port_is_no_address(tcp_info: str) -> None:
    hop = parse_received(f"from host.example.net {tcp_info} by mx.example.org; 7 Dec 2026 03:00 Z")
    assert hop.from_ip is None


def test_mailbox_delivery_codes_are_read_through_comments() -> None:
    report = analyze(
        f"{_FROM}X-Microsoft-Antispam-Mailbox-Delivery: ucf:0;dest:J (junk);"
        "OFR:SpamFilterAuthJ (x);ENG:(910001)(944506478)\n (920097);\n"
    )
    tokens = {t["key"]: t for t in report.data["antispam"]["mailbox_delivery"]}
    assert (tokens["dest"]["value"], tokens["dest"]["status"]) == ("J", "observed")
    assert tokens["OFR"]["value"] == "SpamFilterAuthJ"
    assert tokens["ENG"]["value"] == "(910001)(944506478) (920097)"


# ---------------------------------------------------- mbox: "From " lines that start nothing


def test_an_unescaped_from_line_in_a_body_does_not_split_the_mbox(tmp_path: Path) -> None:
    # mboxo writers leave body lines as they are; only envelope lines start a message
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From a@example.com Mon Dec  7 03:00:00 2026\nFrom: a@example.com\nSubject: one\n\n"
        b"Hello,\nFrom the desk of the director: nothing.\n\nFrom here on, plain text.\n"
        b"From b@example.com Mon Dec  7 03:01:00 +0000 2026\nFrom: b@example.com\nSubject: two\n"
        b"\nbody\n\nFrom c@example.com\nFrom: c@example.com\nSubject: three\n\nbody\n"
    )
    messages = list(iter_messages([str(path)]))
    assert [label for label, _ in messages] == [f"{path}#{n}" for n in (1, 2, 3)]
    assert b"From here on, plain text." in messages[0][1]
    subjects = [analyze(content).data["summary"]["subject"] for _, content in messages]
    assert subjects == ["one", "two", "three"]


# ------------------------------------------------ RFC 2047 charsets that mail programs write


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("=?x-sjis?B?k/qWe4zq?=", "日本語"),
        ("=?x-euc-jp?B?xvzL3Ljs?=", "日本語"),
        ("=?x-windows-949?B?x9Gx2w==?=", "한글"),
        ("=?windows-874?Q?=A1?=", "ก"),
        ("=?x-mac-roman?Q?caf=8E?=", "café"),
        # RFC 2047 §8's Hebrew comment, labelled for logical order (RFC 1556)
        ("=?iso-8859-8-i?b?7eXs+SDv4SDp7Oj08A==?=", "םולש ןב ילטפנ"),
    ],
)
def test_charset_names_python_does_not_know_decode(encoded: str, decoded: str) -> None:
    assert decode_rfc2047(encoded) == decoded


def test_an_unknown_charset_is_read_as_utf8_and_reported() -> None:
    report = analyze(f"{_FROM}Subject: =?x-unknown?Q?caf=C3=A9_=E9?=\n")
    assert report.data["summary"]["subject"] == "café \ufffd"
    malformed = next(f for f in report.findings if f.code == "malformed-header")
    assert malformed.evidence == (
        "Subject: encoded word with malformed charset 'x-unknown' decoded as utf-8",
    )


def test_the_bulk_table_names_a_missing_verdict_without_none() -> None:
    summary = BulkSummary()
    for item in [("a.eml", f"{_FROM}Subject: nothing checked\n")]:
        summary.add(analyze_line(item)[1])
    table = summary.table()
    assert _NONE_WORD.search(table) is None
    assert "  (no result)                   1" in table


def test_the_html_summary_lists_addresses_as_text() -> None:
    report = analyze(f"{_FROM}To: b@example.org, c@example.org\n")
    summary = report.to_html().split("<h3>Summary</h3>", 1)[1]
    assert "<th>to</th><td>b@example.org, c@example.org</td>" in summary
    assert "<th>cc</th><td>—</td>" in summary
    assert "[" not in summary


# ------------------------------------------------- one domain in two spellings (RFC 5890)


def test_an_internationalized_from_domain_aligns_with_its_a_label() -> None:
    report = analyze(
        "From: a@bücher.example\nAuthentication-Results: mx.example.org;"
        " spf=pass smtp.mailfrom=mail.xn--bcher-kva.example;"
        " dkim=pass header.d=xn--bcher-kva.example; dmarc=pass header.from=bücher.example\n"
    )
    alignment = report.data["authentication"]["alignment"]
    assert (alignment["spf_aligned"], alignment["spf_aligned_strict"]) == (True, False)
    assert (alignment["dkim_aligned"], alignment["dkim_aligned_strict"]) == (True, True)
    assert "not-aligned" not in [f.code for f in report.findings]
