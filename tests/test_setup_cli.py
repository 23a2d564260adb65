"""``o365diag setup``: answers as flags, questions on a terminal (a real pseudo-terminal here),
JSON/Markdown/script output, the demo verify, and one-line errors with exit status 2."""

from __future__ import annotations

import argparse
import io
import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from o365diag.setup.command import UsageError, collect_answers, register
from o365diag.setup.generate import OPTIONAL_WARNING
from tests.test_setup_powershell import parse

FLAGS = [
    "--domain",
    "example.com",
    "--from",
    "scanner@example.com",
    "--tls",
    "--auth",
    "none",
    "--recipients",
    "both",
    "--static-ip",
    "203.0.113.25",
    "--device-name",
    "Copier",
]


def run_cli(python: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "o365diag", "setup", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_flags_give_the_plan_as_text(python: str, cli_env: dict[str, str]) -> None:
    result = run_cli(python, cli_env, *FLAGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Recommended: SMTP relay through an inbound connector")
    assert "New-InboundConnector -Name 'Relay from Copier'" in result.stdout
    assert "Why not the others:" in result.stdout


def test_json_markdown_and_script_outputs(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "setup.ps1"
    result = run_cli(python, cli_env, *FLAGS, "--json", "--script", str(script))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "o365diag.setup/1"
    assert data["recommendation"]["option"] == "relay"
    assert data["answers"]["static_ips"] == ["203.0.113.25"]
    lines = script.read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines if not line.startswith("#")]
    # Optional tenant-wide hardening is in the script only commented out, under a warning.
    assert commands == [p["command"] for p in data["powershell"] if not p["optional"]]
    optional = [p["command"] for p in data["powershell"] if p["optional"]]
    assert optional == ["Set-OrganizationConfig -RejectDirectSend $true"]
    assert f"# {optional[0]}" in lines
    assert all(line in lines for line in OPTIONAL_WARNING.splitlines())
    for command in commands:
        parse(command)
    markdown = run_cli(python, cli_env, *FLAGS, "--markdown")
    assert markdown.stdout.startswith("## Recommended: SMTP relay through an inbound connector")


def test_demo_verify_from_the_command_line(python: str, cli_env: dict[str, str]) -> None:
    result = run_cli(python, cli_env, *FLAGS, "--demo", "--json")
    assert result.returncode == 0, result.stderr
    verify = json.loads(result.stdout)["verify"]
    assert verify["mode"] == "demo"
    assert verify["dns"]["schema"] == "o365diag.dns/1"
    assert verify["smtp"]["outcome"] == "accepted-no-data"
    assert verify["findings"][-1]["code"] == "setup.first-message-check"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "missing answers: give --domain, --sender, --tls, --auth, --recipients"),
        ((*FLAGS[:-2], "--static-ip", "203.0.113.300"), "static_ips: '203.0.113.300'"),
        (
            (
                "--domain",
                "example.com",
                "--from",
                "scanner",
                "--tls",
                "--auth",
                "none",
                "--recipients",
                "both",
            ),
            "sender: 'scanner' is not a mail address",
        ),
        (
            (
                *FLAGS,
                "--verify",
                "--auth",
                "basic",
                "--recipients",
                "both",
                "--sent-items",
                "--password-env",
                "O365DIAG_TEST_UNSET",
            ),
            "O365DIAG_TEST_UNSET is not set",
        ),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    python: str, cli_env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    env = {k: v for k, v in cli_env.items() if k != "O365DIAG_TEST_UNSET"}
    result = run_cli(python, env, *args)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def parsed(*args: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["setup", *args])


def test_questions_are_asked_only_for_missing_answers_and_repeated_when_wrong() -> None:
    replies = iter(["y", "kerberos", "oauth", "both", "", "", "", "n", "n"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(replies)

    out = io.StringIO()
    answers = collect_answers(
        parsed("--domain", "example.com", "--from", "s@example.com"), io.StringIO(), out, ask=ask
    )
    assert answers.tls is True and answers.auth == "oauth" and answers.recipients == "both"
    assert not any("domain" in p.lower() for p in prompts)
    assert prompts[1] == prompts[2]  # asked again after "kerberos"
    assert "not one of" in out.getvalue() or "choose one of" in out.getvalue()
    assert "[none/basic/oauth]" in prompts[1]


def test_giving_up_on_a_question_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no usable answer for --tls"):
        collect_answers(
            parsed("--domain", "example.com", "--from", "s@example.com"),
            io.StringIO(),
            io.StringIO(),
            ask=lambda _prompt: "sometimes",
        )


def test_interactive_questions_on_a_real_terminal(python: str, cli_env: dict[str, str]) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [python, "-m", "o365diag", "setup", "--json"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
        text=True,
    )
    os.close(terminal)
    replies = [
        "example.com",
        "scanner@example.com",
        "yes",
        "basic",
        "internal",
        "",
        "",
        "",
        "no",
        "yes",
    ]
    try:
        for reply in replies:
            _wait_for_reader(controller)
            os.write(controller, (reply + "\n").encode())
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    data = json.loads(stdout[stdout.index("{") :])
    assert data["answers"]["sent_items"] is True
    assert data["recommendation"]["option"] == "submission"
    assert "Which of your domains does the device send as?" in stdout


def _wait_for_reader(controller: int, timeout: float = 20.0) -> None:
    """Give the child time to reach its next input(); the pty buffers lines in any case."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.05)
        if ready:
            try:
                os.read(controller, 4096)  # echo of what was typed
            except OSError:
                return
        else:
            return


def test_register_adds_setup_and_audit_without_heavy_imports(
    python: str, cli_env: dict[str, str]
) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["audit", "x.json"]).command == "audit"
    assert parser.parse_args(["setup", "--no-tls"]).tls is False
    probe = (
        "import sys, o365diag.cli; o365diag.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('o365diag.setup.audit', "
        "'o365diag.setup.verify', 'o365diag.setup.generate', 'ipywidgets'))))"
    )
    result = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, env=cli_env, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
