"""DomainCheckApp: is a domain ready to send through Microsoft 365 from these devices?

Domain and device IPs in; out come a traffic light per record, the SPF include tree as a
chart, each device IP's SPF verdict and the findings with the exact record to publish. The
check runs as a task on the kernel's loop. *Demo* serves a built-in example domain from a DNS
server on this machine, so it works with no network at all.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import ipywidgets as widgets

from o365diag.dns.render import device_html, readiness_html, records_html
from o365diag.dns.result import DomainResult
from o365diag.findings import render_findings_html
from o365diag.plots import spf_tree_figure
from o365diag.widgets._base import AppBase, demo_switch, escape, show_figure

__all__ = ["DomainCheckApp", "readiness_html", "spf_tree_figure"]

_WIDTH = "32em"


class DomainCheckApp(AppBase):
    """Form, Check button, traffic lights, SPF tree chart, device verdicts and findings."""

    def __init__(
        self, demo: bool = True, scenario: str = "scanner-not-in-spf", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        from o365diag.dns.demo import DEMO_DOMAIN, DEMO_IPS, SCENARIOS

        self.report: DomainResult | None = None
        self.figure: Any = None
        self.demo, self.scenario = demo_switch(
            "built-in example domain", SCENARIOS.values(), scenario, demo
        )
        self.domain = _text("Domain:", "contoso.com", DEMO_DOMAIN if demo else "")
        self.ips = _text(
            "Device IPs:",
            "public IPs of printers/apps, comma-separated",
            ", ".join(DEMO_IPS) if demo else "",
        )
        self.selectors = _text("DKIM selectors:", "besides selector1, selector2 (optional)")
        self.nameserver = _text("DNS server:", "HOST[:PORT] (empty: this machine's resolver)")
        self.timeout = widgets.BoundedFloatText(
            value=3.0,
            min=0.1,
            max=30,
            step=0.5,
            description="Timeout (s):",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="12em"),
        )
        self.blocklists = widgets.Checkbox(value=True, description="Check blocklists", indent=False)
        self.check_button = widgets.Button(
            description="Check", button_style="primary", icon="search"
        )
        self.check_button.on_click(lambda _b: self.run())
        self.readiness = widgets.HTML()
        self.chart = widgets.Output()
        self.devices = widgets.HTML()
        self.findings = widgets.HTML()
        self.records = widgets.HTML()
        self.views = (self.readiness, self.chart, self.devices, self.findings, self.records)
        self.demo.observe(lambda _change: self._sync_demo(), names="value")
        for field in (self.demo, self.scenario, self.domain, self.ips, self.selectors):
            field.observe(self.input_changed, names="value")
        self.children = [
            widgets.HBox([self.demo, self.scenario]),
            self.domain,
            self.ips,
            self.selectors,
            widgets.HBox([self.nameserver, self.timeout]),
            self.blocklists,
            self.check_button,
            self.status_bar,
            self.error,
            self.readiness,
            self.chart,
            self.devices,
            self.findings,
            self.records,
            self.make_export_bar("domain-check"),
        ]
        self._sync_demo()

    def _sync_demo(self) -> None:
        from o365diag.dns.demo import DEMO_DOMAIN, DEMO_IPS

        demo = bool(self.demo.value)
        self.scenario.layout.display = None if demo else "none"
        for field in (self.domain, self.nameserver, self.blocklists):
            field.disabled = demo
        if demo:
            self.domain.value, self.ips.value = DEMO_DOMAIN, ", ".join(DEMO_IPS)
        else:  # the demo's example domain and IPs must not be checked for real by mistake
            if self.domain.value == DEMO_DOMAIN:
                self.domain.value = ""
            if self.ips.value == ", ".join(DEMO_IPS):
                self.ips.value = ""

    def run(self) -> asyncio.Task[Any]:
        """Start the check as a task; the view fills in when it ends."""
        domain = self._domain_name() or "(no domain)"
        return self.start(
            self._check(), f"Checking {domain}", on_done=self.show, done=f"Checked: {domain}"
        )

    def _domain_name(self) -> str:
        from o365diag.dns.demo import DEMO_DOMAIN

        return DEMO_DOMAIN if self.demo.value else self.domain.value.strip()

    async def _check(self) -> DomainResult:
        from o365diag.dns.audit import audit_domain
        from o365diag.dns.demo import DEMO_DOMAIN, DemoDns

        ips = [p for p in re.split(r"[\s,;]+", self.ips.value) if p]
        selectors = [p for p in re.split(r"[\s,;]+", self.selectors.value) if p]
        options: dict[str, Any] = {
            "ips": ips,
            "selectors": selectors,
            "timeout": float(self.timeout.value),
        }
        if self.demo.value:
            async with DemoDns(self.scenario.value) as server:
                return await audit_domain(
                    DEMO_DOMAIN, nameserver=server.address, check_dnsbl=False, **options
                )
        return await audit_domain(
            self.domain.value,
            nameserver=self.nameserver.value.strip() or None,
            check_dnsbl=bool(self.blocklists.value),
            **options,
        )

    def show(self, report: DomainResult) -> None:
        self.report = report
        self.readiness.value = f"<h3>{escape(report.title)}</h3>" + readiness_html(report)
        self.devices.value = device_html(report)
        self.findings.value = render_findings_html(
            report.sorted_findings(), heading="Findings", copy=True
        )
        self.records.value = records_html(report)
        tree = report.model.spf.tree
        self.figure = spf_tree_figure(tree) if tree.record else None
        if self.figure is None:
            self.chart.outputs = ()
        else:
            show_figure(self.chart, self.figure)

    def clear_results(self) -> None:
        super().clear_results()
        self.figure = None


def _text(description: str, placeholder: str, value: str = "") -> widgets.Text:
    return widgets.Text(
        value=value,
        description=description,
        placeholder=placeholder,
        layout=widgets.Layout(width=_WIDTH),
        style={"description_width": "8em"},
    )
