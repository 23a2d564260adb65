"""Command-line options shared by every command that calls Graph (kept light: no imports of
MSAL, polars or the network code here, so registering a command stays cheap)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_graph_options", "add_pull_options"]


def add_graph_options(parser: Any) -> None:
    group = parser.add_argument_group("Graph connection")
    group.add_argument("--tenant", help="tenant ID or domain (default: the signed-in one)")
    group.add_argument(
        "--graph-url",
        help="Graph host (default https://graph.microsoft.com; national clouds differ)",
    )
    group.add_argument(
        "--authority", help="sign-in host (default https://login.microsoftonline.com)"
    )
    group.add_argument("--cafile", metavar="PEM", help="extra CA to trust (also SSL_CERT_FILE)")
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="per request (default 60)")
    group.add_argument(
        "--token-env",
        metavar="NAME",
        help="use the access token in this environment variable (automation; no sign-in)",
    )
    group.add_argument("--client-id", help="application (client) ID of the Entra app")
    group.add_argument(
        "--cert", metavar="PEM", help="app-only sign-in with this certificate and key (PEM)"
    )
    group.add_argument(
        "--secret-env",
        metavar="NAME",
        help="app-only sign-in with the client secret in this environment variable (weaker)",
    )
    group.add_argument(
        "--secret-prompt", action="store_true", help="app-only sign-in; prompt for the secret"
    )
    # Test and tuning knobs: how long to back off when Graph gives no Retry-After.
    group.add_argument("--backoff-base", type=float, default=2.0, help=argparse.SUPPRESS)
    group.add_argument("--backoff-cap", type=float, default=60.0, help=argparse.SUPPRESS)
    group.add_argument("--throttle", help=argparse.SUPPRESS)


def add_pull_options(parser: Any, default_since: str) -> None:
    group = parser.add_argument_group("range")
    group.add_argument("--since", help=f"how far back, e.g. 10d, 36h (default {default_since})")
    group.add_argument("--start", metavar="ISO", help="first instant, inclusive (UTC if no offset)")
    group.add_argument(
        "--end", "--until", dest="end", metavar="ISO", help="last instant, exclusive"
    )
    group.add_argument("--out", metavar="DIR", help="the store folder (required with --graph)")
    group.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
