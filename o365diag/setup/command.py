"""``o365diag setup`` (choose the sending option, generate its configuration, verify it) and
``o365diag audit`` (review exported tenant configuration for least privilege)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from o365diag.errors import UsageError
from o365diag.findings import Severity
from o365diag.output import add_output_options, emit, write_output
from o365diag.setup.answers import (
    QUESTIONS,
    AnswerError,
    Question,
    SetupAnswers,
    convert_answer,
)

__all__ = ["register", "run_audit", "run_setup"]

_MAX_ATTEMPTS = 5


# -- parsers --------------------------------------------------------------------------------------
def register(subparsers: Any) -> None:
    _register_setup(subparsers)
    _register_audit(subparsers)


def _register_setup(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "setup",
        help="choose how a device should send through Microsoft 365 and write its settings",
        description="Answers the device's abilities and needs (asked interactively on a "
        "terminal, or given as flags), recommends SMTP AUTH submission, direct send or relay "
        "through a connector from Microsoft's comparison table, and writes the device "
        "settings, DNS records and Exchange Online PowerShell. --verify runs the domain "
        "audit and the connection test (--demo: offline, against the built-in simulator).",
    )
    answers = parser.add_argument_group("answers (asked interactively when missing on a TTY)")
    for question in QUESTIONS:
        _add_question(answers, question)
    out = parser.add_argument_group("output")
    add_output_options(out, "o365diag.setup/1", html=False)
    out.add_argument("--markdown", action="store_true", help="print Markdown instead of text")
    out.add_argument("--script", metavar="OUT.ps1", help="also write the PowerShell to a file")
    ver = parser.add_argument_group("verify")
    ver.add_argument(
        "--verify",
        action="store_true",
        help="run the domain audit and the connection test for the chosen option",
    )
    ver.add_argument(
        "--demo",
        action="store_true",
        help="verify offline: local DNS with the "
        "generated records, and the Office 365-like simulator",
    )
    ver.add_argument("--nameserver", metavar="HOST[:PORT]", help="DNS server for live verify")
    ver.add_argument("--timeout", type=float, default=10.0, help="seconds per network step")
    ver.add_argument(
        "--to",
        dest="recipient",
        metavar="ADDRESS",
        help="test recipient (default: the From address)",
    )
    ver.add_argument(
        "--password-env",
        metavar="VAR",
        help="environment variable holding the mailbox password (otherwise asked on the terminal)",
    )
    ver.add_argument(
        "--token-env", metavar="VAR", help="environment variable holding an OAuth access token"
    )
    ver.add_argument("--send", action="store_true", help="send a real test message (DATA)")
    parser.set_defaults(func=run_setup)


def _add_question(group: argparse._ArgumentGroup, question: Question) -> None:
    flags = question.option_strings
    kwargs: dict[str, Any] = {"dest": question.name, "default": None, "help": question.prompt}
    if question.kind == "bool":
        group.add_argument(*flags, action=argparse.BooleanOptionalAction, **kwargs)
    elif question.kind == "choice":
        group.add_argument(*flags, choices=question.choices, **kwargs)
    elif question.kind == "list":
        group.add_argument(*flags, action="append", metavar="VALUE", **kwargs)
    else:
        group.add_argument(*flags, metavar=question.name.split("_")[-1].upper(), **kwargs)


def _register_audit(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit",
        help="review exported Exchange Online configuration for least privilege",
        description="Reads ConvertTo-Json exports of Get-InboundConnector, "
        "Get-OutboundConnector, Get-TransportConfig, Get-CASMailbox, "
        "Get-HostedConnectionFilterPolicy, Get-AuthenticationPolicy and "
        "Get-OrganizationConfig (UTF-16 or UTF-8, one object or an array; a folder reads its "
        "*.json files) and reports findings with the command that fixes each. Exit status 1 "
        "when a finding is a warning or worse.",
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE", help="export file or folder")
    parser.add_argument(
        "--device-ip",
        action="append",
        default=[],
        metavar="IP",
        help="public IP a device relays from (checks that a connector lists it)",
    )
    parser.add_argument(
        "--device-cert",
        action="append",
        default=[],
        metavar="CERT",
        help="PEM/DER certificate a device presents (checks the connector name against it)",
    )
    add_output_options(parser, "o365diag.audit/1", html=False)
    parser.set_defaults(func=run_audit)


# -- setup ----------------------------------------------------------------------------------------
def run_setup(args: argparse.Namespace) -> int:
    return _setup(args, collect_answers(args, sys.stdin, sys.stderr))


def _setup(args: argparse.Namespace, answers: SetupAnswers) -> int:
    from o365diag.setup.generate import plan_setup

    plan = plan_setup(answers)
    verify = None
    if args.verify or args.demo:
        import asyncio

        verify = asyncio.run(_verify(plan, args))
    report = plan.to_report(verify.data() if verify is not None else None)
    if args.script:
        write_output(args.script, plan.script())
    if args.json:
        print(report.to_json())
    else:
        print(plan.to_markdown() if args.markdown else plan.to_text())
        if verify is not None:
            print(_verify_text(verify))
    return 1 if verify is not None and verify.worst >= Severity.ERROR else 0


async def _verify(plan: Any, args: argparse.Namespace) -> Any:
    from o365diag.setup.verify import VerifyOptions, verify_plan

    demo = bool(args.demo)
    options = VerifyOptions(
        demo=demo,
        nameserver=args.nameserver,
        timeout=args.timeout,
        recipient=args.recipient,
        send=args.send,
    )
    if not demo and plan.option in ("submission", "hve"):
        options.token = _secret_from_env(args.token_env)
        if options.token is None:
            options.password = _secret_from_env(args.password_env) or _prompt_secret(plan)
    return await verify_plan(plan, options)


def _secret_from_env(variable: str | None) -> Any:
    from o365diag.smtp.config import Secret

    if not variable:
        return None
    value = os.environ.get(variable)
    if not value:
        raise UsageError(f"environment variable {variable} is not set")
    return Secret(value)


def _prompt_secret(plan: Any) -> Any:
    import getpass

    from o365diag.smtp.config import Secret

    if not sys.stdin.isatty():
        return None
    value = getpass.getpass(f"Password for {plan.answers.signin_mailbox} (empty: skip AUTH): ")
    return Secret(value) if value else None


def _verify_text(verify: Any) -> str:
    from o365diag.dns.render import audit_text
    from o365diag.smtp.render import render_text

    parts = [f"\nVerify ({verify.mode})", "=" * (9 + len(verify.mode))]
    if verify.dns is not None:
        parts.append(audit_text(verify.dns))
    if verify.smtp is not None:
        parts.append(render_text(verify.smtp))
    parts += [f.to_text() for f in verify.findings]
    return "\n".join(parts)


# -- answers: flags, then questions on a terminal -------------------------------------------------
def collect_answers(
    args: argparse.Namespace, stdin: TextIO, out: TextIO, ask: Callable[[str], str] | None = None
) -> SetupAnswers:
    """Answers from the flags; on a terminal, ask the basic questions the flags left open."""
    values: dict[str, Any] = {
        q.name: _flag_value(q, getattr(args, q.name, None)) for q in QUESTIONS
    }
    values = {k: v for k, v in values.items() if v is not None}
    interactive = ask is not None or stdin.isatty()
    if interactive:
        prompt = ask or _terminal_input
        for question in QUESTIONS:
            if question.name not in values and not question.advanced:
                answer = _ask(question, prompt, out)
                if answer is not None:
                    values[question.name] = answer
    missing = [q for q in QUESTIONS if q.required and q.name not in values]
    if missing:
        flags = ", ".join(q.option_strings[0] for q in missing)
        raise UsageError(f"missing answers: give {flags} (or run on a terminal to be asked)")
    return SetupAnswers.from_mapping(values)


def _flag_value(question: Question, value: Any) -> Any:
    if question.kind == "list" and value is not None:
        return [item for chunk in value for item in str(chunk).split(",")]
    return value


def _terminal_input(prompt: str) -> str:
    return input(prompt)


def _ask(question: Question, prompt: Callable[[str], str], out: TextIO) -> Any:
    hint = _hint(question)
    for _attempt in range(_MAX_ATTEMPTS):
        try:
            text = prompt(f"{question.prompt}{hint} ").strip()
        except EOFError:
            raise UsageError(f"no answer for {question.option_strings[0]}") from None
        if not text and not question.required:
            return None
        try:
            value = convert_answer(question, text)
            if question.kind == "choice" and value not in question.choices:
                raise AnswerError(question.name, f"choose one of {', '.join(question.choices)}")
            if value is None:
                raise AnswerError(question.name, "needs an answer")
            return value
        except AnswerError as exc:
            print(f"  {exc}", file=out)
    raise UsageError(f"no usable answer for {question.option_strings[0]}")


def _hint(question: Question) -> str:
    if question.kind == "bool":
        return " [y/n]"
    if question.kind == "choice":
        return f" [{'/'.join(question.choices)}]"
    if not question.required:
        return " (Enter to skip)"
    return ""


# -- audit ----------------------------------------------------------------------------------------
def run_audit(args: argparse.Namespace) -> int:
    from o365diag.setup.audit import audit_files

    files = _expand(args.inputs)
    report = audit_files(files, device_ips=args.device_ip, device_certs=args.device_cert)
    emit(report, args)
    return 1 if report.worst >= Severity.WARNING else 0


def _expand(inputs: list[str]) -> list[str]:
    from o365diag.setup.exports import ExportError

    files: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(str(p) for p in path.glob("*.json") if p.is_file())
            if not found:
                raise ExportError(f"{item}: the folder has no .json files")
            files.extend(found)
        else:
            files.append(item)
    return files
