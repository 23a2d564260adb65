"""Certificates made in the test run: untrusted, wrong host, expired; insecure mode; implicit
TLS; client certificates for a certificate-based connector; TLS version limits."""

from __future__ import annotations

from pathlib import Path

from o365diag.smtp.certs import LocalCA
from o365diag.smtp.probe import Probe
from o365diag.smtp.simulator import Behaviour, Simulator
from tests.smtp_support import loopback_config, plain_aiosmtpd


def _failed(report: object) -> dict:  # type: ignore[type-arg]
    steps = report.data["steps"]  # type: ignore[attr-defined]
    return next(s for s in steps if s["status"] == "failed")


async def test_untrusted_certificate_is_named_and_shown() -> None:
    async with Simulator("healthy") as sim:  # our CA is not in the system store
        report = await Probe(sim.client_config(cafile=None)).run()
    assert _failed(report)["name"] == "starttls"
    assert _failed(report)["error"] == "tls.cert-untrusted"
    assert "tls.cert-untrusted" in report.codes()
    peer = report.data["tls"]["peer_cert"]
    assert "o365diag simulator CA" in peer["issuer"]  # fetched again to show what was presented
    assert report.data["tls"]["verified"] is False


async def test_certificate_from_another_ca_is_untrusted(tmp_path: Path) -> None:
    other = LocalCA("some other CA").write_ca(tmp_path)
    async with Simulator("healthy") as sim:
        report = await Probe(sim.client_config(cafile=str(other))).run()
    assert "tls.cert-untrusted" in report.codes()


async def test_certificate_for_another_host_is_a_hostname_mismatch() -> None:
    async with Simulator("healthy", cert_names=("other.example",)) as sim:
        report = await Probe(sim.client_config()).run()
    assert _failed(report)["error"] == "tls.cert-hostname-mismatch"
    assert report.data["tls"]["peer_cert"]["san"] == ["other.example"]
    finding = next(f for f in report.findings if f.code == "tls.cert-hostname-mismatch")
    assert "smtp.office365.com" in finding.detail


async def test_expired_certificate() -> None:
    async with Simulator("healthy", cert_expired=True) as sim:
        report = await Probe(sim.client_config()).run()
    assert _failed(report)["error"] == "tls.cert-expired"
    assert report.data["tls"]["peer_cert"]["days_left"] < 0


async def test_insecure_mode_continues_and_is_a_finding() -> None:
    async with Simulator("healthy", cert_expired=True) as sim:
        report = await Probe(sim.client_config(cafile=None, insecure=True)).run()
    assert report.data["outcome"] == "accepted-no-data"
    assert report.data["tls"]["verified"] is False
    assert "smtp.office365.com" in report.data["tls"]["peer_cert"]["san"]
    assert "tls.insecure" in report.codes()


async def test_implicit_tls() -> None:
    async with Simulator("healthy", tls="implicit") as sim:
        probe = Probe(sim.client_config(tls_mode="implicit"))
        report = await probe.run()
    statuses = {s["name"]: s["status"] for s in report.data["steps"]}
    assert statuses["starttls"] == "skipped" and statuses["auth"] == "ok"
    assert report.data["tls"]["mode"] == "implicit"
    assert all(line.tls for line in probe.transcript if line.dir != "info")


async def test_implicit_tls_against_a_plain_port_fails_the_handshake() -> None:
    async with Simulator("healthy") as sim:
        report = await Probe(sim.client_config(tls_mode="implicit", timeout=2)).run()
    assert _failed(report)["name"] == "connect"
    assert _failed(report)["error"] == "tls.handshake-failed"


async def test_starttls_not_offered(tmp_path: Path) -> None:
    async with plain_aiosmtpd() as port:  # no TLS context: no STARTTLS in EHLO
        report = await Probe(loopback_config(port, tls_mode="starttls")).run()
    assert _failed(report)["error"] == "starttls.not-offered"


async def test_certificate_based_connector(tmp_path: Path) -> None:
    behaviour = Behaviour(role="mx", connector_cert_domain="example.com")
    async with Simulator("relay", behaviour=behaviour) as sim:
        assert sim.ca is not None
        cert, key = sim.ca.issue(["relay01.example.com"], client=True).write(tmp_path, "client")
        with_cert = await Probe(sim.client_config(client_cert=str(cert), client_key=str(key))).run()
        without = await Probe(sim.client_config()).run()
    assert with_cert.data["outcome"] == "accepted-no-data"
    assert "smtp.5.7.64" in without.codes()


async def test_client_limited_to_tls_1_1_against_a_modern_server() -> None:
    async with Simulator("healthy") as sim:
        report = await Probe(sim.client_config(tls_max_version="1.1")).run()
    assert _failed(report)["error"] == "tls.legacy-version"
