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

from o365diag.dns.render import AREA_NAMES, LIGHTS
from o365diag.findings import Report, render_findings_html
from o365diag.widgets._base import AppBase, demo_switch, escape, show_figure

__all__ = ["DomainCheckApp", "readiness_html", "spf_tree_figure"]

_WIDTH = "32em"


def readiness_html(report: Report) -> str:
    """One row per record: a coloured light, the verdict and the most important finding."""
    rows = []
    for area, level in report.data.get("readiness", {}).items():
        worst = next((f for f in report.sorted_findings() if f.code.startswith(area + ".")), None)
        rows.append(
            f'<tr><td style="color:{LIGHTS[level]};font-size:1.4em">●</td>'
            f"<td><b>{escape(AREA_NAMES.get(area, area))}</b></td><td>{escape(level)}</td>"
            f"<td>{escape(worst.title if worst else '')}</td></tr>"
        )
    return (
        '<table class="o365diag-readiness"><tr><th></th><th>Record</th><th>State</th>'
        f"<th>Most important finding</th></tr>{''.join(rows)}</table>"
    )


def _device_html(report: Report) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['ip'])}</td><td>{escape(r['result'])}</td>"
        f"<td>{escape(' > '.join(r['path']) or (r.get('problem') or 'no term matched'))}</td></tr>"
        for r in report.data.get("spf_checks", [])
    )
    if not rows:
        return ""
    return (
        "<h4>Device IPs (SPF check_host)</h4><table><tr><th>IP</th><th>SPF</th>"
        f"<th>Decided by</th></tr>{rows}</table>"
    )


def _records_html(report: Report) -> str:
    """What DNS says now, record by record, next to which the fixes say what to publish."""
    data = report.data
    rows = [("SPF", data["domain"], (data.get("spf") or {}).get("record"))]
    rows += [
        ("MX", data["domain"], f"{r['preference']} {r['host']}")
        for r in (data.get("mx") or {}).get("records", [])
    ]
    rows += [
        ("DKIM", v["name"], f"CNAME {v['cname']}" if v.get("cname") else v.get("record"))
        for v in (data.get("dkim") or {}).values()
    ]
    rows.append(
        (
            "DMARC",
            f"_dmarc.{(data.get('dmarc') or {}).get('location')}",
            (data.get("dmarc") or {}).get("record"),
        )
    )
    cells = "".join(
        f"<tr><td>{escape(kind)}</td><td><code>{escape(name)}</code></td>"
        f"<td><code>{escape(value or '(none)')}</code></td></tr>"
        for kind, name, value in rows
    )
    return (
        f"<h4>Records now</h4><table><tr><th></th><th>Name</th><th>Value</th></tr>{cells}</table>"
    )


def spf_tree_figure(tree: dict[str, Any]) -> Any:
    """An icicle chart of the SPF include tree: each box a record, sized by its lookups."""
    import plotly.graph_objects as go

    from o365diag.plots import plain

    ids, parents, labels, values, hover = [], [], [], [], []

    def walk(node: dict[str, Any], parent: str, path: str) -> None:
        node_id = f"{path}/{node['domain']}"
        ids.append(node_id)
        parents.append(parent)
        labels.append(f"{plain(node['domain'])} ({node['lookups']})")
        values.append(max(node["total_lookups"], 1))
        hover.append(plain(node.get("record") or node.get("problem") or "no record"))
        for child in node.get("children", []):
            walk(child, node_id, node_id)

    walk(tree, "", "")
    figure = go.Figure(
        go.Icicle(
            ids=ids,
            parents=parents,
            labels=labels,
            values=values,
            branchvalues="total",
            hovertext=hover,
            hovertemplate="%{label}<br>%{hovertext}<extra></extra>",
            tiling={"orientation": "h"},
        )
    )
    total = tree.get("total_lookups", 0)
    figure.update_layout(
        title=f"SPF include tree: {total} of 10 DNS lookups (count in brackets per record)",
        margin={"t": 40, "l": 0, "r": 0, "b": 0},
        height=max(220, 70 * len(ids)),
    )
    return figure


class DomainCheckApp(AppBase):
    """Form, Check button, traffic lights, SPF tree chart, device verdicts and findings."""

    def __init__(
        self, demo: bool = True, scenario: str = "scanner-not-in-spf", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        from o365diag.dns.demo import DEMO_DOMAIN, DEMO_IPS, SCENARIOS

        self.report: Report | None = None
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

    async def _check(self) -> Report:
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

    def show(self, report: Report) -> None:
        self.report = report
        self.readiness.value = f"<h3>{escape(report.title)}</h3>" + readiness_html(report)
        self.devices.value = _device_html(report)
        self.findings.value = render_findings_html(
            report.sorted_findings(), heading="Findings", copy=True
        )
        self.records.value = _records_html(report)
        tree = (report.data.get("spf") or {}).get("tree")
        self.figure = spf_tree_figure(tree) if tree and tree.get("record") else None
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
