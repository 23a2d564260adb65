"""A tolerant parser for Authentication-Results (RFC 8601) and Microsoft's dialect of it.

Microsoft's stamps differ from the RFC: no authserv-id, stray ``; domain`` tokens, missing
spaces after ``;``, empty values (``header.from=;``), ``action=`` and ``reason=`` without a
property type. The parser never raises: what it cannot place becomes a ``problem`` string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuthResults",
    "MethodResult",
    "parse_authentication_results",
    "parse_received_spf",
    "split_comments",
]

_EQUALS = re.compile(r"\s*=\s*")
_SPECIAL = re.compile(r'\\.|[()"]', re.DOTALL)
_PLACEHOLDER = re.compile(r"\x01(\d+)\x01")
_INSTANCE = re.compile(r"i=(\d{1,3})")
_KNOWN_METHODS = frozenset(
    {
        "spf",
        "dkim",
        "dmarc",
        "compauth",
        "arc",
        "iprev",
        "auth",
        "bimi",
        "dkim-atps",
        "x-tls",
        "sender-id",
        "domainkeys",
        "rrvs",
        "vbr",
        "smime",
        "dnswl",
        "dkim-adsp",
    }
)


@dataclass
class MethodResult:
    """One ``method=result`` clause with its reason, properties and comments."""

    method: str
    result: str
    props: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return self.props.get("reason")

    def prop(self, *names: str) -> str | None:
        for name in names:
            value = self.props.get(name)
            if value:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "result": self.result,
            "props": dict(self.props),
            "comments": list(self.comments),
        }


@dataclass
class AuthResults:
    """A parsed Authentication-Results-like header."""

    header: str
    index: int
    raw: str
    authserv_id: str | None = None
    version: str | None = None
    instance: int | None = None
    results: list[MethodResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def of(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]

    def first(self, method: str) -> MethodResult | None:
        return next((r for r in self.results if r.method == method), None)


def split_comments(text: str) -> tuple[str, list[str], bool]:
    """Replace each top-level ``( ... )`` comment by a placeholder; linear in ``len(text)``.

    Returns the text with placeholders, the comment texts, and whether the parentheses
    were balanced (quoted strings and backslash escapes are honoured). Only the special
    characters are visited; the text between them is copied in slices.
    """
    out: list[str] = []
    comments: list[str] = []
    depth = 0
    in_quote = False
    copied = 0  # text[copied:] is not yet in out (outside comments)
    opened = 0  # where the current top-level comment's text starts
    for match in _SPECIAL.finditer(text):
        char, at = match.group(), match.start()
        if char.startswith("\\") or (in_quote and char != '"'):
            continue
        if char == '"':
            in_quote = not in_quote if depth == 0 else in_quote
        elif char == "(":
            if depth == 0:
                out.append(text[copied:at])
                opened = at + 1
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                out.append(f" \x01{len(comments)}\x01 ")
                comments.append(text[opened:at].strip())
                copied = at + 1
    if depth:
        out.append(f" \x01{len(comments)}\x01 ")
        comments.append(text[opened:].strip())
    else:
        out.append(text[copied:])
    return "".join(out), comments, depth == 0 and not in_quote


def parse_authentication_results(
    value: str, header: str = "Authentication-Results", index: int = 0
) -> AuthResults:
    parsed = AuthResults(header=header, index=index, raw=value)
    text, comments, balanced = split_comments(value)
    if not balanced:
        parsed.problems.append("unbalanced parentheses or quotes")
    segments = [s.strip() for s in _EQUALS.sub("=", text).split(";")]
    for segment in segments:
        if segment:
            first = parsed.authserv_id is None and not parsed.results
            _parse_segment(parsed, segment, comments, first=first)
    return parsed


def _parse_segment(parsed: AuthResults, segment: str, comments: list[str], first: bool) -> None:
    chunks = segment.split()
    words = [c for c in chunks if not _PLACEHOLDER.fullmatch(c)]
    if not words:
        return
    instance = _INSTANCE.fullmatch(words[0])
    if instance and len(words) == 1 and parsed.instance is None:
        parsed.instance = int(instance.group(1))
        return
    head = words[0]
    if "=" not in head:
        _take_authserv_or_stray(parsed, words, first)
        return
    method, _, result = head.partition("=")
    method = method.split("/", 1)[0].strip().lower()
    current = MethodResult(method=method, result=_clean(result).lower())
    if method not in _KNOWN_METHODS:
        parsed.problems.append(f"unknown method {method!r}")
    if not current.result:
        parsed.problems.append(f"empty result for {method}")
    parsed.results.append(current)
    for chunk in chunks[chunks.index(head) + 1 :]:
        _add_chunk(current, chunk, comments, parsed)


def _take_authserv_or_stray(parsed: AuthResults, words: list[str], first: bool) -> None:
    """The first segment names the authserv-id (RFC); elsewhere a bare word is a stray token."""
    if first:
        parsed.authserv_id = _clean(words[0]).lower()
        if len(words) > 1 and words[1].isdigit():
            parsed.version = words[1]
    elif not (len(words) == 1 and words[0].lower() == "none"):
        parsed.problems.append(f"stray token {' '.join(words)[:80]!r}")


def _add_chunk(current: MethodResult, chunk: str, comments: list[str], parsed: AuthResults) -> None:
    placeholder = _PLACEHOLDER.fullmatch(chunk)
    if placeholder:
        comments_text = comments[int(placeholder.group(1))]
        if comments_text:
            current.comments.append(comments_text)
        return
    key, sep, value = chunk.partition("=")
    if not sep:
        parsed.problems.append(f"stray word {chunk[:80]!r} after {current.method}")
        return
    key = key.lower()
    value = _clean(_PLACEHOLDER.sub("", value))
    if current.props.get(key):
        return
    current.props[key] = value


def _clean(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


def parse_received_spf(value: str, index: int = 0) -> AuthResults:
    """``Received-SPF: Pass (comment) key=value; ...`` as a one-result AuthResults."""
    parsed = AuthResults(header="Received-SPF", index=index, raw=value)
    text, comments, balanced = split_comments(value)
    if not balanced:
        parsed.problems.append("unbalanced parentheses or quotes")
    words = text.split()
    if not words:
        parsed.problems.append("empty Received-SPF")
        return parsed
    result = MethodResult(method="spf", result=words[0].strip(";").lower())
    result.comments = [c for c in comments if c]
    for chunk in re.split(r"[\s;]+", _EQUALS.sub("=", text)):
        key, sep, val = chunk.partition("=")
        if sep and key:
            result.props[key.lower()] = _clean(val)
    envelope = result.props.get("envelope-from") or _domain_in_comment(result.comments)
    if envelope:
        result.props.setdefault("smtp.mailfrom", envelope)
    parsed.results.append(result)
    return parsed


_DOMAIN_OF = re.compile(
    r"domain of (?:transitioning )?(?:\S+@)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)


def _domain_in_comment(comments: list[str]) -> str | None:
    for comment in comments:
        found = _DOMAIN_OF.search(comment)
        if found:
            return found.group(1)
    return None
