"""SPF evaluation per RFC 7208: ``check_host()`` with macros, exp=, limits and a full trace.

The trace is a tree: one :class:`SpfNode` per record evaluated (the domain, then each include
or redirect target), holding one :class:`SpfStep` per term tried, in order, with the DNS
answers it used, the lookup count after it and what it concluded.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import re
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import dns.reversename

from o365diag.dns.model import (
    EvalVia,
    SpfCheckData,
    SpfEvalNode,
    SpfEvalStep,
    SpfTraceRecord,
    SpfTraceRow,
    SpfTraceTerm,
    SpfVerdict,
    StepOutcome,
)
from o365diag.dns.resolver import BadDomainName, DnsResult, Resolver, to_name
from o365diag.dns.spf_syntax import (
    MacroToken,
    Mechanism,
    SpfRecord,
    SpfSyntaxError,
    is_spf_record,
    tokenize_macros,
)
from o365diag.errors import InputError, O365DiagError
from o365diag.typed import dump

__all__ = [
    "MAX_LOOKUPS",
    "MAX_VOID_LOOKUPS",
    "SpfCheck",
    "SpfNode",
    "SpfResult",
    "SpfStep",
    "check_host",
    "valid_domain",
]

MAX_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
MAX_NAMES_PER_LOOKUP = 10  # MX hosts and PTR names looked at (RFC 7208 4.6.4)
DEFAULT_TIME_LIMIT = 20.0  # RFC 7208 4.6.4 asks for at least 20 seconds

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SpfResult(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"

    @property
    def verdict(self) -> SpfVerdict:
        """The result as the reports save it."""
        return self.value


_QUALIFIER_RESULT = {
    "+": SpfResult.PASS,
    "-": SpfResult.FAIL,
    "~": SpfResult.SOFTFAIL,
    "?": SpfResult.NEUTRAL,
}


@dataclass
class SpfStep:
    """One term tried: what DNS said, whether it matched, the lookup count after it."""

    term: str
    outcome: StepOutcome = "no-match"
    detail: str = ""
    lookups: int = 0
    dns: list[str] = field(default_factory=list)
    child: SpfNode | None = None

    def to_step(self) -> SpfEvalStep:
        child = self.child.to_node() if self.child else None
        return SpfEvalStep(
            self.term, self.outcome, self.detail, self.lookups, list(self.dns), child
        )


@dataclass
class SpfNode:
    """One record evaluated: reached by check_host, an include or a redirect."""

    domain: str
    via: EvalVia = "check_host"
    record: str | None = None
    result: SpfResult | None = None
    problem: str = ""
    steps: list[SpfStep] = field(default_factory=list)
    matched: SpfStep | None = None
    dns: list[str] = field(default_factory=list)

    def to_node(self) -> SpfEvalNode:
        """This record and the terms tried, as the SPF result saves it."""
        return SpfEvalNode(
            domain=self.domain,
            via=self.via,
            record=self.record,
            result=self.result.verdict if self.result else None,
            problem=self.problem or None,
            dns=list(self.dns),
            steps=[s.to_step() for s in self.steps],
        )

    def walk(self, depth: int = 0) -> Iterator[tuple[int, SpfNode | SpfStep]]:
        """Every node and step in evaluation order, with its include depth."""
        yield depth, self
        for step in self.steps:
            yield depth, step
            if step.child:
                yield from step.child.walk(depth + 1)


@dataclass
class SpfCheck:
    """The answer of check_host() plus everything needed to explain it."""

    result: SpfResult
    ip: str
    sender: str
    helo: str
    domain: str
    lookups: int
    void_lookups: int
    tree: SpfNode
    explanation: str | None = None
    explanation_source: Literal["exp", "default"] | None = None  # the domain's own text?
    problem: str = ""
    elapsed_ms: float = 0.0

    @property
    def path(self) -> list[str]:
        """From the domain down to the term that decided, e.g. ["a.example: include:b", ...]."""
        out: list[str] = []
        node: SpfNode | None = self.tree
        while node is not None and node.matched is not None:
            out.append(f"{node.domain}: {node.matched.term}")
            node = node.matched.child
        return out

    @property
    def matched(self) -> str | None:
        """The term that decided at the deepest level (``-all``, ``ip4:...``), if any."""
        path = self.path
        return path[-1].split(": ", 1)[1] if path else None

    def trace_rows(self) -> list[SpfTraceRow]:
        """The tree flattened: each record and term evaluated, in order."""
        rows: list[SpfTraceRow] = []
        for depth, item in self.tree.walk():
            if isinstance(item, SpfNode):
                result = item.result.verdict if item.result else None
                detail = item.problem or "; ".join(item.dns)
                rows.append(
                    SpfTraceRecord(
                        depth, "record", item.domain, item.via, item.record, result, detail
                    )
                )
            else:
                rows.append(
                    SpfTraceTerm(depth, "term", item.term, item.outcome, item.detail, item.lookups)
                )
        return rows

    def trace(self) -> list[dict[str, Any]]:
        """``trace_rows`` as JSON."""
        return [dump(row) for row in self.trace_rows()]

    def to_data(self) -> SpfCheckData:
        """The data of an ``o365diag.spf/1`` result."""
        return SpfCheckData(
            result=self.result.verdict,
            explanation=self.explanation,
            explanation_source=self.explanation_source,
            lookups=self.lookups,
            void_lookups=self.void_lookups,
            matched=self.matched,
            path=self.path,
            problem=self.problem or None,
            ip=self.ip,
            sender=self.sender,
            helo=self.helo or None,
            domain=self.domain,
            elapsed_ms=round(self.elapsed_ms, 1),
            trace=self.trace_rows(),
            tree=self.tree.to_node(),
        )

    def to_dict(self) -> dict[str, Any]:
        saved: dict[str, Any] = dump(self.to_data())
        return saved


class _Abort(O365DiagError):
    """permerror or temperror: stops the whole evaluation (RFC 7208 sections 2.6.6, 2.6.7)."""

    def __init__(self, result: SpfResult, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


def valid_domain(domain: str) -> bool:
    """A multi-label name whose labels fit in DNS (RFC 7208 4.3); a trailing dot is fine."""
    name = domain[:-1] if domain.endswith(".") else domain
    labels = name.split(".")
    return (
        len(labels) >= 2
        and len(name) <= 253
        and not name.startswith("[")
        and all(0 < len(label) <= 63 for label in labels)
    )


def parse_ip(text: str) -> IpAddress:
    """An address, with IPv4-mapped IPv6 (``::ffff:192.0.2.1``) taken as the IPv4 it maps."""
    ip = ipaddress.ip_address(text.strip().strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def split_sender(sender: str, helo: str) -> tuple[str, str]:
    """(local-part, domain) of MAIL FROM; an empty one means postmaster@HELO (RFC 7208 4.3)."""
    sender = sender.strip().strip("<>")
    if not sender:
        return "postmaster", helo
    local, at, domain = sender.rpartition("@")
    if not at:
        return "postmaster", sender
    return local or "postmaster", domain


class _Evaluator:
    """Holds one check_host() run's state: the counters shared by every nested record."""

    def __init__(
        self,
        resolver: Resolver,
        ip: IpAddress,
        local: str,
        sender_domain: str,
        helo: str,
        receiver: str,
        max_lookups: int,
        max_void: int,
    ) -> None:
        self.resolver = resolver
        self.ip = ip
        self.local = local
        self.sender_domain = sender_domain
        self.helo = helo
        self.receiver = receiver
        self.max_lookups = max_lookups
        self.max_void = max_void
        self.lookups = 0
        self.void_lookups = 0
        self._validated: asyncio.Task[list[str]] | None = None

    # -- records -----------------------------------------------------------------------------

    async def check(self, domain: str, node: SpfNode) -> tuple[SpfResult, str | None]:
        try:
            return await self._check(domain, node)
        except _Abort as abort:
            node.result = abort.result
            node.problem = node.problem or abort.reason
            raise

    async def _check(self, domain: str, node: SpfNode) -> tuple[SpfResult, str | None]:
        if not valid_domain(domain):
            node.result, node.problem = SpfResult.NONE, f"{domain!r} is not a valid domain name"
            return SpfResult.NONE, None
        record = await self._fetch(domain, node)
        if record is None:
            node.result = SpfResult.NONE
            return SpfResult.NONE, None
        for mechanism in record.mechanisms:
            step = SpfStep(mechanism.text)
            node.steps.append(step)
            if await self._try(mechanism, domain, step):
                result = _QUALIFIER_RESULT[mechanism.qualifier]
                node.result, node.matched = result, step
                if result is SpfResult.FAIL:
                    return result, await self._explain(record, domain)
                return result, None
        if record.redirect is not None:
            return await self._redirect(record.redirect.text, record.redirect.value, domain, node)
        node.result = SpfResult.NEUTRAL
        return SpfResult.NEUTRAL, None

    async def _fetch(self, domain: str, node: SpfNode) -> SpfRecord | None:
        answer = await self.resolver.query(domain, "TXT")
        node.dns.append(answer.describe())
        if answer.failed:
            raise _Abort(SpfResult.TEMPERROR, f"TXT lookup failed: {answer.describe()}")
        records = [t for t in answer.texts() if is_spf_record(t)]
        if not records:
            node.problem = f"{domain} publishes no SPF record"
            return None
        if len(records) > 1:
            raise _Abort(SpfResult.PERMERROR, f"{domain} publishes {len(records)} SPF records")
        raw = records[0]
        if not raw.isascii():
            raise _Abort(SpfResult.PERMERROR, f"the SPF record of {domain} is not 7-bit ASCII")
        node.record = raw.decode("ascii")
        try:
            return SpfRecord.parse(node.record)
        except SpfSyntaxError as exc:
            raise _Abort(SpfResult.PERMERROR, f"syntax error in {domain}: {exc}") from None

    async def _redirect(
        self, term: str, spec: str, domain: str, node: SpfNode
    ) -> tuple[SpfResult, str | None]:
        step = SpfStep(term)
        node.steps.append(step)
        self._count_lookup(step)
        target = await self._expand_domain(spec, domain)
        step.child = SpfNode(target, via="redirect")
        try:
            result, explanation = await self.check(target, step.child)
        except _Abort as abort:
            step.outcome, step.detail = "error", abort.reason
            raise
        if result is SpfResult.NONE:
            step.outcome = "error"
            raise _Abort(SpfResult.PERMERROR, f"redirect target {target} has no SPF record")
        step.outcome, step.detail = "match", f"{target} gave {result.value}"
        node.result, node.matched = result, step
        return result, explanation

    # -- mechanisms --------------------------------------------------------------------------

    async def _try(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        if mechanism.needs_lookup:
            self._count_lookup(step)
        else:
            step.lookups = self.lookups
        handler = getattr(self, f"_mech_{mechanism.name}")
        try:
            matched = bool(await handler(mechanism, domain, step))
        except _Abort as abort:
            step.outcome, step.detail = "error", step.detail or abort.reason
            raise
        step.outcome = "match" if matched else "no-match"
        return matched

    def _count_lookup(self, step: SpfStep) -> None:
        self.lookups += 1
        step.lookups = self.lookups
        if self.lookups > self.max_lookups:
            raise _Abort(
                SpfResult.PERMERROR,
                f"more than {self.max_lookups} DNS-querying terms (include, a, mx, ptr, "
                "exists, redirect)",
            )

    def _count_void(self, answer: DnsResult) -> None:
        self.void_lookups += 1
        if self.void_lookups > self.max_void:
            raise _Abort(
                SpfResult.PERMERROR,
                f"more than {self.max_void} lookups found nothing (last: {answer.describe()})",
            )

    async def _query(self, name: str, rdtype: str, step: SpfStep) -> DnsResult:
        answer = await self.resolver.query(name, rdtype)
        step.dns.append(answer.describe())
        return answer

    async def _mech_all(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        return True

    async def _mech_ip4(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        return mechanism.network is not None and self.ip in mechanism.network

    _mech_ip6 = _mech_ip4

    async def _term_lookup(
        self, mechanism: Mechanism, domain: str, step: SpfStep, rdtype: str
    ) -> DnsResult | None:
        """The term's own lookup; None when it finds nothing (a void lookup, counted)."""
        target = await self._target(mechanism, domain, step)
        if target is None:
            return None
        answer = await self._query(target, rdtype, step)
        if answer.failed:
            raise _Abort(SpfResult.TEMPERROR, f"lookup failed: {answer.describe()}")
        if answer.void:
            self._count_void(answer)
            return None
        return answer

    async def _mech_a(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        answer = await self._term_lookup(mechanism, domain, step, self._address_type)
        return answer is not None and self._in_any(answer.addresses(), mechanism)

    async def _mech_mx(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        answer = await self._term_lookup(mechanism, domain, step, "MX")
        if answer is None:
            return False
        if len(answer.records) > MAX_NAMES_PER_LOOKUP:
            raise _Abort(SpfResult.PERMERROR, f"{answer.name} has more than 10 MX records")
        hosts = [host for _pref, host in answer.mx() if host != "."]
        results = await asyncio.gather(*(self._query(h, self._address_type, step) for h in hosts))
        if any(self._in_any(r.addresses(), mechanism) for r in results):
            return True
        failed = next((r for r in results if r.failed), None)
        if failed is not None:
            raise _Abort(SpfResult.TEMPERROR, f"lookup failed: {failed.describe()}")
        return False

    async def _mech_ptr(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        target = await self._target(mechanism, domain, step)
        if target is None:
            return False
        names = await self._validated_names(step)
        wanted = target.lower().rstrip(".")
        hit = next((n for n in names if n == wanted or n.endswith("." + wanted)), None)
        step.detail = f"validated names: {', '.join(names) or 'none'}"
        return hit is not None

    async def _mech_exists(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        return await self._term_lookup(mechanism, domain, step, "A") is not None

    async def _mech_include(self, mechanism: Mechanism, domain: str, step: SpfStep) -> bool:
        target = await self._expand_domain(mechanism.domain_spec or "", domain)
        step.child = SpfNode(target, via="include")
        result, _explanation = await self.check(target, step.child)
        if result in (SpfResult.NONE, SpfResult.PERMERROR):
            raise _Abort(SpfResult.PERMERROR, f"include:{target} has no usable SPF record")
        step.detail = f"{target} gave {result.value}"
        return result is SpfResult.PASS

    # -- helpers -----------------------------------------------------------------------------

    @property
    def _address_type(self) -> str:
        return "A" if self.ip.version == 4 else "AAAA"

    def _in_any(self, addresses: list[str], mechanism: Mechanism) -> bool:
        prefix = mechanism.cidr4 if self.ip.version == 4 else mechanism.cidr6
        for text in addresses:
            address = ipaddress.ip_address(text)
            if address.version != self.ip.version:
                continue
            length = prefix if prefix is not None else address.max_prefixlen
            if self.ip in ipaddress.ip_network(f"{address}/{length}", strict=False):
                return True
        return False

    async def _target(self, mechanism: Mechanism, domain: str, step: SpfStep) -> str | None:
        """The expanded target name, or None (no match) when it cannot be looked up."""
        target = await self._expand_domain(mechanism.domain_spec or domain, domain)
        try:
            to_name(target)
        except BadDomainName as exc:
            step.detail = f"{exc}: treated as not existing"
            return None
        return target

    async def _expand_domain(self, spec: str, domain: str) -> str:
        text = await self._expand(tokenize_macros(spec), domain)
        return _shorten(text[:-1] if text.endswith(".") else text)

    async def _expand(self, tokens: list[MacroToken], domain: str) -> str:
        parts: list[str] = []
        for token in tokens:
            if token.kind != "macro":
                parts.append(token.text)
                continue
            value = _transform(await self._macro_value(token.letter.lower(), domain), token)
            parts.append(urllib.parse.quote(value, safe="") if token.letter.isupper() else value)
        return "".join(parts)

    async def _macro_value(self, letter: str, domain: str) -> str:
        simple = {
            "s": f"{self.local}@{self.sender_domain}",
            "l": self.local,
            "o": self.sender_domain,
            "d": domain,
            "h": self.helo,
            "c": str(self.ip),
            "r": self.receiver,
            "t": str(int(time.time())),
            "v": "in-addr" if self.ip.version == 4 else "ip6",
        }
        if letter in simple:
            return simple[letter]
        if letter == "i":
            return _dotted_ip(self.ip)
        return await self._validated_name(domain)

    async def _validated_name(self, domain: str) -> str:
        """The %{p} macro: a validated name of the client, preferring ``domain`` itself."""
        names = await self._validated_names(None)
        wanted = domain.lower().rstrip(".")
        if wanted in names:
            return wanted
        below = next((n for n in names if n.endswith("." + wanted)), None)
        return below or (names[0] if names else "unknown")

    async def _validated_names(self, step: SpfStep | None) -> list[str]:
        if self._validated is None:
            self._validated = asyncio.ensure_future(self._lookup_validated(step))
        return await asyncio.shield(self._validated)

    async def _lookup_validated(self, step: SpfStep | None) -> list[str]:
        """PTR names of the client whose own addresses include it (RFC 7208 5.5)."""
        reverse = dns.reversename.from_address(str(self.ip))
        answer = await self.resolver.query(reverse, "PTR")
        if step is not None:
            step.dns.append(answer.describe())
            if answer.void:
                self._count_void(answer)
        names = [n.lower() for n in answer.targets()[:MAX_NAMES_PER_LOOKUP]]
        checks = await asyncio.gather(
            *(self.resolver.query(n, self._address_type) for n in names if _askable(n))
        )
        valid = {r.name.lower() for r in checks if str(self.ip) in _normalized(r.addresses())}
        return [n for n in names if n in valid]

    async def _explain(self, record: SpfRecord, domain: str) -> str | None:
        """The exp= text (RFC 7208 6.2); any trouble means no explanation, never an error."""
        if record.exp is None:
            return None
        target = await self._expand_domain(record.exp.value, domain)
        if not _askable(target):
            return None
        answer = await self.resolver.query(target, "TXT")
        texts = answer.texts()
        if not answer.ok or len(texts) != 1 or not texts[0].isascii():
            return None
        try:
            tokens = tokenize_macros(texts[0].decode("ascii"), explain=True)
        except SpfSyntaxError:
            return None
        return await self._expand(tokens, domain)


def _transform(value: str, token: MacroToken) -> str:
    parts = re.split("[" + re.escape(token.delimiters) + "]", value)
    if token.reverse:
        parts.reverse()
    if token.digits is not None:
        parts = parts[-token.digits :]
    return ".".join(parts)


def _dotted_ip(ip: IpAddress) -> str:
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))


def _shorten(name: str) -> str:
    """Drop left-hand labels until the name fits in 253 characters (RFC 7208 7.3)."""
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name


def _askable(name: str) -> bool:
    try:
        to_name(name)
    except BadDomainName:
        return False
    return True


def _normalized(addresses: list[str]) -> set[str]:
    return {str(ipaddress.ip_address(a)) for a in addresses}


async def check_host(
    ip: str,
    sender: str,
    helo: str = "",
    *,
    resolver: Resolver,
    receiver: str = "unknown",
    max_lookups: int = MAX_LOOKUPS,
    max_void_lookups: int = MAX_VOID_LOOKUPS,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> SpfCheck:
    """Evaluate SPF for ``ip`` sending as ``sender`` (MAIL FROM; empty means use ``helo``).

    Raises InputError (a ValueError) only for an ``ip`` that is not an IP address.
    """
    try:
        address = parse_ip(ip)
    except ValueError as exc:
        raise InputError(str(exc), field="ip") from None
    local, domain = split_sender(sender, helo)
    domain = domain.rstrip(".") if domain.endswith(".") and len(domain) > 1 else domain
    evaluator = _Evaluator(
        resolver, address, local, domain, helo, receiver, max_lookups, max_void_lookups
    )
    tree = SpfNode(domain)
    started = time.perf_counter()
    problem, explanation = "", None
    try:
        result, explanation = await asyncio.wait_for(evaluator.check(domain, tree), time_limit)
    except _Abort as abort:
        result, problem = abort.result, abort.reason
    except TimeoutError:
        result, problem = SpfResult.TEMPERROR, f"evaluation took more than {time_limit:g} s"
        tree.result = result
    check = SpfCheck(
        result=result,
        ip=str(address),
        sender=f"{local}@{domain}",
        helo=helo,
        domain=domain,
        lookups=evaluator.lookups,
        void_lookups=evaluator.void_lookups,
        tree=tree,
        problem=problem or (tree.problem if result is SpfResult.NONE else ""),
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    if result is SpfResult.FAIL:
        check.explanation_source = "exp" if explanation is not None else "default"
        check.explanation = explanation or (
            f"{domain} does not designate {address} as permitted sender"
        )
    return check
