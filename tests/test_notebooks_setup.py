"""05-setup-assistant runs headless in demo mode: recommendation, demo verify, audit."""

from __future__ import annotations

import json

import pytest

from tests.test_notebooks import execute, outputs_text

pytestmark = pytest.mark.notebook


def test_setup_assistant_recommends_verifies_and_audits() -> None:
    notebook = execute(
        "05-setup-assistant.ipynb", {"DEMO": True, "AUTO_RUN": True}, store_widget_state=True
    )
    text = outputs_text(notebook)
    assert "recommended: relay" in text
    assert "New-InboundConnector -Name 'Relay from Scanner 01'" in text
    assert "verify: demo smtp outcome: accepted-no-data" in text
    assert "audit.smtp-auth-tenant-wide" in text
    state = json.dumps(notebook.metadata["widgets"])
    assert "SMTP relay through an inbound connector" in state  # the recommendation card
    assert "o365diag-copy" in state  # copy buttons


def test_setup_assistant_with_other_answers_and_no_audit() -> None:
    answers = {
        "domain": "example.com",
        "sender": "scanner@example.com",
        "tls": True,
        "auth": "oauth",
        "recipients": "both",
    }
    notebook = execute(
        "05-setup-assistant.ipynb", {"ANSWERS": answers, "AUTO_RUN": True, "AUDIT_SAMPLE": ""}
    )
    text = outputs_text(notebook)
    assert "recommended: submission" in text
    assert (
        "Set-CASMailbox -Identity 'scanner@example.com' -SmtpClientAuthenticationDisabled $false"
    ) in text
    assert "audit finding codes" not in text


async def test_the_password_box_is_emptied_and_never_shown() -> None:
    from o365diag.widgets import SetupAssistantApp

    secret = "S3cret-do-not-store-91"
    app = SetupAssistantApp(demo=True)
    app.set_answers(
        {
            "domain": "example.com",
            "sender": "scanner@example.com",
            "tls": True,
            "auth": "basic",
            "recipients": "both",
            "sent_items": True,
        }
    )
    app.password.value = secret
    task = app.verify()
    assert task is not None
    await task
    assert app.password.get_state()["value"] == ""
    shown = [app.card.value, app.configuration.value, app.verify_view.value, app.error.value]
    shown += [r.to_json() for r in app.export_reports()]
    assert app.verify_result is not None and app.verify_result.smtp is not None
    assert not any(secret in text for text in shown)


def test_form_errors_show_in_the_app_not_as_a_traceback() -> None:
    from o365diag.widgets import SetupAssistantApp

    app = SetupAssistantApp()
    app.set_answers(
        {
            "domain": "example",
            "sender": "scanner@example.com",
            "tls": True,
            "auth": "none",
            "recipients": "internal",
        }
    )
    assert app.recommend() is None
    assert "&#x27;example&#x27; is not a domain name" in app.error.value  # escaped
    assert app.verify_button.disabled
    bad = app.audit(paths=[__file__])
    assert bad is None and "not JSON" in app.error.value


def test_required_questions_start_unanswered() -> None:
    from o365diag.widgets import SetupAssistantApp

    app = SetupAssistantApp()
    assert app.fields["tls"].value is None and app.fields["auth"].value is None
    assert app.fields["port25_open"].value is True
    app.set_answers({"domain": "example.com", "sender": "scanner@example.com"})
    assert app.recommend() is None
    assert "Please answer: Does the device support TLS 1.2" in app.error.value
