"""The ``graph-policies`` input: security defaults and Conditional Access read from the loopback
Graph server (pages, 403, 429) and from files (Graph Explorer, PowerShell SDK), and what they
change in the cutover assessment."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from o365diag.cutover.analyze import assess
from o365diag.cutover.demo import DEMO_AS_OF, PLANTED, demo_files, object_id
from o365diag.cutover.inputs import CutoverInputError, classify, load_inputs
from o365diag.cutover.model import CutoverAssessment
from o365diag.tenant.model import PullData
from o365diag.tenant.result import PullResult
from o365diag.trace.synth import synthesize
from o365diag.typed import unnamed_keys
from tests.graph_server import (
    CA_PATH,
    SECURITY_DEFAULTS_PATH,
    GraphServer,
    graph_args,
    graph_records,
    synthetic_signins,
)
from tests.test_tenant_signins import TOKEN, run  # run() also scans the output for TOKEN

NOW = datetime.now(UTC)
SIGNINS = synthetic_signins(NOW, 200)
EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"


def ca_policy(name: str, state: str = "enabled", **parts: Any) -> dict[str, Any]:
    """A conditionalAccessPolicy as Graph v1.0 returns it."""
    users = {
        "includeUsers": parts.get("include_users", ["All"]),
        "excludeUsers": parts.get("exclude_users", []),
        "includeGroups": parts.get("include_groups", []),
        "excludeGroups": parts.get("exclude_groups", []),
        "includeRoles": [],
        "excludeRoles": [],
    }
    return {
        "id": parts.get("id", f"id-{name}"),
        "displayName": name,
        "state": state,
        "conditions": {
            "clientAppTypes": parts.get("client_apps", ["exchangeActiveSync", "other"]),
            "applications": {
                "includeApplications": parts.get("apps", ["All"]),
                "excludeApplications": parts.get("exclude_apps", []),
            },
            "users": users,
            "locations": parts.get("locations"),
            "platforms": None,
            "signInRiskLevels": [],
            "userRiskLevels": [],
        },
        "grantControls": {"operator": "OR", "builtInControls": parts.get("controls", ["block"])},
    }


FILLER = [ca_policy(f"Require MFA {n}", controls=["mfa"], client_apps=["all"]) for n in range(6)]


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
    monkeypatch.setenv("O365DIAG_HOME", str(tmp_path / "home"))


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[GraphServer]:
    options: dict[str, Any] = getattr(request, "param", {})
    start = (NOW - timedelta(days=6)).replace(hour=0, minute=0, second=0, microsecond=0)
    frame = synthesize(300, 5.0, start=start, seed=5)
    with GraphServer(
        tmp_path, graph_records(frame), signins=SIGNINS, tokens={TOKEN}, **options
    ) as graph:
        yield graph


def policies_args(server: GraphServer, out: Path, *extra: str) -> list[str]:
    args = graph_args("tenant", server, out, "--backoff-base", "0.01", "--backoff-cap", "0.05")
    args.remove("--graph")
    return [args[0], "policies", *args[1:], *extra]


def no_token_in(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def demo_with(*replaced: tuple[str, bytes]) -> list[tuple[str, bytes]]:
    """The demo's files with its Graph policy files replaced by ``replaced``."""
    kept = [(n, b) for n, b in demo_files() if not n.startswith("GraphPolicies-")]
    return kept + list(replaced)


def graph_answer(*policies: dict[str, Any]) -> tuple[str, bytes]:
    body = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/"
        "conditionalAccess/policies",
        "value": list(policies),
    }
    return "ca.json", json.dumps(body).encode()


def defaults_file(enabled: bool, name: str = "sd.json") -> tuple[str, bytes]:
    body = {
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": "Security Defaults",
        "isEnabled": enabled,
    }
    return name, json.dumps(body).encode()


def assessed(files: list[tuple[str, bytes]]) -> CutoverAssessment:
    return assess(load_inputs(files), as_of=DEMO_AS_OF)


def by_identity(result: CutoverAssessment) -> dict[str, Any]:
    return {r.identity: r for r in result.identities}


def codes(result: CutoverAssessment) -> list[str]:
    return [f.code for f in result.findings]


# -- the pull --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "server",
    [{"ca_policies": [ca_policy("Block legacy"), *FILLER], "ca_page_size": 3}],
    indirect=True,
)
def test_policies_pull_follows_pages_waits_on_429_and_writes_the_file(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.faults = {2: "429"}  # the first policies page is throttled once (Retry-After: 1)
    out = tmp_path / "policies"
    code, data, _ = run(policies_args(server, out), capsys)
    assert code == 0 and data["complete"] is True
    paths = [r["url"].split("?")[0] for r in data["requests"]]
    assert paths == [SECURITY_DEFAULTS_PATH, CA_PATH, CA_PATH, CA_PATH, CA_PATH]
    assert [r["status"] for r in data["requests"]][1] == 429 and data["retries"] == 1
    assert sum("skiptoken" in p for p in server.requests) == 2  # three pages of at most 3
    saved = json.loads((out / "graph-policies.json").read_text(encoding="utf-8"))
    assert saved["schema"] == "o365diag.graph-policies/1"
    assert saved["security_defaults"]["isEnabled"] is False
    assert [p["displayName"] for p in saved["conditional_access"]][:2] == [
        "Block legacy",
        "Require MFA 0",
    ]
    assert len(saved["conditional_access"]) == 7 and saved["conditional_access_error"] is None
    assert data["policies"] == {"security_defaults": False, "conditional_access_policies": 7}
    saved_result = PullResult.from_dict(data)
    assert saved_result.check_model() is None  # the pull.json model names every key
    assert unnamed_keys(PullData, saved_result.data) == []
    assert saved_result.to_text().startswith("7 rows written in 4 pages (5 requests, 1 retries")
    assert classify("graph-policies.json", (out / "graph-policies.json").read_bytes()) == (
        "graph-policies"
    )
    no_token_in(out)


@pytest.mark.parametrize("server", [{"mode": "no-ca-licence"}], indirect=True)
def test_a_403_on_conditional_access_is_a_finding_and_the_cutover_says_it_was_not_assessed(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "policies"
    code, data, _ = run(policies_args(server, out), capsys)
    assert code == 0 and data["complete"] is True  # a warning: the run goes on
    found = {f["code"]: f for f in data["findings"]}
    assert "Conditional Access policies" in found["tenant.policies-unreadable"]["title"]
    assert "Entra ID P1" in found["tenant.policies-unreadable"]["detail"]
    saved = json.loads((out / "graph-policies.json").read_text(encoding="utf-8"))
    assert saved["conditional_access"] is None
    assert saved["conditional_access_error"]["status"] == 403

    code, result, _ = run(["cutover", str(out), "--json", "--as-of", "2026-11-30"], capsys)
    assert code == 0  # policies alone: no identity
    read = result["inputs"]["read"]
    assert read == [
        {
            "file": str(out / "graph-policies.json"),
            "kind": "graph-policies",
            "format": "security defaults",
            "rows": 1,
            "bad_rows": 0,
        }
    ]
    assert result["inputs"]["policies"]["security_defaults"] is False
    not_assessed = [f for f in result["findings"] if f["code"] == "cutover.policies-not-assessed"]
    assert len(not_assessed) == 1 and "Conditional Access" in not_assessed[0]["title"]
    assert "HTTP 403" in not_assessed[0]["detail"] and "AccessDenied" in not_assessed[0]["detail"]
    # Conditional Access was not read, so "nothing blocks legacy authentication" is not claimed
    assert "cutover.legacy-auth-not-blocked" not in [f["code"] for f in result["findings"]]
    assert "graph-policies" not in {m["input"] for m in result["inputs"]["missing"]}


@pytest.mark.parametrize("server", [{"mode": "no-policy-permission"}], indirect=True)
def test_without_policy_read_all_both_parts_are_reported_unread(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "policies"
    code, data, _ = run(policies_args(server, out), capsys)
    assert code == 0
    unread = [f["title"] for f in data["findings"] if f["code"] == "tenant.policies-unreadable"]
    assert len(unread) == 2 and any("security defaults" in t for t in unread)
    inputs = load_inputs([out])
    assert inputs.graph_policies is not None
    assert set(inputs.graph_policies.not_read()) == {
        "security defaults",
        "Conditional Access policies",
    }


def test_a_pull_that_stays_throttled_stops_with_one_line_and_writes_nothing(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.retry_after = "0"
    server.faults = {n: "429" for n in range(1, 20)}
    out = tmp_path / "policies"
    code, data, err = run(policies_args(server, out), capsys)
    assert code == 1 and data["complete"] is False
    assert [f["code"] for f in data["findings"]] == ["tenant.throttled"]
    assert err.count("\n") == 1 and "stopped" in err
    assert not (out / "graph-policies.json").exists()


@pytest.mark.parametrize(
    "server",
    [{"ca_policies": [*FILLER[:2], ca_policy("Block legacy authentication")], "ca_page_size": 2}],
    indirect=True,
)
def test_cutover_graph_reads_the_policies_and_an_enforced_block_breaks_the_rows(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pulled"
    html = tmp_path / "cutover.html"
    argv = graph_args("cutover", server, out, "--throttle", "100/1", "--no-progress")
    code, data, err = run([*argv, "--html", str(html)], capsys)
    assert code == 1, err
    read = {r["kind"]: r for r in data["inputs"]["read"]}
    assert read["graph-policies"]["rows"] == 4  # security defaults and three policies
    assert read["graph-policies"]["format"] == "security defaults, conditional access"
    scanner = next(r for r in data["identities"] if r["identity"] == "scanner@example.com")
    assert scanner["status"] == "broken"
    assert "'Block legacy authentication'" in scanner["entra_block"]
    assert scanner["conditional_access"][0]["coverage"] == "covered"
    blocks = [f for f in data["findings"] if f["code"] == "cutover.ca-blocks-legacy"]
    assert len(blocks) == 1 and "scanner@example.com" in "\n".join(blocks[0]["evidence"])
    assert any(CA_PATH in r for r in server.requests)
    assert "Block legacy authentication" in html.read_text(encoding="utf-8")
    no_token_in(out)
    assert TOKEN not in html.read_text(encoding="utf-8")


@pytest.mark.parametrize("server", [{"mode": "no-policy-permission"}], indirect=True)
def test_cutover_graph_goes_on_when_the_policies_are_refused(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pulled"
    argv = graph_args("cutover", server, out, "--throttle", "100/1", "--no-progress")
    code, data, err = run(argv, capsys)
    assert code in (0, 1) and err == "", err
    titles = [f["title"] for f in data["findings"] if f["code"] == "cutover.policies-not-assessed"]
    assert titles == [
        "The security defaults were not assessed",
        "The Conditional Access policies were not assessed",
    ]
    assert all(r["entra_block"] is None for r in data["identities"])
    assert any(r["kind"] == "graph-policies" and r["rows"] == 0 for r in data["inputs"]["read"])


def test_a_large_sign_in_download_is_not_parsed_as_policies() -> None:
    from o365diag.cutover.policies import is_policies_json

    body = json.dumps({"value": SIGNINS}).encode()
    assert not is_policies_json("signins.json", body)
    assert classify("signins.json", body) == "signins"


# -- files -----------------------------------------------------------------------------------------
def test_the_demo_policies_change_no_planted_status_and_are_reported() -> None:
    result = assessed(demo_files())
    got = {r.identity: (r.status, r.path) for r in result.identities}
    assert got == PLANTED
    report_only = next(f for f in result.findings if f.code == "cutover.ca-report-only")
    assert report_only.title == (
        "Report-only policy 'Block legacy authentication (pilot)' would block Basic SMTP AUTH "
        "for 6 identities; not enforced"
    )
    assert "invoices@contoso.example" not in "\n".join(report_only.evidence)  # OAuth
    hr = by_identity(result)["hr-notify@contoso.example"]
    assert "'Block legacy authentication - HR systems'" in (hr.entra_block or "")
    assert "Block Basic SMTP" in hr.status_reason  # the authentication policy comes first
    unknown = next(f for f in result.findings if f.code == "cutover.ca-scope-unknown")
    assert "groups or roles" in "\n".join(unknown.evidence)
    assert "locations" in "\n".join(unknown.evidence)
    printer = by_identity(result)["printer@contoso.example"]
    assert any("contractors" in u for u in printer.unknowns)
    assert "cutover.legacy-auth-not-blocked" not in codes(result)  # two enforced blocks exist
    assert "Require MFA for administrators" not in json.dumps(
        [f.to_dict() for f in result.findings]
    )


def test_security_defaults_on_break_every_active_basic_identity() -> None:
    result = assessed(demo_with(defaults_file(True)))
    rows = by_identity(result)
    # oldscanner's last Basic sign-in is 81 days old: blocked and on Basic counts as broken,
    # as it does for an authentication policy.
    for identity in ("printer", "scans", "alerts", "crm", "hr-notify", "oldscanner"):
        row = rows[f"{identity}@contoso.example"]
        assert row.status == "broken", identity
    assert rows["printer@contoso.example"].status_reason.startswith("security defaults are on")
    assert rows["invoices@contoso.example"].status == "safe"  # OAuth is not legacy auth
    found = next(f for f in result.findings if f.code == "cutover.security-defaults-block")
    assert found.title.endswith("(6 identities on Basic)")
    assert "identitySecurityDefaultsEnforcementPolicy isEnabled: true" in found.evidence
    assert "cutover.ca-blocks-legacy" not in codes(result)


def test_an_enforced_block_for_all_but_one_excluded_user() -> None:
    printer = object_id("printer@contoso.example")
    policy = ca_policy("Block legacy", exclude_users=[printer])
    result = assessed(demo_with(defaults_file(False), graph_answer(policy)))
    rows = by_identity(result)
    assert rows["printer@contoso.example"].status == "breaks-at-cutover"  # excluded: at risk
    assert rows["scans@contoso.example"].status == "broken"
    assert rows["crm@contoso.example"].status == "broken"
    excluded = next(f for f in result.findings if f.code == "cutover.ca-excluded")
    assert "printer@contoso.example: excluded" in "\n".join(excluded.evidence)
    blocks = next(f for f in result.findings if f.code == "cutover.ca-blocks-legacy")
    assert blocks.title.endswith("for 5 identities")


def test_basic_sign_ins_after_an_enforced_block_changed_make_it_unknown_not_broken() -> None:
    # The demo's printer signs in with Basic every day until 30 November; a block for all
    # users last changed on 1 November cannot be reaching it.
    policy = ca_policy("Block legacy") | {"modifiedDateTime": "2026-11-01T08:00:00Z"}
    result = assessed(demo_with(defaults_file(False), graph_answer(policy)))
    rows = by_identity(result)
    printer = rows["printer@contoso.example"]
    assert printer.status == "breaks-at-cutover" and printer.entra_block is None
    assert any("after the policy last changed on 2026-11-01" in u for u in printer.unknowns)
    assert rows["hr-notify@contoso.example"].entra_block  # no sign-ins: nothing contradicts
    # A block changed after the last successful sign-in stands.
    later = ca_policy("Block legacy") | {"modifiedDateTime": "2026-11-30T23:00:00Z"}
    result = assessed(demo_with(defaults_file(False), graph_answer(later)))
    assert by_identity(result)["printer@contoso.example"].status == "broken"


@pytest.mark.parametrize(
    ("policy", "why"),
    [
        (ca_policy("Block legacy", exclude_groups=["a-group-id"]), "groups or roles"),
        (ca_policy("Block legacy", include_users=[], include_groups=["g"]), "groups or roles"),
        (
            ca_policy(
                "Block legacy",
                locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
            ),
            "conditions: locations",
        ),
    ],
)
def test_a_block_that_depends_on_what_cannot_be_resolved_is_unknown(
    policy: dict[str, Any], why: str
) -> None:
    result = assessed(demo_with(defaults_file(False), graph_answer(policy)))
    assert {r.identity: (r.status, r.path) for r in result.identities} == PLANTED
    scans = by_identity(result)["scans@contoso.example"]
    assert any("'Block legacy'" in u and why in u for u in scans.unknowns)
    assert "cutover.ca-scope-unknown" in codes(result)


def test_users_named_by_an_id_the_inputs_cannot_map_are_unknown() -> None:
    report = (
        b"Sender address,TLS 1.0 %,TLS 1.2 %,Messages sent,Authentication Protocol\n"
        b"app@contoso.example,0,100,50,Basic\n"
    )
    policy = ca_policy("Block legacy", include_users=["6d0c7b1e-0000-4000-8000-000000000001"])
    result = assessed([("smtpauth.csv", report), defaults_file(False), graph_answer(policy)])
    app = result.identities[0]
    assert app.status == "breaks-at-cutover"
    assert any("object ID" in u for u in app.unknowns)


@pytest.mark.parametrize(
    "policy",
    [
        ca_policy("EAS only", client_apps=["exchangeActiveSync"]),
        ca_policy("Disabled", state="disabled"),
        ca_policy("Not Exchange", apps=["00000003-0000-0ff1-ce00-000000000000"]),
        ca_policy("Spares Exchange", exclude_apps=["Office365"]),
        ca_policy("MFA, no block", controls=["mfa"]),
    ],
)
def test_policies_that_do_not_block_basic_smtp_change_nothing(policy: dict[str, Any]) -> None:
    result = assessed(demo_with(defaults_file(False), graph_answer(policy)))
    assert {r.identity: (r.status, r.path) for r in result.identities} == PLANTED
    assert all(not r.conditional_access for r in result.identities)
    assert "cutover.legacy-auth-not-blocked" in codes(result)


def powershell_export(policies: list[dict[str, Any]]) -> bytes:
    """``Get-MgIdentityConditionalAccessPolicy | ConvertTo-Json -Depth 10`` in Windows
    PowerShell: PascalCase properties, UTF-16 LE with a BOM, one policy as an object."""

    def pascal(value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].upper() + k[1:]: pascal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [pascal(v) for v in value]
        return value

    shaped = [pascal(p) | {"AdditionalProperties": {}} for p in policies]
    body = shaped[0] if len(shaped) == 1 else shaped
    return codecs.BOM_UTF16_LE + json.dumps(body, indent=4).encode("utf-16-le")


def test_a_powershell_sdk_export_is_read() -> None:
    data = powershell_export([ca_policy("Block legacy")])
    assert classify("ca.json", data) == "graph-policies"
    result = assessed(demo_with(defaults_file(False), ("ca.json", data)))
    assert by_identity(result)["scans@contoso.example"].status == "broken"


def test_an_export_cut_by_convertto_json_depth_is_a_clear_error() -> None:
    policy = ca_policy("Block legacy")
    policy["conditions"] = (
        "Microsoft.Graph.PowerShell.Models.MicrosoftGraphConditionalAccessConditionSet"
    )
    data = json.dumps([policy, ca_policy("Other")]).encode()
    with pytest.raises(CutoverInputError, match=r"ca\.json: ConvertTo-Json cut .*-Depth 10"):
        load_inputs([("ca.json", data)])


def test_mixed_content_is_an_error_with_counts() -> None:
    mailbox = {"PrimarySmtpAddress": "a@contoso.example", "SmtpClientAuthenticationDisabled": None}
    data = json.dumps([ca_policy("One"), ca_policy("Two"), mailbox]).encode()
    with pytest.raises(CutoverInputError) as caught:
        load_inputs([("mixed.json", data)])
    message = str(caught.value)
    assert message.startswith(
        "mixed.json: mixed content: 2 Conditional Access policies, 0 "
        "security defaults objects and 1 other objects"
    )
    assert "PrimarySmtpAddress" in message and "\n" not in message


def test_unreadable_policies_are_counted_not_dropped() -> None:
    odd = ca_policy("Odd", state="sometimes")
    flat = ca_policy("Flat")
    flat["conditions"]["users"] = ["not", "an", "object"]
    files = [graph_answer(ca_policy("Good"), odd, flat), defaults_file(False)]
    result = assessed(files)
    bad = result.inputs["bad_rows"]["graph-policies"]
    assert bad["count"] == 2
    assert bad["by_reason"] == {"state not known": 1, "conditions.users is not an object": 1}
    assert [e["row"] for e in bad["examples"]] == [2, 3]
    read = next(r for r in result.inputs["read"] if r["file"] == "ca.json")
    assert read["rows"] == 1 and read["bad_rows"] == 2
    assert "cutover.bad-rows" in codes(result)


def test_two_files_that_disagree_on_security_defaults_are_an_error() -> None:
    with pytest.raises(CutoverInputError, match=r"old\.json and new\.json disagree"):
        load_inputs([defaults_file(False, "old.json"), defaults_file(True, "new.json")])


def test_the_json_contract_carries_the_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(["cutover", "--demo", "--json"], capsys)
    assert code == 1
    kinds = [r for r in data["inputs"]["read"] if r["kind"] == "graph-policies"]
    assert [(r["rows"], r["bad_rows"]) for r in kinds] == [(1, 0), (4, 0)]
    assert data["inputs"]["policies"]["security_defaults"] is False
    blocking = [
        p["name"]
        for p in data["inputs"]["policies"]["conditional_access"]
        if p["blocks_basic_smtp"]
    ]
    assert len(blocking) == 3
    for row in data["identities"]:
        assert "entra_block" in row and isinstance(row["conditional_access"], list)
    again = CutoverAssessment.from_dict(data).to_data()
    assert again["identities"] == data["identities"]
