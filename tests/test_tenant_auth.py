"""Sign-in for Graph on MSAL against the loopback identity provider: device code, browser
(loopback redirect with PKCE), certificate and client secret; the persistent cache, status,
logout, a token renewed in the middle of a pull, and the prerequisites check."""

from __future__ import annotations

import json
import stat
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from o365diag.cli import main
from o365diag.smtp.certs import LocalCA
from o365diag.trace.synth import synthesize
from tests.conftest import IN_CI
from tests.graph_server import GraphServer, graph_records
from tests.smtp_idp import CLIENT_ID, TENANT, IdentityProvider

if not IN_CI:
    pytest.importorskip("msal")

GRAPH_SCOPES = (
    "ExchangeMessageTrace.Read.All",
    "AuditLog.Read.All",
    "Directory.Read.All",
    "Policy.Read.All",
)
SECRET = "client-secret-value-do-not-show"


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[IdentityProvider, GraphServer]]:
    """An identity provider and a Graph server sharing one test CA."""
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))
    ca = LocalCA("o365diag tenant test CA")
    app_cert_pem, app_key_pem = rsa_app_certificate()
    pem = tmp_path / "app.pem"
    pem.write_bytes(app_key_pem + app_cert_pem)
    idp_folder, graph_folder = tmp_path / "idp", tmp_path / "graph"
    idp_folder.mkdir()
    graph_folder.mkdir()
    now = datetime.now(UTC)
    frame = synthesize(
        12_000, 4, start=(now - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    )
    with (
        IdentityProvider(
            idp_folder,
            scopes=(
                *tuple(f"https://127.0.0.1/{s}" for s in GRAPH_SCOPES),
                "https://127.0.0.1/.default",
            ),
            client_secret=SECRET,
            app_certificate=x509.load_pem_x509_certificate(app_cert_pem),
            ca=ca,
        ) as idp,
        GraphServer(graph_folder, graph_records(frame), tokens=idp.issued, ca=ca) as graph,
    ):
        graph.app_pem = pem  # type: ignore[attr-defined]
        yield idp, graph


def rsa_app_certificate() -> tuple[bytes, bytes]:
    """A self-signed RSA certificate, as an app registration holds (Entra signs with RS256)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "o365diag test app")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def common(idp: IdentityProvider, graph: GraphServer) -> list[str]:
    return [
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--authority",
        idp.authority,
        "--graph-url",
        graph.url,
        "--cafile",
        str(graph.cafile),
        "--timeout",
        "5",
    ]


def scopes_fit(idp: IdentityProvider, graph: GraphServer) -> None:
    # Scopes are named after the Graph URL; the test IdP knows them by the loopback host.
    host = graph.url
    idp.scopes = (*tuple(f"{host}/{s}" for s in GRAPH_SCOPES), f"{host}/.default")


def secrets_in(tmp_path: Path, idp: IdentityProvider) -> list[str]:
    return [*idp.issued, *idp.refresh_tokens, SECRET]


def assert_clean(text: str, idp: IdentityProvider) -> None:
    for secret in [*idp.issued, *idp.refresh_tokens, SECRET]:
        assert secret not in text


def test_device_code_login_status_pull_and_logout(
    world: tuple[IdentityProvider, GraphServer], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    idp, graph = world
    scopes_fit(idp, graph)
    approve = threading.Thread(target=_approve_when_shown, args=(idp, capfd), daemon=True)
    approve.start()
    code = main(["tenant", "login", *common(idp, graph), "--wait", "20"])
    out = capfd.readouterr()
    assert code == 0, out.err
    assert "Signed in to contoso.example as scanner@example.com" in out.out
    cache = tmp_path / "home" / "tenants" / "contoso.example.cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert "file mode 0600" in out.out or "encrypted" in out.out
    # status: account, scopes, expiry; never a token
    assert main(["tenant", "status", "--json"]) == 0
    status = json.loads(capfd.readouterr().out)
    assert status["account"] == "scanner@example.com" and status["expires"]
    assert any(s.endswith("ExchangeMessageTrace.Read.All") for s in status["scopes"])
    # a pull in another "session" takes the token from the cache; the server expires it
    # after one request and the refresh token renews it in the middle of the pull
    graph.expire_after = 1
    out_dir = tmp_path / "store"
    code = main(
        [
            "trace",
            "--graph",
            "--since",
            "4d",
            "--out",
            str(out_dir),
            "--json",
            "--graph-url",
            graph.url,
            "--cafile",
            str(graph.cafile),
        ]
    )
    captured = capfd.readouterr()
    data = json.loads(captured.out)
    assert code == 0, (captured.err, data["findings"], data["requests"])
    renewals = [r["status"] for r in data["requests"]].count(401)
    assert data["complete"] and renewals >= 1
    assert len(set(graph.authorizations)) == 1 + renewals, "the sign-in token, then renewed"
    text = (
        captured.out
        + captured.err
        + "".join(p.read_bytes().decode("latin-1") for p in out_dir.rglob("*") if p.is_file())
    )
    assert_clean(text + cache.read_text(encoding="utf-8")[:0], idp)
    assert main(["tenant", "logout"]) == 0
    assert not cache.exists()
    assert main(["tenant", "status"]) == 1
    assert_clean(capfd.readouterr().out, idp)


def _approve_when_shown(idp: IdentityProvider, capfd: Any) -> None:
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if idp.codes:
            code = next(iter(idp.codes.values()))
            idp.approved.add(code)
            return
        time.sleep(0.1)


def test_browser_login_uses_a_loopback_redirect_with_pkce(
    world: tuple[IdentityProvider, GraphServer], tmp_path: Path
) -> None:
    from o365diag.tenant.auth import Connection, MsalTokens

    idp, graph = world
    scopes_fit(idp, graph)
    connection = Connection(
        TENANT,
        CLIENT_ID,
        authority=idp.authority,
        graph_url=graph.url,
        cafile=str(graph.cafile),
        timeout=5,
    )
    visited: list[str] = []

    def browser(url: str) -> None:
        visited.append(url)
        context = __import__("ssl").create_default_context(cafile=str(graph.cafile))
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        threading.Thread(target=lambda: opener.open(url, timeout=5).read(), daemon=True).start()

    tokens = MsalTokens(connection, tmp_path / "home")
    outcome = tokens.login_browser(browser, wait=10)
    assert outcome["account"] == "scanner@example.com"
    assert (
        "code_challenge_method=S256" in visited[0]
        and "redirect_uri=http%3A%2F%2Flocalhost" in visited[0]
    )
    assert tokens.token() == idp.token


@pytest.mark.parametrize("how", ["certificate", "secret"])
def test_app_only_login_and_check(
    world: tuple[IdentityProvider, GraphServer],
    how: str,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    idp, graph = world
    scopes_fit(idp, graph)
    if how == "certificate":
        extra = ["--cert", str(graph.app_pem)]  # type: ignore[attr-defined]
    else:
        monkeypatch.setenv("APP_SECRET", SECRET)
        extra = ["--secret-env", "APP_SECRET"]
    assert main(["tenant", "login", *common(idp, graph), *extra]) == 0
    login = capfd.readouterr()
    assert "app 0000" in login.out or "as app" in login.out
    code = main(["tenant", "check", *common(idp, graph), *extra, "--json"])
    report = json.loads(capfd.readouterr().out)
    codes = [f["code"] for f in report["findings"]]
    assert code == 0
    readable = {"tenant.trace-readable", "tenant.signins-readable", "tenant.policies-readable"}
    assert {"tenant.sp-present", *readable} <= set(codes)
    assert ("tenant.client-secret" in codes) == (how == "secret")
    assert_clean(login.out + login.err + json.dumps(report), idp)


def test_check_names_each_missing_piece_with_its_fix(
    world: tuple[IdentityProvider, GraphServer], capfd: pytest.CaptureFixture[str]
) -> None:
    idp, graph = world
    scopes_fit(idp, graph)
    args = [*common(idp, graph), "--cert", str(graph.app_pem)]  # type: ignore[attr-defined]
    graph.service_principal = False
    graph.mode = "no-licence"
    code = main(["tenant", "check", *args, "--json"])
    report = json.loads(capfd.readouterr().out)
    by_code = {f["code"]: f for f in report["findings"]}
    assert code == 1
    assert (
        "New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373"
        in by_code["tenant.service-principal-missing"]["fix"]
    )
    assert "P1" in by_code["tenant.licence-missing"]["detail"]
    assert "o365diag signins FILE" in by_code["tenant.licence-missing"]["fix"]
    assert "tenant.policies-readable" in by_code  # the licence the sign-ins lack is not CA's


def test_check_says_when_conditional_access_cannot_be_read(
    world: tuple[IdentityProvider, GraphServer], capfd: pytest.CaptureFixture[str]
) -> None:
    idp, graph = world
    scopes_fit(idp, graph)
    args = [*common(idp, graph), "--cert", str(graph.app_pem)]  # type: ignore[attr-defined]
    graph.mode = "no-ca-licence"
    code = main(["tenant", "check", *args, "--json"])
    report = json.loads(capfd.readouterr().out)
    by_code = {f["code"]: f for f in report["findings"]}
    assert code == 0  # a warning: message trace and sign-ins still work
    assert report["checks"]["policies"] == "tenant.policies-unreadable"
    assert "Policy.Read.All" in by_code["tenant.policies-unreadable"]["detail"]


def test_a_wrong_secret_is_a_clear_refusal(
    world: tuple[IdentityProvider, GraphServer],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    idp, graph = world
    scopes_fit(idp, graph)
    monkeypatch.setenv("APP_SECRET", "not-the-secret")
    code = main(["tenant", "login", *common(idp, graph), "--secret-env", "APP_SECRET"])
    err = capfd.readouterr().err
    assert code == 1 and "AADSTS7000215" in err and "not-the-secret" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_device_code_blocked_by_conditional_access_points_to_the_browser(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))
    scopes = tuple(f"https://127.0.0.1/{s}" for s in GRAPH_SCOPES)
    with IdentityProvider(tmp_path, verdict="ca-blocked", scopes=scopes) as idp:
        argv = ["tenant", "login", "--tenant", TENANT, "--client-id", CLIENT_ID]
        argv += ["--authority", idp.authority, "--cafile", str(idp.cafile), "--timeout", "5"]
        argv += ["--graph-url", "https://127.0.0.1", "--wait", "10"]
        code = main(argv)
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 1 and "AADSTS53003" in err[-1] and "try --browser" in err[-1]
