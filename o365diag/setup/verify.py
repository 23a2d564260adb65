"""The verify step: the domain audit, then the connection test for the chosen option.

Live mode asks your DNS and connects to Microsoft 365. Demo mode serves the plan's own DNS
records from a local server (demo_zone.py) and talks to the Office 365-like simulator, so it
works offline and shows what the checks say once the configuration is in place. Either way the
result ends with the header check to do on the first real test message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from o365diag.findings import Finding, Report, Severity
from o365diag.setup.answers import network_text, parse_network
from o365diag.setup.catalogue import finding
from o365diag.setup.generate import (
    HVE_HOST,
    SUBMISSION_HOST,
    SetupPlan,
    header_check,
    mx_endpoint,
)
from o365diag.setup.model import VerifyData
from o365diag.smtp.config import ConfigError, ProbeConfig, Secret
from o365diag.typed import load

__all__ = ["VerifyOptions", "VerifyResult", "demo_scenario", "verify_plan"]

Mode = Literal["demo", "live"]

_DEMO_SCENARIOS = {
    "submission-oauth": "oauth",
    "submission-basic": "healthy",
    "direct-send": "direct-send",
    "relay": "relay",
    "hve": "healthy",
}


@dataclass
class VerifyOptions:
    demo: bool = False
    nameserver: str | None = None
    timeout: float = 10.0
    recipient: str | None = None
    password: Secret | None = field(default=None, repr=False)
    token: Secret | None = field(default=None, repr=False)
    send: bool = False
    check_dnsbl: bool = True
    # Extra ProbeConfig settings for the live connection test (port, connect_address, cafile,
    # helo...): for networks that reach Microsoft 365 through something unusual.
    smtp_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class VerifyResult:
    option: str
    mode: Mode
    dns: Report | None
    smtp: Report | None
    findings: list[Finding]

    @property
    def worst(self) -> Severity:
        reports = [r for r in (self.dns, self.smtp) if r is not None]
        severities = [r.worst for r in reports] + [f.severity for f in self.findings]
        return max(severities, default=Severity.OK)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "option": self.option,
            "dns": self.dns.to_dict() if self.dns else None,
            "smtp": self.smtp.to_dict() if self.smtp else None,
            "findings": [f.to_dict() for f in self.findings],
        }

    def data(self) -> VerifyData:
        """What a saved plan keeps of the verify step."""
        return load(VerifyData, self.to_dict(), "verify")


def demo_scenario(plan: SetupPlan) -> str:
    """The simulator scenario that plays Microsoft 365 for the plan's option."""
    variant = plan.recommendation.variant
    if variant == "other":
        has_ip = bool(plan.answers.ipv4_networks) and not plan.answers.third_party_hosted
        return "relay" if has_ip else "healthy"
    return _DEMO_SCENARIOS[variant]


async def verify_plan(plan: SetupPlan, options: VerifyOptions) -> VerifyResult:
    """Run the domain audit and the connection test for ``plan``; never raises for bad input.

    ``options`` says whether to run live (the default of VerifyOptions) or against the demo
    DNS server and simulator: there is no implicit choice.
    """
    notes: list[Finding] = []
    dns_report = await _domain_audit(plan, options, notes)
    smtp_report = await _connection_test(plan, options, notes)
    notes.append(finding("setup.first-message-check", f"Check: {header_check(plan.option)}"))
    return VerifyResult(
        plan.option, "demo" if options.demo else "live", dns_report, smtp_report, notes
    )


# -- the domain audit -----------------------------------------------------------------------------
def _device_addresses(plan: SetupPlan) -> list[str]:
    networks = (parse_network(text) for text in plan.answers.public_ips)
    return [network_text(n) for n in networks if n.prefixlen == n.max_prefixlen]


async def _domain_audit(
    plan: SetupPlan, options: VerifyOptions, notes: list[Finding]
) -> Report | None:
    from o365diag.dns.audit import audit_domain
    from o365diag.dns.resolver import DnsConfigError

    ips = _device_addresses(plan)
    try:
        if not options.demo:
            report = await audit_domain(
                plan.answers.domain,
                ips=ips,
                nameserver=options.nameserver,
                timeout=options.timeout,
                check_dnsbl=options.check_dnsbl,
            )
            _mark_planned_stages(report, plan)
            return report
        from o365diag.setup.demo_zone import zone_for_plan

        zone = zone_for_plan(plan)
        async with zone.serve() as nameserver:
            report = await audit_domain(
                plan.answers.domain,
                ips=ips,
                nameserver=nameserver,
                timeout=options.timeout,
                check_dnsbl=False,
            )
        _mark_planned_stages(report, plan)
        report.data["demo_zone"] = {
            "nameserver": nameserver,
            "queries": len(zone.queries),
            "stand_ins": ["spf.protection.outlook.com", "DKIM keys"],
        }
        return report
    except (ValueError, DnsConfigError) as exc:
        notes.append(finding("setup.verify-skipped", f"Domain audit not run: {exc}"))
        return None


# The first stage of a rollout that the plan itself recommends: found in the published records,
# they are the plan working, not a problem (the plan says when to move on).
_PLANNED_STAGES = {
    "dmarc.p-none": "as this plan starts: move to quarantine once reports show only your senders",
    "spf.softfail-all": "as this plan starts: move to -all once DKIM and DMARC pass",
}


def _mark_planned_stages(report: Report, plan: SetupPlan) -> None:
    """Findings about records exactly as the plan wrote them become information, marked so."""
    from o365diag.dns.audit import readiness

    planned = {f"{r.name} TXT {r.value}" for r in plan.dns_records if r.type == "TXT"}
    report.findings = [_as_planned(f, planned) for f in report.findings]
    report.data["readiness"] = readiness(report.findings)


def _as_planned(item: Finding, planned: set[str]) -> Finding:
    note = _PLANNED_STAGES.get(item.code)
    if note is None or not any(line in planned for line in item.evidence):
        return item
    return replace(item, severity=Severity.INFO, title=f"{item.title} ({note})")


# -- the connection test --------------------------------------------------------------------------
async def _connection_test(
    plan: SetupPlan, options: VerifyOptions, notes: list[Finding]
) -> Report | None:
    from o365diag.smtp.probe import run_probe

    try:
        if options.demo:
            return await _demo_connection(plan, options)
        config = _live_config(plan, options, notes)
        if config is None:
            return None
        return await run_probe(config.validate())
    except ConfigError as exc:
        notes.append(finding("setup.verify-skipped", f"Connection test not run: {exc}"))
        return None


async def _demo_connection(plan: SetupPlan, options: VerifyOptions) -> Report:
    from o365diag.smtp.probe import run_probe
    from o365diag.smtp.simulator import Simulator

    async with Simulator(demo_scenario(plan)) as simulator:
        config = simulator.client_config(timeout=options.timeout)
        report = await run_probe(config.validate())
    report.data["demo"] = {
        "scenario": simulator.scenario.name,
        "note": "the simulator plays Microsoft 365 for example.com",
    }
    return report


def _live_config(
    plan: SetupPlan, options: VerifyOptions, notes: list[Finding]
) -> ProbeConfig | None:
    answers = plan.answers
    option = plan.option
    if option == "other":
        notes.append(
            finding(
                "setup.verify-skipped",
                "Connection test not run: the device "
                "sends to your local relay; test that relay with o365diag smtp.",
            )
        )
        return None
    recipient = options.recipient or answers.sender
    common: dict[str, Any] = {
        "mail_from": answers.sender,
        "rcpt_to": (recipient,),
        "timeout": options.timeout,
        "send": options.send,
        "stop_after": None if options.send else "rcpt",
        "nameserver": options.nameserver,
    }
    if option in ("direct-send", "relay"):
        host, guessed = mx_endpoint(answers)
        return ProbeConfig(
            profile=option, host=None if guessed else host, domain=answers.domain, **common
        ).with_changes(**options.smtp_overrides)
    credentials = options.token or options.password
    if credentials is None:
        notes.append(
            finding(
                "setup.verify-skipped",
                "AUTH not tested: give the mailbox's "
                "password or an OAuth token to test sign-in and MAIL/RCPT.",
            )
        )
        common["stop_after"] = "ehlo-tls"
    return ProbeConfig(
        profile="submission",
        host=HVE_HOST if option == "hve" else SUBMISSION_HOST,
        username=answers.signin_mailbox if credentials else None,
        password=options.password if options.token is None else None,
        token=options.token,
        auth_mechanism="xoauth2" if options.token else "auto",
        **common,
    ).with_changes(**options.smtp_overrides)
