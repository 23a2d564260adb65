"""SPF record syntax (RFC 7208 section 4.6 and 12): terms, domain-specs and macro strings.

Parsing checks the whole record before anything is evaluated, as the RFC asks: a syntax error
anywhere makes the record a permerror, even after a mechanism that would have matched.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from o365diag.errors import InputError

__all__ = [
    "LOOKUP_MECHANISMS",
    "MacroToken",
    "Mechanism",
    "Modifier",
    "SpfRecord",
    "SpfSyntaxError",
    "check_domain_spec",
    "is_spf_record",
    "tokenize_macros",
]

LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
_MECHANISMS = LOOKUP_MECHANISMS | {"all", "ip4", "ip6"}
_DOMAIN_LETTERS = frozenset("slodiphv")
_EXPLAIN_LETTERS = _DOMAIN_LETTERS | frozenset("crt")
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}

_MODIFIER_RE = re.compile(r"([A-Za-z][A-Za-z0-9\-_.]*)=(.*)", re.S)
_MECHANISM_RE = re.compile(r"([+\-?~]?)([A-Za-z][A-Za-z0-9]*)(.*)", re.S)
_DUAL_CIDR_RE = re.compile(r"(?::(.*?))?((?:/[0-9]+)?(?://[0-9]+)?)", re.S)
_MACRO_RE = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
_TOPLABEL_RE = re.compile(
    r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9]"
)
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IP4_RE = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}")
_IP6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+")


class SpfSyntaxError(InputError):
    """The record breaks the RFC 7208 grammar; the message says where."""


@dataclass(frozen=True)
class MacroToken:
    """A piece of a macro string: literal text, an escape (%% %_ %-) or a %{...} macro."""

    kind: str  # "literal", "escape" or "macro"
    text: str
    letter: str = ""
    digits: int | None = None
    reverse: bool = False
    delimiters: str = ""


def tokenize_macros(text: str, *, explain: bool = False) -> list[MacroToken]:
    """Split a macro-string (or, with ``explain``, an explain-string) into tokens."""
    tokens: list[MacroToken] = []
    literal: list[str] = []
    allowed = _EXPLAIN_LETTERS if explain else _DOMAIN_LETTERS
    i = 0
    while i < len(text):
        char = text[i]
        if char != "%":
            if not ("!" <= char <= "~" or (explain and char == " ")):
                raise SpfSyntaxError(f"character {char!r} is not allowed in {text!r}")
            literal.append(char)
            i += 1
            continue
        if literal:
            tokens.append(MacroToken("literal", "".join(literal)))
            literal = []
        token, i = _macro_at(text, i, allowed)
        tokens.append(token)
    if literal:
        tokens.append(MacroToken("literal", "".join(literal)))
    return tokens


def _macro_at(text: str, i: int, allowed: frozenset[str]) -> tuple[MacroToken, int]:
    following = text[i + 1 : i + 2]
    if following in _ESCAPES:
        return MacroToken("escape", _ESCAPES[following]), i + 2
    match = _MACRO_RE.match(text, i)
    if following != "{" or match is None:
        raise SpfSyntaxError(
            f"bad macro at {text[i : i + 8]!r}: '%' must start %{{..}}, %%, %_ or %-"
        )
    letter, digits, reverse, delimiters = match.groups()
    if letter.lower() not in allowed:
        where = "an explanation" if "c" in allowed else "a domain-spec"
        raise SpfSyntaxError(f"macro letter {letter!r} is not allowed in {where}")
    if digits and int(digits) == 0:
        raise SpfSyntaxError(f"macro {match.group(0)!r} keeps zero labels")
    token = MacroToken(
        "macro",
        match.group(0),
        letter=letter,
        digits=int(digits) if digits else None,
        reverse=bool(reverse),
        delimiters=delimiters or ".",
    )
    return token, match.end()


def check_domain_spec(spec: str, where: str) -> None:
    """Raise SpfSyntaxError unless ``spec`` is a domain-spec: macro-string + domain-end."""
    if not spec:
        raise SpfSyntaxError(f"{where}: the domain is empty")
    tokens = tokenize_macros(spec)
    last = tokens[-1]
    if last.kind != "literal":
        return  # ends in a macro-expand, which the grammar accepts as domain-end
    tail = last.text[:-1] if last.text.endswith(".") else last.text
    if "." not in tail:
        raise SpfSyntaxError(f"{where}: {spec!r} does not end in '.' and a top-level label")
    toplabel = tail.rsplit(".", 1)[1]
    if not _TOPLABEL_RE.fullmatch(toplabel):
        raise SpfSyntaxError(f"{where}: {toplabel!r} is not a valid top-level label")


@dataclass(frozen=True)
class Mechanism:
    """One directive: qualifier + mechanism, with its domain-spec, CIDR lengths or network."""

    text: str
    qualifier: str
    name: str
    domain_spec: str | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None

    @property
    def needs_lookup(self) -> bool:
        """True for the terms that count against the 10-lookup limit."""
        return self.name in LOOKUP_MECHANISMS


@dataclass(frozen=True)
class Modifier:
    text: str
    name: str
    value: str


@dataclass(frozen=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...]
    redirect: Modifier | None = None
    exp: Modifier | None = None
    unknown_modifiers: tuple[Modifier, ...] = ()

    @property
    def all_mechanism(self) -> Mechanism | None:
        return next((m for m in self.mechanisms if m.name == "all"), None)

    @property
    def terms_with_lookups(self) -> int:
        count = sum(1 for m in self.mechanisms if m.needs_lookup)
        return count + (1 if self.redirect else 0)

    @classmethod
    def parse(cls, text: str) -> SpfRecord:
        """Parse a whole ``v=spf1 ...`` record or raise SpfSyntaxError."""
        if not is_spf_record(text):
            raise SpfSyntaxError("the record does not start with 'v=spf1'")
        mechanisms: list[Mechanism] = []
        modifiers: dict[str, Modifier] = {}
        unknown: list[Modifier] = []
        for term in text[6:].split(" "):
            if not term:
                continue
            modifier = _parse_modifier(term)
            if modifier is None:
                mechanisms.append(_parse_mechanism(term))
            elif modifier.name in ("redirect", "exp"):
                if modifier.name in modifiers:
                    raise SpfSyntaxError(f"'{modifier.name}=' appears more than once")
                modifiers[modifier.name] = modifier
            else:
                unknown.append(modifier)
        return cls(
            text=text,
            mechanisms=tuple(mechanisms),
            redirect=modifiers.get("redirect"),
            exp=modifiers.get("exp"),
            unknown_modifiers=tuple(unknown),
        )


def is_spf_record(text: str | bytes) -> bool:
    """True when the TXT string is an SPF version 1 record (``v=spf1`` then space or end)."""
    raw = text.encode("latin-1", "replace") if isinstance(text, str) else text
    return raw[:6].lower() == b"v=spf1" and raw[6:7] in (b"", b" ")


def _parse_modifier(term: str) -> Modifier | None:
    match = _MODIFIER_RE.fullmatch(term)
    if match is None:
        return None
    name, value = match.group(1).lower(), match.group(2)
    if name in ("redirect", "exp"):
        check_domain_spec(value, f"{name}=")
    else:
        tokenize_macros(value)
    return Modifier(term, name, value)


def _parse_mechanism(term: str) -> Mechanism:
    match = _MECHANISM_RE.fullmatch(term)
    if match is None:
        raise SpfSyntaxError(f"{term!r} is neither a mechanism nor a modifier")
    qualifier, raw_name, rest = match.groups()
    name = raw_name.lower()
    if name not in _MECHANISMS:
        raise SpfSyntaxError(f"unknown mechanism {raw_name!r} in {term!r}")
    qualifier = qualifier or "+"
    if name == "all":
        if rest:
            raise SpfSyntaxError(f"'all' takes no argument: {term!r}")
        return Mechanism(term, qualifier, name)
    if name in ("ip4", "ip6"):
        return Mechanism(term, qualifier, name, network=_parse_network(name, rest, term))
    if name in ("a", "mx"):
        domain, cidr4, cidr6 = _parse_dual_cidr(rest, term)
        return Mechanism(term, qualifier, name, domain, cidr4, cidr6)
    return Mechanism(term, qualifier, name, _parse_target(name, rest, term))


def _parse_target(name: str, rest: str, term: str) -> str | None:
    """The domain-spec of include, exists (required) and ptr (optional)."""
    if name == "ptr" and not rest:
        return None
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"{term!r}: '{name}' needs ':' and a domain")
    check_domain_spec(rest[1:], term)
    return rest[1:]


def _parse_dual_cidr(rest: str, term: str) -> tuple[str | None, int | None, int | None]:
    match = _DUAL_CIDR_RE.fullmatch(rest)
    if match is None:
        raise SpfSyntaxError(f"{term!r}: expected [:domain][/ip4-cidr][//ip6-cidr]")
    domain, cidrs = match.group(1), match.group(2)
    if domain is not None:
        check_domain_spec(domain, term)
    cidr4_text, _, cidr6_text = cidrs.partition("//")
    cidr4 = _cidr(cidr4_text[1:], 32, term) if cidr4_text else None
    cidr6 = _cidr(cidr6_text, 128, term) if cidr6_text else None
    return domain, cidr4, cidr6


def _cidr(digits: str, maximum: int, term: str) -> int:
    if not digits.isdigit() or (digits.startswith("0") and digits != "0"):
        raise SpfSyntaxError(f"{term!r}: bad prefix length {digits!r}")
    value = int(digits)
    if value > maximum:
        raise SpfSyntaxError(f"{term!r}: prefix length {value} is over {maximum}")
    return value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_network(name: str, rest: str, term: str) -> Network:
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"{term!r}: '{name}' needs ':' and an address")
    address, slash, prefix = rest[1:].partition("/")
    maximum = 32 if name == "ip4" else 128
    length = _cidr(prefix, maximum, term) if slash else maximum
    if name == "ip4":
        if not _IP4_RE.fullmatch(address):
            raise SpfSyntaxError(f"{term!r}: {address!r} is not a dotted-quad IPv4 address")
        return ipaddress.IPv4Network(f"{address}/{length}", strict=False)
    try:
        if not _IP6_CHARS_RE.fullmatch(address):
            raise ValueError(address)
        return ipaddress.IPv6Network(f"{ipaddress.IPv6Address(address)}/{length}", strict=False)
    except ValueError as exc:
        raise SpfSyntaxError(f"{term!r}: {address!r} is not an IPv6 address") from exc
