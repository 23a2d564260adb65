"""A synthetic demo tenant (contoso.example) whose inputs agree with each other.

Sign-ins (portal CSV), the SMTP AUTH clients report (last 30 days), Exchange settings (CAS
mailboxes, Get-User, authentication policies, organization and transport config), a message
trace (Get-MessageTraceV2 CSV) and the admin's device inventory, from 1 September to
30 November 2026. Planted cases (``PLANTED``: identity -> expected status and path):

* printer@   a printer on TLS 1.0 with Basic, one fixed public IP     -> relay connector
* invoices@  an app already on OAuth                                  -> safe
* oldscanner@ SMTP AUTH enabled, last used 81 days before as_of       -> turn it off
* scans@     one mailbox used by three devices, internal mail only    -> High Volume Email
* alerts@    hundreds of failed Basic logins from abroad, a foreign
             success, then a burst of mail                            -> turn-off (compromise)
* crm@       inherits SMTP AUTH from the organization, mails customers -> ACS Email
* hr-notify@ Basic blocked by an authentication policy; its mail stopped -> broken, HVE
             (an enforced Conditional Access policy names it too)

Security defaults are off. Conditional Access (Graph Explorer answers, ``graph-policies``):
a report-only block of legacy authentication for all users but a break-glass account (it
would block every Basic row; not enforced, so no status changes), an enforced block that
names hr-notify@ by object ID, an enforced block for a group o365diag cannot resolve (its
effect is unknown, said per row), and an MFA policy for admins that does not block SMTP AUTH.

Only documentation names and addresses are used. Everything is generated from a fixed seed.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from o365diag.cutover.inventory import INVENTORY_FIELDS
from o365diag.tenant.signins import PORTAL_CSV_HEADERS, SMTP_CLIENT_APP
from o365diag.trace.writers import V2_COLUMNS

__all__ = ["DEMO_AS_OF", "PLANTED", "demo_files", "write_demo"]

DEMO_AS_OF = date(2026, 11, 30)
DOMAIN = "contoso.example"
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 91
EXCHANGE_APP = ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000")
INVOICE_APP_ID = "6f2c8a7e-1b3d-4c5e-9f01-23456789abcd"
INVOICE_SP_ID = "0a1b2c3d-4e5f-4a6b-8c9d-0e1f2a3b4c5d"
BAD_PASSWORD = (50126, "Invalid username or password or Invalid on-premise username or password.")

PLANTED: dict[str, tuple[str, str]] = {
    f"printer@{DOMAIN}": ("breaks-at-cutover", "relay-connector"),
    f"invoices@{DOMAIN}": ("safe", "none"),
    f"oldscanner@{DOMAIN}": ("unused-enabled", "turn-off"),
    f"scans@{DOMAIN}": ("breaks-at-cutover", "hve"),
    f"alerts@{DOMAIN}": ("breaks-at-cutover", "turn-off"),
    f"crm@{DOMAIN}": ("breaks-at-cutover", "acs"),
    f"hr-notify@{DOMAIN}": ("broken", "hve"),
}
QUIET_INHERITING = 25


@dataclass(frozen=True)
class SignIn:
    when: datetime
    user: str
    ip: str
    location: str
    code: int = 0
    reason: str = ""
    client: str = SMTP_CLIENT_APP


@dataclass(frozen=True)
class Message:
    when: datetime
    sender: str
    recipients: tuple[str, ...]
    from_ip: str
    subject: str


def _day(n: int, hour: int = 9, minute: int = 0) -> datetime:
    return START + timedelta(days=n, hours=hour, minutes=minute)


# -- the story, as sign-ins and messages ----------------------------------------------------------
def _printer(rng: random.Random) -> Iterator[SignIn | Message]:
    user = f"printer@{DOMAIN}"
    for n in range(DAYS):
        for k in range(rng.randint(2, 4)):
            when = _day(n, 8 + 2 * k, rng.randint(0, 59))
            yield SignIn(when, user, "203.0.113.25", "Springfield, Illinois, US")
            to = (f"frontdesk@{DOMAIN}",) if k % 2 else ("orders@fabrikam.example",)
            yield Message(when, user, to, "203.0.113.25", "Scanned document")


def _invoices(rng: random.Random) -> Iterator[SignIn | Message]:
    user = f"invoices@{DOMAIN}"
    for n in range(DAYS):
        for k in range(rng.randint(10, 16)):
            when = _day(n, 6, 3 * k)
            to = (f"billing{k % 7}@example.net",)
            yield Message(when, user, to, "198.51.100.150", f"Invoice {n:03d}-{k:02d}")


def _oldscanner(rng: random.Random) -> Iterator[SignIn | Message]:
    user = f"oldscanner@{DOMAIN}"
    for n in range(10):
        when = _day(n, 11, rng.randint(0, 59))
        yield SignIn(when, user, "198.51.100.30", "Springfield, Illinois, US")
        yield Message(when, user, (f"archive@{DOMAIN}",), "198.51.100.30", "Scan")


def _scans(rng: random.Random) -> Iterator[SignIn | Message]:
    user = f"scans@{DOMAIN}"
    sites = (
        ("198.51.100.10", "Springfield, Illinois, US"),
        ("198.51.100.11", "Springfield, Illinois, US"),
        ("203.0.113.40", "Portland, Oregon, US"),
    )
    for n in range(DAYS):
        for ip, location in sites:
            when = _day(n, rng.randint(8, 17), rng.randint(0, 59))
            yield SignIn(when, user, ip, location)
            yield Message(when, user, (f"staff{rng.randint(1, 9)}@{DOMAIN}",), ip, "Scan to email")


def _alerts(rng: random.Random) -> Iterator[SignIn | Message]:
    user = f"alerts@{DOMAIN}"
    for n in range(DAYS):
        when = _day(n, 7, rng.randint(0, 59))
        yield SignIn(when, user, "203.0.113.60", "Springfield, Illinois, US")
        yield Message(when, user, (f"it-ops@{DOMAIN}",), "203.0.113.60", "Nightly job report")
    for k in range(420):  # a password spray from abroad, days 78-81
        when = _day(78 + k // 140, 0, 0) + timedelta(minutes=3 * (k % 140))
        yield SignIn(when, user, f"192.0.2.{10 + k % 40}", "Minsk, Minsk, BY", *BAD_PASSWORD)
    takeover = _day(82, 2, 15)
    yield SignIn(takeover, user, "192.0.2.77", "Minsk, Minsk, BY")
    for k in range(900):  # the burst of mail that follows
        when = takeover + timedelta(minutes=10 + k // 3)
        to = (f"victim{k}@example.org",)
        yield Message(when, user, to, "192.0.2.77", "Payment overdue")
        if k % 150 == 0:
            yield SignIn(when, user, "192.0.2.77", "Minsk, Minsk, BY")


def _crm(rng: random.Random) -> Iterator[SignIn | Message]:
    user = f"crm@{DOMAIN}"
    for n in range(DAYS):
        for k in range(rng.randint(3, 6)):
            ip = f"198.51.100.{200 + rng.randint(0, 9)}"
            when = _day(n, 9 + k, rng.randint(0, 59))
            yield SignIn(when, user, ip, "Des Moines, Iowa, US")
            yield Message(
                when, user, (f"customer{rng.randint(1, 40)}@example.net",), ip, "Your order"
            )


def _hr_notify(rng: random.Random) -> Iterator[SignIn | Message]:
    # An authentication policy blocks Basic from day 51: refused before Entra ID, so the sign-in
    # log never shows it; only the mail that stopped does.
    user = f"hr-notify@{DOMAIN}"
    for n in range(51):
        when = _day(n, 10, rng.randint(0, 59))
        yield Message(
            when, user, (f"staff{rng.randint(1, 9)}@{DOMAIN}",), "203.0.113.90", "HR notice"
        )


def _people(rng: random.Random) -> Iterator[SignIn | Message]:
    for n in range(0, DAYS, 3):
        for person in ("anna", "ben"):
            when = _day(n, 9, rng.randint(0, 59))
            yield SignIn(
                when,
                f"{person}@{DOMAIN}",
                "203.0.113.5",
                "Springfield, Illinois, US",
                client="Browser",
            )
            yield Message(when, f"{person}@{DOMAIN}", ("partner@fabrikam.example",), "", "Hello")


_STORIES = (_printer, _invoices, _oldscanner, _scans, _alerts, _crm, _hr_notify, _people)


def _events() -> tuple[list[SignIn], list[Message]]:
    rng = random.Random(2026)
    signins: list[SignIn] = []
    messages: list[Message] = []
    for story in _STORIES:
        for event in story(rng):
            if isinstance(event, SignIn):
                signins.append(event)
            else:
                messages.append(event)
    end = datetime.combine(DEMO_AS_OF, datetime.max.time(), tzinfo=UTC)
    return (
        sorted((s for s in signins if s.when <= end), key=lambda s: s.when),
        sorted((m for m in messages if m.when <= end), key=lambda m: m.when),
    )


# -- the files -------------------------------------------------------------------------------------
def _signins_csv(signins: list[SignIn]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PORTAL_CSV_HEADERS)
    index = {name: i for i, name in enumerate(PORTAL_CSV_HEADERS)}
    for number, s in enumerate(signins):
        row = [""] * len(PORTAL_CSV_HEADERS)
        values = {
            "Date (UTC)": s.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Request ID": f"demo-{number:06d}",
            "Correlation ID": f"corr-{number:06d}",
            "User ID": object_id(s.user),
            "User": s.user.partition("@")[0].title(),
            "Username": s.user,
            "Application": EXCHANGE_APP[0],
            "Application ID ": EXCHANGE_APP[1],
            "IP address": s.ip,
            "Location": s.location,
            "Status": "Success" if s.code == 0 else "Failure",
            "Sign-in error code": str(s.code),
            "Failure reason": s.reason,
            "Client app": s.client,
            "Authentication requirement": "Single-factor authentication",
        }
        for name, value in values.items():
            row[index[name]] = value
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def _trace_csv(messages: list[Message]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(list(V2_COLUMNS))
    for number, m in enumerate(messages):
        message_id = f"<demo-{number:06d}@{DOMAIN}>"
        for k, recipient in enumerate(m.recipients):
            writer.writerow(
                [
                    m.when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    m.sender,
                    recipient,
                    m.subject,
                    "Delivered",
                    "",
                    m.from_ip,
                    "24512",
                    message_id,
                    f"00000000-0000-4000-8000-{number:08d}{k:04d}",
                ]
            )
    return out.getvalue().encode("utf-8")


_REPORT_ROWS = (  # sender, TLS 1.0/1.1/1.2 shares, protocol; messages come from the trace
    (f"printer@{DOMAIN}", (100, 0, 0), "Basic"),
    (f"invoices@{DOMAIN}", (0, 0, 100), "OAuth"),
    (f"scans@{DOMAIN}", (0, 0, 100), "Basic"),
    (f"alerts@{DOMAIN}", (0, 0, 100), "Basic"),
    (f"crm@{DOMAIN}", (0, 0, 100), "Basic"),
)


# Earlier SMTP AUTH clients reports (30 days each, no dates inside: dated by their names) for the
# burndown; hr-notify@ still sent with Basic until its policy blocked it in October.
SNAPSHOT_DAYS = (date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23))
_EARLIER_ROWS = (*_REPORT_ROWS, (f"hr-notify@{DOMAIN}", (0, 0, 100), "Basic"))


def _report_csv(
    messages: list[Message],
    end: date = DEMO_AS_OF,
    rows: tuple[tuple[str, tuple[int, int, int], str], ...] = _REPORT_ROWS,
    *,
    keep_silent: bool = True,
) -> bytes:
    since = datetime.combine(end - timedelta(days=29), datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    counts: dict[str, int] = {}
    for m in messages:
        if since <= m.when < until:
            counts[m.sender] = counts.get(m.sender, 0) + 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "Sender address",
            "Domain",
            "TLS 1.0 %",
            "TLS 1.1 %",
            "TLS 1.2 %",
            "Messages sent",
            "Authentication Protocol",
        ]
    )
    for sender, (t10, t11, t12), protocol in rows:
        if keep_silent or counts.get(sender):
            writer.writerow(
                [sender, DOMAIN, f"{t10}%", f"{t11}%", f"{t12}%", counts.get(sender, 0), protocol]
            )
    return out.getvalue().encode("utf-8")


def demo_snapshot_files() -> list[tuple[str, bytes]]:
    """Earlier SMTP AUTH clients reports of the demo tenant, one snapshot each (--snapshot)."""
    _signins, messages = _events()
    return [
        (
            f"SMTPAuthClients_{day.isoformat()}.csv",
            _report_csv(messages, day, _EARLIER_ROWS, keep_silent=False),
        )
        for day in SNAPSHOT_DAYS
    ]


def _json(value: object) -> bytes:
    # Windows PowerShell's "> file" writes UTF-16 LE with a BOM.
    return json.dumps(value, indent=4).encode("utf-16")


def _cas(address: str, disabled: bool | None, protocols: bool = False) -> dict[str, object]:
    return {
        "PrimarySmtpAddress": address,
        "SmtpClientAuthenticationDisabled": disabled,
        "PopEnabled": protocols,
        "ImapEnabled": protocols,
    }


def object_id(address: str) -> str:
    """The demo's Entra object ID of a user: the same in sign-ins, Get-User and policies."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, address))


def _user(address: str) -> dict[str, object]:
    policy = "Block Basic SMTP" if address.startswith("hr-notify@") else None
    return {
        "UserPrincipalName": address,
        "ExternalDirectoryObjectId": object_id(address),
        "RecipientTypeDetails": "UserMailbox",
        "AuthenticationPolicy": policy,
    }


def _exchange_files() -> list[tuple[str, bytes]]:
    explicit = ("printer", "invoices", "oldscanner", "scans", "alerts", "hr-notify")
    addresses = [f"{name}@{DOMAIN}" for name in explicit]
    cas = [_cas(address, False) for address in addresses]
    cas.append(_cas(f"crm@{DOMAIN}", None))
    cas.append(_cas(f"former-fax@{DOMAIN}", True))
    people = ("anna", "ben", *(f"user{n:02d}" for n in range(1, QUIET_INHERITING - 1)))
    cas += [_cas(f"{person}@{DOMAIN}", None, protocols=True) for person in people]
    everyone = [*addresses, f"crm@{DOMAIN}", f"former-fax@{DOMAIN}"]
    everyone += [f"{person}@{DOMAIN}" for person in people]
    transport = {
        "Identity": "Transport Settings",
        "SmtpClientAuthenticationDisabled": False,
        "AllowLegacyTLSClients": False,
    }
    policy = {
        "Name": "Block Basic SMTP",
        "Identity": "Block Basic SMTP",
        "AllowBasicAuthSmtp": False,
    }
    organization = {
        "Identity": DOMAIN,
        "DefaultAuthenticationPolicy": None,
        "RejectDirectSend": False,
    }
    return [
        ("TransportConfig.json", _json(transport)),
        ("CASMailbox.json", _json(cas)),
        ("User.json", _json([_user(a) for a in everyone])),
        ("AuthenticationPolicy.json", _json([policy])),
        ("OrganizationConfig.json", _json(organization)),
    ]


EXCHANGE_ONLINE = EXCHANGE_APP[1]
BREAK_GLASS = f"breakglass@{DOMAIN}"
GLOBAL_ADMIN_ROLE = "62e90394-69f5-4237-9190-012177145e10"
CONTRACTORS_GROUP = "7d3c1b2a-5e4f-4a6b-9c8d-0e1f2a3b4c5d"
_GRAPH = "https://graph.microsoft.com/v1.0/$metadata#"


def _ca_policy(
    number: int, name: str, state: str, users: dict[str, list[str]], **parts: object
) -> dict[str, object]:
    conditions: dict[str, object] = {
        "clientAppTypes": parts.get("client_apps", ["exchangeActiveSync", "other"]),
        "applications": {"includeApplications": parts.get("apps", ["All"])},
        "users": {
            key: users.get(key, [])
            for key in ("includeUsers", "excludeUsers", "includeGroups", "excludeGroups")
        }
        | {"includeRoles": users.get("includeRoles", []), "excludeRoles": []},
        "locations": parts.get("locations"),
        "platforms": None,
        "signInRiskLevels": [],
        "userRiskLevels": [],
    }
    return {
        "id": f"00000000-0000-4000-a000-{number:012d}",
        "displayName": name,
        "createdDateTime": "2026-03-02T09:00:00Z",
        "modifiedDateTime": "2026-10-19T14:30:00Z",
        "state": state,
        "conditions": conditions,
        "grantControls": {
            "operator": "OR",
            "builtInControls": parts.get("controls", ["block"]),
            "customAuthenticationFactors": [],
            "termsOfUse": [],
        },
        "sessionControls": None,
    }


def _policy_files() -> list[tuple[str, bytes]]:
    """Graph Explorer answers of the two endpoints the tenant connector reads."""
    defaults = {
        "@odata.context": _GRAPH + "policies/identitySecurityDefaultsEnforcementPolicy/$entity",
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms.",
        "isEnabled": False,
    }
    policies = [
        _ca_policy(
            1,
            "Block legacy authentication (pilot)",
            "enabledForReportingButNotEnforced",
            {"includeUsers": ["All"], "excludeUsers": [object_id(BREAK_GLASS)]},
        ),
        _ca_policy(
            2,
            "Block legacy authentication - HR systems",
            "enabled",
            {"includeUsers": [object_id(f"hr-notify@{DOMAIN}")]},
            client_apps=["other"],
            apps=[EXCHANGE_ONLINE],
        ),
        _ca_policy(
            3,
            "Block legacy authentication - contractors outside the office",
            "enabled",
            {"includeGroups": [CONTRACTORS_GROUP]},
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
        ),
        _ca_policy(
            4,
            "Require MFA for administrators",
            "enabled",
            {"includeRoles": [GLOBAL_ADMIN_ROLE]},
            client_apps=["all"],
            controls=["mfa"],
        ),
    ]
    answer = {"@odata.context": _GRAPH + "identity/conditionalAccess/policies", "value": policies}
    return [
        ("GraphPolicies-SecurityDefaults.json", json.dumps(defaults, indent=2).encode()),
        ("GraphPolicies-ConditionalAccess.json", json.dumps(answer, indent=2).encode()),
    ]


def _inventory_csv() -> bytes:
    rows = [
        INVENTORY_FIELDS,
        (
            f"printer@{DOMAIN}",
            "printer",
            "Contoso LaserJet 4000",
            "facilities",
            "no",
            "203.0.113.25",
            "",
            "",
            "",
            "firmware 2019, TLS 1.0 only",
        ),
        (
            f"invoices@{DOMAIN}",
            "app",
            "Invoice service",
            "finance IT",
            "yes",
            "",
            "external",
            INVOICE_APP_ID,
            INVOICE_SP_ID,
            "moved to XOAUTH2 in 2025",
        ),
        (
            f"scans@{DOMAIN}",
            "mfd",
            "Fabrikam MFP fleet",
            "facilities",
            "no",
            "",
            "internal",
            "",
            "",
            "three sites",
        ),
        (f"crm@{DOMAIN}", "app", "Hosted CRM", "sales ops", "", "", "", "", "", "vendor-hosted"),
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def demo_files() -> list[tuple[str, bytes]]:
    """The demo tenant's input files as ``(name, bytes)``, ready for ``load_inputs``."""
    signins, messages = _events()
    return [
        ("InteractiveSignIns_2026-09-01_2026-11-30.csv", _signins_csv(signins)),
        ("SMTPAuthClients_last30days.csv", _report_csv(messages)),
        ("MessageTraceV2.csv", _trace_csv(messages)),
        *_exchange_files(),
        *_policy_files(),
        ("devices.csv", _inventory_csv()),
    ]


def write_demo(folder: str | Path) -> list[Path]:
    """Write the demo tenant's files into ``folder`` and its earlier snapshots into
    ``folder/earlier`` (for ``--snapshot``); return their paths."""
    target = Path(folder)
    paths = []
    for where, files in ((target, demo_files()), (target / "earlier", demo_snapshot_files())):
        where.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            path = where / name
            path.write_bytes(data)
            paths.append(path)
    return paths
