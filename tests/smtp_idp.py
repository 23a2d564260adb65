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
VERDICTS = (
    "approve",
    "decline",
    "expire",
    "never",
    "confidential-app",
    "no-consent",
    "html",
    "ca-blocked",
)
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
    "ca-blocked": (
        "invalid_grant",
        "AADSTS53003: Access has been blocked by Conditional Access policies.",
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
        scopes: tuple[str, ...] = (SMTP_SCOPE,),
        client_secret: str | None = None,
        app_certificate: Any = None,
        ca: LocalCA | None = None,
    ) -> None:
        assert verdict in VERDICTS
        self.verdict, self.account, self.tenant, self.client_id = (
            verdict,
            account,
            tenant,
            client_id,
        )
        self.token = token or "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(32)
        # Scopes it grants, and the credentials of a confidential app (secret or certificate).
        self.scopes, self.client_secret, self.app_certificate = (
            scopes,
            client_secret,
            app_certificate,
        )
        self.issued: set[str] = set()  # every access token handed out (a resource server's view)
        self.refresh_tokens: set[str] = set()
        self.auth_codes: dict[str, dict[str, str]] = {}
        self.ca = ca or LocalCA("o365diag test identity provider CA")
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

    def _scope_ok(self, scope: str) -> bool:
        return any(s in self.scopes for s in scope.split())

    def answer_device_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not self._scope_ok(form.get("scope", "")):
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
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, _error("invalid_grant", "AADSTS70000: refresh token not valid.")
            return 200, self._tokens(form, fresh=True)
        if grant == "client_credentials":
            return self._client_credentials(form)
        if grant == "authorization_code":
            return self._authorization_code(form)
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

    def _new_access_token(self, fresh: bool = False) -> str:
        """``self.token`` for a sign-in; a new token for a refresh, or an app's next one."""
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(32) if fresh else self.token
        self.issued.add(token)
        return token

    def _new_refresh_token(self) -> str:
        token = "refresh-" + secrets.token_urlsafe(16)
        self.refresh_tokens.add(token)
        return token

    def _client_credentials(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id or not self._scope_ok(form.get("scope", "")):
            return 400, _error("unauthorized_client", "AADSTS700016: unknown app or scope.")
        if not self._client_authenticated(form):
            return 401, _error("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        return 200, {
            "token_type": "Bearer",
            "expires_in": 3599,
            "access_token": self._new_access_token(fresh=self.token in self.issued),
        }

    def _client_authenticated(self, form: dict[str, str]) -> bool:
        if self.client_secret is not None and form.get("client_secret") == self.client_secret:
            return True
        assertion = form.get("client_assertion")
        if self.app_certificate is None or not assertion:
            return False
        import jwt

        try:
            jwt.decode(
                assertion,
                self.app_certificate.public_key(),
                algorithms=["RS256", "PS256"],
                audience=self.openid_configuration()["token_endpoint"],
            )
        except jwt.PyJWTError:
            return False
        return True

    def authorize(self, query: dict[str, str]) -> str:
        """The browser's visit to the authorize endpoint: the user is signed in at once and
        sent back to the app's redirect URI with a code."""
        code = secrets.token_urlsafe(16)
        self.auth_codes[code] = query
        back = {"code": code, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}"

    def _authorization_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        import hashlib

        asked = self.auth_codes.pop(form.get("code", ""), None)
        if asked is None or asked.get("redirect_uri") != form.get("redirect_uri"):
            return 400, _error("invalid_grant", "AADSTS70008: the code is not valid.")
        verifier = form.get("code_verifier", "").encode()
        challenge = _b64(hashlib.sha256(verifier).digest().decode("latin-1"))
        if asked.get("code_challenge_method") != "S256" or asked.get("code_challenge") != challenge:
            return 400, _error("invalid_grant", "AADSTS501481: the code verifier does not match.")
        return 200, self._tokens(form, nonce=asked.get("nonce"))

    def _tokens(
        self, form: dict[str, str], fresh: bool = False, nonce: str | None = None
    ) -> dict[str, Any]:
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
        if nonce:
            claims["nonce"] = nonce
        return {
            "token_type": "Bearer",
            "scope": form.get("scope", ""),
            "expires_in": 3599,
            "access_token": self._new_access_token(fresh),
            "refresh_token": self._new_refresh_token(),
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
            elif path == f"/{idp.tenant}/oauth2/v2.0/authorize":
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                self.send_response(302)
                self.send_header("Location", idp.authorize(query))
                self.send_header("Content-Length", "0")
                self.end_headers()
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
    return base64.urlsafe_b64encode(text.encode("latin-1")).decode().rstrip("=")


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
