"""``o365diag cutover`` (Basic-auth cutover readiness) and ``o365diag explain`` (what a client's
error message means)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from o365diag.errors import ConfigError, OutputError, UsageError
from o365diag.output import add_output_options, emit
from o365diag.tenant.options import add_graph_options

__all__ = ["register", "run_cutover", "run_explain"]


def register(subparsers: Any) -> None:
    _register_cutover(subparsers)
    _register_explain(subparsers)


def _register_cutover(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cutover",
        help="Basic-auth cutover readiness: who still signs in to SMTP with a password",
        description="Join sign-ins (Entra portal CSV/JSON), the SMTP AUTH clients report, "
        "message trace and exported Exchange settings (CAS mailboxes, Get-User, "
        "authentication policies, organization and transport config) plus your device "
        "inventory into one row per sending identity: its status on the cutover date, the "
        "path off Basic, risk signals, and a plan. Each file's kind comes from its content. "
        "Exit code 0 when nothing breaks, 1 when something breaks or is broken, 2 for an "
        "input of no known kind.",
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE",
        help="input files or folders (stores written by --graph, collect-script output), any mix",
    )
    parser.add_argument(
        "--snapshot",
        action="append",
        default=[],
        metavar="PATH",
        help="earlier exports for the burndown only (repeatable): a file or a folder; each "
        "sign-in export and SMTP AUTH clients report in it is one snapshot, dated by its "
        "content or else by a date in its file or folder name (YYYY-MM-DD)",
    )
    parser.add_argument("--demo", action="store_true", help="use the shipped demo tenant")
    parser.add_argument(
        "--write-demo",
        metavar="DIR",
        help="write the demo tenant's files to DIR (its earlier snapshots to DIR/earlier) and stop",
    )
    parser.add_argument(
        "--graph",
        action="store_true",
        help="pull SMTP sign-ins (30 days), message trace (10 days), security defaults and "
        "Conditional Access policies from Microsoft Graph into --out, then assess them with "
        "the other inputs",
    )
    parser.add_argument("--out", metavar="DIR", help="the store folder for --graph")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    parser.add_argument("--as-of", metavar="DATE", help="assess as of this day (default: today)")
    parser.add_argument(
        "--cutover-date",
        metavar="DATE",
        default="2026-12-31",
        help="the day Basic is off by default (default: 2026-12-31)",
    )
    add_output_options(parser, "o365diag.cutover/1")
    add_graph_options(parser)
    parser.set_defaults(func=run_cutover)


def _register_explain(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="explain an error a client printed when sending failed",
        description="Paste what a device or program printed (an SMTP reply, a Postfix or Exim "
        "log line, a Python or PowerShell exception, curl's message, a printer panel "
        "message): get the cause, whether it is the Basic-auth cutover, whether it can be "
        "switched back on, and the fix. '-' reads the text from stdin. Exit code 0 when "
        "recognised, 1 when not.",
    )
    parser.add_argument("text", nargs="+", help="the message (quote it), or - for stdin")
    add_output_options(parser, "o365diag.explain/1", html=False)
    parser.set_defaults(func=run_explain)


def _day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def run_cutover(args: argparse.Namespace) -> int:
    from o365diag.cutover.analyze import assess
    from o365diag.cutover.demo import DEMO_AS_OF, demo_files, demo_snapshot_files, write_demo
    from o365diag.cutover.inputs import load_inputs
    from o365diag.cutover.snapshots import load_snapshots

    if args.write_demo:
        try:
            paths = write_demo(args.write_demo)
        except OSError as exc:
            message = f"cannot write to {args.write_demo}: {exc.strerror or exc}"
            raise OutputError(message, target=args.write_demo) from None
        print("\n".join(str(p) for p in paths))
        return 0
    as_of = _day(args.as_of, "as_of")
    cutover = _day(args.cutover_date, "cutover_date")
    assert cutover is not None
    sources: list[Any] = list(args.inputs)
    earlier: list[Any] = list(args.snapshot)
    if args.demo:
        sources += demo_files()
        earlier += demo_snapshot_files()
        as_of = as_of or DEMO_AS_OF
    if args.graph:
        pulled = _pull_stores(args)
        if pulled is None:
            return 1
        sources += pulled
    if not sources:
        raise UsageError("give input files, --demo, or --graph")
    inputs = load_inputs(sources)
    snapshots = load_snapshots(earlier)
    assessment = assess(inputs, as_of=as_of, cutover_date=cutover, snapshots=snapshots)
    emit(assessment.to_result(), args)
    return assessment.exit_code


# The sign-in log keeps 30 days; message trace through Graph reaches 10 days back per query.
GRAPH_PULLS = (("signIns", "30d", "signins"), ("messageTrace", "10d", "trace"))


def _pull_stores(args: argparse.Namespace) -> list[Path] | None:
    """Pull each store under ``--out``; None (after one line on stderr) when a pull failed.
    A policies part Graph refuses (403) is no failure: the assessment says it was not read."""
    from o365diag.tenant.command import pull_failed, pull_policies_store, pull_store

    if not args.out:
        raise UsageError("--graph needs --out DIR (the folder for the pulled stores)")
    folders = []
    for kind, since, name in GRAPH_PULLS:
        folder = Path(args.out) / name
        reason = pull_failed(pull_store(args, kind, since, folder))
        if reason:
            print(f"o365diag cutover: the {kind} pull stopped: {reason}", file=sys.stderr)
            return None
        folders.append(folder)
    folder = Path(args.out) / "policies"
    reason = pull_failed(pull_policies_store(args, folder))
    if reason:
        print(f"o365diag cutover: the policies pull stopped: {reason}", file=sys.stderr)
        return None
    folders.append(folder)
    return folders


def run_explain(args: argparse.Namespace) -> int:
    from o365diag.cutover.explain import MAX_TEXT, explain

    text = " ".join(args.text)
    if text == "-":
        text = sys.stdin.read(MAX_TEXT + 1)
    if not text.strip():
        raise UsageError("give the message to explain (or - to read it from stdin)")
    found = explain(text)
    emit(found.to_result(), args)
    return 0 if found.recognised else 1
