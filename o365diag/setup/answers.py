"""What the setup assistant asks: the device's abilities and needs, as one typed dataclass.

``QUESTIONS`` describes each answer (prompt, kind, choices) once, so the terminal prompts,
the command-line flags and the notebook form all ask the same thing the same way.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from o365diag.addresses import is_non_public
from o365diag.errors import ConfigError

__all__ = [
    "AUTH_CHOICES",
    "QUESTIONS",
    "RECIPIENT_CHOICES",
    "AnswerError",
    "AuthSupport",
    "Question",
    "Recipients",
    "SetupAnswers",
    "convert_answer",
    "network_text",
    "parse_network",
]

AuthSupport = Literal["none", "basic", "oauth"]
Recipients = Literal["internal", "external", "both"]
AUTH_CHOICES: tuple[str, ...] = get_args(AuthSupport)
RECIPIENT_CHOICES: tuple[str, ...] = get_args(Recipients)

_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[A-Za-z][A-Za-z0-9-]{{0,62}}$")
_CERT_NAME = re.compile(rf"^(?:\*\.)?(?:{_LABEL}\.)+[A-Za-z][A-Za-z0-9-]{{0,62}}$")
_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?P<domain>[^@\s]{1,253})$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_DEVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()'&-]{0,47}$")
MAX_VOLUME = 10_000_000


class AnswerError(ConfigError):
    """An answer cannot be used; ``field`` names it, the message says why (safe to show)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}", field=field_name)


@dataclass(frozen=True)
class SetupAnswers:
    """Everything the assistant needs to choose a sending option and write its configuration."""

    domain: str
    sender: str
    tls: bool
    auth: AuthSupport
    recipients: Recipients
    static_ips: tuple[str, ...] = ()
    certificate_name: str | None = None
    volume_per_day: int = 100
    third_party_hosted: bool = False
    sent_items: bool = False
    port25_open: bool = True
    port587_open: bool = True
    mailbox: str | None = None
    device_name: str = "device"
    mx_host: str | None = None
    initial_domain: str | None = None
    dmarc_rua: str | None = None
    spf_include: str | None = None
    app_id: str | None = None
    service_principal_id: str | None = None

    # -- derived answers ---------------------------------------------------------------------
    @property
    def has_static_ip(self) -> bool:
        return bool(self.public_ips)

    @property
    def public_ips(self) -> tuple[str, ...]:
        """The static IPs a receiver can see: the LAN, CGNAT and link-local ones left out."""
        return tuple(text for text in self.static_ips if not is_non_public(text.strip()))

    @property
    def has_certificate(self) -> bool:
        return self.certificate_name is not None

    @property
    def needs_external(self) -> bool:
        return self.recipients in ("external", "both")

    @property
    def open_ports(self) -> frozenset[int]:
        return frozenset(
            port for port, is_open in ((25, self.port25_open), (587, self.port587_open)) if is_open
        )

    @property
    def signin_mailbox(self) -> str:
        """The mailbox the device signs in as (SMTP AUTH): the sender unless told otherwise."""
        return self.mailbox or self.sender

    @property
    def ipv4_networks(self) -> tuple[ipaddress.IPv4Network, ...]:
        nets = (parse_network(text) for text in self.public_ips)
        return tuple(n for n in nets if isinstance(n, ipaddress.IPv4Network))

    # -- construction --------------------------------------------------------------------------
    def validate(self) -> SetupAnswers:
        """Raise AnswerError for the first answer that cannot be used; return self."""
        _check_domain("domain", self.domain)
        _check_address("sender", self.sender)
        if self.mailbox is not None:
            _check_address("mailbox", self.mailbox)
        _check_choice("auth", self.auth, AUTH_CHOICES)
        _check_choice("recipients", self.recipients, RECIPIENT_CHOICES)
        for text in self.static_ips:
            _check_network(text)
        if self.certificate_name is not None and not _CERT_NAME.match(self.certificate_name):
            raise AnswerError(
                "certificate_name",
                f"{self.certificate_name!r} is not a domain name (a leading '*.' is allowed)",
            )
        if not 0 <= self.volume_per_day <= MAX_VOLUME:
            raise AnswerError("volume_per_day", f"give a number from 0 to {MAX_VOLUME:,}")
        if not _DEVICE_NAME.match(self.device_name):
            raise AnswerError(
                "device_name",
                "use 1-48 letters, digits, spaces or . _ ( ) ' & - (it names a connector)",
            )
        for name in ("mx_host", "initial_domain", "spf_include"):
            value = getattr(self, name)
            if value is not None:
                _check_domain(name, value)
        if self.dmarc_rua is not None:
            _check_address("dmarc_rua", self.dmarc_rua)
        for name in ("app_id", "service_principal_id"):
            value = getattr(self, name)
            if value is not None and not _GUID.match(value):
                raise AnswerError(name, f"{value!r} is not a GUID (8-4-4-4-12 hex digits)")
        if (self.app_id is None) != (self.service_principal_id is None):
            raise AnswerError("app_id", "give both the application ID and the service principal ID")
        return self

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SetupAnswers:
        """Build from loosely typed values (form fields, JSON, flags) and validate."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise AnswerError(unknown[0], "is not a setup question")
        missing = [q.name for q in QUESTIONS if q.required and _blank(values.get(q.name))]
        if missing:
            raise AnswerError(missing[0], "needs an answer")
        converted = {
            name: convert_answer(QUESTION_BY_NAME[name], value)
            for name, value in values.items()
            if not _blank(value)
        }
        return cls(**converted).validate()

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["static_ips"] = list(self.static_ips)
        return data


# -- the questions --------------------------------------------------------------------------------
QuestionKind = Literal["bool", "choice", "text", "int", "list"]


@dataclass(frozen=True)
class Question:
    name: str
    prompt: str
    kind: QuestionKind
    help: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False
    advanced: bool = False
    flags: tuple[str, ...] = ()

    @property
    def option_strings(self) -> tuple[str, ...]:
        """Command-line flags: ``--name-with-dashes`` plus any aliases."""
        return ("--" + self.name.replace("_", "-"), *self.flags)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "domain",
        "Which of your domains does the device send as?",
        "text",
        "An accepted domain of the tenant, e.g. example.com.",
        required=True,
    ),
    Question(
        "sender",
        "Which From address will the device use?",
        "text",
        "An address in that domain, e.g. scanner@example.com.",
        required=True,
        flags=("--from",),
    ),
    Question(
        "tls",
        "Does the device support TLS 1.2 (or later) with STARTTLS?",
        "bool",
        "Look for 'TLS', 'STARTTLS' or 'secure connection' in its mail settings.",
        required=True,
    ),
    Question(
        "auth",
        "Which SMTP authentication can the device do?",
        "choice",
        "none; basic = user name and password; oauth = OAuth 2.0 (XOAUTH2).",
        choices=AUTH_CHOICES,
        required=True,
    ),
    Question(
        "recipients",
        "Who receives the mail?",
        "choice",
        "internal = only mailboxes of your organization; external = people outside; both.",
        choices=RECIPIENT_CHOICES,
        required=True,
    ),
    Question(
        "static_ips",
        "Static public IPv4 address(es) the device sends from",
        "list",
        "Comma separated, as seen on the internet (not 192.168.x.x); empty if none.",
        flags=("--static-ip",),
    ),
    Question(
        "certificate_name",
        "Name on the device's TLS client certificate, if it has one",
        "text",
        "A domain name such as scanner.example.com; empty if none.",
        flags=("--cert-name",),
    ),
    Question(
        "volume_per_day",
        "About how many recipients a day?",
        "int",
        "Count each recipient of each message.",
        flags=("--volume",),
    ),
    Question(
        "third_party_hosted",
        "Is the application hosted by a third party (a cloud service, Azure, a vendor)?",
        "bool",
        flags=("--hosted",),
    ),
    Question("sent_items", "Must a copy be saved in a Sent Items folder?", "bool"),
    Question(
        "port25_open",
        "Can the device reach port 25 on the internet?",
        "bool",
        "Many ISPs and cloud networks block outbound port 25.",
        advanced=True,
    ),
    Question(
        "port587_open", "Can the device reach port 587 on the internet?", "bool", advanced=True
    ),
    Question(
        "mailbox",
        "Mailbox the device signs in as (SMTP AUTH), if not the From address",
        "text",
        advanced=True,
    ),
    Question(
        "device_name",
        "A short name for the device (used to name the connector)",
        "text",
        advanced=True,
    ),
    Question(
        "mx_host",
        "Your MX endpoint, if known",
        "text",
        "From the admin center (Settings > Domains), e.g. example-com.mail.protection.outlook.com.",
        advanced=True,
    ),
    Question(
        "initial_domain",
        "Your tenant's initial domain (for the DKIM records)",
        "text",
        "e.g. example.onmicrosoft.com.",
        advanced=True,
    ),
    Question("dmarc_rua", "Address for DMARC aggregate reports", "text", advanced=True),
    Question(
        "spf_include", "SPF include domain of the third-party host, if any", "text", advanced=True
    ),
    Question(
        "app_id", "OAuth: application (client) ID of the app registration", "text", advanced=True
    ),
    Question(
        "service_principal_id",
        "OAuth: object ID of its enterprise application",
        "text",
        advanced=True,
        flags=("--sp-id",),
    ),
)
QUESTION_BY_NAME: dict[str, Question] = {q.name: q for q in QUESTIONS}

_TRUE = {"y", "yes", "true", "1", "on"}
_FALSE = {"n", "no", "false", "0", "off"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and len(value) == 0)


def convert_answer(question: Question, value: Any) -> Any:
    if question.kind == "bool":
        return _to_bool(question.name, value)
    if question.kind == "int":
        return _to_int(question.name, value)
    if question.kind == "list":
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    text = str(value).strip()
    return text or None


def _to_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise AnswerError(name, f"answer yes or no, not {value!r}")


def _to_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise AnswerError(name, "give a number")
    try:
        return int(str(value).replace(",", "").replace("_", "").strip())
    except ValueError:
        raise AnswerError(name, f"give a whole number, not {value!r}") from None


def _check_domain(name: str, value: str) -> None:
    if len(value) > 253 or not _DOMAIN.match(value):
        raise AnswerError(name, f"{value!r} is not a domain name")


def _check_address(name: str, value: str) -> None:
    match = _ADDRESS.match(value)
    if not match or not _DOMAIN.match(match["domain"]):
        raise AnswerError(name, f"{value!r} is not a mail address (local@domain)")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise AnswerError(name, f"{value!r} is not one of {', '.join(choices)}")


def _check_network(text: str) -> None:
    try:
        parse_network(text)
    except ValueError:
        raise AnswerError(
            "static_ips", f"{text!r} is not an IP address or CIDR range (e.g. 203.0.113.25)"
        ) from None


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An address or CIDR range as a network (host bits must be zero)."""
    return ipaddress.ip_network(text.strip(), strict=True)


def network_text(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """A single address without its /32 (or /128); a range as CIDR."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)
