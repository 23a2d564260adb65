"""Analyses on real export files: injected spikes and drops are found, flat traffic is quiet,
limits, newcomers and failures become the right findings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from o365diag.findings import Finding, Severity
from o365diag.knowledge import load_table
from o365diag.trace.analyze import TraceAnalysis, analyze_trace
from o365diag.trace.load import load_traces
from o365diag.trace.synth import Injection
from tests.test_trace_support import at, drop, iso, make_trace, new_sender, spike, write

SCANNER = "scanner-3f@example.com"
SPIKE_AT = at(4, 2)  # Friday 02:00


def analysed(
    frame: pl.DataFrame, folder: Path, *exports: str, interval: str = "auto"
) -> TraceAnalysis:
    paths = [write(frame, folder, e) for e in exports or ("messagetrace-v2",)]
    return analyze_trace(load_traces(paths), interval=interval)


def findings(analysis: TraceAnalysis, code: str) -> list[Finding]:
    return [f for f in analysis.findings if f.code == code]


def test_a_night_time_spike_of_one_sender_is_found_with_its_window(tmp_path: Path) -> None:
    frame = make_trace(3000, 10, seed=11, injections=[spike(f"{SCANNER}@{iso(SPIKE_AT)}")])
    analysis = analysed(frame, tmp_path)
    by_scope = {row["scope"]: row for row in analysis.anomalies.iter_rows(named=True)}
    assert set(by_scope) == {"sender", "ip", "tenant"}
    sender = by_scope["sender"]
    assert sender["key"] == SCANNER and sender["kind"] == "spike"
    assert (sender["start"], sender["end"]) == (SPIKE_AT, SPIKE_AT + timedelta(hours=1))
    assert sender["observed"] >= 200 and sender["expected"] < 5 and sender["score"] >= 6
    assert by_scope["ip"]["key"] == "203.0.113.10"
    (finding,) = findings(analysis, "trace.sender-spike")
    assert finding.severity is Severity.ERROR
    assert "restrictedentities" in finding.fix
    assert SPIKE_AT.strftime("%Y-%m-%d %H:%M") in finding.title


def test_a_tenant_wide_spike_and_a_device_going_quiet(tmp_path: Path) -> None:
    injections = [
        Injection("spike", "*", at(2, 13), hours=2, factor=5),
        drop(f"erp@example.com@{iso(at(3, 8))}"),
    ]
    frame = make_trace(20000, 10, seed=12, injections=injections)
    analysis = analysed(frame, tmp_path)
    tenant = analysis.anomalies.filter(pl.col("scope") == "tenant").row(0, named=True)
    assert tenant["kind"] == "spike"
    assert (tenant["start"], tenant["end"]) == (at(2, 13), at(2, 15))
    erp = analysis.anomalies.filter(
        (pl.col("key") == "erp@example.com") & (pl.col("kind") == "drop")
    ).row(0, named=True)
    assert erp["observed"] == 0 and erp["expected"] > 50
    assert (erp["start"], erp["end"]) == (at(3, 8), at(3, 16))
    assert findings(analysis, "trace.volume-spike") and findings(analysis, "trace.sender-drop")


@pytest.mark.parametrize(("rows", "days", "seed"), [(5000, 14, 1), (20000, 10, 2), (60000, 30, 3)])
def test_flat_traffic_raises_no_anomaly(tmp_path: Path, rows: int, days: int, seed: int) -> None:
    analysis = analysed(make_trace(rows, days, seed=seed), tmp_path)
    assert analysis.anomalies.is_empty()
    assert [f.code for f in analysis.findings if f.code.startswith("trace.no-")] == [
        "trace.no-anomalies"
    ]
    assert analysis.baseline_method.startswith("median of the same")
    assert not findings(analysis, "trace.new-sender")


def test_new_sender_and_new_relay_ip_after_the_learning_period(tmp_path: Path) -> None:
    appears = at(7)
    frame = make_trace(
        5000, 12, seed=13, injections=[new_sender(f"ghost@example.com@{iso(appears)}")]
    )
    analysis = analysed(frame, tmp_path)
    assert analysis.new_senders is not None and analysis.new_ips is not None
    assert analysis.new_senders["key"].to_list() == ["ghost@example.com"]
    assert analysis.new_ips["key"].to_list() == ["198.51.100.250"]
    first = analysis.new_senders["first_seen"][0]
    assert first >= appears
    (sender,) = findings(analysis, "trace.new-sender")
    assert "ghost@example.com" in sender.detail
    (ip,) = findings(analysis, "trace.new-relay-ip")
    assert ip.severity is Severity.WARNING


def test_a_short_trace_uses_a_rolling_baseline_and_says_so(tmp_path: Path) -> None:
    analysis = analysed(make_trace(2000, 1.5, seed=14), tmp_path)
    assert analysis.baseline_method.startswith("rolling median")
    assert analysis.new_senders is None
    assert analysis.anomaly_interval == 900
    (short,) = findings(analysis, "trace.short-range")
    assert "new senders" in short.title


HEADER = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"'


def limit_rows(
    sender: str, start: datetime, count: int, step: timedelta, per: int = 1
) -> list[str]:
    lines = []
    for n in range(count):
        when = (start + n * step).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for r in range(per):
            lines.append(f'"{when}","{sender}","r{r}@example.net","Delivered","{sender}-{n}"')
    return lines


def test_senders_near_and_over_the_smtp_auth_limits(tmp_path: Path) -> None:
    start = datetime(2025, 6, 3, 9, tzinfo=UTC)
    lines = [HEADER]
    lines += limit_rows("burst@example.com", start, 35, timedelta(seconds=1.5))
    lines += limit_rows("busy@example.com", start, 26, timedelta(seconds=2))
    lines += limit_rows("calm@example.com", start, 20, timedelta(seconds=3))
    lines += limit_rows("list@example.com", start, 105, timedelta(minutes=10), per=100)
    path = tmp_path / "limits.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    analysis = analyze_trace(load_traces([path]))
    table = {r["sender"]: r for r in analysis.limits.iter_rows(named=True)}
    assert table["burst@example.com"]["max_per_minute"] == 35
    assert table["busy@example.com"]["max_per_minute"] == 26
    assert table["list@example.com"]["max_recipients_24h"] == 105 * 100  # all within 17.5 h
    rate_findings = findings(analysis, "trace.smtp-auth-message-rate")
    rate = {f.title.split()[0]: f.severity for f in rate_findings}
    assert rate == {"burst@example.com": Severity.ERROR, "busy@example.com": Severity.WARNING}
    (recipients,) = findings(analysis, "trace.smtp-auth-recipient-rate")
    assert recipients.severity is Severity.ERROR
    assert "list@example.com" in recipients.title
    limit = load_table("trace_limits").lookup("smtp-auth-messages-per-minute")
    assert limit is not None and limit.get("value") == 30


def test_failures_outbound_spam_quarantine_and_stuck_messages(tmp_path: Path) -> None:
    start = datetime(2025, 6, 3, 9, tzinfo=UTC)
    lines = [HEADER]
    statuses = ["Failed"] * 12 + ["Delivered"] * 18 + ["FilteredAsSpam"] * 11 + ["Quarantined"] * 2
    for n, status in enumerate(statuses):
        when = (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f'"{when}","app@example.com","c{n}@example.net","{status}","m{n}"')
    lines.append('"2025-06-03T09:00:00Z","bot@example.com","c@example.net","Pending","p1"')
    lines.append('"2025-06-04T09:00:00Z","app@example.com","z@example.net","Delivered","last"')
    path = tmp_path / "failures.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    analysis = analyze_trace(load_traces([path], org_domains=["example.com"]))
    (rate,) = [f for f in findings(analysis, "trace.failure-rate") if "app@" in f.title]
    assert "12 failed, 11 spam, 2 quarantined" in rate.detail
    (spam,) = findings(analysis, "trace.outbound-spam")
    assert spam.severity is Severity.ERROR and "11 outbound" in spam.title
    assert findings(analysis, "trace.quarantined")
    (stuck,) = findings(analysis, "trace.pending")
    assert "2025-06-03 09:00" in stuck.detail
    by_sender = analysis.failures_by_sender.row(0, named=True)
    assert by_sender["sender"] == "app@example.com" and by_sender["problems"] == 25


def test_detail_events_explain_failures_with_the_reply_catalogue(tmp_path: Path) -> None:
    frame = make_trace(3000, 10, seed=15)
    analysis = analysed(frame, tmp_path, "messagetrace-v2", "messagetrace-detail")
    reasons = analysis.reasons
    assert reasons.height >= 3
    codes = set(reasons["code"].drop_nulls())
    assert {"5.1.10", "5.4.1", "5.7.708"} <= codes
    explained = [f for f in findings(analysis, "trace.failure-reason") if "5.1.10" in f.title]
    assert explained
    known = next(e for e in load_table("smtp_replies").entries if e.get("enhanced") == "5.1.10")
    assert explained[0].fix == known.get("fix")


def test_daily_report_only_gives_daily_volume_and_says_what_is_missing(tmp_path: Path) -> None:
    frame = make_trace(6000, 28, seed=16)
    analysis = analysed(frame, tmp_path, "mailflow-status")
    assert analysis.anomaly_interval == 86400
    assert analysis.limits.is_empty() and analysis.new_senders is None
    assert findings(analysis, "trace.aggregate-only")
    assert int(analysis.volume["n"].sum()) == 6000


def test_detail_only_input_is_reported(tmp_path: Path) -> None:
    analysis = analysed(make_trace(1000, 5, seed=17), tmp_path, "messagetrace-detail")
    codes = [f.code for f in analysis.findings]
    assert codes[0] == "trace.detail-only"
    assert set(codes) == {"trace.detail-only", "trace.failure-reason"}
    assert analysis.to_report().data["rows"] == 0


def test_report_follows_the_trace_contract(tmp_path: Path) -> None:
    frame = make_trace(3000, 10, seed=11, injections=[spike(f"{SCANNER}@{iso(SPIKE_AT)}")])
    data = analysed(frame, tmp_path).to_report().to_dict()
    assert data["schema"] == "o365diag.trace/1"
    for key in (
        "format",
        "rows",
        "bad_rows",
        "time_range",
        "by_status",
        "volume",
        "anomalies",
        "top_senders",
        "findings",
    ):
        assert key in data, key
    assert data["rows"] == frame.height
    assert set(data["bad_rows"]) == {"count", "by_reason", "examples"}
    assert data["time_range"]["start"].endswith("Z")
    assert data["volume"]["interval"] == "30m"
    series = data["volume"]["series"]
    starts = [datetime.fromisoformat(s["start"]) for s in series]
    assert {b - a for a, b in itertools.pairwise(starts)} == {timedelta(minutes=30)}
    assert len(series) > 470  # every 30 minutes of ten days, empty intervals included
    assert sum(s["total"] for s in series) == data["rows"]
    assert all(s["total"] == sum(s["by_status"].values()) for s in series)
    assert sum(data["by_status"].values()) == data["rows"]
    anomaly = data["anomalies"][0]
    assert set(anomaly) >= {"start", "end", "scope", "key", "observed", "expected", "score"}
    assert data["top_senders"][0]["sender"] in ("erp@example.com", SCANNER)


@pytest.mark.parametrize(("interval", "seconds"), [("1d", 86400), ("6h", 21600), ("auto", 1800)])
def test_volume_interval_auto_or_given(tmp_path: Path, interval: str, seconds: int) -> None:
    analysis = analysed(make_trace(3000, 10, seed=18), tmp_path, interval=interval)
    assert analysis.interval == seconds
    buckets = analysis.volume["bucket"].unique().sort()
    assert buckets.diff().drop_nulls().dt.total_seconds().min() == seconds
    assert buckets.len() <= 10 * 86400 // seconds


def test_filtering_on_one_sender(tmp_path: Path) -> None:
    data = load_traces([write(make_trace(3000, 10, seed=19), tmp_path, "messagetrace-v2")])
    one = data.filter_sender("ERP@example.com")
    assert set(one.messages["sender"]) == {"erp@example.com"}
    analysis = analyze_trace(one)
    assert analysis.top_senders.height == 1


@pytest.mark.parametrize("first", ["Failed", "Delivered"])
def test_equal_status_counts_are_listed_in_name_order(tmp_path: Path, first: str) -> None:
    second = "Delivered" if first == "Failed" else "Failed"
    statuses = [first] * 3 + [second] * 3 + ["Pending"] * 5
    export = tmp_path / "trace.csv"
    rows = [
        f"2026-11-0{1 + i % 3}T08:00:00Z,app@example.com,user{i}@example.net,{status},"
        f"<m{i}@example.com>"
        for i, status in enumerate(statuses)
    ]
    export.write_text(
        "Received,SenderAddress,RecipientAddress,Status,MessageId\n" + "\n".join(rows)
    )
    data = analyze_trace(load_traces([export])).to_report().to_dict()
    assert list(data["by_status"]) == ["Pending", "Delivered", "Failed"]
