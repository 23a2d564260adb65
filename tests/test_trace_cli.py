"""``o365diag trace`` and ``o365diag synth-trace`` as a user runs them: real processes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from o365diag.trace.command import ProgressBar
from o365diag.trace.writers import EXPORT_FILES
from tests.conftest import REPO

SCANNER = "scanner-3f@example.com"


def run(python: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "o365diag", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8")
    args = ["synth-trace", "--rows", "3000", "--days", "10", "--seed", "4"]
    args += ["--spike", f"{SCANNER}@2025-06-20T02:00", "--out", str(folder)]
    result = run(sys.executable, env, *args)
    assert result.returncode == 0, result.stderr
    written = result.stdout.split()
    assert [Path(p).name for p in written] == list(EXPORT_FILES.values())
    return folder


def test_json_report_and_exit_code_for_a_compromise_like_spike(
    exports: Path, python: str, cli_env: dict[str, str]
) -> None:
    result = run(python, cli_env, "trace", str(exports / "messagetrace-v2.csv"), "--json")
    assert result.returncode == 1  # an error-level finding explains a problem
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    data = json.loads(result.stdout)
    assert data["schema"] == "o365diag.trace/1" and data["format"] == "messagetrace-v2"
    spike = next(a for a in data["anomalies"] if a["scope"] == "sender")
    assert spike["key"] == SCANNER and spike["start"] == "2025-06-20T02:00:00Z"
    codes = {f["code"] for f in data["findings"]}
    assert {"trace.sender-spike", "trace.ip-spike"} <= codes


def test_text_report_and_html_file(
    exports: Path, python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "trace.html"
    result = run(
        python,
        cli_env,
        "trace",
        str(exports / "eac-extended.csv"),
        "--html",
        str(out),
        "--interval",
        "1d",
    )
    assert result.returncode == 1
    assert "Anomalies" in result.stdout and SCANNER in result.stdout
    assert "Interval: 1d" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("Plotly.newPlot") == 5


def test_several_formats_at_once_and_one_sender(
    exports: Path, python: str, cli_env: dict[str, str]
) -> None:
    files = [str(exports / n) for n in ("messagetrace-v1.csv", "graph-messagetrace.json")]
    result = run(python, cli_env, "trace", *files, "--sender", "erp@example.com", "--json")
    data = json.loads(result.stdout)
    assert data["format"] == "graph-messagetrace+messagetrace-v1"
    assert data["duplicates"] == 3200  # every row (3000 and a 200-message spike) came twice
    assert [s["sender"] for s in data["top_senders"]] == ["erp@example.com"]
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Name,Phone\nAlice,555\n", "not a message-trace export o365diag knows"),
        ("", "the file is empty"),
    ],
)
def test_unusable_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, python: str, cli_env: dict[str, str], content: str, expected: str
) -> None:
    path = tmp_path / "input.csv"
    path.write_text(content, encoding="utf-8")
    result = run(python, cli_env, "trace", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("o365diag trace: ") and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["trace", "missing.csv"],
        ["trace", "x.csv", "--interval", "fortnightly"],
        ["synth-trace", "--spike", "no-time-here"],
        ["synth-trace", "--spike", "nobody@example.com@2025-06-20T02:00"],
        ["synth-trace", "--format", "nonsense"],
        ["synth-trace", "--rows", "0"],
    ],
)
def test_usage_errors_exit_2_without_traceback(
    tmp_path: Path, python: str, cli_env: dict[str, str], args: list[str]
) -> None:
    result = subprocess.run(
        [
            python,
            "-m",
            "o365diag",
            *args,
            *(["--out", str(tmp_path)] if args[0] == "synth-trace" else []),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("o365diag ")


def test_help_stays_light(python: str, cli_env: dict[str, str]) -> None:
    code = (
        "import sys, o365diag.cli as c; c.build_parser().parse_args(['trace', 'x']); "
        "print(sorted(m for m in ('polars', 'plotly') if m in sys.modules))"
    )
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=cli_env, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_and_clears() -> None:
    stream = _Terminal()
    bar = ProgressBar(stream, width=10)
    bar("reading big.csv", 0.5)
    assert "[#####.....]  50%" in stream.getvalue() and "reading big.csv" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r")
    quiet = io.StringIO()
    ProgressBar(quiet)("reading", 0.5)
    assert quiet.getvalue() == ""
