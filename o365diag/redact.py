"""Redaction for shared reports: secrets always go, names and addresses on request.

``Redactor(anonymize=True)`` walks JSON-like data (dicts, lists, strings) and replaces e-mail
addresses, domains, host names, IP addresses and GUIDs (tenant ids, message ids) with
placeholders such as ``user-1@domain-2.example``, ``host-1.domain-2.example``, ``ipv4-3``,
``ipv6-1``, ``guid-4`` and ``tenant-1``. One Redactor keeps one mapping, so the same input
always gets the same placeholder in every part of a report. Microsoft's own host names
(``*.protection.outlook.com``, ``smtp.office365.com``, ``*.mx.microsoft`` ...) stay readable,
except for the labels in them that name the customer (``contoso-com.mail.protection...``,
``contoso.onmicrosoft.com``).

Secrets are removed in both modes: values under keys such as ``password``, ``token``, ``secret``
or ``authorization``; what follows ``AUTH <mechanism>`` in an SMTP session and the client's
answers to ``334`` challenges; ``Authorization:`` / ``Bearer`` values, JSON web tokens,
``password=...`` pairs and passwords in URLs; and any literal secret handed to the Redactor.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from o365diag.domains import registrable_domain

__all__ = ["REMOVED", "Redactor", "is_secret_key", "redact", "remove_secrets"]

REMOVED = "[removed]"

# Keys whose values are never sensitive and must stay machine-readable.
_STRUCTURAL_KEYS = frozenset({"schema", "code", "severity", "references"})

_SECRET_KEY_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "apikey",
    "credential",
    "cookie",
    "privatekey",
)
_SECRET_KEY_EXACT = frozenset({"pwd", "pass", "auth_string", "sas"})

# Host names that are Microsoft's (or public infrastructure) and stay readable.
_KEPT_SUFFIXES = (
    "outlook.com",
    "office365.com",
    "office.com",
    "office.net",
    "microsoft.com",
    "microsoftonline.com",
    "microsoft",
    "exchangelabs.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "onmicrosoft.com",
    "aka.ms",
    "microsoft365.com",
    "rfc-editor.org",
    "ietf.org",
    "iana.org",
    "spamhaus.org",
    "spamcop.net",
    "barracudacentral.org",
    "mailspike.net",
    "uceprotect.net",
    "sorbs.net",
    "surbl.org",
)
# Under these, a label with a hyphen is the customer's domain with dots turned into dashes.
_TENANT_MX_SUFFIXES = ("mail.protection.outlook.com", "mx.microsoft")
# Under this, every label except protocol labels and "mail" names the tenant.
_TENANT_NAME_SUFFIX = "onmicrosoft.com"

# Names used on private networks and in documentation, missing from the Public Suffix List.
_PRIVATE_TLDS = frozenset(
    [
        "example",
        "test",
        "invalid",
        "local",
        "localdomain",
        "lan",
        "internal",
        "corp",
        "home",
        "intranet",
        "private",
    ]
)
# Two-label names ending like a file name ("notes.md", "run.py") are files, not domains.
_FILE_SUFFIXES = frozenset({"py", "md", "sh", "pl", "rs", "zip", "mov", "cs", "ps", "so", "ts"})
_KEPT_HOSTS = frozenset({"localhost", "unknown"})

_PLACEHOLDER = re.compile(
    r"^(?:host-\d+\.(?:_[\w-]+\.)*)?domain-\d+\.example$|^(?:host|tenant|ipv4|ipv6|guid)-\d+$"
)
_MS_SERVER_LABEL = re.compile(r"^[A-Z]{2,4}\d[A-Z0-9]{7,}$")
_SINGLE_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_HOST_KEYS = frozenset(
    [
        "from",
        "by",
        "helo",
        "ehlo",
        "host",
        "hostname",
        "ptr",
        "server",
        "local_hostname",
        "client",
        "device",
        "h",
    ]
)

# Labels and top-level domains in any script (\w is Unicode): internationalised names such as
# bücher-shop.example or пример.рф are names too, as are their xn-- (punycode) forms.
_LABEL = r"\w(?:[\w-]{0,61}\w)?"
_HOST = rf"(?:{_LABEL}\.)+[^\W\d_](?:[\w-]{{0,61}}\w)?"
_TOKEN = re.compile(
    r"(?P<guid>(?<![\w-])[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}(?![\w-]))"
    rf"|(?P<email>(?<![\w.!#$%&'*+?^`{{|}}~-])[\w!#$%&'*+?^`{{|}}~.-]+@(?P<edomain>{_HOST}))"
    r"|(?P<ipv4>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\w))"
    r"|(?P<ipv6>(?:(?<=IPv6:)|(?<=ipv6:)|(?<![\w:.]))"
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})"
    r"(?:%[\w.]+)?(?![\w:]))"
    rf"|(?P<host>(?<![\w.-]){_HOST}(?![\w-]|\.\w))"
)
# A transcript line's lead: an optional "[  0.123]" clock, then an arrow or "C:".
_LEAD_TEXT = r"[ \t]*(?:\[[ \d.]*\][ \t]*)?(?:(?:->|~>|C:|>)[ \t]*)?"
_LEAD = rf"^(?P<lead>{_LEAD_TEXT})"
_HELO = re.compile(
    rf"(?m){_LEAD}(?P<verb>EHLO|HELO|LHLO)[ \t]+(?P<name>[A-Za-z0-9-]+)(?=[ \t]*$)"
    r"|(?i:(?P<key>\bhelo=))(?P<helo>[A-Za-z0-9-]+)(?![\w.-])"
)
_CREDENTIAL = r"(?!\[removed\])[A-Za-z0-9._~+/=-]{8,}"

_SECRET_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "AUTH PLAIN <initial response>" as a client line; the server's "250-AUTH LOGIN PLAIN"
    # list and prose that mentions SMTP AUTH do not start a line this way.
    (
        re.compile(
            rf"(?im){_LEAD}(?P<cmd>AUTH[ \t]+[A-Za-z0-9_-]+)[ \t]+(?!\[removed\])\S+[ \t]*$"
        ),
        rf"\g<lead>\g<cmd> {REMOVED}",
    ),
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*)(?:\w+[ \t]+)?[^\s,;]+"),
        rf"\1{REMOVED}",
    ),
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), REMOVED),
    (
        re.compile(
            r"(?i)(?<![\w.-])((?:client_|access_|refresh_|id_)?"
            r"(?:password|passwd|pwd|secret|token|api[_-]?key|sig)[\"']?\s*[=:]\s*)"
            r"(?!\[removed\])(\"[^\"]*\"|'[^']*'|[^\s;,&\"']+)"
        ),
        rf"\1{REMOVED}",
    ),
    (
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+):(?!\[removed\])[^\s@/]+@"),
        rf"\1:{REMOVED}@",
    ),
)
# "Bearer <token>" / "Basic <token>"; a token has a digit, a symbol or mixed case, so the
# words in "basic authentication" stay.
_SCHEME_TOKEN = re.compile(rf"(?i)\b(bearer|basic)([ \t]+)({_CREDENTIAL})")
_CHALLENGE = re.compile(r"(?<!\d)334(?:[ -]|$)")
_CREDENTIAL_LINE = re.compile(rf"{_LEAD}(?P<token>[A-Za-z0-9+/]{{2,}}=*|\*)[ \t]*$")


def is_secret_key(key: str) -> bool:
    """True for keys that name a secret: ``password``, ``client_secret``, ``Authorization``..."""
    flat = re.sub(r"[^a-z0-9]", "", key.lower())
    return flat in _SECRET_KEY_EXACT or any(word in flat for word in _SECRET_KEY_WORDS)


class Redactor:
    """Removes secrets always; with ``anonymize`` also replaces names and addresses."""

    def __init__(self, *, anonymize: bool = True, secrets: Iterable[str] = ()) -> None:
        self.anonymize = anonymize
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self._maps: dict[str, dict[str, str]] = {}
        self._bare_hosts: re.Pattern[str] | None = None

    # -- public ---------------------------------------------------------------------------------
    def data(self, value: Any) -> Any:
        """A redacted deep copy of JSON-like ``value`` (dicts, lists, tuples, scalars)."""
        if self.anonymize:
            self._learn_bare_hosts(value)
        return self._walk(value)

    def text(self, text: str, *, anonymize: bool | None = None) -> str:
        """Redact one piece of free text (``anonymize`` overrides the Redactor's mode)."""
        text = self._remove_secrets(text)
        if self.anonymize if anonymize is None else anonymize:
            text = _TOKEN.sub(self._replace_token, text)
            text = _HELO.sub(self._replace_helo, text)
            if self._bare_hosts is not None:
                text = self._bare_hosts.sub(self._replace_bare_host, text)
        return text

    def mapping(self) -> dict[str, dict[str, str]]:
        """What was replaced by what, per kind: for the sender's eyes only, never the report."""
        return {kind: dict(values) for kind, values in self._maps.items()}

    # -- structure ------------------------------------------------------------------------------
    def _walk(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, Mapping):
            return self._mapping(value)
        if isinstance(value, (list, tuple)):
            return _remove_challenge_answers([self._walk(item) for item in value])
        if isinstance(value, str):
            return self._string(value, key)
        return value

    def _learn_bare_hosts(self, value: Any) -> None:
        """One-label host names (``MFP-3RDFLOOR``) found under host keys are then replaced
        wherever they appear: in a subject, a Message-ID, a raw Received line."""
        names = sorted(_bare_hosts_in(value), key=len, reverse=True)
        for name in names:
            self._placeholder("host", name.lower(), "host-{n}")
        known = [n for n, p in self._maps.get("host", {}).items() if "." not in n]
        if known:
            alternatives = "|".join(re.escape(n) for n in sorted(known, key=len, reverse=True))
            self._bare_hosts = re.compile(rf"(?i)(?<![\w.-])(?:{alternatives})(?![\w-]|\.\w)")

    def _replace_bare_host(self, match: re.Match[str]) -> str:
        return self._placeholder("host", match.group(0).lower(), "host-{n}")

    def _mapping(self, value: Mapping[Any, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, item in value.items():
            name = str(key)
            new_key = self.text(key) if isinstance(key, str) else key
            if is_secret_key(name):
                out[new_key] = None if item is None else REMOVED
            elif name in _STRUCTURAL_KEYS:
                out[key] = self._structural(item)
            else:
                out[new_key] = self._walk(item, name)
        return out

    def _structural(self, value: Any) -> Any:
        """Codes, severities and reference URLs keep their wording; secrets in them still go."""
        if isinstance(value, str):
            return self.text(value, anonymize=False)
        if isinstance(value, (list, tuple)):
            return [self._structural(item) for item in value]
        return value

    def _string(self, value: str, key: str | None) -> str:
        if self.anonymize and key is not None and _is_bare_host(key, value):
            return self._placeholder("host", value.lower(), "host-{n}")
        return self.text(value)

    # -- secrets --------------------------------------------------------------------------------
    def _remove_secrets(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REMOVED)
        for pattern, replacement in _SECRET_TEXT_RULES:
            text = pattern.sub(replacement, text)
        text = _SCHEME_TOKEN.sub(_scheme_token, text)
        if "334" in text and "\n" in text:
            text = "\n".join(_remove_challenge_answer_lines(text.split("\n")))
        return text

    # -- names and addresses --------------------------------------------------------------------
    def _replace_token(self, match: re.Match[str]) -> str:
        kind = match.lastgroup
        token = match.group(0)
        if kind == "guid":
            return self._placeholder("guid", token.lower(), "guid-{n}")
        if kind in ("ipv4", "ipv6"):
            return self._ip(token)
        if kind in ("email", "edomain"):
            return self._email(token)
        return self._host(token)

    def _replace_helo(self, match: re.Match[str]) -> str:
        if match.group("key"):
            name, head = match.group("helo"), match.group("key")
        else:
            name, head = match.group("name"), match.group("lead") + match.group("verb") + " "
        if _PLACEHOLDER.match(name) or _MS_SERVER_LABEL.match(name) or name.isdigit():
            return match.group(0)
        return head + self._placeholder("host", name.lower(), "host-{n}")

    def _email(self, address: str) -> str:
        local, _, domain = address.rpartition("@")
        if _PLACEHOLDER.match(domain.lower()) and re.fullmatch(r"user-\d+", local):
            return address
        user = self._placeholder("user", local.lower(), "user-{n}")
        return f"{user}@{self._host(domain)}"

    def _ip(self, token: str) -> str:
        try:
            ip = ipaddress.ip_address(token.split("%", 1)[0])
        except ValueError:
            return token
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback or ip.is_unspecified:
            return token
        kind = f"ipv{ip.version}"
        return self._placeholder(kind, ip.compressed, kind + "-{n}")

    def _host(self, name: str) -> str:
        lowered = _ascii_name(name.lower())
        if lowered in _KEPT_HOSTS or _PLACEHOLDER.match(lowered):
            return name
        kept = _kept_suffix(lowered)
        if kept is not None:
            return self._kept_host(name, kept)
        registered = _registered_domain(lowered)
        if registered is None:
            return name
        domain = self._placeholder("domain", registered, "domain-{n}.example")
        if lowered == registered:
            return domain
        labels = lowered[: -len(registered) - 1].split(".")
        protocol = [label for label in labels if label.startswith("_")]
        if len(protocol) == len(labels):
            return ".".join([*protocol, domain])
        host = self._placeholder("host", lowered, "host-{n}")
        return ".".join([host, *protocol, domain])

    def _kept_host(self, name: str, suffix: str) -> str:
        """Microsoft's host names: keep them, but hide the labels that name the customer."""
        labels = name.split(".")
        head, tail = labels[: -(suffix.count(".") + 1)], labels[-(suffix.count(".") + 1) :]
        reversed_ip = _reversed_ipv4(head[:4])
        if reversed_ip is not None:
            return ".".join([self._ip(reversed_ip), *head[4:], *tail])
        return ".".join(
            [*(self._kept_label(label, suffix, i == 0) for i, label in enumerate(head)), *tail]
        )

    def _kept_label(self, label: str, suffix: str, leftmost: bool) -> str:
        if _PLACEHOLDER.match(label):
            return label
        names_tenant = (suffix in _TENANT_MX_SUFFIXES and leftmost and "-" in label) or (
            suffix == _TENANT_NAME_SUFFIX and not label.startswith("_") and label.lower() != "mail"
        )
        if not names_tenant:
            return label
        return self._placeholder("tenant", label.lower(), "tenant-{n}")

    def _placeholder(self, kind: str, key: str, template: str) -> str:
        values = self._maps.setdefault(kind, {})
        if key not in values:
            values[key] = template.format(n=len(values) + 1)
        return values[key]


def _ascii_name(name: str) -> str:
    """The punycode (IDNA) form of an internationalised name, so bücher-shop.example and
    xn--bcher-shop-9db.example get one placeholder; the name as it is when IDNA refuses it."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _is_bare_host(key: str, value: str) -> bool:
    """A one-label host name under a key that holds host names (``from``, ``helo``...)."""
    return (
        key.lower() in _HOST_KEYS
        and _SINGLE_LABEL.match(value) is not None
        and value.lower() not in _KEPT_HOSTS
        and not value.isdigit()
        and not _MS_SERVER_LABEL.match(value)
        and not _PLACEHOLDER.match(value)
    )


def _bare_hosts_in(value: Any, key: str | None = None) -> set[str]:
    if isinstance(value, Mapping):
        return {name for k, v in value.items() for name in _bare_hosts_in(v, str(k))}
    if isinstance(value, (list, tuple)):
        return {name for item in value for name in _bare_hosts_in(item, key)}
    if isinstance(value, str) and key is not None and _is_bare_host(key, value):
        return {value}
    return set()


def _scheme_token(match: re.Match[str]) -> str:
    token = match.group(3)
    looks_random = any(c.isdigit() or c in "+/=._~-" for c in token) or (
        token.lower() != token and token.upper() != token
    )
    return f"{match.group(1)}{match.group(2)}{REMOVED}" if looks_random else match.group(0)


def _kept_suffix(name: str) -> str | None:
    # Longest suffixes first so "mail.protection.outlook.com" wins over "outlook.com".
    for suffix in _KEPT_SUFFIXES_BY_LENGTH:
        if name == suffix or name.endswith("." + suffix):
            return suffix
    return None


_KEPT_SUFFIXES_BY_LENGTH = sorted({*_KEPT_SUFFIXES, *_TENANT_MX_SUFFIXES}, key=len, reverse=True)


def _reversed_ipv4(labels: list[str]) -> str | None:
    """``25.113.0.203`` in front of a blocklist zone is the IP 203.0.113.25, reversed."""
    if len(labels) < 4 or not all(label.isdigit() for label in labels):
        return None
    candidate = ".".join(reversed(labels))
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return None
    return candidate


@lru_cache(maxsize=4096)
def _registered_domain(name: str) -> str | None:
    """The registrable domain of a host name, or None when it is no internet name at all."""
    labels = name.split(".")
    tld = labels[-1]
    if tld in _PRIVATE_TLDS:
        return ".".join(labels[-2:]) if len(labels) >= 2 else None
    if len(labels) == 2 and tld in _FILE_SUFFIXES:
        return None
    # Unknown top-level labels ("report.html", "o365diag.headers") make no internet name.
    return registrable_domain(name)


def _remove_challenge_answers(items: list[Any]) -> list[Any]:
    """In a transcript list, the client line after a server ``334`` is a credential."""
    out: list[Any] = []
    challenged = False
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("line"), str):
            direction = item.get("dir")
            if challenged and direction == "send" and item["line"] != REMOVED:
                item = {**item, "line": REMOVED}
            if direction == "recv":
                challenged = bool(_CHALLENGE.match(item["line"].lstrip()))
            elif direction == "send":
                challenged = False
        out.append(item)
    return out


def _remove_challenge_answer_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    challenged = False
    for line in lines:
        match = _CREDENTIAL_LINE.match(line) if challenged else None
        if match and not _CHALLENGE.search(line):
            line = match.group("lead") + REMOVED
        challenged = bool(_CHALLENGE.search(line))
        out.append(line)
    return out


def redact(data: Any, *, secrets: Iterable[str] = ()) -> Any:
    """Secrets removed, names and addresses replaced (a fresh mapping per call)."""
    return Redactor(anonymize=True, secrets=secrets).data(data)


def remove_secrets(data: Any, *, secrets: Iterable[str] = ()) -> Any:
    """Only the secrets removed; everything else as it was."""
    return Redactor(anonymize=False, secrets=secrets).data(data)
