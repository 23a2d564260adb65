"""Bulk mode: a folder, an mbox and broken files, analyzed by real worker processes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

from o365diag.headers.bulk import iter_messages
from tests.test_headers_cli import HEADERS

PASSING = """Authentication-Results: spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=example.org;
 dkim=pass (signature was verified) header.d=example.org;dmarc=pass action=none
 header.from=example.org;compauth=pass reason=100
From: App <app@example.org>
Subject: ok
"""


def _mbox(messages: list[str]) -> bytes:
    parts = [
        f"From sender@example.org Mon Nov 23 10:00:0{i} 2026\n{m}\nbody line\n>From quoted\n"
        for i, m in enumerate(messages)
    ]
    return "".join(parts).encode()


def _build_inputs(folder: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "a.eml").write_text(HEADERS + "\nbody\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text(PASSING, encoding="utf-8")
    (folder / "broken.eml").write_bytes(bytes(range(256)) * 20)
    (folder / "empty.eml").write_bytes(b"")
    (folder / "ignored.png").write_bytes(b"\x89PNG")


def test_iter_messages_splits_an_mbox_and_walks_folders(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _build_inputs(folder)
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(_mbox([PASSING, HEADERS, PASSING]))
    labels = [label for label, _ in iter_messages([str(folder)])]
    assert sorted(Path(label).name for label in labels) == [
        "a.eml",
        "b.txt",
        "broken.eml",
        "empty.eml",
    ]
    box = list(iter_messages([str(mbox)]))
    assert [label.rsplit("#", 1)[1] for label, _ in box] == ["1", "2", "3"]
    assert b">From quoted" in box[0][1]


def test_bulk_cli_writes_one_line_per_message_and_a_summary(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    _build_inputs(inputs)
    (inputs / "box.mbox").write_bytes(_mbox([PASSING, HEADERS]))
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [python, "-m", "o365diag", "headers", str(inputs), "--jsonl", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 6
    errors = {Path(line["source"]).name: line["error"] for line in lines if "error" in line}
    assert set(errors) == {"broken.eml", "empty.eml"}
    assert "binary" in errors["broken.eml"] and "empty" in errors["empty.eml"]
    analyzed = [line for line in lines if "error" not in line]
    assert all(line["schema"] == "o365diag.headers/1" for line in analyzed)
    assert "messages: 6   analyzed: 4   errors: 2" in result.stdout
    assert "intra-org-spoof" in result.stdout
    compauth = result.stdout.split("compauth", 1)[1].split("dmarc", 1)[0]
    assert "pass" in compauth and "fail" in compauth


def test_bulk_to_stdout_keeps_the_summary_on_stderr(
    python: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "m.eml"
    source.write_text(PASSING, encoding="utf-8")
    result = subprocess.run(
        [
            python,
            "-m",
            "o365diag",
            "headers",
            str(source),
            str(source),
            "--jsonl",
            "-",
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 2
    assert "messages: 2" in result.stderr


def test_workers_read_only_a_few_chunks_ahead_of_the_output() -> None:
    from o365diag.headers import bulk

    drawn = 0

    def messages() -> Iterator[tuple[str, bytes | str]]:
        nonlocal drawn
        for number in range(2_000):
            drawn += 1
            yield f"m{number}", PASSING.encode()

    results = bulk._analyze_all(messages(), workers=2)
    first = next(results)
    assert first[1].compauth == "pass"
    # Executor.map would have drawn all 2,000 messages before the first result.
    assert drawn <= (2 * bulk._CHUNKS_AHEAD + 1) * bulk._CHUNK
    assert sum(1 for _ in results) == 1_999
