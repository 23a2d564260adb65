"""``o365diag smtp`` and ``o365diag simulate`` as a user runs them: exit codes, JSON, HTML,
one-line usage errors, and a real simulator process probed by a real CLI process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from o365diag.cli import main
from o365diag.smtp.simulator import SCENARIOS

ENV_PASSWORD = "O365DIAG_TEST_SMTP_PASSWORD"
LIVE = ["smtp", "--from", "a@example.com", "--to", "b@example.com"]
WITH_USER = [*LIVE, "--user", "a@example.com", "--password-env"]


def test_demo_healthy_exits_0_with_live_steps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smtp", "--demo", "healthy"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\[ ok \] rcpt colleague@example\.com +[\d.]+ ms  250 2\.1\.5", out, re.M)
    assert "[OK] session.accepted" in out
    assert " ~> AUTH LOGIN" in out and "<~  235 2.7.0" in out


def test_demo_failure_exits_1_and_names_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smtp", "--demo", "auth-disabled"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] auth" in out
    assert "<~* 535 5.7.139" in out
    assert "Set-CASMailbox" in out


def test_json_output_is_the_smtp_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smtp", "--demo", "send-as-denied", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "o365diag.smtp/1"
    assert data["outcome"] == "failed"
    assert "smtp.5.7.60" in [f["code"] for f in data["findings"]]


def test_html_report_is_written_and_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["smtp", "--demo", "healthy", "--send", "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "MAIL FROM:&lt;scanner@example.com&gt;" in page
    assert "<script" not in page
    assert "session.sent" in page


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["smtp", "--to", "a@example.com"], "--from and --to are required"),
        (["smtp", "--from", "a@example.com", "--to", "not-an-address"], "is not a mail address"),
        (
            [*LIVE, "--port", "70000"],
            "out of range",
        ),
        (["smtp", "--demo", "no-such-scenario"], "unknown scenario"),
        (["smtp", "--demo", "healthy", "--stop-after", "data"], "needs --send"),
        ([*WITH_USER, "O365DIAG_UNSET_VARIABLE"], "is not set"),
        ([*LIVE, "--cafile", "/nonexistent/ca.pem"], "cannot load TLS files"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_missing_env_variable_name_is_not_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    # A user who typed the password itself in place of the variable name must not see it echoed.
    main([*WITH_USER, "Hunter2-typed-by-mistake"])
    captured = capsys.readouterr()
    assert "Hunter2-typed-by-mistake" not in captured.err + captured.out


def test_there_is_no_password_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["smtp", "--demo", "healthy", "--password", "x"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):  # no abbreviation of --password-env either
        main(["smtp", "--demo", "healthy", "--pass", "x"])


def test_list_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smtp", "--list-scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(SCENARIOS)


def test_command_module_is_light() -> None:
    code = (
        "import sys, o365diag.cli; o365diag.cli.build_parser(); "
        "print(sorted(m for m in ('aiosmtplib', 'aiosmtpd', 'cryptography', 'dns') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_simulate_process_probed_by_smtp_process(tmp_path: Path) -> None:
    env = {**os.environ, ENV_PASSWORD: "proc-pw-" + "z" * 12}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "o365diag",
            "simulate",
            "--scenario",
            "healthy",
            "--password-env",
            ENV_PASSWORD,
            "--duration",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        banner = "".join(server.stdout.readline() for _ in range(5))
        port = re.search(r"listening on 127\.0\.0\.1:(\d+)", banner).group(1)  # type: ignore
        cafile = re.search(r"CA file: (\S+)", banner).group(1)  # type: ignore
        assert env[ENV_PASSWORD] not in banner
        base = [
            sys.executable,
            "-m",
            "o365diag",
            "smtp",
            "--host",
            "smtp.office365.com",
            "--connect-address",
            "127.0.0.1",
            "--port",
            port,
            "--cafile",
            cafile,
            "--from",
            "scanner@example.com",
            "--to",
            "colleague@example.com",
            "--user",
            "scanner@example.com",
            "--json",
        ]
        by_env = subprocess.run(
            [*base, "--password-env", ENV_PASSWORD],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
        by_stdin = subprocess.run(
            base,
            input=env[ENV_PASSWORD] + "\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
    finally:
        server.terminate()
        server.communicate(timeout=10)
    for run in (by_env, by_stdin):
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["outcome"] == "accepted-no-data"
        assert env[ENV_PASSWORD] not in run.stdout + run.stderr
