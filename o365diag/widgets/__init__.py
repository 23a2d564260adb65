"""ipywidgets apps, one per capability; they only wire the package's logic to a form.

Importing this package needs the ``lab`` extra (ipywidgets). Apps are loaded lazily so that
``from o365diag.widgets import HeaderAnalyzerApp`` pulls in only what that app needs.
"""

from __future__ import annotations

from o365diag._lazy import lazy_getattr

__all__ = [
    "ConnectPanel",
    "ConnectionTestApp",
    "CutoverApp",
    "DomainCheckApp",
    "HeaderAnalyzerApp",
    "SetupAssistantApp",
    "TraceExplorerApp",
    "in_dashboard",
]

_APPS = {
    "ConnectPanel": "o365diag.widgets.tenant",
    "ConnectionTestApp": "o365diag.widgets.connection",
    "CutoverApp": "o365diag.widgets.cutover",
    "DomainCheckApp": "o365diag.widgets.domain",
    "HeaderAnalyzerApp": "o365diag.widgets.headers",
    "SetupAssistantApp": "o365diag.widgets.setup",
    "TraceExplorerApp": "o365diag.widgets.trace",
    "in_dashboard": "o365diag.widgets._base",
}


__getattr__ = lazy_getattr(__name__, _APPS)
