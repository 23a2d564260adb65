"""A Graph-like HTTPS server on loopback for the tenant connector's tests and benchmark.

It serves message trace the way Microsoft Graph does (``/v1.0/admin/exchange/tracing/
messageTraces``): the ``$filter`` operators Graph documents, the 10-day window and 90-day
limits answered with Graph's 400 error body, newest rows first, ``$top`` up to 5000 and
``@odata.nextLink`` with a ``$skiptoken``; per-recipient details; the service principal
lookup; the beta sign-in log; security defaults and Conditional Access policies (paged). Rows
come from ``synth-trace`` data. Faults are scripted per request number: 429 with or without
Retry-After, 503, a connection dropped in the middle of a page, malformed JSON; modes give 401
(no service principal), 403 (no permission or no licence; for the policies
``no-policy-permission`` and ``no-ca-licence``) and tokens that expire after some requests.
TLS uses a CA made in the test run.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from o365diag.smtp.certs import LocalCA
from o365diag.trace.writers import graph_message_records

TRACE_PATH = "/v1.0/admin/exchange/tracing/messageTraces"
SIGNINS_PATH = "/beta/auditLogs/signIns"
SP_APP_ID = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373"
SECURITY_DEFAULTS_PATH = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
CA_PATH = "/v1.0/identity/conditionalAccess/policies"
SECURITY_DEFAULTS_OFF = {
    "id": "00000000-0000-0000-0000-000000000005",
    "displayName": "Security Defaults",
    "description": "Security defaults is a set of basic identity security mechanisms.",
    "isEnabled": False,
}
FAULTS = ("429", "429-no-retry-after", "503", "drop", "malformed", "expire")
_CONDITION = re.compile(
    r"^\s*(?P<field>[A-Za-z/]+)\s+(?P<op>eq|ge|le|gt|lt)\s+(?P<value>'(?:[^']|'')*'|\S+)\s*$"
)
_ANY_EVENT = re.compile(r"^signInEventTypes/any\(t:\s*t eq '([A-Za-z]+)'\)$")
_TRACE_EQ = {"id", "senderAddress", "recipientAddress", "status", "fromIP", "toIP", "messageId"}
_DETAILS = re.compile(
    r"^/v1\.0/admin/exchange/tracing/messageTraces/(?P<id>[^/]+)/"
    r"getDetailsByRecipient\(recipientAddress='(?P<rcpt>(?:[^']|'')*)'\)$"
)


def graph_records(frame: Any) -> list[dict[str, Any]]:
    """``synthesize`` rows as Graph serves them, times with milliseconds."""
    return graph_message_records(frame, "%Y-%m-%dT%H:%M:%S%.3fZ")


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2026-01-01T00:00:00", "request-id": "0000"},
        }
    }


class GraphServer:
    """``records``: message-trace objects; ``signins``: signIn objects. ``tokens``: the
    access tokens it accepts. ``faults`` maps a request number (1-based, every request
    counted) to one of FAULTS; ``mode`` is None, ``no-sp``, ``no-permission`` or
    ``no-licence``; ``expire_after`` rejects a token as expired after that many requests."""

    def __init__(
        self,
        folder: Path,
        records: Iterable[dict[str, Any]] = (),
        *,
        signins: Iterable[dict[str, Any]] = (),
        tokens: Iterable[str] = ("test-token",),
        ca: LocalCA | None = None,
        now: datetime | None = None,
        faults: Mapping[int, str] | None = None,
        mode: str | None = None,
        expire_after: int | None = None,
        details: Mapping[tuple[str, str], list[dict[str, Any]]] | None = None,
        service_principal: bool = True,
        compact: bool = False,
        security_defaults: Mapping[str, Any] = SECURITY_DEFAULTS_OFF,
        ca_policies: Iterable[dict[str, Any]] = (),
        ca_page_size: int = 100,
    ) -> None:
        self.ca = ca or LocalCA("o365diag test Graph CA")
        self.cafile = self.ca.write_ca(folder)
        cert, key = self.ca.issue(["127.0.0.1", "localhost"]).write(folder, "graph")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.now = now
        self.tokens = tokens if isinstance(tokens, set) else set(tokens)  # shared with an IdP
        self.faults = dict(faults or {})
        self.mode = mode
        self.expire_after = expire_after
        self.service_principal = service_principal
        self.retry_after = "1"  # seconds, in the 429 answers that carry one
        self.details = dict(details or {})
        self.security_defaults = dict(security_defaults)
        self.ca_policies = list(ca_policies)
        self.ca_page_size = ca_page_size
        self.requests: list[str] = []
        self.authorizations: list[str] = []
        self.lock = threading.Lock()
        self._token_uses: dict[str, int] = {}
        self._rows = sorted(records, key=lambda r: r["receivedDateTime"], reverse=True)
        self._encoded = [json.dumps(r, separators=(",", ":")).encode() for r in self._rows]
        self.row_count = len(self._rows)
        if compact:  # the benchmark's millions of rows: times only, no equality filters
            self._rows = [{"receivedDateTime": r["receivedDateTime"]} for r in self._rows]
        self._signins = sorted(signins, key=lambda r: r["createdDateTime"], reverse=True)
        self._matches: dict[str, list[int]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> GraphServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    # ------------------------------------------------------------------ answers
    def answer(
        self, path: str, query: dict[str, str], token: str
    ) -> tuple[int, Any, dict[str, str]]:
        """Status, body (dict or bytes) and extra headers; faults are applied by the caller."""
        refusal = self._authorize(token, path)
        if refusal:
            return refusal
        if path == TRACE_PATH:
            return self._trace_page(query)
        found = _DETAILS.match(urllib.parse.unquote(path))
        if found:
            key = (found.group("id"), found.group("rcpt").replace("''", "'"))
            return 200, {"value": self.details.get(key, [])}, {}
        if path == "/v1.0/servicePrincipals":
            value = [{"appId": SP_APP_ID, "id": "sp-1"}] if self.service_principal else []
            return 200, {"value": value}, {}
        if path == SIGNINS_PATH:
            return self._signin_page(query)
        if path == SECURITY_DEFAULTS_PATH:
            context = "https://graph.microsoft.com/v1.0/$metadata#policies/"
            context += "identitySecurityDefaultsEnforcementPolicy/$entity"
            return 200, {"@odata.context": context, **self.security_defaults}, {}
        if path == CA_PATH:
            return self._policies_page(query)
        return 404, graph_error("ResourceNotFound", f"Resource not found for {path}"), {}

    def _authorize(self, token: str, path: str) -> tuple[int, Any, dict[str, str]] | None:
        if token not in self.tokens:
            return (
                401,
                graph_error("InvalidAuthenticationToken", "IDX14100: JWT is not well formed."),
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        with self.lock:
            uses = self._token_uses[token] = self._token_uses.get(token, 0) + 1
        if self.expire_after is not None and uses > self.expire_after:
            return (
                401,
                graph_error(
                    "InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired.",
                ),
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if self.mode == "no-sp" and path.startswith(TRACE_PATH):
            return (
                401,
                graph_error(
                    "UnknownError",
                    "Service principal-less Authentication failed: the service principal for App "
                    f"ID {SP_APP_ID} was not found.",
                ),
                {},
            )
        if self.mode == "no-permission" and (path.startswith(TRACE_PATH) or path == SIGNINS_PATH):
            return (
                403,
                graph_error(
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ),
                {},
            )
        policies = path in (SECURITY_DEFAULTS_PATH, CA_PATH)
        if (self.mode == "no-policy-permission" and policies) or (
            self.mode == "no-ca-licence" and path == CA_PATH
        ):
            return (
                403,
                graph_error(
                    "AccessDenied",
                    "You cannot perform the requested operation, required scopes are missing "
                    "in the token.",
                ),
                {},
            )
        if self.mode == "no-licence" and path == SIGNINS_PATH:
            return (
                403,
                graph_error(
                    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                    "Neither tenant is B2C or tenant doesn't have premium license",
                ),
                {},
            )
        return None

    def _trace_page(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        text = query.get("$filter")
        if not text:  # Graph's default: the last 48 hours
            text = (
                f"receivedDateTime ge {_iso(self.clock() - timedelta(hours=48))} and "
                f"receivedDateTime le {_iso(self.clock())}"
            )
        try:
            conditions = _parse_filter(text)
            matches = self._trace_matches(text, conditions)
            top = int(query.get("$top", "1000"))
        except ValueError as exc:
            return 400, graph_error("BadRequest", str(exc)), {}
        if not 1 <= top <= 5000:
            return 400, graph_error("BadRequest", "The $top value must be between 1 and 5000."), {}
        offset = _offset(query.get("$skiptoken"))
        chunk = matches[offset : offset + top]
        body = b'{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/messageTraces","value":['
        body += b",".join(self._encoded[i] for i in chunk) + b"]"
        if offset + top < len(matches):
            link = self._next_link(TRACE_PATH, query, offset + top)
            body += b',"@odata.nextLink":' + json.dumps(link).encode()
        return 200, body + b"}", {}

    def _trace_matches(self, text: str, conditions: list[tuple[str, str, str]]) -> list[int]:
        with self.lock:
            cached = self._matches.get(text)
        if cached is not None:
            return cached
        start = end = None
        equal: dict[str, str] = {}
        for field, op, value in conditions:
            if field == "receivedDateTime" and op in ("ge", "gt"):
                start = _parse_time(value)
            elif field == "receivedDateTime" and op in ("le", "lt"):
                end = _parse_time(value)
            elif field in _TRACE_EQ and op == "eq":
                equal[field] = value.lower()
            else:
                raise ValueError(f"Invalid filter clause: {field} {op} is not supported.")
        if (start is None) != (end is None):
            raise ValueError("Both start date and end date must be specified.")
        if start is None or end is None:
            raise ValueError("A receivedDateTime range is required.")
        if end - start > timedelta(days=10):
            raise ValueError(
                "The date range between start date and end date must not exceed 10 days."
            )
        if start < self.clock() - timedelta(days=90):
            raise ValueError("The start date must be within the last 90 days.")
        if end > self.clock() + timedelta(minutes=1):
            raise ValueError("The end date must not be in the future.")
        lower, upper = _iso_ms(start), _iso_ms(end)
        found = [
            index
            for index, row in enumerate(self._rows)
            if lower <= row["receivedDateTime"] <= upper
            and all(str(row.get(f) or "").lower() == v for f, v in equal.items())
        ]
        with self.lock:
            self._matches[text] = found
        return found

    def _signin_page(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        try:
            conditions = _parse_filter(query.get("$filter", ""))
        except ValueError as exc:
            return 400, graph_error("BadRequest", str(exc)), {}
        start = end = None
        client_app, event_type = None, "interactiveUser"
        for field, op, value in conditions:
            if field == "createdDateTime":
                moment = _parse_time(value)
                start, end = (moment, end) if op in ("ge", "gt") else (start, moment)
            elif field == "clientAppUsed" and op == "eq":
                client_app = value
            elif field == "signInEventTypes":
                event_type = value
        rows = [
            r
            for r in self._signins
            if (start is None or _parse_time(r["createdDateTime"]) >= start)
            and (end is None or _parse_time(r["createdDateTime"]) <= end)
            and (client_app is None or r.get("clientAppUsed") == client_app)
            and event_type in r.get("signInEventTypes", ["interactiveUser"])
        ]
        top = min(int(query.get("$top", "1000")), 1000)
        offset = _offset(query.get("$skiptoken"))
        page: dict[str, Any] = {"value": rows[offset : offset + top]}
        if offset + top < len(rows):
            page["@odata.nextLink"] = self._next_link(SIGNINS_PATH, query, offset + top)
        return 200, page, {}

    def _policies_page(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        offset = _offset(query.get("$skiptoken"))
        chunk = self.ca_policies[offset : offset + self.ca_page_size]
        context = "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies"
        page: dict[str, Any] = {"@odata.context": context, "value": chunk}
        if offset + self.ca_page_size < len(self.ca_policies):
            page["@odata.nextLink"] = self._next_link(CA_PATH, query, offset + self.ca_page_size)
        return 200, page, {}

    def _next_link(self, path: str, query: dict[str, str], offset: int) -> str:
        following = {k: v for k, v in query.items() if k != "$skiptoken"}
        following["$skiptoken"] = base64.urlsafe_b64encode(f"o{offset}".encode()).decode()
        return f"{self.url}{path}?" + urllib.parse.urlencode(
            following, quote_via=urllib.parse.quote
        )


def _parse_filter(text: str) -> list[tuple[str, str, str]]:
    conditions = []
    for clause in re.split(r"\s+and\s+", text.strip()) if text.strip() else []:
        event = _ANY_EVENT.match(clause.strip())
        if event:
            conditions.append(("signInEventTypes", "any", event.group(1)))
            continue
        match = _CONDITION.match(clause)
        if not match:
            raise ValueError(f"Invalid filter clause: {clause}")
        value = match.group("value")
        if value.startswith("'"):
            value = value[1:-1].replace("''", "'")
        conditions.append((match.group("field"), match.group("op"), value))
    return conditions


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date and time.") from None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode()[1:])
    except ValueError:
        return 0


def _handler_for(server: GraphServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            authorization = self.headers.get("Authorization", "")
            with server.lock:
                server.requests.append(self.path)
                server.authorizations.append(authorization)
                number = len(server.requests)
                fault = server.faults.pop(number, None)
            if fault in ("429", "503"):
                headers = {"Retry-After": server.retry_after} if fault == "429" else {}
                body = graph_error(
                    "TooManyRequests" if fault == "429" else "ServiceUnavailable", "Try later."
                )
                self._send(int(fault), json.dumps(body).encode(), headers)
                return
            if fault == "429-no-retry-after":
                self._send(
                    429,
                    json.dumps(graph_error("TooManyRequests", "Too many requests.")).encode(),
                    {},
                )
                return
            token = authorization.removeprefix("Bearer ")
            status, body, headers = server.answer(parts.path, query, token)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            if fault == "malformed":
                data = data[: len(data) // 2]
            if fault == "drop":
                self._drop(data)
                return
            self._send(status, data, headers)

        def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _drop(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()

    return Handler


def synthetic_signins(now: datetime, count: int = 400) -> list[dict[str, Any]]:
    """Graph signIn objects over the last 20 days: SMTP AUTH from devices and apps (some
    failing with 50126, some non-interactive), and other client apps that a pull must skip."""
    devices = ["scanner@example.com", "erp@example.com", "printer-2@example.com"]
    people = ["alice@example.com", "bob@example.com"]
    records = []
    for n in range(count):
        smtp = n % 3 != 2
        user = devices[n % len(devices)] if smtp else people[n % len(people)]
        failed = smtp and n % 7 == 0
        interactive = n % 4 != 0
        records.append(
            {
                "id": f"00000000-0000-4000-8000-{n:012d}",
                "createdDateTime": _iso(now - timedelta(minutes=71 * n + 13)),
                "userPrincipalName": user,
                "userDisplayName": user.split("@")[0],
                "userId": f"11111111-0000-4000-8000-{n % 5:012d}",
                "appId": "00000002-0000-0ff1-ce00-000000000000",
                "appDisplayName": "Office 365 Exchange Online",
                "clientAppUsed": "Authenticated SMTP" if smtp else "Browser",
                "ipAddress": f"203.0.113.{10 + n % 5}",
                "correlationId": f"22222222-0000-4000-8000-{n:012d}",
                "isInteractive": interactive,
                "signInEventTypes": ["interactiveUser" if interactive else "nonInteractiveUser"],
                "status": {
                    "errorCode": 50126 if failed else 0,
                    "failureReason": "Invalid username or password." if failed else None,
                },
                "location": {"city": "Springfield", "countryOrRegion": "US"},
                "resourceDisplayName": "Office 365 Exchange Online",
            }
        )
    return records


def graph_args(command: str, server: GraphServer, out: Path, *extra: str) -> list[str]:
    """A pull's command line against ``server`` with the token from $GRAPH_TOKEN."""
    connection = ["--graph-url", server.url, "--cafile", str(server.cafile)]
    token = ["--token-env", "GRAPH_TOKEN", "--tenant", "contoso.example"]
    return [command, "--graph", *connection, *token, "--out", str(out), "--json", *extra]
