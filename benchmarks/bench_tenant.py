"""Tenant connector benchmark: message trace from a Graph-like HTTPS server into the Parquet
store, measured in the client process alone.

    python benchmarks/bench_tenant.py                  # 100,000 and 300,000 rows
    python benchmarks/bench_tenant.py --rows 50000 --rows 500000

The loopback Graph server of the tests (TLS, $filter, 10-day windows, $top=5000 pages with
$skiptoken) runs in its own process, pinned to another core where there is one; the client is
``o365diag trace --graph`` in a fresh process pinned to one core, so its peak memory
(max RSS) and its time are its own. Reported per size: rows per second from the first request
to the last file written (the pull's own ``elapsed_s``: interpreter start and imports
excluded), peak RSS, and requests per 100,000 rows (the pull's own count, with the real
throttle budget of 100 requests per 5 minutes, which this pull never reaches).

Targets (issue 13): >= 50,000 rows/s on one core; peak RSS < 300 MB whatever the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import REPO, save

TOKEN = "bench-token"

SERVER = """
import os, sys, json
from datetime import UTC, datetime, timedelta
from pathlib import Path
if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
from o365diag.trace.synth import synthesize
from tests.graph_server import GraphServer, graph_records
rows, folder = int(sys.argv[1]), Path(sys.argv[2])
start = (datetime.now(UTC) - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
frame = synthesize(rows, 9.5, start=start, seed=3)
records = graph_records(frame)
del frame
with GraphServer(folder, records, tokens={"bench-token"}, compact=True) as server:
    del records
    print(json.dumps({"url": server.url, "cafile": str(server.cafile), "start": start.isoformat(),
                      "rows": server.row_count}), flush=True)
    sys.stdin.read()
"""

CLIENT = """
import json, os, resource, sys, time, io, contextlib
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from o365diag.cli import main
argv = json.loads(sys.argv[1])
buffer = io.StringIO()
started = time.perf_counter()
with contextlib.redirect_stdout(buffer):
    code = main(argv)
elapsed = time.perf_counter() - started
result = json.loads(buffer.getvalue())
print(json.dumps({"code": code, "elapsed_s": result["elapsed_s"], "process_s": elapsed,
                  "rows": result["rows_written"],
                  "requests": len(result["requests"]), "pages": result["pages"],
                  "retries": result["retries"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(rows: int, folder: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(REPO), GRAPH_TOKEN=TOKEN)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(rows), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        argv = [
            "trace",
            "--graph",
            "--tenant",
            "bench.example",
            "--graph-url",
            info["url"],
            "--cafile",
            info["cafile"],
            "--token-env",
            "GRAPH_TOKEN",
            "--out",
            str(folder / "store"),
            "--start",
            info["start"],
            "--json",
            "--no-progress",
        ]
        done = subprocess.run(
            [sys.executable, "-c", CLIENT, json.dumps(argv)],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=True,
        )
        result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(30)
    result["rows_per_s"] = result["rows"] / result["elapsed_s"]
    result["requests_per_100k_rows"] = result["requests"] * 100_000 / max(result["rows"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, action="append", help="rows served (repeat)")
    args = parser.parse_args()
    sizes = args.rows or [100_000, 300_000]
    results = {}
    for rows in sizes:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = measure(rows, Path(folder))
            result["wall_s"] = time.perf_counter() - started
        results[str(rows)] = result
        print(
            f"{result['rows']:>9,} rows  {result['rows_per_s']:>9,.0f} rows/s  "
            f"peak RSS {result['peak_rss_mb']:6.1f} MB  {result['requests']} requests "
            f"({result['requests_per_100k_rows']:.1f} per 100,000 rows, "
            f"{result['retries']} retries)",
            flush=True,
        )
    path = save("tenant", {"sizes": results, "targets": {"rows_per_s": 50_000, "peak_rss_mb": 300}})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
