"""Command line: ``o365diag <command> ...``; each command lives in its capability's package."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from o365diag import __version__

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

# Each module exposes register(subparsers); heavy imports stay inside its run function.
COMMAND_MODULES: list[str] = [
    "o365diag.headers.command",
    "o365diag.report_command",
    "o365diag.smtp.command",
    "o365diag.dns.command",
    "o365diag.setup.command",
    "o365diag.trace.command",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="o365diag",
        description="Troubleshoot mail that apps, printers and scanners send through "
        "Microsoft 365.",
    )
    parser.add_argument("--version", action="version", version=f"o365diag {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
