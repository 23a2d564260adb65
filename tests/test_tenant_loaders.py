"""Offline tenant inputs: portal sign-in CSV/JSON, Graph signIn records, the SMTP AUTH clients
report, and the Exchange settings that decide SMTP AUTH (CAS mailbox, Get-User, policies)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from o365diag.errors import O365DiagError
from o365diag.setup.exports import parse_export
from o365diag.setup.smtp_auth_state import smtp_auth_settings
from o365diag.tenant.signins import (
    PORTAL_CSV_HEADERS,
    SIGNIN_COLUMNS,
    TenantInputError,
    load_signins,
    signins_frame_from_graph,
)
from o365diag.tenant.smtp_auth_report import load_smtp_auth_report
from o365diag.trace.model import BadRows


def portal_row(**values: str) -> dict[str, str]:
    row = dict.fromkeys(PORTAL_CSV_HEADERS, "")
    row.update(values)
    return row


def portal_csv(rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PORTAL_CSV_HEADERS)
    for row in rows:
        writer.writerow([row[h] for h in PORTAL_CSV_HEADERS])
    return out.getvalue().encode(encoding)


SMTP_OK = portal_row(
    **{
        "Date (UTC)": "2026-11-02T08:15:00Z",
        "Request ID": "r-1",
        "Username": "Scanner@Contoso.example",
        "User ID": "u-1",
        "Application": "Office 365 Exchange Online",
        "Application ID ": "00000002-0000-0ff1-ce00-000000000000",
        "IP address": "203.0.113.25",
        "Location": "Springfield, Illinois, US",
        "Status": "Success",
        "Sign-in error code": "0",
        "Client app": "Authenticated SMTP",
        "Authentication Protocol": "ROPC",
    }
)
SMTP_FAIL = {
    **SMTP_OK,
    "Request ID": "r-2",
    "Date (UTC)": "2026-11-02T09:00:00Z",
    "Status": "Failure",
    "Sign-in error code": "50126",
    "Failure reason": "Invalid username or password.",
    "Location": "Lyon, Auvergne-Rhone-Alpes, FR",
    "IP address": "198.51.100.7",
}


def test_portal_csv_loads_with_the_normalized_columns_and_types() -> None:
    data = load_signins([("InteractiveSignIns.csv", portal_csv([SMTP_OK, SMTP_FAIL]))])
    frame = data.frame
    assert dict(frame.schema) == SIGNIN_COLUMNS
    assert frame.height == 2
    first = frame.row(0, named=True)
    assert first["created"] == datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
    assert first["user_principal_name"] == "scanner@contoso.example"
    assert first["app_id"] == "00000002-0000-0ff1-ce00-000000000000"  # 'Application ID ' header
    assert first["client_app"] == "Authenticated SMTP"
    assert (first["country"], first["city"]) == ("US", "Springfield")
    assert first["status_code"] == 0 and first["source"] == "portal-csv"
    second = frame.row(1, named=True)
    assert second["status_code"] == 50126 and second["country"] == "FR"
    assert data.files == [
        {"file": "InteractiveSignIns.csv", "kind": "signins-portal-csv", "rows": 2, "bad_rows": 0}
    ]
    assert data.smtp().height == 2
    assert data.period == (
        datetime(2026, 11, 2, 8, 15, tzinfo=UTC),
        datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    )


def test_portal_csv_in_utf16_and_us_dates_loads() -> None:
    row = {**SMTP_OK, "Date (UTC)": "11/2/2026, 8:15:00 AM"}
    data = load_signins([("x.csv", portal_csv([row], "utf-16"))])
    assert data.frame.item(0, "created") == datetime(2026, 11, 2, 8, 15, tzinfo=UTC)


def test_bad_portal_rows_are_counted_with_reasons_never_dropped() -> None:
    rows = [
        SMTP_OK,
        {**SMTP_OK, "Request ID": "r-3", "Date (UTC)": "yesterday"},
        {**SMTP_OK, "Request ID": "r-4", "Date (UTC)": ""},
        {**SMTP_OK, "Request ID": "r-5", "Sign-in error code": "five"},
        {**SMTP_OK, "Request ID": "r-6", "Username": "", "Application ID ": ""},
    ]
    data = load_signins([("s.csv", portal_csv(rows))])
    assert data.frame.height == 1
    assert data.bad_rows.count == 4
    assert data.bad_rows.by_reason == {
        "date not recognised": 1,
        "missing date": 1,
        "sign-in error code is not a number": 1,
        "no user and no application": 1,
    }
    assert data.frame.height + data.bad_rows.count == len(rows)
    assert {e["row"] for e in data.bad_rows.examples} == {2, 3, 4, 5}


def test_the_same_sign_in_in_two_downloads_counts_once() -> None:
    body = portal_csv([SMTP_OK, SMTP_FAIL])
    data = load_signins([("a.csv", body), ("b.csv", body)])
    assert data.frame.height == 2 and data.duplicates == 2


def graph_record(**extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "g-1",
        "createdDateTime": "2026-11-03T10:00:00.1234567Z",
        "userPrincipalName": "App@Contoso.example",
        "userId": "u-2",
        "appId": "11111111-2222-3333-4444-555555555555",
        "appDisplayName": "Invoice app",
        "clientAppUsed": "Authenticated SMTP",
        "ipAddress": "192.0.2.10",
        "isInteractive": False,
        "location": {"city": "Berlin", "state": "Berlin", "countryOrRegion": "de"},
        "status": {"errorCode": 0, "failureReason": "Other."},
        "correlationId": "c-1",
    }
    record.update(extra)
    return record


def test_graph_records_normalize_like_the_portal_ones() -> None:
    frame = signins_frame_from_graph([graph_record()])
    assert dict(frame.schema) == SIGNIN_COLUMNS
    row = frame.row(0, named=True)
    assert row["user_principal_name"] == "app@contoso.example"
    assert row["country"] == "DE" and row["status_code"] == 0
    assert row["failure_reason"] is None and row["is_interactive"] is False
    assert row["created"] == datetime(2026, 11, 3, 10, 0, 0, 123456, tzinfo=UTC)


def test_graph_records_that_cannot_be_used_raise_or_are_counted() -> None:
    records: list[Any] = [
        graph_record(),
        graph_record(id="g-2", createdDateTime=None),
        graph_record(id="g-3", status={"errorCode": "x"}),
        "not a record",
    ]
    with pytest.raises(TenantInputError, match="3 sign-in record"):
        signins_frame_from_graph(records)
    bad = BadRows()
    frame = signins_frame_from_graph(records, bad_rows=bad)
    assert frame.height == 1 and bad.count == 3
    assert bad.by_reason == {
        "missing createdDateTime": 1,
        "status.errorCode is not a number": 1,
        "not a JSON object": 1,
    }


def test_portal_json_download_is_detected_by_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "download.json"
    path.write_text(json.dumps([graph_record(), graph_record(id="g-9")]), encoding="utf-8")
    data = load_signins([path])
    assert data.frame.height == 2
    assert data.files[0]["kind"] == "signins-portal-json"
    assert data.frame.get_column("source").unique().to_list() == ["portal-json"]


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("trace.csv", b"Received,SenderAddress,RecipientAddress\r\n1,a,b\r\n", "not an Entra"),
        ("x.json", b'[{"Identity": "x"}]', "not an Entra sign-in log"),
        ("x.json", b"[{", "not valid JSON"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_files_that_are_not_sign_in_logs_get_one_clear_error(
    name: str, body: bytes, message: str
) -> None:
    with pytest.raises(TenantInputError, match=message) as caught:
        load_signins([(name, body)])
    assert name in str(caught.value)
    assert isinstance(caught.value, O365DiagError)


REPORT = (
    "Sender address,Domain,TLS 1.0 %,TLS 1.1 %,TLS 1.2 %,Messages sent,Authentication Protocol\r\n"
    "Printer@Contoso.example,contoso.example,100%,0%,0%,240,Basic\r\n"
    "app@contoso.example,contoso.example,0,0,100,1200,OAuth\r\n"
    "scanner@contoso.example,contoso.example,0,10,90,30,Basic\r\n"
)


def test_smtp_auth_report_reads_shares_protocol_and_messages() -> None:
    report = load_smtp_auth_report([("smtpauth.csv", REPORT.encode())])
    assert report.has_protocol
    rows = {r["sender"]: r for r in report.frame.iter_rows(named=True)}
    assert rows["printer@contoso.example"]["tls10_percent"] == 100.0
    assert rows["printer@contoso.example"]["auth_protocol"] == "basic"
    assert rows["app@contoso.example"]["auth_protocol"] == "oauth"
    assert rows["scanner@contoso.example"]["messages"] == 30
    assert report.files[0]["authentication_protocol_column"] is True
    by_sender = report.by_sender()
    assert by_sender.height == 3


def test_older_report_without_protocol_column_leaves_it_unknown() -> None:
    old = (
        "Sender address,TLS 1.0 %,TLS 1.1 %,TLS 1.2 %,Messages sent\r\n"
        "a@contoso.example,0,0,100,5\r\n"
    )
    report = load_smtp_auth_report([("old.csv", old.encode())])
    assert not report.has_protocol
    assert report.frame.item(0, "auth_protocol") is None


def test_bad_report_rows_are_counted() -> None:
    body = REPORT + (
        "not-an-address,contoso.example,0,0,100,3,Basic\r\n"
        "b@contoso.example,contoso.example,0,0,150,3,Basic\r\n"
        "c@contoso.example,contoso.example,0,0,100,many,Basic\r\n"
        "d@contoso.example,contoso.example,0,0,100,3,Kerberos\r\n"
    )
    report = load_smtp_auth_report([("r.csv", body.encode())])
    assert report.frame.height == 3 and report.bad_rows.count == 4
    assert set(report.bad_rows.by_reason) == {
        "sender is not an email address",
        "TLS share outside 0-100%",
        "messages sent is not a number",
        "authentication protocol is neither Basic nor OAuth",
    }


def test_a_sign_in_log_is_not_an_smtp_auth_report() -> None:
    with pytest.raises(TenantInputError, match=r"s\.csv: not an SMTP AUTH clients report"):
        load_smtp_auth_report([("s.csv", portal_csv([SMTP_OK]))])


def export(value: object) -> bytes:
    return json.dumps(value).encode("utf-8")


def test_exchange_settings_give_each_mailbox_its_smtp_auth_state() -> None:
    files = [
        parse_export(
            export({"Identity": "Transport", "SmtpClientAuthenticationDisabled": False}), "t"
        ),
        parse_export(
            export(
                [
                    {
                        "PrimarySmtpAddress": "On@contoso.example",
                        "SmtpClientAuthenticationDisabled": False,
                    },
                    {
                        "PrimarySmtpAddress": "off@contoso.example",
                        "SmtpClientAuthenticationDisabled": True,
                    },
                    {
                        "PrimarySmtpAddress": "inh@contoso.example",
                        "SmtpClientAuthenticationDisabled": None,
                    },
                ]
            ),
            "cas",
        ),
        parse_export(
            export(
                [
                    {"UserPrincipalName": "on@contoso.example", "AuthenticationPolicy": "No Basic"},
                    {"UserPrincipalName": "inh@contoso.example", "AuthenticationPolicy": None},
                ]
            ),
            "users",
        ),
        parse_export(
            export([{"Name": "No Basic", "Identity": "No Basic", "AllowBasicAuthSmtp": False}]),
            "policies",
        ),
        parse_export(
            export(
                {"Identity": "Org", "DefaultAuthenticationPolicy": None, "RejectDirectSend": False}
            ),
            "org",
        ),
    ]
    assert [f.kinds for f in files] == [
        ["TransportConfig"],
        ["CASMailbox"],
        ["User"],
        ["AuthenticationPolicy"],
        ["OrganizationConfig"],
    ]
    settings = smtp_auth_settings(files)
    assert settings.state("on@contoso.example") == "enabled"
    assert settings.state("OFF@contoso.example") == "disabled"
    assert settings.state("inh@contoso.example") == "inherited-enabled"
    assert settings.state("absent@contoso.example") == "unknown"
    assert settings.basic_smtp_allowed("on@contoso.example") is False
    assert settings.basic_smtp_allowed("inh@contoso.example") is True
    assert settings.basic_smtp_allowed("absent@contoso.example") is None
    assert settings.inheriting_enabled() == ["inh@contoso.example"]


def test_org_default_policy_applies_to_users_without_their_own() -> None:
    files = [
        parse_export(export({"Identity": "T", "SmtpClientAuthenticationDisabled": True}), "t"),
        parse_export(export([{"Name": "Block", "AllowBasicAuthSmtp": False}]), "p"),
        parse_export(export({"DefaultAuthenticationPolicy": "Block", "IsDehydrated": False}), "o"),
    ]
    settings = smtp_auth_settings(files)
    assert settings.state("any@contoso.example") == "inherited-disabled"
    assert settings.basic_smtp_allowed("any@contoso.example") is False


def test_signin_frame_dtypes_are_polars_types() -> None:
    assert SIGNIN_COLUMNS["created"] == pl.Datetime("us", "UTC")
    assert SIGNIN_COLUMNS["status_code"] == pl.Int64
