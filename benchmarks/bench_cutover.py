"""Cutover benchmark: 1,000,000 sign-in rows plus 1,000,000 message-trace rows reduced and joined
into the per-identity inventory, by o365diag (polars, the functions ``assess`` runs) next to the
same joins written in pandas.

    python benchmarks/bench_cutover.py                    # writes both CSVs once into a temp folder
    python benchmarks/bench_cutover.py --rows 200000 --repeat 3

Both read the same two CSV files (normalized columns: what the loaders produce) and then run the
same steps: keep the SMTP AUTH sign-ins; the tenant's usual countries; per user successes,
failures, last/first times, source addresses with counts, failed addresses, unusual countries,
failure codes, active days; addresses new in the last 14 days; the compromise moments (first
success from an unusual country, failures before it); per sender in the trace: distinct
messages, recipient rows, internal/external/failed rows, first/last message, source addresses,
the busiest day and the median day; and the left joins of all of it onto the identity list.
The timed part is those joins ("join_s"); reading is shown apart. Each variant runs in its own
fresh process (not forked from a big parent), so its peak memory (max RSS) is its own.
Target (issue 14): at least 3x faster than pandas.

Needs pandas and numpy (the dev extra).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROWS = 1_000_000
USERS = 20_000
DAYS = 60
AS_OF = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
SMTP = "Authenticated SMTP"
NEW_IP_DAYS = 14
USUAL_SHARE = 0.05


# -- data -------------------------------------------------------------------------------------
def make_files(folder: Path, rows: int) -> tuple[Path, Path]:
    import numpy as np
    import polars as pl

    signins, trace = folder / f"signins-{rows}.csv", folder / f"trace-{rows}.csv"
    if signins.exists() and trace.exists():
        return signins, trace
    rng = np.random.default_rng(14)
    start = AS_OF - timedelta(days=DAYS)
    users = np.array([f"user{n:05d}@contoso.example" for n in range(USERS)])
    ips = np.array(
        [f"{net}.{k}" for net in ("192.0.2", "198.51.100", "203.0.113") for k in range(256)]
    )
    seconds = rng.integers(0, DAYS * 86400, rows)
    pl.DataFrame(
        {
            "created": [start + timedelta(seconds=int(s)) for s in seconds],
            "user_principal_name": users[rng.integers(0, USERS, rows)],
            "ip": ips[rng.integers(0, len(ips), rows)],
            "country": np.where(
                rng.random(rows) < 0.96,
                "US",
                np.array(["BY", "BR", "DE"])[rng.integers(0, 3, rows)],
            ),
            "status_code": np.where(rng.random(rows) < 0.9, 0, 50126),
            "client_app": np.where(rng.random(rows) < 0.8, SMTP, "Browser"),
        }
    ).write_csv(signins)
    seconds = rng.integers(0, DAYS * 86400, rows)
    messages = rng.integers(0, rows * 3 // 4, rows)
    outbound = rng.random(rows) < 0.4
    pl.DataFrame(
        {
            "received": [start + timedelta(seconds=int(s)) for s in seconds],
            "sender": users[messages % USERS],
            "recipient": np.where(outbound, "someone@example.net", "staff@contoso.example"),
            "status": np.where(rng.random(rows) < 0.97, "Delivered", "Failed"),
            "direction": np.where(outbound, "Outbound", "IntraOrg"),
            "from_ip": ips[messages % len(ips)],
            "message_id": [f"<m{m}@contoso.example>" for m in messages],
        }
    ).write_csv(trace)
    return signins, trace


# -- o365diag (polars) ------------------------------------------------------------------------
def run_o365diag(signins_path: Path, trace_path: Path) -> dict[str, Any]:
    import polars as pl

    from o365diag.cutover import activity

    started = time.perf_counter()
    signins = pl.read_csv(
        signins_path,
        schema_overrides={"status_code": pl.Int64},
        try_parse_dates=True,
    ).with_columns(pl.col("created").dt.replace_time_zone("UTC"))
    trace = pl.read_csv(trace_path, try_parse_dates=True).with_columns(
        pl.col("received").dt.replace_time_zone("UTC"), pl.lit(None, pl.String).alias("trace_id")
    )
    loaded = time.perf_counter()
    smtp = activity.smtp_signins(signins, AS_OF)
    usual = activity.usual_countries(smtp)
    names = smtp.get_column("user_principal_name").unique().sort()
    identities = pl.DataFrame({"identity": names})
    per_user = activity.signin_activity(smtp, usual, AS_OF)
    moments = activity.compromise_moments(smtp, usual)
    per_sender = activity.trace_activity(trace, identities.get_column("identity"))
    table = activity.identity_table(identities, per_user, per_sender, None)
    table = table.join(moments, on="identity", how="left")
    done = time.perf_counter()
    return {
        "identities": table.height,
        "successes": int(table.get_column("successes").sum()),
        "failures": int(table.get_column("failures").sum()),
        "trace_messages": int(table.get_column("trace_messages").fill_null(0).sum()),
        "new_ip_users": int(table.get_column("new_ips").is_not_null().sum()),
        "takeovers": int(table.get_column("takeover").is_not_null().sum()),
        "load_s": loaded - started,
        "join_s": done - loaded,
    }


# -- pandas -----------------------------------------------------------------------------------
def run_pandas(signins_path: Path, trace_path: Path) -> dict[str, Any]:
    import pandas as pd

    started = time.perf_counter()
    signins = pd.read_csv(signins_path, parse_dates=["created"])
    signins["created"] = pd.to_datetime(signins["created"], utc=True)
    trace = pd.read_csv(trace_path, parse_dates=["received"])
    trace["received"] = pd.to_datetime(trace["received"], utc=True)
    loaded = time.perf_counter()
    as_of = pd.Timestamp(AS_OF)
    smtp = signins[
        (signins["client_app"] == SMTP)
        & signins["user_principal_name"].notna()
        & (signins["created"] <= as_of)
    ]
    ok = smtp["status_code"] == 0
    counts = smtp[ok & smtp["country"].notna()]["country"].value_counts()
    usual = sorted(counts[counts >= counts.sum() * USUAL_SHARE].index)
    per_user = _pandas_users(smtp, ok, usual, as_of)
    moments = _pandas_moments(smtp, ok, usual)
    identities = pd.DataFrame({"identity": sorted(smtp["user_principal_name"].unique())})
    per_sender = _pandas_trace(trace, set(identities["identity"]))
    table = identities.merge(per_user, on="identity", how="left")
    table = table.merge(per_sender, on="identity", how="left")
    table = table.merge(moments, on="identity", how="left")
    done = time.perf_counter()
    return {
        "identities": len(table),
        "successes": int(table["successes"].sum()),
        "failures": int(table["failures"].sum()),
        "trace_messages": int(table["trace_messages"].fillna(0).sum()),
        "new_ip_users": int(table["new_ips"].notna().sum()),
        "takeovers": int(table["takeover"].notna().sum()),
        "load_s": loaded - started,
        "join_s": done - loaded,
    }


def _pandas_users(smtp: Any, ok: Any, usual: list[str], as_of: Any) -> Any:
    import pandas as pd

    by_user = smtp.groupby("user_principal_name")
    good, bad = smtp[ok], smtp[~ok]
    unusual = smtp[~smtp["country"].isin(usual) & smtp["country"].notna()]
    stats = pd.DataFrame(
        {
            "successes": ok.groupby(smtp["user_principal_name"]).sum(),
            "failures": (~ok).groupby(smtp["user_principal_name"]).sum(),
            "last_attempt": by_user["created"].max(),
            "first_attempt": by_user["created"].min(),
        }
    )
    stats["last_success"] = good.groupby("user_principal_name")["created"].max()
    ip_counts = good.groupby(["user_principal_name", "ip"]).size().rename("count").reset_index()
    ip_counts = ip_counts.sort_values(["user_principal_name", "count"], ascending=[True, False])
    stats["ok_ips"] = ip_counts.groupby("user_principal_name")[["ip", "count"]].apply(
        lambda g: list(zip(g["ip"], g["count"], strict=True))
    )
    stats["failed_ip_count"] = bad.groupby("user_principal_name")["ip"].nunique()
    stats["unusual_countries"] = unusual.groupby("user_principal_name")["country"].apply(
        lambda c: sorted(c.unique())
    )
    codes = bad.groupby(["user_principal_name", "status_code"]).size().rename("count")
    stats["failure_codes"] = (
        codes.reset_index()
        .groupby("user_principal_name")[["status_code", "count"]]
        .apply(lambda g: list(zip(g["status_code"], g["count"], strict=True)))
    )
    stats["ok_days"] = good.groupby("user_principal_name")["created"].apply(
        lambda t: sorted(t.dt.date.unique())
    )
    recent = as_of - pd.Timedelta(days=NEW_IP_DAYS)
    first_by_ip = good.groupby(["user_principal_name", "ip"])["created"].min().rename("ip_first")
    first_by_ip = first_by_ip.reset_index()
    user_first = first_by_ip.groupby("user_principal_name")["ip_first"].min().rename("user_first")
    first_by_ip = first_by_ip.join(user_first, on="user_principal_name")
    fresh = first_by_ip[
        (first_by_ip["ip_first"] >= recent)
        & (first_by_ip["user_first"] < recent - pd.Timedelta(days=7))
    ]
    stats["new_ips"] = fresh.groupby("user_principal_name")["ip"].apply(sorted)
    return stats.rename_axis("identity").reset_index()


def _pandas_moments(smtp: Any, ok: Any, usual: list[str]) -> Any:
    unusual_ok = smtp[ok & ~smtp["country"].isin(usual) & smtp["country"].notna()]
    ordered = unusual_ok.sort_values("created")
    first = ordered.groupby("user_principal_name").agg(
        takeover=("created", "min"), takeover_country=("country", "first")
    )
    before = smtp[~ok].join(first, on="user_principal_name", how="inner")
    before = before[before["created"] <= before["takeover"]]
    first["failures_before"] = before.groupby("user_principal_name").size()
    return first.rename_axis("identity").reset_index()


def _pandas_trace(trace: Any, identities: set[str]) -> Any:
    import pandas as pd

    mine = trace[trace["sender"].isin(identities)].copy()
    mine["day"] = mine["received"].dt.date
    daily = mine.groupby(["sender", "day"])["message_id"].nunique().rename("n").reset_index()
    busiest = daily.sort_values("n").groupby("sender").tail(1).set_index("sender")
    grouped = mine.groupby("sender")
    stats = pd.DataFrame(
        {
            "trace_messages": grouped["message_id"].nunique(),
            "recipient_rows": grouped.size(),
            "internal_rows": (mine["direction"] == "IntraOrg").groupby(mine["sender"]).sum(),
            "external_rows": (mine["direction"] == "Outbound").groupby(mine["sender"]).sum(),
            "failed_rows": (mine["status"] == "Failed").groupby(mine["sender"]).sum(),
            "last_message": grouped["received"].max(),
            "first_message": grouped["received"].min(),
            "trace_ips": grouped["from_ip"].apply(lambda s: sorted(s.dropna().unique())),
            "busiest_day_messages": daily.groupby("sender")["n"].max(),
            "median_day_messages": daily.groupby("sender")["n"].median(),
            "busiest_day": busiest["day"],
        }
    )
    return stats.rename_axis("identity").reset_index()


# -- measuring --------------------------------------------------------------------------------
def _child(which: str, signins: Path, trace: Path) -> None:
    result = run_o365diag(signins, trace) if which == "o365diag" else run_pandas(signins, trace)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _measure(which: str, signins: Path, trace: Path) -> dict[str, Any]:
    # A new interpreter per run (subprocess, not fork): its max RSS is this variant's alone.
    completed = subprocess.run(
        [sys.executable, __file__, "--child", which, str(signins), str(trace)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of each input")
    parser.add_argument("--data", type=Path, help="folder for the CSVs (kept between runs)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per implementation (best)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    folder = args.data or Path(tempfile.gettempdir()) / "o365diag-bench"
    folder.mkdir(parents=True, exist_ok=True)
    signins, trace = make_files(folder, args.rows)
    print(f"{signins.name} + {trace.name}: {args.rows:,} rows each")
    best: dict[str, dict[str, Any]] = {}
    for which in ("o365diag", "pandas"):
        runs = [_measure(which, signins, trace) for _ in range(args.repeat)]
        best[which] = min(runs, key=lambda r: r["join_s"])
        r = best[which]
        print(
            f"{which:9} joins {r['join_s']:6.2f} s (read {r['load_s']:.2f} s), peak "
            f"{r['peak_rss_mb']:,.0f} MB; {r['identities']:,} identities, {r['successes']:,} "
            f"successes, {r['trace_messages']:,} messages, {r['takeovers']:,} takeovers"
        )
    same = all(
        best["o365diag"][k] == best["pandas"][k]
        for k in (
            "identities",
            "successes",
            "failures",
            "trace_messages",
            "new_ip_users",
            "takeovers",
        )
    )
    speedup = best["pandas"]["join_s"] / best["o365diag"]["join_s"]
    print(f"same results: {same}; o365diag joins are {speedup:.1f}x faster than pandas (target 3x)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
