"""Answers in, configuration out: validation, device settings, DNS records, findings, renders."""

from __future__ import annotations

import json
from typing import Any

import nbformat
import pytest

from o365diag.knowledge import load_table
from o365diag.setup import QUESTIONS, AnswerError, SetupAnswers, plan_setup
from o365diag.setup.generate import SetupPlan

BASE: dict[str, Any] = {
    "domain": "example.com",
    "sender": "scanner@example.com",
    "tls": True,
    "auth": "none",
    "recipients": "internal",
}


def plan_for(**changes: Any) -> SetupPlan:
    return plan_setup(SetupAnswers(**{**BASE, **changes}))


# -- answers -------------------------------------------------------------------------------------
def test_every_answer_field_has_exactly_one_question() -> None:
    import dataclasses

    fields = [f.name for f in dataclasses.fields(SetupAnswers)]
    assert sorted(q.name for q in QUESTIONS) == sorted(fields)
    flags = [flag for q in QUESTIONS for flag in q.option_strings]
    assert len(flags) == len(set(flags))


def test_loose_values_from_forms_and_flags_are_converted() -> None:
    answers = SetupAnswers.from_mapping(
        {
            "domain": "example.com",
            "sender": "scanner@example.com",
            "tls": "yes",
            "auth": "basic",
            "recipients": "both",
            "static_ips": "203.0.113.25, 198.51.100.0/28",
            "volume_per_day": "12,500",
            "sent_items": "no",
            "certificate_name": "",
        }
    )
    assert answers.tls is True and answers.sent_items is False
    assert answers.static_ips == ("203.0.113.25", "198.51.100.0/28")
    assert answers.volume_per_day == 12_500 and answers.certificate_name is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"domain": "example"}, "domain", "not a domain name"),
        ({"sender": "scanner"}, "sender", "not a mail address"),
        ({"auth": "ntlm"}, "auth", "not one of none, basic, oauth"),
        ({"recipients": "everyone"}, "recipients", "not one of"),
        ({"static_ips": ("203.0.113.300",)}, "static_ips", "not an IP address"),
        ({"static_ips": ("203.0.113.25/24",)}, "static_ips", "not an IP address or CIDR"),
        ({"certificate_name": "scan.*.example.com"}, "certificate_name", "leading '*.'"),
        ({"volume_per_day": -1}, "volume_per_day", "from 0 to"),
        ({"device_name": "scanner\nnext"}, "device_name", "it names a connector"),
        ({"app_id": "not-a-guid", "service_principal_id": "x"}, "app_id", "not a GUID"),
        ({"app_id": "11111111-2222-3333-4444-555555555555"}, "app_id", "give both"),
        ({"mx_host": "bad host"}, "mx_host", "not a domain name"),
    ],
)
def test_bad_answers_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(AnswerError) as info:
        SetupAnswers(**{**BASE, **changes}).validate()
    assert info.value.field == field and message in str(info.value)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"domain": "example.com"}, "sender"),
        ({**BASE, "tls": "perhaps"}, "tls"),
        ({**BASE, "volume_per_day": "lots"}, "volume_per_day"),
        ({**BASE, "colour": "blue"}, "colour"),
    ],
)
def test_from_mapping_refuses_missing_unknown_and_unreadable(
    values: dict[str, Any], field: str
) -> None:
    with pytest.raises(AnswerError) as info:
        SetupAnswers.from_mapping(values)
    assert info.value.field == field


# -- configuration per option --------------------------------------------------------------------
def settings(plan: SetupPlan) -> dict[str, str]:
    return {s.name: s.value for s in plan.device_settings}


def test_submission_settings() -> None:
    plan = plan_for(auth="oauth", recipients="both", port587_open=False)
    values = settings(plan)
    assert values["Server (smart host)"] == "smtp.office365.com"
    assert values["Port"] == "25"  # 587 blocked
    assert values["Authentication"] == "OAuth 2.0 (XOAUTH2)"
    assert values["User name"] == "scanner@example.com"
    assert all(s.explanation for s in plan.device_settings)


def test_relay_settings_and_records() -> None:
    plan = plan_for(
        recipients="both",
        static_ips=("203.0.113.25",),
        mx_host="example-com.mail.protection.outlook.com",
        initial_domain="example.onmicrosoft.com",
        dmarc_rua="dmarc@example.com",
    )
    values = settings(plan)
    assert values["Server (smart host)"] == "example-com.mail.protection.outlook.com"
    assert values["Port"] == "25" and values["Public IP"] == "203.0.113.25"
    records = {(r.type, r.name): r for r in plan.dns_records}
    assert records[("TXT", "example.com")].value == (
        "v=spf1 ip4:203.0.113.25 include:spf.protection.outlook.com ~all"
    )
    assert records[("CNAME", "selector1._domainkey.example.com")].value == (
        "selector1-example-com._domainkey.example.onmicrosoft.com"
    )
    assert not records[("CNAME", "selector2._domainkey.example.com")].placeholder
    assert records[("TXT", "_dmarc.example.com")].value == (
        "v=DMARC1; p=none; rua=mailto:dmarc@example.com"
    )
    assert records[("MX", "example.com")].action == "check"
    assert "setup.mx-guessed" not in plan.to_report().codes()
    assert "setup.dkim-values-needed" not in plan.to_report().codes()


def test_direct_send_has_no_connector_and_no_dkim() -> None:
    plan = plan_for(static_ips=("203.0.113.25",), tls=False, certificate_name=None)
    assert plan.option == "relay"  # a static IP makes the connector the better choice
    plan = plan_for(tls=False)
    assert plan.option == "direct-send"
    assert not any("InboundConnector" in p.command for p in plan.powershell)
    assert {r.type for r in plan.dns_records} == {"MX", "TXT"}
    assert settings(plan)["Recipients"] == "only mailboxes in your organization"


def test_spf_lists_ipv6_and_third_party_include() -> None:
    plan = plan_for(
        static_ips=("2001:db8::25",), spf_include="spf.example.net", third_party_hosted=True
    )
    spf = next(r for r in plan.dns_records if r.name == "example.com" and r.type == "TXT")
    assert spf.value == (
        "v=spf1 ip6:2001:db8::25 include:spf.example.net include:spf.protection.outlook.com ~all"
    )


def test_fallback_other_configures_the_local_relay_upstream() -> None:
    plan = plan_for(tls=False, recipients="external", third_party_hosted=True)
    assert plan.option == "other"
    assert any(p.command.startswith("Set-CASMailbox") for p in plan.powershell)
    relay_upstream = plan_for(
        tls=False, recipients="both", sent_items=True, static_ips=("203.0.113.25",)
    )
    assert relay_upstream.option == "other"
    assert any(p.command.startswith("New-InboundConnector") for p in relay_upstream.powershell)


# -- setup findings: each fires when it should and only then -------------------------------------
TRIGGERS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "setup.no-option-fits": (
        {"tls": False, "recipients": "external", "third_party_hosted": True},
        {},
    ),
    "setup.basic-auth-retiring": (
        {"auth": "basic", "sent_items": True},
        {"auth": "oauth", "sent_items": True},
    ),
    "setup.security-defaults": (
        {"auth": "basic", "sent_items": True},
        {"auth": "oauth", "sent_items": True},
    ),
    "setup.direct-send-rejectable": ({}, {"auth": "oauth"}),
    "setup.spf-no-static-ip": ({}, {"spf_include": "spf.example.net"}),
    "setup.private-ip": ({"static_ips": ("192.168.1.20",)}, {"static_ips": ("203.0.113.25",)}),
    "setup.ipv6-not-for-connector": (
        {
            "recipients": "both",
            "static_ips": ("2001:db8::25",),
            "certificate_name": "scanner.example.com",
        },
        {"recipients": "both", "static_ips": ("203.0.113.25",)},
    ),
    "setup.range-not-accepted": (
        {"recipients": "both", "static_ips": ("198.51.100.0/23",)},
        {"recipients": "both", "static_ips": ("198.51.100.0/29",)},
    ),
    "setup.range-broad": (
        {"recipients": "both", "static_ips": ("198.51.100.0/26",)},
        {"recipients": "both", "static_ips": ("198.51.100.0/29",)},
    ),
    "setup.no-tls": ({"tls": False}, {}),
    "setup.high-volume": ({"volume_per_day": 20_000}, {"volume_per_day": 10_000}),
    "setup.send-as-needed": ({"auth": "oauth", "mailbox": "svc@example.com"}, {"auth": "oauth"}),
    "setup.mx-guessed": ({}, {"mx_host": "example-com.mail.protection.outlook.com"}),
    "setup.dkim-values-needed": (
        {"auth": "oauth"},
        {"auth": "oauth", "initial_domain": "example.onmicrosoft.com"},
    ),
    "setup.oauth-app-needed": (
        {"auth": "oauth"},
        {
            "auth": "oauth",
            "app_id": "11111111-2222-3333-4444-555555555555",
            "service_principal_id": "66666666-7777-8888-9999-000000000000",
        },
    ),
}


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_each_setup_finding_fires_only_when_it_applies(code: str) -> None:
    fires, quiet = TRIGGERS[code]
    assert code in plan_for(**fires).to_report().codes()
    assert code not in plan_for(**quiet).to_report().codes()


def test_every_plan_says_what_was_recommended_and_which_header_to_check() -> None:
    report = plan_for(auth="oauth").to_report()
    assert report.codes()[0] == "setup.recommended"
    assert report.codes()[-1] == "setup.first-message-check"
    assert "AuthAs" in report.findings[-1].detail


def test_every_setup_code_is_tested() -> None:
    codes = [k for k in load_table("setup_findings").key_list() if k.startswith("setup.")]
    tested = set(TRIGGERS) | {
        "setup.recommended",
        "setup.first-message-check",
        "setup.verify-skipped",
    }
    assert sorted(codes) == sorted(tested)


# -- renders -------------------------------------------------------------------------------------
def test_json_contract() -> None:
    data = json.loads(
        plan_for(recipients="both", static_ips=("203.0.113.25",)).to_report().to_json()
    )
    assert data["schema"] == "o365diag.setup/1"
    assert {
        "answers",
        "recommendation",
        "device_settings",
        "dns_records",
        "powershell",
        "findings",
    } <= set(data)
    assert {"option", "why", "rejected"} <= set(data["recommendation"])
    assert data["recommendation"]["rejected"][0]["why"]
    assert all(set(p) == {"command", "explanation", "optional"} for p in data["powershell"])


def test_text_markdown_and_notebook_cell_carry_the_same_plan() -> None:
    plan = plan_for(recipients="both", static_ips=("203.0.113.25",), device_name="Copier")
    command = next(p.command for p in plan.powershell if "New-InboundConnector" in p.command)
    text, markdown = plan.to_text(), plan.to_markdown()
    assert command in text and command in markdown
    assert "```powershell" in markdown and "| Setting | Value | Why |" in markdown
    cell = nbformat.from_dict(plan.to_notebook_cell())
    notebook = nbformat.v4.new_notebook(cells=[cell])
    nbformat.validate(notebook)
    assert cell.source == markdown


def test_markdown_escapes_answer_text_outside_code() -> None:
    plan = plan_for(auth="oauth", sender="scan_ner|x*@example.com")
    prose = plan.to_markdown().split("```")[0]
    assert "| From address | scan\\_ner\\|x\\*@example.com |" in prose
    assert "scan_ner|x*@example.com" in plan.to_markdown().split("```")[1]
