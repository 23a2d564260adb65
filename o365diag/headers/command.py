"""``o365diag headers``: analyze one message's headers, or many in bulk mode."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from o365diag.errors import UsageError
from o365diag.output import add_output_options, emit, open_output

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "headers",
        help="analyze message headers (pasted text, .eml, .msg; many with --jsonl)",
        description="Explain why a message was junked, rejected or slow, and what to change. "
        "FILE is header text, a .eml or a .msg; '-' reads stdin. Several files, a folder or "
        "an mbox need --jsonl.",
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE", help="file, folder, mbox or '-'")
    add_output_options(parser, "o365diag.headers/1")
    parser.add_argument(
        "--jsonl",
        metavar="OUT",
        help="bulk mode: one JSON line per message ('-' for stdout), then a summary table",
    )
    parser.add_argument(
        "--live-dns",
        action="store_true",
        help="also re-check SPF for the connecting IP and the DKIM keys against DNS now",
    )
    parser.add_argument("--nameserver", metavar="HOST[:PORT]", help="DNS server for --live-dns")
    parser.add_argument(
        "--dns-timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="timeout of each DNS query for --live-dns (default 3)",
    )
    parser.add_argument(
        "--jobs", type=int, default=0, help="bulk mode worker processes (default: all cores)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.jsonl and args.live_dns:
        raise UsageError("--live-dns checks one message at a time; drop --jsonl or --live-dns")
    if args.jsonl:
        return _run_bulk(args)
    if len(args.inputs) != 1 or Path(args.inputs[0]).is_dir():
        raise UsageError("several inputs or a folder need bulk mode: add --jsonl OUT")
    return _run_single(args)


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def _run_single(args: argparse.Namespace) -> int:
    from o365diag.headers.analysis import analyze
    from o365diag.headers.parse import InputError

    source = args.inputs[0]
    try:
        report = analyze(_read(source), name=source)
    except InputError as exc:
        raise UsageError(f"{source}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None
    if args.live_dns:
        from o365diag.recheck import recheck_live_dns

        recheck_live_dns(report, nameserver=args.nameserver, timeout=args.dns_timeout)
    emit(report, args)
    return 0


def _run_bulk(args: argparse.Namespace) -> int:
    from o365diag.headers.bulk import analyze_bulk

    progress = _Progress(enabled=sys.stderr.isatty())
    stdout_is_data = args.jsonl == "-"
    with ExitStack() as stack:
        sink = sys.stdout if stdout_is_data else stack.enter_context(open_output(args.jsonl))
        summary = analyze_bulk(args.inputs, sink, args.jobs or None, progress=progress.tick)
    progress.done(summary.total)
    print(summary.table(), file=sys.stderr if stdout_is_data else sys.stdout)
    return 0 if summary.total else 2


class _Progress:
    """A count on stderr while bulk mode runs (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.last = 0.0

    def tick(self, count: int) -> None:
        now = time.monotonic()
        if self.enabled and now - self.last > 0.2:
            self.last = now
            rate = count / max(now - self.started, 1e-6)
            print(f"\ranalyzed {count:,} messages ({rate:,.0f}/s)", end="", file=sys.stderr)

    def done(self, count: int) -> None:
        if self.enabled:
            print(
                f"\ranalyzed {count:,} messages in {time.monotonic() - self.started:.1f} s",
                file=sys.stderr,
            )
