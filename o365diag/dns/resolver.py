"""Async DNS lookups: a per-query timeout, one cache per run, outcomes that say what happened.

Every lookup returns a :class:`DnsResult` instead of raising: an answer, NXDOMAIN (the name
does not exist), NODATA (the name exists but has no record of that type), SERVFAIL, a timeout,
or another error. Identical lookups made while one is in flight share it, so a run never asks
the same question twice.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.resolver

from o365diag.dns.model import DnsAnswer, DnsOutcome
from o365diag.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_TIMEOUT",
    "BadDomainName",
    "DnsConfigError",
    "DnsResult",
    "Outcome",
    "Resolver",
    "parse_nameserver",
    "to_name",
]

DEFAULT_TIMEOUT = 3.0
_MAX_IN_FLIGHT = 32


class DnsConfigError(ConfigError):
    """The resolver cannot be set up: a bad --nameserver value or no system configuration."""


class BadDomainName(InputError):
    """A name that cannot be put in a DNS query (empty label, label over 63, name over 255)."""


class Outcome(enum.StrEnum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    ERROR = "error"


_OUTCOME_TEXT = {
    Outcome.ANSWER: "answered",
    Outcome.NXDOMAIN: "NXDOMAIN: the name does not exist",
    Outcome.NODATA: "NODATA: the name exists but has no record of this type",
    Outcome.SERVFAIL: "SERVFAIL: the DNS server could not answer",
    Outcome.TIMEOUT: "no answer before the timeout",
    Outcome.ERROR: "DNS error",
}


@dataclass(frozen=True)
class DnsResult:
    """The outcome of one lookup; ``records`` holds dnspython rdata objects when answered."""

    name: str
    rdtype: str
    outcome: Outcome
    records: tuple[Any, ...] = ()
    cnames: tuple[str, ...] = ()
    ttl: int | None = None
    error: str = ""
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ANSWER

    @property
    def void(self) -> bool:
        """NXDOMAIN or NODATA: the lookup worked and found nothing."""
        return self.outcome in (Outcome.NXDOMAIN, Outcome.NODATA)

    @property
    def failed(self) -> bool:
        """SERVFAIL, timeout or another error: nothing can be concluded."""
        return self.outcome in (Outcome.SERVFAIL, Outcome.TIMEOUT, Outcome.ERROR)

    @property
    def outcome_name(self) -> DnsOutcome:
        """The outcome as the results save it."""
        return self.outcome.value

    @property
    def canonical_name(self) -> str:
        return self.cnames[-1] if self.cnames else self.name

    def texts(self) -> list[bytes]:
        """TXT records, each one's strings joined with nothing between them."""
        return [b"".join(r.strings) for r in self.records if hasattr(r, "strings")]

    def addresses(self) -> list[str]:
        return [str(r.address) for r in self.records if hasattr(r, "address")]

    def mx(self) -> list[tuple[int, str]]:
        rows = [
            (int(r.preference), _name_text(r.exchange))
            for r in self.records
            if hasattr(r, "exchange")
        ]
        return sorted(rows)

    def targets(self) -> list[str]:
        """Target names of PTR, CNAME or NS records."""
        return [_name_text(r.target) for r in self.records if hasattr(r, "target")]

    def values(self) -> list[str]:
        """Each record in presentation form (TXT decoded leniently)."""
        if self.rdtype == "TXT":
            return [t.decode("utf-8", "replace") for t in self.texts()]
        return [r.to_text() for r in self.records]

    def describe(self) -> str:
        """One line: what was asked and what came back."""
        head = f"{self.name} {self.rdtype}"
        if self.cnames:
            head += " (via " + " -> ".join(self.cnames) + ")"
        if self.ok:
            return f"{head}: " + "; ".join(self.values())
        text = _OUTCOME_TEXT[self.outcome]
        return f"{head}: {text}" + (f" ({self.error})" if self.error else "")

    def to_answer(self) -> DnsAnswer:
        """This lookup as the results save it."""
        return DnsAnswer(
            name=self.name,
            type=self.rdtype,
            outcome=self.outcome_name,
            records=self.values(),
            cnames=list(self.cnames),
            ttl=self.ttl,
            error=self.error or None,
            elapsed_ms=round(self.elapsed_ms, 1),
        )


def _name_text(name: dns.name.Name) -> str:
    return str(name.to_text(omit_final_dot=True)) if name != dns.name.root else "."


def to_name(text: str | dns.name.Name) -> dns.name.Name:
    """An absolute DNS name from text, label by label (no search list, no escapes).

    Labels are taken literally, so names built from SPF macros (which may hold spaces or
    ``%``) are asked exactly as written. Non-ASCII labels are IDNA-encoded.
    """
    if isinstance(text, dns.name.Name):
        return text if text.is_absolute() else text.concatenate(dns.name.root)
    stripped = text[:-1] if text.endswith(".") else text
    if not stripped:
        raise BadDomainName("empty domain name")
    labels = [_label_bytes(label) for label in stripped.split(".")]
    try:
        return dns.name.Name([*labels, b""])
    except dns.name.EmptyLabel as exc:
        raise BadDomainName(f"{text!r} has an empty label") from exc
    except dns.name.LabelTooLong as exc:
        raise BadDomainName(f"{text!r} has a label longer than 63 characters") from exc
    except dns.name.NameTooLong as exc:
        raise BadDomainName(f"{text!r} is longer than 255 octets") from exc


def _label_bytes(label: str) -> bytes:
    if label.isascii():
        return label.encode("ascii")
    try:
        return label.encode("idna")
    except UnicodeError as exc:
        raise BadDomainName(f"label {label!r} cannot be IDNA-encoded") from exc


def parse_nameserver(spec: str) -> tuple[str, int]:
    """``HOST[:PORT]`` -> (ip, port). IPv6 with a port is written ``[2001:db8::1]:53``."""
    spec = spec.strip()
    host, port_text = spec, ""
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise DnsConfigError(
                f"bad nameserver {spec!r}: expected [IPv6]:PORT", field="nameserver"
            )
        port_text = rest[1:]
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError as exc:
        raise DnsConfigError(
            f"bad nameserver {spec!r}: HOST must be an IP address", field="nameserver"
        ) from exc
    port = 53
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DnsConfigError(
                f"bad nameserver {spec!r}: PORT must be 1-65535", field="nameserver"
            )
        port = int(port_text)
    return address, port


@dataclass
class _Stats:
    queries: int = 0
    cache_hits: int = 0
    log: list[DnsResult] = field(default_factory=list)


class Resolver:
    """One run's resolver: concurrent lookups, a shared cache and a log of what was asked.

    ``nameservers`` takes ``HOST[:PORT]`` strings; without them the system configuration is
    read (``/etc/resolv.conf`` or the Windows registry). ``timeout`` bounds each lookup.
    """

    def __init__(
        self,
        nameservers: Iterable[str] | str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if timeout <= 0:
            raise DnsConfigError("timeout must be positive")
        self.timeout = timeout
        self._resolver = _make_resolver(nameservers)
        # dnspython's own limits sit just past ours so that our wait_for decides, without the
        # extra back-off pause dnspython adds before it gives up.
        self._resolver.timeout = timeout + 0.05
        self._resolver.lifetime = timeout + 0.05
        self._cache: dict[tuple[dns.name.Name, str], asyncio.Future[DnsResult]] = {}
        self._limit = asyncio.Semaphore(_MAX_IN_FLIGHT)
        self._stats = _Stats()

    @property
    def nameservers(self) -> list[str]:
        """The servers asked, as ``ip`` or ``ip:port``."""
        out = []
        for address, port in self._addresses():
            shown = f"[{address}]" if ":" in address and port != 53 else address
            out.append(shown if port == 53 else f"{shown}:{port}")
        return out

    @property
    def nameserver_addresses(self) -> list[str]:
        return [address for address, _port in self._addresses()]

    def _addresses(self) -> list[tuple[str, int]]:
        found = []
        for ns in self._resolver.nameservers:
            address = str(getattr(ns, "address", ns))
            found.append((address, int(getattr(ns, "port", self._resolver.port))))
        return found

    @property
    def queries_sent(self) -> int:
        """Distinct lookups sent to the network (cache hits not counted)."""
        return self._stats.queries

    @property
    def cache_hits(self) -> int:
        return self._stats.cache_hits

    @property
    def log(self) -> list[DnsResult]:
        """Every lookup that completed, in completion order."""
        return list(self._stats.log)

    async def query(self, name: str | dns.name.Name, rdtype: str) -> DnsResult:
        """Look ``name`` up; never raises for DNS trouble, only for a name that can't be asked."""
        qname = to_name(name)
        key = (qname, rdtype.upper())
        cached = self._cache.get(key)
        if cached is not None:
            self._stats.cache_hits += 1
            return await asyncio.shield(cached)
        future: asyncio.Future[DnsResult] = asyncio.get_running_loop().create_future()
        self._cache[key] = future
        self._stats.queries += 1
        try:
            result = await self._lookup(qname, key[1])
        except BaseException as exc:  # cancelled: let waiters see the same
            self._cache.pop(key, None)
            future.cancel()
            raise exc
        future.set_result(result)
        self._stats.log.append(result)
        return result

    async def query_many(self, pairs: Iterable[tuple[str, str]]) -> list[DnsResult]:
        """Several lookups at once, results in the order asked."""
        return list(await asyncio.gather(*(self.query(n, t) for n, t in pairs)))

    async def _lookup(self, qname: dns.name.Name, rdtype: str) -> DnsResult:
        started = time.perf_counter()
        result = _Pending(_name_text(qname), rdtype, started)
        try:
            async with self._limit:
                answer = await asyncio.wait_for(
                    self._resolver.resolve(qname, rdtype, raise_on_no_answer=False),
                    self.timeout,
                )
        except dns.resolver.NXDOMAIN as exc:
            return result.done(Outcome.NXDOMAIN, cnames=_nx_chain(exc, qname))
        except (dns.exception.Timeout, TimeoutError):
            return result.done(Outcome.TIMEOUT, error=f"no answer within {self.timeout:g} s")
        except dns.resolver.NoNameservers as exc:
            return _classify_failure(exc, result)
        except dns.exception.DNSException as exc:
            return result.done(Outcome.ERROR, error=str(exc) or type(exc).__name__)
        chain = _answer_chain(answer)
        if answer.response.flags & dns.flags.TC:
            # dnspython already retried over TCP: what is left is cut short, so an empty or
            # partial answer proves nothing (a missing SPF record would be a false finding).
            return result.done(
                Outcome.ERROR, cnames=chain, error="the answer was truncated, even over TCP"
            )
        if answer.rrset is None:
            return result.done(Outcome.NODATA, cnames=chain)
        return result.done(
            Outcome.ANSWER, records=tuple(answer.rrset), cnames=chain, ttl=answer.rrset.ttl
        )


@dataclass(frozen=True)
class _Pending:
    name: str
    rdtype: str
    started: float

    def done(self, outcome: Outcome, **fields: Any) -> DnsResult:
        elapsed = (time.perf_counter() - self.started) * 1000
        return DnsResult(self.name, self.rdtype, outcome, elapsed_ms=elapsed, **fields)


def _answer_chain(answer: dns.resolver.Answer) -> tuple[str, ...]:
    """Names the question was aliased to by CNAMEs, in order (empty when there was none)."""
    return tuple(_name_text(rrset[0].target) for rrset in answer.chaining_result.cnames)


def _nx_chain(exc: dns.resolver.NXDOMAIN, qname: dns.name.Name) -> tuple[str, ...]:
    try:
        canonical = exc.canonical_name
    except Exception:  # dnspython raises when the responses say nothing usable
        return ()
    return () if canonical == qname else (_name_text(canonical),)


def _classify_failure(exc: dns.resolver.NoNameservers, pending: _Pending) -> DnsResult:
    errors = exc.kwargs.get("errors") or []
    reasons = [str(err[3]) for err in errors]
    if "SERVFAIL" in reasons:
        return pending.done(Outcome.SERVFAIL, error="SERVFAIL")
    text = "; ".join(dict.fromkeys(reasons)) or "no nameserver could answer"
    return pending.done(Outcome.ERROR, error=text)


def _make_resolver(nameservers: Iterable[str] | str | None) -> dns.asyncresolver.Resolver:
    if nameservers is None:
        try:
            return dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration as exc:
            raise DnsConfigError(
                "no system DNS configuration found; give --nameserver HOST[:PORT]"
            ) from exc
    specs = [nameservers] if isinstance(nameservers, str) else list(nameservers)
    if not specs:
        raise DnsConfigError("no nameserver given")
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_nameserver(s)) for s in specs]
    resolver.cache = None
    return resolver
