"""Command line: ``o365diag <command> ...``; each command lives in its capability's package.

The commands come from the capability registry (``o365diag.capabilities``) plus ``report``.
Errors raised on purpose (``O365DiagError``) are caught here, once: one line, exit code 2; an
error about a ``field`` is worded with the command's option for that field.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from o365diag import __version__
from o365diag.capabilities import command_modules
from o365diag.errors import O365DiagError

__all__ = ["COMMANDS", "COMMAND_MODULES", "EXIT_CRASH", "build_parser", "main"]

# The exit code of an unexpected exception (sysexits' EX_SOFTWARE): distinct from 1 (a finding
# explains a failure) and 2 (unusable input or bad usage).
EXIT_CRASH = 70

# Command name -> the module that registers it (register(subparsers)); heavy imports stay inside
# each command's run function.
COMMANDS: dict[str, str] = {**command_modules(), "report": "o365diag.report_command"}
COMMAND_MODULES: list[str] = list(dict.fromkeys(COMMANDS.values()))


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, given its width: the stock one imports shutil (and with it bz2,
    lzma and zlib) to find the terminal width, a cost every command would pay at start-up."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _terminal_width())


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        # Accepted before and after the command name; a command's parser leaves the value the
        # top-level parser set alone unless it is given there.
        self.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="on an unexpected error, print the full traceback",
        )

    def error(self, message: str) -> NoReturn:
        """A usage error as one line (the usage text stays behind --help)."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _terminal_width() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size().columns
    except (ValueError, OSError):
        columns = 80
    return max(columns - 2, 20)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with a known ``command`` only that command's module is imported."""
    parser = _Parser(
        prog="o365diag",
        description="Troubleshoot mail that apps, printers and scanners send through "
        "Microsoft 365.",
    )
    parser.add_argument("--version", action="version", version=f"o365diag {__version__}")
    subparsers = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_Parser,
    )
    modules = [COMMANDS[command]] if command in COMMANDS else COMMAND_MODULES
    for module_name in modules:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((a for a in arguments if not a.startswith("-")), None))
    args = parser.parse_args(arguments)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except O365DiagError as exc:
        print(f"o365diag {args.command}: {error_line(parser, args.command, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a defect in o365diag: tell it apart from a finding (exit 1)
        return _report_crash(args.command, exc, debug=getattr(args, "debug", False))


def _report_crash(command: str, exc: Exception, *, debug: bool) -> int:
    """One line naming the error and where it was raised; the message itself is left out
    because it may quote input (a reply, a header) that carries a secret."""
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    else:
        frame = _innermost_frame(exc)
        print(
            f"o365diag {command}: unexpected error {type(exc).__name__} at {frame} "
            "(a bug in o365diag; run again with --debug for the traceback and report it)",
            file=sys.stderr,
        )
    return EXIT_CRASH


def _innermost_frame(exc: BaseException) -> str:
    trace = exc.__traceback__
    if trace is None:
        return "?"
    while trace.tb_next is not None:
        trace = trace.tb_next
    code = trace.tb_frame.f_code
    return f"{os.path.basename(code.co_filename)}:{trace.tb_lineno} in {code.co_name}"


def error_line(parser: argparse.ArgumentParser, command: str, exc: O365DiagError) -> str:
    """The error on one line, each setting it names worded as the option that sets it."""
    text = exc.describe(lambda field: option_for(parser, command, field))
    return " ".join(text.split())


def option_for(parser: argparse.ArgumentParser, command: str, field: str) -> str | None:
    """The longest option string of ``command`` that stores ``field``, if one does."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            sub: argparse.ArgumentParser = action.choices[command]
            for option in sub._actions:
                if option.dest == field and option.option_strings:
                    return max(option.option_strings, key=len)
    return None


if __name__ == "__main__":
    sys.exit(main())
