"""Parse Received header fields into hops and order them into a chain with per-hop delays.

A Received value (RFC 5321 §4.4) is ``from X by Y [via V] [with P] [id I] [for F] ; date``, but
real servers bend every part of it, so the parser is tolerant:

* comments, nested to any depth, are matched first; keywords inside them are ignored
  (``(Postfix, from userid 1001)``, ``(using TLSv1.3 with cipher ...)``), but they are still read
  for IP addresses and the TLS version;
* the date is the text after the last ``;`` outside comments; without a ``;`` (SendGrid) it
  starts at the first weekday, ``yyyy-mm-dd`` or ``day month`` word pair;
* dates are read token by token, not against a list of formats (see :func:`parse_date`).

Everything is linear in the size of the input and nothing raises on bad input: what is odd
about a hop is listed in ``Hop.problems``.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import socket
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = ["Chain", "Hop", "build_chain", "parse_date", "parse_date_noting", "parse_received"]

KEYWORDS = ("from", "by", "via", "with", "id", "for")
# Every spelling of every keyword ("FROM", "From", "fRoM" ...) to its lower-case form: one
# dict look-up per word instead of a length test, a lower() and a set test.
_KEYWORD_SPELLINGS = {
    "".join(spelling): keyword
    for keyword in KEYWORDS
    for spelling in itertools.product(*({ch, ch.upper()} for ch in keyword))
}
# Whole-second stamps (Exchange) after a fractional one (SendGrid) look up to 1 s "early":
# that is truncation, not a wrong clock.
SKEW_TOLERANCE_SECONDS = 1.0
_MAX_DATE_TOKENS = 48
_SPACED_COLON = re.compile(r"(?<=\d)\s*:\s*(?=\d)")
_MAX_TOKEN_CHARS = 64
_MAX_SHOWN_CHARS = 300
_DIGITS = frozenset("0123456789")
# Real from/by parts hold a handful of comments of a few dozen words: looking no further
# bounds the IP search on hostile input.
_MAX_IP_TEXTS = 16
_MAX_IP_PIECES = 64

_PAREN_QUOTE_OR_ESCAPE = re.compile(r'\\.|[()"]', re.DOTALL)
# RFC 5322 quoted-string: ';', '(' and white space inside it are text ("a;b"@example.com).
_QUOTED = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
# A word: quoted strings and other characters up to white space or ';'. A '"' without a
# closing one is an ordinary character, as _paren_pairs takes it. Outside quoted strings and
# comments RFC 5322 has no quoted-pair: a backslash there escapes nothing and is no atom
# character, so one that starts or ends a word ("with SMTP\ id"), or stands alone, is left out
# as white space is; one between two characters of a word ("DOMAIN\host") is kept as written.
_WORD_PIECE = r'[^\s;"\\]++|"(?:[^"\\]++|\\.)*+"|"'
_TOKEN = re.compile(rf";|(?:{_WORD_PIECE})(?:{_WORD_PIECE}|\\++(?=[^\s;\\]))*+", re.DOTALL)
# A comment (one level of nesting allowed, as in Postfix's TLS comment), ';', or a word.
_SIMPLE_TOKEN = re.compile(r"\((?:[^()\\]|\([^()\\]*\))*\)|;|[^\s;()]+")
_FLAT_TOKEN = re.compile(r"[^\s;()]+|\([^()\\]*\)|;")  # the same without nesting: faster

# An IPv4 address's shape; written out, as one repeated group costs a pattern more to match.
_DOTTED_QUAD_RE = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
# "@" splits qmail's "(user@192.0.2.1)" into the user and the address.
_IP_PIECE = re.compile(r"[^\s\[\]()<>=,;\"'@]+")
# What an address can start with: a digit, a hex digit or ':' (IPv6), 'IPv6:'.
_IP_FIRST_CHARS = frozenset("0123456789abcdefABCDEF:iI")
# An address literal with the client port as a fifth number: "[192.0.2.1.63559]".
_IPV4_AND_PORT = re.compile(rf"({_DOTTED_QUAD_RE})\.[0-9]{{1,5}}")
_IP_SHAPE = re.compile(
    rf"(?:{_DOTTED_QUAD_RE}|[0-9A-Fa-f.]{{0,40}}:[0-9A-Fa-f:.]{{1,44}})"
    r"(?:%[0-9A-Za-z_.-]{1,20})?"
)
# The usual comment of Postfix, Sendmail and Exim: "host [192.0.2.1]", "[192.0.2.1]:port ...".
# The host is one piece for _IP_PIECE (none of its separators), so the literal is the next.
_LEADING_LITERAL = re.compile(rf"(?:([A-Za-z0-9_.-]++)[ \t]++)?\[({_DOTTED_QUAD_RE})\]", re.ASCII)
# qmail's "(user@192.0.2.1)": one piece for _IP_PIECE before the '@', the address the next.
# When the first starts as no address can, and is no HELO keyword (which would hide the next),
# the address is _scan_for_ip's finding without its loop.
_USER_AT_IPV4 = re.compile(rf"([^\s\[\]()<>=,;\"'@]*+)@({_DOTTED_QUAD_RE})")
# Every address shape holds one of these: an IPv6 address a ':', an IPv4 one (a dotted quad,
# the only form inet_pton reads) a digit, a dot, up to three digits twice more, a dot and a digit.
# So version numbers ("(Exim 4.96)", "(8.15.2/8.15.2)") are known to hold none without a scan.
# Written to start with a character class, so the search skips other characters in C.
_MAYBE_IP = re.compile(r"[0-9:](?:(?<=:)|\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9])")
# "TLS" or "SSL" not preceded by a letter or digit; the look-behinds come after the name so
# that the search skips to a 'T' or 'S' in C.
_TLS_VERSION = re.compile(
    r"(TLS|SSL)(?<![A-Za-z0-9]TLS)(?<![A-Za-z0-9]SSL) ?v?([0-9])(?:[._]([0-9]))?(?![0-9])"
)
# TLS or SSL named as a word of its own ("(TLS)", "(using TLS)"; a cipher suite's name such as
# "TLS_AES_128_GCM_SHA256" is no such word), and the ways servers write that it was not used
# ("no TLS", "TLS=no", "TLS not available").
_TLS_WORD = re.compile(r"(?<![A-Za-z0-9_])(?:TLS|SSL)(?![A-Za-z0-9_])")
_NO_TLS = re.compile(
    r"(?i:\b(?:no|not|non|without)[ \t-]+(?:TLS|SSL)\b"
    r"|\b(?:TLS|SSL)[ \t]*+(?:[=:][ \t]*+(?:no|none|off|false)\b|not\b|failed|disabled))"
)
# RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">", A-d-l = At-domain *( "," At-domain ),
# At-domain = "@" Domain; a Domain may be an address literal ("@[IPv6:2001:db8::1]").
_AT_DOMAIN = r"@(?:\[[^\]]*+\]|[^,:@\[\]<>\s]++)"
_SOURCE_ROUTE = re.compile(rf"{_AT_DOMAIN}(?:,{_AT_DOMAIN})*+:")
_TLS_PROTOCOLS = frozenset(
    {"esmtps", "esmtpsa", "smtps", "https", "lmtps", "lmtpsa", "utf8smtps", "utf8smtpsa"}
)

_ISO_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?:t(.*))?", re.ASCII)
_NUMERIC_DATE = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})[-/.]([0-9]{2}|[0-9]{4})", re.ASCII)
_TIME = re.compile(
    r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,20}))?)?"
    r"(am|pm)?(z|[+-][0-9]{2}:?[0-9]{2})?",
    re.ASCII,
)
_OFFSET = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})", re.ASCII)
_INTEGER = re.compile(r"[0-9]{1,4}", re.ASCII)
_ZONE_LIKE = re.compile(r"[A-Za-z]{2,5}")
_GO_MONOTONIC = re.compile(r"m=[+-]?[0-9.]*")
_RFC5322_DATE = re.compile(
    r"(?:[A-Za-z]{3},?\s+)?([0-9]{1,2})\s+([A-Za-z]{3})\s+([0-9]{4})\s+"
    r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?\s+([+-])([0-9]{2})([0-9]{2})"
    r"(?:\s*\([A-Za-z]{1,5}\))?",
    re.ASCII,
)

_MONTH_WORDS = {
    1: "jan january janv janvier januar janner ene enero gen gennaio jaan",
    2: "feb february fev fevr fevrier februar febrero febbraio fevereiro",
    3: "mar march mars marz mrz marzo marco maerz maart",
    4: "apr april avr avril abr abril aprile",
    5: "may mai mayo mag maggio maio mei",
    6: "jun june juin juni junio giu giugno junho",
    7: "jul july juil juillet juli julio lug luglio julho",
    8: "aug august aout ago agosto augustus",
    9: "sep sept september septembre septiembre set settembre setembro",
    10: "oct october octobre okt oktober octubre ott ottobre out outubro",
    11: "nov november novembre noviembre novembro",
    12: "dec december decembre dez dezember dic diciembre dicembre dezembro",
}
_ENGLISH_MONTHS = {words.split()[0]: number for number, words in _MONTH_WORDS.items()}
# Every spelling of the three-letter English names ("Jun", "JUN", "jUn" ...): no lower() needed.
_MONTH_SPELLINGS = {
    "".join(spelling): number
    for name, number in _ENGLISH_MONTHS.items()
    for spelling in itertools.product(*({ch, ch.upper()} for ch in name))
}
MONTHS = {word: number for number, words in _MONTH_WORDS.items() for word in words.split()}
_WEEKDAY_WORDS = (
    "mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday"
    " sat saturday sun sunday"
    " lun lundi mar mardi mer mercredi jeu jeudi ven vendredi sam samedi dim dimanche"
    " mo montag di dienstag mi mittwoch do donnerstag fr freitag sa samstag so sonntag"
    " lunes martes mie miercoles jue jueves vie viernes sab sabado dom domingo"
    " lunedi martedi mercoledi gio giovedi venerdi sabato domenica"
)
WEEKDAYS = frozenset(_WEEKDAY_WORDS.split())
ZONE_OFFSETS_MINUTES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300,
    "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
    "cet": 60, "cest": 120,
}  # fmt: skip


@dataclass(frozen=True)
class Hop:
    """One Received header, parsed. ``index`` is 1-based, oldest first, once in a Chain."""

    index: int
    from_host: str | None
    from_ip: str | None
    by_host: str | None
    by_ip: str | None
    with_: str | None
    id: str | None
    for_: str | None
    tls: str | None
    timestamp: datetime | None
    date_text: str | None
    delay_seconds: float | None
    clock_skew: bool
    raw: str
    problems: tuple[str, ...]
    via: str | None = None

    def __post_init__(self) -> None:
        # A hop from build_chain holds the ISO text of its timestamp from when its date was
        # read (_TIMESTAMP_ISO); one from this constructor gets it here.
        object.__setattr__(self, _TIMESTAMP_ISO, _iso(self.timestamp))

    def to_dict(self) -> dict[str, Any]:
        fields = self.__dict__  # subscripts cost less than attributes: chains are long
        return {
            "index": fields["index"],
            "from": fields["from_host"],
            "from_ip": fields["from_ip"],
            "by": fields["by_host"],
            "by_ip": fields["by_ip"],
            "with": fields["with_"],
            "id": fields["id"],
            "for": fields["for_"],
            "via": fields["via"],
            "tls": fields["tls"],
            "timestamp": fields[_TIMESTAMP_ISO],
            "date_text": fields["date_text"],
            "delay_seconds": fields["delay_seconds"],
            "clock_skew": fields["clock_skew"],
            "raw": fields["raw"],
            "problems": list(fields["problems"]),
        }


# The key, in a Hop's __dict__, of the ISO text of its timestamp: no field of the dataclass,
# so equality, repr and the constructor's parameters ignore it.
_TIMESTAMP_ISO = "_timestamp_iso"


@dataclass(frozen=True)
class Chain:
    """The hops of one message, oldest first, with the transit time they add up to."""

    hops: tuple[Hop, ...]
    total_transit_seconds: float | None
    skipped: int = 0  # the oldest Received headers left out by build_chain's limit

    def slowest(self) -> Hop | None:
        """The hop with the longest non-negative delay (the first one on a tie)."""
        timed = [
            hop for hop in self.hops if hop.delay_seconds is not None and hop.delay_seconds >= 0
        ]
        return max(timed, key=lambda hop: hop.delay_seconds or 0.0, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hops": [hop.to_dict() for hop in self.hops],
            "total_transit_seconds": self.total_transit_seconds,
            "skipped_hops": self.skipped,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- lexing


# A lexed item is (kind, text, start offset); plain tuples keep million-word input fast.
_Item = tuple[str, str, int]
_WORD, _COMMENT, _SEMI = "word", "comment", ";"


def _paren_pairs(text: str) -> tuple[dict[int, int], bool]:
    """Map each matched '(' to its ')'; the flag says some parenthesis had no partner.

    Outside comments a quoted string is skipped whole: a parenthesis in it is text. Inside a
    comment a '"' is text (RFC 5322 ctext) and a backslash escapes the next character; outside
    both it escapes nothing ("\\(" opens a comment).
    """
    stack: list[int] = []
    pairs: dict[int, int] = {}
    stray_close = False
    position = 0
    search = _PAREN_QUOTE_OR_ESCAPE.search
    while (match := search(text, position)) is not None:
        char, position = match.group(), match.end()
        if char == "(":
            stack.append(match.start())
        elif char == ")":
            if stack:
                pairs[stack.pop()] = match.start()
            else:
                stray_close = True
        elif char == '"' and not stack:
            quoted = _QUOTED.match(text, match.start())
            if quoted is not None:
                position = quoted.end()
        elif not stack:  # a backslash outside comments escapes nothing (RFC 5322 §3.2.1)
            position = match.start() + 1
    return pairs, bool(stack) or stray_close


def _lex(text: str, pairs: dict[int, int]) -> list[_Item]:
    """Words, outermost comments and ';' in order. Unmatched parentheses stay in the words."""
    items: list[_Item] = []
    pos = 0
    for start in sorted(pairs):
        if start < pos:
            continue  # nested inside the comment just taken
        items.extend(_words(text, pos, start))
        end = pairs[start]
        items.append((_COMMENT, text[start + 1 : end], start))
        pos = end + 1
    items.extend(_words(text, pos, len(text)))
    return items


def _words(text: str, start: int, end: int) -> list[_Item]:
    return [
        (_SEMI if match.group() == ";" else _WORD, match.group(), match.start())
        for match in _TOKEN.finditer(text, start, end)
    ]


def _without_comments(text: str) -> tuple[str, list[str]]:
    """The text with its outer comments removed, and those comments."""
    pairs, _ = _paren_pairs(text)
    items = _lex(text, pairs)
    words = [text for kind, text, _ in items if kind != _COMMENT]
    comments = [text for kind, text, _ in items if kind == _COMMENT]
    return " ".join(words), comments


# --------------------------------------------------------------------------- fields


@dataclass(slots=True, init=False)
class _Part:
    words: list[str]
    comments: list[str]
    head_end: int | None  # how many words came before the first comment (None: no comment)

    def __init__(self) -> None:  # plain lists, without dataclass default factories: hot path
        self.words, self.comments, self.head_end = [], [], None

    def host(self) -> str | None:
        return _host_name(self.words[0]) if self.words else None

    def phrase(self) -> str | None:
        """The words before the first comment (all of them when a comment came first)."""
        chosen = self.words[: self.head_end] if self.head_end else self.words
        phrase = " ".join(chosen).rstrip(",") if chosen else None
        return phrase or None


def _host_name(word: str) -> str | None:
    """The host a from/by word names. A comma some servers write after it ("by mx.example.net,
    id 1") is punctuation, and so is the root's dot of a fully qualified name
    ("mx.example.net."): the same host as without it, shown and compared without it."""
    return word.rstrip(",").rstrip(".") or None


# What a Received value is made of before the fields are read: the keyword parts, every
# comment, the keywords seen twice, the date text and whether a parenthesis had no partner.
_Lexed = tuple[dict[str, _Part], list[str], list[str], str | None, bool]


def _read_parts(text: str) -> _Lexed:
    return _read_parts_simple(text) or _read_parts_general(text)


def _read_parts_general(text: str) -> _Lexed:
    pairs, unbalanced = _paren_pairs(text)
    items = _lex(text, pairs)
    field_items, date_text = _split_date(text, items)
    tokens = [f"({text})" if kind == _COMMENT else text for kind, text, _ in field_items]
    parts, comments, repeated = _collect_tokens(tokens)
    return parts, comments, repeated, date_text, unbalanced


def _read_parts_simple(text: str) -> _Lexed | None:
    """What _read_parts_general gives, from one findall, for the usual value: comments nested
    at most once, no escapes or quoted strings, a ';' before the date. None for anything else."""
    if "\\" in text or '"' in text:
        return None
    tokens = _FLAT_TOKEN.findall(text)
    opens, closes = text.count("("), text.count(")")
    if (opens or closes) and (opens != closes or "".join(tokens).count("(") != opens):
        tokens = _SIMPLE_TOKEN.findall(text)  # a comment inside a comment, as Postfix writes
        if opens != closes or "".join(tokens).count("(") != opens:
            return None  # nested deeper, or unmatched parentheses
    end = len(tokens)
    while end and tokens[end - 1] == ";":
        end -= 1
    separator = end - 1
    while separator >= 0 and tokens[separator] != ";":
        separator -= 1
    if separator < 0 or any(";" in t for t in tokens[separator:end] if t[0] == "("):
        return None
    position = len(text)
    for _ in range(len(tokens) - end + 1):  # the separator and the ';'s after the date
        position = text.rfind(";", 0, position)
    date_text = text[position + 1 :].rstrip().rstrip(";")
    parts, comments, repeated = _collect_tokens(tokens[:separator])
    return parts, comments, repeated, date_text, False


def _collect_tokens(tokens: list[str]) -> tuple[dict[str, _Part], list[str], list[str]]:
    """Keyword parts (first occurrence wins), every comment, and keywords seen twice.

    Comments come as "(text)"; a word cannot both start with an unmatched "(" and end with
    an unmatched ")" (those two would make a pair), so the test below tells them apart.
    """
    parts: dict[str, _Part] = {}
    repeated: list[str] = []
    comments: list[str] = []
    current = _Part()
    spellings = _KEYWORD_SPELLINGS
    for token in tokens:
        keyword = spellings.get(token)
        if keyword is not None:
            if keyword in parts:
                repeated.append(keyword)
                current = _Part()
            else:
                current = parts[keyword] = _Part()
        elif token[0] == "(" and token[-1] == ")":
            comment = token[1:-1]
            comments.append(comment)
            if current.head_end is None:
                current.head_end = len(current.words)
            current.comments.append(comment)
        elif token[0] != ";":
            current.words.append(token)
    return parts, comments, sorted(set(repeated)) if repeated else repeated


def _ip_of(part: _Part | None) -> str | None:
    """The connecting IP: from the comments first (TCP info), else a literal host."""
    if part is None:
        return None
    for comment in part.comments[:_MAX_IP_TEXTS]:
        found = _first_ip(comment)
        if found:
            return found
    return _first_ip(" ".join(part.words[:_MAX_IP_TEXTS]))


def _first_ip(text: str) -> str | None:
    if len(text) <= 64 and _IP_SHAPE.fullmatch(text) and text[0] in _IP_FIRST_CHARS:
        # The usual "(192.0.2.1)" comment: one piece, read as the loop below would read it
        # (no brackets around it, so no "[a.b.c.d.port]" literal either).
        if text[-1] != "." and "%" not in text:
            # all _as_ip would do with it, unless it is "192.0.2.1:54321" (no address)
            return canonical_ip(text) or _as_ip(text)
        return _as_ip(text)
    if _MAYBE_IP.search(text) is None:
        return None  # "Postfix", "mx.example.net": no piece can have an address's shape
    literal = _LEADING_LITERAL.match(text)
    if literal is not None:
        found = _literal_ip(*literal.groups())
        if found:
            return found
    sender = _USER_AT_IPV4.fullmatch(text)
    if sender is not None:
        user, address = sender.groups()
        helo = len(user) == 4 and user.lower() in ("helo", "ehlo")
        if not user or (user[0] not in _IP_FIRST_CHARS and not helo):
            return canonical_ip(address)
    return _scan_for_ip(text)


def _literal_ip(host: str | None, address: str) -> str | None:
    """The address of a comment starting "[a.b.c.d]" or "host [a.b.c.d]", as _scan_for_ip
    reads it: a host that is neither an address itself nor a HELO keyword (which would hide
    the piece after it) leaves the literal the first address; None when the scan must decide."""
    if host is not None and (
        (len(host) == 4 and host.lower() in ("helo", "ehlo"))
        # the host's characters hold no ':' or '%': of _IP_SHAPE, only a dotted quad
        or (host[0] in _DIGITS and _IP_SHAPE.fullmatch(host.rstrip(".")) is not None)
    ):
        return None
    return canonical_ip(address)


def _scan_for_ip(text: str) -> str | None:
    previous = ""
    for match in itertools.islice(_IP_PIECE.finditer(text), _MAX_IP_PIECES):
        piece = match.group()
        skip_helo = len(previous) == 4 and previous.lower() in ("helo", "ehlo")
        previous = piece
        if skip_helo or len(piece) > 64 or piece[0] not in _IP_FIRST_CHARS:
            continue
        found = _as_ip(piece)
        if found is None and piece.count(".") == 4:
            found = _literal_with_port(text, match)
        if found:
            return found
    return None


def _literal_with_port(text: str, match: re.Match[str]) -> str | None:
    """The address of ``[a.b.c.d.port]``; only in brackets, where five numbers are no date."""
    start, end = match.span()
    bracketed = text[start - 1 : start] == "[" and text[end : end + 1] == "]"
    found = _IPV4_AND_PORT.fullmatch(match.group()) if bracketed else None
    return canonical_ip(found.group(1)) if found else None


def _as_ip(piece: str) -> str | None:
    if piece[:5].lower() == "ipv6:":
        piece = piece[5:]
    piece = piece.rstrip(".")
    if not _IP_SHAPE.fullmatch(piece):
        return None
    address = canonical_ip(piece.split("%", 1)[0])
    if address is None and piece.count(":") == 1 and "." in piece:
        # "192.0.2.1:54321": an IPv4 address with the client's port, no brackets
        host, _, port = piece.partition(":")
        return canonical_ip(host) if port.isdigit() and len(port) <= 5 else None
    return address


_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"
# Addresses written as inet_ntop writes them, so that no round trip through it can change them
# (it costs 0.4 us for an IPv6 one, the pattern half that): a dotted quad without leading
# zeros, numbers up to 255; an IPv6 address of lower-case groups without leading zeros, none of
# them zero, all eight or six at most around one "::" (the only run of zeros, of two groups or
# more, so the one it compresses), the first group no zero (so no IPv4-mapped form either).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_AS_WRITTEN = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}").fullmatch
_GROUP = r"[1-9a-f][0-9a-f]{0,3}+"
# The "::" form first: it is the usual one, and the eight groups' form fails on it only after
# four groups.
_IPV6_AS_WRITTEN = re.compile(
    rf"(?=[0-9a-f]*+(?::[0-9a-f]*+){{0,6}}+\Z){_GROUP}(?::{_GROUP})*+::{_GROUP}(?::{_GROUP})*+"
    rf"|{_GROUP}(?::{_GROUP}){{7}}"
).fullmatch


def canonical_ip(text: str) -> str | None:
    """The canonical text of an IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4), else None."""
    if (_IPV6_AS_WRITTEN if ":" in text else _IPV4_AS_WRITTEN)(text) is not None:
        return text
    return _converted_ip(text)


def _converted_ip(text: str) -> str | None:
    """canonical_ip through the address's packed form.

    inet_pton/inet_ntop do in C what the ipaddress module does in Python: this runs for
    every word of every Received header that looks like an address.
    """
    try:
        if ":" not in text:
            return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, text))
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        return None
    if packed.startswith(_MAPPED_PREFIX):
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return (
        str(ipaddress.IPv6Address(packed))
        if packed.startswith(b"\x00" * 12)
        else (socket.inet_ntop(socket.AF_INET6, packed))
    )


def _tls_of(comments: Sequence[str], protocol: str | None) -> str | None:
    """The TLS version a comment names, else "yes" when a comment names TLS or SSL without a
    version (``with SMTP (TLS)``) or the protocol is one over TLS (``with ESMTPS``)."""
    mentioned = False
    for comment in comments:
        match = _TLS_VERSION.search(comment)
        if match:
            return _tls_named(match)
        mentioned = mentioned or _names_tls(comment)
    if mentioned:
        return "yes"
    first_word = protocol.split()[0].lower() if protocol else ""
    return "yes" if first_word in _TLS_PROTOCOLS else None


def _names_tls(comment: str) -> bool:
    """Whether the comment says TLS (or SSL) was used: names it, and not as "no TLS"."""
    if "TLS" not in comment and "SSL" not in comment:
        return False
    return _TLS_WORD.search(comment) is not None and _NO_TLS.search(comment) is None


def _tls_named(match: re.Match[str]) -> str:
    family, major, minor = match.groups()
    return f"SSLv{major}" if family == "SSL" else f"TLSv{major}.{minor or '0'}"


def _recipient(part: _Part | None) -> str | None:
    if part is None:
        return None
    return _recipient_text(_closed_address(part.phrase(), part.words))


def _closed_address(phrase: str | None, words: list[str]) -> str | None:
    """The phrase, or all words joined when a comment sat inside the angle brackets
    (``for <a@example.com (comment)>``: RFC 5322 allows CFWS before the '>')."""
    if phrase and phrase.startswith("<") and ">" not in phrase and len(words) > 1:
        return "".join(words)
    return phrase


def _recipient_text(text: str | None) -> str | None:
    """The address of a ``for`` phrase: a Path's angle brackets, its source route and the root's
    dot of its domain dropped (``<@relay.example:a@example.com.>`` is ``a@example.com``), and
    punctuation after the '>' (``<a@example.com>.``) as well."""
    if not text:
        return text
    if text[0] == "<" and text[-1] != ">" and text[-1] in ".,":
        text = text.rstrip(".,")
    if text[0] == "<" and text[-1] == ">" and _angles_outside_quotes(text) == 1:
        text = text[1:-1]
        if not text:
            return None
    if text[0] == "@":
        route = _SOURCE_ROUTE.match(text)
        if route is not None and route.end() < len(text):
            text = text[route.end() :]
    if text[-1] == "." and "@" in text:
        address = text.rstrip(".")
        if address[-1] != "@":
            return address
    return text


def _angles_outside_quotes(text: str) -> int:
    """How many '<' open an address: one in a quoted local part (<"a<b"@example.com>) is text."""
    return (_QUOTED.sub("", text) if '"' in text else text).count("<")


# --------------------------------------------------------------------------- the usual shapes
# Most values (Exchange Online's, Postfix's, Exim's, Sendmail's, qmail's) are keyword parts in
# the order RFC 5321 gives, each a word, more words and comments nested at most once, then ';'
# and the date, without escapes or quoted strings. One match of the pattern below reads such a
# value into its parts; what it declines goes through the lexers. It reads exactly what
# the lexers read (tests/test_received_grammar.py holds it to that).

_WORD_RE = r"[^\s;()\\\"]++"
_COMMENT_RE = r"\((?:[^()\\\"]++|\([^()\\\"]*+\))*+\)"


def _keyword_re(keyword: str) -> str:
    """Every spelling of the keyword, in ASCII only (as _KEYWORD_SPELLINGS)."""
    return "".join(f"[{ch.upper()}{ch}]" for ch in keyword)


# The look-ahead for the first letters first: most words start with none of them, and one
# test of a set is cheaper than trying each keyword (tried before every word and host).
_ANY_KEYWORD_RE = (
    "(?=[" + "".join(sorted({ch for keyword in KEYWORDS for ch in keyword[0] + keyword[0].upper()}))
    + "])(?:" + "|".join(map(_keyword_re, KEYWORDS)) + ")"
)  # fmt: skip
# A word that is no keyword (a keyword ends where a lexer's word ends).
_PLAIN_WORD_RE = rf"(?!{_ANY_KEYWORD_RE}(?![^\s;()])){_WORD_RE}"


def _part_re(name: str) -> str:
    """A part's words before its first comment (``name``) and the rest (``name_rest``)."""
    head = rf"(?P<{name}>{_PLAIN_WORD_RE}(?:\s++{_PLAIN_WORD_RE})*+)"
    rest = rf"(?P<{name}_rest>(?:\s*+{_COMMENT_RE}(?:\s*+{_PLAIN_WORD_RE})*+)*+)"
    return head + rest


def _clause_re(keyword: str, name: str) -> str:
    return rf"(?:\s++{_keyword_re(keyword)}\s++{_part_re(name)})?+"


_USUAL_FORM = re.compile(
    rf"\s*+(?:{_keyword_re('from')}\s++{_part_re('from')}\s++)?+"
    rf"{_keyword_re('by')}\s++{_part_re('by')}"
    + _clause_re("via", "via")
    + _clause_re("with", "with")
    + _clause_re("id", "id")
    + _clause_re("via", "via_after_id")  # Exchange writes "id ... via Frontend Transport"
    + _clause_re("for", "for")
    + rf"\s*+;(?=\s*+\S)(?P<date>[^;()\\\"]*+(?:{_COMMENT_RE}[^;()\\\"]*+)*+)"
)
_USUAL_COMMENT = re.compile(_COMMENT_RE)

# The RFC 5322 date as most servers write it (Postfix pads a one-digit day with a space), read
# in the same match as the rest of a value: its groups are the day, the month's name, the year,
# the time of day ("h:mm:ss" or "hh:mm:ss") and the offset ("+hhmm"); no fraction.
_DATE_PARTS_RE = (
    r"(?P<date>(?:[A-Za-z]{3},  ?)?+([0-9]{1,2}) ([A-Za-z]{3}) ([0-9]{4}) "
    r"([0-9]{1,2}:[0-9]{2}:[0-9]{2}) ([+-][0-9]{4})(?: \([A-Za-z]{1,5}\))?+)"
)

# What _MAYBE_IP finds in a host name (no ':' in it) holds this; searched for the '.' alone
# (a literal), it is found or not faster in a name full of digits, as Exchange's are.
_DOTTED_NUMBERS = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")

# Exchange's own hops, the most common shape of all in a Microsoft 365 message:
#   from HOST (IP) by HOST [(IP)] with HTTPS; DATE
#   from HOST (IP) by HOST [(IP)] with Microsoft SMTP Server [(version=TLS1_2, cipher=...)]
#     id 15.20.8511.13 [via Frontend Transport]; DATE
#   from HOST ([IPv6]) by HOST ([IPv6%zone]) with mapi id 15.20.4649.019; DATE
# read with every field captured, so that little is left to do in Python. Like _USUAL_FORM,
# it reads what the lexers read (tests/test_received_grammar.py), or declines.
# Every part is taken whole, once (possessive): a host, an address, a zone or cipher name
# shorter than its run of characters would end before one of them, and an optional part left
# out where it is written would leave its first character; nothing that must follow starts
# with either, so trying one is only the slow way to decline. A host is a name's characters
# up to 254, a letter or digit first and last (the look-behind).
_HOST_RE = rf"(?!{_ANY_KEYWORD_RE}(?![^\s;()]))[A-Za-z0-9][A-Za-z0-9.-]{{0,253}}+(?<=[A-Za-z0-9])"


def _address_comment_re(name: str) -> str:
    """A comment holding only an address, perhaps in brackets, perhaps with its zone."""
    return rf"\s*+\(\[?+(?P<{name}>[0-9A-Fa-f:.]{{2,45}}+)(?:%[0-9A-Za-z_.-]{{1,20}}+)?+\]?+\)"


_EXCHANGE_FORM = re.compile(
    rf"\s*+from\s++(?P<from_host>{_HOST_RE}){_address_comment_re('from_ip')}"
    rf"\s++by\s++(?P<by_host>{_HOST_RE})(?:{_address_comment_re('by_ip')})?+"
    r"\s++with\s++(?:(?P<https>HTTPS)|(?P<protocol>Microsoft SMTP Server|mapi)"
    r"(?:\s*+\(version=TLS1_(?P<tls_minor>[0-3]), cipher=[A-Z0-9_]{1,80}+\))?+"
    r"\s++id\s++(?P<id>[0-9.]{1,40}+)"
    r"(?:\s++via\s++(?P<via>Frontend Transport|Mailbox Transport))?+)"
    rf"\s*+;\s*+{_DATE_PARTS_RE}\s*+"
)


def _exchange_hop_fields(text: str, dates: _DateMemo | None = None) -> dict[str, Any] | None:
    """The fields of one of Exchange's own hops (_EXCHANGE_FORM); None for any other value,
    or one whose address in a comment is none."""
    match = _EXCHANGE_FORM.fullmatch(text)
    if match is None:
        return None
    groups = match.groups()
    from_host, from_text, by_host, by_text, https, protocol, tls_minor, id_, via, date = groups[:10]
    from_ip = canonical_ip(from_text)
    if by_text is not None:
        by_ip = canonical_ip(by_text)
    else:  # _usual_ip(by_host, "") of a host: one word
        by_ip = None if _DOTTED_NUMBERS.search(by_host) is None else _first_ip(by_host)
    if from_ip is None or (by_ip is None and by_text is not None):
        return None  # "(1.2.3)": _first_ip's further reading decides
    timestamp, date_notes, shown, iso = _read_date(date, dates, groups[10:])
    problems = (
        ()
        if timestamp and not date_notes
        else _problems(text, by_host, [], False, date, timestamp, date_notes)
    )
    return {
        "from_host": from_host,
        "from_ip": from_ip,
        "by_host": by_host,
        "by_ip": by_ip,
        "with_": https or protocol,
        "id": id_,
        "for_": None,
        "tls": "yes" if https else f"TLSv1.{tls_minor}" if tls_minor else None,
        "timestamp": timestamp,
        "date_text": shown,
        _TIMESTAMP_ISO: iso,
        "raw": text,
        "problems": problems,
        "via": via,
    }


def _usual_hop_fields(text: str, dates: _DateMemo | None = None) -> dict[str, Any] | None:
    """The fields of a value in the usual shape, from one match; None for any other value."""
    match = _USUAL_FORM.match(text)
    if match is None or match.end() != len(text):
        return None
    (from_head, from_rest, by_head, by_rest, via_head, _via_rest, with_head, _with_rest, id_head,
     _id_rest, via2_head, _via2_rest, for_head, for_rest, date) = match.groups()  # fmt: skip
    if via_head is not None and via2_head is not None:
        return None  # "via" twice: the lexers report the repeated part
    date_text = date.rstrip()
    timestamp, date_notes, shown, iso = _read_date(date_text, dates)
    protocol = _words_phrase(with_head) if with_head is not None else None
    by_host = _host_name(by_head.split(None, 1)[0])
    tls = None
    if "TLS" in text or "SSL" in text:  # else no comment can name TLS: skip reading them
        tls = _tls_before(text, match.start("date"))
    problems = (
        ()
        if by_host and timestamp and not date_notes
        else _problems(text, by_host, [], False, date_text, timestamp, date_notes)
    )
    return {
        "from_host": _host_name(from_head.split(None, 1)[0]) if from_head else None,
        "from_ip": _usual_ip(from_head, from_rest) if from_head else None,
        "by_host": by_host,
        "by_ip": _usual_ip(by_head, by_rest),
        "with_": protocol,
        "id": _words_phrase(id_head) if id_head is not None else None,
        "for_": _usual_recipient(for_head, for_rest) if for_head is not None else None,
        "tls": tls or _tls_of((), protocol),
        "timestamp": timestamp,
        "date_text": shown,
        _TIMESTAMP_ISO: iso,
        "raw": text,
        "problems": problems,
        "via": _words_phrase(via_head if via_head is not None else via2_head),
    }


def _tls_before(text: str, end: int) -> str | None:
    """What _tls_of reads from the comments of ``text[:end]``, keyword parts matched by a
    one-match reader (comments nested at most once, words without parentheses): the first TLS
    version named in a comment, else "yes" when one names TLS without a version."""
    tls, ssl = text.find("TLS", 0, end), text.find("SSL", 0, end)
    if tls < 0 and ssl < 0:
        return None  # no comment names either
    # The versions in order (one starts with the first "TLS" or "SSL"), one search each: a
    # finditer costs more to start than a search. The first in a comment (more '(' than ')'
    # before it) is read; a version (no parenthesis in it) is in one comment or none, and its
    # neighbours in the text are those it has among the comments alone.
    search = _TLS_VERSION.search
    found = search(text, tls if ssl < 0 or 0 <= tls < ssl else ssl, end)
    while found is not None:
        start = found.start()
        if text.count("(", 0, start) > text.count(")", 0, start):
            return _tls_named(found)
        found = search(text, found.end(), end)
    return "yes" if any(map(_names_tls, _USUAL_COMMENT.findall(text, 0, end))) else None


# What a date text reads as (timestamp, notes, text shown, the timestamp's ISO text for
# Hop.to_dict), per distinct text in one chain: a message's hops are often stamped in the same
# second by servers of one organization.
_DateRead = tuple[datetime | None, list[str], str, str | None]
_DateMemo = dict[str, _DateRead]


def _read_date(text: str, dates: _DateMemo | None, parts: tuple[str, ...] = ()) -> _DateRead:
    """What the date text reads as; ``parts`` are its RFC 5322 pieces when a reader's pattern
    has matched them already (_DATE_PARTS_RE: no white space but single spaces and one pad)."""
    found = dates.get(text) if dates is not None else None
    if found is None:
        found = _read_date_parts(text, parts) if parts else None
        if found is None:
            moment, notes = parse_date_noting(text)
            found = (moment, notes, _shown(text), _iso(moment))
        if dates is not None:
            dates[text] = found
    return found


# The two-digit month of every spelling of the three-letter English names, for ISO text.
_MONTH_DIGITS = {spelling: f"{number:02d}" for spelling, number in _MONTH_SPELLINGS.items()}


def _read_date_parts(text: str, parts: tuple[str, ...]) -> _DateRead | None:
    """_read_date of a date whose _DATE_PARTS_RE pieces are known; None when they name no
    moment. It is read from its ISO text (datetime.fromisoformat is C, and one call where the
    datetime constructor needs six int() calls), which is also the ISO text of a UTC date
    ("+0000" or "-0000")."""
    day, month_name, year, clock, offset = parts
    month = _MONTH_DIGITS.get(month_name)
    if len(clock) == 7:
        clock = "0" + clock
    if month is None or clock >= "24":  # "24:00": no hour, in any Python's fromisoformat
        return None
    shown = text if "  " not in text else _shown(text)
    if offset == "+0000" or offset == "-0000":
        iso = f"{year}-{month}-{day.zfill(2)}T{clock}Z"
        try:
            return datetime.fromisoformat(iso), [], shown, iso
        except ValueError:
            return None
    if offset[3:] > "59":  # "+0075": no offset, as _zone reads it (fromisoformat: 01:15)
        return None
    try:
        moment = datetime.fromisoformat(f"{year}-{month}-{day.zfill(2)}T{clock}{offset}")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment, [], shown, _iso(moment)


# The hops of Postfix, Sendmail, Exim, qmail and most other servers, when each part starts with
# one word and "from" with a comment: "from helo (rdns [192.0.2.1]) (using TLS...) by host
# (Postfix) with ESMTPS id X for <a@example.com>; date". Read in one match with the first
# comment of "from" (where the connecting address most often is) captured, so that little is
# split or joined again in Python. Like _USUAL_FORM, it reads what the lexers read
# (tests/test_received_grammar.py), or declines.
# A part's rest after its word: comments, each perhaps followed by words (Exim writes
# "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96)").
_REST_RE = rf"(?:\s*+{_COMMENT_RE}(?:\s*+{_PLAIN_WORD_RE})*+)*+"
_ONE_WORD_FORM = re.compile(
    rf"\s*+{_keyword_re('from')}\s++(?P<from>{_PLAIN_WORD_RE})\s*+\((?P<first>"
    # "rdns [192.0.2.1] ...": the literal captured for _first_ip's reading of it
    rf"(?:(?P<literal_host>[A-Za-z0-9_.-]++)[ \t]++)?+\[(?P<literal>{_DOTTED_QUAD_RE})\]"
    rf"[^()\\\"]*+|[^()\\\"]*+)\)(?P<from_rest>{_REST_RE})"
    rf"\s++{_keyword_re('by')}\s++(?P<by>{_PLAIN_WORD_RE})(?P<by_rest>{_REST_RE})"
    rf"(?:\s++{_keyword_re('with')}\s++(?P<with>{_PLAIN_WORD_RE}){_REST_RE})?+"
    rf"(?:\s++{_keyword_re('id')}\s++(?P<id>{_PLAIN_WORD_RE}){_REST_RE})?+"
    rf"(?:\s++{_keyword_re('for')}\s++(?P<for>{_PLAIN_WORD_RE}))?+"
    rf"\s*+;\s*+{_DATE_PARTS_RE}\s*+"
)


def _one_word_hop_fields(text: str, dates: _DateMemo | None = None) -> dict[str, Any] | None:
    """The fields of a value in _ONE_WORD_FORM's shape; None for any other value."""
    match = _ONE_WORD_FORM.fullmatch(text)
    if match is None:
        return None
    groups = match.groups()
    (from_word, first, literal_host, literal, from_rest, by_word, by_rest, with_word, id_word,
     for_word, date) = groups[:11]  # fmt: skip
    from_ip = (literal and _literal_ip(literal_host, literal)) or _first_ip(first)
    if from_ip is None and (_MAYBE_IP.search(from_word) or _MAYBE_IP.search(from_rest)):
        # _usual_ip's further reading: qmail's "(HELO name) (user@192.0.2.1)", or the word
        comments = _USUAL_COMMENT.findall(from_rest)[: _MAX_IP_TEXTS - 1]
        from_ip = _later_ip(from_word, from_rest, comments)
    timestamp, date_notes, shown, iso = _read_date(date, dates, groups[11:])
    by_host = _host_name(by_word)
    protocol = with_word.rstrip(",") or None if with_word else None
    tls = None
    if "TLS" in text or "SSL" in text:
        tls = _tls_before(text, match.start("date"))
    return {
        "from_host": _host_name(from_word),
        "from_ip": from_ip,
        "by_host": by_host,
        "by_ip": _usual_ip(by_word, by_rest),
        "with_": protocol,
        "id": id_word.rstrip(",") or None if id_word else None,
        "for_": _recipient_text(for_word.rstrip(",") or None) if for_word else None,
        # _tls_of without comments, of a protocol of one word
        "tls": tls or ("yes" if protocol and protocol.lower() in _TLS_PROTOCOLS else None),
        "timestamp": timestamp,
        "date_text": shown,
        _TIMESTAMP_ISO: iso,
        "raw": text,
        "problems": (
            ()
            if by_host and timestamp and not date_notes
            else _problems(text, by_host, [], False, date, timestamp, date_notes)
        ),
        "via": None,
    }


def _usual_recipient(head: str | None, rest: str | None) -> str | None:
    """_recipient for a part read by _USUAL_FORM."""
    phrase = _words_phrase(head)
    if head is None or not rest or not phrase or not phrase.startswith("<") or ">" in phrase:
        return _recipient_text(phrase)
    words = head.split() + _USUAL_COMMENT.sub(" ", rest).split()
    return _recipient_text(_closed_address(phrase, words))


def _words_phrase(head: str | None) -> str | None:
    """A part's phrase from the words before its first comment (_Part.phrase)."""
    if head is None:
        return None
    return " ".join(head.split()).rstrip(",") or None


def _usual_ip(head: str, rest: str) -> str | None:
    """_ip_of for a part read by _USUAL_FORM: the comments first, then the words."""
    search = _MAYBE_IP.search
    if search(head) is None and (not rest or search(rest) is None):
        # Every text read below is a piece of these two, or pieces joined by a space: none
        # can hold an address's shape ("(Postfix)", "(Exim 4.96)").
        return None
    if not rest:
        return _first_ip(" ".join(head.split()[:_MAX_IP_TEXTS]))
    # The rest starts with a comment; when it holds no other, its text ends at the first ')'.
    start = rest.index("(") + 1
    first = rest[start : rest.index(")", start)]
    flat = "(" not in first
    if flat:  # "(192.0.2.1)", "(host [192.0.2.1])": the address is most often here
        found = _first_ip(first)
        if found:
            return found
    return _later_ip(head, rest, _USUAL_COMMENT.findall(rest)[flat:_MAX_IP_TEXTS])


def _later_ip(head: str, rest: str, comments: list[str]) -> str | None:
    """_usual_ip once its first comment is read: the address in these comments of the rest
    (the others), else in the part's words."""
    for comment in comments:
        found = _first_ip(comment[1:-1])
        if found:
            return found
    words = head.split() + _USUAL_COMMENT.sub(" ", rest).split()
    return _first_ip(" ".join(words[:_MAX_IP_TEXTS]))


# --------------------------------------------------------------------------- where the date is


def _split_date(text: str, items: list[_Item]) -> tuple[list[_Item], str | None]:
    """The items before the date, and the date text (None when there is none)."""
    content_after = False
    for position in range(len(items) - 1, -1, -1):
        if items[position][0] != _SEMI:
            content_after = True
        elif content_after:
            date_text = text[items[position][2] + 1 :]
            return _fields_only(items[:position]), date_text.rstrip().rstrip(";")
    fields = _fields_only(items)
    start = _date_start(fields)
    if start is None:
        return fields, None
    return fields[:start], text[fields[start][2] :]


def _fields_only(items: list[_Item]) -> list[_Item]:
    return [item for item in items if item[0] != _SEMI]


def _date_start(items: list[_Item]) -> int | None:
    """Index of the word that starts a date when no ';' marks it (SendGrid, GitHub)."""
    words = [(index, text) for index, (kind, text, _) in enumerate(items) if kind == _WORD]
    for position, (index, word) in enumerate(words):
        following = words[position + 1][1] if position + 1 < len(words) else ""
        if _starts_date(word, following):
            return index
    return None


def _starts_date(word: str, following: str) -> bool:
    if len(word) > _MAX_TOKEN_CHARS:
        return False
    if word[0] in _DIGITS:
        return bool(_ISO_DATE.fullmatch(word.lower())) or (
            len(word) <= 2 and word.isascii() and word.isdigit() and _is_month(following)
        )
    return _fold(word.rstrip(",")) in WEEKDAYS and (
        _is_month(following) or following[:1] in _DIGITS
    )


def _is_month(word: str) -> bool:
    return _fold(word.rstrip(",")) in MONTHS


def _shown(text: str) -> str:
    collapsed = " ".join(text.split())
    if len(collapsed) > _MAX_SHOWN_CHARS:
        return collapsed[: _MAX_SHOWN_CHARS - 1] + "…"
    return collapsed


def _fold(word: str) -> str:
    """Lower case, accents removed, trailing dot dropped: 'Déc.' -> 'dec'."""
    if len(word) > _MAX_TOKEN_CHARS:
        return ""
    if word.isascii():
        return word.lower().rstrip(".")
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).rstrip(".")


# --------------------------------------------------------------------------- dates


@dataclass
class _DateParts:
    year: int | None = None
    month: int | None = None
    day: int | None = None
    clock: tuple[int, int, int, int] | None = None  # hour, minute, second, microsecond
    meridiem: str | None = None
    offset: int | None = None  # minutes east of UTC
    zone: int | None = None  # from a zone name, used when there is no numeric offset
    month_names: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    unknown_zone: str | None = None


def parse_date(text: str) -> datetime | None:
    """Read a Received date in any of the shapes seen in the wild; an aware UTC datetime.

    Accepts RFC 5322 dates with or without the weekday (full, abbreviated or French, German,
    Spanish, Italian...), ``Apr 21 2018``, ``4/20/2018 11:01:16 PM``, ``2018-4-20``, ISO 8601,
    fractions down to nanoseconds, Go's ``+0000 UTC m=+555016.72``, offsets written ``- 0600``,
    zone names (UTC, GMT, EST/EDT, CST/CDT, MST/MDT, PST/PDT, CET/CEST, Z), comments after the
    date. A date without any zone is taken as UTC. None when no day, month and year are found.
    """
    return parse_date_noting(text)[0]


def parse_date_noting(text: str) -> tuple[datetime | None, list[str]]:
    """parse_date's reading with what it had to assume or change ("leap second 23:59:60 read
    as 23:59:59", a missing zone taken as UTC), one note each."""
    if not isinstance(text, str):
        return None, []
    common = _common_date(text)
    if common is not None:
        return common, []
    plain, comments = _without_comments(text)
    if ":" in plain:  # obsolete syntax (RFC 5322 §4.3) allows white space around the colons
        plain = _SPACED_COLON.sub(":", plain)
    parts = _DateParts()
    tokens = [token for token in re.split(r"[\s,()]+", plain.lower()) if token]
    _read_tokens(tokens[:_MAX_DATE_TOKENS], parts)
    for comment in comments:
        zone = ZONE_OFFSETS_MINUTES.get(comment.strip().lower())
        if zone is not None and parts.zone is None:
            parts.zone = zone
    return _assemble(parts)


def _common_date(text: str) -> datetime | None:
    """Fast path for the RFC 5322 shape most servers write; None sends the text the slow way."""
    match = _RFC5322_DATE.fullmatch(text.strip())
    return None if match is None else _moment(*match.groups())


def _moment(*parts: str) -> datetime | None:
    """The UTC moment of the parts _RFC5322_DATE captures (day, month name, year, hour, minute,
    second, fraction, offset sign, hours, minutes); None when they name no moment."""
    day, month_name, year, hour, minute, second, fraction, sign, off_h, off_m = parts
    month = _MONTH_SPELLINGS.get(month_name)
    zone = _ZONES.get(sign + off_h + off_m) or _zone(sign, off_h, off_m)
    if month is None or zone is None:
        return None
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        local = datetime(
            int(year), month, int(day), int(hour), int(minute), int(second), micro, tzinfo=zone
        )
        return local if zone is UTC else local.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


_ZONES: dict[str, timezone] = {}


def _zone(sign: str, hours: str, minutes: str) -> timezone | None:
    """The fixed-offset zone of '+hhmm', made once per offset seen (a few dozen exist)."""
    key = sign + hours + minutes
    zone = _ZONES.get(key)
    if zone is None:
        if int(hours) >= 24 or int(minutes) >= 60:
            return None
        offset = (-1 if sign == "-" else 1) * timedelta(hours=int(hours), minutes=int(minutes))
        zone = UTC if not offset else timezone(offset)
        if len(_ZONES) < 2000:  # offsets are few; hostile input cannot grow this without bound
            _ZONES[key] = zone
    return zone


def _read_tokens(tokens: list[str], parts: _DateParts) -> None:
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if len(token) > _MAX_TOKEN_CHARS or _GO_MONOTONIC.fullmatch(token):
            continue
        if token in ("+", "-") and position < len(tokens) and _INTEGER.fullmatch(tokens[position]):
            _read_offset(token + tokens[position], parts)
            position += 1
            continue
        _read_token(token, parts)


def _read_token(token: str, parts: _DateParts) -> None:
    iso = _ISO_DATE.fullmatch(token)
    if iso:
        parts.year, parts.month, parts.day = (int(iso.group(n)) for n in (1, 2, 3))
        if iso.group(4):
            _read_token(iso.group(4), parts)
        return
    numeric = _NUMERIC_DATE.fullmatch(token)
    if numeric:
        _read_numeric_date(numeric, parts)
        return
    clock = _TIME.fullmatch(token)
    if clock:
        _read_clock(clock, parts)
        return
    if _OFFSET.fullmatch(token):
        _read_offset(token, parts)
    elif _INTEGER.fullmatch(token):
        parts.numbers.append(token)
    else:
        _read_word(token, parts)


def _read_numeric_date(match: re.Match[str], parts: _DateParts) -> None:
    first, separator, second, year = match.groups()
    # 4/20/2018 is American; 20.04.2018 and 20/04/2018 (first > 12) are day first.
    day_first = separator == "." or int(first) > 12
    day, month = (first, second) if day_first else (second, first)
    parts.day, parts.month, parts.year = int(day), int(month), _full_year(year)


def _read_clock(match: re.Match[str], parts: _DateParts) -> None:
    hour, minute, second, fraction, meridiem, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    parts.clock = (int(hour), int(minute), int(second or 0), micro)
    parts.meridiem = meridiem or parts.meridiem
    if zone == "z":
        parts.zone = 0
    elif zone:
        _read_offset(zone, parts)


def _read_offset(token: str, parts: _DateParts) -> None:
    match = _OFFSET.fullmatch(token)
    if match is None or parts.offset is not None:
        return
    sign, hours, minutes = match.groups()
    if int(hours) < 24 and int(minutes) < 60:
        parts.offset = (-1 if sign == "-" else 1) * (int(hours) * 60 + int(minutes))
    else:
        parts.unknown_zone = parts.unknown_zone or token


def _read_word(token: str, parts: _DateParts) -> None:
    if token in ("am", "pm", "a.m.", "p.m."):
        parts.meridiem = token[0] + "m"
        return
    if token in ZONE_OFFSETS_MINUTES:
        parts.zone = ZONE_OFFSETS_MINUTES[token] if parts.zone is None else parts.zone
        return
    name = _fold(token)
    if name in MONTHS:
        parts.month_names.append(name)
    elif name not in WEEKDAYS and _ZONE_LIKE.fullmatch(token):
        parts.unknown_zone = parts.unknown_zone or token.upper()


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return year + (2000 if year < 70 else 1900)
    return year


def _resolve_calendar(parts: _DateParts) -> None:
    """Fill month, day and year from the names and bare numbers read."""
    if parts.month is None and parts.month_names:
        # 'mar' is Tuesday in French/Spanish and March in English: with two month-like
        # words, the first one that is no weekday is the month.
        names = parts.month_names
        if len(names) > 1:
            names = [name for name in names if name not in WEEKDAYS] or names[-1:]
        parts.month = MONTHS[names[0]]
    for number in parts.numbers:
        if len(number) == 4 and parts.year is None:
            parts.year = int(number)
        elif len(number) <= 2 and parts.day is None:
            parts.day = int(number)
        elif len(number) <= 2 and parts.year is None:
            parts.year = _full_year(number)


def _assemble(parts: _DateParts) -> tuple[datetime | None, list[str]]:
    _resolve_calendar(parts)
    if parts.year is None or parts.month is None or parts.day is None:
        return None, []
    notes: list[str] = []
    hour, minute, second, micro = parts.clock or (0, 0, 0, 0)
    if parts.clock is None:
        notes.append("no time of day, assumed 00:00")
    if parts.meridiem == "pm" and hour < 12:
        hour += 12
    elif parts.meridiem == "am" and hour == 12:
        hour = 0
    offset = parts.offset if parts.offset is not None else parts.zone
    if offset is None:
        unknown = f" ({parts.unknown_zone} not understood)" if parts.unknown_zone else ""
        notes.append(f"no time zone, assumed UTC{unknown}")
        offset = 0
    if second > 60:
        return None, []  # RFC 5322 §3.3 allows 60 (a leap second), nothing above
    if second == 60:
        # datetime has no 60th second: keep the day and minute as written, and say so (the
        # delay to the next hop then reads at most one second long, within the skew tolerance)
        second = 59
        notes.append(f"leap second {hour:02d}:{minute:02d}:60 read as {hour:02d}:{minute:02d}:59")
    try:
        local = datetime(
            parts.year, parts.month, parts.day, hour, minute, second, micro,
            tzinfo=timezone(timedelta(minutes=offset)),
        )  # fmt: skip
        return local.astimezone(UTC), notes
    except (ValueError, OverflowError):
        return None, []


# --------------------------------------------------------------------------- public entry points


def parse_received(value: str) -> Hop:
    """Parse one unfolded Received value. The Hop has index 0 and no delay."""
    return _make_hop(_hop_fields(value), 0, None, False)


def _make_hop(fields: dict[str, Any], index: int, delay: float | None, skewed: bool) -> Hop:
    """A Hop filled from its fields at the cost of two dict updates: the frozen dataclass's
    __init__ sets its 17 attributes one object.__setattr__ at a time (chains are long)."""
    hop = object.__new__(Hop)
    fields["index"] = index
    fields["delay_seconds"] = delay
    fields["clock_skew"] = skewed
    object.__setattr__(hop, "__dict__", fields)  # the fields dict is the hop's own from here
    return hop


def _hop_fields(value: str) -> dict[str, Any]:
    """Everything a Hop holds that one Received value tells (not its place in a chain)."""
    text = _as_text(value)
    return (
        _exchange_hop_fields(text)
        or _one_word_hop_fields(text)
        or _usual_hop_fields(text)
        or _lexed_hop_fields(text)
    )


def _lexed_hop_fields(text: str, dates: _DateMemo | None = None) -> dict[str, Any]:
    """The fields of any value, through the lexers (the general one for odd values)."""
    parts, comments, repeated, date_text, unbalanced = _read_parts(text)
    timestamp, date_notes, shown, iso = (
        _read_date(date_text, dates) if date_text else (None, [], None, None)
    )
    protocol = _phrase(parts, "with")
    by_host = _host(parts, "by")
    return {
        "from_host": _host(parts, "from"),
        "from_ip": _ip_of(parts.get("from")),
        "by_host": by_host,
        "by_ip": _ip_of(parts.get("by")),
        "with_": protocol,
        "id": _phrase(parts, "id"),
        "for_": _recipient(parts.get("for")),
        "tls": _tls_of(comments, protocol),
        "timestamp": timestamp,
        "date_text": shown,
        _TIMESTAMP_ISO: iso,
        "raw": text,
        "problems": _problems(
            text, by_host, repeated, unbalanced, date_text, timestamp, date_notes
        ),
        "via": _phrase(parts, "via"),
    }


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _host(parts: dict[str, _Part], keyword: str) -> str | None:
    part = parts.get(keyword)
    return part.host() if part else None


def _phrase(parts: dict[str, _Part], keyword: str) -> str | None:
    part = parts.get(keyword)
    return part.phrase() if part else None


def _problems(
    text: str,
    by_host: str | None,
    repeated: list[str],
    unbalanced: bool,
    date_text: str | None,
    timestamp: datetime | None,
    date_notes: list[str],
) -> tuple[str, ...]:
    if not text.strip():
        return ("empty Received header",)
    problems: list[str] = []
    if by_host is None:
        problems.append("no 'by' part")
    problems.extend(f"repeated '{keyword}' part" for keyword in repeated)
    if unbalanced:
        problems.append("unbalanced parentheses")
    if not date_text:
        problems.append("no date")
    elif timestamp is None:
        problems.append(f"unparseable date: {_shown(date_text)[:80]}")
    problems.extend(date_notes)
    return tuple(problems)


def build_chain(values: Sequence[str], limit: int | None = None) -> Chain:
    """Hops from Received values in header order (topmost, newest, first), oldest first.

    Each dated hop's delay is measured from the previous dated hop. A delay of one second or
    more below zero is clock skew; negative delays never count in the total transit time.
    With a ``limit``, only the newest ``limit`` values are read (the hops nearest the
    recipient); the others are counted in ``Chain.skipped`` and keep their place in the
    numbering, so hop N is the N-th Received header from the bottom either way.
    """
    hops: list[Hop] = []
    previous: datetime | None = None
    total = 0.0
    dated = 0
    skipped = max(0, len(values) - limit) if limit is not None else 0
    kept = values[: len(values) - skipped]
    dates: _DateMemo = {}
    new, set_attribute = object.__new__, object.__setattr__
    tolerance = -SKEW_TOLERANCE_SECONDS
    for index, value in enumerate(reversed(kept), start=skipped + 1):
        if isinstance(value, str):  # _hop_fields without its two calls: chains are long
            fields = (
                _exchange_hop_fields(value, dates)
                or _one_word_hop_fields(value, dates)
                or _usual_hop_fields(value, dates)
                or _lexed_hop_fields(value, dates)
            )
        else:
            fields = _hop_fields(value)
        timestamp: datetime | None = fields["timestamp"]
        delay: float | None = None
        skewed = False
        if timestamp is not None:
            dated += 1
            if previous is not None:
                delay = (timestamp - previous).total_seconds()
                if delay > 0.0:
                    total += delay
                else:
                    skewed = delay <= tolerance
            previous = timestamp
        # _make_hop, without its call
        fields["index"] = index
        fields["delay_seconds"] = delay
        fields["clock_skew"] = skewed
        hop = new(Hop)
        set_attribute(hop, "__dict__", fields)
        hops.append(hop)
    total_seconds = total if dated >= 2 else None
    return Chain(hops=tuple(hops), total_transit_seconds=total_seconds, skipped=skipped)
