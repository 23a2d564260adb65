"""``o365diag trace`` (analyse message-trace exports) and ``o365diag synth-trace``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from o365diag.errors import OutputError, UsageError
from o365diag.output import add_output_options, write_output
from o365diag.tenant.options import add_graph_options, add_pull_options

__all__ = ["ProgressBar", "register", "run_synth", "run_trace"]

_DATE_ORDERS = ("auto", "mdy", "dmy")


def register(subparsers: Any) -> None:
    _register_trace(subparsers)
    _register_synth(subparsers)


def _register_trace(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "trace",
        help="analyse message-trace exports: volume, failures, anomalies",
        description="Load message-trace exports (Get-MessageTrace/V2 CSV or JSON, Graph JSON, "
        "admin center summary, enhanced and extended reports, detail exports, "
        "Get-MailFlowStatusReport), in any mix, and report volume, failures, anomalies and "
        "senders near the sending limits. Exit code 1 when a finding is an error.",
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE",
        help="export files (any format) or a store folder written by --graph",
    )
    parser.add_argument(
        "--graph", action="store_true", help="pull message trace from Microsoft Graph into --out"
    )
    parser.add_argument(
        "--interval", default="auto", help="bucket for volume charts: auto, 15m, 1h, 1d ..."
    )
    add_output_options(parser, "o365diag.trace/1")
    parser.add_argument(
        "--org-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="an accepted domain of the tenant (repeat); inferred when not given",
    )
    parser.add_argument(
        "--date-order",
        choices=_DATE_ORDERS,
        default="auto",
        help="day/month order of culture-formatted dates when every day is 12 or less",
    )
    parser.add_argument("--sender", help="analyse (or, with --graph, pull) only this sender")
    graph = parser.add_argument_group("with --graph")
    graph.add_argument("--recipient", help="only this recipient")
    graph.add_argument("--status", help="only this status (Graph's values, any case)")
    graph.add_argument("--from-ip", help="only messages from this IP")
    graph.add_argument(
        "--details", type=int, default=0, metavar="N", help="events of up to N failed messages"
    )
    add_pull_options(parser, "10d")
    add_graph_options(parser)
    parser.set_defaults(func=run_trace)


def _register_synth(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "synth-trace",
        help="write realistic synthetic message-trace exports (seeded)",
        description="Write a synthetic tenant's message trace in each export format o365diag "
        "reads, for demos, tests and benchmarks. SENDER@TIME is an address (or * for all) and "
        "an ISO time in UTC, e.g. scanner-3f@example.com@2025-06-10T02:00.",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="message/recipient rows")
    parser.add_argument("--days", type=float, default=14, help="days covered")
    parser.add_argument("--start", default="2025-06-16", help="first day, UTC (ISO date)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--spike", action="append", default=[], metavar="SENDER@TIME", help="20x for an hour"
    )
    parser.add_argument(
        "--drop", action="append", default=[], metavar="SENDER@TIME", help="silent for 8 hours"
    )
    parser.add_argument(
        "--new-sender",
        action="append",
        default=[],
        metavar="SENDER@TIME",
        help="a sender (and IP) that starts at TIME",
    )
    parser.add_argument(
        "--format",
        action="append",
        dest="formats",
        metavar="NAME",
        help="only these exports (repeat); default: all",
    )
    parser.add_argument("--out", default=".", help="folder to write to (created if needed)")
    parser.set_defaults(func=run_synth)


class ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not a terminal."""

    def __init__(self, stream: TextIO, enabled: bool = True, width: int = 24) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.width = width
        self.started = time.monotonic()
        self._shown = False

    def __call__(self, stage: str, done: float) -> None:
        if not self.enabled:
            return
        filled = int(self.width * min(max(done, 0.0), 1.0))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        line = f"\r[{bar}] {done:4.0%} {elapsed:5.1f}s {stage[:60]}"
        self.stream.write(line.ljust(100))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def run_trace(args: argparse.Namespace) -> int:
    from o365diag.findings import Severity
    from o365diag.trace.analyze import analyze_trace
    from o365diag.trace.load import load_traces
    from o365diag.trace.report import analysis_html
    from o365diag.trace.volume import parse_interval

    if args.graph:
        from o365diag.tenant.command import run_trace_pull

        return run_trace_pull(args)
    if not args.inputs:
        raise UsageError("give export files, a store folder, or --graph")
    progress = ProgressBar(sys.stderr, enabled=not args.no_progress)
    try:  # the progress line is cleared before any message
        if args.interval != "auto":
            parse_interval(args.interval)
        data = load_traces(
            args.inputs,
            org_domains=args.org_domain,
            date_order=args.date_order,
            on_progress=lambda stage, done: progress(stage, 0.7 * done),
        )
        if args.sender:
            data = data.filter_sender(args.sender)
        progress("analysing", 0.75)
        analysis = analyze_trace(data, interval=args.interval)
        report = analysis.to_report()
        if args.html:
            progress("drawing charts", 0.9)
            write_output(args.html, report.to_html(analysis_html(analysis)))
    finally:
        progress.close()
    print(report.to_json() if args.json else report.to_text())
    return 1 if report.worst >= Severity.ERROR else 0


def run_synth(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from o365diag.trace.synth import parse_injection, synthesize
    from o365diag.trace.writers import EXPORT_FILES, write_exports

    try:
        start = datetime.fromisoformat(args.start)
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start
    except ValueError:
        raise UsageError(f"--start {args.start!r} is not an ISO date") from None
    try:
        injections = [parse_injection(t, "spike") for t in args.spike]
        injections += [parse_injection(t, "drop") for t in args.drop]
        injections += [parse_injection(t, "new-sender") for t in args.new_sender]
        frame = synthesize(args.rows, args.days, start=start, seed=args.seed, injections=injections)
        paths = write_exports(frame, args.out, args.formats or list(EXPORT_FILES))
    except OSError as exc:
        raise OutputError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    for path in paths:
        print(path)
    return 0
