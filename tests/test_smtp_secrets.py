"""Every scenario runs with a known password and token; neither (nor any base64 form of them)
may appear in stdout, stderr, the JSON report or the HTML report."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from o365diag.cli import main
from o365diag.smtp.simulator import DEMO_USER, SCENARIOS

PASSWORD = "Tr0ub4dor&3-known-test-password"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi-known-test-token"


def secret_forms() -> list[str]:
    user = DEMO_USER.encode()
    forms = [PASSWORD, TOKEN]
    for raw in (PASSWORD.encode(), TOKEN.encode()):
        for blob in (
            raw,
            b"\0" + user + b"\0" + raw,
            b"user=" + user + b"\x01auth=Bearer " + raw + b"\x01\x01",
        ):
            forms.append(base64.b64encode(blob).decode())
    forms.append(base64.b64encode(user).decode())  # the LOGIN user name payload
    return forms


def assert_no_secret(text: str, where: str) -> None:
    for form in secret_forms():
        assert form not in text, f"a secret leaked into {where}"


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("O365DIAG_TEST_PW", PASSWORD)
    monkeypatch.setenv("O365DIAG_TEST_TOKEN", TOKEN)
    return ["--password-env", "O365DIAG_TEST_PW", "--token-env", "O365DIAG_TEST_TOKEN"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_secret_in_any_output(
    name: str, secret_env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "report.html"
    main(["smtp", "--demo", name, "--send", *secret_env])
    text = capsys.readouterr()
    main(["smtp", "--demo", name, "--send", "--json", "--html", str(html), *secret_env])
    as_json = capsys.readouterr()
    for where, output in (
        ("stdout", text.out),
        ("stderr", text.err),
        ("JSON", as_json.out),
        ("stderr", as_json.err),
        ("HTML", html.read_text(encoding="utf-8")),
    ):
        assert_no_secret(output, where)
    auth = next(s for s in json.loads(as_json.out)["steps"] if s["name"] == "auth")
    if auth["status"] != "skipped":  # credentials were sent: the transcript shows the hiding
        assert "<redacted>" in text.out


def test_the_secrets_really_were_used(
    secret_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the test above: the simulator accepts exactly these secrets."""
    assert main(["smtp", "--demo", "healthy", *secret_env]) == 0
    assert main(["smtp", "--demo", "oauth", *secret_env]) == 0
    capsys.readouterr()


def test_no_secret_in_a_whole_process_run(tmp_path: Path) -> None:
    env = {**os.environ, "O365DIAG_TEST_PW": PASSWORD}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "o365diag",
            "smtp",
            "--demo",
            "wrong-password",
            "--password-env",
            "O365DIAG_TEST_PW",
            "--html",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 1
    assert_no_secret(run.stdout + run.stderr, "process output")
    assert_no_secret((tmp_path / "r.html").read_text(encoding="utf-8"), "HTML")


def test_config_and_exceptions_do_not_show_the_secret() -> None:
    import pickle

    from o365diag.smtp.config import ProbeConfig, Secret

    config = ProbeConfig(
        mail_from=DEMO_USER,
        rcpt_to=(DEMO_USER,),
        username=DEMO_USER,
        password=Secret(PASSWORD),
        token=Secret(TOKEN),
    )
    assert_no_secret(repr(config) + str(config) + f"{config.password}", "repr")
    with pytest.raises(TypeError):
        pickle.dumps(config)
