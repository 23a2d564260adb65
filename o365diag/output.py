"""The output options every command shares (``--json``, ``--html OUT``) and writing a file.

Only command modules call this: printing and exit codes belong to the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO

from o365diag.errors import OutputError
from o365diag.result import Result

__all__ = ["add_output_options", "emit", "open_output", "write_output"]


def add_output_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    schema: str,
    *,
    html: bool = True,
) -> None:
    """``--json`` (print the result as JSON) and, unless ``html`` is False, ``--html OUT``."""
    parser.add_argument("--json", action="store_true", help=f"print JSON ({schema})")
    if html:
        parser.add_argument("--html", metavar="OUT", help="also write a standalone HTML report")


def write_output(target: str, text: str) -> None:
    """Write ``text`` to the file ``target`` (``-`` is stdout); OutputError if it cannot."""
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(_cannot_write(target, exc), target=target) from None


def open_output(target: str) -> IO[str]:
    """The file ``target`` opened for writing text; OutputError if it cannot be."""
    try:
        return open(target, "w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(_cannot_write(target, exc), target=target) from None


def _cannot_write(target: str, exc: OSError) -> str:
    return f"cannot write {target}: {exc.strerror or exc}"


def emit(result: Result, args: argparse.Namespace, text: str | None = None) -> None:
    """Write ``--html`` if asked, then print the JSON (``--json``) or the text view."""
    html_target = getattr(args, "html", None)
    if html_target:
        write_output(html_target, result.to_html())
    print(result.to_json() if getattr(args, "json", False) else (text or result.to_text()))
