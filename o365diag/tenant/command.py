"""``o365diag tenant login|status|logout|check``, ``trace --graph``, ``signins`` and
``collect-script``: the tenant connector on the command line."""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from o365diag.errors import UsageError
from o365diag.output import add_output_options, emit
from o365diag.tenant.options import add_graph_options, add_pull_options

if TYPE_CHECKING:
    from o365diag.findings import Report
    from o365diag.result import Result
    from o365diag.tenant.auth import Connection
    from o365diag.tenant.graph import GraphClient, TokenSource
    from o365diag.tenant.result import PullResult

ResultT = TypeVar("ResultT", bound="Result")

__all__ = ["pull_policies_store", "pull_store", "register", "run_trace_pull"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tenant",
        help="sign in to a Microsoft 365 tenant (read-only Graph) and check the prerequisites",
        description="Sign in once (device code, browser, certificate or client secret), show "
        "or forget the sign-in, and check what message trace and sign-in pulls need.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    login = actions.add_parser("login", help="sign in and keep the token cache")
    login.add_argument("--browser", action="store_true", help="browser sign-in (loopback)")
    login.add_argument("--wait", type=float, default=300.0, help=argparse.SUPPRESS)
    add_graph_options(login)
    login.set_defaults(func=run_login)
    status = actions.add_parser("status", help="account, tenant, scopes, expiry (no token)")
    add_graph_options(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=run_status)
    logout = actions.add_parser("logout", help="forget the sign-in and delete the cache")
    add_graph_options(logout)
    logout.set_defaults(func=run_logout)
    check = actions.add_parser("check", help="check permissions, service principal, licence")
    add_graph_options(check)
    add_output_options(check, "o365diag.tenant-check/1")
    check.set_defaults(func=run_check)
    policies = actions.add_parser(
        "policies",
        help="read security defaults and Conditional Access policies (read-only) into --out",
        description="Read the tenant's security defaults and every Conditional Access policy "
        "(Policy.Read.All; Conditional Access needs Entra ID P1) into DIR/graph-policies.json, "
        "which o365diag cutover reads. A part Graph refuses (403) is recorded as not read.",
    )
    policies.add_argument("--out", metavar="DIR", help="the folder for graph-policies.json")
    add_graph_options(policies)
    add_output_options(policies, "o365diag.pull/1")
    policies.set_defaults(func=run_policies)
    parser.set_defaults(func=lambda _args: _help(parser))
    register_signins(subparsers)
    register_collect(subparsers)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


# ---------------------------------------------------------------- connections
def _home() -> Path:
    from o365diag.tenant.auth import o365diag_home

    return o365diag_home()


def _connection(args: argparse.Namespace, *, for_login: bool = False) -> Connection:
    """The connection from the arguments, on top of the tenant's saved profile."""
    from o365diag.tenant.auth import Connection, load_profile

    profile = load_profile(_home(), args.tenant)
    app_only = bool(args.cert or args.secret_env or args.secret_prompt)
    if profile is None or for_login or app_only:
        if not args.tenant:
            raise UsageError("name the tenant with --tenant (its ID or a verified domain)")
        client_id = args.client_id or (profile.client_id if profile else None)
        if not client_id:
            raise UsageError("--client-id is needed: the Entra app registration's ID")
        mode = "certificate" if args.cert else "secret" if app_only else "delegated"
        profile = Connection(args.tenant, client_id, mode)
        if args.cert:
            profile.cert = str(Path(args.cert).resolve())
        profile.secret_env = args.secret_env
    for name in ("authority", "graph_url", "cafile", "timeout"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(profile, name, value)
    return profile


def _tokens(args: argparse.Namespace, connection: Connection | None) -> TokenSource:
    from o365diag.tenant.auth import EnvToken, MsalTokens

    if args.token_env:
        return EnvToken(args.token_env)
    assert connection is not None
    return MsalTokens(connection, _home(), secret=_prompt_secret if args.secret_prompt else None)


def _prompt_secret() -> str:
    return getpass.getpass("Client secret: ")


def _tenant_of(args: argparse.Namespace, tokens: TokenSource, connection: Connection | None) -> str:
    if args.tenant:
        return str(args.tenant)
    if connection is not None:
        return connection.tenant
    tenant = _token_tenant(tokens.token())
    if not tenant:
        raise UsageError("--tenant is needed: the token does not name its tenant")
    return tenant


def _token_tenant(token: str) -> str | None:
    """The ``tid`` claim of a JWT access token (read, not verified: Graph verifies it)."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    tid = claims.get("tid") if isinstance(claims, dict) else None
    return str(tid) if tid else None


def _client(args: argparse.Namespace, kind: str) -> tuple[GraphClient, str, Connection | None]:
    from o365diag.tenant.graph import GraphClient, GraphSettings, budget_for
    from o365diag.tenant.pull import THROTTLE

    connection = None if args.token_env else _connection(args)
    tokens = _tokens(args, connection)
    tenant = _tenant_of(args, tokens, connection)
    limit, period = _throttle(args.throttle) if args.throttle else THROTTLE.get(kind, (100, 300.0))
    settings = GraphSettings(
        graph_url=args.graph_url
        or (connection.graph_url if connection else None)
        or "https://graph.microsoft.com",
        timeout=args.timeout or 60.0,
        cafile=args.cafile or (connection.cafile if connection else None),
        backoff_base=args.backoff_base,
        backoff_cap=args.backoff_cap,
    )
    client = GraphClient(settings, tokens, budget_for((kind, tenant.lower()), limit, period))
    return client, tenant, connection


def _throttle(text: str) -> tuple[int, float]:
    try:
        limit, period = text.split("/")
        return int(limit), float(period)
    except ValueError:
        raise UsageError("--throttle is REQUESTS/SECONDS, e.g. 100/300") from None


def _exit_code(report: Report) -> int:
    from o365diag.findings import Severity

    incomplete = report.data.get("complete") is False
    return 1 if incomplete or report.worst >= Severity.ERROR else 0


def _failure(result_type: type[ResultT], exc: Exception, data: dict[str, Any]) -> ResultT:
    """The result of a command that could not reach Graph at all: what was asked (``data``,
    loaded into the result's model, so every other key takes its empty value), ``complete``
    False, and one finding that says why."""
    from o365diag.findings import catalogue_finding
    from o365diag.typed import load

    code = getattr(exc, "code", "tenant.graph-error")
    detail = getattr(exc, "detail", str(exc))
    finding = catalogue_finding("tenant_findings", code, {"detail": detail})
    assert result_type.MODEL is not None
    model = load(result_type.MODEL, {**data, "complete": False})
    return result_type.from_model(model, [finding])


# ---------------------------------------------------------------- login, status, logout
# Entra's answer when a Conditional Access policy blocks the sign-in (e.g. the device code flow).
_CA_BLOCK = "AADSTS53003"


def run_login(args: argparse.Namespace) -> int:
    from o365diag.tenant.auth import MsalTokens
    from o365diag.tenant.graph import GraphError

    connection = _connection(args, for_login=True)
    try:
        tokens = MsalTokens(
            connection, _home(), secret=_prompt_secret if args.secret_prompt else None
        )
        if connection.mode != "delegated":
            outcome = tokens.login_app()
        elif args.browser:
            outcome = tokens.login_browser(_open_browser, args.wait)
        else:
            outcome = tokens.login_device_code(_show, args.wait)
    except GraphError as exc:
        hint = ""
        if connection.mode == "delegated" and not args.browser and _CA_BLOCK in exc.detail:
            hint = " (Conditional Access may block device code sign-in: try --browser)"
        print(f"o365diag tenant login: {exc.detail}{hint}", file=sys.stderr)
        return 1
    who = outcome.get("account") or f"app {connection.client_id}"
    print(f"Signed in to {connection.tenant} as {who} ({connection.mode}).")
    status = tokens.status()
    print(f"Token cache: {status['cache']['path']} ({status['cache']['protection']})")
    if connection.mode == "secret":
        print("Note: a client secret is weaker than a certificate (see o365diag tenant check).")
    return 0


def _show(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _open_browser(url: str) -> None:
    import webbrowser

    print(f"Opening the sign-in page; if no browser opens, visit:\n{url}", file=sys.stderr)
    webbrowser.open(url)


def run_status(args: argparse.Namespace) -> int:
    from o365diag.tenant.auth import MsalTokens, load_profile
    from o365diag.tenant.graph import GraphError

    profile = load_profile(_home(), args.tenant)
    if profile is None:
        print("Not signed in. Sign in with: o365diag tenant login --tenant T --client-id ID")
        return 1
    try:
        status = MsalTokens(profile, _home(), secret=lambda: "-").status()
    except GraphError as exc:
        print(f"o365diag tenant status: {exc.detail}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"schema": "o365diag.tenant-status/1", **status}, indent=2))
        return 0
    for name in ("tenant", "account", "mode", "client_id", "authority", "graph_url", "expires"):
        print(f"{name:>10}: {status[name]}")
    print(f"{'scopes':>10}: {' '.join(status['scopes'])}")
    print(f"{'cache':>10}: {status['cache']['path']} ({status['cache']['protection']})")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    from o365diag.tenant.auth import MsalTokens, load_profile
    from o365diag.tenant.graph import GraphError

    profile = load_profile(_home(), args.tenant)
    if profile is None:
        print("Not signed in: nothing to forget.")
        return 0
    try:
        MsalTokens(profile, _home(), secret=lambda: "-").logout()
    except GraphError as exc:
        print(f"o365diag tenant logout: {exc.detail}", file=sys.stderr)
        return 1
    print(f"Signed out of {profile.tenant}; the token cache is deleted.")
    return 0


# ---------------------------------------------------------------- check
def run_check(args: argparse.Namespace) -> int:
    from o365diag.tenant.check import check_tenant
    from o365diag.tenant.graph import GraphError
    from o365diag.tenant.result import TenantCheckResult

    try:
        client, tenant, connection = _client(args, "check")
    except GraphError as exc:
        emit(_failure(TenantCheckResult, exc, {"tenant": args.tenant}), args)
        return 1
    sign_in = getattr(client.tokens, "status", None)
    mode = connection.mode if connection else "token"
    report = check_tenant(client, tenant, mode, sign_in() if sign_in else None)
    emit(report, args)
    return _exit_code(report)


# ---------------------------------------------------------------- policies
def run_policies(args: argparse.Namespace) -> int:
    if not args.out:
        raise UsageError("tenant policies needs --out DIR (the folder for graph-policies.json)")
    return _finish(pull_policies_store(args, Path(args.out)), args)


def pull_policies_store(args: argparse.Namespace, out: Path) -> Result:
    """Security defaults and Conditional Access policies into ``out/graph-policies.json``."""
    from o365diag.tenant.graph import GraphError
    from o365diag.tenant.policies import pull_policies
    from o365diag.tenant.result import PullResult

    try:
        client, tenant, _ = _client(args, "policies")
    except GraphError as exc:
        return _failure(PullResult, exc, {"kind": "policies", "asked": {}})
    return pull_policies(client, tenant, out)


# ---------------------------------------------------------------- trace --graph
def run_trace_pull(args: argparse.Namespace) -> int:
    if args.inputs:
        raise UsageError("--graph pulls from Graph: give no input files with it")
    if args.details < 0:
        raise UsageError("--details takes a number of messages, 0 or more")
    return _run_pull(args, "messageTrace")


def _pull_filters(args: argparse.Namespace, kind: str) -> dict[str, str | None]:
    from o365diag.tenant.pull import canonical_status

    if kind != "messageTrace":
        return {}
    status = canonical_status(args.status) if args.status else None
    return {
        "sender": _lower(args.sender),
        "recipient": _lower(args.recipient),
        "status": status,
        "from_ip": args.from_ip,
    }


def _run_pull(args: argparse.Namespace, kind: str) -> int:
    """``trace --graph`` and ``signins --graph``: one pull into ``--out``."""
    from o365diag.tenant.graph import GraphError
    from o365diag.tenant.pull import plan_pull, pull_range
    from o365diag.tenant.result import PullResult

    if not args.out:
        raise UsageError("--graph needs --out DIR (the store folder)")
    filters = _pull_filters(args, kind)
    pull_range(kind, args.since, args.start, args.end, datetime.now(UTC))  # usage errors first
    asked = {"since": args.since, "start": args.start, "end": args.end, "filters": filters}
    try:
        client, tenant, _ = _client(args, kind)
    except GraphError as exc:
        return _finish(_failure(PullResult, exc, {"kind": kind, "asked": asked}), args)
    job = plan_pull(
        kind,
        tenant,
        args.out,
        since=args.since,
        start=args.start,
        end=args.end,
        filters=filters,
        details=getattr(args, "details", 0),
    )
    line = _ProgressLine(enabled=not args.no_progress and not args.json)
    try:
        report = job.run(client, line)
    finally:
        line.close()
    return _finish(report, args)


def pull_store(args: argparse.Namespace, kind: str, since: str, out: Path) -> PullResult:
    """One unfiltered pull of the last ``since`` into ``out`` (for commands that assess the
    stores afterwards, such as ``cutover --graph``); its report says whether it completed."""
    from o365diag.tenant.graph import GraphError
    from o365diag.tenant.pull import plan_pull
    from o365diag.tenant.result import PullResult

    try:
        client, tenant, _ = _client(args, kind)
    except GraphError as exc:
        return _failure(PullResult, exc, {"kind": kind, "asked": {"since": since}})
    job = plan_pull(kind, tenant, out, since=since)
    line = _ProgressLine(enabled=not args.no_progress and not args.json)
    try:
        return job.run(client, line)
    finally:
        line.close()


def pull_failed(report: Result) -> str | None:
    """Why a pull is incomplete or failed (its worst finding's title), or None when it is fine."""
    if not _exit_code(report):
        return None
    worst = report.sorted_findings()[0] if report.findings else None
    return worst.title if worst else "incomplete"


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _finish(report: Result, args: argparse.Namespace) -> int:
    emit(report, args)
    code = _exit_code(report)
    if code:
        worst = report.sorted_findings()[0] if report.findings else None
        reason = worst.title if worst else "incomplete"
        print(f"o365diag {args.command}: stopped: {reason}", file=sys.stderr)
    return code


class _ProgressLine:
    """One line on stderr, rewritten in place (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        sys.stderr.write("\r" + progress.line()[:110].ljust(110))
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r" + " " * 110 + "\r")
            sys.stderr.flush()


# ---------------------------------------------------------------- signins
def register_signins(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "signins",
        help="SMTP AUTH sign-ins: pull them from Graph, or read the Entra portal's downloads",
        description="With --graph: pull the SMTP AUTH sign-ins (clientAppUsed 'Authenticated "
        "SMTP'), interactive and non-interactive, into a Parquet store (needs Entra ID P1/P2). "
        "Without: read the Entra admin center's sign-in downloads (CSV or JSON, detected by "
        "their columns) or such a store, and summarise who still signs in with SMTP AUTH.",
    )
    parser.add_argument("inputs", nargs="*", metavar="FILE", help="portal CSV/JSON or a store")
    parser.add_argument("--graph", action="store_true", help="pull from Microsoft Graph into --out")
    add_output_options(parser, "o365diag.signins/1; with --graph o365diag.pull/1")
    add_pull_options(parser, "30d")
    add_graph_options(parser)
    parser.set_defaults(func=run_signins)


def run_signins(args: argparse.Namespace) -> int:
    if args.graph:
        return _run_pull(args, "signIns")
    if not args.inputs:
        raise UsageError("give sign-in downloads (CSV or JSON), a store folder, or --graph")
    from o365diag.tenant.signin_report import signins_report

    report = signins_report(args.inputs)
    emit(report, args)
    return _exit_code(report)


# ---------------------------------------------------------------- collect-script
def register_collect(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "collect-script",
        help="write a read-only PowerShell script that exports the Exchange settings to audit",
        description="Write one read-only ExchangeOnlineManagement script that exports the "
        "transport config, CAS mailboxes, users' authentication policies, authentication "
        "policies, organization config, connectors, connection filter and accepted domains "
        "as ConvertTo-Json files into one folder; then run: o365diag audit FOLDER.",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.set_defaults(func=run_collect_script)


def run_collect_script(args: argparse.Namespace) -> int:
    from o365diag import __version__
    from o365diag.tenant.collect import collect_script

    script = collect_script(__version__)
    if not args.output:
        sys.stdout.write(script)
        return 0
    try:
        # UTF-8 with a BOM: Windows PowerShell 5.1 reads a file without one as ANSI.
        Path(args.output).write_text(script, encoding="utf-8-sig", newline="\r\n")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"Wrote {args.output}. Run it in PowerShell, then: o365diag audit o365diag-export")
    return 0
