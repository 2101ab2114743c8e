"""Benchmark the live-engine replay and the ready-made worlds; prints one JSON object.

- ``parity fixtures demo`` wall time, as a new process: cold (a new embedded
  server data directory in a temporary directory via ``PARITY_PGDATA``: initdb,
  server start, simulation, loads, replay), warm (the same command again: the
  world is there, nothing to do) and a rebuild on the running server (other
  ``--seed``: delete and rebuild the world);
- ``parity fixtures real`` wall time (first run, on the running server);
- replay speed for 25 hours, for the demo world (``DEMO-USD``, 30 days of
  trades) and the real XRP/ETH tape: in memory (`parity_fixtures.replay.replay_live_rows`:
  ``compute_from_trades`` over the whole tape, then the rows of the window) and
  into the database (`parity.worlds.replay_symbol`: read the trades, replay,
  delete the window's rows, write, commit), in seconds (best of ``--repeat``)
  and live rows per second (rows of the three tables together).

Usage: ``python benchmarks/bench_replay.py [--days 30] [--repeat 3] [--data-dir DIR]``.
The temporary server is stopped and deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from parity.datadir import resolve_data_dir
from parity.db import embedded
from parity.db.connect import connect
from parity.db.schema import symbol_info
from parity.db.store import read_trades
from parity.worlds import DEMO_SYMBOL, replay_symbol
from parity_fixtures.replay import replay_live_rows


def parity_cli(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of ``parity ARGS`` as a new process (fails loudly on a non-zero exit)."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "parity", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"parity {' '.join(args)} failed: {done.stderr.strip()}")
    return seconds


def best_of(repeat: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        began = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - began)
    return best, result


def bench_symbol(dsn: str, symbol: str, repeat: int) -> dict[str, object]:
    conn = connect(dsn)
    try:
        sid, _ = symbol_info(conn, symbol)
        trades = read_trades(conn, sid)
        conn.rollback()
        memory_s, live = best_of(repeat, lambda: replay_live_rows(trades))

        def into_db():
            outcome = replay_symbol(conn, symbol, replace=True)
            conn.commit()
            return outcome

        db_s, outcome = best_of(repeat, into_db)
    finally:
        conn.close()
    return {
        "trades": len(trades),
        "window_hours": (live.end - live.start) / pd.Timedelta(hours=1),
        "live_rows": live.rows,
        "memory_s": round(memory_s, 3),
        "memory_rows_per_s": round(live.rows / memory_s),
        "database_s": round(db_s, 3),
        "database_rows_per_s": round(outcome.rows_written / db_s),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0, help="demo world days (default 30)")
    parser.add_argument("--repeat", type=int, default=3, help="replay runs; the best is reported")
    parser.add_argument("--data-dir", type=Path, default=None, help="the real-data directory")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="parity-bench-replay-"))
    pgdata = root / "pgdata"
    env = {k: v for k, v in os.environ.items() if k != "PARITY_DSN"}
    env["PARITY_PGDATA"] = str(pgdata)
    data_dir = resolve_data_dir(args.data_dir)
    result: dict[str, object] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "demo_days": args.days,
    }
    try:
        demo = ["fixtures", "demo", "--days", f"{args.days:g}"]
        result["fixtures_demo_cold_s"] = round(parity_cli(demo, env), 3)
        result["fixtures_demo_warm_s"] = round(parity_cli(demo, env), 3)
        result["fixtures_demo_rebuild_s"] = round(parity_cli([*demo, "--seed", "2"], env), 3)
        result["fixtures_real_s"] = round(
            parity_cli(["fixtures", "real", "--data-dir", str(data_dir)], env), 3
        )
        dsn = embedded.start(pgdata).dsn
        result["replay_demo_25h"] = bench_symbol(dsn, DEMO_SYMBOL, args.repeat)
        result["replay_xrpeth_25h"] = bench_symbol(dsn, "XRPETH", args.repeat)
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
