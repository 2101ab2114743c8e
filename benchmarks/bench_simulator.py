"""Benchmark the market simulator: a year of trades, then its 1-minute candles.

Prints one JSON object: seconds to simulate and to aggregate (best of
``--repeat`` runs), and the numbers of trades, candles and quiet minutes::

    python benchmarks/bench_simulator.py            # 365 days, seed 1
    python benchmarks/bench_simulator.py --days 30 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np
import pandas as pd

from calculators import candles_from_trades
from parity_fixtures.simulator import simulate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best time is reported")
    args = parser.parse_args(argv)

    best_sim = best_agg = float("inf")
    for _ in range(max(1, args.repeat)):
        began = time.perf_counter()
        result = simulate(args.days, args.seed)
        simulated = time.perf_counter()
        candles = candles_from_trades(result.trades)
        done = time.perf_counter()
        best_sim = min(best_sim, simulated - began)
        best_agg = min(best_agg, done - simulated)

    minutes = len(result.regimes)
    report = {
        "benchmark": "simulator",
        "days": args.days,
        "seed": args.seed,
        "repeat": max(1, args.repeat),
        "simulate_seconds": round(best_sim, 3),
        "candles_seconds": round(best_agg, 3),
        "total_seconds": round(best_sim + best_agg, 3),
        "trades": len(result.trades),
        "candles": len(candles),
        "minutes": minutes,
        "quiet_minutes": minutes - len(candles),
        "regime_segments": len(result.segments),
        "trades_per_second": round(len(result.trades) / best_sim),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
