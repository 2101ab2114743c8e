"""`parity run` and `parity sweep`: ``--jobs 1`` vs a local Dask cluster.

Builds the world of `bench_parity` (20 simulated symbols, 3 days each, the
last 25 hours replayed into the live tables) in a private embedded
PostgreSQL, then times whole ``parity`` processes (wall time, report writing
included):

- ``parity run --all`` (20 symbols x 25 h): ``--jobs 1``, ``--jobs 2``, and
  ``--scheduler`` on a cluster of 2 and of 3 single-thread workers
  (`parity.execution.cluster.ProcessCluster`, separate processes on
  127.0.0.1);
- ``parity sweep`` of 200 combinations (4 lookbacks x 5 POC distances x 5
  momentum thresholds x 2 ``allow_balance_trades``: 4 calculator groups, so 4
  tasks) over 2 days of one symbol, the same ways.

Every cluster is warmed by one untimed run (the workers load the Numba
kernels).  Prints one JSON document with the ratios to ``--jobs 1``::

    python benchmarks/bench_cluster.py [--symbols 20] [--days 3]
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

import pgserver

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parity import build

from parity.execution.cluster import ProcessCluster

SWEEP_GRID = [
    "--grid", "lookback_period=30,45,60,90",
    "--grid", "poc_distance_threshold=0.5,1.0,1.5,2.0,3.0",
    "--grid", "momentum_threshold=0.25,0.5,1.0,1.5,2.0",
    "--grid", "allow_balance_trades=false,true",
]  # fmt: skip


def timed(args: list[str]) -> float:
    """Wall seconds of one ``python -m parity ...`` process."""
    env = dict(os.environ)
    env.pop("PARITY_DASK_SCHEDULER", None)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "parity", *args], capture_output=True, text=True, env=env
    )
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(f"{tmp}/pg", cleanup_mode="stop")
        dsn = server.get_uri()
        names = build(dsn, args.symbols, args.days)
        run = ["run", "--dsn", dsn, "--all"]
        sweep = ["sweep", "--dsn", dsn, "--symbol", names[0], "--start", "2025-01-02T00:00Z",
                 "--end", "2025-01-04T00:00Z", *SWEEP_GRID]  # fmt: skip
        timed([*run, "--out", f"{tmp}/warm"])
        for jobs in (1, 2):
            figures[f"run_jobs_{jobs}"] = timed([*run, "--jobs", str(jobs), "--out", f"{tmp}/r"])
            figures[f"sweep_jobs_{jobs}"] = timed(
                [*sweep, "--jobs", str(jobs), "--out", f"{tmp}/s"]
            )
        with ProcessCluster(f"{tmp}/dask", workers=2) as cluster:
            for workers in (2, 3):
                if workers == 3:
                    cluster.add_worker()
                    cluster.wait_for_workers(3)
                on = ["--scheduler", cluster.address]
                timed([*run, *on, "--out", f"{tmp}/warm"])
                figures[f"run_dask_{workers}_workers"] = timed([*run, *on, "--out", f"{tmp}/r"])
                figures[f"sweep_dask_{workers}_workers"] = timed([*sweep, *on, "--out", f"{tmp}/s"])
        server.cleanup()
    report = {
        "benchmark": "cluster",
        "symbols": args.symbols,
        "hours_compared_per_symbol": 25,
        "sweep_combinations": 200,
        "sweep_tasks": 4,
        "cores": os.cpu_count(),
        "seconds": {k: round(v, 2) for k, v in figures.items()},
        "ratio_to_jobs_1": {
            k: round(v / figures[f"{k.split('_')[0]}_jobs_1"], 2) for k, v in figures.items()
        },
        "note": "wall time of whole parity processes; workers are single-thread, no nanny",
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
