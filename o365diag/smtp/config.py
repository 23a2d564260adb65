"""What to probe and how: the profile, target, envelope, credentials and TLS settings."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, NamedTuple

from o365diag.errors import ConfigError, setting
from o365diag.smtp.model import AUTH_MECHANISMS, STOP_POINTS, TLS_MODES, TLS_VERSIONS, TlsMode

__all__ = [
    "AUTH_MECHANISMS",
    "PROFILES",
    "TLS_MODES",
    "TLS_VERSIONS",
    "ConfigError",
    "ProbeConfig",
    "Profile",
    "Secret",
    "get_profile",
]


_ADDRESS = re.compile(r"^[^\s<>@\x00-\x1f\x7f]{1,64}@[^\s<>@\x00-\x1f\x7f]{1,255}$")
_HELO = re.compile(r"^[!-~]{1,255}$")


class Secret:
    """A password or token that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class Profile(NamedTuple):
    """One way of sending through Microsoft 365, with the session defaults it implies."""

    name: str
    title: str
    host: str | None  # None: the tenant's MX endpoint, found from the domain's MX record
    port: int
    tls_mode: TlsMode
    wants_auth: bool
    summary: str
    reference: str


_SETUP_PAGE = (
    "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-"
    "multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365"
)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "submission",
            "SMTP AUTH client submission",
            "smtp.office365.com",
            587,
            "starttls",
            True,
            "smtp.office365.com:587, STARTTLS with TLS 1.2+, AUTH as a licensed mailbox; "
            "internal and external recipients.",
            _SETUP_PAGE,
        ),
        Profile(
            "direct-send",
            "Direct send",
            None,
            25,
            "auto",
            False,
            "The tenant's MX endpoint on port 25, no AUTH, TLS optional; internal recipients only.",
            _SETUP_PAGE,
        ),
        Profile(
            "relay",
            "SMTP relay through an inbound connector",
            None,
            25,
            "starttls",
            False,
            "The tenant's MX endpoint on port 25; a connector recognises the sender by its "
            "static IP or its TLS certificate; external recipients allowed.",
            _SETUP_PAGE,
        ),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}", field="profile"
        ) from None


class ProbeConfig(NamedTuple):
    """Everything one session needs. ``host`` is the name the device is configured with (used
    for TLS verification); ``connect_address`` optionally overrides where to connect."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    profile: str = "submission"
    host: str | None = None
    port: int | None = None
    connect_address: str | None = None
    domain: str | None = None
    nameserver: str | None = None
    username: str | None = None
    password: Secret | None = None
    token: Secret | None = None
    auth_mechanism: str = "auto"
    tls_mode: TlsMode | None = None
    cafile: str | None = None
    insecure: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    tls_name: str | None = None
    tls_max_version: str | None = None
    helo: str | None = None
    source_address: str | None = None
    family: int = 0
    timeout: float = 15.0
    # Per step, where the one timeout does not fit (None: ``timeout``): the TCP connection
    # (with implicit TLS, its handshake), each command's reply, and the reply to DATA.
    connect_timeout: float | None = None
    command_timeout: float | None = None
    data_timeout: float | None = None
    stop_after: str | None = None
    send: bool = False
    allow_plaintext_auth: bool = False
    message: bytes | None = None

    @property
    def profile_info(self) -> Profile:
        return get_profile(self.profile)

    @property
    def effective_tls_mode(self) -> TlsMode:
        return self.tls_mode or self.profile_info.tls_mode

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 465 if self.effective_tls_mode == "implicit" else self.profile_info.port

    @property
    def mx_domain(self) -> str:
        """The domain whose MX record names the target for direct send and relay."""
        return self.domain or self.rcpt_to[0].rsplit("@", 1)[1]

    def step_timeout(self, kind: Literal["connect", "command", "data"]) -> float:
        """Seconds the ``connect``, ``command`` or ``data`` step may take."""
        value = {
            "connect": self.connect_timeout,
            "command": self.command_timeout,
            "data": self.data_timeout,
        }[kind]
        return self.timeout if value is None else value

    @property
    def has_credentials(self) -> bool:
        return bool(self.username) and bool(self.password or self.token)

    def with_changes(self, **changes: object) -> ProbeConfig:
        return self._replace(**changes)  # type: ignore[arg-type]

    def validate(self) -> ProbeConfig:
        """Raise ConfigError naming (``field``) the first setting that cannot work; return self."""
        profile = get_profile(self.profile)
        _check_address("mail_from", self.mail_from)
        if not self.rcpt_to:
            raise ConfigError("give at least one recipient", field="rcpt_to")
        for rcpt in self.rcpt_to:
            _check_address("rcpt_to", rcpt)
        _check_choices(self)
        if self.port is not None and not 0 < self.port < 65536:
            raise ConfigError(f"{self.port} is out of range (1-65535)", field="port")
        for name in ("timeout", "connect_timeout", "command_timeout", "data_timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError("must be a positive number of seconds", field=name)
        if self.helo is not None and not _HELO.match(self.helo):
            raise ConfigError("must be printable ASCII without spaces", field="helo")
        if self.stop_after == "data" and not self.send:
            raise ConfigError(
                f"data needs {setting('send')} (DATA is only sent on request)", field="stop_after"
            )
        if self.username and not (self.password or self.token):
            raise ConfigError("a username needs a password or a token", field="password")
        if self.client_key and not self.client_cert:
            raise ConfigError(f"needs {setting('client_cert')}", field="client_key")
        if self.host is None and profile.host is None and self.domain is None:
            _check_address("rcpt_to", self.rcpt_to[0])
        for name, value in (
            ("source_address", self.source_address),
            ("connect_address", self.connect_address),
        ):
            if value is not None:
                _check_ip(name, value)
        return self


def _check_choices(config: ProbeConfig) -> None:
    if config.auth_mechanism not in AUTH_MECHANISMS:
        raise ConfigError(f"unknown mechanism {config.auth_mechanism!r}", field="auth_mechanism")
    if config.tls_mode is not None and config.tls_mode not in TLS_MODES:
        raise ConfigError(f"unknown TLS mode {config.tls_mode!r}", field="tls_mode")
    if config.tls_max_version is not None and config.tls_max_version not in TLS_VERSIONS:
        raise ConfigError(
            f"unknown TLS version {config.tls_max_version!r}", field="tls_max_version"
        )
    if config.stop_after is not None and config.stop_after not in STOP_POINTS:
        raise ConfigError(
            f"unknown step {config.stop_after!r}; choose one of {', '.join(STOP_POINTS)}",
            field="stop_after",
        )
    if config.family not in (0, 4, 6):
        raise ConfigError("the address family must be 4, 6 or 0 (either)", field="family")


def _check_address(field: str, value: str) -> None:
    if not _ADDRESS.match(value):
        raise ConfigError(f"{value!r} is not a mail address (local@domain)", field=field)


def _check_ip(field: str, value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(f"{value!r} is not an IP address", field=field) from None
