"""Hostile configuration exports for the audit: a number longer than Python reads, a tab in an
object's name, a connector listing thousands of sender IPs. No crash, a fix command that is
still one line of PowerShell, and time that grows linearly with the entries."""

from __future__ import annotations

import ipaddress
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from o365diag.setup.audit import audit_files
from o365diag.setup.powershell import text_value
from tests.test_setup_powershell import parse


def connector(name: str = "Scanner relay", **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Enabled": True,
        "ConnectorType": "OnPremises",
        "SenderIPAddresses": ["198.51.100.25"],
        "SenderDomains": ["smtp:*;1"],
        "RequireTls": True,
        "RestrictDomainsToIPAddresses": False,
        "RestrictDomainsToCertificate": False,
        "TlsSenderCertificateName": None,
        "Name": name,
        "Identity": name,
    }
    return base | changes


def write(folder: Path, objects: list[dict[str, object]], raw: str | None = None) -> str:
    path = folder / "InboundConnector.json"
    path.write_text(raw if raw is not None else json.dumps(objects), encoding="utf-8")
    return str(path)


def test_a_4301_digit_number_does_not_crash(tmp_path: Path) -> None:
    text = json.dumps([connector(MaxMessageSize=0)]).replace(
        '"MaxMessageSize": 0', '"MaxMessageSize": ' + "9" * 4301
    )
    result = audit_files([write(tmp_path, [], raw=text)])
    assert result.data["inputs"][0]["objects"] == 1


def test_a_tab_in_a_name_gives_a_one_line_command(tmp_path: Path) -> None:
    name = "Printer\trelay"
    result = audit_files([write(tmp_path, [connector(name, RequireTls=False)])])
    found = next(f for f in result.findings if f.code == "audit.inbound-no-tls")
    assert "('Printer'+[char]9+'relay')" in found.fix
    assert "\t" not in found.fix and "\n" not in found.fix
    parse(found.fix.replace(text_value(name), "'Printer relay'"))  # the rest is well formed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\tb", "('a'+[char]9+'b')"),
        ("\tb", "(''+[char]9+'b')"),
        ("it's\r\n", "('it''s'+[char]13+[char]10)"),
        ("plain", "'plain'"),
    ],
)
def test_text_value_keeps_control_characters_on_one_line(text: str, expected: str) -> None:
    assert text_value(text) == expected


def private_addresses(count: int) -> list[str]:
    hosts = ipaddress.ip_network("10.0.0.0/8").hosts()
    return [str(next(hosts)) for _ in range(count)]


@pytest.mark.parametrize(("count", "budget"), [(8_000, 3.0), (100_000, 30.0)])
def test_thousands_of_sender_ips_are_fast_and_counted(
    tmp_path: Path, count: int, budget: float
) -> None:
    path = write(tmp_path, [connector(SenderIPAddresses=private_addresses(count))])
    started = time.perf_counter()
    result = audit_files([path])
    elapsed = time.perf_counter() - started
    assert elapsed < budget, f"{count:,} entries took {elapsed:.1f} s"
    codes = Counter(result.codes())
    assert codes["audit.connector-private-ip"] == 11  # ten named entries, then one for the rest
    rest = [f for f in result.findings if "more entries like the ones above" in f.detail]
    assert len(rest) == 1 and f"{count - 10:,} more entries" in rest[0].detail
    assert all(len(e) < 300 for f in result.findings for e in f.evidence)
