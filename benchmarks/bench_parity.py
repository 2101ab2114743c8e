"""Time `parity run`: one symbol over 25 hours, and 20 symbols with --jobs 2.

Builds a private world on a fresh embedded PostgreSQL in a temporary
directory: 20 simulated symbols, 3 days of trades and candles each, the last
25 hours replayed into the live tables.  Prints one JSON document.

    python benchmarks/bench_parity.py [--symbols 20] [--days 3]
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
from parity.db.connect import connect
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_trades
from parity.worlds import replay_symbol
from parity_fixtures.simulator import simulate_trades


def build(dsn: str, symbols: int, days: float) -> list[str]:
    conn = connect(dsn)
    apply_schema(conn)
    names = []
    for i in range(symbols):
        name = f"SIM{i:02d}-USD"
        trades = simulate_trades(days, seed=100 + i, tick_size=0.01)
        sid = ensure_symbol(conn, name, 0.01)
        write_trades(conn, sid, trades)
        write_candles(conn, sid, candles_from_trades(trades))
        replay_symbol(conn, name, seed=i)
        names.append(name)
    conn.commit()
    conn.close()
    return names


def timed_run(dsn: str, args: list[str], out: str) -> float:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "parity", "run", "--dsn", dsn, "--out", out, *args],
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(f"{tmp}/pg", cleanup_mode="stop")
        dsn = server.get_uri()
        began = time.perf_counter()
        names = build(dsn, args.symbols, args.days)
        build_seconds = time.perf_counter() - began
        timed_run(dsn, ["--symbol", names[0]], f"{tmp}/warm")  # numba cache, page cache
        one = timed_run(dsn, ["--symbol", names[0]], f"{tmp}/one")
        many_1 = timed_run(dsn, ["--all", "--jobs", "1"], f"{tmp}/many1")
        many_2 = timed_run(dsn, ["--all", "--jobs", "2"], f"{tmp}/many2")
        server.cleanup()
    print(
        json.dumps(
            {
                "benchmark": "parity_run",
                "symbols": args.symbols,
                "hours_compared_per_symbol": 25,
                "world_build_seconds": round(build_seconds, 2),
                "one_symbol_seconds": round(one, 2),
                f"{args.symbols}_symbols_jobs_1_seconds": round(many_1, 2),
                f"{args.symbols}_symbols_jobs_2_seconds": round(many_2, 2),
                "note": "wall time of the whole `parity run` process, report writing included",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
