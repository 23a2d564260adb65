"""The configuration for the chosen option: device settings, DNS records and PowerShell.

Each item carries its explanation. :func:`plan_setup` is the entry point: answers in, a
:class:`SetupPlan` out (recommendation, configuration, findings), which renders itself as a
Report (``o365diag.setup/1``), text, Markdown or a notebook cell (see render.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from o365diag.addresses import non_public_kind
from o365diag.findings import Finding
from o365diag.setup.answers import SetupAnswers, network_text, parse_network
from o365diag.setup.catalogue import finding
from o365diag.setup.model import (
    OPTIONAL_WARNING,
    DeviceSetting,
    DnsRecord,
    PowerShellStep,
    RecommendationData,
    SetupData,
    VerifyData,
)
from o365diag.setup.networks import BROAD_PREFIX, CONNECTOR_MIN_PREFIX
from o365diag.setup.options import Recommendation, note, recommend, recommendation_for
from o365diag.setup.powershell import Bare, command, pipeline, properties
from o365diag.setup.render import notebook_cell, plan_markdown
from o365diag.setup.result import SetupResult
from o365diag.typed import load

__all__ = [
    "OPTIONAL_WARNING",
    "DeviceSetting",
    "DnsRecord",
    "PowerShellStep",
    "SetupPlan",
    "connector_name",
    "mx_endpoint",
    "plan_option",
    "plan_setup",
]

SUBMISSION_HOST = "smtp.office365.com"
HVE_HOST = "smtp-hve.office365.com"
MICROSOFT_SPF = "spf.protection.outlook.com"


@dataclass
class SetupPlan:
    """Everything the assistant produced for one set of answers."""

    answers: SetupAnswers
    recommendation: Recommendation
    device_settings: list[DeviceSetting]
    dns_records: list[DnsRecord]
    powershell: list[PowerShellStep]
    findings: list[Finding] = field(default_factory=list)

    @property
    def option(self) -> str:
        return self.recommendation.name

    def to_data(self, verify: VerifyData | None = None) -> SetupData:
        """The plan as saved (``o365diag.setup/1``): what every view reads."""
        return SetupData(
            answers=self.answers,
            recommendation=load(RecommendationData, self.recommendation.to_dict()),
            device_settings=list(self.device_settings),
            dns_records=list(self.dns_records),
            powershell=list(self.powershell),
            verify=verify,
        )

    def to_report(self, verify: VerifyData | None = None) -> SetupResult:
        return SetupResult.from_model(self.to_data(verify), self.findings)

    @property
    def required_steps(self) -> list[PowerShellStep]:
        return [step for step in self.powershell if not step.optional]

    def script(self) -> str:
        """The setup steps as one script (see ``SetupData.script``)."""
        return self.to_data().script()

    def to_text(self) -> str:
        return self.to_report().to_text()

    def to_markdown(self) -> str:
        report = self.to_report()
        return plan_markdown(report.model, report.sorted_findings())

    def to_notebook_cell(self) -> dict[str, Any]:
        return notebook_cell(self.to_markdown())

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


# -- shared pieces --------------------------------------------------------------------------------
def mx_endpoint(answers: SetupAnswers) -> tuple[str, bool]:
    """The MX endpoint and whether it was derived from the domain (not given)."""
    if answers.mx_host:
        return answers.mx_host, False
    return f"{answers.domain.replace('.', '-')}.mail.protection.outlook.com", True


def connector_name(answers: SetupAnswers) -> str:
    return f"Relay from {answers.device_name}"


def _helo(answers: SetupAnswers) -> DeviceSetting:
    host = re.sub(r"[^a-z0-9-]+", "-", answers.device_name.lower()).strip("-") or "device"
    return DeviceSetting(
        "HELO/EHLO name",
        f"the device's own name, e.g. {host}.{answers.domain}",
        note("helo").meaning,
    )


def _sender_setting(answers: SetupAnswers, explanation: str) -> DeviceSetting:
    return DeviceSetting("From address", answers.sender, explanation)


def _connect_step() -> PowerShellStep:
    return PowerShellStep(
        command("Connect-ExchangeOnline"),
        "Sign in to Exchange Online PowerShell (module ExchangeOnlineManagement) as an "
        "Exchange administrator.",
    )


# -- device settings per option -------------------------------------------------------------------
def _submission_settings(answers: SetupAnswers) -> list[DeviceSetting]:
    port = 587 if answers.port587_open else 25
    oauth = answers.auth == "oauth"
    return [
        DeviceSetting(
            "Server (smart host)",
            SUBMISSION_HOST,
            "The submission endpoint; use the name, never an IP address.",
        ),
        DeviceSetting(
            "Port",
            str(port),
            "587 is recommended; 25 works when 587 is blocked." + " " + note("port-465").meaning,
        ),
        DeviceSetting(
            "Encryption",
            "STARTTLS, TLS 1.2 or later",
            "Microsoft 365 refuses TLS 1.0/1.1 for SMTP AUTH (421 4.7.66).",
        ),
        DeviceSetting(
            "Authentication",
            "OAuth 2.0 (XOAUTH2)" if oauth else "user name and password (AUTH LOGIN)",
            "OAuth avoids storing the mailbox password on the device."
            if oauth
            else note("basic-retirement").meaning,
        ),
        DeviceSetting(
            "User name",
            answers.signin_mailbox,
            "The full address (UPN) of the licensed mailbox the device signs in as.",
        ),
        DeviceSetting(
            "Password / token",
            "an OAuth token from the app registration"
            if oauth
            else "the mailbox's password, typed on the device",
            "Typed into the device only; o365diag never asks for it here.",
        ),
        _sender_setting(
            answers, "Must be the mailbox's own address or one it has Send As on, otherwise 5.7.60."
        ),
        _helo(answers),
    ]


def _mx_settings(
    answers: SetupAnswers, *, tls_note: str, identity: list[DeviceSetting], recipients_note: str
) -> list[DeviceSetting]:
    host, _guessed = mx_endpoint(answers)
    return [
        DeviceSetting(
            "Server (smart host)",
            host,
            "Your tenant's MX endpoint, exactly as the admin center shows it.",
        ),
        DeviceSetting("Port", "25", "Direct send and connector relay use port 25 only."),
        DeviceSetting(
            "Encryption", "STARTTLS" if answers.tls else "none (device has no TLS)", tls_note
        ),
        DeviceSetting(
            "Authentication",
            "none",
            "Leave user name and password empty: Microsoft 365 does not offer AUTH "
            "on the MX endpoint.",
        ),
        *identity,
        _sender_setting(answers, "Any address in one of your accepted domains."),
        DeviceSetting("Recipients", recipients_note, "What this option can deliver to."),
        _helo(answers),
    ]


def _direct_send_settings(answers: SetupAnswers) -> list[DeviceSetting]:
    return _mx_settings(
        answers,
        tls_note="Optional for direct send; use it whenever the device offers it.",
        identity=[],
        recipients_note="only mailboxes in your organization",
    )


def _relay_identity(answers: SetupAnswers) -> list[DeviceSetting]:
    identity = []
    if answers.ipv4_networks:
        ips = ", ".join(network_text(n) for n in answers.ipv4_networks)
        identity.append(
            DeviceSetting(
                "Public IP",
                ips,
                "The device must reach the internet from this address; the "
                "connector recognises it by that IP.",
            )
        )
    if answers.has_certificate and answers.tls:
        identity.append(
            DeviceSetting(
                "Client certificate",
                f"a certificate for {answers.certificate_name}",
                "Presented during STARTTLS; the connector matches the name on it.",
            )
        )
    return identity


def _relay_settings(answers: SetupAnswers) -> list[DeviceSetting]:
    return _mx_settings(
        answers,
        tls_note="The connector below requires TLS when the device supports it.",
        identity=_relay_identity(answers),
        recipients_note="inside and outside your organization",
    )


def _hve_settings(answers: SetupAnswers) -> list[DeviceSetting]:
    return [
        DeviceSetting(
            "Server (smart host)",
            HVE_HOST,
            "The High Volume Email endpoint (check the current name in the "
            "HVE documentation; Microsoft has announced a new one).",
        ),
        DeviceSetting("Port", "587", "HVE accepts submission on port 587 with TLS."),
        DeviceSetting("Encryption", "STARTTLS, TLS 1.2 or later", "Required."),
        DeviceSetting(
            "User name",
            answers.sender,
            "The HVE account, created in the Exchange admin center (Mail flow > "
            "High volume email).",
        ),
        _sender_setting(answers, "The HVE account's address."),
        DeviceSetting(
            "Recipients", "only mailboxes in your organization", "HVE is for internal mail."
        ),
    ]


def _other_settings(answers: SetupAnswers) -> list[DeviceSetting]:
    return [
        DeviceSetting(
            "Server (smart host)",
            "your local relay (its name or IP on your network)",
            "A small SMTP server on your network (Windows IIS SMTP, Postfix, a "
            "vendor relay) that accepts the device's mail.",
        ),
        DeviceSetting("Port", "25 (or what the relay listens on)", "On your own network."),
        DeviceSetting(
            "Encryption / authentication",
            "as the local relay allows",
            "Restrict the relay to the device's local address.",
        ),
        _sender_setting(answers, "An address in one of your accepted domains."),
        DeviceSetting(
            "Relay upstream",
            _UPSTREAM_LABELS[_upstream_option(answers)],
            "The relay forwards with TLS to Microsoft 365; the PowerShell below "
            "configures that side.",
        ),
    ]


_UPSTREAM_LABELS = {
    "relay": "an inbound connector for the relay's static IP (option 3)",
    "submission": "SMTP AUTH submission as the mailbox (option 1)",
}


def _upstream_option(answers: SetupAnswers) -> str:
    return "relay" if answers.ipv4_networks and not answers.third_party_hosted else "submission"


# -- PowerShell per option ------------------------------------------------------------------------
def _submission_ps(answers: SetupAnswers, *, relay_host: bool = False) -> list[PowerShellStep]:
    mailbox = answers.signin_mailbox
    who = "the local relay" if relay_host else "the device"
    steps = [
        PowerShellStep(
            pipeline(
                command("Get-TransportConfig"),
                command("Format-List", properties("SmtpClientAuthenticationDisabled")),
            ),
            "Shows the organization-wide switch. True (the default for tenants created after "
            "January 2020) is what you want: SMTP AUTH stays off for every other mailbox.",
        ),
        PowerShellStep(
            command("Set-CASMailbox", Identity=mailbox, SmtpClientAuthenticationDisabled=False),
            f"Turns SMTP AUTH on for this one mailbox only, the account {who} signs in as; "
            "the mailbox setting wins over the organization setting.",
        ),
        PowerShellStep(
            pipeline(
                command("Get-CASMailbox", Identity=mailbox),
                command("Format-List", properties("SmtpClientAuthenticationDisabled")),
            ),
            "Confirms the mailbox now shows False (SMTP AUTH allowed).",
        ),
    ]
    if answers.sender.lower() != mailbox.lower():
        steps.append(
            PowerShellStep(
                command(
                    "Add-RecipientPermission",
                    Identity=answers.sender,
                    Trustee=mailbox,
                    AccessRights=Bare("SendAs"),
                ),
                "Lets the mailbox send as the From address; without it Microsoft 365 refuses "
                "the message with 5.7.60.",
            )
        )
    steps.extend(_auth_steps(answers, mailbox))
    return steps


def _auth_steps(answers: SetupAnswers, mailbox: str) -> list[PowerShellStep]:
    if answers.auth == "basic":
        return [
            PowerShellStep(
                pipeline(
                    command("Get-User", Identity=mailbox),
                    command("Format-List", properties("AuthenticationPolicy")),
                ),
                "Shows the authentication policy assigned to the mailbox (empty: the "
                "organization's default policy applies).",
            ),
            PowerShellStep(
                pipeline(
                    command("Get-AuthenticationPolicy"),
                    command("Format-Table", properties("Name", "AllowBasicAuthSmtp")),
                ),
                "Basic SMTP AUTH only works if that policy has AllowBasicAuthSmtp = True; "
                + note("security-defaults").meaning,
            ),
        ]
    if answers.auth == "oauth" and answers.app_id and answers.service_principal_id:
        return [
            PowerShellStep(
                command(
                    "New-ServicePrincipal",
                    AppId=answers.app_id,
                    ObjectId=answers.service_principal_id,
                ),
                "Registers the app's service principal in Exchange Online (use the object ID "
                "from Enterprise applications, not from App registrations).",
            ),
            PowerShellStep(
                command(
                    "Add-MailboxPermission",
                    Identity=mailbox,
                    User=answers.service_principal_id,
                    AccessRights=Bare("FullAccess"),
                ),
                "Gives the app access to this one mailbox only, so its SMTP.SendAsApp token "
                "can send as it.",
            ),
        ]
    return []


def _direct_send_ps(answers: SetupAnswers) -> list[PowerShellStep]:
    return [
        PowerShellStep(
            pipeline(
                command("Get-OrganizationConfig"),
                command("Format-List", properties("RejectDirectSend")),
            ),
            "Must be False for direct send to work. " + note("reject-direct-send").meaning,
        ),
        PowerShellStep(
            pipeline(
                command("Get-AcceptedDomain", Identity=answers.domain),
                command("Format-List", properties("DomainName", "DomainType")),
            ),
            "The From address must be in an accepted domain of the tenant. "
            + note("no-connector-for-direct-send").meaning,
        ),
    ]


def _relay_ps(answers: SetupAnswers) -> list[PowerShellStep]:
    name = connector_name(answers)
    parameters: dict[str, Any] = {
        "Name": name,
        "ConnectorType": Bare("OnPremises"),
        "SenderDomains": ("*",),
    }
    how = []
    if answers.ipv4_networks:
        parameters["SenderIPAddresses"] = tuple(network_text(n) for n in answers.ipv4_networks)
        how.append("by its IP address")
    if answers.has_certificate and answers.tls:
        parameters["TlsSenderCertificateName"] = answers.certificate_name
        how.append("by the name on its certificate")
    if answers.tls:
        parameters["RequireTls"] = True
    fields = properties(
        "Name",
        "Enabled",
        "ConnectorType",
        "SenderIPAddresses",
        "TlsSenderCertificateName",
        "RequireTls",
    )
    return [
        PowerShellStep(
            command("New-InboundConnector", **parameters),
            f"Creates the connector that recognises the device {' and '.join(how)}"
            + (" and refuses its mail without TLS" if answers.tls else "")
            + "; mail it matches may go to external recipients. Nothing else can use it.",
        ),
        PowerShellStep(
            pipeline(
                command("Get-InboundConnector", Identity=name), command("Format-List", fields)
            ),
            "Shows the connector as created.",
        ),
        PowerShellStep(
            pipeline(
                command("Get-HostedConnectionFilterPolicy"),
                command("Format-List", properties("Name", "IPAllowList")),
            ),
            "The device's IP must NOT be in the IP Allow List: that would skip spam "
            "filtering for everything from its network; the connector is enough.",
        ),
        PowerShellStep(
            command("Set-OrganizationConfig", RejectDirectSend=True),
            "Optional hardening once no device uses direct send any more: anonymous mail "
            "that claims your domains is refused, while the connector keeps working.",
            optional=True,
        ),
    ]


def _hve_ps(answers: SetupAnswers) -> list[PowerShellStep]:
    if answers.auth == "oauth" and answers.app_id:
        return [
            PowerShellStep(
                command("Add-HVEAppAccess", Identity=answers.sender, AppIds=(answers.app_id,)),
                "Allows the app registration to sign in to this HVE account with OAuth.",
            )
        ]
    return []


def _other_ps(answers: SetupAnswers) -> list[PowerShellStep]:
    if _upstream_option(answers) == "relay":
        return _relay_ps(answers)
    return _submission_ps(answers, relay_host=True)


def _dkim_ps(answers: SetupAnswers) -> list[PowerShellStep]:
    fields = properties("Name", "Enabled", "Status", "Selector1CNAME", "Selector2CNAME")
    return [
        PowerShellStep(
            pipeline(
                command("Get-DkimSigningConfig", Identity=answers.domain),
                command("Format-List", fields),
            ),
            "Shows the two CNAME targets to publish (if the domain has no DKIM configuration "
            "yet, create it first with New-DkimSigningConfig -DomainName and -Enabled $false).",
        ),
        PowerShellStep(
            command("Set-DkimSigningConfig", Identity=answers.domain, Enabled=True),
            "Turns DKIM signing on once both CNAME records resolve.",
        ),
    ]


# -- DNS records ----------------------------------------------------------------------------------
def _spf_record(answers: SetupAnswers, option: str) -> DnsRecord:
    terms = ["v=spf1"]
    if option in ("direct-send", "relay") or (option == "other" and answers.public_ips):
        for text in answers.public_ips:
            network = parse_network(text)
            terms.append(f"ip{network.version}:{network_text(network)}")
    if answers.spf_include:
        terms.append(f"include:{answers.spf_include}")
    terms.extend([f"include:{MICROSOFT_SPF}", "~all"])
    why = (
        note("spf-device-ip").meaning
        if len(terms) > 3 or option == "direct-send"
        else "Mail leaves through Microsoft 365, so its include covers the device."
    )
    return DnsRecord(
        "TXT",
        answers.domain,
        " ".join(terms),
        "One SPF record per domain: if one exists, add these mechanisms to it instead of "
        f"publishing a second. {why} Move to -all once DKIM and DMARC pass.",
    )


def _dkim_records(answers: SetupAnswers) -> list[DnsRecord]:
    records = []
    dashed = answers.domain.replace(".", "-")
    for selector in ("selector1", "selector2"):
        if answers.initial_domain:
            value = f"{selector}-{dashed}._domainkey.{answers.initial_domain}"
            explanation = (
                "The classic target; domains added since May 2025 use a "
                "*.dkim.mail.microsoft target: publish what Get-DkimSigningConfig "
                "shows."
            )
        else:
            value = f"the {selector.capitalize()}CNAME value from Get-DkimSigningConfig"
            explanation = "The target depends on your tenant: copy it from the PowerShell output."
        records.append(
            DnsRecord(
                "CNAME",
                f"{selector}._domainkey.{answers.domain}",
                value,
                explanation,
                placeholder=answers.initial_domain is None,
            )
        )
    return records


def _dmarc_record(answers: SetupAnswers) -> DnsRecord:
    # "Read the reports" needs a report address: without one, p=none tells nobody anything.
    rua = answers.dmarc_rua or f"dmarc-reports@{answers.domain}"
    where = (
        ""
        if answers.dmarc_rua
        else f" The reports go to {rua}: create that mailbox (or a shared mailbox or alias), "
        "or give your DMARC report service's address instead."
    )
    return DnsRecord(
        "TXT",
        f"_dmarc.{answers.domain}",
        f"v=DMARC1; p=none; rua=mailto:{rua}",
        "Start with p=none and read the reports, then move to p=quarantine and p=reject. "
        f"If a DMARC record exists, keep it.{where}",
    )


def _mx_record(answers: SetupAnswers) -> DnsRecord:
    host, _guessed = mx_endpoint(answers)
    return DnsRecord(
        "MX",
        answers.domain,
        host,
        "The device sends to this endpoint: the domain's MX must point to it.",
        action="check",
    )


def _dns_records(answers: SetupAnswers, option: str) -> list[DnsRecord]:
    records = [_spf_record(answers, option)]
    if option in ("direct-send", "relay"):
        records.insert(0, _mx_record(answers))
    if option in ("submission", "relay", "other"):
        records.extend(_dkim_records(answers))
    records.append(_dmarc_record(answers))
    return records


# -- findings -------------------------------------------------------------------------------------
_HEADER_CHECKS = {
    "submission": "X-MS-Exchange-Organization-AuthAs: Internal and AuthMechanism 04 (a signed-in "
    "client); DKIM signs it with your domain.",
    "direct-send": "compauth=pass and spf=pass for the device's IP (an SPF fail is the usual "
    "reason direct-send mail lands in Junk).",
    "relay": "X-MS-Exchange-Organization-AuthAs: Internal with the connector name in "
    "X-MS-Exchange-Organization-AuthSource; DKIM signs it with your domain.",
    "hve": "the message arrived from the HVE account and was not junked (SCL -1 or low).",
    "other": "the Received chain shows your local relay, then Microsoft 365 with TLS.",
}


def header_check(option: str) -> str:
    return _HEADER_CHECKS[option]


def _plan_findings(answers: SetupAnswers, rec: Recommendation) -> Iterator[Finding]:
    option = rec.name
    yield finding(
        "setup.recommended",
        rec.why,
        title=f"Recommended: {rec.option.title}",
        references=rec.sources,
    )
    if rec.is_fallback:
        yield finding(
            "setup.no-option-fits",
            "; ".join(f"{v.option.title}: {v.why}" for v in rec.rejected if v.option.name != "hve"),
        )
    for check in _FINDING_CHECKS:
        yield from check(answers, option, rec)
    yield finding("setup.first-message-check", f"Check: {header_check(option)}")


def _auth_findings(answers: SetupAnswers, option: str, rec: Recommendation) -> Iterator[Finding]:
    if rec.variant == "submission-basic":
        yield finding("setup.basic-auth-retiring")
        yield finding("setup.security-defaults")
    if rec.variant == "submission-oauth" and not answers.app_id:
        yield finding("setup.oauth-app-needed")
    if option == "submission" and answers.sender.lower() != answers.signin_mailbox.lower():
        yield finding(
            "setup.send-as-needed",
            f"{answers.signin_mailbox} signs in but sends as {answers.sender}.",
        )


def _network_findings(answers: SetupAnswers, option: str, rec: Recommendation) -> Iterator[Finding]:
    for text in answers.static_ips:
        network = parse_network(text)
        kind = non_public_kind(network)
        if kind is not None:
            yield finding(
                "setup.private-ip",
                f"{text} is {kind}: receivers never see it, so it is left out of the SPF "
                "record, the connector and the device settings below.",
                evidence=(text,),
            )
        elif option == "relay" and network.version == 6:
            yield finding("setup.ipv6-not-for-connector", evidence=(text,))
        elif option == "relay" and network.prefixlen < CONNECTOR_MIN_PREFIX:
            yield finding(
                "setup.range-not-accepted",
                f"{text} holds {network.num_addresses:,} addresses.",
                evidence=(text,),
            )
        elif option == "relay" and network.prefixlen < BROAD_PREFIX:
            yield finding(
                "setup.range-broad",
                f"{text} holds {network.num_addresses:,} addresses.",
                evidence=(text,),
            )


def _transport_findings(
    answers: SetupAnswers, option: str, rec: Recommendation
) -> Iterator[Finding]:
    if option == "direct-send":
        yield finding("setup.direct-send-rejectable")
        if not answers.public_ips and not answers.spf_include:
            yield finding("setup.spf-no-static-ip")
    if option in ("direct-send", "relay") and not answers.tls:
        yield finding("setup.no-tls")
    if option in ("direct-send", "relay") and mx_endpoint(answers)[1]:
        yield finding("setup.mx-guessed", f"Used {mx_endpoint(answers)[0]}.")
    if option in ("direct-send", "relay", "other") and answers.volume_per_day > 10_000:
        yield finding("setup.high-volume", f"{answers.volume_per_day:,} recipients a day.")
    if option in ("submission", "relay", "other") and not answers.initial_domain:
        yield finding("setup.dkim-values-needed")


_FINDING_CHECKS: tuple[Callable[[SetupAnswers, str, Recommendation], Iterator[Finding]], ...] = (
    _auth_findings,
    _network_findings,
    _transport_findings,
)

_SETTINGS = {
    "submission": _submission_settings,
    "direct-send": _direct_send_settings,
    "relay": _relay_settings,
    "hve": _hve_settings,
    "other": _other_settings,
}
_POWERSHELL = {
    "submission": _submission_ps,
    "direct-send": _direct_send_ps,
    "relay": _relay_ps,
    "hve": _hve_ps,
    "other": _other_ps,
}


def plan_setup(answers: SetupAnswers) -> SetupPlan:
    """Recommend an option and generate its configuration; ``answers`` are validated first."""
    answers.validate()
    return _plan(answers, recommend(answers))


def plan_option(answers: SetupAnswers, option: str) -> SetupPlan:
    """The configuration of a given option (chosen elsewhere, e.g. by the cutover plan)."""
    answers.validate()
    return _plan(answers, recommendation_for(answers, option))


def _plan(answers: SetupAnswers, rec: Recommendation) -> SetupPlan:
    option = rec.name
    steps = [_connect_step(), *_POWERSHELL[option](answers)]
    if option in ("submission", "relay", "other"):
        steps.extend(_dkim_ps(answers))
    return SetupPlan(
        answers=answers,
        recommendation=rec,
        device_settings=_SETTINGS[option](answers),
        dns_records=_dns_records(answers, option),
        powershell=steps,
        findings=list(_plan_findings(answers, rec)),
    )
