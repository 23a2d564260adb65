"""Header analyzer speed next to mail-parser's full parse and Python's own email parser.

Measures, each in a fresh child process (one core; peak RSS from the child's ru_maxrss):
- analyses per second over the samples in sample_headers/, repeated to at least 10,000;
- mail-parser ``parse_from_bytes`` and stdlib ``email.message_from_bytes`` on the same inputs;
- bulk mode (``o365diag headers DIR --jsonl``) on one worker and on two, and the scaling;
- a cold ``python -c`` that imports o365diag and analyzes one header set.
Results are printed and saved to benchmarks/results/headers.json.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import REPO, run_child, save

SAMPLES = REPO / "sample_headers"
ANALYSES = 10_000
BULK_MESSAGES = 6_000

_LOOP = """
import json, resource, sys, time
from pathlib import Path
paths = sorted(p for p in Path(sys.argv[1]).iterdir() if p.suffix in ('.txt', '.eml'))
inputs = [p.read_bytes() for p in paths]
total = int(sys.argv[2])
{setup}
for data in inputs:
    work(data)
started = time.perf_counter()
for i in range(total):
    work(inputs[i % len(inputs)])
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"per_second": total / elapsed, "seconds": elapsed, "peak_mb": peak,
                  "inputs": len(inputs)}}))
"""

PEERS = {
    "o365diag analyze": "from o365diag.headers import analyze\nwork = analyze",
    "mail-parser full parse": "import mailparser\nwork = mailparser.parse_from_bytes",
    "stdlib email parser": "import email\nwork = email.message_from_bytes",
}


def measure_throughput() -> dict[str, dict[str, float]]:
    results = {}
    for name, setup in PEERS.items():
        results[name] = run_child(_LOOP.format(setup=setup), str(SAMPLES), str(ANALYSES))
        print(
            f"{name:<24} {results[name]['per_second']:>9,.0f} /s   "
            f"peak {results[name]['peak_mb']:.0f} MB",
            flush=True,
        )
    return results


def _make_bulk_folder(folder: Path) -> int:
    samples = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".txt", ".eml"))
    for i in range(BULK_MESSAGES):
        source = samples[i % len(samples)]
        (folder / f"{i:05d}{source.suffix}").write_bytes(source.read_bytes())
    return BULK_MESSAGES


def _bulk_seconds(folder: Path, jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "o365diag",
            "headers",
            str(folder),
            "--jsonl",
            str(folder.parent / f"out{jobs}.jsonl"),
            "--jobs",
            str(jobs),
        ],
        check=True,
        capture_output=True,
        cwd=REPO,
        timeout=900,
    )
    return time.perf_counter() - started


def measure_bulk() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "messages"
        folder.mkdir()
        count = _make_bulk_folder(folder)
        one = min(_bulk_seconds(folder, 1) for _ in range(2))
        two = min(_bulk_seconds(folder, 2) for _ in range(2))
    result = {
        "messages": count,
        "one_worker_s": one,
        "two_workers_s": two,
        "one_worker_per_s": count / one,
        "two_workers_per_s": count / two,
        "scaling": one / two,
    }
    print(
        f"bulk {count} messages: 1 worker {one:.2f} s, 2 workers {two:.2f} s, "
        f"scaling {one / two:.2f}x",
        flush=True,
    )
    return result


def _wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=REPO, timeout=60)
    return time.perf_counter() - started


def measure_cold_start() -> dict[str, float]:
    sample = next(p for p in sorted(SAMPLES.iterdir()) if p.suffix in (".txt", ".eml"))
    code = f"from o365diag.headers import analyze; analyze(open({str(sample)!r}, 'rb').read())"
    runs = [_wall([sys.executable, "-c", code]) for _ in range(10)]
    bare = [_wall([sys.executable, "-c", "pass"]) for _ in range(10)]
    result = {
        "median_ms": 1000 * statistics.median(runs),
        "bare_python_ms": 1000 * statistics.median(bare),
    }
    print(
        f"cold import + analyze: {result['median_ms']:.0f} ms median "
        f"(bare python {result['bare_python_ms']:.0f} ms)",
        flush=True,
    )
    return result


def main() -> None:
    throughput = measure_throughput()
    ours = throughput["o365diag analyze"]["per_second"]
    ratios = {
        name: ours / data["per_second"]
        for name, data in throughput.items()
        if name != "o365diag analyze"
    }
    for name, ratio in ratios.items():
        print(f"o365diag analyses per second / {name} per second: {ratio:.2f}x")
    data = {
        "throughput": throughput,
        "ratios": ratios,
        "bulk": measure_bulk(),
        "cold_start": measure_cold_start(),
    }
    print(f"saved {save('headers', data)}")


if __name__ == "__main__":
    main()
