"""Redaction: secrets always go; names and addresses become consistent placeholders."""

from __future__ import annotations

import json

import pytest

from o365diag.headers import analyze
from o365diag.redact import REMOVED, Redactor, is_secret_key, redact, remove_secrets
from tests.conftest import SAMPLES


def _text(value: str) -> str:
    return Redactor().text(value)


# -- names and addresses -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("scanner@example.com", "user-1@domain-1.example"),
        ("Scanner <SCANNER@Example.COM>", "Scanner <user-1@domain-1.example>"),
        ("a+tag@mail.example.co.uk", "user-1@host-1.domain-1.example"),
        ("smtp.mailfrom=scanner@example.com;", "smtp.mailfrom=user-1@domain-1.example;"),
        ("header.from=example.com;compauth=fail", "header.from=domain-1.example;compauth=fail"),
        ("(scanner.example.com)", "(host-1.domain-1.example)"),
        ("ends with example.com.", "ends with domain-1.example."),
        ("intranet host printer.corp.local", "intranet host host-1.domain-1.example"),
        ("xn--bcher-kva.example", "domain-1.example"),
        ("https://portal.example.com/page?a=1", "https://host-1.domain-1.example/page?a=1"),
        ("mailto:Info@Example.org", "mailto:user-1@domain-1.example"),
    ],
)
def test_addresses_and_domains_become_placeholders(given: str, expected: str) -> None:
    assert _text(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sender IP is 203.0.113.25)", "sender IP is ipv4-1)"),
        ("[203.0.113.25]:25", "[ipv4-1]:25"),
        ("CIP:203.0.113.25;CTRY:US", "CIP:ipv4-1;CTRY:US"),
        ("[IPv6:2001:db8::5]", "[IPv6:ipv6-1]"),
        ("2001:DB8:0:0::5 and 2001:db8::5", "ipv6-1 and ipv6-1"),
        ("fe80::1%eth0", "ipv6-1"),
        # An IPv4-mapped IPv6 address is the same host as the IPv4 address.
        ("::ffff:192.0.2.1 = 192.0.2.1", "ipv4-1 = ipv4-1"),
        ("loopback 127.0.0.1 and ::1 stay", "loopback 127.0.0.1 and ::1 stay"),
    ],
)
def test_ip_addresses(given: str, expected: str) -> None:
    assert _text(given) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "id 15.20.7409.31 via Frontend Transport",  # an Exchange build number, not an IP
        "1.2.3.4.5",
        "Mon, 23 Nov 2026 10:01:10 +0000",
        "00:1a:2b:3c:4d:5e",
        "2026-11-23T10:01:10Z",
        "notes.md run.py report.html message.eml o365diag.headers e.g. i.e. v1.2.3",
        "SFV:SPM;CAT:SPOOF;SFS:(13230040)(43540500003);DIR:INB;",
        "Set the EHLO name to the FQDN of the device.",
        "SMTP AUTH is disabled for this mailbox",
        "compauth=fail reason=601 smtp.mailfrom header.d=none",
    ],
)
def test_ordinary_text_is_left_alone(kept: str) -> None:
    assert _text(kept) == kept


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("BN1NAM02FT046.mail.protection.outlook.com", "BN1NAM02FT046.mail.protection.outlook.com"),
        ("SA9P221CA0024.NAMP221.PROD.OUTLOOK.COM", "SA9P221CA0024.NAMP221.PROD.OUTLOOK.COM"),
        ("smtp.office365.com:587", "smtp.office365.com:587"),
        ("https://aka.ms/smtp_auth_disabled", "https://aka.ms/smtp_auth_disabled"),
        (
            "https://learn.microsoft.com/en-us/exchange",
            "https://learn.microsoft.com/en-us/exchange",
        ),
        ("mx.microsoft.com 1", "mx.microsoft.com 1"),
        ("spf.protection.outlook.com", "spf.protection.outlook.com"),
        # The customer's MX endpoint names the customer: that label goes.
        ("example-com.mail.protection.outlook.com", "tenant-1.mail.protection.outlook.com"),
        ("contoso-com.o-v1.mx.microsoft", "tenant-1.o-v1.mx.microsoft"),
        ("contoso.onmicrosoft.com", "tenant-1.onmicrosoft.com"),
        ("contoso.mail.onmicrosoft.com", "tenant-1.mail.onmicrosoft.com"),
        (
            "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
            "tenant-1._domainkey.tenant-2.onmicrosoft.com",
        ),
        # Look-alikes are not Microsoft's.
        ("evil-outlook.com", "domain-1.example"),
        ("outlook.com.evil.example", "host-1.domain-1.example"),
        # A blocklist query name carries the IP, reversed.
        ("25.113.0.203.zen.spamhaus.org", "ipv4-1.zen.spamhaus.org"),
        (
            "see https://www.rfc-editor.org/rfc/rfc7208",
            "see https://www.rfc-editor.org/rfc/rfc7208",
        ),
    ],
)
def test_microsoft_and_public_names_stay_but_not_the_tenant(given: str, expected: str) -> None:
    assert _text(given) == expected


def test_dns_protocol_labels_stay_visible() -> None:
    redactor = Redactor()
    assert redactor.text("_dmarc.example.com") == "_dmarc.domain-1.example"
    assert redactor.text("_mta-sts.example.com") == "_mta-sts.domain-1.example"
    assert redactor.text("selector1._domainkey.example.com") == (
        "host-1._domainkey.domain-1.example"
    )


def test_guids_are_consistent_and_case_insensitive() -> None:
    text = "tenant 72f988bf-86f1-41af-91ab-2d7cd011db47, again 72F988BF-86F1-41AF-91AB-2D7CD011DB47"
    assert _text(text) == "tenant guid-1, again guid-1"


def test_same_input_same_placeholder_across_one_report() -> None:
    redactor = Redactor()
    first = redactor.data({"a": "scanner@example.com", "ip": "203.0.113.5"})
    second = redactor.data(["relay.example.com sent for EXAMPLE.COM from 203.0.113.5"])
    assert first == {"a": "user-1@domain-1.example", "ip": "ipv4-1"}
    assert second == ["host-1.domain-1.example sent for domain-1.example from ipv4-1"]
    # A fresh redactor starts its numbering again: placeholders are per report.
    assert Redactor().text("other.example.net") == "host-1.domain-1.example"


def test_different_inputs_get_different_placeholders() -> None:
    redactor = Redactor()
    out = redactor.text("a@example.com b@example.com a@example.org 192.0.2.1 192.0.2.2")
    assert out == "user-1@domain-1.example user-2@domain-1.example user-1@domain-2.example " + (
        "ipv4-1 ipv4-2"
    )


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact({"x": "scanner.example.com 203.0.113.5 a@example.com contoso.onmicrosoft.com"})
    assert redact(once) == once


def test_one_label_host_names_are_learned_from_host_keys() -> None:
    data = {
        "summary": {"subject": "Scanned document from MFP-3RDFLOOR"},
        "hops": [{"from": "MFP-3RDFLOOR", "by": "BN1NAM02FT046", "raw": "from MFP-3RDFLOOR (x)"}],
        "antispam": {"h": "mfp-3rdfloor"},
    }
    out = redact(data)
    assert out["summary"]["subject"] == "Scanned document from host-1"
    assert out["hops"][0] == {"from": "host-1", "by": "BN1NAM02FT046", "raw": "from host-1 (x)"}
    assert out["antispam"]["h"] == "host-1"


def test_helo_names_in_transcripts_and_received() -> None:
    redactor = Redactor()
    text = "EHLO SCANNER01\n[  0.012]  -> HELO printer-2\nReceived: from x (helo=SCANNER01)"
    assert (
        redactor.text(text)
        == "EHLO host-1\n[  0.012]  -> HELO host-2\nReceived: from x (helo=host-1)"
    )


def test_keys_are_redacted_too_and_structural_values_are_not() -> None:
    data = {
        "schema": "o365diag.dns/1",
        "203.0.113.9": {"listed": True},
        "findings": [
            {
                "code": "spf-fail",
                "severity": "error",
                "title": "SPF failed for example.com",
                "references": ["https://datatracker.example.org/doc/rfc7208"],
            }
        ],
    }
    out = redact(data)
    assert out["schema"] == "o365diag.dns/1"
    assert out["ipv4-1"] == {"listed": True}
    assert out["findings"][0]["code"] == "spf-fail"
    assert out["findings"][0]["title"] == "SPF failed for domain-1.example"
    assert out["findings"][0]["references"] == ["https://datatracker.example.org/doc/rfc7208"]


def test_mapping_tells_the_sender_what_each_placeholder_is() -> None:
    redactor = Redactor()
    redactor.text("scanner@example.com from 203.0.113.5")
    assert redactor.mapping() == {
        "user": {"scanner": "user-1"},
        "domain": {"example.com": "domain-1.example"},
        "ipv4": {"203.0.113.5": "ipv4-1"},
    }


def test_a_real_sample_keeps_no_customer_name() -> None:
    report = analyze((SAMPLES / "02-direct-send-scanner-not-in-spf.txt").read_bytes())
    text = json.dumps(redact(report.to_dict()))
    for private in ("contoso", "MFP-3RDFLOOR", "198.51.100.77", "kim.nguyen", "18673f3c"):
        assert private.lower() not in text.lower()
    # Microsoft's servers and the verdict are still there for the support engineer.
    assert "SN1PEPF0002BA4F.mail.protection.outlook.com" in text
    assert '"reason": "601"' in text


# -- secrets ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "smtp_password",
        "client_secret",
        "ClientSecret",
        "access-token",
        "Authorization",
        "api_key",
        "apiKey",
        "credentials",
        "pwd",
        "Cookie",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["auth_as", "auth_mechanism", "authentication", "passed", "spf"])
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_secret_values_go_even_without_redaction() -> None:
    data = {
        "target": {"host": "smtp.example.com", "password": "hunter2", "username": "a@example.com"},
        "settings": [{"name": "x", "client_secret": {"nested": "s3cret"}}],
        "token": None,
    }
    out = remove_secrets(data)
    assert out == {
        "target": {"host": "smtp.example.com", "password": REMOVED, "username": "a@example.com"},
        "settings": [{"name": "x", "client_secret": REMOVED}],
        "token": None,
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("AUTH PLAIN AHVzZXIAcGFzcw==", f"AUTH PLAIN {REMOVED}"),
        ("[  0.120]  -> AUTH XOAUTH2 dXNlcj1h", f"[  0.120]  -> AUTH XOAUTH2 {REMOVED}"),
        ("auth login dXNlcg==", f"auth login {REMOVED}"),
        ("AUTH LOGIN", "AUTH LOGIN"),
        ("250-AUTH LOGIN PLAIN XOAUTH2", "250-AUTH LOGIN PLAIN XOAUTH2"),
        ("Authorization: Bearer abc.def-123", f"Authorization: {REMOVED}"),
        ("Basic dXNlcjpwYXNz", f"Basic {REMOVED}"),
        ("basic authentication is turned off", "basic authentication is turned off"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature", f"token {REMOVED}"),
        ("password=hunter2; user=a", f"password={REMOVED}; user=a"),
        ('{"password": "hunter2"}', f'{{"password": {REMOVED}}}'),
        ("smtp://me:pa55@relay.test:25", f"smtp://me:{REMOVED}@relay.test:25"),
        ("https://x.example/c?sv=1&sig=abc%2Bdef", f"https://x.example/c?sv=1&sig={REMOVED}"),
    ],
)
def test_secrets_in_text(given: str, expected: str) -> None:
    assert Redactor(anonymize=False).text(given) == expected


def test_answers_to_334_challenges_are_removed_from_a_transcript_list() -> None:
    transcript = [
        {"dir": "send", "line": "AUTH LOGIN"},
        {"dir": "recv", "line": "334 VXNlcm5hbWU6"},
        {"dir": "send", "line": "c2Nhbm5lckBleGFtcGxlLmNvbQ=="},
        {"dir": "recv", "line": "334 UGFzc3dvcmQ6"},
        {"dir": "send", "line": "aHVudGVyMg=="},
        {"dir": "recv", "line": "235 2.7.0 Authentication successful"},
        {"dir": "send", "line": "MAIL FROM:<scanner@example.com>"},
    ]
    lines = [entry["line"] for entry in remove_secrets({"transcript": transcript})["transcript"]]
    assert lines == [
        "AUTH LOGIN",
        "334 VXNlcm5hbWU6",
        REMOVED,
        "334 UGFzc3dvcmQ6",
        REMOVED,
        "235 2.7.0 Authentication successful",
        "MAIL FROM:<scanner@example.com>",
    ]


def test_answers_to_334_challenges_are_removed_from_text() -> None:
    text = "<- 334 VXNlcm5hbWU6\n -> c2Nhbm5lcg==\n<- 334 UGFzc3dvcmQ6\n -> aHVudGVyMg==\n<- 235 ok"
    assert Redactor(anonymize=False).text(text) == (
        f"<- 334 VXNlcm5hbWU6\n -> {REMOVED}\n<- 334 UGFzc3dvcmQ6\n -> {REMOVED}\n<- 235 ok"
    )


def test_known_secret_values_are_removed_wherever_they_are() -> None:
    redactor = Redactor(anonymize=False, secrets=["Tr0ub4dor&3", ""])
    out = redactor.data({"note": "user typed Tr0ub4dor&3 in the subject", "list": ["Tr0ub4dor&3"]})
    assert out == {"note": f"user typed {REMOVED} in the subject", "list": [REMOVED]}


def test_secrets_go_from_structural_fields_too() -> None:
    out = remove_secrets({"references": ["https://x.example/?token=abc"], "code": "password=x"})
    assert out == {
        "references": [f"https://x.example/?token={REMOVED}"],
        "code": f"password={REMOVED}",
    }


def test_non_string_values_pass_through() -> None:
    data = {"n": 3, "f": 1.5, "b": True, "none": None, "t": (1, "192.0.2.1")}
    assert redact(data) == {"n": 3, "f": 1.5, "b": True, "none": None, "t": [1, "ipv4-1"]}
