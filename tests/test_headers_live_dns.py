"""`o365diag headers --live-dns`: SPF and DKIM re-checked against a real DNS server on loopback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.dns_zones import DEVICE_IP, DOMAIN, ready_zone
from tests.dnsserver import DnsTestServer

HEADERS = f"""Authentication-Results: spf=softfail (sender IP is {{ip}})
 smtp.mailfrom={DOMAIN}; dkim=pass (signature was verified) header.d={DOMAIN}
 header.s=selector1;dmarc=pass action=none header.from={DOMAIN};compauth=pass reason=100
From: Scanner <scanner@{DOMAIN}>
Subject: live check
"""


@pytest.fixture
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer(ready_zone()) as server:
        yield server


def _run(
    python: str, env: dict[str, str], headers: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "o365diag", "headers", "-", "--json", *args],
        input=headers,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_ip_now_in_spf_passes_and_the_dkim_key_is_found(
    python: str, cli_env: dict[str, str], dns_server: DnsTestServer
) -> None:
    result = _run(
        python,
        cli_env,
        HEADERS.format(ip=DEVICE_IP),
        "--live-dns",
        "--nameserver",
        dns_server.address,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    live = data["live_dns"]
    assert live["ip"] == DEVICE_IP and live["mail_from_domain"] == DOMAIN
    assert "spf.ip-pass" in live["findings"]
    assert any(code.startswith("dkim.selector") for code in live["findings"])
    assert {q.name.rstrip(".") for q in dns_server.queries} >= {
        DOMAIN,
        f"selector1._domainkey.{DOMAIN}",
    }


def test_ip_not_in_spf_fails_now(
    python: str, cli_env: dict[str, str], dns_server: DnsTestServer
) -> None:
    result = _run(
        python,
        cli_env,
        HEADERS.format(ip="203.0.113.99"),
        "--live-dns",
        "--nameserver",
        dns_server.address,
    )
    data = json.loads(result.stdout)
    assert "spf.ip-fail" in data["live_dns"]["findings"]


def test_silent_server_ends_within_the_timeout(python: str, cli_env: dict[str, str]) -> None:
    zone = ready_zone().never_answer(DOMAIN).never_answer(f"selector1._domainkey.{DOMAIN}")
    with DnsTestServer(zone) as server:
        result = _run(
            python,
            cli_env,
            HEADERS.format(ip=DEVICE_IP),
            "--live-dns",
            "--nameserver",
            server.address,
            "--dns-timeout",
            "0.5",
        )
    assert result.returncode == 0, result.stderr
    codes = json.loads(result.stdout)["live_dns"]["findings"]
    assert "spf.ip-error" in codes or "spf.ip-none" in codes


def test_live_dns_is_refused_in_bulk_mode(python: str, cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [python, "-m", "o365diag", "headers", "-", "--jsonl", "-", "--live-dns"],
        input="Subject: x\n",
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "--live-dns" in result.stderr
