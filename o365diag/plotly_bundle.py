"""The smallest plotly.js that draws a page's charts, for HTML reports that must work offline.

plotly.py ships the full plotly.js (about 4.8 MB minified: maps, 3-D, WebGL and 40-odd trace
types); a report inlined it whole, so a shared file weighed 5 MB and took seconds to open. The
reports draw bars, lines and a heatmap, which plotly.js's own partial bundles cover:
``plotly.js-basic-dist-min`` (bar, pie, scatter; 1.2 MB) and ``plotly.js-cartesian-dist-min``
(adds heatmap, box, histogram ...; 1.5 MB), from npm, MIT licensed (``vendor/PLOTLY-LICENSE``),
stored gzipped in ``o365diag/vendor``. A page gets the smallest bundle holding every trace type
it draws. When no partial bundle fits, or the installed plotly.py was built for another major
version of plotly.js than the vendored one, the page gets plotly.py's full bundle, as before.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["VENDORED_VERSION", "plotly_js", "script_safe_js", "trace_types"]

VENDORED_VERSION = "4.1.1"
# (file in o365diag/vendor, the trace types its README lists), smallest first.
PARTIAL_BUNDLES: tuple[tuple[str, frozenset[str]], ...] = (
    ("plotly-basic.min.js.gz", frozenset({"bar", "pie", "scatter"})),
    (
        "plotly-cartesian.min.js.gz",
        frozenset(
            {
                "bar",
                "box",
                "contour",
                "heatmap",
                "histogram",
                "histogram2d",
                "histogram2dcontour",
                "image",
                "pie",
                "scatter",
                "scatterternary",
                "violin",
            }
        ),
    ),
)


def trace_types(figures: Iterable[go.Figure]) -> set[str]:
    """Every trace type the figures draw ("bar", "scatter", "heatmap" ...)."""
    return {str(trace.type) for figure in figures for trace in figure.data}


def plotly_js(figures: Iterable[go.Figure]) -> str:
    """The source of the smallest plotly.js bundle that draws all these figures."""
    needed = trace_types(figures)
    if _vendored_fits_plotly_py():
        for name, types in PARTIAL_BUNDLES:
            if needed <= types:
                return _vendored(name)
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def script_safe_js(source: str) -> str:
    """Library source that cannot end its inline <script> element early."""
    return source.replace("</script", "<\\/script")


@functools.cache
def _vendored(name: str) -> str:
    packed = resources.files("o365diag").joinpath("vendor", name).read_bytes()
    return gzip.decompress(packed).decode("utf-8")


@functools.cache
def _vendored_fits_plotly_py() -> bool:
    from plotly.offline import get_plotlyjs_version

    return str(get_plotlyjs_version()).split(".")[0] == VENDORED_VERSION.split(".")[0]
