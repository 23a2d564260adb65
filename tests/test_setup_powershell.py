"""Generated PowerShell parses and names only the objects it should.

PowerShell itself is not available here, so a small tokenizer and grammar for the subset the
assistant writes checks every command of every plan: cmdlet names from an allowed list, each
parameter one that cmdlet has (per Microsoft's cmdlet reference), switches without a separate
value, other parameters with one, quoting balanced (doubled quotes, including the typographic
ones PowerShell also treats as quotes), and hashtables closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

import pytest

from o365diag.setup.answers import SetupAnswers
from o365diag.setup.generate import connector_name, plan_setup
from o365diag.setup.powershell import Bare, Edit, Switch, command, pipeline, quote
from tests.test_setup_recommend import COMBINATIONS, NAMES, answers_for

# Parameters per cmdlet, from the Exchange Online cmdlet reference (learn.microsoft.com/powershell/
# module/exchangepowershell/<cmdlet>); switches are listed separately.
PARAMETERS: dict[str, set[str]] = {
    "Connect-ExchangeOnline": {"UserPrincipalName", "Organization"},
    "Get-TransportConfig": set(),
    "Set-TransportConfig": {"SmtpClientAuthenticationDisabled", "AllowLegacyTLSClients"},
    "Get-CASMailbox": {"Identity"},
    "Set-CASMailbox": {"Identity", "SmtpClientAuthenticationDisabled"},
    "Add-RecipientPermission": {"Identity", "Trustee", "AccessRights"},
    "Get-User": {"Identity"},
    "Get-AuthenticationPolicy": {"Identity"},
    "Set-AuthenticationPolicy": {"Identity"},
    "New-ServicePrincipal": {"AppId", "ObjectId", "ServiceId", "DisplayName"},
    "Add-MailboxPermission": {"Identity", "User", "AccessRights"},
    "Get-OrganizationConfig": set(),
    "Set-OrganizationConfig": {"RejectDirectSend"},
    "Get-AcceptedDomain": {"Identity"},
    "New-InboundConnector": {
        "Name",
        "ConnectorType",
        "SenderDomains",
        "SenderIPAddresses",
        "RequireTls",
        "TlsSenderCertificateName",
        "RestrictDomainsToIPAddresses",
        "RestrictDomainsToCertificate",
        "Comment",
        "Enabled",
    },
    "Get-InboundConnector": {"Identity"},
    "Set-InboundConnector": {
        "Identity",
        "RequireTls",
        "SenderIPAddresses",
        "TlsSenderCertificateName",
        "RestrictDomainsToIPAddresses",
        "RestrictDomainsToCertificate",
        "TreatMessagesAsInternal",
    },
    "Remove-InboundConnector": {"Identity"},
    "Set-OutboundConnector": {"Identity", "TlsSettings", "TlsDomain"},
    "Remove-OutboundConnector": {"Identity"},
    "Get-HostedConnectionFilterPolicy": {"Identity"},
    "Set-HostedConnectionFilterPolicy": {"Identity", "IPAllowList"},
    "Add-HVEAppAccess": {"Identity", "AppIds"},
    "Get-DkimSigningConfig": {"Identity"},
    "Set-DkimSigningConfig": {"Identity", "Enabled"},
    "Format-List": set(),
    "Format-Table": set(),
}
SWITCHES: dict[str, set[str]] = {"Set-AuthenticationPolicy": {"AllowBasicAuthSmtp"}}
# Cmdlets that change the whole tenant: the assistant may only suggest turning direct send off.
TENANT_WIDE_CHANGES = {
    "Set-TransportConfig",
    "Set-AuthenticationPolicy",
    "Set-HostedConnectionFilterPolicy",
    "Set-OrganizationConfig",
}

_QUOTES = "'\u2018\u2019\u201a\u201b"
_SQ = f"[{_QUOTES}](?:[^{_QUOTES}]|[{_QUOTES}]{{2}})*[{_QUOTES}]"
_TOKEN = re.compile(
    r"""(?P<space>[ \t]+)
      | (?P<sq>"""
    + _SQ
    + r""")
      | (?P<hash>@\{)
      | (?P<close>\})
      | (?P<pipe>\|)
      | (?P<comma>,)
      | (?P<eq>=)
      | (?P<param>-[A-Za-z][A-Za-z0-9]*(?::\$(?:true|false))?)
      | (?P<var>\$(?:true|false|null))
      | (?P<number>\d+)
      | (?P<word>[A-Za-z*][A-Za-z0-9.*-]*)
    """,
    re.VERBOSE,
)


class ParseError(AssertionError):
    pass


@dataclass
class Call:
    cmdlet: str
    params: dict[str, list[str]] = field(default_factory=dict)
    positional: list[list[str]] = field(default_factory=list)


def tokenize(line: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(line):
        match = _TOKEN.match(line, position)
        if match is None:
            raise ParseError(f"cannot read {line[position : position + 20]!r} in {line!r}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup or "", match.group()))
        position = match.end()
    return tokens


def unquote(token: str) -> str:
    inner = token[1:-1]
    return re.sub(f"([{_QUOTES}])\\1", r"\1", inner)


def parse(line: str) -> list[Call]:
    """A pipeline of cmdlet calls; raises ParseError for anything outside the grammar."""
    tokens = tokenize(line)
    calls: list[Call] = []
    position = 0
    while True:
        kind, text = tokens[position] if position < len(tokens) else ("end", "")
        if kind != "word" or text not in PARAMETERS:
            raise ParseError(f"expected an allowed cmdlet, found {text!r} in {line!r}")
        call = Call(text)
        position += 1
        while position < len(tokens) and tokens[position][0] != "pipe":
            position = _argument(tokens, position, call, line)
        calls.append(call)
        if position >= len(tokens):
            return calls
        position += 1  # the pipe


def _argument(tokens: list[tuple[str, str]], position: int, call: Call, line: str) -> int:
    kind, text = tokens[position]
    if kind == "param":
        name, _, inline = text[1:].partition(":")
        allowed, switches = PARAMETERS[call.cmdlet], SWITCHES.get(call.cmdlet, set())
        if name in call.params:
            raise ParseError(f"-{name} given twice in {line!r}")
        if name in switches:
            call.params[name] = [inline or "$true"]
            return position + 1
        if name not in allowed or inline:
            raise ParseError(f"{call.cmdlet} has no parameter -{name} (in {line!r})")
        values, position = _value(tokens, position + 1, line)
        call.params[name] = values
        return position
    values, position = _value(tokens, position, line)
    call.positional.append(values)
    return position


def _value(tokens: list[tuple[str, str]], position: int, line: str) -> tuple[list[str], int]:
    values = []
    while True:
        if position >= len(tokens):
            raise ParseError(f"a parameter has no value in {line!r}")
        kind, text = tokens[position]
        if kind == "sq":
            values.append(unquote(text))
        elif kind in ("var", "number", "word"):
            values.append(text)
        elif kind == "hash":
            inner, position = _hashtable(tokens, position + 1, line)
            values.append(inner)
        else:
            raise ParseError(f"unexpected {text!r} in {line!r}")
        position += 1
        if position < len(tokens) and tokens[position][0] == "comma":
            position += 1
            continue
        return values, position


def _hashtable(tokens: list[tuple[str, str]], position: int, line: str) -> tuple[str, int]:
    if tokens[position][0] != "word" or tokens[position][1] not in ("Add", "Remove"):
        raise ParseError(f"a hashtable needs Add= or Remove= in {line!r}")
    action = tokens[position][1]
    if tokens[position + 1][0] != "eq":
        raise ParseError(f"missing '=' in {line!r}")
    values, position = _value(tokens, position + 2, line)
    if position >= len(tokens) or tokens[position][0] != "close":
        raise ParseError(f"unclosed hashtable in {line!r}")
    return f"{action}|{'|'.join(values)}", position


# -- the checker checks ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "Set-CASMailbox -Identity 'a@example.com",  # unbalanced quote
        "Set-CASMailbox -Identity 'it's' -SmtpClientAuthenticationDisabled $false",
        "Invoke-Expression 'x'",  # not an allowed cmdlet
        "Set-CASMailbox -Identity 'a@example.com' -Password 'x'",  # no such parameter
        "Set-CASMailbox -Identity",  # parameter without a value
        "Set-InboundConnector -Identity 'x' -SenderIPAddresses @{Remove='192.0.2.1'",
        "Get-CASMailbox -Identity 'a' | Format-List X; Remove-Mailbox 'a'",
        "Set-CASMailbox -Identity 'a' -Identity 'b'",
    ],
)
def test_the_checker_refuses_broken_commands(line: str) -> None:
    with pytest.raises(ParseError):
        parse(line)


def test_the_checker_reads_what_the_builder_writes() -> None:
    line = pipeline(
        command("Get-InboundConnector", Identity="O'Brien ‘relay’"),
        command("Format-List", (Bare("Name"), Bare("RequireTls"))),
    )
    calls = parse(line)
    assert calls[0].params["Identity"] == ["O'Brien ‘relay’"]
    assert calls[1].positional == [["Name", "RequireTls"]]
    edit = command(
        "Set-HostedConnectionFilterPolicy",
        Identity="Default",
        IPAllowList=Edit("Remove", ("203.0.113.25",)),
    )
    assert parse(edit)[0].params["IPAllowList"] == ["Remove|203.0.113.25"]
    switch = command("Set-AuthenticationPolicy", Identity="p", AllowBasicAuthSmtp=Switch(False))
    assert parse(switch)[0].params["AllowBasicAuthSmtp"] == ["$false"]


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "it's",
        "‘smart’ and ’odd‚ quotes‛",
        "$(danger)",
        "`backtick`",
        "semi;colon | pipe",
        "@{not=a table}",
    ],
)
def test_quoting_keeps_any_text_one_literal(text: str) -> None:
    calls = parse(command("Get-User", Identity=text))
    assert calls[0].params["Identity"] == [text]


@pytest.mark.parametrize("text", ["line\nbreak", "nul\x00", "cr\r"])
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        quote(text)


# -- every generated plan ------------------------------------------------------------------------
def expected_objects(answers: SetupAnswers) -> set[str]:
    """Every value a plan's commands may name: the answers' own objects, nothing else."""
    objects = {
        answers.domain,
        answers.sender,
        answers.signin_mailbox,
        connector_name(answers),
        "*",
        answers.certificate_name,
        answers.app_id,
        answers.service_principal_id,
    }
    objects |= set(answers.static_ips)
    return {o for o in objects if o}


def named_values(calls: list[Call]) -> set[str]:
    """String literals the commands pass (bare enum words, $true/$false and numbers excluded)."""
    names = set()
    for call in calls:
        for values in call.params.values():
            for value in values:
                if value.startswith(("Add|", "Remove|")):
                    names.update(value.split("|")[1:])
                elif not re.fullmatch(r"\$(true|false|null)|\d+|[A-Z][A-Za-z]*", value):
                    names.add(value)
    return names


def check_plan_commands(answers: SetupAnswers) -> None:
    plan = plan_setup(answers)
    allowed = expected_objects(answers)
    for step in plan.powershell:
        calls = parse(step.command)
        assert step.explanation.strip(), step.command
        assert named_values(calls) <= allowed, (step.command, named_values(calls) - allowed)
        for call in calls:
            if call.cmdlet in TENANT_WIDE_CHANGES:
                assert call.cmdlet == "Set-OrganizationConfig", step.command
                assert plan.option in ("relay", "other"), step.command
            if call.cmdlet.startswith(("Set-", "Add-", "New-")) and "Identity" in call.params:
                assert set(call.params["Identity"]) <= allowed


def test_every_plan_for_every_combination_parses() -> None:
    for combo in COMBINATIONS:
        check_plan_commands(answers_for(combo))


@pytest.mark.parametrize(
    "changes",
    [
        {"device_name": "O'Neil's scanner (2nd floor)"},
        {"sender": "o'neil@example.com", "mailbox": "svc.scan@example.com"},
        {
            "app_id": "11111111-2222-3333-4444-555555555555",
            "service_principal_id": "66666666-7777-8888-9999-000000000000",
        },
        {"static_ips": ("203.0.113.25", "198.51.100.0/28", "2001:db8::25")},
    ],
)
@pytest.mark.parametrize("auth", ["oauth", "basic", "none"])
@pytest.mark.parametrize("recipients", ["internal", "both"])
def test_awkward_answers_still_give_well_formed_commands(
    changes: dict[str, object], auth: str, recipients: str
) -> None:
    base: dict[str, object] = {
        "domain": "example.com",
        "sender": "scanner@example.com",
        "tls": True,
        "auth": auth,
        "recipients": recipients,
        "static_ips": ("203.0.113.25",),
    }
    check_plan_commands(SetupAnswers(**{**base, **changes}).validate())


def test_relay_connector_names_the_device_and_nothing_more() -> None:
    answers = SetupAnswers(
        domain="example.com",
        sender="scanner@example.com",
        tls=True,
        auth="none",
        recipients="both",
        static_ips=("203.0.113.25",),
        certificate_name="scanner.example.com",
        device_name="Scanner 01",
    )
    plan = plan_setup(answers.validate())
    create = next(
        parse(s.command)[0] for s in plan.powershell if s.command.startswith("New-InboundConnector")
    )
    assert create.params["Name"] == ["Relay from Scanner 01"]
    assert create.params["ConnectorType"] == ["OnPremises"]
    assert create.params["SenderIPAddresses"] == ["203.0.113.25"]
    assert create.params["TlsSenderCertificateName"] == ["scanner.example.com"]
    assert create.params["RequireTls"] == ["$true"]


def test_submission_enables_smtp_auth_for_one_mailbox_only() -> None:
    answers = SetupAnswers(
        domain="example.com",
        sender="scanner@example.com",
        tls=True,
        auth="oauth",
        recipients="both",
        mailbox="svc-scan@example.com",
    )
    plan = plan_setup(answers.validate())
    calls = [c for s in plan.powershell for c in parse(s.command)]
    enable = [c for c in calls if c.cmdlet == "Set-CASMailbox"]
    assert [c.params["Identity"] for c in enable] == [["svc-scan@example.com"]]
    assert enable[0].params["SmtpClientAuthenticationDisabled"] == ["$false"]
    assert not any(c.cmdlet == "Set-TransportConfig" for c in calls)
    send_as = next(c for c in calls if c.cmdlet == "Add-RecipientPermission")
    assert send_as.params == {
        "Identity": ["scanner@example.com"],
        "Trustee": ["svc-scan@example.com"],
        "AccessRights": ["SendAs"],
    }


def test_the_plans_use_every_allowed_cmdlet_except_the_audit_fixes() -> None:
    extras: list[dict[str, object]] = [
        {},
        {
            "mailbox": "svc-scan@example.com",
            "app_id": "11111111-2222-3333-4444-555555555555",
            "service_principal_id": "66666666-7777-8888-9999-000000000000",
        },
    ]
    used = set()
    for combo in product(
        (True,),
        ("oauth", "basic", "none"),
        ((), ("203.0.113.25",)),
        (None, "scanner.example.com"),
        ("internal", "both"),
        (False,),
        (False,),
        (True, False),
        (True,),
        (500, 50_000),
    ):
        for extra in extras:
            values = {**dict(zip(NAMES, combo, strict=True)), **extra}
            answers = SetupAnswers(domain="example.com", sender="scanner@example.com", **values)
            plan = plan_setup(answers.validate())
            used |= {c.cmdlet for s in plan.powershell for c in parse(s.command)}
    audit_only = {
        "Set-TransportConfig",
        "Set-AuthenticationPolicy",
        "Set-HostedConnectionFilterPolicy",
        "Set-InboundConnector",
        "Remove-InboundConnector",
        "Set-OutboundConnector",
        "Remove-OutboundConnector",
    }
    assert used == set(PARAMETERS) - audit_only
