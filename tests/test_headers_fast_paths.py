"""Each shortcut the header analyzer takes for speed gives what the general way gives.

The general ways are written out here as plainly as possible (they are the behaviour the
shortcuts must keep) and compared on the samples, the benchmark's generated header sets and
odd hand-made and mutated inputs.
"""

from __future__ import annotations

import itertools
import random

from o365diag.headers import received as R
from o365diag.headers.diagnose import _undecoded_words
from o365diag.headers.parse import (
    _WHOLE_FIELD,
    ENCODED_WORD,
    HeaderSet,
    _fields_cover,
    _unfold,
    parse_header_block,
    read_header_source,
)
from tests.conftest import SAMPLES
from tests.test_received_lexers import _corpus as received_corpus


def _generated_sets(count: int = 20) -> list[bytes]:
    from benchmarks.header_corpus import generate

    return generate(count, seed=11)


def _sample_sets() -> list[bytes]:
    return [
        path.read_bytes() for path in sorted(SAMPLES.iterdir()) if path.suffix in (".txt", ".eml")
    ]


def _received_values() -> list[str]:
    values = received_corpus()
    for data in _generated_sets():
        values += [f.value for f in read_header_source(data).get_all("received")]
    return values


def _mutations(texts: list[str], alphabet: str, rounds: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    mutated = []
    for _ in range(rounds):
        chars = list(rng.choice(texts))
        for _ in range(rng.randint(1, 6)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(alphabet))
        mutated.append("".join(chars))
    return mutated


# --------------------------------------------------------------------------- Received keywords


def _collect_tokens_plainly(
    tokens: list[str],
) -> tuple[dict[str, R._Part], list[str], list[str]]:
    parts: dict[str, R._Part] = {}
    repeated: list[str] = []
    comments: list[str] = []
    current = R._Part()
    for token in tokens:
        if token.startswith("(") and token.endswith(")") and len(token) >= 2:
            comments.append(token[1:-1])
            if current.head_end is None:
                current.head_end = len(current.words)
            current.comments.append(token[1:-1])
        elif not token.startswith(";"):
            if token.lower() in R.KEYWORDS:
                if token.lower() in parts:
                    repeated.append(token.lower())
                    current = R._Part()
                else:
                    current = parts[token.lower()] = R._Part()
                continue
            current.words.append(token)
    return parts, comments, sorted(set(repeated))


def test_every_spelling_of_every_keyword_and_only_those_is_a_keyword() -> None:
    for keyword in R.KEYWORDS:
        for spelling in itertools.product(*((ch.lower(), ch.upper()) for ch in keyword)):
            assert R._KEYWORD_SPELLINGS["".join(spelling)] == keyword
    assert len(R._KEYWORD_SPELLINGS) == sum(2 ** len(k) for k in R.KEYWORDS)
    for word in ("fro", "froms", "(from)", "BY,", "İd", "ıd", "wıth", "K"):  # K: Kelvin sign
        assert word not in R._KEYWORD_SPELLINGS


def test_keyword_collection_matches_the_plain_reading_on_real_and_mutated_values() -> None:
    values = _received_values()
    values += _mutations(values, "();\\ xFROMbyIdVia", 2000, seed=5)
    values += ["FROM a BY b WITH c ID d FOR e VIA f; x", "from a from b (c) by by; x", "(only)"]
    compared = 0
    for value in values:
        for tokens in (R._FLAT_TOKEN.findall(value), R._SIMPLE_TOKEN.findall(value)):
            if tokens:
                assert R._collect_tokens(tokens) == _collect_tokens_plainly(tokens), value
                compared += 1
    assert compared > 2000


# --------------------------------------------------------------------------- Received addresses


def test_single_address_shortcut_matches_the_scan() -> None:
    texts = [
        "198.51.100.7", "2001:db8::1", "2001:DB8:0:0::7b", "::ffff:192.0.2.1", "::1", "::",
        "fe80::1%eth0", "192.0.2.1.", "192.0.2.256", "1.2.3", ".:1", "..:1", "a:b", "2001:db8::1.",
        "ipv6:2001:db8::1", "IPv6:2001:db8::1", "0" * 70 + ":1", "1:" * 30 + "1", "192.0.2.1%x",
        "::ffff:198.51.100.300", "1.2.3.4.5", "abc", "", "f" * 40 + ":" + "1" * 24,
    ]  # fmt: skip
    for value in _received_values():
        parts = R._read_parts(value)[0]
        for part in parts.values():
            texts += [*part.comments, " ".join(part.words)]
    texts += _mutations(texts[:40], "0123456789abcdef:.%[] ", 2000, seed=9)
    shortcut_taken = 0
    for text in texts:
        assert R._first_ip(text) == R._scan_for_ip(text), text
        shortcut_taken += bool(text) and R._IP_SHAPE.fullmatch(text) is not None
    assert shortcut_taken > 100


# --------------------------------------------------------------------------- header block


def _covered_by_line_count(block: str, found: list[tuple[str, str]]) -> bool:
    lines = block.split("\n")
    folded = sum(line.startswith((" ", "\t")) for line in lines[1:])  # after a line break
    return len(found) == len(lines) - folded


def _blocks() -> list[str]:
    blocks = []
    for data in _sample_sets() + _generated_sets(5):
        text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        blocks.append(text.split("\n\n", 1)[0])
    blocks += [
        "A: 1\n b\nstray line\n c\nB: 2",
        "A: 1\n\tb\n c\nB:\n 2\n",
        "A: 1\n10:00:00 +0000\nB: 2",
        " folded first\nA: 1",
        "A: 1\nB 2\n  c",
        "A:\n\n",
    ]
    return blocks + _mutations(blocks, "\n \t:x", 1500, seed=13)


def test_line_cover_check_matches_counting_lines() -> None:
    results = set()
    for block in _blocks():
        found = _WHOLE_FIELD.findall(block)
        expected = _covered_by_line_count(block, found)
        assert _fields_cover(block, found) == expected, block
        results.add(expected)
    assert results == {True, False}


def _unfold_plainly(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    return " ".join(lines if lines[0] else lines[1:])


def test_unfolding_matches_the_plain_reading() -> None:
    values = [value for block in _blocks() for _, value in _WHOLE_FIELD.findall(block)]
    values += ["", "\n", " \n a", "a\n \n b", "\u00a0\n\u2003x\u00a0", "\n\n x"]
    for value in values:
        assert _unfold(value) == _unfold_plainly(value), value


# --------------------------------------------------------------------------- diagnosis


def _undecoded_plainly(headers: HeaderSet) -> list[str]:
    return [
        f"{found.name}: an encoded word could not be decoded"
        for found in headers
        if ENCODED_WORD.search(found.value)
    ]


def test_undecoded_word_report_matches_checking_each_field() -> None:
    texts = [
        "Subject: =?rot13?Q?nop?=\nX-A: plain\nX-B: =?zlib?B?!!!?=",
        "Subject: =?utf-8?Q?fine?=\nX-Split: a =\n ?b",
        "Subject: = ?x\nX-C: ?=",
        "X-Only: =?\nX-Then: ?q?x?=",
    ]
    sets = [parse_header_block(text) for text in texts]
    sets += [read_header_source(data) for data in _sample_sets() + _generated_sets(5)]
    reported = 0
    for headers in sets:
        expected = _undecoded_plainly(headers)
        assert _undecoded_words(headers) == expected
        reported += len(expected)
    assert reported >= 1
