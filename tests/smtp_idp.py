"""A loopback HTTPS identity provider for the OAuth device-code tests.

It serves what MSAL's device-code flow calls on Microsoft Entra: the tenant's OpenID
configuration, instance discovery, the device-code endpoint and the token endpoint, over TLS
with a certificate from a CA made in the test run. The "user" signs in by posting the user
code to the verification URL, as a browser on another device would. Nothing is mocked: MSAL
talks to it over real sockets, through o365diag's own HTTP client.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from o365diag.smtp.certs import LocalCA

TENANT = "contoso.example"
CLIENT_ID = "00000000-0000-4000-8000-00000000c11e"
SMTP_SCOPE = "https://outlook.office.com/SMTP.Send"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# What the token endpoint does once the user has had a chance to act.
VERDICTS = ("approve", "decline", "expire", "never", "confidential-app", "no-consent", "html")
# What Microsoft Entra answers at the token endpoint for two common app registration mistakes.
_TOKEN_ERRORS = {
    "confidential-app": (
        "invalid_client",
        "AADSTS7000218: The request body must contain the following parameter: "
        "'client_assertion' or 'client_secret'.",
    ),
    "no-consent": (
        "invalid_grant",
        "AADSTS65001: The user or administrator has not consented to use the application.",
    ),
}


class IdentityProvider:
    """``verdict``: ``approve`` (pending until the user code is posted, then a token),
    ``decline``/``expire`` (the IdP ends the flow at the first poll), ``never``, an app
    registration mistake (``confidential-app``, ``no-consent``), or ``html`` (a proxy's page
    instead of the token endpoint's answer)."""

    def __init__(
        self,
        folder: Path,
        *,
        verdict: str = "approve",
        account: str = "scanner@example.com",
        token: str | None = None,
        tenant: str = TENANT,
        client_id: str = CLIENT_ID,
    ) -> None:
        assert verdict in VERDICTS
        self.verdict, self.account, self.tenant, self.client_id = (
            verdict,
            account,
            tenant,
            client_id,
        )
        self.token = token or "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(32)
        self.ca = LocalCA("o365diag test identity provider CA")
        self.cafile = self.ca.write_ca(folder)
        cert, key = self.ca.issue(["127.0.0.1", "localhost"]).write(folder, "idp")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.requests: list[str] = []
        self.shown: list[str] = []
        self.approved: set[str] = set()
        self.codes: dict[str, str] = {}  # device code -> user code
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        # A short poll interval lets shutdown() return quickly at the end of each test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def authority(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> IdentityProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------ the user's side
    def sign_in(self, message: str) -> None:
        """Act as the user: read the URL and code from the message, and submit the code."""
        words = message.replace(",", " ").split()
        url = next(w for w in words if w.startswith("https://"))
        code = words[words.index("code") + 1]
        body = urllib.parse.urlencode({"user_code": code}).encode()
        context = ssl.create_default_context(cafile=str(self.cafile))
        with urllib.request.urlopen(url, data=body, context=context, timeout=5) as answer:
            assert answer.status == 200

    def sign_in_later(self, delay: float = 1.2) -> Callable[[str], None]:
        """A ``show`` callback: the user signs in ``delay`` seconds after seeing the message,
        so the client has to poll while the sign-in is pending."""

        def show(message: str) -> None:
            self.shown.append(message)
            timer = threading.Timer(delay, self.sign_in, (message,))
            timer.daemon = True
            timer.start()

        return show

    # ------------------------------------------------------------ the endpoints
    def openid_configuration(self) -> dict[str, Any]:
        base = f"{self.authority}/{self.tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        }

    def answer_device_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if SMTP_SCOPE not in form.get("scope", "").split():
            return 400, _error(
                "invalid_scope",
                f"AADSTS70011: The provided value '{form.get('scope')}' for "
                "the input parameter 'scope' is not valid.",
            )
        if form.get("client_id") != self.client_id:
            return 400, _error(
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' was "
                f"not found in the directory '{self.tenant}'.",
            )
        device, user = secrets.token_urlsafe(24), secrets.token_hex(4).upper()
        self.codes[device] = user
        url = f"{self.authority}/devicelogin"
        return 200, {
            "device_code": device,
            "user_code": user,
            "verification_uri": url,
            "expires_in": 900,
            "interval": 1,
            "message": f"To sign in, use a web browser to open the page {url} and enter the "
            f"code {user} to authenticate.",
        }

    def answer_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        user_code = self.codes.get(form.get("device_code", ""))
        if form.get("grant_type") != DEVICE_GRANT or user_code is None:
            return 400, _error("bad_verification_code", "AADSTS70019: unknown device code.")
        if self.verdict == "decline":
            return 400, _error(
                "authorization_declined", "AADSTS70000: the user declined the request."
            )
        if self.verdict == "expire":
            return 400, _error("expired_token", "AADSTS70020: the device code expired.")
        if self.verdict in _TOKEN_ERRORS:
            return 400, _error(*_TOKEN_ERRORS[self.verdict])
        if user_code not in self.approved:
            return 400, _error(
                "authorization_pending",
                "AADSTS70016: the user has not yet signed in.",
            )
        return 200, self._tokens(form)

    def _tokens(self, form: dict[str, str]) -> dict[str, Any]:
        oid, tid = "11111111-2222-4333-8444-555555555555", "99999999-8888-4777-8666-555555555555"
        claims = {
            "iss": f"{self.authority}/{tid}/v2.0",
            "aud": form.get("client_id"),
            "iat": int(time.time()),
            "exp": int(time.time()) + 3600,
            "oid": oid,
            "tid": tid,
            "sub": "test-subject",
            "preferred_username": self.account,
        }
        return {
            "token_type": "Bearer",
            "scope": form.get("scope", ""),
            "expires_in": 3599,
            "access_token": self.token,
            "refresh_token": "refresh-" + secrets.token_urlsafe(16),
            "id_token": f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}))}"
            f".{_b64(json.dumps(claims))}.",
            "client_info": _b64(json.dumps({"uid": oid, "utid": tid})),
        }


def _handler_for(idp: IdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            idp.requests.append(f"GET {path}")
            if path == f"/{idp.tenant}/v2.0/.well-known/openid-configuration":
                self._json(200, idp.openid_configuration())
            elif path == "/common/discovery/instance":
                config = idp.openid_configuration()
                self._json(200, {"tenant_discovery_endpoint": config["issuer"]})
            else:
                self._json(
                    400, _error("invalid_tenant", f"AADSTS90002: Tenant '{path}' not found.")
                )

        def do_POST(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            idp.requests.append(f"POST {path}")
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            base = f"/{idp.tenant}/oauth2/v2.0"
            if path == f"{base}/devicecode":
                self._json(*idp.answer_device_code(form))
            elif path == f"{base}/token" and idp.verdict == "html":
                self._send(
                    200, "text/html", b"<html><body>Please sign in to the proxy</body></html>"
                )
            elif path == f"{base}/token":
                self._json(*idp.answer_token(form))
            elif path == "/devicelogin" and form.get("user_code") in idp.codes.values():
                idp.approved.add(form["user_code"])
                self._json(200, {"signed_in": True})
            else:
                self._json(404, _error("not_found", path))

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, "application/json", json.dumps(body).encode())

        def _send(self, status: int, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _error(error: str, description: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"{description}\r\nTrace ID: 0000\r\nTimestamp: 2026-01-01 00:00:00Z",
    }


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@contextmanager
def unanswering_listener() -> Iterator[int]:
    """A TCP port that accepts connections (kernel backlog) but never speaks: TLS hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()
