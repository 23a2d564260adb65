"""The exceptions o365diag raises on purpose (a small tree, like httpx's)."""

from __future__ import annotations

__all__ = ["O365DiagError", "UsageError"]


class O365DiagError(Exception):
    """Base of every error o365diag raises on purpose."""


class UsageError(O365DiagError):
    """A command cannot run as asked: bad arguments or unusable input.

    The command line prints it as one line, ``o365diag COMMAND: message``, and exits with 2.
    """
