"""DNS audit speed: o365diag next to checkdmarc, against a local DNS server adding 50 ms per answer.

The zone is a domain whose SPF nests three includes deep (the leaf holds an ``a`` term), with
an Exchange Online MX, DKIM CNAMEs, DMARC with an external report address, MTA-STS and TLS-RPT.
Every answer from the test DNS server (tests/dnsserver.py on loopback, run in a child process so
it does not compete with the client for the interpreter lock) waits 50 ms.

Measured, each as the median of ROUNDS runs with a cold cache:
- o365diag full audit (every check, one device IP through check_host, blocklists);
- the checks both tools make (MX, SPF with its includes, DMARC, TLS-RPT), each tool alone.

Run: ``.venv/bin/python benchmarks/bench_dns.py [--rounds N] [--delay S] [--json]``.
checkdmarc is optional (``pip install checkdmarc``); without it only o365diag is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from o365diag.dns.audit import audit_domain  # noqa: E402
from o365diag.dns.dmarc import check_dmarc  # noqa: E402
from o365diag.dns.records import check_mx, check_tls_rpt  # noqa: E402
from o365diag.dns.resolver import Resolver  # noqa: E402
from o365diag.dns.spf_lint import tree_findings  # noqa: E402
from o365diag.dns.spf_tree import spf_tree  # noqa: E402
from tests.dnsserver import DnsTestServer, Zone  # noqa: E402

DOMAIN = "bench.test"
DEVICE_IP = "192.0.2.99"  # authorised only by the a: term of the deepest include
INCLUDE_DEPTH = 3


def bench_zone() -> Zone:
    zone = Zone()
    zone.add(DOMAIN, "MX", (0, "bench-test.mail.protection.outlook.com"))
    zone.add("bench-test.mail.protection.outlook.com", "A", "203.0.113.30")
    zone.txt(
        DOMAIN,
        f"v=spf1 ip4:198.51.100.7 include:spf.protection.outlook.com include:_spf1.{DOMAIN} -all",
    )
    zone.txt("spf.protection.outlook.com", "v=spf1 ip4:203.0.113.0/27 -all")
    zone.txt(f"_spf1.{DOMAIN}", f"v=spf1 ip4:192.0.2.0/28 include:_spf2.{DOMAIN} ~all")
    zone.txt(f"_spf2.{DOMAIN}", f"v=spf1 ip4:192.0.2.16/28 include:_spf3.{DOMAIN} ~all")
    zone.txt(f"_spf3.{DOMAIN}", f"v=spf1 ip4:192.0.2.32/28 a:relay.{DOMAIN} ~all")
    zone.add(f"relay.{DOMAIN}", "A", DEVICE_IP)
    for n in (1, 2):
        target = f"selector{n}-bench-test._domainkey.bench.onmicrosoft.com"
        zone.add(f"selector{n}._domainkey.{DOMAIN}", "CNAME", target)
        zone.txt(target, "v=DKIM1; k=rsa; p=")  # key bits do not matter for timing
    zone.txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=quarantine; rua=mailto:agg@reports.example.net")
    zone.txt(f"{DOMAIN}._report._dmarc.reports.example.net", "v=DMARC1")
    zone.txt(f"_mta-sts.{DOMAIN}", "v=STSv1; id=2025060101")
    zone.txt(f"_smtp._tls.{DOMAIN}", "v=TLSRPTv1; rua=mailto:tls@bench.test")
    zone.add(f"autodiscover.{DOMAIN}", "CNAME", "autodiscover.outlook.com")
    return zone


async def o365diag_full(address: str) -> Any:
    resolver = Resolver(address, timeout=2)
    return await audit_domain(DOMAIN, ips=[DEVICE_IP], resolver=resolver)


async def o365diag_overlap(address: str) -> Any:
    resolver = Resolver(address, timeout=2)

    async def spf() -> Any:
        return tree_findings(await spf_tree(DOMAIN, resolver))

    return await asyncio.gather(
        check_mx(DOMAIN, resolver),
        spf(),
        check_dmarc(DOMAIN, resolver),
        check_tls_rpt(DOMAIN, resolver),
    )


def checkdmarc_overlap(port: int) -> Callable[[], Any] | None:
    try:
        import checkdmarc.dmarc
        import checkdmarc.smtp
        import checkdmarc.smtp_tls_reporting
        import checkdmarc.spf
        import checkdmarc.utils
        import dns.nameserver
        import dns.resolver
    except ImportError:
        return None

    def run() -> Any:
        for cache in (getattr(checkdmarc.utils, "DNS_CACHE", None),):
            if cache is not None:
                cache.clear()
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = port
        resolver.timeout = resolver.lifetime = 2
        # Both: the resolver for plain lookups and nameservers for checkdmarc's DNSSEC/TLSA
        # paths, so that nothing leaves the loopback test server.
        local = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
        kw = {"resolver": resolver, "nameservers": local, "timeout": 2}
        return [
            checkdmarc.smtp.check_mx(DOMAIN, **kw),
            checkdmarc.spf.check_spf(DOMAIN, **kw),
            checkdmarc.dmarc.check_dmarc(DOMAIN, **kw),
            checkdmarc.smtp_tls_reporting.check_smtp_tls_reporting(DOMAIN, **kw),
        ]

    return run


def _serve(delay: float, pipe: Any) -> None:
    """Child process: run the server, answer "count", "reset" and "stop" over the pipe."""
    with DnsTestServer(bench_zone(), delay=delay) as server:
        pipe.send(server.port)
        while True:
            command = pipe.recv()
            if command == "count":
                pipe.send(len(server.queries))
            elif command == "reset":
                server.reset_log()
                pipe.send(True)
            else:
                return


class ServerProcess:
    def __init__(self, delay: float) -> None:
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(delay, child), daemon=True)

    def __enter__(self) -> ServerProcess:
        self.process.start()
        self.port = int(self.pipe.recv())
        self.address = f"127.0.0.1:{self.port}"
        return self

    def ask(self, command: str) -> Any:
        self.pipe.send(command)
        return self.pipe.recv()

    def __exit__(self, *exc: object) -> None:
        self.pipe.send("stop")
        self.process.join(timeout=5)


def measure(server: ServerProcess, job: Callable[[], Any], rounds: int) -> dict[str, Any]:
    times, queries = [], []
    for _ in range(rounds):
        server.ask("reset")
        started = time.perf_counter()
        job()
        times.append((time.perf_counter() - started) * 1000)
        queries.append(server.ask("count"))
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "queries": max(queries),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"delay_ms": args.delay * 1000, "include_depth": INCLUDE_DEPTH}
    with ServerProcess(args.delay) as server:
        address = server.address
        report = asyncio.run(o365diag_full(address))
        results["spf_result_for_device"] = report.data["spf_checks"][0]["result"]
        results["o365diag_full"] = measure(
            server, lambda: asyncio.run(o365diag_full(address)), args.rounds
        )
        results["o365diag_overlap"] = measure(
            server, lambda: asyncio.run(o365diag_overlap(address)), args.rounds
        )
        peer = checkdmarc_overlap(server.port)
        results["checkdmarc_overlap"] = measure(server, peer, args.rounds) if peer else None
    budget = (INCLUDE_DEPTH + 3) * args.delay * 1000
    results["full_budget_ms"] = budget
    results["full_within_budget"] = results["o365diag_full"]["median_ms"] <= budget
    if results["checkdmarc_overlap"]:
        ratio = (
            results["checkdmarc_overlap"]["median_ms"] / results["o365diag_overlap"]["median_ms"]
        )
        results["speedup_overlap"] = round(ratio, 1)
    print(json.dumps(results, indent=2) if args.json else _table(results))
    return 0


def _table(r: dict[str, Any]) -> str:
    lines = [
        f"DNS benchmark: {DOMAIN}, SPF includes {r['include_depth']} deep, "
        f"{r['delay_ms']:g} ms added per answer",
        f"{'run':<28}{'median ms':>10}{'min ms':>10}{'queries':>9}",
    ]
    for key in ("o365diag_full", "o365diag_overlap", "checkdmarc_overlap"):
        row = r.get(key)
        if row is None:
            lines.append(f"{key:<28}{'(checkdmarc not installed)':>29}")
            continue
        lines.append(f"{key:<28}{row['median_ms']:>10}{row['min_ms']:>10}{row['queries']:>9}")
    lines.append(
        f"full audit budget (depth + 3) x delay: {r['full_budget_ms']:g} ms -> "
        f"{'met' if r['full_within_budget'] else 'MISSED'}"
    )
    if "speedup_overlap" in r:
        lines.append(f"checkdmarc / o365diag on the same checks: {r['speedup_overlap']}x")
    lines.append(f"check_host for {DEVICE_IP}: {r['spf_result_for_device']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
