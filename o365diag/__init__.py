"""o365diag: troubleshoot mail that apps, printers and scanners send through Microsoft 365."""

from __future__ import annotations

from o365diag.findings import Finding, Report, Severity

__all__ = ["Finding", "Report", "Severity", "__version__"]

__version__ = "0.1.0"
