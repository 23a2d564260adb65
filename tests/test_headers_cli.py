"""The `o365diag headers` command, run as a real process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HEADERS = """Authentication-Results: spf=softfail (sender IP is 203.0.113.25)
 smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=fail
 action=quarantine header.from=example.com;compauth=fail reason=601
Received: from scanner.example.com (203.0.113.25) by
 BN1NAM02FT046.mail.protection.outlook.com (10.13.3.181) with Microsoft SMTP
 Server id 15.20.7409.31 via Frontend Transport; Mon, 23 Nov 2026 10:01:10 +0000
X-Forefront-Antispam-Report: CIP:203.0.113.25;CTRY:US;SCL:5;SFV:SPM;CAT:SPOOF;DIR:INB;
Subject: <script>alert(1)</script>
From: Scanner <scanner@example.com>
"""


def _run(
    python: str, env: dict[str, str], *args: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [python, "-m", "o365diag", "headers", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_json_from_stdin(python: str, cli_env: dict[str, str]) -> None:
    result = _run(python, cli_env, "-", "--json", stdin=HEADERS.encode())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "o365diag.headers/1"
    assert data["authentication"]["compauth"] == {
        **data["authentication"]["compauth"],
        "result": "fail",
        "reason": "601",
    }
    codes = {f["code"] for f in data["findings"]}
    assert {"spf-softfail", "intra-org-spoof", "compauth-fail", "spam-verdict"} <= codes


def test_text_and_html_report(python: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "h.txt"
    source.write_text(HEADERS, encoding="utf-8")
    out = tmp_path / "report.html"
    result = _run(python, cli_env, str(source), "--html", str(out))
    assert result.returncode == 0, result.stderr
    assert b"intra-org-spoof" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unusable_input_exits_2_with_one_line(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    for payload in (b"", bytes(range(256)) * 50):
        result = _run(python, cli_env, "-", stdin=payload)
        assert result.returncode == 2
        assert len(result.stderr.decode().strip().splitlines()) == 1
        assert b"Traceback" not in result.stderr
    missing = _run(python, cli_env, str(tmp_path / "nope.eml"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr


def test_several_inputs_need_bulk_mode(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = _run(python, cli_env, str(tmp_path), "--json")
    assert result.returncode == 2
    assert b"--jsonl" in result.stderr


def test_usage_errors_from_any_command_are_one_line_exit_2(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    cases = [
        ["headers", str(tmp_path / "missing.eml")],
        ["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "r.html")],
        ["trace", str(tmp_path / "missing.csv")],
        ["dns"],
    ]
    for args in cases:
        result = subprocess.run(
            [python, "-m", "o365diag", *args],
            capture_output=True,
            text=True,
            env=cli_env,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"o365diag {args[0]}: "), result.stderr
