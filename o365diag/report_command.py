"""``o365diag report``: one self-contained HTML file (and a Markdown summary) from results."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from o365diag.errors import UsageError
from o365diag.output import write_output

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="one shareable HTML file (and a Markdown summary) from saved results",
        description="Bundle saved results (the --json output of any o365diag command, JSON "
        "lines from bulk mode) and header files (analyzed on the fly) into one HTML file that "
        "works offline, with interactive charts. '-' reads stdin; a folder means its files.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="file, folder or '-'")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="HTML file to write")
    parser.add_argument(
        "--markdown", metavar="OUT", help="also write a Markdown summary ('-' for stdout)"
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="replace addresses, domains, host names, IPs and tenant ids with placeholders "
        "(secrets are removed either way)",
    )
    parser.add_argument(
        "--redaction-map",
        metavar="OUT",
        help="with --redact: write what each placeholder stands for (keep it to yourself)",
    )
    parser.add_argument("--title", help="title of the report")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from o365diag.report import ReportInputError, SharedReport

    if args.redaction_map and not args.redact:
        raise UsageError("--redaction-map needs --redact")
    try:
        reports, notes = _load_all(args.inputs)
    except ReportInputError as exc:
        raise UsageError(str(exc)) from None
    shared = SharedReport.build(reports, redact=args.redact, title=args.title, notes=notes)
    outputs = [(args.output, shared.to_html())]
    if args.markdown:
        outputs.append((args.markdown, shared.to_markdown()))
    if args.redaction_map:
        outputs.append((args.redaction_map, json.dumps(shared.redaction_map, indent=2)))
    for target, text in outputs:
        write_output(target, text)
    print(
        f"wrote {args.output}: {len(shared.reports)} result(s)"
        + (", redacted" if args.redact else ""),
        file=sys.stderr,
    )
    return 0


def _load_all(inputs: list[str]) -> tuple[list[Any], list[str]]:
    from o365diag.report import ReportInputError, load_input

    reports: list[Any] = []
    notes: list[str] = []
    for name in _expand(inputs):
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise ReportInputError(f"cannot read {name}: {exc.strerror or exc}") from None
        found, skipped = load_input(raw, name)
        reports.extend(found)
        notes.extend(skipped)
    if not reports:
        raise ReportInputError("no results in the inputs")
    return reports, notes


def _expand(inputs: list[str]) -> list[str]:
    names: list[str] = []
    for name in inputs:
        path = Path(name)
        if name != "-" and path.is_dir():
            names.extend(
                str(p) for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith(".")
            )
        else:
            names.append(name)
    return names
