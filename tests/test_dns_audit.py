"""The domain audit end to end against the in-process DNS server, and the CLI around it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from o365diag.dns.audit import audit_domain, live_recheck, normalize_domain
from o365diag.dns.resolver import Resolver
from o365diag.findings import Report, Severity
from tests.dns_zones import (
    DEVICE_IP,
    DOMAIN,
    EXCHANGE_MX,
    LISTED_IP,
    OTHER_IP,
    dkim_record,
    microsoft_zone,
    ready_zone,
)
from tests.dnsserver import DnsTestServer, Zone


@pytest.fixture
def server() -> Iterator[DnsTestServer]:
    with DnsTestServer(ready_zone()) as running:
        yield running


async def audit(server: DnsTestServer, *ips: str, **kw: object) -> Report:
    kw.setdefault("dnsbl_zones", ["zen.spamhaus.org"])
    resolver = Resolver(server.address, timeout=0.5)
    return await audit_domain(DOMAIN, ips=ips, resolver=resolver, **kw)  # type: ignore[arg-type]


def codes(report: Report) -> set[str]:
    return set(report.codes())


async def test_ready_domain_is_green_and_has_every_schema_field(server: DnsTestServer) -> None:
    report = await audit(server, DEVICE_IP)
    assert report.schema == "o365diag.dns/1"
    assert report.worst is Severity.OK, report.to_text()
    assert set(report.data["readiness"].values()) == {"ok"}
    data = report.to_dict()
    for key in (
        "domain",
        "mx",
        "spf",
        "spf_checks",
        "dkim",
        "dmarc",
        "mta_sts",
        "tls_rpt",
        "autodiscover",
        "dnsbl",
        "findings",
    ):
        assert key in data
    spf = data["spf"]
    assert {
        k
        for k in ("record", "lookups", "void_lookups", "all", "includes_microsoft", "tree")
        if k in spf
    } == {"record", "lookups", "void_lookups", "all", "includes_microsoft", "tree"}
    assert (spf["lookups"], spf["all"], spf["includes_microsoft"]) == (2, "-all", True)
    assert data["spf_checks"][0] | {"trace": None} == data["spf_checks"][0] | {
        "ip": DEVICE_IP,
        "result": "pass",
        "matched": f"ip4:{DEVICE_IP}",
        "path": [f"{DOMAIN}: ip4:{DEVICE_IP}"],
        "trace": None,
    }
    assert data["dkim"]["selector1"]["key_bits"] == 2048
    assert data["dkim"]["selector1"]["form"] == "microsoft-classic"
    assert data["dkim"]["selector1"]["cname"].startswith("selector1-contoso-test._domainkey.")
    assert {k: data["dmarc"][k] for k in ("p", "sp", "pct", "adkim", "aspf")} == {
        "p": "reject",
        "sp": "reject",
        "pct": 100,
        "adkim": "r",
        "aspf": "r",
    }
    assert data["dmarc"]["rua"] == ["mailto:dmarc@contoso.test", "mailto:agg@reports.example.net"]
    assert data["mx"]["relay_endpoint"] == EXCHANGE_MX
    assert data["dnsbl"] == [
        {
            "ip": DEVICE_IP,
            "zone": "zen.spamhaus.org",
            "listed": False,
            "codes": [],
            "meaning": None,
            "error": None,
        }
    ]
    json.loads(report.to_json())


async def test_unlisted_and_blocklisted_devices_are_errors(server: DnsTestServer) -> None:
    report = await audit(server, OTHER_IP, LISTED_IP)
    found = codes(report)
    assert {"spf.ip-fail", "dnsbl.listed", "dmarc.device-not-authorized"} <= found
    listed = next(f for f in report.findings if f.code == "dnsbl.listed")
    assert LISTED_IP in listed.title and "XBL" in listed.detail
    fail = next(f for f in report.findings if f.code == "spf.ip-fail")
    assert f"v=spf1 ip4:{OTHER_IP} ip4:{DEVICE_IP} include:spf.protection.outlook.com" in fail.fix
    assert report.data["readiness"]["spf"] == "error"
    assert report.data["readiness"]["dnsbl"] == "error"


def _without(*names: str) -> Zone:
    zone = ready_zone()
    for name in names:
        zone.records.pop(tuple(p.encode() for p in name.split(".")), None)
    return zone


def _replace_txt(name: str, *records: str) -> Callable[[], Zone]:
    def build() -> Zone:
        zone = _without(name)
        for record in records:
            zone.txt(name, record)
        return zone

    return build


def _with(name: str, rtype: str, value: object) -> Callable[[], Zone]:
    def build() -> Zone:
        return _without(name).add(name, rtype, value)

    return build


BROKEN: dict[str, tuple[Callable[[], Zone], str, Severity]] = {
    "no MX": (
        lambda: _without(DOMAIN).txt(DOMAIN, "v=spf1 include:spf.protection.outlook.com -all"),
        "mx.missing",
        Severity.WARNING,
    ),
    "null MX": (_with(DOMAIN, "MX", (0, "")), "mx.null", Severity.WARNING),
    "MX elsewhere": (
        _with(DOMAIN, "MX", (10, "mx1.mailgateway.example")),
        "mx.not-microsoft",
        Severity.INFO,
    ),
    "no SPF": (_replace_txt(DOMAIN, "MS=ms12345678"), "spf.missing", Severity.ERROR),
    "two SPF": (_replace_txt(DOMAIN, "v=spf1 -all", "v=spf1 ~all"), "spf.multiple", Severity.ERROR),
    "+all": (
        _replace_txt(DOMAIN, "v=spf1 include:spf.protection.outlook.com +all"),
        "spf.plus-all",
        Severity.CRITICAL,
    ),
    "no Microsoft include": (
        _replace_txt(DOMAIN, f"v=spf1 ip4:{DEVICE_IP} -all"),
        "spf.microsoft-missing",
        Severity.ERROR,
    ),
    "SPF syntax": (
        _replace_txt(DOMAIN, "v=spf1 ip4:198.51.100.7/33 -all"),
        "spf.syntax",
        Severity.ERROR,
    ),
    "dangling DKIM CNAME": (
        lambda: _without(
            "selector1-contoso-test._domainkey.contoso.onmicrosoft.com",
            "selector2-contoso-test._domainkey.contoso.onmicrosoft.com",
        ),
        "dkim.cname-target-missing",
        Severity.ERROR,
    ),
    "no DKIM": (
        lambda: _without("selector1._domainkey.contoso.test", "selector2._domainkey.contoso.test"),
        "dkim.not-configured",
        Severity.WARNING,
    ),
    "1024-bit DKIM key": (
        lambda: _without("selector1-contoso-test._domainkey.contoso.onmicrosoft.com").txt(
            "selector1-contoso-test._domainkey.contoso.onmicrosoft.com", dkim_record(1024)
        ),
        "dkim.key-short",
        Severity.WARNING,
    ),
    "revoked DKIM key": (
        lambda: _without("selector1-contoso-test._domainkey.contoso.onmicrosoft.com").txt(
            "selector1-contoso-test._domainkey.contoso.onmicrosoft.com", "v=DKIM1; k=rsa; p="
        ),
        "dkim.key-revoked",
        Severity.WARNING,
    ),
    "DMARC p=none": (
        _replace_txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=none; rua=mailto:d@contoso.test"),
        "dmarc.p-none",
        Severity.WARNING,
    ),
    "DMARC syntax": (
        _replace_txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=block; pct=150"),
        "dmarc.syntax",
        Severity.ERROR,
    ),
    "no DMARC": (lambda: _without(f"_dmarc.{DOMAIN}"), "dmarc.missing", Severity.WARNING),
    "unauthorised rua": (
        lambda: _without(f"{DOMAIN}._report._dmarc.reports.example.net"),
        "dmarc.rua-unauthorized",
        Severity.WARNING,
    ),
    "MTA-STS bad id": (
        _replace_txt(f"_mta-sts.{DOMAIN}", "v=STSv1; id=not valid!"),
        "mta-sts.invalid",
        Severity.WARNING,
    ),
    "TLS-RPT no rua": (
        _replace_txt(f"_smtp._tls.{DOMAIN}", "v=TLSRPTv1;"),
        "tls-rpt.invalid",
        Severity.WARNING,
    ),
    "no autodiscover": (
        lambda: _without(f"autodiscover.{DOMAIN}"),
        "autodiscover.missing",
        Severity.INFO,
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
async def test_each_broken_record_gives_its_finding(case: str) -> None:
    build, code, severity = BROKEN[case]
    with DnsTestServer(build()) as server:
        report = await audit(server, DEVICE_IP)
    hits = [f for f in report.findings if f.code == code]
    assert hits, f"{case}: expected {code}, got {report.codes()}"
    assert hits[0].severity is severity
    assert hits[0].fix or severity <= Severity.INFO


async def test_silent_server_ends_within_the_timeout_with_a_finding() -> None:
    with DnsTestServer(ready_zone()) as server:
        server.silent = True
        started = time.perf_counter()
        report = await audit_domain(
            DOMAIN,
            ips=[DEVICE_IP],
            nameserver=server.address,
            timeout=0.3,
            dnsbl_zones=["zen.spamhaus.org"],
        )
        elapsed = time.perf_counter() - started
    assert elapsed < 1.5  # every lookup waits once, side by side; the chains stop at the first
    assert report.findings[0].code == "dns.unreachable"
    assert report.worst is Severity.CRITICAL
    assert "spf.lookup-failed" in codes(report) and "mx.lookup-failed" in codes(report)


async def test_servfail_on_the_domain_is_reported_per_record() -> None:
    with DnsTestServer(microsoft_zone().fail(DOMAIN)) as server:
        report = await audit(server)
    assert {"mx.lookup-failed", "spf.lookup-failed"} <= codes(report)
    assert "SERVFAIL" in next(f for f in report.findings if f.code == "mx.lookup-failed").detail


async def test_audit_runs_lookups_side_by_side() -> None:
    """With 50 ms per answer the audit takes a few round trips, not one per lookup."""
    with DnsTestServer(ready_zone(), delay=0.05) as server:
        started = time.perf_counter()
        report = await audit(server, DEVICE_IP, OTHER_IP)
        elapsed = time.perf_counter() - started
        sent = [q for q in server.queries if q.protocol == "udp"]  # TCP only repeats a question
    assert report.data["resolver"]["queries"] == len(sent)
    assert len(sent) > 15
    assert elapsed < 0.05 * (report.data["spf"]["depth"] + 3) + 0.15


def test_domain_input_is_normalised_or_refused() -> None:
    assert normalize_domain(" Contoso.TEST. ") == "contoso.test"
    assert normalize_domain("user@contoso.test") == "contoso.test"
    assert normalize_domain("bücher.example") == "xn--bcher-kva.example"
    for bad in ("localhost", "contoso test", "a..b", "http://x.test/"):
        with pytest.raises(ValueError):
            normalize_domain(bad)


async def test_live_recheck_reevaluates_spf_and_dkim_keys(server: DnsTestServer) -> None:
    found = await live_recheck(
        OTHER_IP,
        DOMAIN,
        [(DOMAIN, "selector1"), (DOMAIN, "gone")],
        nameserver=server.address,
        timeout=0.5,
    )
    assert [f.code for f in found] == ["spf.ip-fail", "dkim.selector-ok", "dkim.selector-missing"]
    bad = await live_recheck("not-an-ip", DOMAIN, nameserver=server.address, timeout=0.5)
    assert [f.code for f in bad] == ["spf.ip-error"]
    assert "not-an-ip" in bad[0].detail


# -- the command line -------------------------------------------------------------------------


def run_cli(python: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "o365diag", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_dns_json_and_html(
    server: DnsTestServer, python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    server.zone.txt(f"_smtp._tls.{DOMAIN}", "v=TLSRPTv1; rua=mailto:<script>alert(1)</script>")
    page = str(tmp_path / "report.html")
    done = run_cli(
        python,
        cli_env,
        "dns",
        DOMAIN,
        "--ip",
        OTHER_IP,
        "--nameserver",
        server.address,
        "--dnsbl",
        "zen.spamhaus.org",
        "--json",
        "--html",
        page,
    )
    assert done.returncode == 1, done.stderr  # SPF fails for the device: a finding explains it
    data = json.loads(done.stdout)
    assert data["schema"] == "o365diag.dns/1"
    assert data["spf_checks"][0]["result"] == "fail"
    html_text = Path(page).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html_text and "&lt;script&gt;" in html_text


def test_cli_spf_text_shows_the_trace(
    server: DnsTestServer, python: str, cli_env: dict[str, str]
) -> None:
    done = run_cli(
        python,
        cli_env,
        "spf",
        "--ip",
        DEVICE_IP,
        "--mail-from",
        f"scanner@{DOMAIN}",
        "--nameserver",
        server.address,
    )
    assert done.returncode == 0, done.stderr
    assert "Result: pass" in done.stdout and f"ip4:{DEVICE_IP}: match" in done.stdout


def test_cli_demo_needs_no_network(python: str, cli_env: dict[str, str]) -> None:
    done = run_cli(python, cli_env, "dns", "--demo", "scanner-not-in-spf", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["domain"] == "contoso.example"
    assert data["spf_checks"][0] | {"trace": []} == data["spf_checks"][0] | {
        "ip": "198.51.100.7",
        "result": "fail",
        "trace": [],
    }
    assert data["resolver"]["nameservers"][0].startswith("127.0.0.1:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dns", "not a domain"], "is not a domain name"),
        (["dns", DOMAIN, "--nameserver", "dns.example"], "HOST must be an IP address"),
        (["spf", "--ip", "300.1.1.1", "--mail-from", "a@b.test"], "does not appear to be"),
        (["dkim", "/nonexistent/message.eml"], "cannot read"),
        (["dns", "--demo", "nope"], "unknown demo scenario"),
        (["dns"], "give a DOMAIN"),
    ],
)
def test_cli_bad_input_is_exit_2_with_one_line(
    python: str, cli_env: dict[str, str], args: list[str], message: str
) -> None:
    done = run_cli(python, cli_env, *args, "--timeout", "0.2")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
