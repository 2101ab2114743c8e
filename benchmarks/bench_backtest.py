"""Benchmark the backtest engine on a year of 1-minute candles from a DataFrame.

The year is the real BTC perpetual month of ``../shared/data`` (or
``$PARITY_DATA_DIR``) tiled end to end to 525,600 bars: each copy starts one
minute after the previous one ends, its prices scaled so that it opens where
the previous copy closed.  Prints one JSON object: seconds for
`calculators.compute`, for the walk (`BacktestEngine.run_on_indicators`:
signals, positions, statistics) and for `BacktestEngine.run` end to end (best
of ``--repeat`` runs, after one untimed run that compiles the Numba kernels),
the trade count, and (unless ``--no-postgres``) the same year end to end
from PostgreSQL: the candles stored in a private embedded server, then
`BacktestEngine.run` with the `parity` candle source (read + compute + walk)::

    python benchmarks/bench_backtest.py                 # 525,600 bars, defaults
    python benchmarks/bench_backtest.py --bars 100000 --repeat 5 --param allow_balance_trades=true
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from backtest import BacktestEngine
from calculators import compute
from parity.datadir import resolve_data_dir

DATA_FILE = "btcperp-1m-2022-01.csv.gz"


def data_path() -> Path:
    return resolve_data_dir() / DATA_FILE


def tiled_year(month: pd.DataFrame, bars: int) -> pd.DataFrame:
    """``month`` (gap-free 1-minute candles) repeated to ``bars`` rows on one
    continuous minute clock, each copy scaled to open at the previous close."""
    copies = -(-bars // len(month))
    growth = float(month["close"].iloc[-1] / month["open"].iloc[0])
    scale = np.repeat(growth ** np.arange(copies), len(month))[:bars]
    prices = {c: np.tile(month[c].to_numpy(), copies)[:bars] * scale for c in ("open", "high", "low", "close")}  # fmt: skip
    index = pd.date_range(month.index[0], periods=bars, freq="1min", tz="UTC")
    return pd.DataFrame(
        {**prices, "volume": np.tile(month["volume"].to_numpy(), copies)[:bars]}, index=index
    )


def end_to_end_postgres(candles: pd.DataFrame, params: dict, repeat: int) -> dict:
    """Store ``candles`` in a private PostgreSQL, then time a backtest of the
    whole span that reads them back through the parity candle source."""
    import tempfile

    import pgserver

    from parity.backtesting.source import postgres_candle_source
    from parity.db.connect import connect
    from parity.db.schema import apply_schema, ensure_symbol
    from parity.db.store import write_candles

    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(f"{tmp}/pg", cleanup_mode="stop")
        dsn = server.get_uri()
        conn = connect(dsn)
        apply_schema(conn)
        write_candles(conn, ensure_symbol(conn, "BENCH", 0.1), candles)
        conn.commit()
        conn.close()
        source = postgres_candle_source(dsn)
        engine = BacktestEngine(params, source)
        start, end = candles.index[0] + engine.warmup, candles.index[-1] + pd.Timedelta(minutes=1)
        read, total = float("inf"), float("inf")
        for _ in range(repeat):
            began = time.perf_counter()
            source("BENCH", start - engine.warmup, end)
            read = min(read, time.perf_counter() - began)
            began = time.perf_counter()
            result = engine.run("BENCH", start, end)
            total = min(total, time.perf_counter() - began)
        server.cleanup()
    return {
        "postgres_read_candles_seconds": round(read, 3),
        "postgres_end_to_end_seconds": round(total, 3),
        "postgres_end_to_end_trades": int(result.stats["trade_count"]),
        "plan_budget_seconds": 300,
        "plan_estimate_seconds_at_2ms_per_bar": round(0.002 * len(candles), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best time is reported")
    parser.add_argument("--param", action="append", default=[], help="NAME=VALUE, repeatable")
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip the end-to-end PostgreSQL run"
    )
    args = parser.parse_args(argv)
    params = dict(item.split("=", 1) for item in args.param)

    month = pd.read_csv(data_path(), parse_dates=["ts"], index_col="ts")
    candles = tiled_year(month, args.bars)
    engine = BacktestEngine(params)
    engine.run("BENCH", candles=candles.iloc[:5_000])  # compile (or load) the Numba kernels

    best = {"compute": float("inf"), "walk": float("inf"), "total": float("inf")}
    for _ in range(max(1, args.repeat)):
        began = time.perf_counter()
        indicators = compute(candles, engine.params)
        computed = time.perf_counter()
        walked = engine.run_on_indicators(candles, indicators, "BENCH")
        done = time.perf_counter()
        result = engine.run("BENCH", candles=candles)
        finished = time.perf_counter()
        best["compute"] = min(best["compute"], computed - began)
        best["walk"] = min(best["walk"], done - computed)
        best["total"] = min(best["total"], finished - done)

    postgres = {} if args.no_postgres else end_to_end_postgres(candles, params, max(1, args.repeat))
    report = {
        "benchmark": "backtest",
        "data": f"{DATA_FILE} tiled",
        "bars": len(candles),
        "traded_bars": len(result.equity),
        "repeat": max(1, args.repeat),
        "params": params,
        "compute_seconds": round(best["compute"], 3),
        "walk_seconds": round(best["walk"], 3),
        "total_seconds": round(best["total"], 3),
        "trades": int(result.stats["trade_count"]),
        "trades_all_bars": int(walked.stats["trade_count"]),
        **postgres,
        "threads": numba.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "numba": numba.__version__,
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
