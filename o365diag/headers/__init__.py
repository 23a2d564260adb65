"""Header analysis: what happened to a message, and what to change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag._lazy import lazy_getattr

if TYPE_CHECKING:
    from o365diag.headers.analysis import SCHEMA, analyze, analyze_headers
    from o365diag.headers.parse import InputError

__all__ = ["SCHEMA", "InputError", "analyze", "analyze_headers"]

__getattr__ = lazy_getattr(
    __name__,
    {
        "SCHEMA": "analysis",
        "analyze": "analysis",
        "analyze_headers": "analysis",
        "InputError": "parse",
    },
)
