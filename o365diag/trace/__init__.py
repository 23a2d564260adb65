"""Message-trace analytics: load any export, normalize it, find volume anomalies and failures.

Submodules import polars and are loaded on first use, so ``import o365diag.trace`` (and the
CLI's ``--help``) stays light::

    from o365diag.trace import load_traces, analyze_trace
    analysis = analyze_trace(load_traces(["trace.csv"]))
    report = analysis.to_report()          # o365diag.trace/1
"""

from __future__ import annotations

from o365diag._lazy import lazy_getattr

__all__ = [
    "FORMATS",
    "TraceAnalysis",
    "TraceData",
    "TraceInputError",
    "analyze_trace",
    "load_traces",
    "synthesize",
    "write_exports",
]

_HOMES = {
    "FORMATS": "formats",
    "TraceAnalysis": "analyze",
    "analyze_trace": "analyze",
    "TraceData": "model",
    "TraceInputError": "model",
    "load_traces": "load",
    "synthesize": "synth",
    "write_exports": "writers",
}

__getattr__ = lazy_getattr(__name__, _HOMES)
