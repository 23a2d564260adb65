"""Received-chain parser: real-world header shapes, the date matrix, chains, hostile input."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime

import pytest

from o365diag.headers.received import Chain, Hop, build_chain, parse_date, parse_received

# --------------------------------------------------------------------------- realistic lines
# Shapes follow headers.md F16 / §6; names and addresses are documentation ones, except
# Microsoft's own host names.

EOP_FRONTEND = (
    "from mail.example.com (192.0.2.25) by BN1NAM02FT046.mail.protection.outlook.com "
    "(198.51.100.181) with Microsoft SMTP Server id 15.20.6631.47 via Frontend Transport; "
    "Tue, 9 Jan 2024 10:15:02 +0000"
)
EOP_TO_MAILBOX = (
    "from BN1NAM02FT046.eop-nam02.prod.protection.outlook.com (2001:db8:408:f8:cafe::7a) by "
    "BN9PR03CA0223.outlook.office365.com (2001:db8:408:13f::12) with Microsoft SMTP Server "
    "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7409.31 via "
    "Frontend Transport; Tue, 9 Jan 2024 10:15:03 +0000"
)
MAILBOX_HTTPS = (
    "from DM4PR19MB5929.namprd19.prod.outlook.com (::1) by "
    "MN0PR19MB6312.namprd19.prod.outlook.com with HTTPS; Tue, 9 Jan 2024 10:15:04 +0000"
)
MAPI_SUBMISSION = (
    "from DM6PR19MB1234.namprd19.prod.outlook.com ([fe80::a628:c5d0:6780:738d]) by "
    "DM6PR19MB1234.namprd19.prod.outlook.com ([fe80::a628:c5d0:6780:738d%6]) with mapi id "
    "15.20.7409.031; Tue, 9 Jan 2024 10:14:58 +0000"
)
EXO_OUTBOUND = (
    "from AM0PR02MB1234.eurprd02.prod.outlook.com (2001:db8:1234:5::1a) by "
    "mail-am6eur05on2071.outbound.protection.outlook.com (2001:db8:f403:7e1a::71) with "
    "Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7270.10; "
    "Tue, 9 Jan 2024 10:16:11 +0000"
)
SMTP_AUTH_DEVICE = (
    "from SCANNER-3F (192.0.2.50) by DM6PR07CA0101.outlook.office365.com "
    "(2001:db8:5:3e4::1c) with Microsoft SMTP Server (version=TLS1_2, "
    "cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7181.19 via Frontend Transport; "
    "Tue, 9 Jan 2024 10:14:40 +0000"
)
POSTFIX_TLS = (
    "from mail.example.org (mail.example.org [192.0.2.10]) (using TLSv1.3 with cipher "
    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS "
    "(2048 bits) server-digest SHA256) (No client certificate requested) by mx.example.net "
    "(Postfix) with ESMTPS id 4TF2Yw3kZ9z9sWk for <user@example.net>; "
    "Tue,  9 Jan 2024 11:14:31 +0100 (CET)"
)
POSTFIX_LOCAL = (
    "by mail.example.org (Postfix, from userid 1001) id 8C1A22C0F4; "
    "Tue,  9 Jan 2024 11:14:30 +0100 (CET)"
)
POSTFIX_IPV6 = (
    "from relay.example.org (unknown [IPv6:2001:db8::25]) by mx.example.net (Postfix) "
    "with ESMTP id 4TF2Z01yQpz9sWm for <user@example.net>; Tue, 9 Jan 2024 10:20:00 +0000"
)
EXIM_TLS = (
    "from mail.example.org ([192.0.2.10] helo=mail.example.org) by mx.example.net with esmtps "
    "(TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <bounce@example.org>) "
    "id 1u5HDe-0000000BekC-1MPb for user@example.net; Tue, 09 Jan 2024 10:14:31 +0000"
)
EXIM_LOCAL = (
    "from alice by mail.example.org with local (Exim 4.96) (envelope-from <alice@example.org>) "
    "id 1rN3aB-000Fq9-2K for bob@example.net; Tue, 09 Jan 2024 10:14:29 +0000"
)
GMAIL_MX = (
    "from mail-sor-f41.google.example (mail-sor-f41.google.example. [198.51.100.41]) by "
    "mx.google.example with ESMTPS id d75a77b69052e-4c1f9a0sor1123.211.2023.12.14.06.48.20 "
    "for <user@example.com> (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); "
    "Thu, 14 Dec 2023 06:48:20 -0800 (PST)"
)
GMAIL_SUBMISSION = (
    "from [192.0.2.77] ([203.0.113.5]) by smtp.google.example with SMTPS id "
    "x12-20020a170906b08c00b00a2a5d3c1b1fsm123456ejy.45.2023.12.14.06.48.19 for "
    "<user@example.com> (Google Transport Security); Thu, 14 Dec 2023 06:48:19 -0800 (PST)"
)
GOOGLE_INTERNAL = (
    "by 2001:db8:6a10:9e8c:b0:4c1:3d2:18b with SMTP id f12csp1234567pxw; "
    "Thu, 14 Dec 2023 06:48:21 -0800 (PST)"
)
SENDGRID_NO_SEMICOLON = (
    "by filter0023p1las1.sendgrid.example with SMTP id filter0023p1las1-9426-5AB8F5B8-1A "
    "2018-03-26 13:35:36.270951634 +0000 UTC m=+555016.724468750"
)
SENDGRID_WEEKDAY_NO_SEMICOLON = (
    "from out-23.smtp.example.org (out-23.smtp.example.org [192.0.2.206]) by "
    "ismtpd0004p1iad1.sendgrid.example (SG) with ESMTP id Bb9kLXrcT_Ka1_zOOOL0zQ for "
    "<user@example.com> Mon, 26 Mar 2018 13:35:36.034 +0000 (UTC)"
)
QMAIL_LOCAL = "(qmail 10876 invoked from network); 20 Apr 2018 23:01:03 -0000"
QMAIL_NETWORK = (
    "from unknown (HELO 198.51.100.7) (192.0.2.44) by mx.example.net with SMTP; "
    "20 Apr 2018 23:01:04 -0000"
)

REAL_SAMPLES = [
    EOP_FRONTEND, EOP_TO_MAILBOX, MAILBOX_HTTPS, MAPI_SUBMISSION, EXO_OUTBOUND, SMTP_AUTH_DEVICE,
    POSTFIX_TLS, POSTFIX_LOCAL, POSTFIX_IPV6, EXIM_TLS, EXIM_LOCAL, GMAIL_MX, GMAIL_SUBMISSION,
    GOOGLE_INTERNAL, SENDGRID_NO_SEMICOLON, SENDGRID_WEEKDAY_NO_SEMICOLON, QMAIL_LOCAL,
    QMAIL_NETWORK,
]  # fmt: skip


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- Exchange Online


def test_eop_frontend_hop() -> None:
    hop = parse_received(EOP_FRONTEND)
    assert hop.from_host == "mail.example.com"
    assert hop.from_ip == "192.0.2.25"
    assert hop.by_host == "BN1NAM02FT046.mail.protection.outlook.com"
    assert hop.by_ip == "198.51.100.181"
    assert hop.with_ == "Microsoft SMTP Server"
    assert hop.id == "15.20.6631.47"
    assert hop.via == "Frontend Transport"
    assert hop.tls is None
    assert hop.timestamp == utc("2024-01-09T10:15:02")
    assert hop.index == 0 and hop.delay_seconds is None and hop.problems == ()


def test_eop_to_mailbox_hop_with_tls_version_and_ipv6() -> None:
    hop = parse_received(EOP_TO_MAILBOX)
    assert hop.from_ip == "2001:db8:408:f8:cafe::7a"
    assert hop.by_ip == "2001:db8:408:13f::12"
    assert hop.with_ == "Microsoft SMTP Server"
    assert hop.id == "15.20.7409.31"
    assert hop.tls == "TLSv1.2"
    assert hop.via == "Frontend Transport"


def test_mailbox_delivery_with_https_implies_tls() -> None:
    hop = parse_received(MAILBOX_HTTPS)
    assert hop.from_ip == "::1"
    assert hop.by_host == "MN0PR19MB6312.namprd19.prod.outlook.com"
    assert hop.by_ip is None
    assert hop.with_ == "HTTPS"
    assert hop.tls == "yes"


def test_mapi_submission_strips_ipv6_zone_id() -> None:
    hop = parse_received(MAPI_SUBMISSION)
    assert hop.from_ip == "fe80::a628:c5d0:6780:738d"
    assert hop.by_ip == "fe80::a628:c5d0:6780:738d"
    assert hop.with_ == "mapi"
    assert hop.id == "15.20.7409.031"
    assert hop.tls is None


def test_outbound_protection_hop_tls13_ipv6() -> None:
    hop = parse_received(EXO_OUTBOUND)
    assert hop.by_host == "mail-am6eur05on2071.outbound.protection.outlook.com"
    assert hop.by_ip == "2001:db8:f403:7e1a::71"
    assert hop.from_ip == "2001:db8:1234:5::1a"
    assert hop.tls == "TLSv1.3"
    assert hop.id == "15.20.7270.10"


def test_smtp_auth_device_submission() -> None:
    hop = parse_received(SMTP_AUTH_DEVICE)
    assert (hop.from_host, hop.from_ip) == ("SCANNER-3F", "192.0.2.50")
    assert hop.tls == "TLSv1.2"
    assert hop.id == "15.20.7181.19"


# --------------------------------------------------------------------------- other MTAs


def test_postfix_tls_comment_with_nested_parentheses() -> None:
    hop = parse_received(POSTFIX_TLS)
    assert hop.from_host == "mail.example.org"
    assert hop.from_ip == "192.0.2.10"
    assert hop.by_host == "mx.example.net"
    # 'with cipher' inside the comment must not become the protocol
    assert hop.with_ == "ESMTPS"
    assert hop.tls == "TLSv1.3"
    assert hop.id == "4TF2Yw3kZ9z9sWk"
    assert hop.for_ == "user@example.net"
    assert hop.timestamp == utc("2024-01-09T10:14:31")
    assert hop.date_text == "Tue, 9 Jan 2024 11:14:31 +0100 (CET)"
    assert hop.problems == ()


def test_postfix_local_pickup_from_userid_is_not_a_from_part() -> None:
    hop = parse_received(POSTFIX_LOCAL)
    assert hop.from_host is None and hop.from_ip is None
    assert hop.by_host == "mail.example.org"
    assert hop.id == "8C1A22C0F4"
    assert hop.problems == ()


def test_postfix_ipv6_literal_in_comment() -> None:
    hop = parse_received(POSTFIX_IPV6)
    assert hop.from_ip == "2001:db8::25"
    assert hop.with_ == "ESMTP"
    assert hop.tls is None


def test_exim_tls_and_envelope_from_comment() -> None:
    hop = parse_received(EXIM_TLS)
    assert hop.from_ip == "192.0.2.10"
    assert hop.with_ == "esmtps"
    assert hop.tls == "TLSv1.3"
    assert hop.id == "1u5HDe-0000000BekC-1MPb"
    assert hop.for_ == "user@example.net"
    assert hop.problems == ()


def test_exim_local_delivery() -> None:
    hop = parse_received(EXIM_LOCAL)
    assert (hop.from_host, hop.from_ip) == ("alice", None)
    assert hop.with_ == "local"
    assert hop.for_ == "bob@example.net"
    assert hop.tls is None


def test_gmail_mx_hop() -> None:
    hop = parse_received(GMAIL_MX)
    assert hop.from_host == "mail-sor-f41.google.example"
    assert hop.from_ip == "198.51.100.41"
    assert hop.by_host == "mx.google.example"
    assert hop.with_ == "ESMTPS"
    assert hop.id == "d75a77b69052e-4c1f9a0sor1123.211.2023.12.14.06.48.20"
    assert hop.for_ == "user@example.com"
    assert hop.tls == "TLSv1.3"
    assert hop.timestamp == utc("2023-12-14T14:48:20")


def test_gmail_submission_prefers_tcp_info_ip_over_helo_literal() -> None:
    hop = parse_received(GMAIL_SUBMISSION)
    assert hop.from_host == "[192.0.2.77]"
    assert hop.from_ip == "203.0.113.5"
    assert hop.with_ == "SMTPS"
    assert hop.tls == "yes"


def test_google_internal_hop_with_ipv6_by_host() -> None:
    hop = parse_received(GOOGLE_INTERNAL)
    assert hop.by_host == "2001:db8:6a10:9e8c:b0:4c1:3d2:18b"
    assert hop.by_ip == "2001:db8:6a10:9e8c:b0:4c1:3d2:18b"
    assert hop.id == "f12csp1234567pxw"


def test_sendgrid_without_semicolon_iso_date_nanoseconds_go_suffix() -> None:
    hop = parse_received(SENDGRID_NO_SEMICOLON)
    assert hop.id == "filter0023p1las1-9426-5AB8F5B8-1A"
    assert hop.with_ == "SMTP"
    assert hop.date_text == "2018-03-26 13:35:36.270951634 +0000 UTC m=+555016.724468750"
    assert hop.timestamp == utc("2018-03-26T13:35:36.270951")
    assert hop.problems == ()


def test_sendgrid_without_semicolon_weekday_date() -> None:
    hop = parse_received(SENDGRID_WEEKDAY_NO_SEMICOLON)
    assert hop.for_ == "user@example.com"
    assert hop.by_host == "ismtpd0004p1iad1.sendgrid.example"
    assert hop.timestamp == utc("2018-03-26T13:35:36.034")


def test_qmail_invoked_from_network() -> None:
    hop = parse_received(QMAIL_LOCAL)
    assert hop.from_host is None
    assert hop.timestamp == utc("2018-04-20T23:01:03")
    assert hop.problems == ("no 'by' part",)


def test_qmail_helo_ip_is_not_the_connecting_ip() -> None:
    hop = parse_received(QMAIL_NETWORK)
    assert hop.from_host == "unknown"
    assert hop.from_ip == "192.0.2.44"
    assert hop.by_host == "mx.example.net"


# --------------------------------------------------------------------------- structure


def test_keywords_inside_comments_are_ignored() -> None:
    value = (
        "from a.example (helo from b.example by c.example) by d.example "
        "(with ((nested) for x) id y) with ESMTP id Q1; Tue, 9 Jan 2024 10:00:00 +0000"
    )
    hop = parse_received(value)
    assert (hop.from_host, hop.by_host, hop.with_, hop.id, hop.for_) == (
        "a.example",
        "d.example",
        "ESMTP",
        "Q1",
        None,
    )
    assert hop.problems == ()


def test_repeated_keyword_keeps_first_and_reports() -> None:
    hop = parse_received("from a.example by me.example by you.example; Tue, 9 Jan 2024 10:00 +0000")
    assert hop.by_host == "me.example"
    assert "repeated 'by' part" in hop.problems


def test_unbalanced_parentheses_are_reported_but_fields_survive() -> None:
    hop = parse_received("from a.example (192.0.2.9 by b.example with SMTP; 9 Jan 2024 10:00 +0000")
    assert hop.by_host == "b.example"
    assert hop.from_ip == "192.0.2.9"
    assert hop.timestamp == utc("2024-01-09T10:00:00")
    assert "unbalanced parentheses" in hop.problems


def test_escaped_parenthesis_inside_comment() -> None:
    hop = parse_received(r"from a.example (odd \) by x) by b.example; 9 Jan 2024 10:00 +0000")
    assert hop.by_host == "b.example"
    assert hop.problems == ()


def test_unbracketed_and_multiple_recipients() -> None:
    assert parse_received("by b.example for a@example.com; 9 Jan 2024").for_ == "a@example.com"
    many = parse_received("by b.example for <a@example.com> <c@example.com>; 9 Jan 2024")
    assert many.for_ == "<a@example.com> <c@example.com>"


def test_trailing_semicolon_after_the_date() -> None:
    hop = parse_received("by b.example id 7; Tue, 9 Jan 2024 10:00:00 +0000;")
    assert hop.id == "7"
    assert hop.timestamp == utc("2024-01-09T10:00:00")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "empty Received header"),
        ("   ", "empty Received header"),
        ("from a.example by b.example with SMTP", "no date"),
        ("by b.example; ", "no date"),
        ("by b.example; yesterday around noon", "unparseable date: yesterday around noon"),
        (
            "by b.example; 31 Feb 2024 10:00:00 +0000",
            "unparseable date: 31 Feb 2024 10:00:00 +0000",
        ),
        ("by b.example; Tue, 9 Jan 2024 10:00:00", "no time zone, assumed UTC"),
        ("by b.example; 22 Apr 2018", "no time of day, assumed 00:00"),
        ("from a.example; Tue, 9 Jan 2024 10:00:00 +0000", "no 'by' part"),
    ],
)
def test_problems_are_reported(value: str, problem: str) -> None:
    assert problem in parse_received(value).problems


def test_date_only_received_value_is_found_by_weekday() -> None:
    hop = parse_received("Sun, 22 Apr 2018 02:54:19 +0000")
    assert hop.timestamp == utc("2018-04-22T02:54:19")
    assert hop.by_host is None


@pytest.mark.parametrize(
    ("value", "from_ip"),
    [
        ("from [IPv6:2001:db8::1] by b.example; 9 Jan 2024", "2001:db8::1"),
        ("from a.example (192.0.2.1) by b.example; 9 Jan 2024", "192.0.2.1"),
        ("from a.example ([fe80::1%6]) by b.example; 9 Jan 2024", "fe80::1"),
        ("from a.example ([fe80::1%eth0]) by b.example; 9 Jan 2024", "fe80::1"),
        ("from a.example (::1) by b.example; 9 Jan 2024", "::1"),
        ("from a.example (::ffff:192.0.2.9) by b.example; 9 Jan 2024", "192.0.2.9"),
        ("from a.example ([192.0.2.3]:52614) by b.example; 9 Jan 2024", "192.0.2.3"),
        ("from a.example ([192.0.2.300]) by b.example; 9 Jan 2024", None),
        ("from a.example (2023.12.14.06.48.20) by b.example; 9 Jan 2024", None),
        ("from a.example (12.14.06.48) by b.example; 9 Jan 2024", None),
        ("from a.example (15.20.7409.31) by b.example; 9 Jan 2024", None),
        ("from a.example (helo=[198.51.100.2]) by b.example; 9 Jan 2024", None),
        ("from cafe.example (cafe dead beef) by b.example; 9 Jan 2024", None),
    ],
)
def test_from_ip_shapes(value: str, from_ip: str | None) -> None:
    assert parse_received(value).from_ip == from_ip


def test_dotted_dates_in_ids_and_hosts_are_never_ips() -> None:
    hop = parse_received(
        "from 2023.12.14.06.48.20 (2023.12.14.06) by 2023.12.14.06.48.21 with SMTP "
        "id 2023.12.14.06.48.20; Thu, 14 Dec 2023 06:48:20 +0000"
    )
    assert hop.from_ip is None and hop.by_ip is None


@pytest.mark.parametrize(
    ("comment", "tls"),
    [
        ("(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)", "TLSv1.2"),
        ("(version=TLS1_0, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA)", "TLSv1.0"),
        ("(using TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits))", "TLSv1.0"),
        ("(version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NO)", "TLSv1.2"),
        ("(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)", "TLSv1.2"),
        ("(using SSLv3 with cipher RC4-SHA (128/128 bits))", "SSLv3"),
        ("(cipher=TLS_AES_256_GCM_SHA384)", None),
    ],
)
def test_tls_version_from_comments(comment: str, tls: str | None) -> None:
    hop = parse_received(f"from a.example by b.example with ESMTP {comment}; 9 Jan 2024")
    assert hop.tls == tls


def test_tls_word_in_a_host_name_is_not_a_version() -> None:
    hop = parse_received("from tls1.example by TLS1.example with ESMTP; 9 Jan 2024")
    assert hop.tls is None


@pytest.mark.parametrize("protocol", ["ESMTPS", "ESMTPSA", "esmtpsa", "HTTPS", "LMTPS", "SMTPS"])
def test_tls_implied_by_protocol(protocol: str) -> None:
    assert parse_received(f"by b.example with {protocol} id 1; 9 Jan 2024").tls == "yes"


@pytest.mark.parametrize("protocol", ["ESMTP", "SMTP", "ESMTPA", "LMTP", "HTTP", "mapi"])
def test_no_tls_claim_for_plain_protocols(protocol: str) -> None:
    assert parse_received(f"by b.example with {protocol} id 1; 9 Jan 2024").tls is None


# --------------------------------------------------------------------------- the date matrix


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sat, 21 Apr 2018 03:01:01 +0000", "2018-04-21T03:01:01"),
        ("Saturday, 21 Apr 2018 03:01:01 +0000", "2018-04-21T03:01:01"),
        ("21 Apr 2018 03:01:02 +0000", "2018-04-21T03:01:02"),
        ("Apr 21 2018 03:01:04 +0000", "2018-04-21T03:01:04"),
        ("Sat, 21 Apr 2018 3:01:05 +0000", "2018-04-21T03:01:05"),
        ("4/20/2018 23:01:06 -0400 (EDT)", "2018-04-21T03:01:06"),
        ("4/20/2018 11:01:16 PM -0400", "2018-04-21T03:01:16"),
        ("4-20-2018 11:01:07 PM", "2018-04-20T23:01:07"),
        ("2018-4-20 11:01:08 PM", "2018-04-20T23:01:08"),
        ("4/20/2018 12:05:00 AM +0000", "2018-04-20T00:05:00"),
        ("4/20/2018 12:30:00 PM +0000", "2018-04-20T12:30:00"),
        ("20.04.2018 10:00:00 +0200", "2018-04-20T08:00:00"),
        ("Sat, 21 Apr 2018 03:01:09 +0000 (UTC)", "2018-04-21T03:01:09"),
        ("Mon, 26 Mar 2018 13:35:10.102 +0000 (UTC)", "2018-03-26T13:35:10.102"),
        ("Mon, 26 Mar 2018 13:35:11.102 +0000 UTC", "2018-03-26T13:35:11.102"),
        ("2018-03-26 13:35:36.270951634 +0000 UTC m=+555016.72", "2018-03-26T13:35:36.270951"),
        ("Tue, 9 Jan 2024 10:00:00 -0400 (envelope-from <a@example.org>)", "2024-01-09T14:00:00"),
        ("Wed,\t09 Mar 2011 10:00:00 +0000", "2011-03-09T10:00:00"),
        ("Fri,\r\n 12 Dec 2025\t16:29:29\r\n +0000", "2025-12-12T16:29:29"),
        ("Sat, 21 Apr 2018 03:01:01 - 0600", "2018-04-21T09:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 +05:30", "2018-04-20T21:31:01"),
        ("Sat, 21 Apr 2018 03:01:01 EDT", "2018-04-21T07:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 CST", "2018-04-21T09:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 PDT", "2018-04-21T10:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 MST", "2018-04-21T10:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 GMT", "2018-04-21T03:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 Z", "2018-04-21T03:01:01"),
        ("Sat, 21 Apr 2018 03:01:01 (PDT)", "2018-04-21T10:01:01"),
        ("Sat, 21 Apr 2018 03:01:01", "2018-04-21T03:01:01"),
        ("Sat, 21 Apr 18 03:01:01 +0000", "2018-04-21T03:01:01"),
        ("Thursday, 14 December 2023 06:48:20 +0000", "2023-12-14T06:48:20"),
        ("2023-12-14T06:48:20Z", "2023-12-14T06:48:20"),
        ("2023-12-14T08:48:20.5+02:00", "2023-12-14T06:48:20.5"),
        ("Sun, 31 Dec 2023 23:59:60 +0000", "2023-12-31T23:59:59"),
        ("Mon, 1 Jan 2024 00:30:00 +0530", "2023-12-31T19:00:00"),
        ("mer, 13 déc 2023 10:00:00 +0100", "2023-12-13T09:00:00"),
        ("ven., 1 févr. 2019 08:00:00 +0100", "2019-02-01T07:00:00"),
        ("Mo, 4 Mär 2024 10:00:00 +0100", "2024-03-04T09:00:00"),
        ("Di, 10 Okt 2023 10:00:00 +0200", "2023-10-10T08:00:00"),
        ("mar, 12 dic 2023 10:00:00 +0100", "2023-12-12T09:00:00"),
        ("jue ago 30 13:55:12 2007", "2007-08-30T13:55:12"),
        ("Tue, 12 Mar 2024 10:00:00 +0000", "2024-03-12T10:00:00"),
        ("mar, 12 mar 2024 10:00:00 +0100", "2024-03-12T09:00:00"),
        ("Sat Apr 21 03:01:01 2018", "2018-04-21T03:01:01"),
    ],
)
def test_date_matrix(text: str, expected: str) -> None:
    parsed = parse_date(text)
    assert parsed == utc(expected)
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "Tue, 9 Jan 2024 10:15:02 +0000",
        "9 Jan 2024 23:59:59.999999999 -1130",
        "Sun, 31 Dec 2023 23:59:60 +0000",
        "Mon, 1 Jan 2024 00:30:00 +0530 (IST)",
        "Mon, 01 Jan 2024 00:30:00 +2400",
    ],
)
def test_fast_and_general_date_paths_agree(text: str) -> None:
    # A trailing comment the fast path does not accept sends the text the general way.
    assert parse_date(text) == parse_date(text + " (envelope-from <a@example.org>)")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "garbage", "22 Apr", "Apr 2018", "31 Feb 2024 10:00:00 +0000",
     "Sat, 21 Apr 2018 25:61:00 +0000", "(Sat, 21 Apr 2018 03:01:01 +0000)",
     "Sat, 21 Apr 0000 03:01:01 +0000"],
)  # fmt: skip
def test_unparseable_dates_give_none(text: str) -> None:
    assert parse_date(text) is None


def test_date_at_the_edge_of_the_calendar_does_not_overflow() -> None:
    assert parse_date("Fri, 31 Dec 9999 23:59:59 -1200") is None
    assert parse_date("Mon, 1 Jan 0001 00:00:00 +1400") is None


def test_unknown_zone_name_is_named_in_the_problem() -> None:
    hop = parse_received("by b.example; Tue, 9 Jan 2024 10:00:00 XYZT")
    assert hop.timestamp == utc("2024-01-09T10:00:00")
    assert "no time zone, assumed UTC (XYZT not understood)" in hop.problems
    bad_offset = parse_received("by b.example; Tue, 9 Jan 2024 10:00:00 +2400")
    assert "no time zone, assumed UTC (+2400 not understood)" in bad_offset.problems


# --------------------------------------------------------------------------- chains


# A direct-send scanner's message relayed by an on-premises Postfix, queued 47 minutes there
# before EOP took it, then delivered to the mailbox (header order: newest first).
SCANNER_CHAIN = [
    "from BN9PR03CA0223.namprd03.prod.outlook.com (2001:db8:408:13f::12) by "
    "MN0PR19MB6312.namprd19.prod.outlook.com with HTTPS; Tue, 9 Jan 2024 11:02:35 +0000",
    "from BN1NAM02FT046.eop-nam02.prod.protection.outlook.com (2001:db8:408:f8:cafe::7a) by "
    "BN9PR03CA0223.outlook.office365.com (2001:db8:408:13f::12) with Microsoft SMTP Server "
    "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7409.31 via "
    "Frontend Transport; Tue, 9 Jan 2024 11:02:33 +0000",
    "from relay.example.com (203.0.113.25) by BN1NAM02FT046.mail.protection.outlook.com "
    "(198.51.100.181) with Microsoft SMTP Server id 15.20.6631.47 via Frontend Transport; "
    "Tue, 9 Jan 2024 11:02:31 +0000",
    "from scanner.example.com (scanner.example.com [192.0.2.50]) by relay.example.com "
    "(Postfix) with ESMTP id 4TF2Yw3kZ9z9sWk for <finance@example.com>; "
    "Tue,  9 Jan 2024 04:15:29 -0600 (CST)",
]


def test_chain_is_oldest_first_with_delays_and_total() -> None:
    chain = build_chain(SCANNER_CHAIN)
    assert [hop.index for hop in chain.hops] == [1, 2, 3, 4]
    assert [hop.by_host for hop in chain.hops] == [
        "relay.example.com",
        "BN1NAM02FT046.mail.protection.outlook.com",
        "BN9PR03CA0223.outlook.office365.com",
        "MN0PR19MB6312.namprd19.prod.outlook.com",
    ]
    assert [hop.delay_seconds for hop in chain.hops] == [None, 2822.0, 2.0, 2.0]
    assert chain.total_transit_seconds == 2826.0
    assert not any(hop.clock_skew for hop in chain.hops)


def test_chain_names_the_47_minute_hop_as_slowest() -> None:
    slowest = build_chain(SCANNER_CHAIN).slowest()
    assert slowest is not None
    assert slowest.by_host == "BN1NAM02FT046.mail.protection.outlook.com"
    assert slowest.from_ip == "203.0.113.25"
    assert 47 * 60 <= (slowest.delay_seconds or 0) < 48 * 60


def test_negative_delay_is_clock_skew_and_kept_out_of_the_total() -> None:
    values = [
        "by c.example; Tue, 9 Jan 2024 10:00:10 +0000",
        "by b.example; Tue, 9 Jan 2024 09:59:00 +0000",  # this server's clock is behind
        "by a.example; Tue, 9 Jan 2024 10:00:00 +0000",
    ]
    chain = build_chain(values)
    assert [hop.delay_seconds for hop in chain.hops] == [None, -60.0, 70.0]
    assert [hop.clock_skew for hop in chain.hops] == [False, True, False]
    assert chain.total_transit_seconds == 70.0


def test_whole_second_stamp_after_fractional_one_is_not_skew() -> None:
    chain = build_chain([EOP_FRONTEND.replace("10:15:02", "13:35:36").replace("2024", "2018")
                         .replace("Tue, 9 Jan", "Mon, 26 Mar"), SENDGRID_NO_SEMICOLON])  # fmt: skip
    late = chain.hops[1]
    assert late.delay_seconds is not None and -1 < late.delay_seconds < 0
    assert late.clock_skew is False
    assert chain.total_transit_seconds == 0.0


def test_undated_hop_is_skipped_when_measuring() -> None:
    values = [
        "by c.example; Tue, 9 Jan 2024 10:00:30 +0000",
        "by b.example with SMTP",
        "by a.example; Tue, 9 Jan 2024 10:00:00 +0000",
    ]
    chain = build_chain(values)
    assert [hop.delay_seconds for hop in chain.hops] == [None, None, 30.0]
    assert "no date" in chain.hops[1].problems
    assert chain.total_transit_seconds == 30.0


def test_total_is_none_with_fewer_than_two_dated_hops() -> None:
    assert build_chain([]).total_transit_seconds is None
    assert build_chain([]).slowest() is None
    one = build_chain(["by b.example with SMTP", EOP_FRONTEND])
    assert one.total_transit_seconds is None
    assert one.slowest() is None


def test_mixed_mta_chain_end_to_end() -> None:
    values = [MAILBOX_HTTPS, EOP_TO_MAILBOX, EOP_FRONTEND, POSTFIX_TLS, POSTFIX_LOCAL]
    chain = build_chain(values)
    assert [hop.delay_seconds for hop in chain.hops] == [None, 1.0, 31.0, 1.0, 1.0]
    assert chain.total_transit_seconds == 34.0
    assert [hop.tls for hop in chain.hops] == [None, "TLSv1.3", None, "TLSv1.2", "yes"]


def test_to_dict_is_the_json_contract() -> None:
    chain = build_chain(SCANNER_CHAIN)
    first = chain.hops[1].to_dict()
    assert {
        "index", "from", "from_ip", "by", "by_ip", "with", "id", "for", "tls", "timestamp",
        "delay_seconds", "clock_skew", "raw", "problems",
    } <= first.keys()  # fmt: skip
    assert first["timestamp"] == "2024-01-09T11:02:31Z"
    assert first["with"] == "Microsoft SMTP Server"
    assert first["raw"] == SCANNER_CHAIN[2]
    assert json.loads(json.dumps(chain.to_dict()))["total_transit_seconds"] == 2826.0
    undated = parse_received("by b.example").to_dict()
    assert undated["timestamp"] is None and undated["problems"] == ["no date"]


def test_hops_are_immutable() -> None:
    hop = parse_received(EOP_FRONTEND)
    with pytest.raises(AttributeError):
        hop.by_host = "x"  # type: ignore[misc]
    assert isinstance(build_chain([EOP_FRONTEND]), Chain)


# --------------------------------------------------------------------------- hostile input

TIME_BOUND_SECONDS = 5.0


def _timed(action: object) -> tuple[object, float]:
    assert callable(action)
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def test_twenty_thousand_hop_chain_is_fast() -> None:
    base = datetime(2024, 1, 9, 10, 0, tzinfo=UTC).timestamp()
    values = []
    for number in range(20_000):
        stamp = datetime.fromtimestamp(base + number, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        sample = REAL_SAMPLES[number % len(REAL_SAMPLES)]
        values.append(sample.rsplit(";", 1)[0] + "; " + stamp)
    values.reverse()  # header order: newest first
    chain, seconds = _timed(lambda: build_chain(values))
    assert isinstance(chain, Chain)
    assert len(chain.hops) == 20_000
    assert chain.total_transit_seconds == 19_999.0
    assert chain.hops[-1].index == 20_000
    assert seconds < TIME_BOUND_SECONDS, f"20,000 hops took {seconds:.2f} s"


@pytest.mark.parametrize(
    "value",
    [
        "from a.example " + "(" * 50_000 + "192.0.2.1" + ")" * 50_000
        + " by b.example with ESMTP; Tue, 9 Jan 2024 10:00:00 +0000",
        "from a.example " + "(" * 50_000
        + " by b.example with ESMTP; Tue, 9 Jan 2024 10:00:00 +0000",
        "from a.example by b.example; " + "(" * 50_000 + "Tue, 9 Jan 2024 10:00:00 +0000",
        ")" * 50_000 + " by b.example; Tue, 9 Jan 2024 10:00:00 +0000",
    ],
    ids=["balanced", "unclosed-before-by", "unclosed-in-date", "stray-closers"],
)  # fmt: skip
def test_fifty_thousand_parentheses_are_fast(value: str) -> None:
    hop, seconds = _timed(lambda: parse_received(value))
    assert isinstance(hop, Hop)
    assert hop.timestamp == utc("2024-01-09T10:00:00")
    assert seconds < TIME_BOUND_SECONDS, f"took {seconds:.2f} s"


def test_balanced_nesting_keeps_the_fields() -> None:
    value = (
        "from a.example " + "(" * 50_000 + "192.0.2.1" + ")" * 50_000 + " by b.example; 9 Jan 2024"
    )
    hop = parse_received(value)
    assert (hop.from_ip, hop.by_host, hop.problems[:1]) == (
        "192.0.2.1",
        "b.example",
        ("no time of day, assumed 00:00",),
    )


@pytest.mark.parametrize(
    "value",
    [
        "from " + "a" * 5_000_000,
        "x ;" * 1_000_000,
        "Mon " * 500_000,
        "from " + "ab " * 1_000_000,
        "from x (" + "1:2 " * 300_000 + ")",
        "by b.example; " + "9 Jan 2024 " * 300_000,
    ],
    ids=["one-word", "semicolons", "weekdays", "words", "ipv6-like", "long-date"],
)  # fmt: skip
def test_multi_megabyte_values_are_linear(value: str) -> None:
    hop, seconds = _timed(lambda: parse_received(value))
    assert isinstance(hop, Hop) and hop.problems
    assert seconds < TIME_BOUND_SECONDS, f"{len(value):,} chars took {seconds:.2f} s"


_MUTATION_ALPHABET = "();:[]<>%\\\"' \t\r\n,.-+=0123456789ZzéÄ\x00\udcff\u2028"


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 12)):
        position = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.4:
            chars.insert(position, rng.choice(_MUTATION_ALPHABET))
        elif action < 0.7 and chars:
            del chars[min(position, len(chars) - 1)]
        elif chars:
            chars[min(position, len(chars) - 1)] = chr(rng.randrange(0x20, 0x3000))
    mutated = "".join(chars)
    if rng.random() < 0.2:
        mutated = mutated[: rng.randrange(len(mutated) + 1)]
    return mutated


def test_random_mutations_of_real_samples_never_raise() -> None:
    rng = random.Random(20240109)
    seen_problems = 0
    for _ in range(600):
        value = _mutate(rng, rng.choice(REAL_SAMPLES))
        hop = parse_received(value)
        json.dumps(hop.to_dict())
        seen_problems += bool(hop.problems)
        assert hop.timestamp is None or hop.timestamp.tzinfo is UTC
    assert seen_problems > 0  # the mutations did reach the error paths


def test_random_bytes_and_chains_never_raise() -> None:
    rng = random.Random(5321)
    for _ in range(300):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        text = blob.decode("latin-1") if rng.random() < 0.5 else blob.decode("utf-8", "replace")
        parse_received(text)
        parse_date(text)
    values = [_mutate(rng, sample) for sample in REAL_SAMPLES * 20]
    chain = build_chain(values)
    assert len(chain.hops) == len(values)
    assert chain.total_transit_seconds is None or chain.total_transit_seconds >= 0


def test_non_text_input_does_not_raise() -> None:
    assert parse_received(b"by b.example; 9 Jan 2024 10:00 +0000").by_host == "b.example"  # type: ignore[arg-type]
    assert parse_received(None).problems == ("empty Received header",)  # type: ignore[arg-type]
    assert parse_date(None) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- more MTAs' shapes
# Shapes written by qmail, Sendmail, Exim, Postfix, Courier, qpsmtpd, MDaemon and Exchange, as
# SpamAssassin's Received parser meets them; each with the connecting IP and hosts it holds.


@pytest.mark.parametrize(
    ("value", "from_host", "from_ip", "by_host"),
    [
        (  # qmail, authenticated: the user name sits before the address in the comment
            "from unknown (HELO mail.example.org) (user@192.0.2.1) by mx.example.net with SMTP;"
            " 7 Dec 2026 00:00:00 -0000",
            "unknown", "192.0.2.1", "mx.example.net",
        ),
        (  # qmail with a user name that is itself an address
            "from unknown (HELO laptop) (alice@example.org@198.51.100.9) by mx.example.net "
            "with ESMTPA; 7 Dec 2026 00:00:01 -0000",
            "unknown", "198.51.100.9", "mx.example.net",
        ),
        (  # an address literal that carries the client port as a fifth number
            "from mail.example.org ([192.0.2.1.63559]) by mx.example.net with ESMTP id 4F1;"
            " Mon, 7 Dec 2026 00:00:02 +0000",
            "mail.example.org", "192.0.2.1", "mx.example.net",
        ),
        (  # the same literal as the from host itself
            "from [203.0.113.4.25] by mx.example.net with SMTP; Mon, 7 Dec 2026 00:00:03 +0000",
            "[203.0.113.4.25]", "203.0.113.4", "mx.example.net",
        ),
        (  # a comma after the by host
            "from mail.example.org (192.0.2.7) by mx.example.net, id 0B7; "
            "Mon, 7 Dec 2026 00:00:04 +0000",
            "mail.example.org", "192.0.2.7", "mx.example.net",
        ),
        (  # Sendmail with IDENT and STARTTLS details
            "from host.example.org (IDENT:root@host.example.org [192.0.2.5]) by "
            "mx.example.net (8.15.2/8.15.2) with ESMTPS id 0B7A1b2c012345 (version=TLSv1.3 "
            "cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <user@example.net>; "
            "Mon, 7 Dec 2026 01:02:03 +0100",
            "host.example.org", "192.0.2.5", "mx.example.net",
        ),
        (  # Sendmail's warning that the HELO name was not the reverse name
            "from relay.example.org ([198.51.100.20]) (may be forged) by mx.example.net "
            "(8.14.7/8.14.7) with ESMTP id 0B7; Mon, 7 Dec 2026 00:00:05 +0000",
            "relay.example.org", "198.51.100.20", "mx.example.net",
        ),
        (  # Exim, authenticated submission with the client port in the comment
            "from [192.0.2.33] (port=51234 helo=laptop.example.org) by mail.example.net with "
            "esmtpsa (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim 4.94.2) "
            "(envelope-from <a@example.org>) id 1kmWxY-0004Ab-Qr; Mon, 07 Dec 2026 00:00:06 +0000",
            "[192.0.2.33]", "192.0.2.33", "mail.example.net",
        ),
        (  # Postfix, authenticated sender
            "from laptop.example.org (unknown [192.0.2.9]) (Authenticated sender: "
            "user@example.org) by smtp.example.net (Postfix) with ESMTPSA id 4F1A2B3C4D for "
            "<x@example.com>; Mon,  7 Dec 2026 00:00:07 +0000 (UTC)",
            "laptop.example.org", "192.0.2.9", "smtp.example.net",
        ),
        (  # Courier
            "from host.example.org ([192.0.2.41]) (AUTH: LOGIN user@example.org, TLS: "
            "TLSv1/SSLv3,256bits,AES256-SHA) by mail.example.net with ESMTPSA; "
            "Mon, 07 Dec 2026 00:00:08 +0000",
            "host.example.org", "192.0.2.41", "mail.example.net",
        ),
        (  # qpsmtpd
            "from mail.example.org (HELO mail.example.org) (192.0.2.42) by mx.example.net "
            "(qpsmtpd/0.96) with ESMTP; Mon, 07 Dec 2026 00:00:09 +0000",
            "mail.example.org", "192.0.2.42", "mx.example.net",
        ),
        (  # MDaemon: the address in brackets right after the host, no comment
            "from host.example.org [192.0.2.43] by mail.example.net (MDaemon PRO v23.0.0) "
            "with ESMTP id md5000001.msg for <a@example.net>; Mon, 07 Dec 2026 00:00:10 +0000",
            "host.example.org", "192.0.2.43", "mail.example.net",
        ),
        (  # Exchange Server on premises
            "from EXCH01.corp.example.com (192.0.2.60) by EXCH02.corp.example.com "
            "(192.0.2.61) with Microsoft SMTP Server (version=TLS1_2, "
            "cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384) id 15.1.2375.31; "
            "Mon, 7 Dec 2026 09:00:00 +0100",
            "EXCH01.corp.example.com", "192.0.2.60", "EXCH02.corp.example.com",
        ),
    ],
)  # fmt: skip
def test_other_mta_shapes(value: str, from_host: str, from_ip: str, by_host: str) -> None:
    hop = parse_received(value)
    assert (hop.from_host, hop.from_ip, hop.by_host) == (from_host, from_ip, by_host)
    assert hop.timestamp is not None
    assert hop.problems == ()


def test_comma_after_host_and_phrase_is_punctuation() -> None:
    hop = parse_received(
        "from a.example.org, by mx.example.net, with ESMTP, id 0B7,; Mon, 7 Dec 2026 00:00:04 +0000"
    )
    assert (hop.from_host, hop.by_host, hop.with_, hop.id) == (
        "a.example.org",
        "mx.example.net",
        "ESMTP",
        "0B7",
    )


def test_five_numbers_outside_brackets_are_still_no_address() -> None:
    hop = parse_received(
        "from a.example (192.0.2.1.63559 x) by b.example; Mon, 7 Dec 2026 00:00:00 +0000"
    )
    assert hop.from_ip is None


def test_rfc8601_b5_sendmail_hops_with_month_before_day() -> None:
    chain = build_chain(
        [
            "from mail-router.example.com (mail-router.example.com [192.0.2.1]) by "
            "auth-checker.example.com (8.11.6/8.11.6) with ESMTP id i7PK0sH7021929; "
            "Fri, Feb 15 2002 17:19:22 -0800",
            "from dialup-1-2-3-4.example.net (dialup-1-2-3-4.example.net [192.0.2.200]) by "
            "mail-router.example.com (8.11.6/8.11.6) with ESMTPA id g1G0r1kA003489; "
            "Fri, Feb 15 2002 17:19:07 -0800",
        ]
    )
    first, second = chain.hops
    assert (first.from_ip, first.by_host, first.with_) == (
        "192.0.2.200",
        "mail-router.example.com",
        "ESMTPA",
    )
    assert second.from_ip == "192.0.2.1"
    assert first.timestamp == utc("2002-02-16T01:19:07")
    assert second.delay_seconds == 15.0


def test_build_chain_limit_keeps_the_newest_hops_and_their_numbers() -> None:
    values = [
        f"from h{n}.example by h{n + 1}.example; Mon, 7 Dec 2026 00:00:{n:02d} +0000"
        for n in reversed(range(10))
    ]
    chain = build_chain(values, limit=3)
    assert chain.skipped == 7
    assert [hop.index for hop in chain.hops] == [8, 9, 10]
    assert [hop.from_host for hop in chain.hops] == ["h7.example", "h8.example", "h9.example"]
    assert chain.total_transit_seconds == 2.0
    assert chain.to_dict()["skipped_hops"] == 7
