"""JSON from files a user drops in: Python's parser limits become values, not crashes.

``json`` turns every integer literal into an ``int``, and Python refuses to convert more than
4,300 digits (a guard against quadratic work): a hostile export with one long number would
raise ``ValueError`` from deep inside the parser. Here such a number stays text, so the loaders
report it as a bad value like any other.
"""

from __future__ import annotations

import json

__all__ = ["MAX_INT_DIGITS", "decoder", "int_or_text"]

MAX_INT_DIGITS = 4000


def int_or_text(digits: str) -> int | str:
    """``parse_int`` for :mod:`json`: an int, or the digits as text when there are too many."""
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def decoder() -> json.JSONDecoder:
    """A decoder whose long integers stay text (use ``.decode`` or ``.raw_decode``)."""
    return json.JSONDecoder(parse_int=int_or_text)
