"""A small, read-only Microsoft Graph client: timeouts, one throttle budget per tenant,
Retry-After or capped exponential back-off with jitter, token refresh, and paging.

Every request goes through :meth:`GraphClient.get_json`; :meth:`GraphClient.pages` follows
``@odata.nextLink`` as Graph gives it (the link carries the ``$skiptoken``). What happened is
counted in :class:`RequestLog` (each request with its status, waits, retries), which is what
a pull reports. Tokens travel only in the Authorization header: no URL, log, error or
exception text holds one.
"""

from __future__ import annotations

import http.client
import json
import random
import ssl
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from o365diag.errors import O365DiagError

__all__ = [
    "DEFAULT_GRAPH_URL",
    "Cancelled",
    "GraphClient",
    "GraphError",
    "GraphSettings",
    "RequestLog",
    "ThrottleBudget",
    "TokenSource",
    "Waiter",
    "budget_for",
]

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
MAX_BODY_BYTES = 256 * 1024 * 1024
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SERVICE_PRINCIPAL_HINTS = ("service principal-less", "service principal for app id")
_LICENCE_HINTS = ("premium license", "premium licence", "b2c")
_EXPIRED_HINTS = ("expired", "lifetime validation failed")


class GraphError(O365DiagError):
    """A Graph call that cannot succeed; ``code`` is the finding code that explains it."""

    def __init__(self, code: str, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status = code, detail, status


class Cancelled(O365DiagError):
    """The user stopped the pull (Ctrl-C or Cancel); what was stored is kept."""


class TokenSource(Protocol):
    """Where access tokens come from; ``refresh`` asks for a new one (after a 401)."""

    can_refresh: bool

    def token(self, refresh: bool = False) -> str: ...


class Waiter:
    """Sleeps that a Cancel can cut short: ``cancel()`` from any thread ends the wait."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self._event.wait(seconds):
            raise Cancelled("cancelled")
        self.check()


class ThrottleBudget:
    """At most ``limit`` requests in any ``period`` seconds, shared by every caller that uses
    the same budget (Graph counts message-trace list and detail calls together per tenant);
    a 429's Retry-After holds every caller back, not just the one that got it."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self._sent: deque[float] = deque()
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def acquire(self, waiter: Waiter) -> float:
        """Wait for a slot; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - self.period:
                    self._sent.popleft()
                delay = self._hold_until - now
                if len(self._sent) >= self.limit:
                    delay = max(delay, self._sent[0] + self.period - now)
                if delay <= 0:
                    self._sent.append(now)
                    return waited
            waiter.sleep(delay)
            waited += delay


_BUDGETS: dict[tuple[str, ...], ThrottleBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(key: tuple[str, ...], limit: int, period: float) -> ThrottleBudget:
    """The one budget for ``key`` (e.g. ``("messageTrace", tenant)``) in this process."""
    with _BUDGETS_LOCK:
        budget = _BUDGETS.get(key)
        if budget is None or (budget.limit, budget.period) != (limit, period):
            budget = _BUDGETS[key] = ThrottleBudget(limit, period)
        return budget


@dataclass(frozen=True)
class GraphSettings:
    graph_url: str = DEFAULT_GRAPH_URL
    timeout: float = 60.0
    cafile: str | None = None
    tries: int = 6  # per request, the first one included
    malformed_tries: int = 3
    backoff_base: float = 2.0
    backoff_cap: float = 60.0
    max_retry_after: float = 300.0
    user_agent: str = "o365diag"


@dataclass
class RequestLog:
    """Every request made, retries included, and the time spent waiting."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    throttle_wait_s: float = 0.0
    pages: int = 0

    def add(self, path: str, status: int | str, elapsed: float, waited: float = 0.0) -> None:
        self.requests.append(
            {
                "url": path,
                "status": status,
                "elapsed_ms": round(elapsed * 1000, 1),
                "waited_s": round(waited, 3),
            }
        )


class _Retry(O365DiagError):
    """One attempt failed in a way that another attempt may fix."""

    def __init__(self, reason: str, wait: float | None = None, malformed: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.wait, self.malformed = reason, wait, malformed


class GraphClient:
    """GET requests to one Graph host over one kept-alive HTTPS connection."""

    def __init__(
        self,
        settings: GraphSettings,
        tokens: TokenSource,
        budget: ThrottleBudget,
        *,
        log: RequestLog | None = None,
        waiter: Waiter | None = None,
    ) -> None:
        self.settings, self.tokens, self.budget = settings, tokens, budget
        self.log = log or RequestLog()
        self.waiter = waiter or Waiter()
        parts = urllib.parse.urlsplit(settings.graph_url)
        if parts.scheme != "https" or not parts.hostname:
            raise GraphError("tenant.bad-url", f"{settings.graph_url} is not an https:// URL")
        self._host, self._port = parts.hostname, parts.port or 443
        self._prefix = parts.path.rstrip("/")
        self._origin = f"https://{parts.netloc}"
        self._context = ssl.create_default_context()
        if settings.cafile:
            self._context.load_verify_locations(cafile=settings.cafile)
        self._connection: http.client.HTTPSConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # ------------------------------------------------------------------ paging
    def pages(
        self, path: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] = {}
    ) -> Iterator[dict[str, Any]]:
        """Each page of a collection, following ``@odata.nextLink`` until there is none."""
        url: str | None = self.url(path, params)
        while url:
            page = self.get_json(url, headers)
            self.log.pages += 1
            yield page
            link = page.get("@odata.nextLink")
            url = self._same_origin(link) if link else None

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        query = urllib.parse.urlencode(params or {}, quote_via=urllib.parse.quote, safe="$',:()")
        return f"{self._origin}{self._prefix}{path}" + (f"?{query}" if query else "")

    def _same_origin(self, link: object) -> str:
        # The token goes wherever the link points: only ever to the Graph host asked for.
        if not isinstance(link, str) or not link.startswith(self._origin + "/"):
            raise GraphError(
                "tenant.malformed-page", "the next-page link points away from the Graph host"
            )
        return link

    # ------------------------------------------------------------------ one GET
    def get_json(self, url: str, headers: Mapping[str, str] = {}) -> dict[str, Any]:
        refreshed = False
        failures = malformed = 0
        while True:
            self.waiter.check()
            try:
                status, answer, body = self._attempt(url, headers)
                return self._decode(status, answer, body, url)
            except _TokenExpired:
                if refreshed or not self.tokens.can_refresh:
                    raise GraphError(
                        "tenant.token-invalid",
                        "the access token expired during the pull and cannot be renewed",
                        401,
                    ) from None
                self.tokens.token(refresh=True)
                refreshed = True
            except _Retry as retry:
                malformed += retry.malformed
                failures += 1
                self._give_up_or_wait(retry, failures, malformed)

    def _give_up_or_wait(self, retry: _Retry, failures: int, malformed: int) -> None:
        if malformed >= self.settings.malformed_tries:
            raise GraphError(
                "tenant.malformed-page",
                f"a page stayed unreadable after {malformed} tries ({retry.reason})",
            )
        if failures >= self.settings.tries:
            code = "tenant.throttled" if "HTTP 429" in retry.reason else "tenant.unreachable"
            raise GraphError(code, f"gave up after {failures} tries: {retry.reason}")
        self.log.retries += 1
        wait = retry.wait if retry.wait is not None else self._backoff(failures)
        wait = min(wait, self.settings.max_retry_after)
        if retry.wait is not None:
            self.budget.hold(wait)  # Graph throttles the tenant: every caller waits
        else:
            self.waiter.sleep(wait)
        self.log.throttle_wait_s += wait if retry.wait is None else 0.0

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2.0 ** (failures - 1))
        return float(ceiling) * (0.5 + random.random() / 2)

    def _attempt(
        self, url: str, headers: Mapping[str, str]
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        waited = self.budget.acquire(self.waiter)
        self.log.throttle_wait_s += waited
        target = url[len(self._origin) :]
        started = time.perf_counter()
        request_headers = {
            "Authorization": "Bearer " + self.tokens.token(),
            "Accept": "application/json",
            "User-Agent": self.settings.user_agent,
            **headers,
        }
        try:
            connection = self._connect()
            connection.request("GET", target, headers=request_headers)
            answer = connection.getresponse()
            body = _read_body(answer)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            self.log.add(target, "tls-error", time.perf_counter() - started, waited)
            raise GraphError(
                "tenant.cert-untrusted",
                f"the certificate of {self._host} is not trusted ({exc.verify_message})",
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            self.log.add(target, "no-answer", time.perf_counter() - started, waited)
            raise _Retry(_network_reason(exc, self._host, self.settings.timeout)) from None
        self.log.add(target, answer.status, time.perf_counter() - started, waited)
        if answer.will_close:
            self.close()
        return answer.status, answer, body

    def _connect(self) -> http.client.HTTPSConnection:
        if self._connection is None:
            self._connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self.settings.timeout, context=self._context
            )
        return self._connection

    def _decode(
        self, status: int, answer: http.client.HTTPResponse, body: bytes, url: str
    ) -> dict[str, Any]:
        if status == 200:
            try:
                page = json.loads(body)
            except ValueError:
                raise _Retry("the answer is not valid JSON", malformed=True) from None
            if not isinstance(page, dict):
                raise _Retry("the answer is not a JSON object", malformed=True)
            return page
        if status in _RETRY_STATUSES:
            raise _Retry(f"HTTP {status}", _retry_after(answer.getheader("Retry-After")))
        raise _refusal(status, body, answer.getheader("WWW-Authenticate") or "")


class _TokenExpired(O365DiagError):
    pass


def _read_body(answer: http.client.HTTPResponse) -> bytes:
    length = answer.getheader("Content-Length")
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise http.client.HTTPException(f"an answer of {length} bytes is too large")
    body = answer.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise http.client.HTTPException("the answer is too large")
    if length and length.isdigit() and len(body) < int(length):
        # read(n) returns what came before the connection closed, without complaint
        raise http.client.IncompleteRead(body, int(length) - len(body))
    return body


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(float(moment.timestamp()) - time.time(), 0.0)


def _network_reason(exc: BaseException, host: str, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer from {host} within {timeout:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection dropped in the middle of a page"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionError):
        return f"{host} closed the connection"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"cannot reach {host}: {text}"


def graph_error_message(body: bytes) -> tuple[str, str]:
    """Graph's ``{"error": {"code", "message"}}`` as ``(code, first line of message)``."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return "", str(error)[:300]
    message = str(error.get("message") or "").strip().splitlines()
    return str(error.get("code") or ""), (message[0][:300] if message else "")


def _refusal(status: int, body: bytes, authenticate: str) -> Exception:
    code, message = graph_error_message(body)
    said = f"{code}: {message}" if code and message else code or message or f"HTTP {status}"
    lowered = said.lower()
    if status == 401:
        if any(hint in lowered for hint in _SERVICE_PRINCIPAL_HINTS):
            return GraphError("tenant.service-principal-missing", said, status)
        if any(hint in lowered for hint in _EXPIRED_HINTS) or "invalid_token" in authenticate:
            return _TokenExpired()
        return GraphError("tenant.token-invalid", said, status)
    if status == 403:
        if any(hint in lowered for hint in _LICENCE_HINTS):
            return GraphError("tenant.licence-missing", said, status)
        return GraphError("tenant.permission-missing", said, status)
    if status == 400:
        return GraphError("tenant.bad-request", said, status)
    return GraphError("tenant.graph-error", f"HTTP {status}: {said}", status)


def token_refresher(get: Callable[[bool], str], can_refresh: bool) -> TokenSource:
    """A TokenSource from a function (tests and the notebook's panel)."""

    class _Source:
        def __init__(self) -> None:
            self.can_refresh = can_refresh

        def token(self, refresh: bool = False) -> str:
            return get(refresh)

    return _Source()
