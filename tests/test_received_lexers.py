"""The one-pass lexer for plain Received values gives exactly what the general lexer gives."""

from __future__ import annotations

import ast
import random

from o365diag.headers import received as R
from o365diag.headers.parse import read_header_source
from tests.conftest import REPO, SAMPLES


def _corpus() -> list[str]:
    values = []
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in (".txt", ".eml"):
            values += [f.value for f in read_header_source(path.read_bytes()).get_all("received")]
    tree = ast.parse((REPO / "tests" / "test_received.py").read_text(encoding="utf-8"))
    values += [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and " by " in node.value
    ]
    return values


def _both(text: str) -> tuple[R._Lexed | None, R._Lexed]:
    return R._read_parts_simple(text), R._read_parts_general(text)


def test_fast_reader_matches_the_general_one_on_every_known_received_value() -> None:
    corpus = _corpus() + _generated()
    fast_used = 0
    for value in corpus:
        fast, slow = _both(value)
        if fast is not None:
            fast_used += 1
            assert fast == slow, value
    assert fast_used > 0.8 * len(corpus) > 50


def _generated() -> list[str]:
    from benchmarks.header_corpus import generate

    values = []
    for data in generate(20, seed=3):
        values += [f.value for f in read_header_source(data).get_all("received")]
    return values


def test_fast_reader_declines_nesting_escapes_stray_parentheses_and_no_semicolon() -> None:
    for text in (
        "from a (b (c (d))) by d; x",
        "from a (b \\) c) by d; x",
        "from a (b by c; x",
        "a ) b; x",
        "from a by b Tue, 9 Jan 2024 10:00:00 +0000",
        "from a by b; x (y; z)",
    ):
        assert R._read_parts_simple(text) is None, text


def test_fast_reader_matches_on_random_mutations() -> None:
    rng = random.Random(7)
    corpus = _corpus()
    for _ in range(3000):
        chars = list(rng.choice(corpus))
        for _ in range(rng.randint(1, 6)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice("();\\ \t x"))
        text = "".join(chars)
        fast, slow = _both(text)
        if fast is not None:
            assert fast == slow, text
