"""Who may use SMTP AUTH, and with Basic credentials, from the exported Exchange settings.

Three settings decide it (Microsoft, "Enable or disable SMTP AUTH in Exchange Online"):
``Get-TransportConfig`` SmtpClientAuthenticationDisabled for the organization; per mailbox
``Get-CASMailbox`` SmtpClientAuthenticationDisabled (``$true``/``$false`` wins, ``$null``
follows the organization); and an authentication policy with ``AllowBasicAuthSmtp`` False,
assigned to the user (``Get-User`` AuthenticationPolicy) or as the organization default
(``Get-OrganizationConfig`` DefaultAuthenticationPolicy), which blocks Basic before Entra ID
sees the sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from o365diag.setup.exports import ConfigObject, ExportFile

__all__ = ["MailboxSmtpAuth", "SmtpAuthSettings", "smtp_auth_settings"]

STATES = ("enabled", "disabled", "inherited-enabled", "inherited-disabled", "unknown")


@dataclass(frozen=True)
class MailboxSmtpAuth:
    """One mailbox's SMTP AUTH setting as exported."""

    address: str
    explicit: bool | None  # True: enabled explicitly; False: disabled explicitly; None: inherits
    evidence: str


@dataclass
class SmtpAuthSettings:
    """The SMTP AUTH and authentication-policy settings of a tenant, keyed by lower-case address."""

    org_disabled: bool | None = None
    org_evidence: str | None = None
    default_policy: str | None = None
    org_config_seen: bool = False
    policies: dict[str, bool | None] = field(default_factory=dict)
    mailboxes: dict[str, MailboxSmtpAuth] = field(default_factory=dict)
    user_policies: dict[str, str | None] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)

    def state(self, address: str) -> str:
        """``enabled``, ``disabled``, ``inherited-enabled``, ``inherited-disabled``, ``unknown``."""
        mailbox = self.mailboxes.get(address.lower())
        if mailbox is not None and mailbox.explicit is not None:
            return "enabled" if mailbox.explicit else "disabled"
        if mailbox is None and "CASMailbox" in self.kinds:
            return "unknown"  # the export does not list this mailbox
        if self.org_disabled is None:
            return "unknown"
        return "inherited-disabled" if self.org_disabled else "inherited-enabled"

    def policy_of(self, address: str) -> str | None:
        """The authentication policy that applies: the user's own, else the organization default."""
        own = self.user_policies.get(address.lower())
        return own or self.default_policy

    def basic_smtp_allowed(self, address: str) -> bool | None:
        """False when an authentication policy blocks Basic SMTP for this user; True when no
        policy applies or the one that does allows it; None when the exports cannot tell."""
        policy = self.policy_of(address)
        if policy is None:
            known_user = address.lower() in self.user_policies
            return True if known_user and self.org_config_seen else None
        return self.policies.get(_policy_key(policy))

    def inheriting_enabled(self) -> list[str]:
        """Mailboxes that follow an organization setting that allows SMTP AUTH."""
        if self.org_disabled is not False:
            return []
        return sorted(a for a, m in self.mailboxes.items() if m.explicit is None)


def smtp_auth_settings(files: Iterable[ExportFile]) -> SmtpAuthSettings:
    """Collect the settings from loaded exports (any mix of kinds; absent ones stay unknown)."""
    settings = SmtpAuthSettings()
    for export in files:
        for obj in export.objects:
            settings.kinds.add(obj.kind)
            _READERS.get(obj.kind, _ignore)(settings, obj)
    return settings


def _policy_key(name: str) -> str:
    # Get-User may show a policy by distinguished name; the policy export by its Name.
    return name.strip().split("\\")[-1].split(",")[0].removeprefix("CN=").strip().lower()


def _read_transport(settings: SmtpAuthSettings, obj: ConfigObject) -> None:
    settings.org_disabled = obj.flag("SmtpClientAuthenticationDisabled")
    settings.org_evidence = obj.evidence("SmtpClientAuthenticationDisabled")


def _read_cas(settings: SmtpAuthSettings, obj: ConfigObject) -> None:
    address = (obj.text("PrimarySmtpAddress") or obj.name).lower()
    explicit = obj.flag("SmtpClientAuthenticationDisabled")
    state = None if explicit is None else not explicit
    evidence = obj.evidence("SmtpClientAuthenticationDisabled")
    settings.mailboxes[address] = MailboxSmtpAuth(address, state, evidence)


def _read_user(settings: SmtpAuthSettings, obj: ConfigObject) -> None:
    policy = obj.text("AuthenticationPolicy")
    for key in ("UserPrincipalName", "WindowsEmailAddress"):
        address = obj.text(key)
        if address:
            settings.user_policies[address.lower()] = policy


def _read_policy(settings: SmtpAuthSettings, obj: ConfigObject) -> None:
    allowed = obj.flag("AllowBasicAuthSmtp")
    for key in ("Name", "Identity"):
        name = obj.text(key)
        if name:
            settings.policies[_policy_key(name)] = allowed


def _read_org(settings: SmtpAuthSettings, obj: ConfigObject) -> None:
    settings.org_config_seen = True
    settings.default_policy = obj.text("DefaultAuthenticationPolicy")


def _ignore(settings: SmtpAuthSettings, obj: ConfigObject) -> None:
    del settings, obj


_READERS = {
    "TransportConfig": _read_transport,
    "CASMailbox": _read_cas,
    "User": _read_user,
    "AuthenticationPolicy": _read_policy,
    "OrganizationConfig": _read_org,
}
