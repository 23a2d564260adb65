"""Small helpers shared by the benchmarks: timing in a child process and peak memory.

Peak memory is a process's own: ``ru_maxrss`` is not. On Linux, exec folds the high-water
mark of the memory the process had before exec into ``ru_maxrss``, and a child made by
fork or vfork had its parent's memory until then: a child started from a benchmark that
already holds its data reports the parent's peak. So each measured child reads
``VmHWM`` from /proc/self/status (the peak of its own address space since exec), and a
command is started from a fresh, small launcher process whose ``wait4`` reads the
command's ``ru_maxrss`` (what ``/usr/bin/time -v`` reports as "Maximum resident set size").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB, its own only (see the module docstring)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # not Linux: ru_maxrss (KB on Linux and BSD, bytes on macOS)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def reset_peak_rss() -> bool:
    """Start the peak over from the current resident memory (Linux: clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


# Runs argv[2:] and writes its exit status, wall time and ru_maxrss (KB) to argv[1]. Started
# with -S -I so this launcher stays a few MB: the command's peak cannot come from it.
_LAUNCHER = """
import json, os, sys, time
argv = sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"status": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
               "seconds": time.perf_counter() - started}, out)
"""


def run_command_measured(
    argv: list[str], *, cwd: Path = REPO, timeout: float = 900
) -> dict[str, float]:
    """Run ``argv`` from a fresh launcher; its wall time and peak RSS (MB; with worker
    processes, the largest single process: ru_maxrss is per process, not a sum)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-S", "-I", "-c", _LAUNCHER, str(report), *argv],
            check=True,
            capture_output=True,
            cwd=cwd,
            env=env,
            timeout=timeout,
        )
        wall = time.perf_counter() - started
        usage = json.loads(report.read_text(encoding="utf-8"))
    if usage["status"] != 0:
        raise RuntimeError(f"{argv[:3]}... exited with {usage['status']}")
    return {"seconds": usage["seconds"], "wall_seconds": wall, "peak_mb": usage["maxrss_kb"] / 1024}


def run_child(code: str, *args: str, timeout: float = 600) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it must print one JSON object as its last line.

    A child per measurement keeps import costs apart; for its peak memory the code calls
    ``peak_rss_mb()`` from this module (importable: the child's PYTHONPATH is the repo).
    """
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def save(name: str, data: dict[str, object]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
