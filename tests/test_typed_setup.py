"""The setup assistant's results are typed: every plan and audit fits ``SetupData`` and
``AuditData`` key for key, and a saved result renders as the fresh one did."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from o365diag.capabilities import result_from_dict
from o365diag.report import SharedReport
from o365diag.result import Result, generic_html
from o365diag.setup.answers import SetupAnswers
from o365diag.setup.audit import audit_files
from o365diag.setup.generate import plan_option, plan_setup
from o365diag.setup.model import AuditData, SetupData
from o365diag.setup.result import AuditResult, SetupResult
from o365diag.typed import dump, unnamed_keys
from o365diag.widgets import SetupAssistantApp
from tests.test_audit_rules import BAD, GOOD, write_certificate
from tests.test_setup_cli import FLAGS
from tests.test_setup_generate import BASE
from tests.test_setup_recommend import COMBINATIONS, answers_for

OPTIONS = ("submission", "direct-send", "relay", "hve", "other")


def _assert_fits(result: Result, model: type[object]) -> None:
    assert result.check_model() is None
    assert unnamed_keys(model, result.data) == []
    assert dump(result.typed(model)) == result.data


def _assert_saved_renders_the_same(fresh: Result) -> Result:
    saved = result_from_dict(json.loads(fresh.to_json()), "saved.json")
    assert type(saved) is type(fresh)
    assert saved.section_html() == fresh.section_html() != generic_html(saved)
    assert saved.to_text() == fresh.to_text()
    assert saved.to_markdown() == fresh.to_markdown()
    return saved


def test_every_answer_combination_gives_a_plan_the_model_describes() -> None:
    seen = set()
    for combo in COMBINATIONS[::3]:
        result = plan_setup(answers_for(combo)).to_report()
        _assert_fits(result, SetupData)
        seen.add(result.model.recommendation.variant)
    assert seen == {"submission-oauth", "submission-basic", "direct-send", "relay", "hve", "other"}


@pytest.mark.parametrize("option", OPTIONS)
def test_each_option_configured_on_request_fits(option: str) -> None:
    changes = {"auth": "basic", "recipients": "both", "static_ips": ("203.0.113.25",)}
    answers = SetupAnswers(**{**BASE, **changes, "certificate_name": "scanner.example.com"})
    result = plan_option(answers, option).to_report()
    _assert_fits(result, SetupData)
    assert result.model.recommendation.option == option


def test_a_saved_plan_renders_as_the_fresh_one() -> None:
    plan = plan_setup(answers_for(COMBINATIONS[0]))
    fresh = plan.to_report()
    saved = _assert_saved_renders_the_same(fresh)
    assert saved.to_text() == plan.to_text()
    assert isinstance(saved, SetupResult)
    model = saved.model
    assert model.script() == plan.script()
    section = saved.section_html()
    assert f"{model.recommendation.title}</div>" in section
    assert all(step.command.split()[0] in section for step in model.required_steps)
    assert model.verify is None and saved.data["verify"] is None


def test_a_verified_plan_keeps_its_verify_step(python: str, cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [python, "-m", "o365diag", "setup", *FLAGS, "--demo", "--json"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode in (0, 1), result.stderr
    saved = result_from_dict(json.loads(result.stdout), "setup.json")
    assert isinstance(saved, SetupResult)
    _assert_fits(saved, SetupData)
    verify = saved.model.verify
    assert verify is not None and verify.mode == "demo" and verify.option == "relay"
    assert verify.dns is not None and str(verify.dns["schema"]).startswith("o365diag.dns/")
    assert "Verify (demo)" in saved.section_html()
    assert "setup.first-message-check" in saved.section_html()


def test_audits_fit_with_device_ips_and_certificates(tmp_path: Path) -> None:
    certificate = write_certificate(tmp_path, ["copier02.example.com"])
    audits = [
        audit_files(GOOD),
        audit_files(BAD, device_ips=["192.0.2.99"]),
        audit_files(GOOD, device_ips=["203.0.113.25"], device_certs=[certificate]),
    ]
    for audit in audits:
        _assert_fits(audit, AuditData)
    model = audits[2].model
    assert model.device.ips == ["203.0.113.25"]
    assert model.device.certificates[0].names == ["copier02.example.com"]
    assert model.device.certificates[0].not_after
    saved = _assert_saved_renders_the_same(audits[2])
    assert isinstance(saved, AuditResult)
    assert "copier02.example.com" in saved.section_html()
    assert all(Path(i.file).name in saved.section_html() for i in model.inputs)


@pytest.mark.parametrize(
    ("schema", "change", "where"),
    [
        ("o365diag.setup/1", {"recommendation": {"option": "carrier-pigeon"}}, "recommendation"),
        ("o365diag.setup/1", {"dns_records": [{"type": "TXT"}]}, "dns_records[0]"),
        ("o365diag.setup/1", {"answers": {"domain": "example.com"}}, "answers"),
        ("o365diag.audit/1", {"inputs": [{"file": 3}]}, "inputs[0]"),
    ],
)
def test_a_save_of_another_shape_falls_back_to_the_generic_view(
    schema: str, change: dict[str, object], where: str
) -> None:
    fresh = (
        plan_setup(answers_for(COMBINATIONS[0])).to_report()
        if schema.startswith("o365diag.setup")
        else audit_files(GOOD)
    )
    odd = result_from_dict({**json.loads(fresh.to_json()), **change}, "odd.json")
    assert where in (odd.check_model() or "")
    assert odd.section_html() == generic_html(odd)
    assert odd.to_text().startswith(odd.title)
    assert SharedReport.build([odd], redact=True).to_html().startswith("<!DOCTYPE html>")


def test_the_app_shows_what_a_saved_result_shows() -> None:
    app = SetupAssistantApp()
    app.set_answers(
        {"domain": "example.com", "sender": "scanner@example.com", "tls": True, "auth": "basic"}
        | {"recipients": "both", "sent_items": True}
    )
    app.recommend_button.click()
    assert isinstance(app.report, SetupResult)
    saved = result_from_dict(json.loads(app.report.to_json()), "setup.json")
    assert app.card.value in saved.section_html()
    assert app.configuration.value in saved.section_html()
    audit = app.audit(BAD)
    assert isinstance(audit, AuditResult)
    assert all(Path(f).name in app.audit_view.value for f in BAD)


def test_a_shared_report_carries_the_configuration_in_markdown() -> None:
    plan = plan_setup(SetupAnswers(**{**BASE, "static_ips": ("203.0.113.25",)}))
    markdown = SharedReport.build([plan.to_report()], redact=False).to_markdown()
    assert "### DNS records" in markdown and "### Device settings" in markdown
    commands = [step.command for step in plan.to_data().required_steps]
    assert commands and all(command in markdown for command in commands)
    assert markdown.index("### Exchange Online PowerShell") > markdown.index("What to change")
