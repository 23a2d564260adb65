"""SetupAssistantApp: answer questions about a device, get the sending option, its settings,
DNS records and PowerShell (with copy buttons), verify it, and audit exported configuration.

The form is built from :data:`o365diag.setup.QUESTIONS`, so it asks exactly what the command
line asks. The password box (live verify of SMTP AUTH) is emptied as soon as the verify step
starts, so it is never saved with the notebook's widget state.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from o365diag.findings import Report, render_findings_html
from o365diag.setup.answers import QUESTIONS, AnswerError, Question, SetupAnswers
from o365diag.setup.generate import SetupPlan, plan_setup
from o365diag.setup.render import audit_inputs_html, plan_html, recommendation_html
from o365diag.setup.result import AuditResult, SetupResult
from o365diag.widgets._base import AppBase, escape, take_uploads

__all__ = ["SetupAssistantApp", "answer_error_text"]

_TRUE_BY_DEFAULT = ("port25_open", "port587_open")


class SetupAssistantApp(AppBase):
    """Form, Recommend and Verify buttons, recommendation card, configuration, audit."""

    def __init__(
        self, demo: bool = True, exports_dir: str | Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.plan: SetupPlan | None = None
        self.report: SetupResult | None = None
        self.verify_result: Any = None
        self.audit_report: AuditResult | None = None
        self.fields: dict[str, widgets.Widget] = {q.name: _field(q) for q in QUESTIONS}
        self.demo = widgets.Checkbox(
            value=demo,
            indent=False,
            description="Demo verify (local DNS and the simulator)",
            layout=widgets.Layout(width="auto"),
        )
        self.password = widgets.Password(
            description="Mailbox password:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="36em"),
            placeholder="live verify of SMTP AUTH only",
        )
        self.recommend_button = widgets.Button(
            description="Recommend", button_style="primary", icon="check"
        )
        self.verify_button = widgets.Button(description="Verify", icon="stethoscope", disabled=True)
        self.recommend_button.on_click(lambda _b: self.recommend())
        self.verify_button.on_click(lambda _b: self.verify())
        self.card = widgets.HTML()
        self.configuration = widgets.HTML()
        self.verify_view = widgets.HTML()
        self.views = (self.card, self.configuration, self.verify_view)
        self.children = [
            self._form(),
            widgets.HBox([self.recommend_button, self.verify_button, self.demo]),
            self.password,
            self.status_bar,
            self.error,
            self.card,
            self.configuration,
            self.verify_view,
            self._audit_section(exports_dir),
            self.make_export_bar("setup"),
        ]

    # -- the form --------------------------------------------------------------------------------
    def _form(self) -> widgets.Widget:
        basic = [_labelled(q, self.fields[q.name]) for q in QUESTIONS if not q.advanced]
        advanced = widgets.VBox(
            [_labelled(q, self.fields[q.name]) for q in QUESTIONS if q.advanced]
        )
        more = widgets.Accordion(children=[advanced], titles=("More details (optional)",))
        more.selected_index = None
        return widgets.VBox([widgets.HTML("<b>About the device</b>"), *basic, more])

    def set_answers(self, values: dict[str, Any]) -> None:
        """Fill the form (unknown names raise AnswerError, like the command line)."""
        for name, value in values.items():
            field = self.fields.get(name)
            if field is None:
                raise AnswerError(name, "is not a setup question")
            field.value = _form_value(value)

    def answers(self) -> SetupAnswers:
        values = {name: _answer_value(field.value) for name, field in self.fields.items()}
        return SetupAnswers.from_mapping({k: v for k, v in values.items() if v is not None})

    # -- actions ---------------------------------------------------------------------------------
    def recommend(self) -> SetupPlan | None:
        self.error.value = ""
        try:
            plan = plan_setup(self.answers())
        except AnswerError as exc:
            self.fail(answer_error_text(exc))  # no plan for other answers stays under it
            return None
        self.plan, self.report = plan, plan.to_report()
        saved = self.report.model
        self.status.value = escape(f"Recommended: {saved.recommendation.title}")
        self.card.value = recommendation_html(saved)
        self.configuration.value = plan_html(saved, self.report.sorted_findings())
        self.verify_view.value = ""
        self.verify_button.disabled = False
        return plan

    def verify(self) -> asyncio.Task[Any] | None:
        """Verify the plan for the answers in the form now (recommending again if they changed)."""
        plan = self.plan if self._plan_is_current() else self.recommend()
        if plan is None:
            return None
        options = self._verify_options()
        label = "Verifying (demo)" if options.demo else "Verifying"
        self.verify_result, self.verify_view.value = None, ""
        return self.start(
            self._verify(plan, options),
            label,
            self._show_verify,
            done=f"{label}: done.",
            stale=(self.verify_view,),
        )

    def _plan_is_current(self) -> bool:
        if self.plan is None:
            return False
        try:
            return self.answers() == self.plan.answers
        except AnswerError:
            return False

    def _verify_options(self) -> Any:
        from o365diag.setup.verify import VerifyOptions
        from o365diag.smtp.config import Secret

        password = self.password.value
        self.password.value = ""  # never kept in the widget state
        return VerifyOptions(
            demo=bool(self.demo.value), password=Secret(password) if password else None
        )

    async def _verify(self, plan: SetupPlan, options: Any) -> Any:
        from o365diag.setup.verify import verify_plan

        return await verify_plan(plan, options)

    def _show_verify(self, result: Any) -> None:
        from o365diag.dns.render import audit_html
        from o365diag.smtp.render import render_html

        self.verify_result = result
        parts = [f"<h4>Verify ({escape(result.mode)})</h4>"]
        if result.dns is not None:
            parts.append(audit_html(result.dns, copy=True))
        if result.smtp is not None:
            parts.append(render_html(result.smtp, copy=True))
        parts.append(render_findings_html(result.findings, heading="Next", copy=True))
        self.verify_view.value = "".join(parts)

    def clear_results(self) -> None:
        super().clear_results()
        self.plan, self.verify_result = None, None
        self.verify_button.disabled = True

    # -- audit -----------------------------------------------------------------------------------
    def _audit_section(self, exports_dir: str | Path | None) -> widgets.Widget:
        self.upload = widgets.FileUpload(accept=".json", multiple=True, description="Exports")
        self.sample = widgets.Dropdown(
            options=_sample_folders(exports_dir), description="Sample:", layout={"width": "auto"}
        )
        self.audit_button = widgets.Button(description="Audit", icon="search")
        self.audit_button.on_click(lambda _b: self.audit())
        self.audit_view = widgets.HTML()
        return widgets.VBox(
            [
                widgets.HTML(
                    "<h4>Audit the current configuration</h4><p>Upload ConvertTo-Json "
                    "exports (see docs/setup.md) or pick a sample.</p>"
                ),
                widgets.HBox([self.upload, self.sample, self.audit_button]),
                self.audit_view,
            ]
        )

    def audit(self, paths: list[str] | None = None) -> AuditResult | None:
        from o365diag.setup.audit import AuditContext, audit_exports
        from o365diag.setup.exports import ExportError, parse_export, read_export

        self.error.value = ""
        try:
            if paths is None and self.upload.value:
                files = [parse_export(content, name) for name, content in take_uploads(self.upload)]
            else:
                chosen = paths or _folder_files(self.sample.value)
                if not chosen:
                    self.show_error("Upload exports or pick a sample first.")
                    return None
                files = [read_export(p) for p in chosen]
            report = audit_exports(AuditContext(files))
        except ExportError as exc:
            self.audit_report, self.audit_view.value = None, ""
            self.show_error(f"Audit failed: {exc}")
            return None
        self.audit_report = report
        self.audit_view.value = render_findings_html(
            report.sorted_findings(), heading="Audit findings", copy=True
        ) + audit_inputs_html(report.model)
        return report

    def export_reports(self) -> list[Report]:
        reports: list[Report] = [r for r in (self.report, self.audit_report) if r is not None]
        if self.verify_result is not None:
            reports += [r for r in (self.verify_result.dns, self.verify_result.smtp) if r]
        return reports


def answer_error_text(exc: AnswerError) -> str:
    """The error under the question's label as the form shows it, not its internal name."""
    labels = {q.name: q.prompt for q in QUESTIONS}
    label = labels.get(exc.field or "")
    if label is None:
        return str(exc)
    reason = str(exc).removeprefix(f"{exc.field}: ")
    if reason == "needs an answer":
        return f"Please answer: {label}"
    return f"{label} — {reason}"


# -- form helpers ----------------------------------------------------------------------------------
def _labelled(question: Question, field: widgets.Widget) -> widgets.Widget:
    """The question in full above its field: a long prompt wraps instead of being cut off."""
    label = widgets.HTML(f"<label>{escape(question.prompt)}</label>")
    return widgets.VBox([label, field], layout=widgets.Layout(margin="0 0 .4em 0"))


def _field(question: Question) -> widgets.Widget:
    common: dict[str, Any] = {"tooltip": question.prompt}
    if question.kind in ("text", "list"):
        common["layout"] = widgets.Layout(width="36em")
    # Required questions start unanswered, so nothing is assumed about the device.
    if question.kind == "bool":
        default = None if question.required else question.name in _TRUE_BY_DEFAULT
        return widgets.ToggleButtons(
            options=[("Yes", True), ("No", False)],
            value=default,
            tooltips=[question.help] * 2,
            **common,
        )
    if question.kind == "choice":
        return widgets.ToggleButtons(options=list(question.choices), value=None, **common)
    if question.kind == "int":
        return widgets.IntText(value=100, **common)
    return widgets.Text(placeholder=question.help, **common)


def _form_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def _answer_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _sample_folders(exports_dir: str | Path | None) -> list[tuple[str, str]]:
    options = [("(choose a sample)", "")]
    if exports_dir is not None and Path(exports_dir).is_dir():
        options += [(p.name, str(p)) for p in sorted(Path(exports_dir).iterdir()) if p.is_dir()]
    return options


def _folder_files(folder: str) -> list[str]:
    if not folder:
        return []
    return sorted(str(p) for p in Path(folder).glob("*.json"))
