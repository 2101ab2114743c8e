"""Time `parity calibrate` on one symbol with 25 hours of live rows, as a
ratio to `parity run` on the same symbol measured in the same process.

Builds a private world on a fresh embedded PostgreSQL in a temporary
directory: one simulated symbol, 3 days of trades and OHLCV candles (no
buy_volume: every candidate estimates every bar), the last 25 hours replayed
into the live tables.  Prints one JSON document.

    python benchmarks/bench_calibrate.py [--days 3] [--seed 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

import pgserver

from calculators import candles_from_trades
from parity.calibration import calibrate_symbol
from parity.db.connect import connect
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_trades
from parity.harness.config import HarnessConfig
from parity.worlds import replay_symbol
from parity_fixtures.simulator import simulate_trades

SYMBOL = "SIM-USD"


def build(dsn: str, days: float, seed: int) -> None:
    conn = connect(dsn)
    apply_schema(conn)
    trades = simulate_trades(days, seed=seed, tick_size=0.01)
    sid = ensure_symbol(conn, SYMBOL, 0.01)
    write_trades(conn, sid, trades)
    write_candles(conn, sid, candles_from_trades(trades).drop(columns="buy_volume"))
    replay_symbol(conn, SYMBOL, seed=seed)
    conn.commit()
    conn.close()


def timed(argv: list[str]) -> float:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "parity", *argv], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(f"{tmp}/pg", cleanup_mode="stop")
        dsn = server.get_uri()
        build(dsn, args.days, args.seed)
        run_argv = ["run", "--dsn", dsn, "--symbol", SYMBOL, "--out", f"{tmp}/report"]
        timed(run_argv)  # numba cache, page cache
        run_seconds = timed(run_argv)
        calibrate_seconds = timed(["calibrate", "--dsn", dsn, "--symbol", SYMBOL])
        result = calibrate_symbol(dsn, HarnessConfig(), SYMBOL)
        server.cleanup()
    print(
        json.dumps(
            {
                "benchmark": "parity_calibrate",
                "hours_of_live_rows": 25,
                "candidates": result.candidates,
                "parity_run_seconds": round(run_seconds, 2),
                "parity_calibrate_seconds": round(calibrate_seconds, 2),
                "calibrate_over_run": round(calibrate_seconds / run_seconds, 2),
                "search_seconds_in_process": round(result.seconds, 2),
                "search_seconds_per_candidate": round(result.seconds / result.candidates, 4),
                "note": "wall time of whole processes (imports and the read included)",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
