"""o365diag: troubleshoot mail that apps, printers and scanners send through Microsoft 365."""

from __future__ import annotations

from o365diag.errors import (
    ConfigError,
    InputError,
    MissingDependency,
    NetworkError,
    O365DiagError,
    OutputError,
    UsageError,
)
from o365diag.findings import Finding, Report, Severity

__all__ = [
    "ConfigError",
    "Finding",
    "InputError",
    "MissingDependency",
    "NetworkError",
    "O365DiagError",
    "OutputError",
    "Report",
    "Severity",
    "UsageError",
    "__version__",
]

__version__ = "0.1.0"
