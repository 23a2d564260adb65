"""Header analysis: what happened to a message, and what to change."""

from __future__ import annotations

from o365diag.headers.analyze import SCHEMA, analyze, analyze_headers
from o365diag.headers.parse import InputError

__all__ = ["SCHEMA", "InputError", "analyze", "analyze_headers"]
