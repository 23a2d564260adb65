"""ipywidgets apps, one per capability; they only wire the package's logic to a form.

Importing this package needs the ``lab`` extra (ipywidgets). Apps are loaded lazily so that
``from o365diag.widgets import HeaderAnalyzerApp`` pulls in only what that app needs.
"""

from __future__ import annotations

from o365diag._lazy import lazy_getattr
from o365diag.capabilities import apps

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

# The apps come from the capability registry; only the shared helper is named here.
_APPS = {
    **{name: target.partition(":")[0] for name, target in apps().items()},
    "in_dashboard": "o365diag.widgets._base",
}


__getattr__ = lazy_getattr(__name__, _APPS)
