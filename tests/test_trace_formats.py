"""Every loader on every export format, from real files: what was written is what is loaded."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import polars as pl
import pytest

from o365diag.trace.formats import FORMATS
from o365diag.trace.load import load_traces
from o365diag.trace.model import TraceInputError
from tests.test_trace_support import (
    STATUS_SEEN_AS,
    comparable,
    expected_rows,
    make_trace,
    write,
)

MESSAGE_EXPORTS = {
    "messagetrace-v2": "messagetrace-v2",
    "messagetrace-v2-de": "messagetrace-v2",
    "messagetrace-v2-json": "messagetrace-v2",
    "messagetrace-v1": "messagetrace-v1",
    "graph-messagetrace": "graph-messagetrace",
    "eac-summary": "eac-summary",
    "eac-enhanced-summary": "eac-enhanced-summary",
    "eac-extended": "eac-extended",
}


@pytest.fixture(scope="module")
def truth() -> pl.DataFrame:
    return make_trace(rows=1500, days=10, seed=5)


@pytest.mark.parametrize("export", sorted(MESSAGE_EXPORTS))
def test_each_message_export_loads_back_to_the_rows_written(
    export: str, truth: pl.DataFrame, tmp_path: Path
) -> None:
    path = write(truth, tmp_path, export)
    data = load_traces([path])
    assert data.format == MESSAGE_EXPORTS[export]
    assert data.bad_rows.count == 0 and data.duplicates == 0
    loaded = comparable(data.messages, export)
    assert loaded.equals(expected_rows(truth, export)), export
    assert data.messages.schema["received"] == pl.Datetime("us", "UTC")
    assert data.org_domains == ["example.com"]


@pytest.mark.parametrize("export", sorted(MESSAGE_EXPORTS))
def test_direction_is_inferred_or_read_the_same_for_every_export(
    export: str, truth: pl.DataFrame, tmp_path: Path
) -> None:
    data = load_traces([write(truth, tmp_path, export)])
    counts = dict(data.messages.group_by("direction").len().iter_rows())
    assert counts == dict(truth.group_by("direction").len().iter_rows())


def test_status_fidelity_maps_only_name_real_statuses() -> None:
    from o365diag.knowledge import load_table

    known = set(load_table("trace_status").key_list())
    for mapping in STATUS_SEEN_AS.values():
        assert set(mapping) | set(mapping.values()) <= known


def test_encodings_and_preambles_are_what_the_real_exports_use(
    truth: pl.DataFrame, tmp_path: Path
) -> None:
    extended = write(truth, tmp_path, "eac-extended").read_bytes()
    assert not extended.startswith(codecs.BOM_UTF16_LE) and extended[1] == 0
    enhanced = write(truth, tmp_path, "eac-enhanced-summary").read_bytes()
    assert enhanced.startswith(codecs.BOM_UTF16_LE)
    v1 = write(truth, tmp_path, "messagetrace-v1").read_bytes()
    assert v1.startswith(codecs.BOM_UTF8 + b"#TYPE ")
    german = write(truth, tmp_path, "messagetrace-v2-de").read_text(encoding="utf-8")
    assert german.splitlines()[0].startswith('"Received";"SenderAddress"')
    assert '"Rechnung für Juni' in german  # non-ASCII survives

    infos = {
        name: load_traces([write(truth, tmp_path, name)]).files[0]
        for name in ("eac-extended", "eac-enhanced-summary", "messagetrace-v1")
    }
    assert infos["eac-extended"].encoding == "utf-16-le (no BOM)"
    assert infos["eac-enhanced-summary"].encoding == "utf-16-le (BOM)"
    assert infos["messagetrace-v1"].encoding == "utf-8 (BOM)"


def test_powershell_5_json_dates_and_graph_pages(truth: pl.DataFrame, tmp_path: Path) -> None:
    records = json.loads(write(truth, tmp_path, "messagetrace-v2-json").read_text())
    assert records[0]["Received"]["value"].startswith("/Date(")
    graph = json.loads(write(truth, tmp_path, "graph-messagetrace").read_text())
    half = len(graph["value"]) // 2
    pages = [
        {"value": graph["value"][:half], "@odata.nextLink": "https://graph.microsoft.com/next"},
        {"value": graph["value"][half:]},
    ]
    paged = tmp_path / "pages.json"
    paged.write_text(json.dumps(pages), encoding="utf-8")
    data = load_traces([paged])
    assert data.messages.height == truth.height
    assert data.format == "graph-messagetrace"


def test_json_lines_load_like_an_array(tmp_path: Path) -> None:
    lines = [
        {
            "Received": "2025-06-13T08:15:02Z",
            "SenderAddress": "app@example.com",
            "RecipientAddress": f"user{i}@example.net",
            "Status": "Delivered",
            "Size": 100,
        }
        for i in range(3)
    ]
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    data = load_traces([path])
    assert data.messages.height == 3
    assert data.messages["recipient"].to_list() == [f"user{i}@example.net" for i in range(3)]


def test_mailflow_status_report_keeps_the_daily_counts(truth: pl.DataFrame, tmp_path: Path) -> None:
    data = load_traces([write(truth, tmp_path, "mailflow-status")])
    assert data.format == "mailflow-status" and data.aggregate_only
    assert int(data.messages["count"].sum()) == truth.height
    spam = data.messages.filter(pl.col("status") == "SpamDetections")["count"].sum()
    assert spam == truth.filter(pl.col("status") == "FilteredAsSpam").height
    assert set(data.messages["direction"]) == {"Inbound", "Outbound", "IntraOrg"}


def test_detail_export_gives_events_not_volume(truth: pl.DataFrame, tmp_path: Path) -> None:
    data = load_traces([write(truth, tmp_path, "messagetrace-detail")])
    assert data.messages.is_empty()
    not_delivered = truth.filter(pl.col("status") != "Delivered").height
    assert data.events.height == 2 * min(not_delivered, 500)
    assert set(data.events["event"]) >= {"Receive", "Fail"}
    fails = data.events.filter(pl.col("event") == "Fail")
    assert fails["detail"].str.contains(r"5\.\d\.\d").all()


def test_several_files_overlapping_are_deduplicated(truth: pl.DataFrame, tmp_path: Path) -> None:
    first, second = truth.head(1000), truth.tail(800)  # 300 rows in both
    write(first, tmp_path / "a", "messagetrace-v2")
    write(second, tmp_path / "b", "graph-messagetrace")
    data = load_traces(
        [tmp_path / "a" / "messagetrace-v2.csv", tmp_path / "b" / "graph-messagetrace.json"]
    )
    assert data.messages.height == truth.height
    assert data.duplicates == 300
    assert data.format == "graph-messagetrace+messagetrace-v2"


def test_a_final_status_wins_over_pending_across_exports(tmp_path: Path) -> None:
    header = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\n'
    row = '"6/13/2025 8:15:02 AM","app@example.com","bob@example.net","{}","0c8e2b7e-1111"\n'
    (tmp_path / "early.csv").write_text(header + row.format("Pending"), encoding="utf-8")
    (tmp_path / "late.csv").write_text(header + row.format("Delivered"), encoding="utf-8")
    data = load_traces([tmp_path / "early.csv", tmp_path / "late.csv"])
    assert data.messages["status"].to_list() == ["Delivered"]
    assert data.duplicates == 1


def test_the_same_bytes_load_from_memory(truth: pl.DataFrame, tmp_path: Path) -> None:
    path = write(truth, tmp_path, "eac-extended")
    from_file = load_traces([path]).messages
    from_bytes = load_traces([("upload.csv", path.read_bytes())]).messages
    assert from_file.drop("file").equals(from_bytes.drop("file"))


def test_formats_are_detected_by_columns_not_by_file_name(
    truth: pl.DataFrame, tmp_path: Path
) -> None:
    path = write(truth, tmp_path, "mailflow-status")
    renamed = tmp_path / "messagetrace-v2.csv"
    path.rename(renamed)
    assert load_traces([renamed]).format == "mailflow-status"


def test_every_format_name_is_unique_and_has_a_source() -> None:
    names = [f.name for f in FORMATS]
    assert len(names) == len(set(names))
    assert all(f.source.startswith("https://") for f in FORMATS)


# -- hand-written exports: culture dates, broken rows, odd encodings --------------------------

V2_HEADER = (
    '"Received","SenderAddress","RecipientAddress","Subject","Status",'
    '"ToIP","FromIP","Size","MessageId","MessageTraceId"'
)


def v2_row(received: str, n: int, size: str = "2048", status: str = "Delivered") -> str:
    return (
        f'"{received}","scanner@example.com","user{n}@example.net","Scan {n}","{status}",'
        f'"198.51.100.10","203.0.113.10","{size}","<m{n}@example.com>","id-{n}"'
    )


def test_broken_rows_are_counted_with_reasons_and_examples(tmp_path: Path) -> None:
    rows = [
        v2_row("6/13/2025 8:15:02 AM", 1),
        v2_row("6/13/2025 8:16:02 AM", 2, size="big"),
        v2_row("31/31/2025 8:17:02 AM", 3),
        v2_row("", 4),
        '"6/13/2025 8:18:02 AM","scanner@example.com","user5@example.net"',
        v2_row("6/13/2025 8:19:02 AM", 6) + ',"surplus"',
        '"6/13/2025 8:20:02 AM","","","Scan","Delivered","","","1","",""',
        v2_row("6/13/2025 8:21:02 AM", 8),
    ]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join([V2_HEADER, *rows]) + "\n", encoding="utf-8")
    data = load_traces([path])
    assert data.messages["recipient"].to_list() == ["user1@example.net", "user8@example.net"]
    assert data.bad_rows.by_reason == {
        "size is not a number": 1,
        "date not recognised": 1,
        "missing date": 1,
        "fewer fields than the header": 1,
        "more fields than the header": 1,
        "no sender or recipient": 1,
    }
    assert data.bad_rows.count == 6
    first = data.bad_rows.examples[0]
    assert first["row"] == 2 and first["file"] == str(path) and first["value"] == "big"
    assert {"row": 3, "reason": "date not recognised", "value": "31/31/2025 8:17:02 AM"} in [
        {k: e[k] for k in ("row", "reason", "value")} for e in data.bad_rows.examples
    ]


def test_unknown_format_names_the_columns_seen_and_the_formats_known(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Name,Department,Phone\nAlice,IT,555\n", encoding="utf-8")
    with pytest.raises(TraceInputError) as caught:
        load_traces([path])
    message = str(caught.value)
    assert "Columns seen: Name, Department, Phone" in message
    assert "messagetrace-v2 (Get-MessageTraceV2" in message and "mailflow-status" in message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "empty"),
        (b"just one line of prose\n", "single column"),
        (b"[1, 2, 3]", "no objects"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_unusable_files_give_a_one_line_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(TraceInputError, match=reason):
        load_traces([path])


def test_dates_nobody_can_read_are_an_error_with_examples(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    rows = [v2_row(f"day {n} of June", n) for n in range(5)]
    path.write_text("\n".join([V2_HEADER, *rows]), encoding="utf-8")
    with pytest.raises(TraceInputError, match=r"no format o365diag knows \(e\.g\. 'day 0 of June'"):
        load_traces([path])


@pytest.mark.parametrize(
    ("dates", "order", "first", "ambiguous"),
    [
        (["13/06/2025 08:15:02", "01/06/2025 09:00:00"], "auto", "2025-06-13 08:15:02", False),
        (["06/13/2025 08:15:02", "06/01/2025 09:00:00"], "auto", "2025-06-13 08:15:02", False),
        (["02/06/2025 08:15:02", "01/06/2025 09:00:00"], "auto", "2025-06-02 08:15:02", True),
        (["02/06/2025 08:15:02", "01/06/2025 09:00:00"], "mdy", "2025-02-06 08:15:02", False),
        (["2/6/2025 8:15:02 AM", "1/6/2025 9:00:00 AM"], "auto", "2025-02-06 08:15:02", True),
        (["2025/06/13 8:15:02", "2025/06/01 9:00:00"], "auto", "2025-06-13 08:15:02", False),
    ],
)
def test_culture_dates_and_day_month_order(
    tmp_path: Path, dates: list[str], order: str, first: str, ambiguous: bool
) -> None:
    path = tmp_path / "dates.csv"
    rows = [v2_row(d, n) for n, d in enumerate(dates)]
    path.write_text("\n".join([V2_HEADER, *rows]), encoding="utf-8")
    data = load_traces([path], date_order=order)
    by_id = dict(zip(data.messages["trace_id"], data.messages["received"], strict=True))
    assert by_id["id-0"].strftime("%Y-%m-%d %H:%M:%S") == first
    assert data.files[0].ambiguous_dates is ambiguous


def test_admin_center_summary_with_a_time_zone_in_the_header(tmp_path: Path) -> None:
    text = (
        "Date (UTC+02:00),Sender,Recipient,Subject,Status,Message ID\n"
        "13/06/2025 10:15:02,app@example.com,bob@example.net,Hi,Delivered,<a@example.com>\n"
    )
    path = tmp_path / "eac.csv"
    path.write_text(text, encoding="utf-8")
    data = load_traces([path])
    assert data.messages["received"][0].strftime("%H:%M") == "08:15"
    assert not data.files[0].assumed_utc
    plain = tmp_path / "eac2.csv"
    plain.write_text(text.replace("Date (UTC+02:00)", "Date"), encoding="utf-8")
    assert load_traces([plain]).files[0].assumed_utc


def test_excel_resaved_windows_1252_and_sep_line(tmp_path: Path) -> None:
    text = (
        "sep=;\r\nReceived;SenderAddress;RecipientAddress;Subject;Status\r\n"
        "13.06.2025 08:15:02;app@example.com;bob@example.net;Rechnung für Juni;Delivered\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("cp1252"))
    data = load_traces([path])
    assert data.files[0].encoding == "windows-1252"
    assert data.messages["subject"].to_list() == ["Rechnung für Juni"]


def test_utf16_without_bom_big_endian_too(tmp_path: Path) -> None:
    text = V2_HEADER + "\n" + v2_row("6/13/2025 8:15:02 AM", 1) + "\n"
    path = tmp_path / "be.csv"
    path.write_bytes(text.encode("utf-16-be"))
    data = load_traces([path])
    assert data.files[0].encoding == "utf-16-be (no BOM)"
    assert data.messages.height == 1


def test_status_values_are_canonical_whatever_the_case(tmp_path: Path) -> None:
    rows = [
        v2_row("6/13/2025 8:15:02 AM", n, status=s)
        for n, s in enumerate(["delivered", "FILTEREDASSPAM", "quarantined", "SomethingNew"])
    ]
    path = tmp_path / "case.csv"
    path.write_text("\n".join([V2_HEADER, *rows]), encoding="utf-8")
    statuses = load_traces([path]).messages.sort("trace_id")["status"].to_list()
    assert statuses == ["Delivered", "FilteredAsSpam", "Quarantined", "SomethingNew"]


def test_missing_inputs_and_folders_are_errors(tmp_path: Path) -> None:
    with pytest.raises(TraceInputError, match="cannot read"):
        load_traces([tmp_path / "missing.csv"])
    with pytest.raises(TraceInputError, match="folder"):
        load_traces([tmp_path])
    with pytest.raises(TraceInputError, match="no input"):
        load_traces([])
    with pytest.raises(TraceInputError, match="date order"):
        load_traces([tmp_path], date_order="ymd")


def test_org_domains_given_override_the_guess(truth: pl.DataFrame, tmp_path: Path) -> None:
    path = write(truth, tmp_path, "messagetrace-v2")
    data = load_traces([path], org_domains=["Example.COM", "example.net"])
    assert data.org_domains == ["example.com", "example.net"] and not data.org_domains_inferred
    from_news = data.messages.filter(pl.col("sender") == "news@example.net")
    assert set(from_news["direction"]) == {"IntraOrg"}


def test_padded_values_are_trimmed_where_they_occur(tmp_path: Path) -> None:
    header = '"Received","SenderAddress","RecipientAddress","Subject","Status"'
    row = '" 6/13/2025 8:16:02 AM","  App@Example.com\t","bob@example.net","Hi"," Delivered "'
    path = tmp_path / "padded.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    loaded = load_traces([path]).messages.row(0, named=True)
    assert (loaded["sender"], loaded["status"], loaded["sender_domain"]) == (
        "app@example.com",
        "Delivered",
        "example.com",
    )
    assert loaded["received"].strftime("%H:%M:%S") == "08:16:02"
