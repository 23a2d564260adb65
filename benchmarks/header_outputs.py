"""Prove that a change to the header analyzer leaves its output as it was.

Writes the JSON result of every file in sample_headers/ and of the benchmark corpus (the
large sets of benchmarks/header_corpus.py and the bulk benchmark's sets) to a folder, one file
per input; with ``--compare`` it diffs a folder written before the change against the output
of the code as it is now and lists every input whose JSON differs.

    python -m benchmarks.header_outputs write /tmp/before
    (change the code)
    python -m benchmarks.header_outputs compare /tmp/before
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks._util import REPO
from benchmarks.header_corpus import generate

SAMPLES = REPO / "sample_headers"
CORPUS_SETS = 200  # the throughput benchmark's sets (seed 42)
BULK_SETS = 1000  # the first of the bulk benchmark's sets (seed 7)


def inputs() -> Iterator[tuple[str, bytes]]:
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in (".txt", ".eml", ".msg"):
            yield f"sample-{path.name}", path.read_bytes()
    for number, data in enumerate(generate(CORPUS_SETS)):
        yield f"corpus42-{number:05d}", data
    for number, data in enumerate(generate(BULK_SETS, seed=7)):
        yield f"corpus7-{number:05d}", data


def rendered(name: str, data: bytes) -> str:
    from o365diag.headers import analyze

    result = analyze(data, name=name)
    return json.dumps(result.to_dict(), indent=1, sort_keys=True, ensure_ascii=False, default=str)


def write(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in inputs():
        (folder / f"{name}.json").write_text(rendered(name, data), encoding="utf-8")
        count += 1
    print(f"wrote {count} results to {folder}")
    return 0


def compare(folder: Path) -> int:
    differing: list[str] = []
    count = 0
    for name, data in inputs():
        count += 1
        before = (folder / f"{name}.json").read_text(encoding="utf-8")
        if rendered(name, data) != before:
            differing.append(name)
    if differing:
        print(f"{len(differing)} of {count} results differ: {', '.join(differing[:20])}")
        return 1
    print(f"all {count} results identical to {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("write", "compare"))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    return write(args.folder) if args.action == "write" else compare(args.folder)


if __name__ == "__main__":
    sys.exit(main())
