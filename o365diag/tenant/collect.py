"""``o365diag collect-script``: one read-only PowerShell script that exports the Exchange Online
settings Graph cannot read, into one folder that ``o365diag audit FOLDER`` and the cutover
readiness read.

Graph has no supported read of Get-TransportConfig, Get-CASMailbox, the connectors, the
connection filter or the authentication policies, so an admin runs this script once with the
ExchangeOnlineManagement module (interactive or certificate app-only). It only calls Get-
cmdlets. Each export is one pipeline built with the project's quoting rules
(:mod:`o365diag.setup.powershell`): ``Get-X | ConvertTo-Json -Depth 6 | Set-Content ...``.
"""

from __future__ import annotations

from dataclasses import dataclass

from o365diag.setup.powershell import Bare, PsValue, command, pipeline, properties

__all__ = ["EXPORTS", "Export", "collect_script", "export_commands"]

_DEPTH = 6


@dataclass(frozen=True)
class Export:
    file: str
    cmdlet: str
    why: str
    parameters: tuple[tuple[str, PsValue], ...] = ()
    select: tuple[str, ...] = ()


EXPORTS: tuple[Export, ...] = (
    Export(
        "transport-config.json",
        "Get-TransportConfig",
        "tenant-wide SMTP AUTH switch (SmtpClientAuthenticationDisabled), legacy TLS",
    ),
    Export(
        "cas-mailboxes.json",
        "Get-CASMailbox",
        "per-mailbox SMTP AUTH: True (off), False (on), empty (follows the tenant setting)",
        (("ResultSize", Bare("Unlimited")),),
        (
            "Identity",
            "Name",
            "PrimarySmtpAddress",
            "SmtpClientAuthenticationDisabled",
            "ActiveSyncEnabled",
            "OWAEnabled",
            "ImapEnabled",
            "PopEnabled",
        ),
    ),
    Export(
        "users.json",
        "Get-User",
        "which authentication policy each user has (Get-CASMailbox does not show it)",
        (("ResultSize", Bare("Unlimited")),),
        (
            "UserPrincipalName",
            "WindowsEmailAddress",
            "RecipientTypeDetails",
            "AuthenticationPolicy",
        ),
    ),
    Export(
        "authentication-policies.json",
        "Get-AuthenticationPolicy",
        "Basic authentication allowed per protocol (AllowBasicAuthSmtp)",
    ),
    Export(
        "organization-config.json",
        "Get-OrganizationConfig",
        "the default authentication policy, RejectDirectSend",
    ),
    Export(
        "inbound-connectors.json", "Get-InboundConnector", "relay connectors (IPs, certificates)"
    ),
    Export("outbound-connectors.json", "Get-OutboundConnector", "smart hosts and TLS settings"),
    Export(
        "connection-filter.json",
        "Get-HostedConnectionFilterPolicy",
        "IP allow and block lists",
    ),
    Export("accepted-domains.json", "Get-AcceptedDomain", "the tenant's own domains"),
)


def _parts(export: Export) -> tuple[str, str]:
    """The reading half of an export's pipeline and the writing half."""
    read = [command(export.cmdlet, **dict(export.parameters))]
    if export.select:
        read.append(command("Select-Object", properties(*export.select)))
    write = [
        command("ConvertTo-Json", Depth=_DEPTH),
        command("Set-Content", Path=export.file, Encoding=Bare("utf8")),
    ]
    return pipeline(*read), pipeline(*write)


def export_commands() -> list[tuple[str, str]]:
    """(pipeline, why) for each export: what the script runs, as one pipeline."""
    return [(" | ".join(_parts(export)), export.why) for export in EXPORTS]


_HEADER = """\
<#
  o365diag collect.ps1: a READ-ONLY export of the Exchange Online settings that
  'o365diag audit FOLDER' and the Basic-auth cutover readiness read. It runs only Get- cmdlets;
  it changes nothing in the tenant. Written by o365diag {version}.

  Needs the ExchangeOnlineManagement module (Install-Module ExchangeOnlineManagement) and a
  role that may read these settings (e.g. Global Reader, View-Only Organization Management).

  Interactive:  .\\collect.ps1 -UserPrincipalName admin@contoso.onmicrosoft.com
  App-only:     .\\collect.ps1 -AppId <app id> -CertificateThumbprint <thumbprint> `
                  -Organization contoso.onmicrosoft.com
  Then:         o365diag audit o365diag-export
#>
[CmdletBinding()]
param(
    [string]$OutFolder = 'o365diag-export',
    [string]$UserPrincipalName,
    [string]$AppId,
    [string]$CertificateThumbprint,
    [string]$Organization
)
$ErrorActionPreference = 'Stop'
Import-Module ExchangeOnlineManagement
if ($AppId) {{
    $app = @{{ AppId = $AppId; CertificateThumbprint = $CertificateThumbprint }}
    Connect-ExchangeOnline @app -Organization $Organization -ShowBanner:$false
}} else {{
    Connect-ExchangeOnline -UserPrincipalName $UserPrincipalName -ShowBanner:$false
}}
New-Item -ItemType Directory -Force -Path $OutFolder | Out-Null
Push-Location -Path $OutFolder
try {{
"""

_FOOTER = """\
}}
finally {{
    Pop-Location
    Disconnect-ExchangeOnline -Confirm:$false
}}
Write-Host "Exported to $OutFolder. Next: o365diag audit $OutFolder"
"""


def collect_script(version: str) -> str:
    """The whole script. Each pipeline is split where the objects are counted: a cmdlet that
    finds nothing (no connectors, no authentication policies) writes no file, rather than an
    empty one the audit would refuse."""
    body = []
    for export in EXPORTS:
        read, write = _parts(export)
        body.append(f"    # {export.file}: {export.why}")
        body.append(f"    $found = @({read})")
        body.append(f"    if ($found.Count -gt 0) {{ $found | {write} }}")
    return _HEADER.format(version=version) + "\n".join(body) + "\n" + _FOOTER.format()
