"""Review exported Exchange Online configuration for least privilege.

Each rule reads objects of the kinds it needs and yields findings that name the object and
the setting, with the command that fixes it. Rules whose kinds were not exported are skipped
(and the report says which kinds were missing). Optional facts about the device (its public
IP, its certificate) let the audit check that a connector still matches it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from o365diag.findings import Finding, Severity
from o365diag.setup.catalogue import finding
from o365diag.setup.exports import (
    CUTOVER_ONLY_KINDS,
    EXPORT_COMMANDS,
    KINDS,
    ConfigObject,
    ExportError,
    ExportFile,
    read_export,
)
from o365diag.setup.model import AuditData, AuditDevice, DeviceCertificateData
from o365diag.setup.networks import (
    BROAD_PREFIX,
    CONNECTOR_MIN_PREFIX,
    Network,
    address_count,
    is_private,
    overlaps,
    parse_ip_entry,
)
from o365diag.setup.powershell import Bare, Edit, Switch, command
from o365diag.setup.result import AUDIT_SCHEMA as SCHEMA
from o365diag.setup.result import AuditResult

__all__ = [
    "SCHEMA",
    "AuditContext",
    "DeviceCertificate",
    "audit_exports",
    "audit_files",
    "load_device_certificate",
]

_LIST_LIMIT = 20
# Findings of one kind for the entries of one connector before the rest are counted in one.
_ENTRY_FINDINGS = 10


@dataclass(frozen=True)
class DeviceCertificate:
    """The names and expiry of the certificate a device presents to a connector."""

    source: str
    names: tuple[str, ...]
    not_after: dt.datetime | None


@dataclass
class AuditContext:
    """The exported objects by kind, plus what is known about the device."""

    files: list[ExportFile]
    device_ips: tuple[str, ...] = ()
    device_certs: tuple[DeviceCertificate, ...] = ()
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def of(self, kind: str) -> list[ConfigObject]:
        return [o for f in self.files for o in f.objects if o.kind == kind]

    def enabled(self, kind: str) -> list[ConfigObject]:
        return [o for o in self.of(kind) if o.flag("Enabled") is not False]

    def has(self, kind: str) -> bool:
        return any(o.kind == kind for f in self.files for o in f.objects)


Rule = Callable[[AuditContext], Iterator[Finding]]


# -- SMTP AUTH ------------------------------------------------------------------------------------
def _smtp_auth_tenant_wide(ctx: AuditContext) -> Iterator[Finding]:
    enabled_mailboxes = [
        m for m in ctx.of("CASMailbox") if m.flag("SmtpClientAuthenticationDisabled") is False
    ]
    for config in ctx.of("TransportConfig"):
        if config.flag("SmtpClientAuthenticationDisabled") is not False:
            continue
        mailboxes = [_mailbox_id(m) for m in enabled_mailboxes] or ["<device mailbox>"]
        fixes = [
            command("Set-CASMailbox", Identity=m, SmtpClientAuthenticationDisabled=False)
            for m in mailboxes[:_LIST_LIMIT]
        ]
        fixes.append(command("Set-TransportConfig", SmtpClientAuthenticationDisabled=True))
        inheriting = [
            m for m in ctx.of("CASMailbox") if m.get("SmtpClientAuthenticationDisabled") is None
        ]
        detail = (
            "Organization setting SmtpClientAuthenticationDisabled is False: SMTP AUTH is "
            "accepted for every mailbox that does not override it"
        )
        if inheriting:
            detail += f" ({len(inheriting):,} of the exported mailboxes follow it)"
        yield finding(
            "audit.smtp-auth-tenant-wide",
            detail + ".",
            fix="First keep SMTP AUTH for the mailboxes that need it, then turn it off for "
            "the organization: " + "; ".join(fixes),
            evidence=(config.evidence("SmtpClientAuthenticationDisabled"),),
        )


def _smtp_auth_mailboxes(ctx: AuditContext) -> Iterator[Finding]:
    enabled = [
        m for m in ctx.of("CASMailbox") if m.flag("SmtpClientAuthenticationDisabled") is False
    ]
    if not enabled:
        return
    names = [_mailbox_id(m) for m in enabled]
    yield finding(
        "audit.smtp-auth-mailbox",
        f"{len(names):,} mailbox(es) have SMTP AUTH turned on explicitly: " + _listing(names) + ".",
        fix="For any that no device signs in as: "
        + command("Set-CASMailbox", Identity=names[0], SmtpClientAuthenticationDisabled=None),
        evidence=tuple(m.evidence("SmtpClientAuthenticationDisabled") for m in enabled[:5]),
    )


def _mailbox_id(mailbox: ConfigObject) -> str:
    return mailbox.text("PrimarySmtpAddress") or mailbox.name


# -- connectors: TLS, ranges, restriction, identity -----------------------------------------------
def _inbound_tls(ctx: AuditContext) -> Iterator[Finding]:
    for connector in ctx.enabled("InboundConnector"):
        if connector.flag("RequireTls") is False:
            yield finding(
                "audit.inbound-no-tls",
                f"Inbound connector '{connector.name}' has RequireTls = False.",
                fix=command("Set-InboundConnector", Identity=connector.name, RequireTls=True),
                evidence=(connector.evidence("RequireTls"),),
            )


def _outbound_tls(ctx: AuditContext) -> Iterator[Finding]:
    for connector in ctx.enabled("OutboundConnector"):
        if connector.has("TlsSettings") and connector.text("TlsSettings") is None:
            yield finding(
                "audit.outbound-no-tls",
                f"Outbound connector '{connector.name}' has no TlsSettings.",
                fix=command(
                    "Set-OutboundConnector",
                    Identity=connector.name,
                    TlsSettings=Bare("CertificateValidation"),
                ),
                evidence=(connector.evidence("TlsSettings"),),
            )


def _connector_ranges(ctx: AuditContext) -> Iterator[Finding]:
    """Each entry of SenderIPAddresses that is private or too broad; past the first few of a
    kind on one connector, one finding counts the rest (a connector can list thousands)."""
    for connector in ctx.enabled("InboundConnector"):
        evidence = (connector.evidence("SenderIPAddresses"),)  # once: it shows the whole list
        shown: dict[str, int] = {}
        more: dict[str, list[str]] = {}
        for entry, networks in connector.networks("SenderIPAddresses"):
            for code in _range_problems(networks):
                if shown.get(code, 0) < _ENTRY_FINDINGS:
                    shown[code] = shown.get(code, 0) + 1
                    yield _range_finding(code, connector, entry, networks, evidence)
                else:
                    more.setdefault(code, []).append(entry)
        for code, entries in more.items():
            yield _more_entries(code, connector, entries, evidence)


def _range_problems(networks: list[Network]) -> list[str]:
    codes = []
    if any(is_private(n) for n in networks):
        codes.append("audit.connector-private-ip")
    count = address_count(networks)
    if count > 2 ** (32 - CONNECTOR_MIN_PREFIX):
        codes.append("audit.connector-range-too-broad")
    elif count > 2 ** (32 - BROAD_PREFIX):
        codes.append("audit.connector-range-broad")
    return codes


def _range_finding(
    code: str,
    connector: ConfigObject,
    entry: str,
    networks: list[Network],
    evidence: tuple[str, ...],
) -> Finding:
    narrow = command(
        "Set-InboundConnector", Identity=connector.name, SenderIPAddresses=Edit("Remove", (entry,))
    )
    if code == "audit.connector-private-ip":
        add_public = command(
            "Set-InboundConnector",
            Identity=connector.name,
            SenderIPAddresses=Edit("Add", ("<public ip>",)),
        )
        return finding(
            "audit.connector-private-ip",
            f"Inbound connector '{connector.name}' lists {entry}, a private range.",
            fix=f"{narrow}, then add the public address the device's network sends from (the "
            "FromIP of its messages in the message trace, or ask whoever runs the firewall "
            f"which address it translates the device to) with {add_public}",
            evidence=evidence,
        )
    count = address_count(networks)
    accepts = f"Inbound connector '{connector.name}' accepts {entry} ({count:,} addresses)."
    if code == "audit.connector-range-too-broad":
        return finding(
            "audit.connector-range-too-broad",
            accepts,
            fix=f"Replace it with the device's own address: {narrow}",
            evidence=evidence,
        )
    return finding(
        "audit.connector-range-broad",
        accepts,
        fix=f"Narrow it to the sending hosts: {narrow}",
        evidence=evidence,
    )


def _more_entries(
    code: str, connector: ConfigObject, entries: list[str], evidence: tuple[str, ...]
) -> Finding:
    listed = ", ".join(entries[:_ENTRY_FINDINGS])
    return finding(
        code,
        f"Inbound connector '{connector.name}' has {len(entries):,} more entries like the ones "
        f"above: {listed}{', ...' if len(entries) > _ENTRY_FINDINGS else ''}.",
        evidence=evidence,
    )


def _connector_restriction(ctx: AuditContext) -> Iterator[Finding]:
    for connector in ctx.enabled("InboundConnector"):
        kind = (connector.text("ConnectorType") or "").lower()
        has_ips = bool(connector.items("SenderIPAddresses"))
        has_cert = connector.text("TlsSenderCertificateName") is not None
        if kind == "onpremises" and not has_ips and not has_cert:
            yield finding(
                "audit.connector-unidentified",
                f"On-premises connector '{connector.name}' has neither SenderIPAddresses nor "
                "TlsSenderCertificateName.",
                fix=command(
                    "Set-InboundConnector",
                    Identity=connector.name,
                    SenderIPAddresses=("<device public ip>",),
                )
                + " (or "
                + command("Remove-InboundConnector", Identity=connector.name)
                + ")",
                evidence=(connector.evidence("SenderIPAddresses"),),
            )
        if kind == "partner":
            yield from _partner_restriction(connector, has_ips, has_cert)


def _partner_restriction(
    connector: ConfigObject, has_ips: bool, has_cert: bool
) -> Iterator[Finding]:
    for present, setting in (
        (has_ips, "RestrictDomainsToIPAddresses"),
        (has_cert, "RestrictDomainsToCertificate"),
    ):
        if present and connector.flag(setting) is False:
            yield finding(
                "audit.connector-not-restricted",
                f"Partner connector '{connector.name}' has {setting} = False.",
                fix=command("Set-InboundConnector", Identity=connector.name, **{setting: True}),
                evidence=(connector.evidence(setting),),
            )


def _treat_as_internal(ctx: AuditContext) -> Iterator[Finding]:
    for connector in ctx.enabled("InboundConnector"):
        if connector.flag("TreatMessagesAsInternal"):
            yield finding(
                "audit.treat-as-internal",
                f"Inbound connector '{connector.name}' has TreatMessagesAsInternal = True.",
                fix=command(
                    "Set-InboundConnector", Identity=connector.name, TreatMessagesAsInternal=False
                ),
                evidence=(connector.evidence("TreatMessagesAsInternal"),),
            )


def _disabled_connectors(ctx: AuditContext) -> Iterator[Finding]:
    for kind, remover in (
        ("InboundConnector", "Remove-InboundConnector"),
        ("OutboundConnector", "Remove-OutboundConnector"),
    ):
        for connector in ctx.of(kind):
            if connector.flag("Enabled") is False:
                yield finding(
                    "audit.connector-disabled",
                    f"{_kind_label(kind)} '{connector.name}' is disabled.",
                    fix="If it is no longer needed: " + command(remover, Identity=connector.name),
                    evidence=(connector.evidence("Enabled"),),
                )


def _kind_label(kind: str) -> str:
    return "Inbound connector" if kind == "InboundConnector" else "Outbound connector"


# -- connectors against the device ----------------------------------------------------------------
def _certificate_names(ctx: AuditContext) -> Iterator[Finding]:
    cert_connectors = [
        c for c in ctx.enabled("InboundConnector") if c.text("TlsSenderCertificateName") is not None
    ]
    for connector in cert_connectors:
        name = _certificate_domain(connector.text("TlsSenderCertificateName") or "")
        if "*" in name[1:] or (name.startswith("*") and not name.startswith("*.")):
            yield finding(
                "audit.connector-cert-mismatch",
                f"Inbound connector '{connector.name}' expects {name!r}, which no certificate "
                "can match (a wildcard may only be the first label).",
                fix=command(
                    "Set-InboundConnector",
                    Identity=connector.name,
                    TlsSenderCertificateName="<name on the certificate>",
                ),
                evidence=(connector.evidence("TlsSenderCertificateName"),),
            )
    for cert in ctx.device_certs:
        yield from _device_certificate(ctx, cert, cert_connectors)


def _device_certificate(
    ctx: AuditContext, cert: DeviceCertificate, connectors: list[ConfigObject]
) -> Iterator[Finding]:
    if cert.not_after is not None and cert.not_after < ctx.now:
        yield finding(
            "audit.device-cert-expired",
            f"{cert.source} expired on {cert.not_after:%Y-%m-%d}.",
            evidence=(f"{cert.source}: not after {cert.not_after.isoformat()}",),
        )
    expected = {
        c.name: _certificate_domain(c.text("TlsSenderCertificateName") or "") for c in connectors
    }
    if any(_cert_matches(pattern, cert.names) for pattern in expected.values()):
        return
    wanted = (
        ", ".join(f"'{n}' expects {p}" for n, p in expected.items())
        or "no enabled connector names a certificate"
    )
    target = next(iter(expected), "<connector>")
    yield finding(
        "audit.connector-cert-mismatch",
        f"{cert.source} carries {', '.join(cert.names) or 'no names'}; {wanted}.",
        fix=command(
            "Set-InboundConnector",
            Identity=target,
            TlsSenderCertificateName=cert.names[0] if cert.names else "<name>",
        ),
        evidence=tuple(c.evidence("TlsSenderCertificateName") for c in connectors[:5]),
    )


def _certificate_domain(value: str) -> str:
    """The domain in a TlsSenderCertificateName (plain, or ``<I>issuer<S>CN=name``)."""
    if "<S>" in value:
        subject = value.split("<S>", 1)[1]
        for part in subject.split(","):
            key, _, name = part.strip().partition("=")
            if key.upper() == "CN":
                return name.strip().lower()
    return value.strip().lower()


def _cert_matches(pattern: str, names: Sequence[str]) -> bool:
    """A connector's name against a certificate's names (``*.x`` covers x and below)."""
    if pattern.startswith("*."):
        base = pattern[2:]
        return any(n == base or n.endswith("." + base) for n in names)
    return pattern in names or any(
        n.startswith("*.") and pattern.endswith(n[1:]) and pattern.count(".") == n.count(".")
        for n in names
    )


def _device_ips(ctx: AuditContext) -> Iterator[Finding]:
    if not ctx.device_ips:
        return
    connectors = ctx.enabled("InboundConnector")
    covered = [
        net for c in connectors for _e, nets in c.networks("SenderIPAddresses") for net in nets
    ]
    for text in ctx.device_ips:
        device = parse_ip_entry(text)
        if any(overlaps(d, net) for d in device for net in covered):
            continue
        target = connectors[0].name if connectors else "<connector>"
        yield finding(
            "audit.connector-ip-mismatch",
            f"No enabled inbound connector lists {text}.",
            fix=command(
                "Set-InboundConnector", Identity=target, SenderIPAddresses=Edit("Add", (text,))
            ),
            evidence=tuple(c.evidence("SenderIPAddresses") for c in connectors[:5]),
        )


# -- filtering, direct send, Basic auth, legacy TLS -----------------------------------------------
def _allow_listed_relays(ctx: AuditContext) -> Iterator[Finding]:
    relay_nets = [
        (f"connector '{c.name}'", net)
        for c in ctx.enabled("InboundConnector")
        for _e, nets in c.networks("SenderIPAddresses")
        for net in nets
    ]
    relay_nets += [(f"device IP {ip}", net) for ip in ctx.device_ips for net in parse_ip_entry(ip)]
    for policy in ctx.of("HostedConnectionFilterPolicy"):
        for entry, networks in policy.networks("IPAllowList"):
            owners = sorted(
                {who for who, net in relay_nets if any(overlaps(net, n) for n in networks)}
            )
            if owners:
                yield finding(
                    "audit.relay-ip-allow-listed",
                    f"Connection filter policy '{policy.name}' allows {entry}, which is the "
                    f"relay source of {', '.join(owners)}: its mail skips spam filtering.",
                    fix=command(
                        "Set-HostedConnectionFilterPolicy",
                        Identity=policy.name,
                        IPAllowList=Edit("Remove", (entry,)),
                    ),
                    evidence=(policy.evidence("IPAllowList"),),
                )


def _direct_send(ctx: AuditContext) -> Iterator[Finding]:
    relays = [
        c.name
        for c in ctx.enabled("InboundConnector")
        if c.items("SenderIPAddresses") or c.text("TlsSenderCertificateName")
    ]
    for org in ctx.of("OrganizationConfig"):
        if not org.has("RejectDirectSend"):
            yield finding(
                "audit.direct-send-unknown",
                f"Organization config '{org.name}' has no RejectDirectSend property.",
            )
        elif org.flag("RejectDirectSend") is False and relays:
            yield finding(
                "audit.direct-send-allowed",
                f"RejectDirectSend is False while connector(s) {_listing(relays)} carry the "
                "devices' mail.",
                fix=command("Set-OrganizationConfig", RejectDirectSend=True),
                evidence=(org.evidence("RejectDirectSend"),),
            )


def _basic_auth(ctx: AuditContext) -> Iterator[Finding]:
    defaults = {
        (o.text("DefaultAuthenticationPolicy") or "").lower() for o in ctx.of("OrganizationConfig")
    } - {""}
    for policy in ctx.of("AuthenticationPolicy"):
        if policy.flag("AllowBasicAuthSmtp"):
            scope = (
                "it is the organization's default policy, so this applies to every user"
                if policy.name.lower() in defaults
                else "it applies to the users it is assigned to"
            )
            yield finding(
                "audit.basic-auth-smtp",
                f"Authentication policy '{policy.name}' has AllowBasicAuthSmtp = True; {scope}.",
                fix=command(
                    "Set-AuthenticationPolicy",
                    Identity=policy.name,
                    AllowBasicAuthSmtp=Switch(False),
                ),
                evidence=(policy.evidence("AllowBasicAuthSmtp"),),
            )


def _legacy_tls(ctx: AuditContext) -> Iterator[Finding]:
    for config in ctx.of("TransportConfig"):
        if config.flag("AllowLegacyTLSClients"):
            yield finding(
                "audit.legacy-tls",
                "Transport config has AllowLegacyTLSClients = True.",
                fix=command("Set-TransportConfig", AllowLegacyTLSClients=False),
                evidence=(config.evidence("AllowLegacyTLSClients"),),
            )


RULES: tuple[Rule, ...] = (
    _smtp_auth_tenant_wide,
    _smtp_auth_mailboxes,
    _inbound_tls,
    _outbound_tls,
    _connector_ranges,
    _connector_restriction,
    _treat_as_internal,
    _certificate_names,
    _device_ips,
    _allow_listed_relays,
    _direct_send,
    _basic_auth,
    _legacy_tls,
    _disabled_connectors,
)


# -- running --------------------------------------------------------------------------------------
def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_LIST_LIMIT])
    more = len(names) - _LIST_LIMIT
    return shown + (f" and {more:,} more" if more > 0 else "")


def _summary_findings(ctx: AuditContext, found: list[Finding]) -> Iterator[Finding]:
    missing = [k for k in KINDS if k not in CUTOVER_ONLY_KINDS and not ctx.has(k)]
    if missing:
        yield finding(
            "audit.kind-missing",
            f"Not exported: {', '.join(missing)}.",
            fix="Export them too: " + "; ".join(EXPORT_COMMANDS[k] for k in missing),
        )
    if not any(f.severity >= Severity.WARNING for f in found):
        objects = sum(len(f.objects) for f in ctx.files)
        yield finding(
            "audit.clean",
            f"{objects:,} object(s) checked, no rule matched at warning level or above.",
        )


def audit_exports(ctx: AuditContext) -> AuditResult:
    """Run every rule over already loaded exports."""
    found = [f for rule in RULES for f in rule(ctx)]
    found.extend(_summary_findings(ctx, found))
    certificates = [
        DeviceCertificateData(
            c.source, list(c.names), c.not_after.isoformat() if c.not_after else None
        )
        for c in ctx.device_certs
    ]
    data = AuditData(
        inputs=[f.summary() for f in ctx.files],
        device=AuditDevice(list(ctx.device_ips), certificates),
    )
    return AuditResult.from_model(data, found)


def audit_files(
    paths: Iterable[str | Path],
    *,
    device_ips: Iterable[str] = (),
    device_certs: Iterable[str | Path] = (),
) -> AuditResult:
    """Load the exports and audit them; ExportError when a file or input cannot be used."""
    files = [read_export(p) for p in paths]
    if not files:
        raise ExportError("give at least one export file")
    ips = tuple(_check_ip(ip) for ip in device_ips)
    certs = tuple(load_device_certificate(p) for p in device_certs)
    return audit_exports(AuditContext(files, ips, certs))


def _check_ip(text: str) -> str:
    try:
        parse_ip_entry(text)
    except ValueError:
        raise ExportError(f"--device-ip: {text!r} is not an IP address or range") from None
    return text.strip()


def load_device_certificate(path: str | Path) -> DeviceCertificate:
    """Names (CN and DNS SANs, lower case) and expiry of a PEM or DER certificate."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        cert = (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError:
        raise ExportError(f"{path}: not a PEM or DER certificate") from None
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    unique = tuple(dict.fromkeys(n.lower() for n in names))
    return DeviceCertificate(str(path), unique, cert.not_valid_after_utc)
