"""Build Exchange Online PowerShell command lines with safe quoting.

Every value is rendered by type: text in single quotes (quote characters doubled, including
the typographic ones PowerShell also treats as quotes), booleans as ``$true``/``$false``, lists
comma separated, ``@{Add=...}``/``@{Remove=...}`` for multi-valued edits, and bare words only
for enum values that cannot be misread. A command is one line: :func:`quote` refuses control
characters, and a value that has them (a name read from an export) becomes quoted parts joined
with ``[char]`` codes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Bare",
    "Edit",
    "PsValue",
    "Switch",
    "command",
    "pipeline",
    "properties",
    "quote",
    "text_value",
]

_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_BARE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_CMDLET = re.compile(r"^[A-Z][A-Za-z]+-[A-Za-z0-9]+$")  # ConvertTo-Json too
_PARAM = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_CONTROL_SPLIT = re.compile(f"({_CONTROL.pattern})")


@dataclass(frozen=True)
class Bare:
    """An enum value written without quotes (``OnPremises``, ``SendAs``)."""

    text: str

    def __post_init__(self) -> None:
        if not _BARE.match(self.text):
            raise ValueError(f"not a bare word: {self.text!r}")


@dataclass(frozen=True)
class Switch:
    """A switch parameter: ``-Name`` when on, ``-Name:$false`` when explicitly off."""

    on: bool = True


@dataclass(frozen=True)
class Edit:
    """Add to or remove from a multi-valued property: ``@{Remove='203.0.113.25'}``."""

    action: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.action not in ("Add", "Remove") or not self.values:
            raise ValueError("an edit is Add or Remove with at least one value")


PsValue = str | bool | int | None | Bare | Switch | Edit | Sequence[str] | Sequence[Bare]


def quote(text: str) -> str:
    """``text`` as a single-quoted PowerShell string literal."""
    if _CONTROL.search(text):
        raise ValueError("control characters cannot go into a one-line command")
    escaped = "".join(ch * 2 if ch in _SINGLE_QUOTES else ch for ch in text)
    return f"'{escaped}'"


def text_value(text: str) -> str:
    """``text`` as a one-line PowerShell expression: a quoted literal, or, when it holds control
    characters (an exported object name with a tab), quoted parts joined with ``[char]`` codes,
    which Windows PowerShell 5.1 and PowerShell 7 both read: ``('Printer'+[char]9+'relay')``.
    The first part stays even when empty, so the expression is a string, not a char."""
    if not _CONTROL.search(text):
        return quote(text)
    pieces = _CONTROL_SPLIT.split(text)  # text, control, text, control, ..., text
    parts = [quote(pieces[0])]
    for index in range(1, len(pieces), 2):
        parts.append(f"[char]{ord(pieces[index])}")
        if pieces[index + 1]:
            parts.append(quote(pieces[index + 1]))
    return "(" + "+".join(parts) + ")"


def _value(value: PsValue) -> str:
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Bare):
        return value.text
    if isinstance(value, Edit):
        return "@{" + f"{value.action}=" + ",".join(text_value(v) for v in value.values) + "}"
    if isinstance(value, str):
        return text_value(value)
    if isinstance(value, Switch):
        raise TypeError("a switch is rendered by command()")
    if not value:
        raise ValueError("an empty list cannot be a parameter value")
    return ",".join(v.text if isinstance(v, Bare) else text_value(v) for v in value)


def _parameter(name: str, value: PsValue) -> str:
    if not _PARAM.match(name):
        raise ValueError(f"not a parameter name: {name!r}")
    if isinstance(value, Switch):
        return f"-{name}" if value.on else f"-{name}:$false"
    return f"-{name} {_value(value)}"


def command(cmdlet: str, *positional: PsValue, **parameters: PsValue) -> str:
    """One cmdlet call: ``command('Set-CASMailbox', Identity='a@example.com', ...)``."""
    if not _CMDLET.match(cmdlet):
        raise ValueError(f"not a cmdlet name: {cmdlet!r}")
    parts = [cmdlet]
    parts.extend(_value(p) for p in positional)
    parts.extend(_parameter(name, value) for name, value in parameters.items())
    return " ".join(parts)


def properties(*names: str) -> tuple[Bare, ...]:
    """Property names for Format-List / Format-Table, written bare: ``Name,RequireTls``."""
    return tuple(Bare(name) for name in names)


def pipeline(*commands: str) -> str:
    return " | ".join(commands)
