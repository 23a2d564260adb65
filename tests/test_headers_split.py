"""The regular-expression header splitter gives what a plain line-by-line reading gives."""

from __future__ import annotations

import random
import re

from benchmarks.header_corpus import generate
from o365diag.headers.parse import HeaderSet, parse_header_block
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
