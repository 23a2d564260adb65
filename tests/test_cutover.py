"""Basic-auth cutover readiness on the shipped demo tenant and on hand-made inputs: every
planted case, every input alone and missing, bad and mixed files, the plan, the CLI."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from o365diag.cli import main
from o365diag.cutover.analyze import assess
from o365diag.cutover.demo import DEMO_AS_OF, PLANTED, demo_files
from o365diag.cutover.inputs import CutoverInputError, classify, load_inputs
from o365diag.cutover.inventory import InventoryError
from o365diag.cutover.model import CutoverAssessment

KINDS = {  # the demo's files of each kind, by a part of their names
    "signins": ("InteractiveSignIns",),
    "smtp-auth-report": ("SMTPAuthClients",),
    "trace": ("MessageTraceV2",),
    "exchange-settings": (
        "TransportConfig",
        "CASMailbox",
        "User.json",
        "AuthenticationPolicy",
        "OrganizationConfig",
    ),
    "graph-policies": ("GraphPolicies-",),
}
CONTRACT_KEYS = {
    "identity",
    "app_id",
    "auth",
    "smtp_auth_state",
    "status",
    "path",
    "source_ips",
    "last_seen",
    "messages_per_day",
    "tls_versions",
    "risk",
    "steps",
}


@pytest.fixture(scope="module")
def files() -> list[tuple[str, bytes]]:
    return demo_files()


@pytest.fixture(scope="module")
def result(files: list[tuple[str, bytes]]) -> CutoverAssessment:
    return assess(load_inputs(files), as_of=DEMO_AS_OF)


def rows(result: CutoverAssessment) -> dict[str, Any]:
    return {r.identity: r for r in result.identities}


def only(files: list[tuple[str, bytes]], *kinds: str) -> list[tuple[str, bytes]]:
    return [(n, b) for n, b in files if any(m in n for k in kinds for m in KINDS[k])]


# -- the planted cases ---------------------------------------------------------------------------
@pytest.mark.parametrize(("identity", "expected"), sorted(PLANTED.items()))
def test_each_planted_case_has_its_status_and_path(
    result: CutoverAssessment, identity: str, expected: tuple[str, str]
) -> None:
    row = rows(result)[identity]
    assert (row.status, row.path) == expected, row.status_reason + " / " + row.path_reason


def test_the_printer_on_tls_10_is_flagged_and_gets_a_connector_without_require_tls(
    result: CutoverAssessment,
) -> None:
    printer = rows(result)["printer@contoso.example"]
    assert printer.auth == "basic" and printer.tls_versions == ["1.0"]
    assert "legacy-tls" in printer.risk
    commands = [s["text"] for s in printer.steps if s["kind"] == "powershell"]
    connector = next(c for c in commands if c.startswith("New-InboundConnector"))
    assert "-SenderIPAddresses '203.0.113.25'" in connector and "RequireTls" not in connector
    assert any("TLS 1.2" in s["text"] for s in printer.steps if s["kind"] == "note")


def test_the_app_on_oauth_is_safe_with_its_app_id(result: CutoverAssessment) -> None:
    app = rows(result)["invoices@contoso.example"]
    assert app.auth == "oauth" and app.app_id == "6f2c8a7e-1b3d-4c5e-9f01-23456789abcd"
    assert app.steps == [] and app.basic_logins == 0


def test_the_shared_mailbox_shows_three_devices(result: CutoverAssessment) -> None:
    scans = rows(result)["scans@contoso.example"]
    assert sorted(scans.source_ips) == ["198.51.100.10", "198.51.100.11", "203.0.113.40"]
    assert "many-devices" in scans.risk and scans.recipients == "internal"


def test_the_attacked_mailbox_is_a_suspected_compromise_to_turn_off(
    result: CutoverAssessment,
) -> None:
    alerts = rows(result)["alerts@contoso.example"]
    assert alerts.suspected_compromise
    assert {"failed-logins", "unexpected-country"} <= set(alerts.risk)
    assert alerts.failed_logins >= 400 and alerts.countries == ["BY"]
    codes = [f.code for f in result.findings]
    assert "cutover.suspected-compromise" in codes
    commands = [s["text"] for s in alerts.steps]
    assert commands[0] == (
        "Set-CASMailbox -Identity 'alerts@contoso.example' -SmtpClientAuthenticationDisabled $true"
    )
    assert any(c.startswith("Revoke-MgUserSignInSession") for c in commands)


def test_inherited_state_is_reported_as_inherited(result: CutoverAssessment) -> None:
    assert rows(result)["crm@contoso.example"].smtp_auth_state == "inherited-enabled"
    assert rows(result)["printer@contoso.example"].smtp_auth_state == "enabled"


def test_policy_blocked_mailbox_is_broken_without_any_sign_in(result: CutoverAssessment) -> None:
    hr = rows(result)["hr-notify@contoso.example"]
    assert hr.basic_logins == 0 and hr.basic_allowed_by_policy is False
    assert "Block Basic SMTP" in hr.status_reason


def test_quiet_inheriting_mailboxes_are_one_finding_with_the_org_command(
    result: CutoverAssessment,
) -> None:
    found = [f for f in result.findings if f.code == "cutover.inherited-enabled-unused"]
    assert len(found) == 1
    assert found[0].title.endswith(": 25 mailboxes")
    assert "Set-TransportConfig -SmtpClientAuthenticationDisabled $true" in found[0].fix
    listed = {r.identity for r in result.identities}
    assert not listed & {"anna@contoso.example", "user01@contoso.example"}
    assert "former-fax@contoso.example" not in listed  # disabled, no activity: no row


def test_oauth_path_uses_the_setup_generators_and_app_rbac(
    files: list[tuple[str, bytes]],
) -> None:
    inventory = (
        b"identity,kind,oauth,app_id,service_principal_id\r\n"
        b"crm@contoso.example,app,yes,11111111-2222-3333-4444-555555555555,"
        b"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\r\n"
    )
    chosen = [f for f in files if f[0] != "devices.csv"] + [("devices.csv", inventory)]
    crm = rows(assess(load_inputs(chosen), as_of=DEMO_AS_OF))["crm@contoso.example"]
    assert crm.path == "oauth"
    text = "\n".join(s["text"] for s in crm.steps)
    assert "New-ServicePrincipal -AppId '11111111-2222-3333-4444-555555555555'" in text
    assert "-Role 'Application SMTP.SendAsApp'" in text
    assert "Server (smart host): smtp.office365.com" in text  # the setup assistant's settings
    assert (
        "Set-User -Identity 'crm@contoso.example' -AuthenticationPolicy 'Block Basic SMTP'" in text
    )


def test_a_private_fixed_ip_is_not_a_relay_connector(files: list[tuple[str, bytes]]) -> None:
    inventory = (
        b"identity,kind,fixed_ip,recipients\r\n"
        b"printer@contoso.example,printer,192.168.1.20,both\r\n"
    )
    chosen = [*only(files, "signins", "trace"), ("devices.csv", inventory)]
    # Without the report the printer's TLS is unknown; sign-ins show one public IP, but the
    # inventory names a private one: the admin's word wins and it is not a connector case.
    printer = rows(assess(load_inputs(chosen), as_of=DEMO_AS_OF))["printer@contoso.example"]
    assert printer.path != "relay-connector"
    assert "private" in printer.path_reason


def test_yaml_inventory_is_read(files: list[tuple[str, bytes]]) -> None:
    inventory = (
        b"devices:\n"
        b"  - identity: scans@contoso.example\n"
        b"    kind: mfd\n    oauth: yes\n    owner: facilities\n"
    )
    chosen = [*only(files, "signins"), ("devices.yaml", inventory)]
    scans = rows(assess(load_inputs(chosen), as_of=DEMO_AS_OF))["scans@contoso.example"]
    assert scans.path == "oauth" and scans.device is not None
    assert scans.device["owner"] == "facilities"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"identity,kind\r\nnot an address,printer\r\n", "row 2: identity 'not an address'"),
        (b"identity,oauth\r\na@contoso.example,maybe\r\n", "row 2: oauth 'maybe'"),
        (b"identity,fixed_ip\r\na@contoso.example,300.1.1.1\r\n", "row 2: fixed_ip"),
        (b"identity,colour\r\na@contoso.example,red\r\n", "unknown column"),
        (b"identity,kind\r\na@contoso.example,printer\r\nA@contoso.example,app\r\n", "twice"),
    ],
)
def test_bad_inventory_rows_name_the_file_row_and_field(body: bytes, message: str) -> None:
    with pytest.raises(InventoryError, match=message) as caught:
        load_inputs([("devices.csv", body)])
    assert "devices.csv" in str(caught.value)


# -- inputs: each alone, each missing -------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_input_alone_is_recognised_and_the_rest_is_said_missing(
    files: list[tuple[str, bytes]], kind: str
) -> None:
    chosen = only(files, kind)
    assert chosen and all(classify(n, b) == kind for n, b in chosen)
    data = assess(load_inputs(chosen), as_of=DEMO_AS_OF).to_data()
    assert {item["kind"] for item in data["inputs"]["read"]} == {kind}
    missing = {m["input"]: m["cost"] for m in data["inputs"]["missing"]}
    assert set(missing) == set(KINDS) - {kind}
    assert all(len(cost) > 40 for cost in missing.values())


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        ("signins", "no source IPs"),
        ("smtp-auth-report", "Basic/OAuth split"),
        ("trace", "HVE cannot be told from ACS"),
        ("exchange-settings", "SMTP AUTH state is unknown"),
        ("graph-policies", "already block legacy authentication"),
    ],
)
def test_each_missing_input_states_what_it_costs(
    files: list[tuple[str, bytes]], missing: str, says: str
) -> None:
    chosen = only(files, *(k for k in KINDS if k != missing))
    result = assess(load_inputs(chosen), as_of=DEMO_AS_OF)
    costs = {m["input"]: m["cost"] for m in result.inputs["missing"]}
    assert says in costs[missing]
    finding = next(
        f for f in result.findings if f.code == "cutover.input-missing" and missing in f.title
    )
    assert says in finding.detail


def test_without_exchange_settings_the_state_is_unknown_not_guessed(
    files: list[tuple[str, bytes]],
) -> None:
    result = assess(load_inputs(only(files, "signins", "smtp-auth-report")), as_of=DEMO_AS_OF)
    assert {r.smtp_auth_state for r in result.identities} == {"unknown"}
    assert all(any("SMTP AUTH setting" in u for u in r.unknowns) for r in result.identities)


def test_trace_alone_creates_no_identity(files: list[tuple[str, bytes]]) -> None:
    result = assess(load_inputs(only(files, "trace")), as_of=DEMO_AS_OF)
    assert result.identities == [] and result.exit_code == 0


def test_short_history_never_claims_unused(files: list[tuple[str, bytes]]) -> None:
    # Only the exports and 30 days of history: nothing may be called unused.
    chosen = only(files, "exchange-settings", "smtp-auth-report")
    result = assess(load_inputs(chosen), as_of=DEMO_AS_OF)
    assert "unused-enabled" not in {r.status for r in result.identities}
    assert "less than the 60 days" in result.inputs["history"]
    assert "cutover.short-history" in [f.code for f in result.findings]
    old = rows(result)["oldscanner@contoso.example"]
    assert old.status == "breaks-at-cutover" and old.auth == "unknown"
    assert any("whether it is used" in u for u in old.unknowns)


# -- bad and mixed files --------------------------------------------------------------------------
def test_bad_sign_in_rows_are_counted_in_the_result(files: list[tuple[str, bytes]]) -> None:
    name, body = only(files, "signins")[0]
    lines = body.decode("utf-8-sig").splitlines()
    broken = [lines[0], *lines[1:50], lines[50].replace("2026-", "twenty-", 1), "garbage"]
    result = assess(load_inputs([(name, "\r\n".join(broken).encode())]), as_of=DEMO_AS_OF)
    data = result.to_report().to_dict()
    bad = data["inputs"]["bad_rows"]["signins"]
    read = data["inputs"]["read"][0]
    assert bad["count"] == 2 and read["rows"] == 49
    assert bad["by_reason"] == {"date not recognised": 2}
    assert [e["row"] for e in bad["examples"]] == [50, 51]  # data rows, header not counted
    assert "cutover.bad-rows" in [f["code"] for f in data["findings"]]


def test_an_unknown_file_among_good_ones_is_an_error_naming_it(
    files: list[tuple[str, bytes]],
) -> None:
    chosen = [*only(files, "signins"), ("notes.txt", b"call the printer vendor on Monday\n")]
    with pytest.raises(CutoverInputError, match=r"notes\.txt"):
        load_inputs(chosen)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("empty.csv", b""),
        ("list.csv", b"Name,Colour\r\nalpha,red\r\n"),
        ("x.json", b'[{"Identity": "no such object"}]'),
        ("broken.json", b'[{"createdDateTime": '),
    ],
)
def test_files_of_no_known_kind_give_one_clear_error(name: str, body: bytes) -> None:
    with pytest.raises(CutoverInputError) as caught:
        classify(name, body)
    assert name in str(caught.value) and "\n" not in str(caught.value)


# -- the contract and the CLI ---------------------------------------------------------------------
def test_json_contract(result: CutoverAssessment) -> None:
    data = json.loads(result.to_json())
    assert data["schema"] == "o365diag.cutover/1"
    assert data["as_of"] == "2026-11-30" and data["cutover_date"] == "2026-12-31"
    assert data["days_to_cutover"] == 31 and isinstance(data["days_to_cutover"], int)
    assert set(data["inputs"]) >= {"read", "missing"}
    assert all(set(item) >= {"file", "kind", "rows"} for item in data["inputs"]["read"])
    for row in data["identities"]:
        assert set(row) >= CONTRACT_KEYS
        assert row["auth"] in ("basic", "oauth", "unknown")
        assert row["status"] in ("broken", "breaks-at-cutover", "safe", "unused-enabled")
        assert row["path"] in ("oauth", "hve", "relay-connector", "acs", "turn-off", "none")
        assert set(row["risk"]) <= {
            "failed-logins",
            "unexpected-country",
            "new-ip",
            "many-devices",
            "legacy-tls",
        }
        assert all(set(step) == {"kind", "text"} for step in row["steps"])
        assert row["last_seen"] is None or row["last_seen"].endswith("Z")
    assert CutoverAssessment.from_dict(data).to_data()["identities"] == data["identities"]


def test_messages_per_day_counts_messages_over_calendar_days(result: CutoverAssessment) -> None:
    # The demo trace covers 91 calendar days; hr-notify sent one message on each of 51 days.
    assert rows(result)["hr-notify@contoso.example"].messages_per_day == round(51 / 91, 2)


def test_plan_has_canary_commands_rollback_and_countdown(result: CutoverAssessment) -> None:
    plan = result.plan
    assert plan["canary"]["identity"] == "printer@contoso.example"
    assert plan["countdown"]["days_to_cutover"] == 31
    assert plan["block_basic"]["create_policy"] == (
        "New-AuthenticationPolicy -Name 'Block Basic SMTP' -AllowBasicAuthSmtp:$false"
    )
    assert (
        "Set-User -Identity 'scans@contoso.example' -AuthenticationPolicy 'Block Basic SMTP'"
        in (plan["block_basic"]["per_mailbox"])
    )
    assert plan["rollback"]["per_mailbox"].endswith("-AuthenticationPolicy $null")
    turned_off = {item["identity"] for item in plan["turn_off_now"]}
    assert turned_off == {"alerts@contoso.example", "oldscanner@contoso.example"}


def test_cli_demo_exits_1_and_as_of_moves_the_countdown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cutover", "--demo", "--json", "--as-of", "2026-12-01"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["days_to_cutover"] == 30
    assert main(["cutover", "--demo", "--json", "--cutover-date", "2027-01-31"]) == 1
    assert json.loads(capsys.readouterr().out)["days_to_cutover"] == 62


def test_cli_exits_0_when_nothing_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "smtpauth.csv"
    report.write_text(
        "Sender address,TLS 1.0 %,TLS 1.1 %,TLS 1.2 %,Messages sent,Authentication Protocol\n"
        "app@contoso.example,0,0,100,50,OAuth\n",
        encoding="utf-8",
    )
    assert main(["cutover", str(report), "--as-of", "2026-11-30"]) == 0
    out = capsys.readouterr().out
    assert "cutover.nothing-breaks" in out and "app@contoso.example" in out


def test_cli_writes_html_with_charts_and_escapes(tmp_path: Path) -> None:
    out = tmp_path / "cutover.html"
    assert main(["cutover", "--demo", "--html", str(out)]) == 1
    page = out.read_text(encoding="utf-8")
    assert "Basic SMTP AUTH sign-ins per identity" in page and "TLS version mix" in page
    assert "Burndown" in page and "printer@contoso.example" in page


def test_cli_unknown_file_exits_2_with_one_line(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "smtpauth.csv"
    good.write_text(
        "Sender address,TLS 1.0 %,TLS 1.2 %\na@contoso.example,0,100\n", encoding="utf-8"
    )
    bad = tmp_path / "random.bin"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot a table")
    run = subprocess.run(
        [python, "-m", "o365diag", "cutover", str(good), str(bad)],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "random.bin" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("flag", ["--as-of", "--cutover-date"])
def test_cli_bad_dates_exit_2(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cutover", "--demo", flag, "31/12/2026"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_write_demo_then_read_the_files_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cutover", "--write-demo", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert "CASMailbox.json" in written and "devices.csv" in written
    paths = [str(p) for p in sorted(tmp_path.iterdir())]
    capsys.readouterr()
    assert main(["cutover", *paths, "--as-of", DEMO_AS_OF.isoformat(), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    got = {r["identity"]: (r["status"], r["path"]) for r in data["identities"]}
    assert got == PLANTED


def test_secrets_in_inputs_never_reach_the_outputs(
    files: list[tuple[str, bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "Winter2026-printer-password!"
    inventory = (
        f"identity,kind,notes\r\nprinter@contoso.example,printer,password={secret}\r\n"
    ).encode()
    folder = tmp_path / "in"
    folder.mkdir()
    for name, body in files:
        if name != "devices.csv":
            (folder / name).write_bytes(body)
    (folder / "devices.csv").write_bytes(inventory)
    paths = [str(p) for p in sorted(folder.iterdir())]
    html = tmp_path / "out.html"
    main(["cutover", *paths, "--as-of", "2026-11-30", "--json", "--html", str(html)])
    main(["cutover", *paths, "--as-of", "2026-11-30"])
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, html.read_text(encoding="utf-8")):
        assert secret not in text


def test_as_of_defaults_to_today() -> None:
    result = assess(
        load_inputs([("r.csv", b"Sender address,TLS 1.0 %,TLS 1.2 %\na@x.example,0,100\n")])
    )
    assert result.as_of == date.today() or (date.today() - result.as_of).days <= 1


def test_saved_result_goes_into_the_shared_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "cutover.json"
    main(["cutover", "--demo", "--json"])
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    page = tmp_path / "report.html"
    markdown = tmp_path / "report.md"
    assert main(["report", str(saved), "-o", str(page), "--markdown", str(markdown)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "Basic-auth cutover readiness: 5 of 7 identities break" in html
    assert "relay-connector" in html and "Steps per identity" in html
    assert "Burndown" in html  # the charts come from the saved data
    text = markdown.read_text(encoding="utf-8")
    assert "| printer@contoso.example | basic | enabled | breaks-at-cutover" in text


def test_the_smtp_secret_scan_extends_to_cutover_and_explain(
    files: list[tuple[str, bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    from tests.test_smtp_secrets import PASSWORD, TOKEN, assert_no_secret

    name, body = only(files, "signins")[0]
    lines = body.decode("utf-8-sig").splitlines()
    # A token where the portal puts token identifiers, on every row of the sign-in download.
    header = lines[0].split(",")
    column = header.index("Unique token identifier")
    rows = [lines[0]]
    for line in lines[1:200]:
        cells = line.split(",")
        cells[column] = TOKEN
        rows.append(",".join(cells))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_text("\r\n".join(rows), encoding="utf-8")
    (folder / "devices.csv").write_text(
        f"identity,kind,notes\r\nscans@contoso.example,mfd,password={PASSWORD}\r\n",
        encoding="utf-8",
    )
    paths = [str(p) for p in sorted(folder.iterdir())]
    html, saved, shared = tmp_path / "c.html", tmp_path / "c.json", tmp_path / "r.html"
    main(["cutover", *paths, "--as-of", "2026-11-30", "--json", "--html", str(html)])
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    main(["cutover", *paths, "--as-of", "2026-11-30"])
    main(["report", str(saved), "-o", str(shared)])
    auth = base64.b64encode(f"\0scans@contoso.example\0{PASSWORD}".encode()).decode()
    main(["explain", "--json", f" -> AUTH PLAIN {auth}\n<~* 535 5.7.3 Authentication unsuccessful"])
    captured = capsys.readouterr()
    outputs = {
        "stdout": captured.out,
        "stderr": captured.err,
        "html": html.read_text(encoding="utf-8"),
        "json": saved.read_text(encoding="utf-8"),
        "report": shared.read_text(encoding="utf-8"),
    }
    assert "scans@contoso.example" in outputs["json"]  # the inputs were really read
    for where, text in outputs.items():
        assert_no_secret(text, where)
        assert auth not in text


def test_counts_read_as_words_for_one_and_for_many() -> None:
    from o365diag.cutover.summary import _when
    from o365diag.wording import plural

    assert plural(1, "identity", "identities") == "1 identity"
    assert _when(1) == "in 1 day" and _when(24) == "in 24 days"
    assert _when(0) == "today" and _when(-3) == "passed 3 days ago"
