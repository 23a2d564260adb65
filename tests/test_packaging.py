"""Packaging promises: a light import, Binder in step with pyproject, the CLI entry point."""

from __future__ import annotations

import re
import subprocess
import tomllib

from tests.conftest import REPO

HEAVY = (
    "plotly",
    "polars",
    "ipywidgets",
    "aiosmtplib",
    "aiosmtpd",
    "dns",
    "dkim",
    "mailparser",
    "publicsuffixlist",
    "jupyter_client",
    "IPython",
    "cryptography",
    "msal",
    "requests",
)


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_import_o365diag_stays_light(python: str, cli_env: dict[str, str]) -> None:
    code = (
        "import sys, o365diag, o365diag.cli; o365diag.cli.build_parser(); "
        "print(','.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=cli_env, timeout=60, check=True
    )
    loaded = set(result.stdout.strip().split(","))
    assert not loaded & set(HEAVY), f"heavy modules imported at start-up: {loaded & set(HEAVY)}"


def test_binder_requirements_cover_the_runtime_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    lines = (REPO / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    binder = {_name(line) for line in lines if line.strip() and not line.startswith("#")}
    assert runtime <= binder, f"missing from binder/requirements.txt: {runtime - binder}"
    assert {"jupyterlab", "ipywidgets", "voila"} <= binder


def test_binder_runtime_is_a_supported_python() -> None:
    runtime = (REPO / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    major, minor = runtime.removeprefix("python-").split(".")
    assert (int(major), int(minor)) >= (3, 11)


def test_cli_help_lists_commands(python: str, cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [python, "-m", "o365diag", "--help"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=True,
    )
    assert "headers" in result.stdout
