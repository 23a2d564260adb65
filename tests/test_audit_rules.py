"""Every audit rule fires on an export that has the problem and stays quiet on one that does not.

The shipped samples are a tenant with the problems (bad-tenant) and one without (good-tenant);
rules that need something the samples do not hold (the device's IP or certificate, an old
export) get small exports written here. Each finding must name the object and the setting,
and its fix must be a command that parses and names that object.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from o365diag.findings import Report
from o365diag.knowledge import load_table
from o365diag.setup.audit import audit_files
from tests.conftest import REPO
from tests.test_setup_powershell import parse

SAMPLES = REPO / "sample_exports"
GOOD = sorted(str(p) for p in (SAMPLES / "good-tenant").glob("*.json"))
BAD = sorted(str(p) for p in (SAMPLES / "bad-tenant").glob("*.json"))
AUDIT_CODES = [k for k in load_table("setup_findings").key_list() if k.startswith("audit.")]


def write_certificate(folder: Path, names: list[str], *, expired: bool = False) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    not_after = now - dt.timedelta(days=3) if expired else now + dt.timedelta(days=90)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{names[0]}{'-expired' if expired else ''}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def good() -> Report:
    return audit_files(GOOD)


@pytest.fixture(scope="module")
def bad() -> Report:
    return audit_files(BAD)


def test_the_bad_tenant_has_each_expected_problem(bad: Report) -> None:
    counts = Counter(bad.codes())
    assert counts == {
        "audit.smtp-auth-tenant-wide": 1,
        "audit.smtp-auth-mailbox": 1,
        "audit.inbound-no-tls": 1,
        "audit.outbound-no-tls": 1,
        "audit.connector-range-too-broad": 1,
        "audit.connector-range-broad": 1,
        "audit.connector-private-ip": 2,
        "audit.connector-not-restricted": 1,
        "audit.connector-unidentified": 1,
        "audit.connector-cert-mismatch": 1,
        "audit.treat-as-internal": 1,
        "audit.relay-ip-allow-listed": 1,
        "audit.direct-send-allowed": 1,
        "audit.basic-auth-smtp": 1,
        "audit.legacy-tls": 1,
        "audit.connector-disabled": 1,
    }


def test_the_good_tenant_is_clean(good: Report) -> None:
    assert good.codes() == ["audit.clean"]
    assert good.data["inputs"][0]["file"].endswith("AuthenticationPolicy.json")
    assert {i["kind"] for i in good.data["inputs"]} == {
        "InboundConnector",
        "OutboundConnector",
        "TransportConfig",
        "CASMailbox",
        "HostedConnectionFilterPolicy",
        "AuthenticationPolicy",
        "OrganizationConfig",
    }


# Where each rule names its object and setting in the bad tenant.
NAMED = {
    "audit.smtp-auth-tenant-wide": ("SmtpClientAuthenticationDisabled", "Transport Settings"),
    "audit.inbound-no-tls": ("RequireTls", "Printer relay"),
    "audit.outbound-no-tls": ("TlsSettings", "Everything via smarthost"),
    "audit.connector-range-too-broad": ("SenderIPAddresses", "Branch office relay"),
    "audit.connector-range-broad": ("SenderIPAddresses", "Printer relay"),
    "audit.connector-private-ip": ("SenderIPAddresses", "Branch office relay"),
    "audit.connector-not-restricted": ("RestrictDomainsToIPAddresses", "Fax service"),
    "audit.connector-unidentified": ("SenderIPAddresses", "Migration leftover"),
    "audit.connector-cert-mismatch": ("TlsSenderCertificateName", "Copier cert relay"),
    "audit.treat-as-internal": ("TreatMessagesAsInternal", "Legacy app relay"),
    "audit.relay-ip-allow-listed": ("IPAllowList", "Default"),
    "audit.direct-send-allowed": ("RejectDirectSend", "example.onmicrosoft.com"),
    "audit.basic-auth-smtp": ("AllowBasicAuthSmtp", "Allow Basic SMTP for devices"),
    "audit.legacy-tls": ("AllowLegacyTLSClients", "Transport Settings"),
    "audit.connector-disabled": ("Enabled", "Retired scanner relay"),
    "audit.smtp-auth-mailbox": ("SmtpClientAuthenticationDisabled", "scanner@example.com"),
}


@pytest.mark.parametrize("code", sorted(NAMED))
def test_each_finding_names_object_setting_and_fixing_command(bad: Report, code: str) -> None:
    setting, name = NAMED[code]
    found = next(f for f in bad.findings if f.code == code)
    assert name in f"{found.detail} {' '.join(found.evidence)}"
    assert any(setting in line for line in found.evidence)
    commands = [
        c
        for c in re.split(r"; |: | \(or |, then add the public egress IP with ", found.fix)
        if re.match(r"[A-Z][a-z]+-[A-Za-z]+", c)
    ]
    assert commands, found.fix
    for text in commands:
        text = text.rstrip(")")
        if "<" not in text:
            parse(text)
    assert any(f"'{name}'" in c or name in c for c in commands) or code.startswith(
        ("audit.direct-send", "audit.legacy-tls", "audit.smtp-auth-tenant-wide")
    )


def write(folder: Path, name: str, value: object) -> str:
    path = folder / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def test_direct_send_unknown_only_when_the_property_is_missing(tmp_path: Path) -> None:
    old = write(
        tmp_path,
        "org.json",
        {"Name": "example.onmicrosoft.com", "DefaultAuthenticationPolicy": "Block Basic Auth"},
    )
    assert "audit.direct-send-unknown" in audit_files([old]).codes()
    assert "audit.direct-send-unknown" not in audit_files(GOOD).codes()


def test_kind_missing_names_the_kinds_and_their_export_commands() -> None:
    report = audit_files([p for p in GOOD if p.endswith("InboundConnector.json")])
    found = next(f for f in report.findings if f.code == "audit.kind-missing")
    assert "TransportConfig" in found.detail and "InboundConnector" not in found.detail
    assert "Get-TransportConfig | ConvertTo-Json -Depth 5" in found.fix
    assert "audit.kind-missing" not in audit_files(GOOD).codes()


def test_device_ip_must_be_in_an_enabled_connector() -> None:
    missing = audit_files(GOOD, device_ips=["192.0.2.77"])
    found = next(f for f in missing.findings if f.code == "audit.connector-ip-mismatch")
    assert "192.0.2.77" in found.detail and "@{Add='192.0.2.77'}" in found.fix
    listed = audit_files(GOOD, device_ips=["203.0.113.25"])
    assert "audit.connector-ip-mismatch" not in listed.codes()
    # A disabled connector does not count: 192.0.2.99 is only in the retired one.
    assert "audit.connector-ip-mismatch" in audit_files(BAD, device_ips=["192.0.2.99"]).codes()


def test_device_ip_in_the_allow_list_is_flagged() -> None:
    report = audit_files(GOOD, device_ips=["198.51.100.7"])
    found = next(f for f in report.findings if f.code == "audit.relay-ip-allow-listed")
    assert "device IP 198.51.100.7" in found.detail
    assert "@{Remove='198.51.100.7'}" in found.fix


def test_device_certificate_must_match_a_connector(tmp_path: Path) -> None:
    matching = write_certificate(tmp_path, ["copier02.example.com"])
    other = write_certificate(tmp_path, ["copier99.example.com", "copier99.example.org"])
    assert "audit.connector-cert-mismatch" not in audit_files(GOOD, device_certs=[matching]).codes()
    report = audit_files(GOOD, device_certs=[other])
    found = next(f for f in report.findings if f.code == "audit.connector-cert-mismatch")
    assert "copier99.example.com" in found.detail
    assert "'Relay from Copier 02' expects copier02.example.com" in found.detail
    assert "-TlsSenderCertificateName 'copier99.example.com'" in found.fix


def test_expired_device_certificate(tmp_path: Path) -> None:
    expired = write_certificate(tmp_path, ["copier02.example.com"], expired=True)
    valid = write_certificate(tmp_path, ["copier02.example.com"])
    assert "audit.device-cert-expired" in audit_files(GOOD, device_certs=[expired]).codes()
    assert "audit.device-cert-expired" not in audit_files(GOOD, device_certs=[valid]).codes()


def test_wildcard_connector_names_cover_subdomains(tmp_path: Path) -> None:
    connector = {
        "Name": "Wild",
        "ConnectorType": "OnPremises",
        "Enabled": True,
        "RequireTls": True,
        "TlsSenderCertificateName": "*.example.com",
    }
    export = write(tmp_path, "in.json", connector)
    inside = write_certificate(tmp_path, ["scan.branch.example.com"])
    outside = write_certificate(tmp_path, ["scan.example.net"])
    assert (
        "audit.connector-cert-mismatch" not in audit_files([export], device_certs=[inside]).codes()
    )
    assert "audit.connector-cert-mismatch" in audit_files([export], device_certs=[outside]).codes()


def test_every_audit_code_is_exercised_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert [c for c in AUDIT_CODES if f'"{c}"' not in source] == []


def test_cli_audit_json_contract_and_exit_codes(python: str, cli_env: dict[str, str]) -> None:
    bad = subprocess.run(
        [python, "-m", "o365diag", "audit", str(SAMPLES / "bad-tenant"), "--json"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert data["schema"] == "o365diag.audit/1"
    assert all(sorted(i) == ["encoding", "file", "kind", "objects"] for i in data["inputs"])
    assert all({"code", "severity", "title", "detail", "fix"} <= set(f) for f in data["findings"])
    good = subprocess.run(
        [python, "-m", "o365diag", "audit", *GOOD],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert good.returncode == 0 and "audit.clean" in good.stdout
