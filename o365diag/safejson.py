"""JSON from files a user drops in: Python's parser limits become values or clear errors.

``json`` turns every integer literal into an ``int``, and Python refuses to convert more than
4,300 digits (a guard against quadratic work): a hostile export with one long number would
raise ``ValueError`` from deep inside the parser. Here such a number stays text, so the loaders
report it as a bad value like any other.
"""

from __future__ import annotations

import json
import re
from typing import Any

from o365diag.errors import InputError

__all__ = [
    "LONE_SURROGATE",
    "MAX_INT_DIGITS",
    "SURROGATE_ESCAPE",
    "TooDeep",
    "clean_text",
    "decoder",
    "int_or_text",
    "loads",
    "nesting_depth",
]

MAX_INT_DIGITS = 4000
# A \uD800-\uDFFF escape in the text: only then can a parsed string hold a lone surrogate.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def int_or_text(digits: str) -> int | str:
    """``parse_int`` for :mod:`json`: an int, or the digits as text when there are too many."""
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def decoder() -> json.JSONDecoder:
    """A decoder whose long integers stay text (use ``.decode`` or ``.raw_decode``)."""
    return json.JSONDecoder(parse_int=int_or_text)


class TooDeep(InputError):
    """The JSON nests deeper than the caller allows (or than Python's parser can follow)."""


def loads(text: str, *, max_depth: int) -> Any:
    """Parse ``text``: long integers stay text, nesting deeper than ``max_depth`` raises
    :class:`TooDeep`, and a lone surrogate (``"\\ud800"`` with no partner, which no UTF-8 output
    takes) becomes U+FFFD. JSON errors are raised as :class:`json.JSONDecodeError`."""
    try:
        value = decoder().decode(text)
    except RecursionError:
        raise TooDeep("the JSON is nested too deeply") from None
    if nesting_depth(value, max_depth) > max_depth:
        raise TooDeep(f"the JSON is nested more than {max_depth} levels deep")
    return _clean_strings(value) if SURROGATE_ESCAPE.search(text) else value


def nesting_depth(value: Any, limit: int) -> int:
    """How deep lists and objects nest in ``value`` (stops counting past ``limit``)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return deepest


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def _clean_strings(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_strings(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _clean_strings(item) for key, item in value.items()}
    return value
