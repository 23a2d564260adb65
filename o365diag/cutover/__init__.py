"""Basic-auth cutover readiness: every identity that signs in to SMTP AUTH, and its way off.

Submodules import polars and load on first use, so ``import o365diag.cutover`` stays light::

    from o365diag.cutover import assess, load_inputs
    result = assess(load_inputs(["signins.csv", "smtpauth.csv", "CASMailbox.json"]))
    result.to_result()          # CutoverResult, o365diag.cutover/1
"""

from __future__ import annotations

from o365diag._lazy import lazy_getattr

__all__ = [
    "DEFAULT_CUTOVER",
    "SCHEMA",
    "CutoverAssessment",
    "CutoverInputError",
    "CutoverResult",
    "assess",
    "demo_files",
    "explain",
    "load_inputs",
]

_HOMES = {
    "DEFAULT_CUTOVER": "analyze",
    "assess": "analyze",
    "SCHEMA": "model",
    "CutoverAssessment": "model",
    "CutoverResult": "result",
    "CutoverInputError": "inputs",
    "load_inputs": "inputs",
    "demo_files": "demo",
    "explain": "explain",
}

__getattr__ = lazy_getattr(__name__, _HOMES)
