"""The regular-expression header splitter gives what a plain line-by-line reading gives."""

from __future__ import annotations

import random
import re

import pytest

from benchmarks.header_corpus import generate
from o365diag.headers import parse
from o365diag.headers.parse import HeaderSet, InputError, parse_header_block, read_header_source
from tests.conftest import SAMPLES

_LINES = re.compile(r"\r\n|\r|\n")
_NAME = re.compile(r"([!-9;-~]{1,200})[ \t]*:[ \t]?")


def _line_by_line(text: str) -> tuple[list[tuple[str, str]], list[str], bool, bool]:
    """The reference: fields (name, unfolded raw value), stray lines, whether a line lost its
    indentation, whether a body followed."""
    fields: list[tuple[str, list[str]]] = []
    stray: list[str] = []
    repaired = had_body = False
    for line in _LINES.split(text.replace("\x00", "")):
        if not line.strip():
            if fields:
                had_body = True
                break
            continue
        folded = line[0] in " \t"
        start = None if folded else _NAME.match(line)
        if start and not (len(start.group(1)) <= 2 and start.group(1).isdigit()):
            fields.append((start.group(1), [line[start.end() :].strip()]))
        elif fields:
            repaired = repaired or not folded
            fields[-1][1].append(line.strip())
        else:
            stray.append(line)
    if stray and stray[0].startswith("From ") and stray[0][5:6] not in ("", ":", " ", "\t"):
        stray = stray[1:]  # an mbox envelope line ("From sender date") is no stray line
    joined = [(name, " ".join(p for p in parts if p)) for name, parts in fields]
    return joined, stray, repaired, had_body


def _as_reference(headers: HeaderSet) -> tuple[list[tuple[str, str]], list[str], bool, bool]:
    lost = any("lost its leading whitespace" in r for r in headers.repairs)
    fields = [(f.name, f.raw) for f in headers]
    return fields, headers.stray_lines, lost, headers.had_body


def _corpus() -> list[str]:
    texts = [
        p.read_text(encoding="utf-8")
        for p in sorted(SAMPLES.iterdir())
        if p.suffix in (".txt", ".eml")
    ]
    return texts + [data.decode() for data in generate(10, seed=5)]


def test_splitter_matches_line_by_line_reading_on_the_samples() -> None:
    for text in _corpus():
        assert _as_reference(parse_header_block(text)) == _line_by_line(text)


def test_splitter_matches_line_by_line_reading_on_random_mutations() -> None:
    rng = random.Random(11)
    alphabet = [
        "\n",
        "\r",
        "\r\n",
        " ",
        "\t",
        ":",
        "\x00",
        "\x0c",
        "\xa0",
        "\u2028",
        "1",
        "x",
        "\n\n",
    ]
    corpus = _corpus()
    for _ in range(3000):
        chars = list(rng.choice(corpus)[: rng.randint(0, 3000)])
        for _ in range(rng.randint(1, 8)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(alphabet))
        text = "".join(chars)
        assert _as_reference(parse_header_block(text)) == _line_by_line(text), repr(text[:300])


# --------------------------------------------------------------------------- the fast paths' pieces

_PLAIN_BLANK_LINE = re.compile(r"\n[^\S\n]*(?:\n|\Z)")
_WHITE_SPACE = " \t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u2028\u2029\u202f\u3000"


def _odd_texts(seed: int, rounds: int) -> list[str]:
    """Texts around line breaks and white space of every kind, headers or not."""
    rng = random.Random(seed)
    pieces = ["\n", "A: 1", " x", "\tb", ":", "12", "=?", "\n\n", *_WHITE_SPACE]
    texts = ["", "\n", "A: 1\n", "A: 1\n ", "A: 1\n\u3000", "A: 1\n \n", "A: 1 \n\tb"]
    for _ in range(rounds):
        texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))))
    return texts


def test_blank_line_pattern_finds_what_the_plain_pattern_finds() -> None:
    ends = set()
    for text in _odd_texts(17, 5000):
        for start in (0, 1):
            plain = _PLAIN_BLANK_LINE.search(text, start)
            fast = parse._BLANK_LINE.search(text, start)
            assert (fast and fast.start()) == (plain and plain.start()), repr(text)
            ends.add(plain is None or plain.end() == len(text))
    assert ends == {True, False}


def _line_pattern_reading(lines: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    found = parse._LOGICAL_LINE.findall("\n".join(lines))
    if len(found) != len(lines):
        return None
    names, values = zip(*found, strict=True)
    return names, tuple(value.strip() for value in values)


_NAMES = [
    "Subject", "X-MS-Exchange-Organization-SCL", "a", "1", "12", "123", "1a", "09", "0",
    "Subject ", "Subject\t", "Sub ject", " Subject", "\tSubject", "Sub\x7fject", "Süb",
    "Sub\x0cject", "", "x" * 200, "x" * 201, "[]!#", "=?utf-8?Q?x?=", "X\u2028",
]  # fmt: skip


def test_cut_at_the_colon_reads_only_what_the_line_pattern_reads() -> None:
    """The colon cut (C string methods) may decline a block, never read one differently."""
    rng = random.Random(19)
    values = ["", " value", "\tv: w", ":", " =?utf-8?Q?a?= ", " x\x0c", "\u3000x\xa0"]
    outcomes = set()
    for _ in range(6000):
        lines = [
            rng.choice(_NAMES) + rng.choice((":", ":", ":", "", " :")) + rng.choice(values)
            for _ in range(rng.randint(1, 4))
        ]
        cut = parse._cut_at_colons(lines)
        expected = _line_pattern_reading(lines)
        if cut is not None:
            assert (cut[0], tuple(value.strip() for value in cut[1])) == expected, lines
        outcomes.add((cut is None, expected is None))
    assert outcomes == {(False, False), (True, False), (True, True)}


def test_line_ending_in_white_space_before_a_fold_is_unfolded_line_by_line() -> None:
    text = "A: x \n\ty\nB: =?utf-8?Q?caf=C3=A9?=\nC: 1\u3000\n  2\n\nbody"
    headers = parse_header_block(text)
    assert [(f.name, f.value, f.raw) for f in headers] == [
        ("A", "x y", "x y"),
        ("B", "café", "=?utf-8?Q?caf=C3=A9?="),
        ("C", "1 2", "1 2"),
    ]
    assert headers.encoded == [1] and headers.had_body and not headers.repairs


def test_utf16_sniff_matches_the_plain_check() -> None:
    rng = random.Random(23)
    seen = set()
    for _ in range(3000):
        sample = bytes(rng.choice((0, 0, 65, 10, 233)) for _ in range(rng.randint(0, 12)))
        plain = (
            len(sample) >= 4
            and sample[1::2].count(0) > len(sample) // 4
            and sample[0::2].count(0) == 0
        )
        assert parse._looks_utf16_le(sample) == plain, sample
        seen.add(plain)
    assert seen == {True, False}


@pytest.mark.parametrize("text", ["\u3000\n\xa0", " \x0c\n\t", "\u2028"])
def test_input_of_unicode_white_space_only_is_empty(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        read_header_source(text)
    with pytest.raises(InputError, match="empty"):
        read_header_source(text.encode())


def test_binary_check_counts_control_characters_as_the_plain_count() -> None:
    rng = random.Random(29)
    pieces = ["a", "\n", "\t", "\x00", "\x01", "\x08", "\x0b", "\x0e", "\x1f", " ", "é", "\x7f"]
    verdicts = set()
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.choice((0, 9, 60, 400, 9000))))
        sample = text[:8192]
        plain = len(re.findall(r"[\x00-\x08\x0e-\x1f]", sample)) > max(8, len(sample) // 20)
        assert parse.looks_binary(text) == plain, repr(text[:80])
        verdicts.add(plain)
    assert verdicts == {True, False}


def test_base64_letters_read_as_padded_pieces() -> None:
    """A word's letters with padding at the end at most are read as one piece."""
    rng = random.Random(31)
    for _ in range(5000):
        letters = "".join(rng.choice("AQgw+/9=") for _ in range(rng.randint(0, 14)))
        pieces = re.split(r"=+", letters)
        plain = b"".join(parse._decode_piece(piece) for piece in pieces)
        assert parse._from_base64(letters) == plain, letters


@pytest.mark.parametrize("text", ["", "\n", " \n\t", "stray\n", "From sender@example.com x\n"])
def test_a_text_without_fields_gives_an_empty_set(text: str) -> None:
    headers = parse_header_block(text)
    assert (headers.fields, headers.repairs, headers.had_body) == ([], [], False)
    assert headers.stray_lines == ([text.strip()] if text.startswith("stray") else [])
