"""Which server a message waited on before each Received hop: one answer for chart and finding.

A hop's delay is the time between the previous dated hop and this one, so the message spent it
on the previous dated hop's receiving server (its ``by``), which then handed it on. Without that,
this hop's ``from`` names the same server from the other side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["held_by_names"]

UNKNOWN_SERVER = "the previous server"


def held_by_names(hops: Iterable[Mapping[str, Any]]) -> list[str]:
    """For each hop (as in the JSON ``hops``, oldest first), the server that held the message."""
    names = []
    previous: str | None = None
    for hop in hops:
        names.append(previous or hop.get("from") or hop.get("from_ip") or UNKNOWN_SERVER)
        if hop.get("timestamp") is not None:
            previous = hop.get("by") or hop.get("by_ip")
    return names
