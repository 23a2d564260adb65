"""A tolerant parser for Authentication-Results (RFC 8601) and Microsoft's dialect of it.

The value is read as RFC 8601 tokens: words, quoted strings (a ``reason`` or property value may
hold spaces and ``;``), comments (allowed between any two tokens, nested, with escapes) and the
``;`` that ends each result. Around ``=``, ``/`` and the ``.`` of ``ptype.property`` the RFC
allows comments and spaces too, so ``dkim (x) / 1 = (y) fail`` is one result.

Microsoft's stamps differ from the RFC: no authserv-id, stray ``; domain`` tokens, missing
spaces after ``;``, empty values (``header.from=;``), ``action=`` and ``reason=`` without a
property type. The parser never raises: what it cannot place becomes a ``problem`` string.
Everything is linear in the size of the value.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuthResults",
    "MethodResult",
    "parse_authentication_results",
    "parse_received_spf",
    "split_comments",
    "tokenize",
]

# Token kinds. A token is (kind, text); words keep '=', '/' and '.' in them, the pairing
# step below splits or joins at those.
WORD, QUOTED, COMMENT, SEMI = "w", "q", "c", ";"
Token = tuple[str, str]

# Comments without nesting or escapes, ';', words, and any single character that needs the
# full tokenizer (a quote, a parenthesis no comment accounts for, a backslash).
_FLAT_TOKEN = re.compile(r'\([^()\\]*\)|;|[^\s;()"\\]+|["()\\]')
_NEXT = re.compile(r'\s*(?:([^\s;()"]+)|(;)|(")|(\()|(\)))')
_QUOTED_REST = re.compile(r'((?:[^"\\]|\\.)*)(")?', re.DOTALL)
_FLAT_COMMENT = re.compile(r"\(((?:[^()\\]|\\.)*)\)", re.DOTALL)
_DOMAIN_REST = re.compile(r'[^\s;()"]*')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_SPECIAL = re.compile(r'\\.|[()"]', re.DOTALL)
_PAREN_OR_ESCAPE = re.compile(r"\\.|[()]", re.DOTALL)
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
    version: str | None = None

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
    # "authserv-id; none" (RFC 8601 §2.2): the server checked nothing. A verdict all the same.
    says_none: bool = False

    def of(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]

    def first(self, method: str) -> MethodResult | None:
        return next((r for r in self.results if r.method == method), None)


# --------------------------------------------------------------------------- tokens


def tokenize(text: str) -> tuple[list[Token], list[str]]:
    """RFC 5322 tokens of ``text`` and the problems met (unclosed comment or quote).

    Quoted strings and comments lose their delimiters and escapes; one pass, linear.
    """
    plain = _FLAT_TOKEN.findall(text)
    if not ('"' in plain or "(" in plain or ")" in plain or "\\" in plain):
        # No quoted string, nested comment, stray parenthesis or escape: one findall did it.
        return [
            (COMMENT, t[1:-1].strip()) if t[0] == "(" else (SEMI, t) if t == ";" else (WORD, t)
            for t in plain
        ], []
    return _tokenize_in_full(text)


def _tokenize_in_full(text: str) -> tuple[list[Token], list[str]]:
    tokens: list[Token] = []
    problems: list[str] = []
    position = 0
    match = _NEXT.match(text, position)
    while match is not None:
        word, semi, quote, opening, _closing = match.groups()
        position = match.end()
        if word is not None:
            tokens.append((WORD, word))
        elif semi is not None:
            tokens.append((SEMI, ";"))
        elif quote is not None:
            position = _take_quoted(text, position, tokens, problems)
        elif opening is not None:
            position = _take_comment(text, position - 1, tokens, problems)
        else:
            _note(problems, "unbalanced parentheses or quotes")
        match = _NEXT.match(text, position)
    return tokens, problems


def _take_quoted(text: str, start: int, tokens: list[Token], problems: list[str]) -> int:
    match = _QUOTED_REST.match(text, start)
    assert match is not None  # the pattern matches the empty string
    content = match.group(1)
    if match.group(2) is None:
        _note(problems, "unbalanced parentheses or quotes")
    elif text.startswith("@", match.end()):
        # A quoted local part: '"first last"@example.net' is one address (RFC 8601 pvalue).
        domain = _DOMAIN_REST.match(text, match.end())
        assert domain is not None
        tokens.append((WORD, f'"{content}"{domain.group()}'))
        return domain.end()
    tokens.append((QUOTED, _QUOTED_PAIR.sub(r"\1", content) if "\\" in content else content))
    return match.end()


def _take_comment(text: str, start: int, tokens: list[Token], problems: list[str]) -> int:
    """The comment opening at ``start`` (nested to any depth); returns where it ends."""
    flat = _FLAT_COMMENT.match(text, start)
    if flat is not None:
        tokens.append((COMMENT, flat.group(1).strip()))
        return flat.end()
    depth = 0
    for match in _PAREN_OR_ESCAPE.finditer(text, start):
        char = match.group()
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                tokens.append((COMMENT, text[start + 1 : match.start()].strip()))
                return match.end()
    tokens.append((COMMENT, text[start + 1 :].strip()))
    _note(problems, "unbalanced parentheses or quotes")
    return len(text)


def _note(problems: list[str], problem: str) -> None:
    if problem not in problems:
        problems.append(problem)


_SEMI_TOKEN: Token = (SEMI, ";")


def _segments(tokens: list[Token]) -> list[list[Token]]:
    """The tokens between top-level ';' (comments and quotes are already single tokens)."""
    segments: list[list[Token]] = []
    start = 0
    for end, token in enumerate(tokens):
        if token == _SEMI_TOKEN:
            segments.append(tokens[start:end])
            start = end + 1
    segments.append(tokens[start:])
    return segments


# --------------------------------------------------------------------------- pairing

# A segment becomes items: ("pair", key, value) or ("word", text, "").
_Item = tuple[str, str, str]
# A word with '=' right after a value-less key starts a new pair (Microsoft writes
# "header.from= header.d=..." with the value missing), unless it looks like part of a value.
_NEXT_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\.[A-Za-z0-9_.-]+|reason|action", re.IGNORECASE)


def _pairs(segment: list[Token]) -> tuple[list[_Item], list[str]]:
    """``key = value`` items and the comments of one segment; CFWS may surround '=', '/'
    and '.' (RFC 8601 §2.2), and a value may be a quoted string."""
    items: list[_Item] = []
    comments: list[str] = []
    for kind, text in segment:  # the usual segment: "name=value" words and comments
        if kind == COMMENT:
            if text:
                comments.append(text)
            continue
        name, _, value = text.partition("=")
        if kind != WORD or not value:
            return _pairs_in_full(segment)
        items.append(("pair", name, value))
    return items, comments


def _pairs_in_full(segment: list[Token]) -> tuple[list[_Item], list[str]]:
    items: list[_Item] = []
    comments: list[str] = []
    key = ""  # a key being read, waiting for its '='
    awaiting_value = False
    for kind, text in segment:
        if kind == COMMENT:
            if text:
                comments.append(text)
            continue
        if awaiting_value:
            if kind == QUOTED or not _starts_pair(text):
                items.append(("pair", key, text))
                key, awaiting_value = "", False
                continue
            items.append(("pair", key, ""))
            key, awaiting_value = "", False
        if kind == QUOTED:
            if key:
                items.append(("word", key, ""))
                key = ""
            items.append(("word", text, ""))
            continue
        name, equals, value = text.partition("=")
        if value and not key:  # the usual "name=value" in one word
            items.append(("pair", name, value))
            continue
        if key and not _joins(key, name):
            items.append(("word", key, ""))
            key = ""
        key += name
        if not equals:
            continue
        if value:
            items.append(("pair", key, value))
            key = ""
        else:
            awaiting_value = True
    if awaiting_value:
        items.append(("pair", key, ""))
    elif key:
        items.append(("word", key, ""))
    return items, comments


def _starts_pair(word: str) -> bool:
    name, equals, _ = word.partition("=")
    return bool(equals) and _NEXT_KEY.fullmatch(name) is not None


def _joins(key: str, following: str) -> bool:
    """Whether a word continues a key across CFWS: ``dkim / 1``, ``policy . expired``."""
    return key.endswith(("/", ".")) or following.startswith(("/", ".")) or not following


# --------------------------------------------------------------------------- results


def parse_authentication_results(
    value: str, header: str = "Authentication-Results", index: int = 0
) -> AuthResults:
    parsed = AuthResults(header=header, index=index, raw=value)
    if _read_usual(parsed, value):
        return parsed
    parsed = AuthResults(header=header, index=index, raw=value)  # perhaps half-read
    _read_in_full(parsed, value)
    return parsed


def read_results_only(
    value: str, header: str = "Authentication-Results", index: int = 0
) -> AuthResults:
    """What parse_authentication_results reads, but for the properties and comments of each
    result: for a header that is only summarized (its methods and results) and checked (its
    problems). A value of an unusual shape is read in full."""
    parsed = AuthResults(header=header, index=index, raw=value)
    outside = _outside_comments(value)
    if outside is not None:
        # The comments' marks stand between spaces: without them the words are the same.
        text = outside[0].replace(_MARK, "") if outside[1] else outside[0]
        for segment in text.split(";"):
            words = segment.split()
            if words and not _take_usual(parsed, words, None):
                break
        else:
            return parsed
    return parse_authentication_results(value, header, index)


def _read_in_full(parsed: AuthResults, value: str) -> None:
    plain = _FLAT_TOKEN.findall(value)
    if '"' in plain or "(" in plain or ")" in plain or "\\" in plain:
        tokens, parsed.problems = _tokenize_in_full(value)
        for segment in _segments(tokens):
            if segment:
                _parse_segment(parsed, segment)
    else:
        _parse_flat(parsed, plain)


# The usual value, read with string methods: comments without nesting, then the
# ';'-separated clauses of "name=value" words, led by an optional "i=N;" and authserv-id. Any
# other value (most quoted strings, escapes, stray parentheses, bare or value-less words after
# the lead) is left to the general reading, which holds the rules this one must agree with.
_MARK = "\x00"  # a comment's place in the text outside comments
# A whole word name="value" whose value has no space, quote, escape or ';' reads as name=value
# (Gmail quotes smtp.mailfrom so); a quote anywhere else is the general reading's.
_SIMPLE_QUOTED = re.compile(r'(?<![^\s;])([^\s;="]+)="([^\s";\\\x00]+)"(?![^\s;])')


def _outside_comments(value: str) -> tuple[str, list[str]] | None:
    """The value with each comment replaced by _MARK, and the comments; None when the value
    holds what only the general reading takes: a quoted string (but name="value"), an escape,
    a nested comment or a parenthesis no comment accounts for."""
    if "\\" in value or _MARK in value:
        return None
    comments: list[str] = []
    if "(" in value:
        pieces = value.split("(")
        outside = [pieces[0]]
        for piece in itertools.islice(pieces, 1, None):
            comment, closed, after = piece.partition(")")
            if not closed:  # nested or never closed
                return None
            outside.append(after)
            comments.append(comment.strip())
        value = f" {_MARK} ".join(outside)
    if ")" in value:
        return None
    if '"' in value:
        value = _SIMPLE_QUOTED.sub(r"\1=\2", value)
        if '"' in value:
            return None
    return value, comments


def _read_usual(parsed: AuthResults, value: str) -> bool:
    """Read a value of the usual shape as the general reading would; False for any other
    value (``parsed`` may then be half-read)."""
    outside = _outside_comments(value)
    if outside is None:
        return False
    text, comments = outside
    taken = 0  # comments given to clauses so far
    for segment in text.split(";"):
        if comments and _MARK in segment:
            count = segment.count(_MARK)
            said, taken = comments[taken : taken + count], taken + count
            words = segment.replace(_MARK, "").split()
        else:
            said = []
            words = segment.split()
        if words and not _take_usual(parsed, words, said):
            return False
    return True


def _take_usual(parsed: AuthResults, words: list[str], comments: list[str] | None) -> bool:
    """One clause of the usual shape; with ``comments`` None its properties are checked (the
    general reading would take the clause so) but not kept, and it keeps no comments."""
    name, _, result = words[0].partition("=")
    if not result or (name == "i" and len(words) == 1):
        return _take_words(parsed, words)
    props: dict[str, str] = {}
    if len(words) > 1:
        last = len(words) - 1
        for word in words[1:]:
            key, equals, text = word.partition("=")
            # Microsoft ends a clause with "header.from=": no value. Before another word the
            # general reading may take that word as the value; index() finds the first equal
            # word.
            if not text and (not equals or words.index(word) != last):
                return False
            if comments is None:  # a summary's reading: checked, not kept
                continue
            key = key.lower()
            if not props.get(key):  # a repeated property: the first value counts
                props[key] = text
    if comments is None:
        comments = []
    elif "" in comments:
        comments = [comment for comment in comments if comment]
    if "/" in name:
        method, _, version = name.partition("/")
        method = method.lower()
        found = MethodResult(method, result.lower(), props, comments, version or None)
    else:
        method = name.lower()
        found = MethodResult(method, result.lower(), props, comments)
    parsed.results.append(found)
    if method not in _KNOWN_METHODS:
        parsed.problems.append(f"unknown method {method!r}")
    return True


def _is_instance(word: str) -> bool:
    """``_INSTANCE.fullmatch(word)``, by string methods (``\\d`` is a decimal digit)."""
    return word.startswith("i=") and 3 <= len(word) <= 5 and word[2:].isdecimal()


def _take_words(parsed: AuthResults, words: list[str]) -> bool:
    """A clause without a result: the ARC instance, then the authserv-id (perhaps with a
    version) before any result; "none" or a stray word after. Anything else is left to the
    general reading (a name with '=' and no value, several words, which may join there)."""
    word = words[0]
    first = parsed.authserv_id is None and not parsed.results
    if first and len(words) == 1 and parsed.instance is None and _is_instance(word):
        parsed.instance = int(word[2:])
        return True
    if "=" in word or len(words) > 2:
        return False
    if first:
        if len(words) == 2 and (not words[1].isdigit() or word.endswith(("/", "."))):
            return False
        parsed.authserv_id = word.lower()
        parsed.version = words[1] if len(words) == 2 else None
    elif len(words) == 2:
        return False
    elif word.lower() == "none":
        parsed.says_none = parsed.authserv_id is not None and not parsed.results
    else:
        parsed.problems.append(f"stray token {word[:80]!r}")
    return True


def _parse_flat(parsed: AuthResults, plain: list[str]) -> None:
    """What tokenize, _segments and _parse_segment make of tokens tokenize would read in one
    findall, read straight from the token texts: a segment of comments and ``name=value``
    words (nearly all of them) is paired here, any other by _pairs_in_full."""
    items: list[_Item] = []
    comments: list[str] = []
    start = 0  # where the current segment's tokens start
    usual = True  # every word of the segment so far is "name=value"
    for position, text in enumerate(plain):
        if text == ";":
            if not usual:
                items, comments = _pairs_in_full(_flat_tokens(plain[start:position]))
            if items:
                _parse_items(parsed, items, comments)
            items, comments, start, usual = [], [], position + 1, True
        elif text[0] == "(":
            comment = text[1:-1].strip()
            if comment:
                comments.append(comment)
        elif usual:
            name, _, found = text.partition("=")
            if found:
                items.append(("pair", name, found))
            else:
                usual = False
    if not usual:
        items, comments = _pairs_in_full(_flat_tokens(plain[start:]))
    if items:
        _parse_items(parsed, items, comments)


def _flat_tokens(plain: list[str]) -> list[Token]:
    """tokenize's tokens for texts of its one-findall case."""
    return [(COMMENT, t[1:-1].strip()) if t[0] == "(" else (WORD, t) for t in plain]


def _parse_segment(parsed: AuthResults, segment: list[Token]) -> None:
    items, comments = _pairs(segment)
    if items:
        _parse_items(parsed, items, comments)


def _parse_items(parsed: AuthResults, items: list[_Item], comments: list[str]) -> None:
    first = parsed.authserv_id is None and not parsed.results
    if first and _take_instance(parsed, items):
        return
    kind, head, result = items[0]
    if kind == "word":
        _take_authserv_or_stray(parsed, items, first)
        return
    method, _, version = head.partition("/")
    props: dict[str, str] = {}
    current = MethodResult(
        method.strip().lower(), result.lower(), props, comments, version.strip() or None
    )
    if current.method not in _KNOWN_METHODS:
        parsed.problems.append(f"unknown method {current.method!r}")
    if not current.result:
        parsed.problems.append(f"empty result for {current.method}")
    parsed.results.append(current)
    for kind, key, text in items[1:]:
        if kind == "word":
            parsed.problems.append(f"stray word {key[:80]!r} after {current.method}")
        elif not props.get(name := key.lower()):
            props[name] = text


def _take_instance(parsed: AuthResults, items: list[_Item]) -> bool:
    """ARC-Authentication-Results start with ``i=N;`` before the authserv-id."""
    if len(items) != 1 or items[0][0] != "pair" or parsed.instance is not None:
        return False
    found = _INSTANCE.fullmatch(f"{items[0][1]}={items[0][2]}")
    if found is None:
        return False
    parsed.instance = int(found.group(1))
    return True


def _take_authserv_or_stray(parsed: AuthResults, items: list[_Item], first: bool) -> None:
    """The first segment names the authserv-id (RFC); elsewhere a bare word is a stray token."""
    words = [key for _, key, _ in items]
    if first:
        parsed.authserv_id = words[0].lower()
        if len(words) > 1 and words[1].isdigit():
            parsed.version = words[1]
    elif len(words) == 1 and words[0].lower() == "none":
        parsed.says_none = parsed.authserv_id is not None and not parsed.results
    else:
        parsed.problems.append(f"stray token {' '.join(words)[:80]!r}")


# --------------------------------------------------------------------------- Received-SPF


def parse_received_spf(value: str, index: int = 0) -> AuthResults:
    """``Received-SPF: Pass (comment) key=value; ...`` (RFC 7208 §9.1) as a one-result
    AuthResults; values may be quoted strings, and comments may sit anywhere."""
    parsed = AuthResults(header="Received-SPF", index=index, raw=value)
    result = _usual_spf(value)
    if result is None:
        _read_received_spf_in_full(parsed, value)
    else:
        parsed.results.append(result)
    return parsed


def _read_received_spf_in_full(parsed: AuthResults, value: str) -> None:
    tokens, parsed.problems = tokenize(value)
    words = [token for token in tokens if token[0] != COMMENT]
    if not words or words[0][0] == SEMI:
        parsed.problems.append("empty Received-SPF")
        return
    result = MethodResult(method="spf", result=words[0][1].strip(";").lower())
    result.comments = [text for kind, text in tokens if kind == COMMENT and text]
    for segment in _segments(tokens[tokens.index(words[0]) + 1 :]):
        items, _ = _pairs(segment)
        for kind, key, text in items:
            if kind == "pair" and key:
                result.props[key.lower()] = text
    _add_envelope(result)
    parsed.results.append(result)


def _usual_spf(value: str) -> MethodResult | None:
    """parse_received_spf's result for a value of the usual shape (the result word, then
    ``key=value`` words with a value, comments without nesting); None for any other."""
    outside = _outside_comments(value)
    if outside is None:
        return None
    text, comments = outside
    segments = text.replace(_MARK, "").split(";")
    words = segments[0].split()
    if not words or "=" in words[0]:  # a result word with '=' may have been a quoted value's
        return None
    props: dict[str, str] = {}
    for word in itertools.chain(
        itertools.islice(words, 1, None), *map(str.split, itertools.islice(segments, 1, None))
    ):
        key, _, written = word.partition("=")
        if not written:
            return None
        if key:
            props[key.lower()] = written
    if "" in comments:
        comments = [comment for comment in comments if comment]
    result = MethodResult("spf", words[0].lower(), props, comments)
    _add_envelope(result)
    return result


def _add_envelope(result: MethodResult) -> None:
    envelope = result.props.get("envelope-from") or _domain_in_comment(result.comments)
    if envelope:
        result.props.setdefault("smtp.mailfrom", envelope)


_DOMAIN_OF = re.compile(
    r"domain of (?:transitioning )?(?:\S+@)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)


def _domain_in_comment(comments: list[str]) -> str | None:
    for comment in comments:
        found = _DOMAIN_OF.search(comment)
        if found:
            return found.group(1)
    return None


# --------------------------------------------------------------------------- comments alone


def split_comments(text: str) -> tuple[str, list[str], bool]:
    """Replace each top-level ``( ... )`` comment by a placeholder; linear in ``len(text)``.

    Returns the text with placeholders, the comment texts, and whether the parentheses
    were balanced (quoted strings and backslash escapes are honoured).
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
