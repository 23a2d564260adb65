"""Shared reports: `o365diag report` as a real process, SharedReport, and the Export button."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from o365diag.findings import Finding, Report, Severity
from o365diag.headers import analyze
from o365diag.report import ReportInputError, SharedReport, load_input, report_from_dict
from o365diag.widgets import HeaderAnalyzerApp
from tests.conftest import REPO, SAMPLES

SCANNER = SAMPLES / "02-direct-send-scanner-not-in-spf.txt"
SLOW = SAMPLES / "11-slow-hop-smart-host.txt"
PLOTLY_BANNER = re.compile(r"\* plotly\.js (\([a-z -]+\) )?v\d")

SMTP_RESULT = {
    "schema": "o365diag.smtp/1",
    "target": {"host": "smtp.office365.com", "port": 587, "profile": "submission"},
    "steps": [
        {"name": "connect", "status": "ok", "started_ms": 0.0, "elapsed_ms": 12.5, "reply": None},
        {
            "name": "auth",
            "status": "failed",
            "started_ms": 40.0,
            "elapsed_ms": 90.0,
            "reply": {"code": 535, "enhanced": "5.7.139", "text": "Authentication unsuccessful"},
        },
    ],
    "transcript": [
        {"t_ms": 30.0, "dir": "send", "tls": True, "line": "AUTH PLAIN c2Nhbm5lcgBodW50ZXIy"},
        {"t_ms": 31.0, "dir": "send", "tls": True, "line": "AUTH LOGIN"},
        {"t_ms": 32.0, "dir": "recv", "tls": True, "line": "334 UGFzc3dvcmQ6"},
        {"t_ms": 33.0, "dir": "send", "tls": True, "line": "aHVudGVyMg=="},
        {
            "t_ms": 40.0,
            "dir": "recv",
            "tls": True,
            "line": "535 5.7.139 ``` from scanner@contoso.example",
        },
    ],
    "password": "hunter2",
    "outcome": "failed",
    "findings": [
        {
            "code": "smtp.5.7.139",
            "severity": "error",
            "title": "SMTP AUTH is disabled | for the tenant",
            "fix": "Enable SMTP AUTH for scanner@contoso.example.",
        }
    ],
}


def _cli(
    python: str, env: dict[str, str], *args: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "o365diag", "report", *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>", page)


# -- the command --------------------------------------------------------------------------------
def test_report_from_json_and_header_files(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    smtp = tmp_path / "smtp.json"
    smtp.write_text(json.dumps(SMTP_RESULT), encoding="utf-8")
    out, markdown = tmp_path / "report.html", tmp_path / "summary.md"
    result = _cli(
        python,
        cli_env,
        str(smtp),
        str(SCANNER),
        str(SLOW),
        "-o",
        str(out),
        "--markdown",
        str(markdown),
    )
    assert result.returncode == 0, result.stderr
    assert "3 result(s)" in result.stderr
    page = out.read_text(encoding="utf-8")
    # Three sections, their findings, the SMTP transcript and two charts (SMTP steps, hop delay).
    assert page.count('<section id="result-') == 3
    assert "smtp.5.7.139" in page and "compauth-fail" in page and "slow-hop" in page
    assert "535 5.7.139" in page
    assert len(re.findall(r'<div id="chart-\d+"', page)) == 3
    # plotly.js is inlined exactly once, and no script is fetched from anywhere.
    assert len(PLOTLY_BANNER.findall(page)) == 1
    assert not re.search(r"<script[^>]+src=", page)
    md = markdown.read_text(encoding="utf-8")
    assert md.count("\n## ") == 3
    assert "| error | `smtp.5.7.139` | SMTP AUTH is disabled \\| for the tenant |" in md


def test_secrets_never_reach_the_report_even_unredacted(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "smtp.json"
    source.write_text(json.dumps(SMTP_RESULT), encoding="utf-8")
    out = tmp_path / "r.html"
    result = _cli(python, cli_env, str(source), "-o", str(out), "--markdown", "-")
    assert result.returncode == 0, result.stderr
    for text in (out.read_text(encoding="utf-8"), result.stdout):
        assert "hunter2" not in text
        assert "aHVudGVyMg" not in text and "c2Nhbm5lcgBodW50ZXIy" not in text
        assert "scanner@contoso.example" in text  # not redacted: only secrets went


def test_redacted_report_and_its_map(python: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    out, md, mapping = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "map.json"
    result = _cli(
        python,
        cli_env,
        str(SCANNER),
        "-o",
        str(out),
        "--markdown",
        str(md),
        "--redact",
        "--redaction-map",
        str(mapping),
    )
    assert result.returncode == 0, result.stderr
    page, summary = out.read_text(encoding="utf-8"), md.read_text(encoding="utf-8")
    for text in (page, summary):
        for private in ("contoso", "MFP-3RDFLOOR", "198.51.100.77", "kim.nguyen"):
            assert private.lower() not in text.lower()
        assert "domain-1.example" in text
    assert "SN1PEPF0002BA4F.mail.protection.outlook.com" in page
    placeholders = json.loads(mapping.read_text(encoding="utf-8"))
    assert placeholders["domain"]["contoso.example"] == "domain-1.example"
    assert placeholders["ipv4"]["198.51.100.77"] == "ipv4-1"


def test_jsonl_from_bulk_mode_with_a_failed_line(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = analyze(SCANNER.read_bytes()).to_dict()
    lines = [json.dumps({**good, "file": "a.txt"}), json.dumps({"file": "b.txt", "error": "empty"})]
    source = tmp_path / "bulk.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    result = _cli(python, cli_env, str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count('<section id="result-') == 1
    assert "bulk.jsonl #2: skipped, the analysis had failed (empty)" in page


def test_a_folder_and_stdin(python: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.txt").write_bytes(SCANNER.read_bytes())
    (folder / ".hidden").write_text("ignored", encoding="utf-8")
    out = tmp_path / "r.html"
    result = _cli(python, cli_env, str(folder), "-", "-o", str(out), stdin=SLOW.read_bytes())
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").count('<section id="result-') == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1}', "not an o365diag result"),
        (
            b'{"schema": "o365diag.x/1", "findings": [{"code": "a", "severity": "bad"}]}',
            "malformed",
        ),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"schema": ', "not valid JSON"),
        (b"", "empty"),
    ],
)
def test_unusable_input_exits_2_with_one_line(
    python: str, cli_env: dict[str, str], tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "in.json"
    source.write_bytes(content)
    result = _cli(python, cli_env, str(source), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_usage_errors(python: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = _cli(python, cli_env, str(tmp_path / "nope.json"), "-o", str(tmp_path / "r.html"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    unwritable = _cli(python, cli_env, str(SCANNER), "-o", str(tmp_path / "no" / "dir" / "r.html"))
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr
    no_redact = _cli(python, cli_env, str(SCANNER), "-o", "x.html", "--redaction-map", "m.json")
    assert no_redact.returncode == 2 and "needs --redact" in no_redact.stderr


# -- the library --------------------------------------------------------------------------------
def test_every_script_is_a_data_island_or_carries_the_page_nonce() -> None:
    page = SharedReport.build([analyze(SLOW.read_bytes())]).to_html()
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", page)
    assert nonce is not None
    for tag in _scripts(page):
        assert 'type="application/json"' in tag or f'nonce="{nonce.group(1)}"' in tag, tag
    # A fresh nonce for every page.
    assert nonce.group(1) not in SharedReport.build([analyze(SLOW.read_bytes())]).to_html()


def test_hostile_text_is_escaped_in_html_charts_and_markdown() -> None:
    headers = (
        "Subject: <script>alert(1)</script> | `x` *y*\n"
        "Received: from a.example.com (192.0.2.1)"
        " by mx</script><img src=x onerror=alert(2)>.example with ESMTP;"
        " Mon, 23 Nov 2026 10:01:10 +0000\n"
        "Received: from scanner.example.com (203.0.113.25) by a.example.com with ESMTP;"
        " Mon, 23 Nov 2026 10:00:10 +0000\n"
        "From: <a@example.com>\n"
    )
    shared = SharedReport.build([analyze(headers)])
    page = shared.to_html()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    islands = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
    assert islands and all("<" not in island for island in islands)
    md = shared.to_markdown()
    assert "\\<script\\>alert(1)\\</script\\> \\| \\`x\\` \\*y\\*" in md


def test_unknown_schema_gets_the_generic_layout() -> None:
    report = report_from_dict(
        {
            "schema": "o365diag.future/2",
            "domain": "<b>example.com</b>",
            "rows": [{"ip": "192.0.2.1", "listed": True}, {"ip": "192.0.2.2", "listed": False}],
            "findings": [{"code": "x-y", "severity": "warning", "title": "Something"}],
        },
        "future.json",
    )
    assert report.title == "Result (o365diag.future/2)"
    page = SharedReport.build([report]).to_html()
    assert "&lt;b&gt;example.com&lt;/b&gt;" in page
    assert "<th>ip</th><th>listed</th>" in page and "<td>192.0.2.2</td><td>False</td>" in page
    assert "plotly" not in page.lower()  # no chart: no 4 MB library either


def test_a_result_saved_by_another_version_falls_back_to_the_generic_layout() -> None:
    report = report_from_dict({"schema": "o365diag.headers/1", "summary": {"subject": "s"}})
    page = SharedReport.build([report]).to_html()
    assert "Header analysis: s" in page and "<h3>Details</h3>" in page


def test_load_input_tells_json_from_headers() -> None:
    reports, notes = load_input(SCANNER.read_bytes(), "scanner.txt")
    assert [r.schema for r in reports] == ["o365diag.headers/1"] and notes == []
    saved = json.dumps([reports[0].to_dict(), reports[0].to_dict()]).encode()
    again, _ = load_input(saved, "two.json")
    assert len(again) == 2 and again[0].codes() == reports[0].codes()
    with pytest.raises(ReportInputError, match="empty"):
        load_input(b"   ", "blank.txt")


def test_markdown_fence_outgrows_backticks_in_the_transcript() -> None:
    md = SharedReport.build([report_from_dict(SMTP_RESULT)]).to_markdown()
    assert "\n````\n" in md and "535 5.7.139 ``` from" in md


def test_many_results_are_capped_with_a_note() -> None:
    report = Report("o365diag.x/1", {}, [Finding("a", Severity.OK, "fine")], "t")
    shared = SharedReport.build([report] * 502)
    assert len(shared.reports) == 500
    assert shared.notes == ["2 more result(s) left out of this report"]


# -- the Export button --------------------------------------------------------------------------
def _download(app: HeaderAnalyzerApp) -> str:
    match = re.search(r'href="data:text/html;base64,([^"]+)"', app.export_bar.link.value)
    assert match is not None, app.export_bar.link.value
    return base64.b64decode(match.group(1)).decode("utf-8")


async def test_export_button_offers_the_current_report(tmp_path: Path) -> None:
    app = HeaderAnalyzerApp()
    app.export_bar.button.click()
    assert "Nothing to export yet" in app.export_bar.link.value
    app.paste.value = SCANNER.read_text(encoding="utf-8")
    app.analyze_button.click()
    assert app.task is not None
    await asyncio.wait_for(app.task, 10)
    app.export_bar.button.click()
    page = _download(app)
    assert "compauth-fail" in page and "MFP-3RDFLOOR" in page
    assert len(PLOTLY_BANNER.findall(page)) == 1
    assert app.export_bar.filename.startswith("o365diag-header-analysis-")
    assert f'download="{app.export_bar.filename}"' in app.export_bar.link.value
    assert app.export_bar.markdown.value.startswith("# o365diag report")
    assert app.export_bar.markdown.layout.display is None


async def test_export_button_redacts_and_saves_to_a_folder(tmp_path: Path) -> None:
    app = HeaderAnalyzerApp()
    app.export_bar.folder = tmp_path
    app.paste.value = SCANNER.read_text(encoding="utf-8")
    app.analyze_button.click()
    assert app.task is not None
    await asyncio.wait_for(app.task, 10)
    app.export_bar.redact.value = True
    shared = app.export_bar.export()
    assert shared is not None and shared.redacted
    page = _download(app)
    assert "contoso" not in page.lower() and "MFP-3RDFLOOR" not in page
    assert "contoso" not in app.export_bar.markdown.value.lower()
    saved = tmp_path / app.export_bar.filename
    assert saved.read_text(encoding="utf-8") == page
    # The app's own report is untouched: redaction works on a copy.
    assert app.report is not None and "contoso.example" in app.report.to_json()


def test_results_saved_by_the_other_commands(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Real --json output of `smtp --demo`, `dns --demo` and `trace` in one report."""
    runs = {
        "smtp.json": ["smtp", "--demo", "auth-disabled", "--json"],
        "dns.json": ["dns", "--demo", "scanner-not-in-spf", "--json"],
        "trace.json": ["trace", str(REPO / "notebooks" / "data" / "messagetrace-v2.csv"), "--json"],
    }
    for name, args in runs.items():
        result = subprocess.run(
            [python, "-m", "o365diag", *args], capture_output=True, env=cli_env, timeout=120
        )
        assert result.returncode in (0, 1), result.stderr
        (tmp_path / name).write_bytes(result.stdout)
    out = tmp_path / "r.html"
    result = _cli(python, cli_env, *(str(tmp_path / n) for n in runs), "-o", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    codes = {
        f["code"]
        for name in runs
        for f in json.loads((tmp_path / name).read_text(encoding="utf-8"))["findings"]
    }
    assert codes and all(code in page for code in codes)
    assert "<h3>Details</h3>" in page  # trace: generic layout (its renderer needs the frame)
    assert page.count("<h3>Details</h3>") == 1  # smtp and dns render their own sections
    assert len(re.findall(r'<div id="chart-\d+"', page)) == 2  # SMTP steps, trace volume


ODD_VALUES: list[object] = [None, "text", 7, [], [1, "x", None], {"x": {"y": []}}, {}]


@pytest.mark.parametrize(
    "schema",
    [
        "o365diag.headers/1",
        "o365diag.smtp/1",
        "o365diag.dns/1",
        "o365diag.trace/1",
        "o365diag.setup/1",
        "o365diag.spf/1",
    ],
)
def test_results_of_the_wrong_shape_still_render(schema: str) -> None:
    """Saved JSON from another version, or edited by hand: a report, never a traceback."""
    keys = [
        "summary",
        "authentication",
        "antispam",
        "hops",
        "total_transit_seconds",
        "steps",
        "transcript",
        "target",
        "tls",
        "volume",
        "time_range",
        "spf",
        "dmarc",
        "domain",
        "recommendation",
        "result",
        "lookups",
    ]
    for value in ODD_VALUES:
        report = report_from_dict({"schema": schema, **dict.fromkeys(keys, value)}, "odd.json")
        shared = SharedReport.build([report], redact=True)
        assert shared.to_html().startswith("<!DOCTYPE html>")
        assert shared.to_markdown().startswith("# o365diag report")
