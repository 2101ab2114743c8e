"""Benchmark a 1,000-combination expert-mode sweep against one backtest of the span.

The candles: the real BTC perpetual month of ``../shared/data`` (or
``$PARITY_DATA_DIR``) tiled to 60 days plus the longest warm-up (see
`bench_backtest.tiled_year`).  The grid: 10 POC distances x 5 momentum
thresholds x 5 CVD pressure thresholds x 2 ``allow_balance_trades`` x 2
lookbacks = 1,000 combinations in 2 calculator groups.  Measured in one run:
one `BacktestEngine.run` of the span (default parameters, best of
``--repeat``), the grouped `backtest.sweep` (best of ``--repeat``), and the
one-by-one path (`BacktestEngine.run` per combination) on ``--sample``
combinations, extrapolated to the grid.  Prints one JSON object with the
ratios to the one backtest::

    python benchmarks/bench_sweep.py [--days 60] [--repeat 2] [--sample 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backtest import DATA_FILE, data_path, tiled_year

from backtest import BacktestEngine, sweep
from backtest.sweep import combinations, group_combinations
from calculators import Params
from parity.common.provenance import reproducibility

GRID = {
    "poc_distance_threshold": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0],
    "momentum_threshold": [0.25, 0.5, 1.0, 1.5, 2.0],
    "cvd_pressure_threshold": [5.0, 10.0, 15.0, 20.0, 30.0],
    "allow_balance_trades": [False, True],
    "lookback_period": [60, 120],
}


def best(fn, repeat: int) -> tuple[float, object]:
    seconds, value = float("inf"), None
    for _ in range(max(1, repeat)):
        began = time.perf_counter()
        value = fn()
        seconds = min(seconds, time.perf_counter() - began)
    return seconds, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--sample", type=int, default=20, help="one-by-one runs timed")
    args = parser.parse_args(argv)

    warmup = max(GRID["lookback_period"])
    month = pd.read_csv(data_path(), parse_dates=["ts"], index_col="ts")
    candles = tiled_year(month, int(args.days * 1440) + warmup)
    start = candles.index[warmup]
    combos = combinations(GRID, Params())
    BacktestEngine(Params()).run("BENCH", start, candles=candles.iloc[:5_000])  # compile
    sweep(candles.iloc[:5_000], {"lookback_period": [60], "stop_atr": [1.0, 2.0]}, start=start)

    one, _ = best(
        lambda: BacktestEngine(Params()).run("BENCH", start, candles=candles), args.repeat
    )
    grouped, table = best(lambda: sweep(candles, GRID, start=start), args.repeat)
    picks = np.linspace(0, len(combos) - 1, max(1, args.sample)).astype(int)
    began = time.perf_counter()
    for i in picks:
        BacktestEngine(combos[i]).run("BENCH", start, candles=candles)
    one_by_one = (time.perf_counter() - began) / len(picks) * len(combos)

    report = {
        "benchmark": "sweep",
        "data": f"{DATA_FILE} tiled",
        "days": args.days,
        "bars": len(candles),
        "combinations": len(combos),
        "calculator_groups": len(group_combinations(combos)),
        "grid": {k: len(v) for k, v in GRID.items()},
        "one_backtest_seconds": round(one, 3),
        "sweep_seconds": round(grouped, 3),
        "sweep_over_one_backtest": round(grouped / one, 2),
        "one_by_one_seconds_extrapolated": round(one_by_one, 1),
        "one_by_one_over_one_backtest": round(one_by_one / one, 1),
        "one_by_one_sample": len(picks),
        "target_ratio": 10,
        "combinations_trading": int((table["trade_count"] > 0).sum()),
        "threads": numba.get_num_threads(),
        "environment": reproducibility(),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
