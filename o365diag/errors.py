"""The exceptions o365diag raises on purpose: one small tree, like httpx's.

Every error raised on purpose derives from ``O365DiagError``; where callers have always caught
``ValueError`` (bad input) the class has that as a second base. An error carries its data: the
``field`` it is about is a data name (``"org_domain"``, ``"tls_mode"``), never a command-line
flag or an app label; the command line words it as its flag and the apps as their label.

A message may name another setting as ``[[name]]`` (see ``setting``): ``str(error)`` writes
it in plain words, the command line as its option and an app as its label (``describe``).

``o365diag.cli.main`` catches ``O365DiagError`` once: one line, exit code 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "ConfigError",
    "InputError",
    "MissingDependency",
    "NetworkError",
    "O365DiagError",
    "OutputError",
    "UsageError",
    "setting",
]

_SETTING = re.compile(r"\[\[([a-z][a-z0-9_]*)\]\]")
Namer = Callable[[str], "str | None"]


def setting(name: str) -> str:
    """A mention of the setting ``name`` inside an error message, worded by each front end."""
    return f"[[{name}]]"


def plain_name(name: str) -> str:
    return name.replace("_", " ")


class O365DiagError(Exception):
    """Base of every error o365diag raises on purpose.

    ``field`` names the setting or input the error is about (a data name, or None).
    """

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        """The message alone, settings in plain words, without the field."""
        return self.worded(plain_name)

    def worded(self, name_of: Namer) -> str:
        """The message with each ``[[setting]]`` named by ``name_of`` (plain words if None)."""
        text = str(self.args[0]) if self.args else ""
        return _SETTING.sub(lambda m: name_of(m.group(1)) or plain_name(m.group(1)), text)

    def describe(self, name_of: Namer = plain_name) -> str:
        """One line: the field as ``name_of`` words it, then the message (unless the message
        already starts with the field's name)."""
        text = self.worded(name_of).strip() or type(self).__name__
        if not self.field or text.startswith((self.field, f"[[{self.field}]]")):
            return text
        label = name_of(self.field) or plain_name(self.field)
        return text if text.startswith(label) else f"{label}: {text}"

    def __str__(self) -> str:
        return self.describe()


class UsageError(O365DiagError):
    """A command cannot run as asked: bad arguments or unusable input.

    The command line prints it as one line, ``o365diag COMMAND: message``, and exits with 2.
    """


class InputError(UsageError, ValueError):
    """An input (a file, a pasted text, a record, a saved result) that cannot be used."""


class ConfigError(UsageError, ValueError):
    """Settings that cannot work together or a value out of its range; ``field`` names it."""


class OutputError(UsageError):
    """A result could not be written where it was asked to go; ``target`` names the file."""

    def __init__(self, message: str = "", *, target: str = "", field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.target = target


class NetworkError(O365DiagError):
    """A network step that could not complete (name resolution, sign-in)."""


class MissingDependency(O365DiagError, RuntimeError):
    """An optional dependency this feature needs is not installed; the message says which."""
