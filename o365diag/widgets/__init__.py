"""ipywidgets apps, one per capability; they only wire the package's logic to a form.

Importing this package needs the ``lab`` extra (ipywidgets). Apps are loaded lazily so that
``from o365diag.widgets import HeaderAnalyzerApp`` pulls in only what that app needs.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DomainCheckApp", "HeaderAnalyzerApp", "SetupAssistantApp"]

_APPS = {
    "DomainCheckApp": "o365diag.widgets.domain",
    "HeaderAnalyzerApp": "o365diag.widgets.headers",
    "SetupAssistantApp": "o365diag.widgets.setup",
}


def __getattr__(name: str) -> Any:
    module = _APPS.get(name)
    if module is None:
        raise AttributeError(f"module 'o365diag.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
