"""SetupAssistantApp driven as a user would: fill the form, click, await the task, read it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from o365diag.widgets import SetupAssistantApp

ANSWERS = {
    "domain": "example.com",
    "sender": "scanner@example.com",
    "tls": True,
    "auth": "basic",
    "recipients": "both",
    "sent_items": True,
}
EXPORTS = Path(__file__).parents[1] / "sample_exports"


async def _click(app: SetupAssistantApp, button: object) -> None:
    button.click()  # type: ignore[attr-defined]
    if app.task is not None:
        await asyncio.wait_for(app.task, 30)


async def test_verify_uses_the_answers_in_the_form_not_a_stale_plan() -> None:
    app = SetupAssistantApp(demo=True)
    app.set_answers(ANSWERS)
    app.recommend_button.click()
    assert app.plan is not None and app.plan.option == "submission"
    app.set_answers({"auth": "none", "recipients": "internal", "sent_items": False})  # changed
    await _click(app, app.verify_button)
    assert app.plan.option == "direct-send"
    assert "Direct send" in app.card.value
    assert app.verify_result is not None and app.verify_result.smtp is not None
    assert app.verify_result.smtp.data["target"]["profile"] == "direct-send"


async def test_verify_keeps_the_plan_when_the_answers_did_not_change() -> None:
    app = SetupAssistantApp(demo=True)
    app.set_answers(ANSWERS)
    plan = app.recommend()
    await _click(app, app.verify_button)
    assert app.plan is plan


def test_errors_name_the_question_as_the_form_shows_it() -> None:
    app = SetupAssistantApp()
    app.set_answers({**ANSWERS, "domain": "example"})
    app.recommend_button.click()
    assert (
        "Which of your domains does the device send as? — &#x27;example&#x27; is not a "
        "domain name" in app.error.value
    )
    app.set_answers({"domain": "example.com"})
    app.fields["tls"].value = None
    app.recommend_button.click()
    assert "Please answer: Does the device support TLS" in app.error.value
    assert "tls:" not in app.error.value


def test_upload_is_emptied_once_read_and_the_audit_is_shown() -> None:
    folder = EXPORTS / "bad-tenant"
    app = SetupAssistantApp()
    app.upload.value = tuple(
        {
            "name": p.name,
            "type": "application/json",
            "size": p.stat().st_size,
            "content": memoryview(p.read_bytes()),
            "last_modified": datetime.now(UTC),
        }
        for p in sorted(folder.glob("*.json"))
    )
    app.audit_button.click()
    assert app.upload.value == ()
    assert "Audit findings" in app.audit_view.value
    assert app.audit_report is not None and app.audit_report.findings


def test_optional_hardening_is_apart_from_copy_all_with_a_warning() -> None:
    app = SetupAssistantApp()
    app.set_answers({**ANSWERS, "auth": "none", "static_ips": "203.0.113.25", "sent_items": False})
    app.recommend_button.click()
    assert app.plan is not None and app.plan.option == "relay"
    shown = app.configuration.value
    setup, optional = shown.split("Optional hardening (not included in the script above)")
    command = "Set-OrganizationConfig -RejectDirectSend $true"
    copy_all = setup.split("<h4>Exchange")[1]
    assert copy_all.count(command) == copy_all.count(f"# {command}") == 1  # only commented out
    assert "Set-OrganizationConfig -RejectDirectSend $true" in optional
    assert "<strong>Warning:</strong>" in optional
    script = app.plan.script()
    assert "\nSet-OrganizationConfig" not in script  # only commented out, after the warning
    assert script.index("WARNING") < script.index("# Set-OrganizationConfig -RejectDirectSend")
    assert json.loads(app.plan.to_report().to_json())["powershell"][-1]["optional"] is False
