"""``o365diag headers``: analyze one message's headers, or many in bulk mode."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from o365diag.errors import UsageError

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
    parser.add_argument("--json", action="store_true", help="print JSON (o365diag.headers/1)")
    parser.add_argument("--html", metavar="OUT", help="write a standalone HTML report")
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
        from o365diag.headers.bulk import run_bulk

        return run_bulk(args.inputs, args.jsonl, args.jobs or None)
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
    from o365diag.headers.render import analysis_html, analysis_text

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
    if args.html:
        try:
            Path(args.html).write_text(report.to_html(analysis_html(report)), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    print(report.to_json() if args.json else analysis_text(report))
    return 0
