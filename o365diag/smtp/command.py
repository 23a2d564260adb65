"""``o365diag smtp ...`` (the live connection test) and ``o365diag simulate --scenario NAME``.

Only argparse and the plain name lists of ``model`` load with the parser: the SMTP stack
loads inside the run functions.
Secrets never come from argv: ``--password-env``/``--token-env``/``--token-file`` or a prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from o365diag.errors import UsageError
from o365diag.output import add_output_options, emit
from o365diag.smtp.model import (
    AUTH_MECHANISMS,
    PROFILE_NAMES,
    STOP_POINTS,
    TLS_MODES,
    TLS_VERSIONS,
)

if TYPE_CHECKING:
    from o365diag.smtp.config import ProbeConfig, Secret
    from o365diag.smtp.oauth import DeviceCodeSettings, Login
    from o365diag.smtp.probe import Probe
    from o365diag.smtp.result import SmtpResult
    from o365diag.smtp.simulator import Scenario

__all__ = ["register", "run_simulate", "run_smtp"]

_SCENARIO_HELP = "run against the built-in Office 365-like simulator (see --list-scenarios)"


def register(subparsers: Any) -> None:
    smtp = subparsers.add_parser(
        "smtp",
        allow_abbrev=False,
        help="step through a live SMTP session and diagnose where and why it fails",
        description="Run an SMTP session step by step (resolve, connect, banner, EHLO, "
        "STARTTLS, AUTH, MAIL, RCPT, DATA), show the transcript and explain the "
        "replies for the chosen Microsoft 365 sending option.",
    )
    _add_target_options(smtp)
    _add_auth_options(smtp)
    _add_oauth_options(smtp)
    _add_tls_options(smtp)
    _add_session_options(smtp)
    smtp.set_defaults(func=run_smtp)

    simulate = subparsers.add_parser(
        "simulate",
        allow_abbrev=False,
        help="run the Office 365-like SMTP simulator on loopback",
        description="Serve one scenario of the Office 365-like simulator until interrupted.",
    )
    simulate.add_argument("--scenario", default="healthy", help="scenario name (--list)")
    simulate.add_argument("--list", action="store_true", help="list the scenarios and exit")
    simulate.add_argument("--listen", default="127.0.0.1", help="address to listen on")
    simulate.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    simulate.add_argument("--tls", choices=("starttls", "implicit"), default="starttls")
    simulate.add_argument(
        "--password-env",
        metavar="VAR",
        help="take the demo password from this environment variable",
    )
    simulate.add_argument("--duration", type=float, help="stop after this many seconds")
    simulate.set_defaults(func=run_simulate)


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        default="submission",
        help="Microsoft 365 sending option",
    )
    group.add_argument(
        "--host",
        help="server name (default: smtp.office365.com for "
        "submission, the domain's MX for direct-send/relay)",
    )
    group.add_argument("--port", type=int, help="port (default 587 or 25 by profile)")
    group.add_argument(
        "--connect-address", metavar="IP", help="connect to this IP but verify TLS against --host"
    )
    group.add_argument("--domain", help="domain whose MX to use (default: first --to domain)")
    group.add_argument("--nameserver", metavar="IP[:PORT]", help="DNS server for lookups")
    group.add_argument("--from", dest="mail_from", metavar="ADDRESS", help="MAIL FROM address")
    group.add_argument(
        "--to",
        dest="rcpt_to",
        action="append",
        metavar="ADDRESS",
        help="recipient (repeat or comma-separate)",
    )


def _add_auth_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("authentication (secrets never on the command line)")
    group.add_argument("--user", help="AUTH user name (the mailbox)")
    group.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable "
        "(default: prompt when --user is given)",
    )
    group.add_argument("--token-env", metavar="VAR", help="XOAUTH2 access token variable")
    group.add_argument("--token-file", metavar="PATH", help="file holding the access token")
    group.add_argument(
        "--auth",
        dest="auth_mechanism",
        default="auto",
        choices=AUTH_MECHANISMS,
    )
    group.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="allow credentials on an unencrypted connection",
    )


def _add_oauth_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "OAuth sign-in by device code (needs the extra: pip install o365diag[oauth])"
    )
    group.add_argument(
        "--oauth-device-code",
        action="store_true",
        help="get the XOAUTH2 token by signing in on another device (a URL and a code)",
    )
    group.add_argument("--client-id", help="application (client) ID of the Entra app")
    group.add_argument(
        "--tenant", help="tenant ID or domain to sign in to (default: organizations)"
    )
    group.add_argument(
        "--oauth-scope",
        action="append",
        metavar="SCOPE",
        help="scope to ask for (default: https://outlook.office.com/SMTP.Send)",
    )
    group.add_argument(
        "--oauth-authority",
        metavar="URL",
        help="sign-in host (default: https://login.microsoftonline.com)",
    )
    group.add_argument(
        "--oauth-cafile", metavar="PATH", help="also trust this CA for the sign-in host"
    )
    group.add_argument(
        "--oauth-wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the sign-in (default 300)",
    )


def _add_tls_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("TLS")
    group.add_argument(
        "--tls",
        dest="tls_mode",
        choices=TLS_MODES,
        help="auto = STARTTLS when offered (default by profile)",
    )
    group.add_argument("--cafile", help="trust this CA file (PEM)")
    group.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the certificate (reported as a finding)",
    )
    group.add_argument("--client-cert", help="client certificate (certificate-based connector)")
    group.add_argument("--client-key", help="key of the client certificate")
    group.add_argument("--tls-name", help="name to verify the certificate against")
    group.add_argument(
        "--tls-max-version",
        choices=TLS_VERSIONS,
        help="behave like an old device limited to this TLS version",
    )


def _add_session_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("session and output")
    group.add_argument("--helo", help="EHLO name (default: this machine's host name)")
    group.add_argument("--source", dest="source_address", metavar="IP", help="local source address")
    family = group.add_mutually_exclusive_group()
    family.add_argument("-4", dest="family", action="store_const", const=4, default=0)
    family.add_argument("-6", dest="family", action="store_const", const=6)
    group.add_argument("--timeout", type=float, help="seconds per step (default 15)")
    group.add_argument(
        "--connect-timeout", type=float, metavar="SECONDS", help="TCP connect (default --timeout)"
    )
    group.add_argument(
        "--command-timeout",
        type=float,
        metavar="SECONDS",
        help="each command's reply (default --timeout)",
    )
    group.add_argument(
        "--data-timeout",
        type=float,
        metavar="SECONDS",
        help="the reply to the message (DATA; default --timeout)",
    )
    group.add_argument("--stop-after", choices=STOP_POINTS, help="end the session after this step")
    group.add_argument("--send", action="store_true", help="send a test message (DATA)")
    add_output_options(group, "o365diag.smtp/1")
    group.add_argument("--no-transcript", action="store_true", help="hide the transcript")
    group.add_argument("--demo", metavar="SCENARIO", help=_SCENARIO_HELP)
    group.add_argument(
        "--list-scenarios", action="store_true", help="list the simulator's scenarios and exit"
    )


# ---------------------------------------------------------------- smtp
def run_smtp(args: argparse.Namespace) -> int:
    import asyncio

    if args.list_scenarios:
        return _list_scenarios(sys.stdout)
    login = None
    if args.oauth_device_code:
        login = _sign_in(args)
    else:
        _no_oauth_options(args)
    report = asyncio.run(_smtp_session(args, login))
    _write_outputs(report, args)
    return 1 if report.model.outcome == "failed" else 0


async def _smtp_session(args: argparse.Namespace, login: Login | None) -> SmtpResult:
    if args.demo:
        return await _demo_session(args, login)
    return await _run_live(_make_probe(_config_from_args(args, login), login), args, login)


def _make_probe(config: ProbeConfig, login: Login | None) -> Probe:
    """The probe for ``config``; when the OAuth sign-in failed, one that never starts."""
    from o365diag.smtp.probe import Probe

    if login is None or login.token is not None:
        return Probe(config)
    probe = Probe(config.with_changes(username=None, password=None, token=None))
    probe.block("the OAuth sign-in failed")
    return probe


async def _demo_session(args: argparse.Namespace, login: Login | None) -> SmtpResult:
    from o365diag.smtp.simulator import Simulator

    scenario = _scenario(args.demo)
    password = _secret_from_env(args.password_env, "--password-env")
    token = _token_from_args(args, login)
    overrides: dict[str, Any] = {"stop_after": args.stop_after, "send": args.send}
    overrides.update(_timeouts(args))
    if login is not None and login.token is not None:
        overrides.update(auth_mechanism="xoauth2", token=login.token, password=None)
    simulator = Simulator(
        scenario,
        password=password.reveal() if password else None,
        token=token.reveal() if token else None,
    )
    async with simulator:
        if not args.json:
            print(
                f"demo: scenario {scenario.name} ({scenario.title}); simulator on "
                f"{simulator.host}:{simulator.port}",
                flush=True,
            )
        probe = _make_probe(simulator.client_config(**overrides), login)
        return await _run_live(probe, args, login)


def _scenario(name: str) -> Scenario:
    from o365diag.smtp.simulator import get_scenario

    return get_scenario(name)


def _config_from_args(args: argparse.Namespace, login: Login | None) -> ProbeConfig:
    from o365diag.smtp.config import ProbeConfig

    if not args.mail_from or not args.rcpt_to:
        raise UsageError("--from and --to are required (or use --demo SCENARIO)")
    token = _token_from_args(args, login)
    username = args.user or (login.attempt.account if login else None)
    if login is not None and login.token is not None and not username:
        raise UsageError("the token names no account: give the mailbox with --user")
    password = None
    if args.user and token is None and login is None:
        password = _secret_from_env(args.password_env, "--password-env") or _prompt_password(
            args.user
        )
    settings: dict[str, Any] = {
        "mail_from": args.mail_from,
        "rcpt_to": tuple(_split_addresses(args.rcpt_to)),
        "profile": args.profile,
        "host": args.host,
        "port": args.port,
        "connect_address": args.connect_address,
        "domain": args.domain,
        "nameserver": args.nameserver,
        "username": username,
        "password": password,
        "token": token,
        "auth_mechanism": args.auth_mechanism,
        "tls_mode": args.tls_mode,
        "cafile": args.cafile,
        "insecure": args.insecure,
        "client_cert": args.client_cert,
        "client_key": args.client_key,
        "tls_name": args.tls_name,
        "tls_max_version": args.tls_max_version,
        "helo": args.helo,
        "source_address": args.source_address,
        "family": args.family,
        "stop_after": args.stop_after,
        "send": args.send,
        "allow_plaintext_auth": args.allow_plaintext_auth,
    }
    settings.update(_timeouts(args))
    return ProbeConfig(**settings)


def _timeouts(args: argparse.Namespace) -> dict[str, float]:
    names = ("timeout", "connect_timeout", "command_timeout", "data_timeout")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _split_addresses(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _secret_from_env(variable: str | None, option: str) -> Secret | None:
    from o365diag.smtp.config import Secret

    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        # The name is not echoed: a user may have typed the secret itself by mistake.
        raise UsageError(f"the environment variable named by {option} is not set or empty")
    return Secret(_utf8_secret(value, f"the environment variable named by {option}"))


def _utf8_secret(value: str, where: str) -> str:
    """The secret, refused when it cannot be sent: AUTH carries UTF-8, and an environment
    value that is not UTF-8 arrives with its bytes escaped as surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"{where} is not valid UTF-8 text: set it again from a UTF-8 terminal or file"
        ) from None
    return value


def _token_from_args(args: argparse.Namespace, login: Login | None = None) -> Secret | None:
    from o365diag.smtp.config import Secret

    if login is not None:
        return login.token
    if args.token_env:
        return _secret_from_env(args.token_env, "--token-env")
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as handle:
                value = handle.read().strip()
        except OSError as exc:
            raise UsageError(f"cannot read --token-file: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError("--token-file is not UTF-8 text") from None
        if not value:
            raise UsageError("--token-file is empty")
        return Secret(value)
    return None


def _prompt_password(user: str) -> Secret:
    import getpass

    from o365diag.smtp.config import Secret

    try:
        if sys.stdin is None or not sys.stdin.isatty():
            value = sys.stdin.readline().rstrip("\r\n") if sys.stdin else ""
        else:
            value = getpass.getpass(f"Password for {user}: ")
    except UnicodeDecodeError:
        raise UsageError("the password given on standard input is not valid UTF-8") from None
    if not value:
        raise UsageError("no password given (use --password-env VAR or type it at the prompt)")
    return Secret(_utf8_secret(value, "the password given on standard input"))


# ---------------------------------------------------------------- OAuth sign-in
_OAUTH_ONLY = ("client_id", "tenant", "oauth_scope", "oauth_authority", "oauth_cafile")


def _no_oauth_options(args: argparse.Namespace) -> None:
    given = [name for name in _OAUTH_ONLY if getattr(args, name) is not None]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(f"{option} is only used with --oauth-device-code")


def _sign_in(args: argparse.Namespace) -> Login:
    """Check the options, then run the device-code sign-in (blocks while the user signs in)."""
    from o365diag.smtp.oauth import MsalMissing, device_code_login

    settings = _device_code_settings(args)
    if not args.demo:  # refuse bad session options now, not after the user has signed in
        _make_probe(_config_from_args(args, _stand_in_login(settings)), None)
    out = sys.stderr if args.json else sys.stdout

    def show(message: str) -> None:
        print(
            f"{message}\n(waiting up to {settings.wait:g} s for the sign-in)", file=out, flush=True
        )

    try:
        login = device_code_login(settings, show)
    except MsalMissing as exc:
        raise UsageError(str(exc)) from None
    if not args.json:
        print(_oauth_step_line(login), flush=True)
    return login


def _device_code_settings(args: argparse.Namespace) -> DeviceCodeSettings:
    from o365diag.smtp.oauth import DEFAULT_AUTHORITY, DEFAULT_TENANT, DeviceCodeSettings

    if not args.client_id:
        raise UsageError("--oauth-device-code needs --client-id (the app registration's ID)")
    for option, value in (
        ("--token-env", args.token_env),
        ("--token-file", args.token_file),
        ("--password-env", args.password_env),
    ):
        if value:
            raise UsageError(f"--oauth-device-code gets the token itself: drop {option}")
    if args.auth_mechanism not in ("auto", "xoauth2"):
        raise UsageError("--oauth-device-code signs in with XOAUTH2: drop --auth")
    authority = args.oauth_authority or DEFAULT_AUTHORITY
    if not authority.lower().startswith("https://"):
        raise UsageError("--oauth-authority must be an https:// URL")
    if not args.oauth_wait > 0:
        raise UsageError("--oauth-wait must be a positive number of seconds")
    if args.oauth_cafile and not os.path.isfile(args.oauth_cafile):
        raise UsageError("cannot read --oauth-cafile")
    settings = DeviceCodeSettings(
        client_id=args.client_id,
        tenant=args.tenant or DEFAULT_TENANT,
        authority=authority,
        wait=args.oauth_wait,
        cafile=args.oauth_cafile,
    )
    if args.oauth_scope:
        settings = settings._replace(scopes=tuple(args.oauth_scope))
    if args.timeout is not None:
        settings = settings._replace(timeout=args.timeout)
    return settings


def _stand_in_login(settings: DeviceCodeSettings) -> Login:
    """A successful sign-in's shape, for checking the other options before the real one."""
    from o365diag.smtp.config import Secret
    from o365diag.smtp.oauth import Login, TokenAttempt

    attempt = TokenAttempt(
        settings.authority_url, settings.client_id, settings.scopes, 0.0, account="a@example.com"
    )
    return Login(Secret("stand-in"), attempt)


def _oauth_step_line(login: Login) -> str:
    from o365diag.smtp.model import StepResult
    from o365diag.smtp.render import step_line

    attempt = login.attempt
    if attempt.ok:
        who = attempt.account or "the signed-in account"
        step = StepResult("oauth", "ok", detail=f"access token for {who}")
    else:
        step = StepResult("oauth", "failed", detail=attempt.detail)
    step.elapsed_ms = attempt.elapsed_ms
    return step_line(step)


# ---------------------------------------------------------------- live output
async def _run_live(
    probe: Probe, args: argparse.Namespace, login: Login | None = None
) -> SmtpResult:
    from o365diag.smtp.render import step_line

    live = None if args.json else sys.stdout
    spinner = _Spinner(sys.stderr) if sys.stderr.isatty() else None
    if login is not None:
        probe.recorder.info(login.attempt.summary(), error=not login.attempt.ok)
    try:
        while True:
            result = await probe.step(on_start=spinner.start if spinner else None)
            if spinner:
                await spinner.stop()
            if result is None:
                break
            if live is not None:
                print(step_line(result), file=live, flush=True)
    finally:
        if spinner:
            await spinner.stop()
        await probe.aclose()
    report = probe.report()
    if login is not None:
        from o365diag.smtp.oauth import add_to_report

        add_to_report(report, login.attempt, probe.config.username)
    return report


class _Spinner:
    """A one-line spinner on a terminal while a step runs."""

    FRAMES = "|/-\\"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._task: Any = None
        self._width = 0

    def start(self, name: str) -> None:
        import asyncio

        self._task = asyncio.get_running_loop().create_task(self._spin(name))

    async def _spin(self, name: str) -> None:
        import asyncio

        frame = 0
        while True:
            text = f"\r{self.FRAMES[frame % 4]} {name}..."
            self._width = len(text)
            self.stream.write(text)
            self.stream.flush()
            frame += 1
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        import asyncio
        import contextlib

        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        # Spaces rather than an ANSI erase, which older Windows consoles print as text.
        self.stream.write("\r" + " " * self._width + "\r")
        self.stream.flush()


def _write_outputs(report: SmtpResult, args: argparse.Namespace) -> None:
    if not args.json:
        print()
    emit(report, args, report.to_text(transcript=not args.no_transcript))


def _list_scenarios(out: TextIO) -> int:
    from o365diag.smtp.simulator import SCENARIOS

    for scenario in SCENARIOS.values():
        print(
            f"{scenario.name:<20} {scenario.profile:<12} {scenario.expect:<18} {scenario.title}",
            file=out,
        )
    return 0


# ---------------------------------------------------------------- simulate
def run_simulate(args: argparse.Namespace) -> int:
    import asyncio

    if args.list:
        return _list_scenarios(sys.stdout)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        raise UsageError(f"cannot listen: {exc.strerror or exc}") from None
    return 0


async def _serve(args: argparse.Namespace) -> None:
    import asyncio

    from o365diag.smtp.simulator import DEMO_USER, Simulator

    scenario = _scenario(args.scenario)
    password = _secret_from_env(args.password_env, "--password-env")
    simulator = Simulator(
        scenario,
        host=args.listen,
        port=args.port,
        tls=args.tls,
        password=password.reveal() if password else None,
    )
    async with simulator:
        shown = f"(from ${args.password_env})" if password else simulator.password
        lines = [
            f"o365diag simulator: scenario {scenario.name} ({scenario.title})",
            f"listening on {simulator.host}:{simulator.port} ({args.tls}), "
            f"acting as {simulator.public_name}",
            f"CA file: {simulator.cafile}",
            f"demo user: {DEMO_USER}  password: {shown}",
            f"try: o365diag smtp --profile {scenario.profile} --host {simulator.public_name} "
            f"--connect-address {simulator.host} --port {simulator.port} "
            f"--cafile {simulator.cafile} --from {DEMO_USER} --to colleague@example.com",
        ]
        print("\n".join(lines), flush=True)
        if args.duration is not None:
            await asyncio.sleep(args.duration)
        else:
            await asyncio.Event().wait()
