"""HeaderAnalyzerApp driven as a user would: set values, click, await the task, read the view."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from o365diag.widgets import HeaderAnalyzerApp
from tests.test_headers_cli import HEADERS

HOPS = """Received: from relay.example.com (198.51.100.4) by
 BN1NAM02FT046.mail.protection.outlook.com (10.13.3.181) with Microsoft SMTP Server
 id 15.20.7409.31 via Frontend Transport; Mon, 23 Nov 2026 10:48:10 +0000
Received: from scanner.example.com (203.0.113.25) by relay.example.com with ESMTP;
 Mon, 23 Nov 2026 10:01:10 +0000
"""


def _uploaded_eml() -> tuple[dict[str, object], ...]:
    """What FileUpload holds after a user picks one .eml file."""
    return (
        {
            "name": "m.eml",
            "type": "message/rfc822",
            "size": len(HEADERS),
            "content": memoryview(HEADERS.encode()),
            "last_modified": datetime.now(UTC),
        },
    )


async def _click(app: HeaderAnalyzerApp) -> None:
    app.analyze_button.click()
    assert app.task is not None
    await asyncio.wait_for(app.task, 10)


async def test_paste_and_click_shows_cards_findings_and_chart() -> None:
    app = HeaderAnalyzerApp()
    app.paste.value = HOPS + HEADERS
    await _click(app)
    assert app.error.value == ""
    assert "compauth" in app.cards.value and "fail 601" in app.cards.value
    assert "intra-org-spoof" in app.findings.value
    assert "slow-hop" in app.findings.value
    assert app.figure is not None
    bars = app.figure.data[0]
    assert list(bars.x) == [0.0, 47.0]  # 2,820 s, drawn in minutes
    assert app.figure.layout.xaxis.title.text == "minutes"
    # The Subject carries a script tag: it must come out escaped.
    assert "<script>alert(1)</script>" not in app.findings.value + app.tables.value


async def test_upload_wins_over_paste() -> None:
    app = HeaderAnalyzerApp()
    app.paste.value = "Subject: pasted\n"
    app.upload.value = _uploaded_eml()
    await _click(app)
    assert app.report is not None
    assert "intra-org-spoof" in app.report.codes()


async def test_bad_input_shows_an_error_not_a_traceback() -> None:
    app = HeaderAnalyzerApp()
    app.paste.value = "   "
    await _click(app)
    assert "empty" in app.error.value
    assert app.report is None
    assert app.cancel_button.disabled


async def test_samples_dropdown_loads_the_file(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "a-sample.txt").write_text(HEADERS, encoding="utf-8")
    app = HeaderAnalyzerApp(samples_dir=folder)
    assert [label for label, _ in app.samples.options] == ["(choose a sample)", "a-sample"]
    app.samples.value = str(folder / "a-sample.txt")
    assert app.paste.value == HEADERS


async def test_upload_is_emptied_once_read_and_the_result_stays() -> None:
    app = HeaderAnalyzerApp()
    app.upload.value = _uploaded_eml()
    await _click(app)
    assert app.upload.value == ()
    assert "Subject" not in str(app.upload.get_state())  # nothing of the file in widget state
    assert "intra-org-spoof" in app.findings.value
