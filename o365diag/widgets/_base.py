"""What every widget app shares: a status line, a progress indicator, a Cancel button, and
long work run as an asyncio task on the kernel's own loop so the kernel never blocks.

Errors end up in the app (escaped), never as a traceback in the notebook.
"""

from __future__ import annotations

import asyncio
import base64
import html
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from o365diag.findings import Report, copy_button_html

if TYPE_CHECKING:
    from o365diag.report import SharedReport

__all__ = [
    "AppBase",
    "ExportBar",
    "escape",
    "in_dashboard",
    "plain_error",
    "show_figure",
    "take_uploads",
]

escape = html.escape

_SPINNER = (
    '<span class="o365diag-busy" style="display:inline-block;width:.8em;height:.8em;'
    "border:2px solid currentColor;border-top-color:transparent;border-radius:50%;"
    'animation:o365spin 1s linear infinite"></span>'
    "<style>@keyframes o365spin{to{transform:rotate(360deg)}}</style> "
)


def sample_options(
    samples_dir: str | Path | None, suffixes: tuple[str, ...], *, full_names: bool = False
) -> list[tuple[str, str]]:
    """Dropdown options for the sample files in ``samples_dir`` with one of ``suffixes``."""
    options = [("(choose a sample)", "")]
    folder = Path(samples_dir) if samples_dir is not None else None
    if folder is not None and folder.is_dir():
        options += [
            (p.name if full_names else p.stem, str(p))
            for p in sorted(folder.iterdir())
            if p.suffix in suffixes and p.is_file()
        ]
    return options


def shown_path(path: str | Path) -> str:
    """A path as the form shows it: relative to the notebook's folder when inside it, so the
    page (and a screenshot of it) does not carry this machine's folders."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive, on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def take_uploads(upload: widgets.FileUpload) -> list[tuple[str, bytes]]:
    """The uploaded files as (name, content), and the widget emptied at once: a notebook saved
    with widget state must not carry a whole export."""
    files = [(str(item.get("name", "upload")), bytes(item["content"])) for item in upload.value]
    upload.value = ()
    return files


def plain_error(exc: BaseException) -> str:
    """An error in words a user reads: the message, never the Python class name."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or "an unexpected error (nothing more was reported)"


def in_dashboard() -> bool:
    """True in a Voila dashboard's kernel (Voila sets this variable in every kernel it starts)."""
    return bool(os.environ.get("VOILA_KERNEL_ID"))


def demo_switch(
    label: str, scenarios: Iterable[Any], scenario: str, demo: bool
) -> tuple[widgets.Checkbox, widgets.Dropdown]:
    """The "Demo" checkbox and the scenario picker (items with ``name`` and ``title``).

    The picker gets a Layout of its own: a Layout shared with other fields would hide them
    too when live mode hides the picker. It is as wide as its longest scenario title."""
    checkbox = widgets.Checkbox(
        value=demo, description=f"Demo ({label})", indent=False, layout=widgets.Layout(width="auto")
    )
    picker = widgets.Dropdown(
        options=[(f"{s.name}: {s.title}", s.name) for s in scenarios],
        value=scenario,
        description="Scenario:",
        layout=widgets.Layout(width="auto", max_width="100%"),
    )
    return checkbox, picker


def show_figure(output: widgets.Output, figure: Any) -> None:
    """Show a plotly figure in an Output widget, also from a button's task.

    ``with output: figure.show()`` only lands in the widget while a cell runs: from a click
    handler or a task's callback the frontend never routes it there. Setting the outputs does.
    """
    import plotly.io as pio

    bundle = pio.renderers["plotly_mimetype"].to_mimebundle(figure.to_dict())
    output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


class AppBase(widgets.VBox):
    """Base class: subclasses build their form and call ``self.start(coro, label)``.

    ``self.views`` lists the widgets that show a result: :meth:`clear_results` empties them
    (and forgets ``self.report``) when the input changes or a run fails, so what is on screen
    always belongs to the input in the form."""

    views: tuple[widgets.Widget, ...] = ()
    report: Report | None = None

    def __init__(self, **kwargs: Any) -> None:
        self.status = widgets.HTML(value="")
        self.error = widgets.HTML(value="")
        self.cancel_button = widgets.Button(
            description="Cancel", icon="stop", disabled=True, layout=widgets.Layout(width="auto")
        )
        self.cancel_button.on_click(lambda _button: self.cancel())
        self.task: asyncio.Task[Any] | None = None
        self.status_bar = widgets.HBox([self.status, self.cancel_button])
        super().__init__(**kwargs)

    # -- running work ---------------------------------------------------------------------------
    def start(
        self,
        work: Awaitable[Any],
        label: str,
        on_done: Callable[[Any], None] | None = None,
        *,
        done: str | None = None,
        stale: Sequence[widgets.Widget] | None = None,
    ) -> asyncio.Task[Any]:
        """Run ``work`` as a task on the running loop; show progress and catch every error.

        ``done`` is the status line once it succeeded (default "<label>: done."); on an error
        the status says "<label> failed: ..." and the previous result is cleared (only the
        ``stale`` views when given: a failed second step leaves the first one's result)."""
        self.cancel()
        self.error.value = ""
        self.status.value = _SPINNER + escape(label) + "…"
        self.cancel_button.disabled = False
        task = asyncio.ensure_future(work)
        self.task = task
        task.add_done_callback(lambda t: self._finished(t, label, on_done, done, stale))
        return task

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _finished(
        self,
        task: asyncio.Task[Any],
        label: str,
        on_done: Callable[[Any], None] | None,
        done: str | None,
        stale: Sequence[widgets.Widget] | None = None,
    ) -> None:
        self.cancel_button.disabled = True
        if task.cancelled():
            self.status.value = f"{escape(label)}: cancelled."
            return
        exc = task.exception()
        if exc is not None:
            self.fail(f"{label} failed: {plain_error(exc)}", stale)
            return
        if self.error.value:  # the work reported its own error
            return
        self.status.value = escape(done or f"{label}: done.")
        if on_done is not None:
            try:
                on_done(task.result())
            except Exception as display_exc:  # a display bug must not hide the result silently
                self.show_error(f"could not display the result: {display_exc}")

    # -- sharing --------------------------------------------------------------------------------
    def export_reports(self) -> list[Report]:
        """What the Export button saves: the app's current result; apps with more override."""
        return [self.report] if self.report is not None else []

    def make_export_bar(self, name: str) -> ExportBar:
        """An Export button bound to this app's results (add it to the app's children)."""
        self.export_bar = ExportBar(self.export_reports, name)
        return self.export_bar

    def clear_results(self) -> None:
        """Empty every result view and forget the result (a new input, or a failed run)."""
        _empty(self.views)
        self.report = None
        export_bar = getattr(self, "export_bar", None)
        if export_bar is not None:
            export_bar.clear()

    def input_changed(self, _change: object = None) -> None:
        """The input no longer matches what is shown: clear the result and its status."""
        self.clear_results()
        self.status.value = self.error.value = ""

    def fail(self, message: str, stale: Sequence[widgets.Widget] | None = None) -> None:
        """A run failed: say so, and leave no earlier result on screen under the message."""
        if stale is None:
            self.clear_results()
        else:
            _empty(stale)
        self.show_error(message)

    def show_error(self, message: str) -> None:
        self.status.value = ""
        self.error.value = _error_html(message)


def _empty(views: Iterable[widgets.Widget]) -> None:
    for view in views:
        if isinstance(view, widgets.Output):
            view.outputs = ()
        elif isinstance(view, widgets.HTML):
            view.value = ""


class ExportBar(widgets.VBox):
    """Export button: one self-contained HTML report (charts work offline) to download, and a
    Markdown summary to paste into a ticket. Secrets are always removed; the checkbox also
    replaces addresses, domains, host names and IPs with placeholders."""

    def __init__(
        self,
        reports: Callable[[], Sequence[Report]],
        name: str = "report",
        folder: str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        self._reports = reports
        self.name = name
        self.folder = Path(folder) if folder is not None else None
        self.shared: SharedReport | None = None
        self.filename = ""
        self.redact = widgets.Checkbox(
            value=False,
            description="Redact addresses, domains, host names and IPs",
            indent=False,
            layout=widgets.Layout(width="auto"),
        )
        self.button = widgets.Button(
            description="Export report",
            icon="download",
            tooltip="One HTML file with the findings, tables and charts; opens offline",
        )
        self.button.on_click(lambda _button: self.export())
        self.link = widgets.HTML()
        self.markdown = widgets.Textarea(
            layout=widgets.Layout(width="100%", height="10em", display="none")
        )
        self.copy = widgets.HTML()
        super().__init__(
            [widgets.HBox([self.button, self.redact]), self.link, self.copy, self.markdown],
            **kwargs,
        )

    def clear(self) -> None:
        """Forget the last export: it belongs to a result that is no longer shown."""
        self.shared, self.filename = None, ""
        self.link.value = self.copy.value = self.markdown.value = ""
        self.markdown.layout.display = "none"

    def export(self) -> SharedReport | None:
        """Build the report now; offer it as a download (and save it when a folder is set)."""
        from o365diag.report import SharedReport

        reports = list(self._reports())
        if not reports:
            self.link.value = "<em>Nothing to export yet: run the analysis first.</em>"
            return None
        shared = SharedReport.build(reports, redact=self.redact.value)
        page = shared.to_html()
        self.filename = f"o365diag-{self.name}-{shared.created:%Y%m%d-%H%M%S}.html"
        try:
            saved = self._save(page)
        except OSError as exc:
            self.link.value = _error_html(f"could not save the report: {exc.strerror or exc}")
            return None
        self.link.value = _download_html(self.filename, page, shared.redacted) + saved
        self.markdown.value = shared.to_markdown()
        self.markdown.layout.display = None
        self.copy.value = copy_button_html(self.markdown.value, "Copy the Markdown summary")
        self.shared = shared
        return shared

    def _save(self, page: str) -> str:
        if self.folder is None:
            return ""
        path = self.folder / self.filename
        path.write_text(page, encoding="utf-8")
        return f" Saved as <code>{escape(str(path))}</code>."


def _download_html(filename: str, page: str, redacted: bool) -> str:
    payload = base64.b64encode(page.encode("utf-8")).decode("ascii")
    size = len(page.encode("utf-8")) // 1024
    return (
        f'<a download="{escape(filename)}" href="data:text/html;base64,{payload}" '
        f'class="o365diag-download">Download {escape(filename)}</a> ({size:,} KB'
        f"{', redacted' if redacted else ''}; opens offline in any browser). "
        "Markdown summary for a ticket:"
    )


def _error_html(message: str) -> str:
    # The theme's own text colour on a red tint with a red bar: readable in a light and a dark
    # theme alike.
    return (
        '<div class="o365diag-error" style="color:inherit;background:rgba(198,40,40,.12);'
        f'border-left:4px solid #c62828;padding:.3em .6em">{escape(message)}</div>'
    )
