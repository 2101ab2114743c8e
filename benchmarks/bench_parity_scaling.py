"""Is `parity run` linear in the window?  An 8-day and an 80-day run on one symbol.

Builds a private world on a fresh embedded PostgreSQL in a temporary
directory: one simulated symbol with 81 days of trades and candles, its last
80 days replayed into the live tables.  Times `parity run` (the whole process,
report writing included) on the last 8 days and on all 80, after a warm-up run.
Prints one JSON document; ``ratio_80_to_8`` is the figure (10 = linear; the
issue's budget is 14).

    python benchmarks/bench_parity_scaling.py [--days 80]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

import pandas as pd
import pgserver

from calculators import candles_from_trades
from parity.db.connect import connect
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_trades
from parity.worlds import replay_symbol
from parity_fixtures.simulator import simulate_trades

SYMBOL = "LONG-USD"


def build(dsn: str, days: int) -> pd.Timestamp:
    """The world; returns the end of the replayed window (exclusive)."""
    conn = connect(dsn)
    apply_schema(conn)
    trades = simulate_trades(days + 1, seed=5, tick_size=0.01)
    sid = ensure_symbol(conn, SYMBOL, 0.01)
    write_trades(conn, sid, trades)
    write_candles(conn, sid, candles_from_trades(trades))
    end = pd.Timestamp(trades["ts"].iloc[-1]).floor("min")
    replay_symbol(conn, SYMBOL, start=end - pd.Timedelta(days=days), end=end, seed=1)
    conn.commit()
    conn.close()
    return end


def timed_run(dsn: str, start: pd.Timestamp, end: pd.Timestamp, out: str) -> float:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "parity", "run", "--dsn", dsn, "--symbol", SYMBOL,
         "--start", start.isoformat(), "--end", end.isoformat(), "--out", out],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(f"{tmp}/pg", cleanup_mode="stop")
        dsn = server.get_uri()
        end = build(dsn, args.days)
        short_start = end - pd.Timedelta(days=args.days // 10)
        long_start = end - pd.Timedelta(days=args.days)
        timed_run(dsn, short_start, end, f"{tmp}/warm")  # numba cache, page cache
        short = timed_run(dsn, short_start, end, f"{tmp}/short")
        long = timed_run(dsn, long_start, end, f"{tmp}/long")
        server.cleanup()
    print(
        json.dumps(
            {
                "benchmark": "parity_run_scaling",
                "short_days": args.days // 10,
                "long_days": args.days,
                "short_seconds": round(short, 2),
                "long_seconds": round(long, 2),
                "ratio_80_to_8": round(long / short, 2),
                "note": "wall time of the whole `parity run` process; 10 = linear",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
