"""An XOAUTH2 access token by the OAuth device-code flow, through MSAL (the ``oauth`` extra).

:func:`device_code_login` asks the identity provider for a device code, shows the sign-in
message (a URL and a short user code), polls until the user has signed in on another device,
and returns the token in a :class:`~o365diag.smtp.config.Secret`. MSAL loads only here, so
o365diag works without it. The token is kept in memory only: MSAL's cache is a private
in-memory one that goes with the call, and nothing here prints, logs or stores the token.

Every failure becomes a :class:`TokenAttempt` with a finding code (``oauth.declined``,
``oauth.unreachable``...), never an exception the user would see as a traceback.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from o365diag.errors import MissingDependency, NetworkError
from o365diag.knowledge import load_table
from o365diag.smtp.config import Secret
from o365diag.smtp.diagnose import local_finding
from o365diag.smtp.model import OAuthRecord
from o365diag.typed import dump

if TYPE_CHECKING:
    from o365diag.findings import Finding
    from o365diag.smtp.result import SmtpResult

__all__ = [
    "DEFAULT_AUTHORITY",
    "DEFAULT_SCOPE",
    "DEFAULT_TENANT",
    "DeviceCodeSettings",
    "Login",
    "MsalMissing",
    "TokenAttempt",
    "add_to_report",
    "device_code_login",
]

# Delegated permission for SMTP AUTH; the device-code flow signs a user in, so app-only
# permissions (SMTP.SendAsApp with https://outlook.office365.com/.default) do not apply.
DEFAULT_SCOPE = "https://outlook.office.com/SMTP.Send"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_TENANT = "organizations"
INSTALL_HINT = "OAuth sign-in needs MSAL: pip install o365diag[oauth]"

_AADSTS = re.compile(r"AADSTS(\d+)")
_AADSTS_TEXT = re.compile(r"AADSTS\d+:[^\\\r\n\"]*")
_STILL_WAITING = frozenset({"authorization_pending", "slow_down"})


class MsalMissing(MissingDependency):
    """MSAL is not installed; the message names the extra to install."""


class DeviceCodeSettings(NamedTuple):
    """Where and as which app to sign in. ``authority`` is the sign-in host (a national
    cloud's, or a test identity provider's); ``cafile`` adds a CA to trust for it."""

    client_id: str
    tenant: str = DEFAULT_TENANT
    scopes: tuple[str, ...] = (DEFAULT_SCOPE,)
    authority: str = DEFAULT_AUTHORITY
    wait: float = 300.0
    timeout: float = 15.0
    cafile: str | None = None

    @property
    def authority_url(self) -> str:
        return f"{self.authority.rstrip('/')}/{self.tenant.strip('/')}"


class TokenAttempt(NamedTuple):
    """What the sign-in did, safe to show: never the token itself."""

    authority: str
    client_id: str
    scopes: tuple[str, ...]
    elapsed_ms: float
    error_code: str | None = None  # an o365diag finding code when the sign-in failed
    detail: str = ""
    account: str | None = None
    expires_in: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def summary(self) -> str:
        where = f"device-code sign-in at {self.authority}"
        if not self.ok:
            return f"OAuth {where} failed: {self.detail}"
        who = f" for {self.account}" if self.account else ""
        expiry = f", expires in {self.expires_in} s" if self.expires_in else ""
        return f"OAuth access token{who} from {where} (scope {' '.join(self.scopes)}{expiry})"

    def to_record(self) -> OAuthRecord:
        """What the result saves of the sign-in."""
        return OAuthRecord(
            flow="device-code",
            authority=self.authority,
            client_id=self.client_id,
            scopes=list(self.scopes),
            account=self.account,
            elapsed_ms=round(self.elapsed_ms, 3),
            expires_in=self.expires_in,
            result="token" if self.ok else "failed",
            error=self.error_code,
            detail=self.detail or None,
        )

    def to_dict(self) -> dict[str, Any]:
        saved: dict[str, Any] = dump(self.to_record())
        return saved


class Login(NamedTuple):
    token: Secret | None
    attempt: TokenAttempt


# ---------------------------------------------------------------- the flow
class SignInFailed(NetworkError):
    """The sign-in ended without a token; ``code`` is the finding code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


_NOT_OAUTH = "the identity provider's answer is not an OAuth response"


def device_code_login(settings: DeviceCodeSettings, show: Callable[[str], None]) -> Login:
    """Sign in by device code; ``show`` receives the message telling the user where to go.

    Blocks until the user signs in, the IdP ends the flow, or ``settings.wait`` passes; each
    request to the IdP gives up after ``settings.timeout`` seconds."""
    msal = _import_msal()
    started = time.perf_counter()
    try:
        result = _run_flow(_make_app(msal, settings), settings, show)
        token = result.pop("access_token", None)
        if not token:
            raise SignInFailed(*_classify_idp_error(result))
    except SignInFailed as exc:
        return Login(None, _attempt(settings, started, error_code=exc.code, detail=exc.detail))
    claims = result.get("id_token_claims") or {}
    attempt = _attempt(
        settings,
        started,
        account=claims.get("preferred_username") or claims.get("upn"),
        expires_in=_int_or_none(result.get("expires_in")),
    )
    return Login(Secret(str(token)), attempt)


def _attempt(settings: DeviceCodeSettings, started: float, **outcome: Any) -> TokenAttempt:
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    return TokenAttempt(
        settings.authority_url, settings.client_id, settings.scopes, elapsed_ms, **outcome
    )


def _make_app(msal: Any, settings: DeviceCodeSettings) -> Any:
    """MSAL's public client; building it fetches the tenant's OpenID configuration."""
    try:
        return msal.PublicClientApplication(
            settings.client_id,
            authority=settings.authority_url,
            http_client=HttpClient(_tls_context(settings.cafile), settings.timeout),
            # Discovery would ask login.microsoftonline.com about the host: the authority is
            # the one the user gave, so only its own OpenID configuration is fetched.
            instance_discovery=False,
            token_cache=msal.TokenCache(),  # in memory, dropped with the app
        )
    except ValueError as exc:  # MSAL found no OpenID configuration for this tenant
        raise SignInFailed("oauth.tenant-unknown", _discovery_failure(exc, settings)) from None
    except (KeyError, TypeError):  # a configuration without the endpoints MSAL needs
        raise SignInFailed("oauth.bad-response", _NOT_OAUTH) from None


def _run_flow(
    app: Any, settings: DeviceCodeSettings, show: Callable[[str], None]
) -> dict[str, Any]:
    scopes = list(settings.scopes)
    flow = _oauth_answer(lambda: app.initiate_device_flow(scopes=scopes))
    if "user_code" not in flow:
        return flow  # the IdP refused to start (unknown app, bad scope...): its error
    show(_sign_in_message(flow))
    deadline = time.monotonic() + settings.wait
    result = _oauth_answer(
        lambda: app.acquire_token_by_device_flow(
            flow, exit_condition=lambda current: _should_stop(current, deadline)
        )
    )
    if result.get("error") in _STILL_WAITING:
        expired = flow.get("expires_at", 0) <= time.time()
        result = {"error": "expired_token" if expired else "o365diag_wait_over"}
        result["wait"] = settings.wait
    return result


def _oauth_answer(request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """An MSAL request's answer; one that is not OAuth (a proxy's HTML page...) is a failure."""
    try:
        return request()
    except (ValueError, KeyError, TypeError):
        raise SignInFailed("oauth.bad-response", _NOT_OAUTH) from None


def _should_stop(flow: Mapping[str, Any], deadline: float) -> bool:
    return time.monotonic() >= deadline or flow.get("expires_at", 0) <= time.time()


def _sign_in_message(flow: Mapping[str, Any]) -> str:
    message = flow.get("message")
    if message:
        return str(message)
    return (
        f"To sign in, open {flow.get('verification_uri')} in a browser and enter the code "
        f"{flow.get('user_code')}."
    )


def _classify_idp_error(result: Mapping[str, Any]) -> tuple[str, str]:
    """The finding code and a one-line detail for an IdP error answer."""
    error = str(result.get("error") or "no_token")
    if error == "o365diag_wait_over":
        return "oauth.timeout", f"nobody signed in within {result['wait']:g} s"
    description = _first_line(result.get("error_description") or "").rstrip(". ")
    detail = f"{error}: {description}" if description else error
    found = _AADSTS.search(description)
    code = _code_for(error, int(found.group(1)) if found else None)
    return code, detail


def _code_for(error: str, aadsts: int | None) -> str:
    by_error = None
    for entry in load_table("smtp_checks").entries:
        if aadsts is not None and aadsts in entry.get("aadsts", ()):
            return entry.key
        if by_error is None and error in entry.get("oauth_errors", ()):
            by_error = entry.key
    return by_error or "oauth.rejected"


def _discovery_failure(exc: ValueError, settings: DeviceCodeSettings) -> str:
    # MSAL words its own message for users of its API; the IdP's reason is in the cause.
    cause = str(exc.__cause__ or exc.__context__ or "")
    reason = _AADSTS_TEXT.search(cause)
    detail = f"{settings.authority} has no sign-in configuration for tenant {settings.tenant!r}"
    return f"{detail} ({reason.group(0).rstrip('. ')})" if reason else detail


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0][:300] if text else ""


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _import_msal() -> Any:
    try:
        import msal  # type: ignore[import-untyped]
    except ImportError:
        raise MsalMissing(INSTALL_HINT) from None
    # Without a handler of its own, MSAL's warnings would reach stderr through logging's
    # last-resort handler in the middle of the live output.
    logger = logging.getLogger("msal")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return msal


def _tls_context(cafile: str | None) -> ssl.SSLContext:
    """The system's trust store (as a browser on this machine would use), plus ``cafile``."""
    context = ssl.create_default_context()
    if cafile:
        context.load_verify_locations(cafile=cafile)
    return context


# ---------------------------------------------------------------- HTTP for MSAL
class IdpUnreachable(SignInFailed):
    """The identity provider could not be asked: no connection, no answer, or bad TLS."""


class HttpResponse:
    """The response shape MSAL reads: status_code, text, headers, raise_for_status()."""

    def __init__(self, status_code: int, text: str, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.text = text
        self.headers = dict(headers)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise IdpUnreachable(
                "oauth.unreachable",
                f"the identity provider answered HTTP {self.status_code}",
            )


class HttpClient:
    """MSAL's HTTP client interface on urllib: every request has a timeout, TLS is verified
    against the given context, and proxies come from the environment as usual."""

    def __init__(self, context: ssl.SSLContext, timeout: float) -> None:
        import urllib.request

        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self._timeout = timeout

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **_ignored: Any,
    ) -> HttpResponse:
        return self._send("GET", url, params, None, headers)

    def post(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | str | None = None,
        headers: Mapping[str, str] | None = None,
        **_ignored: Any,
    ) -> HttpResponse:
        return self._send("POST", url, params, data, headers)

    def close(self) -> None:
        self._opener.close()

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | str | None,
        headers: Mapping[str, str] | None,
    ) -> HttpResponse:
        import urllib.error
        import urllib.parse
        import urllib.request

        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        body = urllib.parse.urlencode(data) if isinstance(data, Mapping) else data
        request = urllib.request.Request(
            url,
            data=body.encode("utf-8") if body is not None else None,
            headers=dict(headers or {}),
            method=method,
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as answer:
                return HttpResponse(answer.status, _body(answer), dict(answer.headers.items()))
        except urllib.error.HTTPError as error:  # 4xx/5xx carry OAuth error JSON
            with error:
                headers = dict(error.headers.items()) if error.headers else {}
                return HttpResponse(error.code, _body(error), headers)
        except (urllib.error.URLError, OSError) as exc:
            raise _unreachable(url, exc, self._timeout) from None


def _body(answer: Any) -> str:
    return bytes(answer.read()).decode("utf-8", "replace")


def _unreachable(url: str, exc: Exception, timeout: float) -> IdpUnreachable:
    import urllib.error
    import urllib.parse

    host = urllib.parse.urlsplit(url).netloc
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return IdpUnreachable(
            "oauth.cert-untrusted",
            f"the certificate of {host} is not trusted ({reason.verify_message})",
        )
    if isinstance(reason, TimeoutError):
        return IdpUnreachable("oauth.unreachable", f"no answer from {host} within {timeout:g} s")
    text = getattr(reason, "strerror", None) or str(reason)
    return IdpUnreachable("oauth.unreachable", f"cannot reach {host}: {text}")


# ---------------------------------------------------------------- into the report
def add_to_report(report: SmtpResult, attempt: TokenAttempt, username: str | None) -> None:
    """Put the sign-in into the ``o365diag.smtp/1`` report: ``oauth`` data and findings."""
    report.add_oauth(attempt.to_record())
    report.findings[:0] = _findings(attempt, username)


def _findings(attempt: TokenAttempt, username: str | None) -> list[Finding]:
    if not attempt.ok:
        assert attempt.error_code is not None
        return [local_finding(attempt.error_code, attempt.detail, step="OAuth sign-in")]
    account = (attempt.account or "").lower()
    if username and account and username.lower() != account:
        return [
            local_finding(
                "oauth.account-differs",
                f"signed in as {attempt.account}, AUTH as {username}",
            )
        ]
    return []
