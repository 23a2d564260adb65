"""``o365diag dns``, ``o365diag spf`` and ``o365diag dkim``: the DNS side of a sending setup.

Imports of dnspython, dkimpy and the checks happen inside the run functions, so listing the
commands stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from o365diag.errors import UsageError
from o365diag.output import add_output_options, emit

__all__ = ["register", "run_dkim", "run_dns", "run_spf"]

_DEFAULT_TIMEOUT = 3.0


def _add_resolver_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nameserver",
        metavar="HOST[:PORT]",
        help="ask this DNS server instead of the system's (IPv6 with a port: [2001:db8::1]:53)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=_DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per-query timeout (default {_DEFAULT_TIMEOUT:g})",
    )


def register(subparsers: Any) -> None:
    dns_parser: argparse.ArgumentParser = subparsers.add_parser(
        "dns",
        help="check a domain's MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT and blocklists",
        description="Is DOMAIN ready to send through Microsoft 365 from these devices? "
        "Checks every record at once and says exactly which record to change.",
    )
    dns_parser.add_argument(
        "domain", metavar="DOMAIN", nargs="?", help="the domain (not needed with --demo)"
    )
    dns_parser.add_argument(
        "--demo",
        metavar="SCENARIO",
        help="check a built-in example domain served on this machine: ready, "
        "scanner-not-in-spf, too-many-lookups, dkim-not-enabled",
    )
    dns_parser.add_argument(
        "--ip",
        action="append",
        default=[],
        metavar="IP",
        help="a device's public IP: SPF and blocklists (repeatable)",
    )
    dns_parser.add_argument(
        "--selector",
        action="append",
        default=[],
        metavar="S",
        help="a DKIM selector besides selector1/selector2 (repeatable)",
    )
    dns_parser.add_argument(
        "--dnsbl",
        action="append",
        metavar="ZONE",
        help="blocklist zone to query (repeatable; default: see docs/dns.md)",
    )
    dns_parser.add_argument("--no-dnsbl", action="store_true", help="skip blocklist checks")
    _add_resolver_options(dns_parser)
    add_output_options(dns_parser, "o365diag.dns/1")
    dns_parser.set_defaults(func=run_dns)

    spf_parser: argparse.ArgumentParser = subparsers.add_parser(
        "spf",
        help="evaluate SPF (RFC 7208 check_host) for one IP and sender, with a full trace",
        description="Does SPF authorise IP to send as the MAIL FROM address? Shows each record "
        "fetched and each term tried, in order, with the lookup count.",
    )
    spf_parser.add_argument("--ip", required=True, help="the connecting IP")
    spf_parser.add_argument(
        "--mail-from",
        required=True,
        metavar="ADDR",
        help="MAIL FROM address (empty '' means postmaster@HELO)",
    )
    spf_parser.add_argument("--helo", default="", metavar="NAME", help="HELO/EHLO name")
    _add_resolver_options(spf_parser)
    add_output_options(spf_parser, "o365diag.spf/1", html=False)
    spf_parser.set_defaults(func=run_spf)

    dkim_parser: argparse.ArgumentParser = subparsers.add_parser(
        "dkim",
        help="verify every DKIM signature (and ARC) of a message, keys fetched live",
        description="Verify each DKIM-Signature of MESSAGE (.eml; '-' reads stdin) and say "
        "which failed and why.",
    )
    dkim_parser.add_argument("message", metavar="MESSAGE")
    _add_resolver_options(dkim_parser)
    add_output_options(dkim_parser, "o365diag.dkim/1")
    dkim_parser.set_defaults(func=run_dkim)


def _resolver(args: argparse.Namespace) -> Any:
    from o365diag.dns.resolver import Resolver

    return Resolver(args.nameserver, timeout=args.timeout)


def _exit_code(report: Any) -> int:
    from o365diag.findings import Severity

    return 1 if report.worst >= Severity.ERROR else 0


async def _demo_audit(args: argparse.Namespace) -> Any:
    from o365diag.dns.audit import audit_domain
    from o365diag.dns.demo import DEMO_DOMAIN, DEMO_IPS, DemoDns

    async with DemoDns(args.demo) as server:
        ips = args.ip or list(DEMO_IPS)
        return await audit_domain(
            DEMO_DOMAIN,
            ips=ips,
            nameserver=server.address,
            timeout=args.timeout,
            check_dnsbl=False,
        )


def run_dns(args: argparse.Namespace) -> int:
    from o365diag.dns.audit import audit_domain

    if not args.domain and not args.demo:
        raise UsageError("give a DOMAIN (or --demo SCENARIO)")
    if args.demo:
        report = asyncio.run(_demo_audit(args))
    else:
        job = audit_domain(
            args.domain,
            ips=args.ip,
            selectors=args.selector,
            resolver=_resolver(args),
            dnsbl_zones=args.dnsbl,
            check_dnsbl=not args.no_dnsbl,
        )
        report = asyncio.run(job)
    emit(report, args)
    return _exit_code(report)


def run_spf(args: argparse.Namespace) -> int:
    from o365diag.dns.result import SpfCheckResult
    from o365diag.dns.spf import SpfResult, check_host
    from o365diag.dns.spf_lint import check_findings, parsed_record

    resolver = _resolver(args)
    check = asyncio.run(check_host(args.ip, args.mail_from, args.helo, resolver=resolver))
    findings = check_findings(check.domain, [check], parsed_record(check.tree.record))
    emit(SpfCheckResult(data=check.to_dict(), findings=findings), args)
    return 0 if check.result is SpfResult.PASS else 1


def run_dkim(args: argparse.Namespace) -> int:
    from o365diag.dns.dkim_verify import verify_message

    try:
        raw = sys.stdin.buffer.read() if args.message == "-" else Path(args.message).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.message}: {exc.strerror or exc}") from None
    report = asyncio.run(verify_message(raw, _resolver(args)))
    emit(report, args)
    return _exit_code(report)
