"""The burndown of identities still on Basic per ISO week, from explicit snapshots: several SMTP
AUTH clients reports and sign-in exports covering different weeks, given together or as
``--snapshot`` files and folders, each dated by its content or by a date in its name."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from o365diag.cli import main
from o365diag.cutover.analyze import assess
from o365diag.cutover.demo import demo_files, demo_snapshot_files, write_demo
from o365diag.cutover.inputs import load_inputs
from o365diag.cutover.result import CutoverResult
from o365diag.cutover.snapshots import date_in_name, load_snapshots

REPORT_HEADER = (
    "Sender address,Domain,TLS 1.0 %,TLS 1.1 %,TLS 1.2 %,Messages sent,Authentication Protocol"
)
BURNDOWN_TITLE = "Burndown: identities still on Basic per week"


def report(*rows: tuple[str, int, str]) -> str:
    """An undated SMTP AUTH clients report (the summary export): sender, messages, protocol."""
    lines = [REPORT_HEADER]
    lines += [f"{s},example.com,0%,0%,100%,{n},{p}" for s, n, p in rows]
    return "\r\n".join(lines) + "\r\n"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    data = json.loads(captured.out) if captured.out.startswith("{") else {}
    return code, data, captured.err


def chart_titles(data: dict[str, Any]) -> list[str]:
    figures = CutoverResult.from_dict(data).figures()
    return [str(f.layout.title.text) for f in figures]


WEEKLY = {  # three weekly exports: the copier moves off Basic, then the scanner
    "smtp-auth-2026-11-02.csv": report(
        ("copier@example.com", 40, "Basic"),
        ("scanner@example.com", 12, "Basic"),
        ("erp@example.com", 300, "Basic"),
    ),
    "smtp-auth-2026-11-09.csv": report(
        ("copier@example.com", 35, "OAuth"),
        ("scanner@example.com", 10, "Basic"),
        ("erp@example.com", 280, "Basic"),
    ),
    "smtp-auth-20261116.csv": report(
        ("copier@example.com", 41, "OAuth"),
        ("scanner@example.com", 0, "Basic"),  # listed, but sent nothing: not on Basic
        ("erp@example.com", 310, "Basic"),
    ),
}


def write(folder: Path, files: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def test_undated_reports_given_together_are_one_snapshot_each_dated_by_their_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write(tmp_path / "reports", WEEKLY)
    code, data, _ = cli(["cutover", *map(str, paths), "--as-of", "2026-11-20", "--json"], capsys)
    assert code == 1  # erp@ still breaks
    burndown = data["burndown"]
    assert burndown["note"] is None
    assert [(s["date"], s["dated_by"]) for s in burndown["snapshots"]] == [
        ("2026-11-02", "file-name"),
        ("2026-11-09", "file-name"),
        ("2026-11-16", "file-name"),
    ]
    weeks = [(w["iso_week"], w["week"], w["identities_on_basic"]) for w in burndown["weeks"]]
    assert weeks == [
        ("2026-W45", "2026-11-02", 3),
        ("2026-W46", "2026-11-09", 2),
        ("2026-W47", "2026-11-16", 1),
    ]
    assert [w["identities_on_basic"] for w in data["charts"]["burndown"]] == [3, 2, 1]
    assert BURNDOWN_TITLE in chart_titles(data)
    (line,) = [
        f.data[0]
        for f in CutoverResult.from_dict(data).figures()
        if f.layout.title.text == BURNDOWN_TITLE
    ]
    assert list(line.x) == ["2026-11-02", "2026-11-09", "2026-11-16"] and list(line.y) == [3, 2, 1]
    assert list(line.text) == ["2026-W45", "2026-W46", "2026-W47"]
    # The contract's keys are all still there beside the new one.
    assert {"as_of", "cutover_date", "days_to_cutover", "inputs", "findings", "identities"} <= set(
        data
    )


def test_one_snapshot_says_so_and_draws_no_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (path,) = write(tmp_path, {"smtpauth.csv": WEEKLY["smtp-auth-2026-11-02.csv"]})
    code, data, _ = cli(["cutover", str(path), "--as-of", "2026-11-30", "--json"], capsys)
    assert code == 1
    burndown = data["burndown"]
    assert burndown["note"] == "one snapshot: no burndown"
    # No date inside and none in the name: the current inputs' report is dated by --as-of.
    assert burndown["snapshots"][0]["dated_by"] == "as-of"
    assert burndown["snapshots"][0]["date"] == "2026-11-30"
    assert data["charts"]["burndown"] == []
    assert BURNDOWN_TITLE not in chart_titles(data)
    main(["cutover", str(path), "--as-of", "2026-11-30"])
    assert "one snapshot: no burndown" in capsys.readouterr().out


def test_snapshots_of_one_week_draw_no_line_either(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write(
        tmp_path,
        {
            "smtp-auth-2026-11-10.csv": WEEKLY["smtp-auth-2026-11-02.csv"],
            "smtp-auth-2026-11-13.csv": WEEKLY["smtp-auth-2026-11-09.csv"],
        },
    )
    _, data, _ = cli(["cutover", *map(str, paths), "--as-of", "2026-11-30", "--json"], capsys)
    assert data["burndown"]["note"].startswith("2 snapshots, all in the week 2026-W46")
    assert data["charts"]["burndown"] == []


def test_earlier_snapshot_folders_feed_the_burndown_but_not_the_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An undated report in a folder named by its day: dated by the folder's name.
    earlier = tmp_path / "exports-2026-11-02"
    write(earlier, {"SMTPAuthClients.csv": report(("oldprinter@example.com", 9, "Basic"))})
    (now,) = write(
        tmp_path / "now", {"smtp-auth-2026-11-23.csv": report(("erp@example.com", 5, "OAuth"))}
    )
    argv = ["cutover", str(now), "--snapshot", str(earlier), "--as-of", "2026-11-30", "--json"]
    code, data, _ = cli(argv, capsys)
    assert code == 0  # the old printer is history: only the current inputs make rows
    assert [r["identity"] for r in data["identities"]] == ["erp@example.com"]
    snapshots = data["burndown"]["snapshots"]
    assert [(s["date"], s["dated_by"], s["identities_on_basic"]) for s in snapshots] == [
        ("2026-11-02", "folder-name", 1),
        ("2026-11-23", "file-name", 0),
    ]
    assert [w["identities_on_basic"] for w in data["charts"]["burndown"]] == [1, 0]


def test_an_earlier_snapshot_that_cannot_be_dated_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (undated,) = write(tmp_path / "old", {"SMTPAuthClients.csv": WEEKLY["smtp-auth-20261116.csv"]})
    (now,) = write(
        tmp_path / "now", {"smtp-auth-2026-11-23.csv": report(("a@example.com", 1, "Basic"))}
    )
    code, data, err = cli(["cutover", str(now), "--snapshot", str(undated)], capsys)
    assert code == 2 and data == {}
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(undated) in lines[0] and "no dates" in lines[0]


def test_a_snapshot_without_signins_or_report_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = next((n, b) for n, b in demo_files() if n == "TransportConfig.json")
    folder = tmp_path / "2026-11-02"
    folder.mkdir()
    (folder / settings[0]).write_bytes(settings[1])
    (now,) = write(
        tmp_path / "now", {"smtp-auth-2026-11-23.csv": report(("a@example.com", 1, "Basic"))}
    )
    code, _, err = cli(["cutover", str(now), "--snapshot", str(folder)], capsys)
    assert code == 2 and str(folder) in err and "needs sign-ins or an SMTP AUTH" in err


def signin_rows(until: datetime, since: datetime) -> tuple[list[str], list[list[str]]]:
    """The demo sign-in download's header and its rows between two moments."""
    body = next(b for n, b in demo_files() if n.startswith("InteractiveSignIns"))
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    when = header.index("Date (UTC)")
    kept = [r for r in rows if since <= datetime.fromisoformat(r[when]) <= until]
    return header, kept


def basic_users(header: list[str], rows: list[list[str]], end: datetime) -> set[str]:
    """Read with the csv module: successful Authenticated SMTP sign-ins in the 30 days to end."""
    col = {name: header.index(name) for name in ("Date (UTC)", "Username", "Status", "Client app")}
    return {
        r[col["Username"]]
        for r in rows
        if r[col["Client app"]] == "Authenticated SMTP"
        and r[col["Status"]] == "Success"
        and end - timedelta(days=30) < datetime.fromisoformat(r[col["Date (UTC)"]]) <= end
    }


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def test_signin_exports_of_different_weeks_are_dated_by_their_latest_signin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    october = datetime(2026, 10, 14, 23, 59, tzinfo=UTC)
    november = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    header, old_rows = signin_rows(october, start)
    _, new_rows = signin_rows(november, november - timedelta(days=30))
    old = tmp_path / "signins-export.csv"  # a misleading name: the content dates it
    old.write_bytes(to_csv(header, old_rows))
    new = tmp_path / "InteractiveSignIns_now.csv"
    new.write_bytes(to_csv(header, new_rows))
    argv = ["cutover", str(new), "--snapshot", str(old), "--as-of", "2026-11-30", "--json"]
    _, data, _ = cli(argv, capsys)
    snapshots = {Path(s["file"]).name: s for s in data["burndown"]["snapshots"]}
    last_old = max(datetime.fromisoformat(r[header.index("Date (UTC)")]) for r in old_rows)
    assert snapshots["signins-export.csv"]["date"] == last_old.date().isoformat()
    assert snapshots["signins-export.csv"]["dated_by"] == "content"
    expected_old = basic_users(header, old_rows, last_old)
    expected_new = basic_users(header, new_rows, november)
    assert snapshots["signins-export.csv"]["identities_on_basic"] == len(expected_old) > 0
    assert snapshots["InteractiveSignIns_now.csv"]["identities_on_basic"] == len(expected_new)
    weeks = data["burndown"]["weeks"]
    assert len(weeks) == 2 and weeks[-1]["iso_week"] == "2026-W49"
    assert [w["identities_on_basic"] for w in weeks] == [len(expected_old), len(expected_new)]


def test_a_snapshot_after_the_as_of_date_is_left_out_and_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write(tmp_path, WEEKLY)
    _, data, _ = cli(["cutover", *map(str, paths), "--as-of", "2026-11-10", "--json"], capsys)
    burndown = data["burndown"]
    assert [s["date"] for s in burndown["snapshots"]] == ["2026-11-02", "2026-11-09"]
    assert [Path(s["file"]).name for s in burndown["left_out"]] == ["smtp-auth-20261116.csv"]
    assert "after the as-of date 2026-11-10" in burndown["left_out"][0]["why"]


def test_demo_has_earlier_snapshots_and_a_written_demo_folder_reads_every_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, demo, _ = cli(["cutover", "--demo", "--json"], capsys)
    weeks = demo["burndown"]["weeks"]
    assert demo["burndown"]["note"] is None and len(weeks) == 5
    assert weeks[0]["identities_on_basic"] > weeks[-1]["identities_on_basic"]
    assert BURNDOWN_TITLE in chart_titles(demo)

    written = write_demo(tmp_path / "demo")
    assert {p.name for p in written if p.parent.name == "earlier"} == {
        n for n, _ in demo_snapshot_files()
    }
    folder = str(tmp_path / "demo")
    argv = ["cutover", folder, "--snapshot", f"{folder}/earlier", "--as-of", "2026-11-30"]
    _, data, _ = cli([*argv, "--json"], capsys)
    # The folder's CSV exports are read too (before, only its JSON files were, silently).
    kinds = {r["kind"] for r in data["inputs"]["read"]}
    assert kinds >= {"signins", "smtp-auth-report", "trace", "exchange-settings", "inventory"}
    assert data["identities"] == demo["identities"]
    assert data["burndown"]["weeks"] == weeks


def test_dates_in_names() -> None:
    assert date_in_name("InteractiveSignIns_2026-09-01_2026-11-30.csv") == date(2026, 11, 30)
    assert date_in_name("reports/2026_11_02/smtp.csv") is None  # only the name itself counts
    assert date_in_name("smtp-20261102.csv") == date(2026, 11, 2)
    assert date_in_name("smtp-2026-13-02.csv") is None
    assert date_in_name("smtp-2026-02-30.csv") is None
    assert date_in_name("build-120261102.csv") is None
    assert date_in_name("smtp-2026-11_02.csv") is None  # mixed separators are not a date


def test_load_snapshots_reads_bytes_as_a_snapshot() -> None:
    (name, body), *_ = demo_snapshot_files()
    (snapshot,) = load_snapshots([(name, body)])
    assert snapshot.day == date_in_name(name) and snapshot.dated_by == "file-name"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    expected = {
        r["Sender address"]
        for r in rows
        if r["Authentication Protocol"] == "Basic" and int(r["Messages sent"]) > 0
    }
    assert snapshot.on_basic == expected and len(expected) >= 4
    result = assess(load_inputs([(name, body)]), as_of=date(2026, 11, 30))
    assert result.burndown["snapshots"][0]["dated_by"] == "file-name"


def test_a_dated_report_is_dated_by_its_rows_and_counts_the_last_30_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    detailed = "\r\n".join(
        [
            "Date,Sender address,Domain,TLS 1.0 %,TLS 1.1 %,TLS 1.2 %,Messages sent,"
            "Authentication Protocol",
            "2026-10-01,copier@example.com,example.com,0%,0%,100%,12,Basic",  # 50 days before
            "2026-11-01,scanner@example.com,example.com,0%,0%,100%,3,Basic",
            "2026-11-20,erp@example.com,example.com,0%,0%,100%,80,Basic",
            "2026-11-20,webshop@example.com,example.com,0%,0%,100%,80,OAuth",
        ]
    )
    # A date in the name that the content overrides.
    (path,) = write(tmp_path, {"smtp-auth-2026-01-01.csv": detailed + "\r\n"})
    _, data, _ = cli(["cutover", str(path), "--as-of", "2026-11-30", "--json"], capsys)
    (snapshot,) = data["burndown"]["snapshots"]
    assert (snapshot["date"], snapshot["dated_by"]) == ("2026-11-20", "content")
    assert snapshot["identities_on_basic"] == 2  # scanner@ and erp@; copier@ is too old
