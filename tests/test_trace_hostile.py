"""Hostile message-trace exports: impossible dates, dates decades apart with a fine interval, JSON
nested too deep, numbers longer than Python reads, lone surrogates. Each is a bad row counted
with its reason, or one clear error; never a crash, and time and memory stay bounded."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from o365diag.trace import analyze_trace, load_traces
from o365diag.trace.model import TraceInputError
from o365diag.trace.volume import MAX_TIME_BUCKETS

HEADER = (
    '"Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size",'
    '"MessageId","MessageTraceId"\n'
)
NORMAL = "6/16/2025 6:10:41 PM"


def csv_row(received: str, number: int, size: str = "100") -> str:
    return (
        f'"{received}","scanner{number}@example.com","rcpt@example.net","Scan","Delivered","",'
        f'"192.0.2.10","{size}","<m{number}@example.com>","id-{number}"\n'
    )


def csv_export(*dates: str) -> bytes:
    return (HEADER + "".join(csv_row(d, n) for n, d in enumerate(dates, 1))).encode()


def json_record(number: int, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "Received": "/Date(1750097441797)/",
        "SenderAddress": f"scanner{number}@example.com",
        "RecipientAddress": "rcpt@example.net",
        "Subject": "Scan",
        "Status": "Delivered",
        "FromIP": "192.0.2.10",
        "Size": 100,
        "MessageId": f"<m{number}@example.com>",
        "MessageTraceId": f"id-{number}",
    }
    return record | changes


def analysed(name: str, data: bytes, interval: str = "auto") -> dict[str, object]:
    report = analyze_trace(load_traces([(name, data)]), interval=interval).to_report()
    text = report.to_json()
    text.encode("utf-8")  # strict: no lone surrogate got through
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "date",
    [
        "1/1/0001 12:00:00 AM",  # PowerShell's DateTime.MinValue, seen in real exports
        "1/1/0000 12:00:00 AM",
        "6/16/1970 6:10:41 PM",  # 55 years before the other row
        "6/16/2205 6:10:41 PM",  # a mistyped year
    ],
)
def test_an_impossible_date_is_a_bad_row_with_its_reason(date: str) -> None:
    report = analysed("trace.csv", csv_export(date, NORMAL))
    assert report["rows"] == 1
    bad = report["bad_rows"]
    assert bad["by_reason"] == {"date out of range": 1}  # type: ignore[index]
    assert bad["examples"][0]["value"] == date  # type: ignore[index]
    assert "trace.bad-rows" in [f["code"] for f in report["findings"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("interval", ["15m", "1m"])
def test_decades_between_rows_keep_the_buckets_bounded(interval: str) -> None:
    started = time.perf_counter()
    report = analysed("trace.csv", csv_export("6/16/1996 6:10:41 PM", NORMAL), interval)
    assert time.perf_counter() - started < 10
    assert report["rows"] == 2  # both dates are plausible: nothing left out
    series = report["volume"]["series"]  # type: ignore[index]
    assert 1 < len(series) <= MAX_TIME_BUCKETS
    widened = [f for f in report["findings"] if f["code"] == "trace.interval-widened"]  # type: ignore[attr-defined]
    assert widened and widened[0]["title"].startswith(f"Interval {interval} widened to ")


def test_decades_apart_with_one_minute_buckets_in_a_process(
    tmp_path: Path, python: str, cli_env: dict[str, str]
) -> None:
    """Two rows 29 years apart with --interval 1m: bounded time, memory and output size."""
    export = tmp_path / "trace.csv"
    export.write_bytes(csv_export("1/2/1996 6:10:41 PM", NORMAL))
    script = (
        "import resource, subprocess, sys; "
        "run = subprocess.run(sys.argv[1:], capture_output=True); "
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(run.returncode, len(run.stdout), peak)"
    )
    command = [python, "-m", "o365diag", "trace", str(export), "--interval", "1m", "--json"]
    done = subprocess.run(
        [python, "-c", script, *command, "--no-progress"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
    )
    code, size, peak_kib = (int(v) for v in done.stdout.split())
    assert code == 0, done.stderr
    assert size < 5_000_000
    assert peak_kib < 1_000_000


def test_json_nested_a_thousand_deep_is_one_clear_error() -> None:
    with pytest.raises(TraceInputError, match="nested too deeply"):
        load_traces([("deep.json", b"[" * 1000 + b"]" * 1000)])


def test_a_field_nested_deep_is_read_as_text() -> None:
    nested = "[" * 900 + "]" * 900
    text = json.dumps([json_record(1, Subject="x")]).replace('"x"', nested)
    report = analysed("deep-field.json", text.encode())
    assert report["rows"] == 1


def test_a_4301_digit_number_is_a_bad_value_not_a_crash() -> None:
    text = json.dumps([json_record(1, Size=0), json_record(2)]).replace('"Size": 0', "9" * 4301, 1)
    text = text.replace("9" * 4301, '"Size": ' + "9" * 4301, 1)
    report = analysed("big.json", text.encode())
    assert report["rows"] == 1
    assert report["bad_rows"]["by_reason"] == {"size is not a number": 1}  # type: ignore[index]
    shown = report["bad_rows"]["examples"][0]["value"]  # type: ignore[index]
    assert len(shown) < 200 and "4,301 characters" in shown


def test_a_date_before_year_one_is_a_bad_row() -> None:
    records = [json_record(1, Received="/Date(-62135596800001)/"), json_record(2)]
    report = analysed("old.json", json.dumps(records).encode())
    assert report["rows"] == 1
    assert report["bad_rows"]["count"] == 1  # type: ignore[index]
    assert report["bad_rows"]["examples"][0]["value"] == "/Date(-62135596800001)/"  # type: ignore[index]


@pytest.mark.parametrize("field", ["Subject", "SenderAddress"])
def test_a_lone_surrogate_becomes_a_replacement_character(field: str) -> None:
    marker = "MARKER"
    records = [json_record(1, **{field: marker}), json_record(2)]
    text = json.dumps(records).replace(marker, "a\\ud800b@example.com")
    report = analysed("surrogate.json", text.encode())
    assert report["rows"] == 2
    if field == "SenderAddress":
        senders = [row["sender"] for row in report["top_senders"]]  # type: ignore[attr-defined]
        assert "a\ufffdb@example.com" in senders
