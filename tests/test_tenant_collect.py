"""collect-script: every export line passes the project's PowerShell grammar check and runs only
read-only cmdlets; the files such a run writes (ConvertTo-Json of each cmdlet, as Windows
PowerShell 5.1 and PowerShell 7 write them) are what ``o365diag audit FOLDER`` reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from o365diag.cli import main
from o365diag.setup.exports import read_export
from o365diag.tenant.collect import EXPORTS, collect_script, export_commands
from tests import test_setup_powershell as grammar

# What these cmdlets take, from Microsoft's cmdlet reference (learn.microsoft.com/powershell/
# module/exchangepowershell/... and microsoft.powershell.utility/...).
EXTRA_PARAMETERS = {
    "Get-CASMailbox": {"Identity", "ResultSize"},
    "Get-User": {"Identity", "ResultSize"},
    "Get-OutboundConnector": {"Identity"},
    "Select-Object": set(),
    "ConvertTo-Json": {"Depth"},
    "Set-Content": {"Path", "Encoding"},
}
READ_ONLY = re.compile(r"^(Get|Select|ConvertTo|Set-Content$)")


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> None:
    for cmdlet, names in EXTRA_PARAMETERS.items():
        monkeypatch.setitem(grammar.PARAMETERS, cmdlet, names)


def test_every_export_line_parses_and_only_reads(checker: None) -> None:
    lines = export_commands()
    assert len(lines) == len(EXPORTS) == 9
    written = []
    for line, why in lines:
        calls = grammar.parse(line)
        assert why
        assert calls[0].cmdlet.startswith("Get-")
        assert all(READ_ONLY.match(c.cmdlet) for c in calls), line
        assert [c.cmdlet for c in calls[-2:]] == ["ConvertTo-Json", "Set-Content"]
        assert calls[-2].params["Depth"] == ["6"]
        written.append(calls[-1].params["Path"][0])
    assert len(set(written)) == len(written)


def test_the_script_is_read_only_and_holds_every_line(checker: None) -> None:
    script = collect_script("9.9")
    for line, _ in export_commands():
        read, _sep, write = line.partition(" | ConvertTo-Json")
        assert f"    $found = @({read})\n" in script
        assert f"{{ $found | ConvertTo-Json{write} }}\n" in script
    cmdlets = set(re.findall(r"\b([A-Z][a-z]+-[A-Z][A-Za-z]+)\b", script))
    changing = {
        c
        for c in cmdlets
        if c.split("-")[0] in ("Set", "New", "Remove", "Add", "Enable", "Disable")
    }
    # New-Item makes the output folder; Set-Content writes the files: both local, not the tenant.
    assert changing <= {"New-Item", "Set-Content"}
    assert "Connect-ExchangeOnline" in script and "Disconnect-ExchangeOnline" in script
    assert script.count("{") == script.count("}")


def test_collect_script_command_writes_a_bom_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "collect.ps1"
    assert main(["collect-script", "-o", str(target)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert main(["collect-script"]) == 0
    assert "$found = @(Get-TransportConfig)" in capsys.readouterr().out


# What each cmdlet's objects look like after ConvertTo-Json (trimmed to the properties that
# matter; names as Exchange Online returns them).
SAMPLES = {
    "transport-config.json": {
        "SmtpClientAuthenticationDisabled": True,
        "AllowLegacyTLSClients": False,
        "MaxRecipientEnvelopeLimit": "Unlimited",
        "Identity": "Transport Settings",
    },
    "cas-mailboxes.json": [
        {
            "Identity": "scanner",
            "Name": "scanner",
            "PrimarySmtpAddress": "scanner@example.com",
            "SmtpClientAuthenticationDisabled": False,
            "ActiveSyncEnabled": True,
            "OWAEnabled": True,
            "ImapEnabled": False,
            "PopEnabled": False,
        },
        {
            "Identity": "alice",
            "Name": "alice",
            "PrimarySmtpAddress": "alice@example.com",
            "SmtpClientAuthenticationDisabled": None,
            "ActiveSyncEnabled": True,
            "OWAEnabled": True,
            "ImapEnabled": True,
            "PopEnabled": True,
        },
        {
            "Identity": "bob",
            "Name": "bob",
            "PrimarySmtpAddress": "bob@example.com",
            "SmtpClientAuthenticationDisabled": True,
            "ActiveSyncEnabled": True,
            "OWAEnabled": True,
            "ImapEnabled": True,
            "PopEnabled": True,
        },
    ],
    "users.json": [
        {
            "UserPrincipalName": "scanner@example.com",
            "WindowsEmailAddress": "scanner@example.com",
            "RecipientTypeDetails": "UserMailbox",
            "AuthenticationPolicy": "Allow SMTP Basic",
        },
    ],
    "authentication-policies.json": {
        "Name": "Allow SMTP Basic",
        "AllowBasicAuthSmtp": True,
        "AllowBasicAuthImap": False,
        "Identity": "Allow SMTP Basic",
    },
    "organization-config.json": {
        "Name": "contoso",
        "DefaultAuthenticationPolicy": None,
        "RejectDirectSend": False,
        "OAuth2ClientProfileEnabled": True,
    },
    "inbound-connectors.json": [],
    "outbound-connectors.json": [],
    "connection-filter.json": {
        "Identity": "Default",
        "IPAllowList": [],
        "IPBlockList": [],
        "EnableSafeList": False,
    },
    "accepted-domains.json": [
        {
            "DomainName": "example.com",
            "DomainType": "Authoritative",
            "Default": True,
            "MatchSubDomains": False,
            "Identity": "example.com",
        },
    ],
}


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["powershell-5.1", "powershell-7"])
def test_audit_reads_the_folder_the_script_writes(
    tmp_path: Path, bom: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "o365diag-export"
    folder.mkdir()
    assert set(SAMPLES) == {e.file for e in EXPORTS}
    written = {name: content for name, content in SAMPLES.items() if content}  # no connectors
    for name, content in written.items():
        (folder / name).write_bytes(bom + json.dumps(content, indent=2).encode())
    kinds = {name: read_export(folder / name).kinds for name in written}
    assert kinds["cas-mailboxes.json"] == ["CASMailbox"]
    assert kinds["users.json"] == ["User"]
    assert kinds["accepted-domains.json"] == ["AcceptedDomain"]
    code = main(["audit", str(folder), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    files = {Path(i["file"]).name for i in data["inputs"]}
    assert files == set(written)
    assert {i["kind"] for i in data["inputs"]} >= {"CASMailbox", "User", "AcceptedDomain"}
