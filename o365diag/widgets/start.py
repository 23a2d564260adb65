"""StartHereApp: ask what the symptom is and point to the notebook and step that answers it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from o365diag.findings import STYLE, copy_button_html
from o365diag.widgets._base import escape

__all__ = ["SYMPTOMS", "StartHereApp", "Symptom"]


@dataclass(frozen=True)
class Symptom:
    key: str
    label: str
    notebook: str
    advice: str
    command: str


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        "junk",
        "Mail from my device or app lands in Junk or quarantine",
        "01-header-analyzer.ipynb",
        "Open a junked message, copy its Internet headers and paste them in the analyzer. "
        "Look at compauth and SPF first: direct send from an IP not in SPF is the usual cause.",
        "o365diag headers message.eml",
    ),
    Symptom(
        "rejected",
        "Mail was rejected or bounced (NDR)",
        "01-header-analyzer.ipynb",
        "Paste the headers of the bounce (the NDR's attached original, if any) in the analyzer; "
        "the DMARC action and compauth reason say whether the receiving side rejected it.",
        "o365diag headers bounce.eml",
    ),
    Symptom(
        "slow",
        "Mail is slow to arrive",
        "01-header-analyzer.ipynb",
        "Paste the headers of a late message: the hop-delay chart shows which server held it.",
        "o365diag headers late.eml",
    ),
    Symptom(
        "cannot-send",
        "My scanner or app cannot send at all",
        "02-connection-test.ipynb",
        "Run the connection test step by step with your device's settings; it names the step "
        "that fails and the Microsoft 365 error behind it.",
        "o365diag smtp --profile submission --demo healthy",
    ),
    Symptom(
        "domain",
        "Is my domain ready to send from this device?",
        "03-domain-check.ipynb",
        "Check MX, SPF for the device's IP, DKIM, DMARC and blocklists in one go.",
        "o365diag dns example.com --ip 203.0.113.10",
    ),
    Symptom(
        "volume",
        "Volume looks wrong (spike, drop, possible compromise)",
        "04-trace-volume.ipynb",
        "Load a message-trace export: the charts and anomaly table show who sent what, when.",
        "o365diag trace export.csv",
    ),
    Symptom(
        "setup",
        "I am setting up a new device",
        "05-setup-assistant.ipynb",
        "Answer a few questions about the device; the assistant picks the sending option and "
        "writes the settings, DNS records and PowerShell.",
        "o365diag setup",
    ),
    Symptom(
        "cutover",
        "Which devices break when Basic SMTP AUTH is turned off (December 2026)?",
        "06-basic-auth-cutover.ipynb",
        "Load the sign-in logs, the SMTP AUTH clients report, a trace and the Exchange settings "
        "(or try the demo tenant): each identity's status on the cutover date, its way off "
        "Basic, and the plan.",
        "o365diag cutover --demo",
    ),
)


class StartHereApp(widgets.VBox):
    """A symptom picker that shows where to go next."""

    def __init__(
        self, symptom: str | None = None, notebooks_dir: str | Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.notebooks_dir = Path(notebooks_dir) if notebooks_dir else Path.cwd()
        self.picker = widgets.RadioButtons(
            options=[(s.label, s.key) for s in SYMPTOMS],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        self.answer = widgets.HTML()
        self.picker.observe(lambda change: self.show(change["new"]), names="value")
        self.children = [widgets.HTML("<b>What is happening?</b>"), self.picker, self.answer]
        if symptom:
            self.picker.value = symptom

    def show(self, key: str | None) -> None:
        symptom = next((s for s in SYMPTOMS if s.key == key), None)
        if symptom is None:
            self.answer.value = ""
            return
        available = (self.notebooks_dir / symptom.notebook).is_file()
        where = (
            f'<a href="{escape(symptom.notebook)}" target="_blank">Open '
            f"{escape(symptom.notebook)}</a>"
            if available
            else "The notebook for this is not part of this version yet; the command line "
            "below is the way in."
        )
        self.answer.value = (
            f'<div class="o365diag">{STYLE}<p>{escape(symptom.advice)}</p><p>{where}</p>'
            f"<p>From a terminal: <code>{escape(symptom.command)}</code>"
            f"{copy_button_html(symptom.command)}</p></div>"
        )
