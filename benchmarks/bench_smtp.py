"""How much the SMTP connection test costs next to a bare client, measured three ways.

The same full session (EHLO, STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) runs against
the simulator, which serves from its own process on loopback:

1. in process: o365diag's ``Probe(...).run()`` (transcript, timing and diagnosis included)
   against a bare ``aiosmtplib.SMTP`` session issuing the same commands;
2. whole processes: ``o365diag smtp --json --send`` against a minimal aiosmtplib script;
3. next to swaks (Debian package ``swaks``; ``apt-get install -y swaks``). swaks is skipped,
   with a message, when it is not installed.

Each variant runs RUNS times (default 25, at least 20), interleaved so drift hits all alike;
the medians and their ratios are printed. Targets: in process <= 1.1x, process <= 1.2x.

    python benchmarks/bench_smtp.py [--runs N] [--json]

Not part of ``make test``: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

USER = "scanner@example.com"
RCPT = "colleague@example.com"
HELO = "bench.example.com"
SERVER_NAME = "smtp.office365.com"
PASSWORD_VARIABLE = "O365DIAG_BENCH_PASSWORD"
MESSAGE = (
    f"From: <{USER}>\r\nTo: <{RCPT}>\r\nSubject: o365diag connection test\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "This message was sent by o365diag to test the SMTP connection of a device.\r\n"
)

MINIMAL_SCRIPT = f'''
import asyncio, os, ssl, sys
import aiosmtplib

async def main(port, cafile):
    context = ssl.create_default_context(cafile=cafile)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False,
                           local_hostname="{HELO}", timeout=15)
    await smtp.connect()
    await smtp.ehlo()
    await smtp.starttls(tls_context=context, server_hostname="{SERVER_NAME}")
    await smtp.ehlo()
    await smtp.auth_plain("{USER}", os.environ["{PASSWORD_VARIABLE}"])
    await smtp.sendmail("{USER}", ["{RCPT}"], {MESSAGE!r})
    await smtp.quit()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
'''


SMTP_ONLY = (
    "import argparse, sys; from o365diag.smtp import command; "
    "parser = argparse.ArgumentParser(); command.register(parser.add_subparsers()); "
    "args = parser.parse_args(sys.argv[1:]); sys.exit(args.func(args))"
)


# ---------------------------------------------------------------- the server process
def serve() -> None:
    """Child process: the simulator (offering PLAIN too) until stdin closes."""
    from o365diag.smtp.simulator import Behaviour, Simulator

    async def main() -> None:
        simulator = Simulator(
            "healthy",
            password=os.environ[PASSWORD_VARIABLE],
            behaviour=Behaviour(offer_plain=True),
        )
        async with simulator:
            print(simulator.port, simulator.cafile, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[str], int, str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    port, cafile = child.stdout.readline().split()
    return child, int(port), cafile


# ---------------------------------------------------------------- in process
async def bare_session(port: int, cafile: str, password: str) -> None:
    import aiosmtplib

    context = ssl.create_default_context(cafile=cafile)
    smtp = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=False, local_hostname=HELO, timeout=15
    )
    await smtp.connect()
    await smtp.ehlo()
    await smtp.starttls(tls_context=context, server_hostname=SERVER_NAME)
    await smtp.ehlo()
    await smtp.auth_plain(USER, password)
    await smtp.sendmail(USER, [RCPT], MESSAGE)
    await smtp.quit()


async def probe_session(port: int, cafile: str, password: str) -> None:
    from o365diag.smtp.config import ProbeConfig, Secret
    from o365diag.smtp.probe import Probe

    config = ProbeConfig(
        mail_from=USER,
        rcpt_to=(RCPT,),
        profile="submission",
        host=SERVER_NAME,
        port=port,
        connect_address="127.0.0.1",
        cafile=cafile,
        username=USER,
        password=Secret(password),
        auth_mechanism="plain",
        helo=HELO,
        send=True,
        message=MESSAGE.encode(),
    )
    report = await Probe(config).run()
    if report.data["outcome"] != "sent":
        raise RuntimeError(f"probe session failed: {report.codes()}")


async def time_in_process(
    variants: dict[str, Callable[[], Awaitable[None]]], runs: int
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():  # warm-up: imports and first handshakes
        await run()
    for _ in range(runs):
        for name, run in variants.items():
            started = time.perf_counter()
            await run()
            samples[name].append(time.perf_counter() - started)
    return samples


# ---------------------------------------------------------------- whole processes
def time_processes(
    commands: dict[str, list[str]], runs: int, env: dict[str, str]
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():  # warm-up: page cache, .pyc files
        _run_once(name, argv, env)
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(_run_once(name, argv, env))
    return samples


def _run_once(name: str, argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def _o365diag_command() -> list[str]:
    """The installed console script (what users run), else ``python -m o365diag``."""
    script = Path(sys.executable).with_name("o365diag")
    return [str(script)] if script.exists() else [sys.executable, "-m", "o365diag"]


def commands(port: int, cafile: str, script: Path, password: str) -> dict[str, list[str]]:
    smtp_args = [
        "smtp",
        "--host",
        SERVER_NAME,
        "--connect-address",
        "127.0.0.1",
        "--port",
        str(port),
        "--cafile",
        cafile,
        "--from",
        USER,
        "--to",
        RCPT,
        "--user",
        USER,
        "--password-env",
        PASSWORD_VARIABLE,
        "--auth",
        "plain",
        "--helo",
        HELO,
        "--send",
        "--json",
    ]
    found = {
        "o365diag smtp --json": [*_o365diag_command(), *smtp_args],
        "minimal aiosmtplib script": [sys.executable, str(script), str(port), cafile],
    }
    # The same command with only the smtp subcommand registered: separates what the smtp
    # code costs from what the other subcommands' imports add to every o365diag start.
    found["smtp subcommand alone"] = [sys.executable, "-c", SMTP_ONLY, *smtp_args]
    swaks = shutil.which("swaks")
    if swaks:
        # swaks 20201014 (Debian 12) cannot verify certificates; later versions can.
        found["swaks"] = [
            swaks,
            "--server",
            "127.0.0.1",
            "--port",
            str(port),
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            USER,
            "--auth-password",
            password,
            "--from",
            USER,
            "--to",
            RCPT,
            "--ehlo",
            HELO,
            "--silent",
            "2",
        ]
    return found


# ---------------------------------------------------------------- report
def summarize(title: str, samples: dict[str, list[float]], baseline: str) -> dict[str, object]:
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    print(f"\n{title}")
    for name, median in medians.items():
        ratio = median / medians[baseline]
        print(
            f"  {name:<28} median {median:8.2f} ms  "
            f"(min {min(samples[name]) * 1000:7.2f}, n={len(samples[name])})  "
            f"{ratio:5.2f}x {baseline}"
        )
    return {
        "medians_ms": medians,
        "baseline": baseline,
        "ratios": {n: m / medians[baseline] for n, m in medians.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks smtp`` calls this without arguments: defaults then."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.serve:
        serve()
        return 0
    runs = max(args.runs, 20)
    password = "bench-" + os.urandom(6).hex()
    env = {**os.environ, PASSWORD_VARIABLE: password}
    # Measure what an installed copy costs: with bytecode writing off (as in some sandboxes)
    # every o365diag module would be compiled on each start, while aiosmtplib's are not.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ[PASSWORD_VARIABLE] = password
    server, port, cafile = start_server(env)
    results: dict[str, object] = {}
    try:
        in_process = asyncio.run(
            time_in_process(
                {
                    "bare aiosmtplib session": lambda: bare_session(port, cafile, password),
                    "o365diag Probe.run()": lambda: probe_session(port, cafile, password),
                },
                runs,
            )
        )
        results["in_process"] = summarize(
            "In process (one full session each)", in_process, "bare aiosmtplib session"
        )
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "minimal_aiosmtplib.py"
            script.write_text(MINIMAL_SCRIPT, encoding="utf-8")
            found = commands(port, cafile, script, password)
            if "swaks" not in found:
                print("\nswaks is not installed (apt-get install -y swaks): skipping it")
            processes = time_processes(found, runs, env)
        results["processes"] = summarize(
            "Whole processes (start to exit)", processes, "minimal aiosmtplib script"
        )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    saved = Path(__file__).resolve().parent / "results" / "smtp.json"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nfigures saved to {saved}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
