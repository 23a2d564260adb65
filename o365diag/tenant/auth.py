"""Signing in to a tenant for Graph, on MSAL: device code, browser, certificate or secret.

``o365diag tenant login`` stores a connection profile (tenant, app, authority, how to sign
in: never a secret) and MSAL's token cache, encrypted where the system offers a key store
(through msal-extensions) and otherwise a file only its owner can read (mode 0600). Later
commands take tokens from that cache silently, refreshing them as needed. ``--token-env``
skips all of this: the token comes from an environment variable, for automation.

No function here prints, logs or returns a token in anything a user sees: tokens leave
this module only through :meth:`MsalTokens.token`, into an Authorization header.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from o365diag.errors import UsageError
from o365diag.tenant.graph import DEFAULT_GRAPH_URL, GraphError

__all__ = [
    "DEFAULT_AUTHORITY",
    "DELEGATED_PERMISSIONS",
    "Connection",
    "EnvToken",
    "MsalTokens",
    "o365diag_home",
]

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DELEGATED_PERMISSIONS = (
    "ExchangeMessageTrace.Read.All",
    "AuditLog.Read.All",
    "Directory.Read.All",
    "Policy.Read.All",  # security defaults and Conditional Access (cutover --graph)
)
MODES = ("delegated", "certificate", "secret")
SECRET_ENV = "O365DIAG_CLIENT_SECRET"


def o365diag_home() -> Path:
    """Where profiles and token caches live (``O365DIAG_HOME`` overrides it)."""
    if os.environ.get("O365DIAG_HOME"):
        return Path(os.environ["O365DIAG_HOME"])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "o365diag"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "o365diag"


@dataclass
class Connection:
    """How to reach one tenant; saved as the tenant's profile (no secret in it)."""

    tenant: str
    client_id: str
    mode: str = "delegated"
    authority: str = DEFAULT_AUTHORITY
    graph_url: str = DEFAULT_GRAPH_URL
    cert: str | None = None
    secret_env: str | None = None
    cafile: str | None = None
    timeout: float = 30.0
    account: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scopes(self) -> list[str]:
        base = self.graph_url.rstrip("/")
        if self.mode == "delegated":
            return [f"{base}/{name}" for name in DELEGATED_PERMISSIONS]
        return [f"{base}/.default"]

    @property
    def authority_url(self) -> str:
        return f"{self.authority.rstrip('/')}/{self.tenant}"


def _profile_folder(home: Path) -> Path:
    return home / "tenants"


def _safe(tenant: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in tenant.lower())


def save_profile(connection: Connection, home: Path) -> Path:
    folder = _profile_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe(connection.tenant)}.json"
    path.write_text(json.dumps(asdict(connection), indent=1), encoding="utf-8")
    return path


def load_profile(home: Path, tenant: str | None) -> Connection | None:
    """The profile of ``tenant``, or the only one there is when no tenant is named."""
    folder = _profile_folder(home)
    if tenant:
        paths = [folder / f"{_safe(tenant)}.json"]
    else:
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if len(paths) > 1:
            names = ", ".join(p.stem for p in paths)
            raise UsageError(f"several tenants are signed in ({names}): name one with --tenant")
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Connection(**data)
        except FileNotFoundError:
            continue
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"cannot read the profile {path}: {exc}") from None
    return None


# ---------------------------------------------------------------- the token cache
class CacheFile:
    """MSAL's cache on disk: encrypted through msal-extensions where possible, else a plain
    file created with mode 0600."""

    def __init__(self, msal: Any, path: Path) -> None:
        self.path = path
        self.cache = msal.SerializableTokenCache()
        self._persistence = _encrypted_persistence(path)
        self.protection = (
            f"encrypted ({type(self._persistence).__name__})"
            if self._persistence is not None
            else "file mode 0600"
        )
        text = self._read()
        if text:
            with contextlib.suppress(ValueError):
                self.cache.deserialize(text)

    def _read(self) -> str | None:
        try:
            if self._persistence is not None:
                return str(self._persistence.load())
            return self.path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None
        except Exception:  # msal-extensions' own "not found" errors
            return None

    def save(self) -> None:
        if not self.cache.has_state_changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = self.cache.serialize()
        if self._persistence is not None:
            self._persistence.save(text)
        else:
            _write_private(self.path, text)
        self.cache.has_state_changed = False

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _encrypted_persistence(path: Path) -> Any:
    try:
        from msal_extensions import build_encrypted_persistence
    except ImportError:
        return None
    try:
        return build_encrypted_persistence(str(path))
    except Exception:  # no key store on this system (e.g. Linux without libsecret)
        return None


def _write_private(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


# ---------------------------------------------------------------- token sources
class EnvToken:
    """A ready token from an environment variable (``--token-env NAME``); never renewed."""

    can_refresh = False

    def __init__(self, name: str) -> None:
        value = os.environ.get(name, "").strip()
        if not value:
            raise UsageError(f"--token-env {name}: that environment variable is empty or unset")
        self._value = value.removeprefix("Bearer ").strip()
        self.name = name

    def token(self, refresh: bool = False) -> str:
        return self._value


class MsalTokens:
    """Tokens for one Connection through MSAL, with the persistent cache."""

    def __init__(
        self,
        connection: Connection,
        home: Path,
        *,
        secret: Callable[[], str] | None = None,
    ) -> None:
        from o365diag.smtp.oauth import HttpClient, _import_msal, _tls_context

        self.connection, self.home = connection, home
        msal = _import_msal()
        self._msal = msal
        self.cache = CacheFile(msal, _profile_folder(home) / f"{_safe(connection.tenant)}.cache")
        http_client = HttpClient(_tls_context(connection.cafile), connection.timeout)
        common = {
            "authority": connection.authority_url,
            "http_client": http_client,
            "instance_discovery": False,
            "token_cache": self.cache.cache,
        }
        try:
            if connection.mode == "delegated":
                self.app = msal.PublicClientApplication(connection.client_id, **common)
            else:
                credential = self._credential(secret)
                self.app = msal.ConfidentialClientApplication(
                    connection.client_id, client_credential=credential, **common
                )
        except ValueError:
            raise GraphError(
                "tenant.not-signed-in",
                f"{connection.authority} has no sign-in configuration for {connection.tenant}",
            ) from None
        except Exception as exc:  # an unreachable identity provider, from the HTTP client
            detail = getattr(exc, "detail", None) or str(exc)
            raise GraphError("tenant.unreachable", f"sign-in failed: {detail}") from None
        self.can_refresh = True
        self._current: dict[str, Any] | None = None

    def _credential(self, secret: Callable[[], str] | None) -> Any:
        connection = self.connection
        if connection.mode == "certificate":
            return certificate_credential(Path(connection.cert or ""))
        value = os.environ.get(connection.secret_env or SECRET_ENV, "")
        if not value and secret is not None:
            value = secret()
        if not value:
            raise UsageError(
                f"the client secret comes from ${connection.secret_env or SECRET_ENV} or a prompt"
            )
        return value

    # ---------------------------------------------------------------- sign-in
    def login_device_code(self, show: Callable[[str], None], wait: float = 300.0) -> dict[str, Any]:
        flow = self.app.initiate_device_flow(scopes=self.connection.scopes)
        if "user_code" not in flow:
            raise _refused(flow)
        show(str(flow.get("message") or flow.get("verification_uri")))
        deadline = time.monotonic() + wait
        result = self.app.acquire_token_by_device_flow(
            flow, exit_condition=lambda _flow: time.monotonic() >= deadline
        )
        return self._accept(result)

    def login_browser(self, open_url: Callable[[str], Any], wait: float = 300.0) -> dict[str, Any]:
        """Authorization code with PKCE; the browser comes back to a loopback listener."""
        import warnings

        with _Loopback() as loopback, warnings.catch_warnings():
            # MSAL recommends form_post; a loopback listener reads the query as its own
            # interactive flow does.
            warnings.simplefilter("ignore", UserWarning)
            flow = self.app.initiate_auth_code_flow(
                self.connection.scopes, redirect_uri=loopback.redirect_uri
            )
            open_url(flow["auth_uri"])
            answer = loopback.wait(wait)
        if answer is None:
            raise GraphError("tenant.not-signed-in", f"nobody signed in within {wait:g} s")
        result = self.app.acquire_token_by_auth_code_flow(flow, answer)
        return self._accept(result)

    def login_app(self) -> dict[str, Any]:
        return self._accept(self.app.acquire_token_for_client(scopes=self.connection.scopes))

    def _accept(self, result: dict[str, Any]) -> dict[str, Any]:
        if not result or "access_token" not in result:
            raise _refused(result or {})
        self._current = result
        claims = result.get("id_token_claims") or {}
        account = claims.get("preferred_username") or claims.get("upn")
        if account:
            self.connection.account = str(account)
        self.cache.save()
        save_profile(self.connection, self.home)
        return {"account": self.connection.account, "expires_in": result.get("expires_in")}

    # ---------------------------------------------------------------- tokens
    def token(self, refresh: bool = False) -> str:
        if self._current and not refresh and self._current.get("_expires_at", 0) > time.time() + 60:
            return str(self._current["access_token"])
        result = self._silent(refresh)
        if not result or "access_token" not in result:
            raise GraphError(
                "tenant.token-invalid",
                "no valid token in the cache and none could be renewed; sign in again",
                401,
            )
        result["_expires_at"] = time.time() + int(result.get("expires_in") or 0)
        self._current = result
        self.cache.save()
        return str(result["access_token"])

    def _silent(self, refresh: bool) -> dict[str, Any] | None:
        if self.connection.mode != "delegated":
            if refresh:
                self._forget_access_tokens()
            result: dict[str, Any] | None = self.app.acquire_token_for_client(
                scopes=self.connection.scopes
            )
            return result
        accounts = self.app.get_accounts()
        if not accounts:
            raise GraphError(
                "tenant.not-signed-in", f"no signed-in account for {self.connection.tenant}"
            )
        answer: dict[str, Any] | None = self.app.acquire_token_silent(
            self.connection.scopes, accounts[0], force_refresh=refresh
        )
        return answer

    def _forget_access_tokens(self) -> None:
        kind = self._msal.TokenCache.CredentialType.ACCESS_TOKEN
        for item in list(self.cache.cache.search(kind)):
            self.cache.cache.remove_at(item)

    def status(self) -> dict[str, Any]:
        """What is stored: account, tenant, scopes, expiry; never a token."""
        kind = self._msal.TokenCache.CredentialType.ACCESS_TOKEN
        tokens = list(self.cache.cache.search(kind))
        expiry = max((int(t.get("expires_on", 0)) for t in tokens), default=0)
        scopes = sorted({s for t in tokens for s in str(t.get("target", "")).split()})
        return {
            "tenant": self.connection.tenant,
            "client_id": self.connection.client_id,
            "mode": self.connection.mode,
            "account": self.connection.account,
            "authority": self.connection.authority,
            "graph_url": self.connection.graph_url,
            "scopes": scopes or self.connection.scopes,
            "expires": datetime.fromtimestamp(expiry, UTC).isoformat() if expiry else None,
            "refreshable": bool(
                list(self.cache.cache.search(self._msal.TokenCache.CredentialType.REFRESH_TOKEN))
            )
            or self.connection.mode != "delegated",
            "cache": {"path": str(self.cache.path), "protection": self.cache.protection},
        }

    def logout(self) -> None:
        for account in self.app.get_accounts():
            self.app.remove_account(account)
        self.cache.remove()
        with contextlib.suppress(FileNotFoundError):
            (_profile_folder(self.home) / f"{_safe(self.connection.tenant)}.json").unlink()


def certificate_credential(path: Path) -> dict[str, str]:
    """MSAL's certificate credential from one PEM holding the private key and certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --cert {path}: {exc.strerror or exc}") from None
    try:
        certificate = x509.load_pem_x509_certificate(data)
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise UsageError(
            f"--cert {path} must be one PEM file with the certificate and its unencrypted "
            "private key"
        ) from None
    der = certificate.public_bytes(serialization.Encoding.DER)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "private_key": key_pem.decode(),
        "thumbprint": hashlib.sha1(der).hexdigest(),
    }


def _refused(result: dict[str, Any]) -> GraphError:
    from o365diag.smtp.oauth import _classify_idp_error

    code, detail = _classify_idp_error(result)
    mapped = (
        "tenant.permission-missing" if code == "oauth.consent-missing" else "tenant.not-signed-in"
    )
    return GraphError(mapped, f"sign-in refused: {detail}")


class _Loopback:
    """A one-shot HTTP listener on 127.0.0.1 for the browser's redirect."""

    def __init__(self) -> None:
        answers: list[dict[str, str]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = urllib.parse.urlsplit(self.path).query
                answers.append(dict(urllib.parse.parse_qsl(query)))
                body = b"<html><body>Signed in. You can close this window.</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._answers = answers
        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stop = threading.Event()

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self._server.server_address[1]}"

    def _serve(self) -> None:
        self._server.timeout = 0.1
        while not self._stop.is_set() and not self._answers:
            self._server.handle_request()

    def __enter__(self) -> _Loopback:
        self._thread.start()
        return self

    def wait(self, seconds: float) -> dict[str, str] | None:
        self._thread.join(seconds)
        return self._answers[0] if self._answers else None

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(1)
        self._server.server_close()
