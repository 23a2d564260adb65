"""The header analyzer leads with the answer, ranks the specific cause first, says each piece of
evidence once, reads durations as minutes and hours, explains every documented stamp, and its
hop chart agrees with its findings."""

from __future__ import annotations

import json

import pytest

from o365diag.findings import findings_text
from o365diag.headers import analyze
from o365diag.headers.diagnose import finding_rank, most_likely
from o365diag.headers.model import HopData
from o365diag.headers.render import analysis_html, analysis_text, stamps_html
from o365diag.knowledge import load_table
from o365diag.plots import hop_delay_figure
from o365diag.report import SharedReport
from o365diag.typed import load
from o365diag.wording import duration, plural
from tests.conftest import SAMPLES

INTRA_ORG = SAMPLES / "05-intra-org-spoof-010.txt"
SCANNER = SAMPLES / "02-direct-send-scanner-not-in-spf.txt"
SLOW = SAMPLES / "11-slow-hop-smart-host.txt"
SKEW = SAMPLES / "12-clock-skew-relay.txt"


def _report(path: object) -> object:
    return analyze(path.read_bytes())  # type: ignore[attr-defined]


# -- the answer first ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sample", "lead"),
    [(INTRA_ORG, "intra-org-spoof"), (SCANNER, "intra-org-spoof"), (SLOW, "slow-hop")],
)
def test_the_most_likely_cause_leads_text_html_and_json(sample: object, lead: str) -> None:
    report = _report(sample)
    assert report.data["most_likely"]["code"] == lead  # type: ignore[attr-defined]
    text = analysis_text(report).splitlines()  # type: ignore[arg-type]
    assert text[2].startswith("Most likely cause:") and f"({lead})" in text[2]
    assert text[3].startswith("  Do this: ")
    page = analysis_html(report)  # type: ignore[arg-type]
    assert page.index('class="lead"') < page.index('class="cards"')
    assert page.index('class="lead"') < page.index("Most likely cause")


def test_a_healthy_message_says_nothing_is_wrong() -> None:
    report = analyze((SAMPLES / "01-smtp-auth-healthy.eml").read_bytes())
    assert report.data["most_likely"] is None
    assert "No problem in these headers" in analysis_text(report).splitlines()[2]


@pytest.mark.parametrize(
    ("specific", "generic"),
    [
        ("intra-org-spoof", "compauth-fail"),
        ("slow-hop", "dkim-none"),
        ("dmarc-fail", "compauth-fail"),
    ],
)
def test_specific_findings_rank_above_generic_ones(specific: str, generic: str) -> None:
    assert finding_rank(specific) < finding_rank(generic)


def test_the_ranking_is_data_with_a_rank_for_every_code() -> None:
    table = load_table("header_findings")
    ranks = {entry.key: entry.get("rank") for entry in table.entries}
    assert all(isinstance(rank, int) for rank in ranks.values()), ranks
    assert len(set(ranks.values())) == len(ranks)  # no ties: the order is decided, not found


def test_within_a_severity_the_specific_finding_comes_first() -> None:
    report = _report(INTRA_ORG)
    codes = [f.code for f in report.sorted_findings()]  # type: ignore[attr-defined]
    assert codes.index("intra-org-spoof") < codes.index("compauth-fail")
    slow = [f.code for f in _report(SLOW).sorted_findings()]  # type: ignore[attr-defined]
    assert slow.index("slow-hop") < slow.index("dkim-none")
    assert most_likely(_report(INTRA_ORG).findings).code == "intra-org-spoof"  # type: ignore[attr-defined]


# -- evidence once ------------------------------------------------------------------------------
def test_the_authentication_results_line_is_shown_once() -> None:
    report = _report(INTRA_ORG)
    line = next(
        f.evidence[0]
        for f in report.findings  # type: ignore[attr-defined]
        if f.evidence and f.evidence[0].startswith("Authentication-Results:")
    )
    sharing = [f for f in report.findings if f.evidence and f.evidence[0] == line]  # type: ignore[attr-defined]
    assert len(sharing) >= 4  # the JSON keeps each finding's evidence
    text = analysis_text(report)  # type: ignore[arg-type]
    assert text.count(line) == 1
    assert text.count("(the same evidence as intra-org-spoof above)") == len(sharing) - 1
    page = analysis_html(report)  # type: ignore[arg-type]
    assert page.count(line.split(":", 1)[1].strip()[:60]) == 1
    shared = SharedReport.build([report]).to_html()  # type: ignore[list-item]
    findings_part = shared.split("<details>", 1)[0]  # the raw JSON below keeps every copy
    assert findings_part.count(line.split(":", 1)[1].strip()[:60]) == 1


def test_different_evidence_is_still_shown_in_full() -> None:
    lines = findings_text(_report(SLOW).sorted_findings())  # type: ignore[attr-defined]
    slow = next(block for block in lines if "slow-hop" in block.splitlines()[0])
    assert "    > from " in slow and "the same evidence" not in slow


# -- durations ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (245, "4 min 5 s"),
        (2825, "47 min"),
        (7500, "2 h 5 min"),
        (3599, "1 h"),
        (90000, "1 d 1 h"),
        (-660, "-11 min"),
        (None, "—"),
    ],
)
def test_one_duration_formatter(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_plurals() -> None:
    assert plural(1, "new sender") == "1 new sender"
    assert plural(2, "new sender") == "2 new senders"
    assert plural(1, "entry", "entries") == "1 entry"


def test_hop_delays_read_as_minutes_everywhere() -> None:
    report = _report(SLOW)
    text = analysis_text(report)  # type: ignore[arg-type]
    page = analysis_html(report)  # type: ignore[arg-type]
    markdown = SharedReport.build([report]).to_markdown()  # type: ignore[list-item]
    slow = next(f for f in report.findings if f.code == "slow-hop")  # type: ignore[attr-defined]
    assert "47 min" in slow.title
    for output in (text, page, markdown):
        assert "2,8" not in output and " s, total" not in output
    assert "47 min" in text and "47 min" in page
    assert "total transit 47 min" in markdown


def test_the_cli_prints_alignment_as_words() -> None:
    text = analysis_text(_report(INTRA_ORG))  # type: ignore[arg-type]
    aligned = next(line for line in text.splitlines() if line.strip().startswith("aligned"))
    assert "True" not in aligned and "False" not in aligned
    assert "SPF yes" in aligned and "DKIM no" in aligned


# -- anti-spam stamps ---------------------------------------------------------------------------
def test_every_documented_stamp_field_has_a_meaning() -> None:
    for sample in (SCANNER, INTRA_ORG):
        fields = _report(sample).data["antispam"]["fields"]  # type: ignore[attr-defined]
        by_name = {f["field"]: f for f in fields}
        for name in ("CIP", "CTRY", "H", "PTR"):
            assert by_name[name]["meaning"], name
        missing = [f["field"] for f in fields if f["status"] == "documented" and not f["meaning"]]
        assert missing == []
        table = stamps_html(_report(sample).model.antispam.fields)  # type: ignore[attr-defined]
        assert "<td>documented</td>" in table and "<td>—</td><td>documented</td>" not in table


def test_an_unknown_code_of_a_documented_field_is_unknown() -> None:
    report = analyze("From: a@example.com\nX-Forefront-Antispam-Report: SFV:ZZZ;CIP:192.0.2.1;\n")
    sfv = next(f for f in report.data["antispam"]["fields"] if f["field"] == "SFV")
    assert sfv["meaning"] is None and sfv["status"] == "unknown"


def test_ara_rule_ids_are_counted() -> None:
    fields = _report(SCANNER).data["antispam"]["fields"]  # type: ignore[attr-defined]
    ara = next(f for f in fields if f["field"] == "ARA")
    assert ara["meaning"] == "4 rule ids"


# -- the hop chart ------------------------------------------------------------------------------
def test_a_clock_skew_hop_does_not_flatten_the_chart() -> None:
    hops = [
        {
            "index": 1,
            "from": "scanner.example.com",
            "by": "relay.example.com",
            "timestamp": "2026-11-23T10:00:00Z",
            "delay_seconds": None,
        },
        {
            "index": 2,
            "from": "relay.example.com",
            "by": "smarthost.example.net",
            "timestamp": "2026-11-23T07:00:00Z",
            "delay_seconds": -10800.0,
            "clock_skew": True,
        },
        {
            "index": 3,
            "from": "smarthost.example.net",
            "by": "mx.example.org",
            "timestamp": "2026-11-23T07:47:00Z",
            "delay_seconds": 2820.0,
        },
    ]
    bars = hop_delay_figure([load(HopData, hop) for hop in hops]).data[0]
    skew, slow = list(bars.x)
    assert slow == 47.0 and 0 < skew <= slow * 0.05
    assert "clock skew" in bars.customdata[0] and "3 h" in bars.customdata[0]


def test_the_chart_and_the_finding_name_the_same_server() -> None:
    report = _report(SLOW)
    slow = next(f for f in report.findings if f.code == "slow-hop")  # type: ignore[attr-defined]
    bars = hop_delay_figure(report.model.hops).data[0]  # type: ignore[attr-defined]
    label = next(y for y, note in zip(bars.y, bars.customdata, strict=True) if "47 min" in note)
    server, receiver = label.split(". ", 1)[1].split(" → ")
    assert receiver and receiver != server
    assert f"on {server} " in slow.title + " "
    assert server in slow.fix
    assert json.dumps(report.data["most_likely"])  # type: ignore[attr-defined]


def test_the_app_shows_the_most_likely_cause_above_everything() -> None:
    from o365diag.widgets import HeaderAnalyzerApp

    app = HeaderAnalyzerApp()
    app.show(_report(INTRA_ORG))  # type: ignore[arg-type]
    assert app.cards.value.startswith('<div class="lead"')
    assert "Most likely cause:" in app.cards.value and "intra-org-spoof" in app.cards.value


def test_the_ticket_summary_starts_with_the_most_likely_cause() -> None:
    markdown = SharedReport.build([_report(INTRA_ORG)]).to_markdown()  # type: ignore[list-item]
    facts = [line for line in markdown.splitlines() if line.startswith("- **")]
    assert facts[0].startswith("- **Most likely cause:** Message from your own domain")
    assert "Received chain: 3 hops," in analysis_text(_report(INTRA_ORG))  # type: ignore[arg-type]
