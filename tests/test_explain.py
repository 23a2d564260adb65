"""``o365diag explain``: client wordings and replies recognised, the cutover called out, unknown
text answered with the closest matches, secrets in pasted transcripts never echoed."""

from __future__ import annotations

import io
import json

import pytest

from o365diag.cli import main
from o365diag.cutover.explain import explain
from o365diag.knowledge import load_table

CASES = [
    # (pasted text, catalogue entry, client, is it the cutover)
    ("550 5.7.30 Basic authentication is not supported for Client Submission.", "E12", None, "yes"),
    (
        "Nov 30 02:00:01 relay postfix/smtp[2211]: 4F2A1: SASL authentication failed; server "
        "smtp.office365.com[192.0.2.10] said: 535 5.7.139 Authentication unsuccessful, basic "
        "authentication is disabled. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]",
        "E11",
        "Postfix (smtp client log)",
        "possibly",
    ),
    (
        "to=<a@example.net>, relay=smtp.office365.com[192.0.2.10]:587, status=bounced (host "
        "smtp.office365.com[192.0.2.10] said: 550 5.7.30 Basic authentication is not supported "
        "for Client Submission. (in reply to MAIL FROM command))",
        "E12",
        "Postfix (delivery status)",
        "yes",
    ),
    (
        "2026-11-30 02:00:01 1abc-000 == a@example.net R=smarthost T=remote_smtp defer (-42): "
        "SMTP error from remote mail server after AUTH: 535 5.7.139 Authentication "
        "unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.",
        "E08",
        "Exim (log or bounce)",
        "no",
    ),
    (
        "smtplib.SMTPAuthenticationError: (535, b'5.7.139 Authentication unsuccessful, the user "
        "credentials were incorrect. [SN4PR0201CA0063.namprd02.prod.outlook.com]')",
        None,
        "Python smtplib",
        None,
    ),
    (
        "Send-MailMessage : The SMTP server requires a secure connection or the client was not "
        "authenticated. The server response was: 5.7.57 Client not authenticated to send mail.",
        "E13",
        "PowerShell Send-MailMessage / .NET SmtpClient",
        "possibly",
    ),
    ("curl: (67) Login denied", None, "curl", "possibly"),
    (
        "smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.",
        None,
        "Python smtplib",
        "no",
    ),
    (
        "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to "
        "support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
        "E01",
        None,
        "no",
    ),
]


@pytest.mark.parametrize(("text", "entry", "client", "cutover"), CASES)
def test_known_texts_are_recognised(
    text: str, entry: str | None, client: str | None, cutover: str | None
) -> None:
    found = explain(text)
    assert found.recognised
    assert found.client == client
    if entry is not None:
        assert found.catalogue == entry
    if cutover is not None:
        assert found.cutover == cutover
    assert found.sources and all(s.startswith("https://") for s in found.sources)
    assert found.cause


def test_the_cutover_reply_says_whether_it_can_be_switched_back_on() -> None:
    found = explain("550 5.7.30 Basic authentication is not supported for Client Submission.")
    assert found.cutover == "yes"
    assert found.reversible is not None and "2027" in found.reversible
    assert "OAuth" in (found.fix or "")


def test_unknown_text_is_not_recognised_with_closest_matches() -> None:
    found = explain("535 Authentication unsucessful for this mailbx")
    # A bare 535 falls back to the class entry; a made-up wording without any code does not.
    assert found.recognised
    nothing = explain("the printer beeps three times and shows a red light")
    assert not nothing.recognised and nothing.closest
    assert "Not recognised" in nothing.to_text()


def test_every_client_pattern_and_reply_note_is_sourced() -> None:
    table = load_table("client_errors")
    assert table.entries
    for entry in table.entries:
        assert entry.source.startswith("https://"), entry.key
        assert entry.key.startswith(("client.", "reply."))
        if entry.key.startswith("reply."):
            assert load_table("smtp_replies").lookup(entry.key.removeprefix("reply.")) is not None
            assert entry.get("cutover") in ("yes", "no", "possibly")


def test_cli_exit_codes_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", "550 5.7.30 Basic authentication is not supported"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "o365diag.explain/1"
    assert data["is_basic_auth_cutover"] == "yes" and data["recognised"] is True
    assert main(["explain", "nothing", "to", "see"]) == 1
    assert "Not recognised" in capsys.readouterr().out


def test_cli_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("curl: (67) Login denied\n"))
    assert main(["explain", "-"]) == 0
    assert "curl" in capsys.readouterr().out


def test_empty_text_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "   "]) == 2
    assert "give the message" in capsys.readouterr().err


def test_a_pasted_transcript_does_not_echo_the_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "AHByaW50ZXJAY29udG9zby5leGFtcGxlAFdpbnRlcjIwMjYh"  # \0user\0password
    transcript = (
        f" -> AUTH PLAIN {secret}\n"
        "<~* 535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )
    assert main(["explain", "--json", transcript]) == 0
    out = capsys.readouterr().out
    assert secret not in out
    assert json.loads(out)["catalogue"] == "E11"
