"""What every widget app shares: a status line, a progress indicator, a Cancel button, and
long work run as an asyncio task on the kernel's own loop so the kernel never blocks.

Errors end up in the app (escaped), never as a traceback in the notebook.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable
from typing import Any

import ipywidgets as widgets

__all__ = ["AppBase", "escape"]

escape = html.escape

_SPINNER = (
    '<span class="o365diag-busy" style="display:inline-block;width:.8em;height:.8em;'
    "border:2px solid #999;border-top-color:transparent;border-radius:50%;"
    'animation:o365spin 1s linear infinite"></span>'
    "<style>@keyframes o365spin{to{transform:rotate(360deg)}}</style> "
)


class AppBase(widgets.VBox):
    """Base class: subclasses build their form and call ``self.start(coro, label)``."""

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
        self, work: Awaitable[Any], label: str, on_done: Callable[[Any], None] | None = None
    ) -> asyncio.Task[Any]:
        """Run ``work`` as a task on the running loop; show progress and catch every error."""
        self.cancel()
        self.error.value = ""
        self.status.value = _SPINNER + escape(label) + "…"
        self.cancel_button.disabled = False
        task = asyncio.ensure_future(work)
        self.task = task
        task.add_done_callback(lambda t: self._finished(t, label, on_done))
        return task

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _finished(
        self, task: asyncio.Task[Any], label: str, on_done: Callable[[Any], None] | None
    ) -> None:
        self.cancel_button.disabled = True
        if task.cancelled():
            self.status.value = f"{escape(label)}: cancelled."
            return
        exc = task.exception()
        if exc is not None:
            self.show_error(f"{label} failed: {type(exc).__name__}: {exc}")
            return
        self.status.value = f"{escape(label)}: done."
        if on_done is not None:
            try:
                on_done(task.result())
            except Exception as display_exc:  # a display bug must not hide the result silently
                self.show_error(f"could not display the result: {display_exc}")

    def show_error(self, message: str) -> None:
        self.status.value = ""
        self.error.value = (
            f'<div style="color:#b71c1c;border-left:4px solid #b71c1c;'
            f'padding:.3em .6em">{escape(message)}</div>'
        )
