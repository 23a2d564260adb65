"""Header analyzer speed next to mail-parser's full parse and Python's own email parser.

Two input sets: the samples in sample_headers/ (small, 1-4 KB), and large real-looking header
sets from benchmarks/header_corpus.py (about 11 KB: 15 Received hops, a three-instance ARC
chain, two DKIM signatures, Microsoft's and SpamAssassin's full stamps). On each, one core,
each variant in a fresh child process (peak memory: the child's own VmHWM):

- ``o365diag analyze``: the whole analysis (parse, verdict, stamps, hops, findings);
- ``mail-parser full parse``: ``mailparser.parse_from_bytes``;
- ``stdlib message_from_bytes``: ``email.message_from_bytes`` (compat32 policy);
- ``stdlib BytesHeaderParser``: ``BytesHeaderParser().parsebytes`` with its default policy
  (compat32), the standard library's header parser as it comes: the fastest of the three;
- ``stdlib BytesHeaderParser (policy.default)``: the same with ``email.policy.default``, which
  parses each header lazily when it is read.

Ratios printed: o365diag/mail-parser (target >= 3) and stdlib/o365diag (target <= 3, against
each stdlib variant), from CPU time per analysis: the machines these run on are shared, and
wall time then measures the neighbours as much as the code (wall rates are saved too).
On the large sets the analyzer also runs once over 3,000 sets it has not seen (none repeated),
to show that what it remembers from message to message is not what makes its figure.
Then bulk mode (``o365diag headers DIR --jsonl``) on one worker and on two, each run from a
fresh launcher process (peak: the largest process), a cold start, and one peak figure
cross-checked with ``/usr/bin/time -v`` when it is installed.
Results are printed and saved to benchmarks/results/headers.json.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import REPO, run_child, run_command_measured, save

SAMPLES = REPO / "sample_headers"
ANALYSES = 10_000
LARGE_SETS = 200
LARGE_ANALYSES = 3_000
BULK_MESSAGES = 4_000
REPEATS = 3  # each throughput is the best of this many runs, interleaved across variants

_LOOP = """
import json, sys, time
from pathlib import Path
from benchmarks._util import peak_rss_mb
source, total = sys.argv[1], int(sys.argv[2])
if source == "large":
    from benchmarks.header_corpus import generate
    inputs = generate({large_sets})
else:
    paths = sorted(p for p in Path(source).iterdir() if p.suffix in ('.txt', '.eml'))
    inputs = [p.read_bytes() for p in paths]
{setup}
for data in inputs:
    work(data)
started, cpu_started = time.perf_counter(), time.process_time()
for i in range(total):
    work(inputs[i % len(inputs)])
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
print(json.dumps({{"per_second": total / elapsed, "per_cpu_second": total / cpu,
                  "seconds": elapsed, "peak_mb": peak_rss_mb(), "inputs": len(inputs),
                  "bytes": sum(map(len, inputs)) / len(inputs)}}))
"""

OURS = "o365diag analyze"
MAIL_PARSER = "mail-parser full parse"
STDLIB_FULL = "stdlib message_from_bytes (compat32)"
STDLIB_HEADERS = "stdlib BytesHeaderParser (compat32)"
STDLIB_LAZY = "stdlib BytesHeaderParser (policy.default)"
PEERS = {
    OURS: "from o365diag.headers import analyze\nwork = analyze",
    MAIL_PARSER: "import mailparser\nwork = mailparser.parse_from_bytes",
    STDLIB_FULL: "import email\nwork = email.message_from_bytes",
    STDLIB_HEADERS: "import email.parser\nwork = email.parser.BytesHeaderParser().parsebytes",
    STDLIB_LAZY: (
        "import email.parser, email.policy\n"
        "work = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes"
    ),
}


def _loop_code(name: str) -> str:
    return _LOOP.format(setup=PEERS[name], large_sets=LARGE_SETS)


def measure_throughput(source: str, total: int) -> dict[str, dict[str, float]]:
    """Best of REPEATS runs per variant; the runs take turns so load on the machine hits all."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in PEERS}
    for _ in range(REPEATS):
        for name in PEERS:
            runs[name].append(run_child(_loop_code(name), source, str(total)))  # type: ignore[arg-type]
    results = {name: max(found, key=_cpu_rate) for name, found in runs.items()}
    for name, result in results.items():
        print(
            f"  {name:<44} {result['per_cpu_second']:>8,.0f} /CPU-s "
            f"({result['per_second']:,.0f} /s wall)   peak {result['peak_mb']:.0f} MB",
            flush=True,
        )
    return results


def _cpu_rate(result: dict[str, float]) -> float:
    return result["per_cpu_second"]


def ratios(results: dict[str, dict[str, float]]) -> dict[str, float]:
    ours = _cpu_rate(results[OURS])
    found = {
        "o365diag / mail-parser (target >= 3)": ours / _cpu_rate(results[MAIL_PARSER]),
        "stdlib message_from_bytes / o365diag (target <= 3)": (
            _cpu_rate(results[STDLIB_FULL]) / ours
        ),
        "stdlib BytesHeaderParser (compat32) / o365diag (target <= 3)": (
            _cpu_rate(results[STDLIB_HEADERS]) / ours
        ),
        "stdlib BytesHeaderParser (policy.default) / o365diag (target <= 3)": (
            _cpu_rate(results[STDLIB_LAZY]) / ours
        ),
    }
    for name, value in found.items():
        print(f"  {name}: {value:.2f}x", flush=True)
    return found


DISTINCT_SETS = 3_000
_DISTINCT = """
import json, time
from benchmarks.header_corpus import generate
from o365diag.headers import analyze
warm, inputs = generate(200, seed=5), generate({count}, seed=6)
for data in warm:
    analyze(data)
cpu_started = time.process_time()
for data in inputs:
    analyze(data)
print(json.dumps({{"per_cpu_second": len(inputs) / (time.process_time() - cpu_started)}}))
"""


def measure_distinct(looped: dict[str, float]) -> dict[str, float]:
    """The analyzer on sets it has never seen, each once: what it remembers across messages
    (descriptions of codes, domains) must not be what makes the looped figure."""
    runs = [run_child(_DISTINCT.format(count=DISTINCT_SETS)) for _ in range(REPEATS)]
    rate = max(float(run["per_cpu_second"]) for run in runs)  # type: ignore[arg-type]
    share = rate / _cpu_rate(looped)
    print(
        f"  o365diag on {DISTINCT_SETS:,} distinct large sets, none repeated: {rate:,.0f} /CPU-s "
        f"({share:.0%} of the 200-set loop)",
        flush=True,
    )
    return {"sets": DISTINCT_SETS, "per_cpu_second": rate, "share_of_loop": share}


def _make_bulk_folder(folder: Path) -> int:
    from benchmarks.header_corpus import generate

    for number, data in enumerate(generate(BULK_MESSAGES, seed=7)):
        (folder / f"{number:05d}.eml").write_bytes(data)
    return BULK_MESSAGES


def _bulk_command(folder: Path, jobs: int) -> list[str]:
    out = folder.parent / f"out{jobs}.jsonl"
    command = [sys.executable, "-m", "o365diag", "headers", str(folder)]
    return [*command, "--jsonl", str(out), "--jobs", str(jobs)]


def measure_bulk() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "messages"
        folder.mkdir()
        count = _make_bulk_folder(folder)
        one = min((run_command_measured(_bulk_command(folder, 1)) for _ in range(2)), key=_secs)
        two = min((run_command_measured(_bulk_command(folder, 2)) for _ in range(2)), key=_secs)
        cross_check = _time_v_cross_check(_bulk_command(folder, 1))
    result = {
        "messages": count,
        "one_worker_s": one["seconds"],
        "two_workers_s": two["seconds"],
        "one_worker_per_s": count / one["seconds"],
        "two_workers_per_s": count / two["seconds"],
        "scaling": one["seconds"] / two["seconds"],
        "one_worker_peak_mb": one["peak_mb"],
        "two_workers_largest_process_peak_mb": two["peak_mb"],
        **cross_check,
    }
    print(
        f"  bulk {count:,} large sets: 1 worker {one['seconds']:.2f} s "
        f"({count / one['seconds']:,.0f}/s, peak {one['peak_mb']:.0f} MB), 2 workers "
        f"{two['seconds']:.2f} s ({count / two['seconds']:,.0f}/s), scaling "
        f"{one['seconds'] / two['seconds']:.2f}x",
        flush=True,
    )
    if cross_check:
        print(
            f"  /usr/bin/time -v on the 1-worker run: max RSS {cross_check['time_v_peak_mb']:.0f}"
            f" MB (launcher figure: {one['peak_mb']:.0f} MB)",
            flush=True,
        )
    return result


def _secs(result: dict[str, float]) -> float:
    return result["seconds"]


def _time_v_cross_check(argv: list[str]) -> dict[str, float]:
    """The same run under Debian's /usr/bin/time -v, for its "Maximum resident set size"."""
    if shutil.which("time") is None or not Path("/usr/bin/time").exists():
        return {}
    done = subprocess.run(
        ["/usr/bin/time", "-v", *argv], capture_output=True, text=True, cwd=REPO, timeout=900
    )
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return {"time_v_peak_mb": int(found.group(1)) / 1024} if found else {}


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
        f"  cold import + analyze: {result['median_ms']:.0f} ms median "
        f"(bare python {result['bare_python_ms']:.0f} ms)",
        flush=True,
    )
    return result


def main() -> None:
    print("large real-looking header sets (benchmarks/header_corpus.py):", flush=True)
    large = measure_throughput("large", LARGE_ANALYSES)
    large_ratios = ratios(large)
    distinct = measure_distinct(large[OURS])
    print("shipped samples (sample_headers/):", flush=True)
    small = measure_throughput(str(SAMPLES), ANALYSES)
    small_ratios = ratios(small)
    print("bulk mode:", flush=True)
    data = {
        "large_sets": {"throughput": large, "ratios": large_ratios, "distinct": distinct},
        "samples": {"throughput": small, "ratios": small_ratios},
        "bulk": measure_bulk(),
        "cold_start": measure_cold_start(),
    }
    print(f"saved {save('headers', data)}")


if __name__ == "__main__":
    main()
