"""Turn pasted text, a .eml or a .msg into an ordered list of unfolded, decoded header fields.

The splitter is tolerant in the ways pasted headers need: leading blank lines, CRLF/LF/CR,
folded lines whose leading whitespace was lost in copy and paste, a whole message (it stops at
the first blank line), and text that is not a header at all (kept as a count, never raised).
Every step is linear in the size of the input.
"""

from __future__ import annotations

import binascii
import codecs
import itertools
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from o365diag import errors
from o365diag.headers.kinds import SINGLE_KEY_KINDS, field_kinds, only
from o365diag.safejson import clean_text

__all__ = [
    "MAX_INPUT_BYTES",
    "HeaderField",
    "HeaderSet",
    "InputError",
    "decode_bytes",
    "decode_rfc2047",
    "parse_header_block",
    "read_header_source",
]

MAX_INPUT_BYTES = 64 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Lines end in \n here (CR and CRLF are turned into LF first). A line holding nothing but
# white space ends the header (a multi-line "$" is before a line break or at the end).
_BLANK_LINE = re.compile(r"\n[^\S\n]*+$", re.MULTILINE)
_FIELD_SPLIT = re.compile(r"\n(?![ \t])")  # where a line that is not folded starts
_MAX_NAME = 200  # characters in a field name (the {1,200} of the patterns below)
# A field with its folded lines; a name of one or two digits is a time ("10:00:00") that lost
# its indentation, not a field.
_WHOLE_FIELD = re.compile(
    r"^(?![0-9]{1,2}[ \t]*:)([!-9;-~]{1,200})[ \t]*:[ \t]?(.*(?:\n[ \t].*)*)", re.MULTILINE
)
# A folded line break with the white space after it: replaced by one space, it gives _unfold's
# reading (each line stripped, joined by one space) for a whole block in one pass. A fold after
# a line that ends in white space (_SPACE_BEFORE_FOLD; rare, read field by field) is left as it
# is: its line then starts no field. Both start with a line break: a pattern starting with
# white space would be tried at every space.
_FOLD = re.compile(r"\n[ \t](?<![^\S\n]\n[ \t])[^\S\n]*+")
_SPACE_BEFORE_FOLD = re.compile(r"\n(?<=[^\S\n]\n)[ \t]")
# One field of an unfolded block (the pattern of _WHOLE_FIELD without folded lines).
_LOGICAL_LINE = re.compile(
    r"^(?![0-9]{1,2}[ \t]*:)([!-9;-~]{1,200})[ \t]*:[ \t]?(.*)", re.MULTILINE
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f]")
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20))
_OTHER_BYTES = bytes(set(range(256)).difference(_CONTROL_BYTES))
# RFC 5322 §4.5.3 (obsolete syntax) allows white space between the name and the colon.
_FIELD_START = re.compile(r"([!-9;-~]{1,200})[ \t]*:[ \t]?")
# "From sender date" of mbox; "From : a@example.com" (obsolete syntax) is a header field.
_ENVELOPE_LINE = re.compile(r"From [^\s:]")
_FIELD_LINE = re.compile(r"^([!-9;-~]{1,200})[ \t]*:", re.MULTILINE)
ENCODED_WORD = re.compile(r"=\?([^?\s]{0,40}(?:[ _][^?\s]{0,20})?)\?([bBqQ])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
# An encoded word with one or more line folds inside its encoded text (_join_folds_in_words).
_FOLDED_WORD = re.compile(r"=\?[^?\s]{1,40}\?[bBqQ]\?(?:[^?\s]*+\r?\n[ \t]++)++[^?\s]*+\?=")
_FOLD_IN_WORD = re.compile(r"\r?\n[ \t]+")
_SPACED_WORD = re.compile(r"=\?[^?\s]{1,40}\?[bBqQ]\?[^?\s]*+\s")


class InputError(errors.InputError):
    """The input cannot be analyzed at all (empty, binary, no header in it)."""


# Builds a HeaderField without the generated Python-level __new__ (a batch makes millions).
_new_field = tuple.__new__


class HeaderField(NamedTuple):
    """One header field, unfolded. ``value`` is RFC 2047 decoded, ``raw`` is not.

    A named tuple rather than a dataclass: a message has dozens of fields and a batch has
    millions, and tuples are the cheapest immutable records Python has.
    """

    name: str
    value: str
    raw: str
    position: int  # 0 for the topmost field
    key: str  # the name in lower case, for look-ups

    def line(self, limit: int = 600) -> str:
        """The field as one evidence line, shortened when very long."""
        text = f"{self.name}: {self.raw}"
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class HeaderSet:
    """Header fields in the order they appear (topmost, i.e. newest, first)."""

    fields: list[HeaderField] = field(default_factory=list)
    stray_lines: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    had_body: bool = False
    source_kind: str = "text"
    # Positions of the fields whose raw text holds "=?" (where an encoded word can start), as
    # the parser found them; None for a set built otherwise (every field must then be looked at).
    encoded: list[int] | None = field(default=None, repr=False)
    _firsts: dict[str, HeaderField] = field(default_factory=dict, repr=False)
    _firsts_size: int = field(default=-1, repr=False)
    # The fields' keys as index_by_key was given them (with the list they are the keys of),
    # and one kind label per field (kinds.py), taken on first use and again when the fields
    # are not the ones labelled.
    _keys: tuple[list[HeaderField], list[str]] | None = field(
        default=None, repr=False, compare=False
    )
    _kinds: bytes = field(default=b"", repr=False, compare=False)
    _kinds_of: list[HeaderField] | None = field(default=None, repr=False, compare=False)

    def __iter__(self) -> Iterator[HeaderField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def _first_by_key(self) -> dict[str, HeaderField]:
        # Built in C on first look-up and rebuilt if fields were added since.
        if self._firsts_size != len(self.fields):
            self.index_by_key(list(map(_KEY, self.fields)))
        return self._firsts

    def index_by_key(self, keys: list[str]) -> None:
        """Index the fields by their keys (given in field order) for first() and value()."""
        # Later fields first, so that the topmost one stays.
        self._firsts = dict(zip(reversed(keys), reversed(self.fields), strict=True))
        self._firsts_size = len(self.fields)
        self._keys = (self.fields, keys)

    def of_kind(self, kind: int) -> list[HeaderField]:
        """The fields of one kind (kinds.py: RECEIVED, AUTHENTICATION ...), in field order."""
        fields = self.fields
        if self._kinds_of is not fields or len(self._kinds) != len(fields):
            keyed = self._keys
            if keyed is not None and keyed[0] is fields and len(keyed[1]) == len(fields):
                keys = keyed[1]
            else:
                keys = list(map(_KEY, fields))
            self._kinds, self._kinds_of = field_kinds(keys), fields
        return list(itertools.compress(fields, only(self._kinds, kind)))

    def note_repair(self, repair: str) -> None:
        """Note something the reading had to repair or assume, once."""
        if repair not in self.repairs:
            self.repairs.append(repair)

    def get_all(self, name: str) -> list[HeaderField]:
        key = name.lower()
        kind = SINGLE_KEY_KINDS.get(key)
        if kind is not None:
            return self.of_kind(kind)
        return [found for found in self.fields if found.key == key]

    def first(self, name: str) -> HeaderField | None:
        # Callers mostly ask in lower case already: no lower() copy then.
        return self._first_by_key().get(name if name.islower() else name.lower())

    def value(self, name: str) -> str | None:
        found = self.first(name)
        return found.value if found else None


_KEY = operator.itemgetter(4)  # HeaderField.key, read in C


def decode_bytes(data: bytes) -> str:
    """Bytes to text: BOMs honoured, UTF-16 without BOM detected, UTF-8 else Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if _looks_utf16_le(data[:4000]):
        return data.decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_utf16_le(sample: bytes) -> bool:
    """Zero bytes at many odd offsets and at no even one: ASCII-range UTF-16-LE text."""
    if b"\x00" not in sample:  # a C scan; most input holds no zero byte at all
        return False
    odd_zeros = sample[1::2].count(0)
    return len(sample) >= 4 and odd_zeros > len(sample) // 4 and not sample[0::2].count(0)


def looks_binary(text: str) -> bool:
    sample = text[:8192]
    if sample.isascii():  # bytes.translate deletes in C, far faster than a regex scan
        # what is left when every other byte is deleted: the control bytes (little to copy)
        controls = len(sample.encode("ascii").translate(None, _OTHER_BYTES))
    else:
        controls = len(_CONTROL_CHARS.findall(sample))
    return controls > max(8, len(sample) // 20)


def read_header_source(data: bytes | str, name: str = "") -> HeaderSet:
    """Parse any supported input: header text, a whole .eml, or an Outlook .msg file."""
    if isinstance(data, bytes):
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"input is {len(data):,} bytes; the limit is {MAX_INPUT_BYTES:,}")
        if data.startswith(OLE_MAGIC):
            headers = parse_header_block(_headers_from_msg(data))
            headers.source_kind = "msg"
            return headers
        text = decode_bytes(data)
    else:
        # Text pasted in a browser may hold a lone surrogate, which no UTF-8 output takes.
        text = clean_text(data)
    if not text or text.isspace():  # what "not text.strip()" says, without copying the text
        raise InputError("the input is empty")
    if looks_binary(text):
        raise InputError("the input looks like binary data, not message headers")
    headers = parse_header_block(text)
    if not headers.fields:
        raise InputError("no header field found (expected lines like 'Name: value')")
    headers.source_kind = "eml" if name.lower().endswith(".eml") else "text"
    return headers


def _headers_from_msg(data: bytes) -> str:
    """Transport headers of an Outlook .msg (PR_TRANSPORT_MESSAGE_HEADERS, 0x007D)."""
    import io

    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable Outlook .msg file: {exc}") from exc
    misplaced: list[str] = []
    with ole:
        for stream, encoding in (
            ("__substg1.0_007D001F", "utf-16-le"),
            ("__substg1.0_007D001E", "latin-1"),
        ):
            kind = ole.get_type(stream)
            if kind == olefile.STGTY_STREAM:
                try:
                    raw: bytes = ole.openstream(stream).read()
                except (OSError, ValueError) as exc:
                    raise InputError(f"this .msg file is damaged: {exc}") from None
                return raw.decode(encoding, errors="replace").rstrip("\x00")
            if kind:  # a storage where the stream belongs
                misplaced.append(stream)
    if misplaced:
        raise InputError(
            f"this .msg file is damaged: its transport headers ({misplaced[0]}) are not a "
            "stream; paste the message's headers instead"
        )
    raise InputError(
        "this .msg file holds no transport headers (drafts and sent items have none); "
        "open the received message and save it again, or paste its headers"
    )


def parse_header_block(text: str) -> HeaderSet:
    """Split a header block into unfolded fields; stops at the first blank line after a header.

    The work is done by a few passes over the whole text (where the first field starts, where
    the header ends, every folded line break joined, each line cut at its first colon, in C);
    without encoded words no Python code runs per field at all.
    """
    result = HeaderSet(encoded=[])
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = _first_field(text, result)
    if first is None:
        return result
    blank = _BLANK_LINE.search(text, first)
    result.had_body = blank is not None
    block = as_written = text[first : blank.start()] if blank else text[first:]
    unfolded = _unfold_block(block)
    starts = _word_starts(unfolded)
    if starts and _spaced_word(unfolded, starts):  # rare: perhaps a fold inside a word
        joined = _join_folds_in_words(block, _word_starts(block))
        if joined is not block:
            block = joined
            unfolded = _unfold_block(block)
            starts = _word_starts(unfolded)
    lines = unfolded.split("\n")
    cut = _cut_at_colons(lines)
    if cut is not None:
        names, values = cut
    elif _SPACE_BEFORE_FOLD.search(as_written):  # its fold was left: read field by field
        _fields_one_by_one(result, _join_folds_in_words(as_written, _word_starts(as_written)))
        return result
    else:  # some line needs the pattern's reading
        found = _LOGICAL_LINE.findall(unfolded)
        if len(found) != len(lines):  # some line starts no field
            _split_repairing(result, block)
            return result
        names, values = zip(*found, strict=True)
    # Every field is built in C; Python visits only the few with encoded words.
    raws = list(map(str.strip, values))
    decoded = raws
    result.encoded = _fields_with_words(raws) if starts else []
    if result.encoded:
        decoded = raws.copy()
        for index in result.encoded:
            decoded[index] = _decoded_value(result, names[index], raws[index])
    keys = list(map(str.lower, names))
    fields = zip(names, decoded, raws, itertools.count(), keys, strict=False)
    result.fields = list(map(_new_field, itertools.repeat(HeaderField), fields))
    result.index_by_key(keys)
    return result


# Names _LOGICAL_LINE takes for a time of day that lost its indentation ("10:00:00"), not a field.
_TIME_NAMES = frozenset([str(number) for number in range(10)] + [f"{n:02d}" for n in range(100)])


def _cut_at_colons(lines: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Each line's name and value, cut at its first colon, when every name is plainly one:
    1 to 200 printable ASCII characters without a space, not a time's one or two digits.
    _LOGICAL_LINE reads such lines so (its name characters hold no colon); None when some
    line needs the pattern (no colon, white space or other characters before it)."""
    names, colons, values = zip(*map(str.partition, lines, itertools.repeat(":")), strict=True)
    together = "".join(names)
    plain = (
        "" not in colons
        and "" not in names
        and together.isascii()
        and together.isprintable()
        and " " not in together
        and max(map(len, names)) <= _MAX_NAME
        and _TIME_NAMES.isdisjoint(names)
    )
    return (names, values) if plain else None


# Past this many '?' the search for "=?" goes on by pattern (_word_starts).
_MAX_QUESTION_MARKS = 256
_WORD_START = re.compile(r"=\?")


def _word_starts(text: str) -> list[int]:
    """Where "=?" occurs, found by jumping from one '?' to the next: the character is rare in
    header text, and a search for it alone runs many times faster than one for the pair."""
    starts: list[int] = []
    position = text.find("?")
    for _ in range(_MAX_QUESTION_MARKS):
        if position == -1:
            return starts
        if position and text[position - 1] == "=":
            starts.append(position - 1)
        position = text.find("?", position + 1)
    return starts + [match.start() for match in _WORD_START.finditer(text, position - 1)]


def _spaced_word(text: str, starts: list[int]) -> bool:
    """Whether an encoded word of the unfolded text holds a space in its encoded text: where
    a fold inside the word may have been (_join_folds_in_words)."""
    match = _SPACED_WORD.match
    return any(map(match, itertools.repeat(text), starts))


def _unfold_block(block: str) -> str:
    """Every fold _FOLD takes replaced by one space (a split and a join: a little faster in
    C than the substitution, which gives the same)."""
    return " ".join(_FOLD.split(block))


def _fields_with_words(raws: list[str]) -> list[int]:
    """Positions of the values holding "=?" (where an encoded word can start): the few values
    with a '?' (a C scan each) are the only ones looked at."""
    marked = map(operator.contains, raws, itertools.repeat("?"))
    return [index for index in itertools.compress(itertools.count(), marked) if "=?" in raws[index]]


def _fields_one_by_one(result: HeaderSet, block: str) -> None:
    """Each field with its folded lines, unfolded on its own (a line ends in white space)."""
    found = _WHOLE_FIELD.findall(block)
    if not _fields_cover(block, found):
        _split_repairing(result, block)
        return
    for name, value in found:
        _add_field(result, name, _unfold(value) if "\n" in value else value.strip())


def _fields_cover(block: str, found: list[tuple[str, str]]) -> bool:
    """Whether every line of the block starts a found field or is folded into one.

    A field's value holds its folded lines, and folded lines no field took can only follow
    a line that starts no field: so the lines are covered exactly when the fields and the
    line breaks inside their values add up to the block's lines (two counts in C).
    """
    folded = "".join([value for _, value in found]).count("\n")
    return len(found) + folded == block.count("\n") + 1


def _split_repairing(result: HeaderSet, block: str) -> None:
    """Fields one by one, joining a line that lost its indentation to the field above."""
    name = ""
    pieces: list[str] = []
    for chunk in _FIELD_SPLIT.split(block):
        start = _FIELD_START.match(chunk)
        if start and not (len(start.group(1)) <= 2 and start.group(1).isdigit()):
            if pieces:
                _append(result, name, pieces)
            name, pieces = start.group(1), [chunk[start.end() :]]
        else:
            result.note_repair(f"{name}: a folded line had lost its leading whitespace")
            pieces.append(chunk)
    _append(result, name, pieces)


def _first_field(text: str, result: HeaderSet) -> int | None:
    """Where the first header field starts; the non-blank lines before it are stray lines."""
    position = 0
    while True:
        start = _FIELD_LINE.search(text, position)
        if start is None or not (len(start.group(1)) <= 2 and start.group(1).isdigit()):
            break
        position = start.end()
    if start is not None and not start.start():  # the usual: a field on the first line
        return 0
    end = start.start() if start else len(text)
    lines = [line for line in text[:end].split("\n") if line.strip()]
    if lines and _ENVELOPE_LINE.match(lines[0]):
        del lines[0]  # the mbox envelope line a saved message may start with: not damage
    result.stray_lines.extend(lines)
    return start.start() if start else None


def _append(result: HeaderSet, name: str, pieces: list[str]) -> None:
    joined = "\n".join(pieces) if len(pieces) > 1 else pieces[0]
    _add_field(result, name, _unfold(joined) if "\n" in joined else joined.strip())


def _add_field(result: HeaderSet, name: str, raw: str) -> None:
    fields = result.fields
    value = raw
    if "=?" in raw:
        value = _decoded_value(result, name, raw)
        if result.encoded is not None:
            result.encoded.append(len(fields))
    fields.append(_new_field(HeaderField, (name, value, raw, len(fields), name.lower())))


def _decoded_value(result: HeaderSet, name: str, raw: str) -> str:
    """The value with its encoded words decoded; an odd charset is noted as a repair."""
    value, odd_charsets = _decode_words(raw)
    for charset in odd_charsets:
        result.note_repair(
            f"{name}: encoded word with malformed charset {charset!r} "
            f"decoded as {_charset_codec(charset)}",
        )
    return value


def _unfold(text: str) -> str:
    """Each line stripped, joined by one space; only the first line (the text after the
    colon) can be empty, as a blank line would have ended the header."""
    lines = text.split("\n")
    if not lines[0].strip():
        del lines[0]
    return " ".join(map(str.strip, lines))


def decode_rfc2047(text: str) -> str:
    """Decode RFC 2047 encoded words, tolerating bad charsets, padding and spacing.

    Adjacent words of one charset are decoded together, so a character whose bytes a sender
    split across two words (RFC 2047 §5 forbids it; it happens) comes out whole. A word whose
    charset is no text encoding (``rot13``, ``zlib``, ``idna``) is kept as written.
    """
    if "\n" in text:
        text = _join_folds_in_words(text, _word_starts(text))
    return _decode_words(text)[0]


def _join_folds_in_words(text: str, starts: list[int]) -> str:
    """The text with every line fold that falls inside one encoded word taken out.

    RFC 2047 §2 forbids folding inside an encoded word, but senders that fold at a fixed width
    do it; unfolded, the fold would leave a space in the word's text (a Q word's bytes or a B
    word's letters) that no one wrote. A fold between two words is left alone. ``starts``
    are the positions of the text's "=?" (_word_starts).
    """
    pieces: list[str] = []
    copied = 0
    for start in starts:
        folded = _FOLDED_WORD.match(text, start) if start >= copied else None
        if folded is not None:  # rare: most words end on their line
            pieces += (text[copied:start], _FOLD_IN_WORD.sub("", folded.group()))
            copied = folded.end()
    return "".join(pieces) + text[copied:] if pieces else text


def _decode_words(text: str) -> tuple[str, list[str]]:
    """The decoded text and the charsets that were not known as written."""
    start = text.find("=?")
    if text.count("=?", start + 2) == 0 and "?=" not in text[:start]:
        return _decode_one_word(text)  # one encoded word at most, no "?= =?" to join: usual
    return _decode_run_of_words(text)


def _decode_run_of_words(text: str) -> tuple[str, list[str]]:
    """_decode_words for any text: adjacent words joined, runs of one charset decoded together."""
    text = _BETWEEN_WORDS.sub("?==?", text)  # the two groups, as a plain (faster) string
    out: list[str] = []
    odd: list[str] = []
    run = _Run()
    copied = 0
    for match in ENCODED_WORD.finditer(text):
        charset = match.group(1)
        codec = _charset_codec(charset)
        payload = _word_payload(match.group(2), match.group(3)) if codec else None
        if match.start() != copied or payload is None or codec != run.codec:
            out.append(run.flush())
            out.append(text[copied : match.start()])
        if payload is None or codec is None:
            out.append(match.group(0))
        else:
            run.add(codec, payload, match.group(0))
            if not _known_charset(charset) and charset not in odd:
                odd.append(charset)
        copied = match.end()
    out.append(run.flush())
    out.append(text[copied:])
    return "".join(out), odd


def _decode_one_word(text: str) -> tuple[str, list[str]]:
    """What _decode_words gives for a text holding a single '=?'."""
    match = ENCODED_WORD.search(text)
    if match is None:
        return text, []
    charset, kind, letters = match.groups()
    codec = _charset_codec(charset)
    payload = _word_payload(kind, letters) if codec else None
    if payload is None or codec is None:
        return text, []
    try:  # what _best_reading gives for one payload
        raw = _from_base64(payload) if isinstance(payload, str) else payload
        decoded = raw.decode(codec, errors="replace")
    except (UnicodeError, LookupError, ValueError):
        decoded = match.group(0)
    odd = [] if _known_charset(charset) else [charset]
    return text[: match.start()] + decoded + text[match.end() :], odd


class _Run:
    """The payloads of adjacent encoded words of one charset, decoded together when it ends.

    A Q word's payload is bytes; a B word's is its base64 text, so that a 4-character group a
    sender split across two words can be joined before decoding.
    """

    def __init__(self) -> None:
        self.codec: str | None = None
        self.payloads: list[bytes | str] = []
        self.words: list[str] = []

    def add(self, codec: str, payload: bytes | str, word: str) -> None:
        self.codec = codec
        self.payloads.append(payload)
        self.words.append(word)

    def flush(self) -> str:
        if self.codec is None:
            return ""
        codec, payloads, words = self.codec, self.payloads, self.words
        self.codec, self.payloads, self.words = None, [], []
        try:
            return _best_reading(codec, payloads)
        except (UnicodeError, LookupError, ValueError):
            return "".join(words)  # a codec that cannot replace: keep the words


def _best_reading(codec: str, payloads: list[bytes | str]) -> str:
    """Each B word decoded on its own, or the run's base64 joined first where the words were
    cut inside a 4-character group (``=?utf-8?B?aMOpb?= =?utf-8?B?GxvIQ==?=``): when a word
    cannot stand alone, when only the last word is padded and the whole makes full groups,
    or else when the joined reading looks more like text."""
    apart = b"".join(_from_base64(p) if isinstance(p, str) else p for p in payloads)
    text = apart.decode(codec, errors="replace")
    words = [p for p in payloads if isinstance(p, str)]
    if len(words) < 2:
        return text
    joined = _join_base64(payloads)
    if joined == apart:
        return text
    joined_text = joined.decode(codec, errors="replace")
    if _cut_inside_a_group(words) or _oddness(joined_text, codec) < _oddness(text, codec):
        return joined_text
    return text


def _cut_inside_a_group(words: list[str]) -> bool:
    if any(len(word.rstrip("=")) % 4 == 1 for word in words):
        return True  # 6 bits hold no byte: this word goes on in the next
    padded_inside = any(word.endswith("=") for word in words[:-1])
    return words[-1].endswith("=") and not padded_inside and sum(map(len, words)) % 4 == 0


def _join_base64(payloads: list[bytes | str]) -> bytes:
    data = bytearray()
    pending: list[str] = []
    for payload in payloads:
        if isinstance(payload, str):
            pending.append(payload)
            continue
        data += _from_base64("".join(pending)) + payload
        pending = []
    return bytes(data + _from_base64("".join(pending)))


def _from_base64(chars: str) -> bytes:
    """Base64 letters to bytes; padding inside (padded pieces joined: ``YQ==Yg==``) ends
    a piece, and a piece's last lone letter (6 bits, no byte) is dropped."""
    letters = chars.rstrip("=")
    if "=" not in letters:  # padding at the end at most: one piece (the usual word)
        return _decode_piece(letters)
    return b"".join(_decode_piece(piece) for piece in _PADDING.split(chars))


def _decode_piece(piece: str) -> bytes:
    usable = piece[: len(piece) - 1] if len(piece) % 4 == 1 else piece
    # base64.b64decode's own call, without its wrapper (the letters are ASCII: _NOT_BASE64)
    return binascii.a2b_base64(usable + "=" * (-len(usable) % 4))


def _oddness(text: str, codec: str) -> tuple[int, int]:
    """How unlike text a reading is: undecodable bytes and control characters first; then,
    in a one-byte charset (where bytes read out of step are as often high as low), the
    characters outside ASCII."""
    garbage = sum(1 for char in text if char == "\ufffd" or _CONTROL.match(char))
    high = sum(1 for char in text if char > "\x7f") if _one_byte_charset(codec) else 0
    return garbage, high


@lru_cache(maxsize=64)
def _one_byte_charset(codec: str) -> bool:
    return len(bytes(range(256)).decode(codec, errors="replace")) == 256


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _word_payload(kind: str, payload: str) -> bytes | str | None:
    """A Q word's bytes, or a B word's base64 letters and padding (stray characters gone)."""
    if kind in "bB":
        return _NOT_BASE64.sub("", payload)
    try:
        # quopri.decodestring's own call, without its wrapper
        return binascii.a2b_qp(payload.replace("_", " ").encode("latin-1", "replace"))
    except (binascii.Error, ValueError):
        return None


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")
_PADDING = re.compile(r"=+")
# Python codecs that are no character sets: transforms of text, not decodings of bytes.
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})


@lru_cache(maxsize=256)
def _known_charset(charset: str) -> bool:
    return _text_codec(charset.split("*", 1)[0]) is not None


@lru_cache(maxsize=256)
def _charset_codec(charset: str) -> str | None:
    """The codec for an encoded word's charset: a close match for a misspelt one, utf-8 for
    an unknown one, None for a codec that is no text encoding (kept undecoded)."""
    name = charset.split("*", 1)[0].strip().replace(" ", "-").replace("_", "-").lower()
    for candidate in (name, name.replace("-", ""), *_charset_aliases(name)):
        try:
            codecs.lookup(candidate)
        except LookupError:
            continue
        return _text_codec(candidate)
    return "utf-8"


def _charset_aliases(name: str) -> list[str]:
    """Names mail programs write that Python does not know: ``x-sjis``, ``x-mac-roman``,
    ``windows-874`` / ``x-windows-949`` (cp874, cp949), ``iso-8859-8-i`` (Hebrew in logical
    order: the same bytes as iso-8859-8)."""
    bare = name[2:] if name.startswith("x-") else name
    bare = _ISO_ORDER_SUFFIX.sub("", bare)
    return [bare, bare.replace("windows-", "cp"), bare.replace("-", "_")]


_ISO_ORDER_SUFFIX = re.compile(r"(?<=^iso-8859-[0-9])-[ie]$")


def _text_codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name
