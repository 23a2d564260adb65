"""OAuth device-code sign-in (MSAL) against a loopback HTTPS identity provider, then XOAUTH2
with the token it issued against the simulator; the failure paths give findings; the token
appears in no output."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from o365diag.cli import main
from o365diag.smtp.config import ProbeConfig
from o365diag.smtp.oauth import (
    DeviceCodeSettings,
    Login,
    TokenAttempt,
    add_to_report,
    device_code_login,
)
from o365diag.smtp.probe import Probe
from o365diag.smtp.simulator import DEMO_USER, Simulator
from tests.conftest import IN_CI
from tests.smtp_idp import CLIENT_ID, TENANT, IdentityProvider, unanswering_listener
from tests.smtp_support import closed_port

if not IN_CI:  # MSAL is the optional "oauth" extra; CI installs it, so there it must be present
    pytest.importorskip("msal")


@pytest.fixture
def idp(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[IdentityProvider]:
    verdict = getattr(request, "param", "approve")
    with IdentityProvider(tmp_path, verdict=verdict) as provider:
        yield provider


def settings_for(idp: IdentityProvider, **changes: object) -> DeviceCodeSettings:
    base = DeviceCodeSettings(
        CLIENT_ID, TENANT, authority=idp.authority, cafile=str(idp.cafile), wait=20, timeout=5
    )
    return base._replace(**changes)  # type: ignore[arg-type]


def token_forms(token: str, user: str = DEMO_USER) -> list[str]:
    blob = b"user=" + user.encode() + b"\x01auth=Bearer " + token.encode() + b"\x01\x01"
    return [token, base64.b64encode(blob).decode(), base64.b64encode(token.encode()).decode()]


# ---------------------------------------------------------------- the library
async def test_device_code_token_completes_an_oauth_session(idp: IdentityProvider) -> None:
    login = await asyncio.to_thread(device_code_login, settings_for(idp), idp.sign_in_later())
    assert login.attempt.ok and login.token is not None
    assert login.token.reveal() == idp.token
    assert login.attempt.account == DEMO_USER and login.attempt.expires_in == 3599
    # MSAL fetched the tenant's configuration, got a code, and polled until the sign-in.
    token_polls = idp.requests.count(f"POST /{TENANT}/oauth2/v2.0/token")
    assert idp.requests[:2] == [
        f"GET /{TENANT}/v2.0/.well-known/openid-configuration",
        f"POST /{TENANT}/oauth2/v2.0/devicecode",
    ]
    assert token_polls >= 2 and "GET /common/discovery/instance" not in idp.requests
    assert "enter the code" in idp.shown[0] and f"{idp.authority}/devicelogin" in idp.shown[0]
    async with Simulator("oauth", token=idp.token) as sim:
        report = await Probe(sim.client_config(token=login.token)).run()
    auth = next(s for s in report.data["steps"] if s["name"] == "auth")
    assert auth["status"] == "ok" and auth["reply"]["code"] == 235
    assert report.data["auth_mechanism"] == "xoauth2"
    assert report.data["outcome"] == "accepted-no-data"


async def test_the_issued_token_is_what_reaches_the_server(idp: IdentityProvider) -> None:
    """Guards the test above: a simulator expecting another token refuses this one."""
    login = await asyncio.to_thread(device_code_login, settings_for(idp), idp.sign_in)
    async with Simulator("oauth") as sim:  # its own random token
        report = await Probe(sim.client_config(token=login.token)).run()
    assert "smtp.5.7.3" in report.codes()


@pytest.mark.parametrize(
    ("idp", "wait", "code", "words"),
    [
        ("decline", 20, "oauth.declined", "authorization_declined"),
        ("expire", 20, "oauth.code-expired", "expired_token"),
        ("never", 1.5, "oauth.timeout", "nobody signed in within 1.5 s"),
        ("confidential-app", 20, "oauth.public-client-disabled", "AADSTS7000218"),
        ("no-consent", 20, "oauth.consent-missing", "AADSTS65001"),
        ("html", 20, "oauth.bad-response", "not an OAuth response"),
    ],
    indirect=["idp"],
)
def test_sign_in_that_ends_without_a_token(
    idp: IdentityProvider, wait: float, code: str, words: str
) -> None:
    started = time.monotonic()
    login = device_code_login(settings_for(idp, wait=wait), idp.shown.append)
    assert login.token is None
    assert login.attempt.error_code == code and words in login.attempt.detail
    assert "\n" not in login.attempt.detail and "Trace ID" not in login.attempt.detail
    assert time.monotonic() - started < wait + 3
    assert idp.shown, "the user was told where to sign in"


def test_identity_provider_refusing_the_connection(idp: IdentityProvider) -> None:
    settings = settings_for(idp, authority=f"https://127.0.0.1:{closed_port()}")
    login = device_code_login(settings, idp.shown.append)
    assert login.attempt.error_code == "oauth.unreachable"
    assert "cannot reach 127.0.0.1" in login.attempt.detail
    assert not idp.shown


def test_identity_provider_silent_past_the_timeout(idp: IdentityProvider) -> None:
    with unanswering_listener() as port:
        started = time.monotonic()
        settings = settings_for(idp, authority=f"https://127.0.0.1:{port}", timeout=1)
        login = device_code_login(settings, idp.shown.append)
    assert time.monotonic() - started < 4
    assert login.attempt.error_code == "oauth.unreachable"
    assert (
        "no answer from 127.0.0.1" in login.attempt.detail and "within 1 s" in login.attempt.detail
    )


def test_identity_provider_certificate_not_trusted(idp: IdentityProvider) -> None:
    login = device_code_login(settings_for(idp, cafile=None), idp.shown.append)
    assert login.attempt.error_code == "oauth.cert-untrusted"
    assert idp.requests == []  # the TLS handshake failed before any request


@pytest.mark.parametrize(
    ("changes", "code", "aadsts"),
    [
        ({"client_id": "00000000-0000-4000-8000-0000000000ff"}, "oauth.app-not-found", "700016"),
        ({"tenant": "nosuch.example"}, "oauth.tenant-unknown", "90002"),
        ({"scopes": ("https://outlook.office.com/IMAP.AccessAsUser.All",)}, "oauth.rejected", ""),
    ],
)
def test_identity_provider_refusals_are_told_apart(
    idp: IdentityProvider, changes: dict[str, object], code: str, aadsts: str
) -> None:
    login = device_code_login(settings_for(idp, **changes), idp.shown.append)
    assert login.attempt.error_code == code
    assert f"AADSTS{aadsts}" in login.attempt.detail


def test_the_token_is_not_logged(idp: IdentityProvider) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        login = device_code_login(settings_for(idp), idp.sign_in)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert login.token is not None
    assert "access_token" in captured.getvalue()  # MSAL did log the token response...
    assert idp.token not in captured.getvalue()  # ...with the token masked
    assert idp.token not in repr(login) + str(login.attempt.to_dict())


@pytest.mark.parametrize(
    ("auth_user", "codes"),
    [("SCANNER@example.com", []), ("shared@example.com", ["oauth.account-differs"])],
)
def test_signing_in_as_another_account_is_noted(auth_user: str, codes: list[str]) -> None:
    config = ProbeConfig(mail_from=DEMO_USER, rcpt_to=(DEMO_USER,))
    report = Probe(config).report()
    before = list(report.codes())
    attempt = TokenAttempt("https://a.example/t", CLIENT_ID, ("s",), 5.0, account=DEMO_USER)
    add_to_report(report, attempt, auth_user)
    assert report.codes() == [*codes, *before]
    assert (
        report.data["oauth"]["account"] == DEMO_USER and report.data["oauth"]["result"] == "token"
    )


def test_a_blocked_probe_reports_every_step_as_not_run() -> None:
    probe = Probe(ProbeConfig(mail_from="a@example.com", rcpt_to=("b@example.com",)))
    probe.block("the OAuth sign-in failed")
    session = probe.session()
    assert session.outcome == "failed" and probe.done
    assert {s.status for s in session.steps} == {"skipped"}
    assert {s.detail for s in session.steps} == {"not run: the OAuth sign-in failed"}


# ---------------------------------------------------------------- the command line
def cli_args(idp: IdentityProvider, *more: str) -> list[str]:
    return [
        "smtp",
        "--oauth-device-code",
        "--client-id",
        CLIENT_ID,
        "--tenant",
        TENANT,
        "--oauth-authority",
        idp.authority,
        "--oauth-cafile",
        str(idp.cafile),
        "--from",
        DEMO_USER,
        "--to",
        "colleague@example.com",
        *more,
    ]


@pytest.mark.parametrize("idp", ["decline"], indirect=True)
def test_cli_declined_sign_in_is_a_finding(
    idp: IdentityProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(closed_port())  # never contacted: the session does not start
    assert main(cli_args(idp, "--host", "127.0.0.1", "--port", port, "--json")) == 1
    captured = capsys.readouterr()
    assert "enter the code" in captured.err  # with --json the sign-in message goes to stderr
    data = json.loads(captured.out)
    assert data["findings"][0]["code"] == "oauth.declined"
    assert data["oauth"]["result"] == "failed" and data["oauth"]["error"] == "oauth.declined"
    assert {s["detail"] for s in data["steps"]} == {"not run: the OAuth sign-in failed"}
    assert main(cli_args(idp, "--host", "127.0.0.1", "--port", port)) == 1
    text = capsys.readouterr().out
    assert "[FAIL] oauth" in text and "approve the request" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--oauth-device-code"], "needs --client-id"),
        (["--client-id", CLIENT_ID], "only used with --oauth-device-code"),
        (["--oauth-device-code", "--client-id", "x", "--token-env", "T"], "drop --token-env"),
        (["--oauth-device-code", "--client-id", "x", "--auth", "login"], "drop --auth"),
        (
            ["--oauth-device-code", "--client-id", "x", "--oauth-authority", "http://a.example"],
            "https:// URL",
        ),
        (["--oauth-device-code", "--client-id", "x", "--to", "nobody"], "not a mail address"),
    ],
)
def test_cli_oauth_usage_errors(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["smtp", "--from", "a@example.com", "--to", "b@example.com", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_msal_loads_only_for_the_device_code_sign_in() -> None:
    code = (
        "import sys; from o365diag.cli import main; "
        "main(['smtp', '--demo', 'oauth', '--json']); "
        "print('msal' in sys.modules, 'requests' in sys.modules, file=sys.stderr)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(run.stdout)["outcome"] == "accepted-no-data"
    assert run.stderr.strip() == "False False"


def test_cli_without_msal_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['msal'] = None; from o365diag.cli import main; "
        "sys.exit(main(['smtp', '--from', 'a@example.com', '--to', 'b@example.com', "
        "'--oauth-device-code', '--client-id', 'x']))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "o365diag smtp: OAuth sign-in needs MSAL: pip install o365diag[oauth]"
    )


async def run_cli_signing_in(idp: IdentityProvider, argv: list[str]) -> tuple[int, str, str]:
    """The CLI as a process; the test plays the user who reads the code and signs in."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "o365diag",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    outputs: dict[str, list[str]] = {"out": [], "err": []}

    async def read(stream: asyncio.StreamReader, name: str) -> None:
        async for raw in stream:
            line = raw.decode()
            outputs[name].append(line)
            if "enter the code" in line:
                await asyncio.to_thread(idp.sign_in, line)

    assert process.stdout is not None and process.stderr is not None
    await asyncio.wait_for(
        asyncio.gather(read(process.stdout, "out"), read(process.stderr, "err"), process.wait()),
        60,
    )
    return process.returncode or 0, "".join(outputs["out"]), "".join(outputs["err"])


async def test_cli_process_signs_in_and_sends_without_showing_the_token(
    idp: IdentityProvider, tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    async with Simulator("oauth", token=idp.token) as sim:
        target = [
            "--host",
            sim.public_name,
            "--connect-address",
            sim.host,
            "--port",
            str(sim.port),
            "--cafile",
            str(sim.cafile),
            "--send",
        ]
        as_json = await run_cli_signing_in(
            idp, cli_args(idp, *target, "--json", "--html", str(html))
        )
        as_text = await run_cli_signing_in(idp, cli_args(idp, *target))
        assert len(sim.messages) == 2
    code, out, err = as_json
    assert code == 0, err
    data = json.loads(out)
    assert data["outcome"] == "sent" and data["auth_mechanism"] == "xoauth2"
    assert data["oauth"]["result"] == "token" and data["oauth"]["account"] == DEMO_USER
    assert data["transcript"][0]["line"].startswith("OAuth access token for scanner@example.com")
    assert (
        as_text[0] == 0 and "[ ok ] oauth" in as_text[1] and "AUTH XOAUTH2 <redacted>" in as_text[1]
    )
    for where, text in (
        ("JSON", out),
        ("stderr", err),
        ("text", as_text[1] + as_text[2]),
        ("HTML", html.read_text(encoding="utf-8")),
    ):
        for form in token_forms(idp.token):
            assert form not in text, f"the token leaked into {where}"


def test_login_result_never_shows_the_token() -> None:
    from o365diag.smtp.config import Secret

    login = Login(Secret("tok-123456"), TokenAttempt("https://a.example/t", "c", ("s",), 1.0))
    assert "tok-123456" not in repr(login) + str(login) + json.dumps(login.attempt.to_dict())
