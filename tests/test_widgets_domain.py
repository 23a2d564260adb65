"""DomainCheckApp driven as a user would: set values, click Check, await the task, read the view."""

from __future__ import annotations

import asyncio

from o365diag.widgets.domain import DomainCheckApp
from tests.dns_zones import DEVICE_IP, DOMAIN, OTHER_IP, ready_zone
from tests.dnsserver import DnsTestServer


async def _click(app: DomainCheckApp) -> None:
    app.check_button.click()
    assert app.task is not None
    await asyncio.wait_for(app.task, 20)


async def test_demo_scenario_shows_lights_chart_devices_and_fix() -> None:
    app = DomainCheckApp(demo=True, scenario="scanner-not-in-spf")
    await _click(app)
    assert app.error.value == ""
    assert app.report is not None and "spf.ip-fail" in app.report.codes()
    assert "#c62828" in app.readiness.value  # SPF's light is red
    assert "SPF fails for 198.51.100.7" in app.readiness.value
    assert "198.51.100.7" in app.devices.value and "fail" in app.devices.value
    assert "v=spf1 ip4:198.51.100.7 include:spf.protection.outlook.com -all" in app.findings.value
    assert app.figure is not None
    icicle = app.figure.data[0]
    assert [label.split(" (")[0] for label in icicle.labels] == [
        "contoso.example",
        "spf.protection.outlook.com",
    ]


async def test_too_many_lookups_chart_sums_the_tree() -> None:
    app = DomainCheckApp(demo=True, scenario="too-many-lookups")
    await _click(app)
    assert app.report is not None and "spf.too-many-lookups" in app.report.codes()
    assert "16 of 10 DNS lookups" in app.figure.layout.title.text


async def test_live_check_against_a_dns_server_escapes_what_dns_says() -> None:
    zone = ready_zone().txt("_smtp._tls.contoso.test", "v=TLSRPTv1; rua=<img src=x onerror=1>")
    with DnsTestServer(zone) as server:
        app = DomainCheckApp(demo=False)
        app.domain.value = DOMAIN
        app.ips.value = f"{DEVICE_IP}, {OTHER_IP}"
        app.nameserver.value = server.address
        app.blocklists.value = False
        app.timeout.value = 1.0
        await _click(app)
    assert app.report is not None
    assert [r["result"] for r in app.report.data["spf_checks"]] == ["pass", "fail"]
    shown = app.findings.value + app.records.value + app.readiness.value
    assert "<img src=x" not in shown and "&lt;img src=x" in shown


async def test_bad_domain_is_shown_as_an_error() -> None:
    app = DomainCheckApp(demo=False)
    app.domain.value = "not a domain"
    app.nameserver.value = "127.0.0.1:9"
    await asyncio.gather(app.run(), return_exceptions=True)
    assert "Checking not a domain failed: " in app.error.value
    assert "is not a domain name" in app.error.value
    assert "Error" not in app.error.value  # no Python class name (ValueError) for the user
    assert app.report is None


def test_unticking_demo_clears_the_demo_domain_and_ips() -> None:
    from o365diag.dns.demo import DEMO_DOMAIN, DEMO_IPS

    app = DomainCheckApp(demo=True)
    assert app.domain.value == DEMO_DOMAIN and DEMO_IPS[0] in app.ips.value
    app.demo.value = False
    assert app.domain.value == "" and app.ips.value == ""
    assert not app.domain.disabled
    app.domain.value = DOMAIN
    app.demo.value = True
    assert app.domain.value == DEMO_DOMAIN  # demo checks the example domain: show it
