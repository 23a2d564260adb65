from __future__ import annotations

import json
import re

import pytest

from o365diag.findings import Finding, Report, Severity, render_cards_html
from o365diag.knowledge import load_table


def _finding(severity: Severity, code: str = "x") -> Finding:
    return Finding(
        code=code,
        severity=severity,
        title=f"title {code}",
        detail="d",
        fix="f",
        evidence=("line",),
        references=("https://example.com/ref",),
    )


def test_severity_order_is_ok_info_warning_error_critical() -> None:
    ordered = sorted(
        [Severity.CRITICAL, Severity.OK, Severity.ERROR, Severity.INFO, Severity.WARNING]
    )
    assert ordered == [
        Severity.OK,
        Severity.INFO,
        Severity.WARNING,
        Severity.ERROR,
        Severity.CRITICAL,
    ]
    assert Severity.ERROR > Severity.WARNING >= Severity.WARNING


def test_report_json_has_schema_data_and_findings_round_trip() -> None:
    report = Report("o365diag.test/1", {"a": 1}, [_finding(Severity.ERROR, "e")])
    data = json.loads(report.to_json())
    assert data["schema"] == "o365diag.test/1"
    assert data["a"] == 1
    assert Finding.from_dict(data["findings"][0]) == report.findings[0]


def test_worst_and_sorting() -> None:
    report = Report(
        "s",
        findings=[
            _finding(Severity.INFO, "i"),
            _finding(Severity.CRITICAL, "c"),
            _finding(Severity.WARNING, "w"),
        ],
    )
    assert report.worst is Severity.CRITICAL
    assert [f.code for f in report.sorted_findings()] == ["c", "w", "i"]
    assert Report("s").worst is Severity.OK


def test_html_escapes_untrusted_text() -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    finding = Finding(
        code="c",
        severity=Severity.WARNING,
        title=evil,
        detail=evil,
        fix=evil,
        evidence=(evil,),
        references=("javascript:alert(3)",),
    )
    html = Report("s", findings=[finding], title=evil).to_html()
    assert "<script>" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html
    cards = render_cards_html([(evil, evil, "bad")])
    assert "<script>" not in cards


def test_text_rendering_lists_fix_and_evidence() -> None:
    text = Report("s", findings=[_finding(Severity.ERROR, "spf-fail")]).to_text()
    assert "[ERROR] spf-fail" in text
    assert "Fix: f" in text
    assert "> line" in text


def test_escape_html_matches_the_standard_library() -> None:
    import html
    import random

    from o365diag.findings import escape_html

    rng = random.Random(5)
    for _ in range(2000):
        text = "".join(rng.choice("ab<>&\"' é\x00;") for _ in range(24))
        assert escape_html(text) == html.escape(text)


def test_powershell_hash_literals_in_a_fix_are_not_placeholders() -> None:
    from o365diag.findings import catalogue_finding, fill_template

    assert fill_template("@{Add='<ip>'} for {ip}", {"ip": "192.0.2.1"}) == (
        "@{Add='<ip>'} for 192.0.2.1"
    )
    assert fill_template("{{literal}} {x}", {"x": None}) == "{literal} (unknown)"
    entry = load_table("setup_findings").lookup("audit.connector-ip-mismatch")
    assert entry is not None
    names = set(re.findall(r"\{([A-Za-z_]\w*)\}", str(entry.get("fix"))))
    fix = catalogue_finding(
        "setup_findings", "audit.connector-ip-mismatch", dict.fromkeys(names, "x")
    ).fix
    assert "@{Add=" in fix and "(unknown)" not in fix


def test_a_value_the_caller_did_not_give_is_never_silently_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from o365diag.findings import fill_template
    from o365diag.knowledge import KnowledgeError

    with pytest.raises(KnowledgeError, match=r"\{mailbox\}"):
        fill_template("Set-Mailbox -Identity {mailbox}", {})
    monkeypatch.delenv("O365DIAG_STRICT_PLACEHOLDERS")
    assert fill_template("Set-Mailbox -Identity {mailbox}", {}) == (
        "Set-Mailbox -Identity {mailbox}"
    )
