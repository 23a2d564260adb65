"""DKIM key records and verification of whole messages, keys served by the test DNS server."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from o365diag.dns.dkim_keys import parse_key_record
from o365diag.dns.dkim_verify import verify_message
from o365diag.dns.resolver import Resolver
from o365diag.findings import Report, Severity
from tests.dns_zones import DOMAIN, dkim_record, private_pem, ready_zone
from tests.dnsserver import DnsTestServer

MESSAGE = (
    b"From: Scanner <scanner@contoso.test>\r\n"
    b"To: bob@contoso.test\r\n"
    b"Subject: Scan 42\r\n"
    b"Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n"
    b"Message-ID: <scan42@contoso.test>\r\n"
    b"\r\n"
    b"Your scan is attached.\r\n"
)


def sign(message: bytes, selector: bytes = b"selector1", domain: bytes = DOMAIN.encode()) -> bytes:
    headers = [b"from", b"to", b"subject", b"date"]
    return dkim.sign(message, selector, domain, private_pem(), include_headers=headers) + message


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    zone = ready_zone().never_answer("slow._domainkey.contoso.test")
    with DnsTestServer(zone) as running:
        yield running


async def verify(server: DnsTestServer, raw: bytes) -> Report:
    return await verify_message(raw, Resolver(server.address, timeout=0.3))


async def test_intact_message_passes_with_key_size_and_alignment(server: DnsTestServer) -> None:
    report = await verify(server, sign(MESSAGE))
    assert report.codes() == ["dkim.signature-pass"]
    (sig,) = report.data["signatures"]
    assert (sig["domain"], sig["selector"], sig["key_bits"], sig["aligned"]) == (
        DOMAIN,
        "selector1",
        2048,
        True,
    )
    assert report.schema == "o365diag.dkim/1"


async def test_disclaimer_added_after_signing_is_a_body_hash_failure(server: DnsTestServer) -> None:
    signed = sign(MESSAGE)
    changed = signed + b"-- \r\nThis message was sent from outside the organization.\r\n"
    report = await verify(server, changed)
    (found,) = report.findings
    assert found.code == "dkim.body-hash-mismatch" and found.severity is Severity.ERROR
    assert "transport rule" in found.detail and "disclaimer" in found.detail
    assert report.data["signatures"][0]["kind"] == "body-hash"


async def test_changed_subject_is_a_header_signature_failure(server: DnsTestServer) -> None:
    changed = sign(MESSAGE).replace(b"Subject: Scan 42", b"Subject: [EXTERNAL] Scan 42")
    report = await verify(server, changed)
    assert report.codes() == ["dkim.signature-fail"]
    assert "signed header" in report.findings[0].detail


async def test_each_signature_is_judged_on_its_own(server: DnsTestServer) -> None:
    once = sign(MESSAGE)
    twice = sign(once, selector=b"retired")  # a second signer whose key is gone
    report = await verify(server, twice)
    assert report.codes() == ["dkim.signature-key-missing", "dkim.signature-pass"]
    assert [s["index"] for s in report.data["signatures"]] == [1, 2]
    assert "retired._domainkey.contoso.test" in report.findings[0].title


async def test_key_lookup_timeout_is_a_temperror_not_a_fail(server: DnsTestServer) -> None:
    report = await verify(server, sign(MESSAGE, selector=b"slow"))
    assert report.codes() == ["dkim.signature-temperror"]
    assert report.data["signatures"][0]["result"] == "temperror"


async def test_unsigned_and_unreadable_messages(server: DnsTestServer) -> None:
    assert (await verify(server, MESSAGE)).codes() == ["dkim.no-signature"]
    garbage = await verify(server, b"\x00\xff not a message")
    assert garbage.codes() == ["dkim.message-unreadable"]


async def test_broken_arc_set_is_reported(server: DnsTestServer) -> None:
    seal = b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=contoso.test; s=selector1; b=AAAA\r\n"
    report = await verify(server, seal + sign(MESSAGE))
    assert report.codes() == ["dkim.signature-pass", "dkim.arc-fail"]
    assert report.data["arc"]["result"] == "fail"


def test_key_records_of_every_form() -> None:
    assert parse_key_record(dkim_record(2048))[1:] == ("rsa", 2048, "")
    pkcs1 = (
        serialization.load_pem_private_key(private_pem(), None)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    )
    assert parse_key_record("p=" + base64.b64encode(pkcs1).decode())[2] == 2048
    raw = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    assert parse_key_record("v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode())[1:3] == (
        "ed25519",
        256,
    )
    assert parse_key_record("v=DKIM1; p=")[2:] == (None, "")
    assert "not valid base64" in parse_key_record("v=DKIM1; p=***")[3]
    assert "missing" in parse_key_record("v=DKIM1; k=rsa")[3]
    assert "not DKIM1" in parse_key_record("v=DKIM2; p=")[3]


def test_cli_dkim_reads_a_file(
    server: DnsTestServer, tmp_path: Path, python: str, cli_env: dict[str, str]
) -> None:
    path = tmp_path / "scan.eml"
    path.write_bytes(sign(MESSAGE) + b"Footer added by a rule.\r\n")
    done = subprocess.run(
        [python, "-m", "o365diag", "dkim", str(path), "--nameserver", server.address],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "dkim.body-hash-mismatch" in done.stdout
