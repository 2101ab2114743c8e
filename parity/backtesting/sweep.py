"""Parameter sweeps: every combination of a grid, backtested on the same candles.

A grid is a list of ``name=v1,v2,...`` specs; the combinations are their
Cartesian product in the order given (the last parameter varies fastest).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from backtest import BacktestEngine
from calculators import InvalidInputError, Params

__all__ = ["SWEEP_STATS", "combinations", "parse_grid", "run_sweep"]

#: The statistics a sweep table shows, after the parameters.
SWEEP_STATS = (
    "trade_count",
    "win_rate",
    "net_pnl",
    "return_pct",
    "max_drawdown_pct",
    "sharpe",
    "profit_factor",
)


def parse_grid(specs: Sequence[str], base: Params) -> dict[str, list]:
    """``["poc_distance_threshold=1.0,1.5", ...]`` as ``{name: [values]}``;
    every value is checked by building a `Params` (unknown names and bad
    values raise `InvalidInputError` naming the key)."""
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise InvalidInputError(f"bad --grid {spec!r}: use NAME=V1,V2,...")
        if name in grid:
            raise InvalidInputError(f"--grid names {name!r} twice")
        parsed = [getattr(base.replace(**{name: v.strip()}), name) for v in values.split(",")]
        grid[name] = list(dict.fromkeys(parsed))
    if not grid:
        raise InvalidInputError("give at least one --grid NAME=V1,V2,...")
    return grid


def combinations(grid: dict[str, list], base: Params) -> list[Params]:
    """Every combination of the grid applied to ``base``."""
    names = list(grid)
    return [
        base.replace(**dict(zip(names, values, strict=True)))
        for values in itertools.product(*grid.values())
    ]


def _one(params: Params, candles: pd.DataFrame, symbol: str, start, end) -> dict:
    stats = BacktestEngine(params).run(symbol, start, end, candles=candles).stats
    return {k: stats[k] for k in SWEEP_STATS}


def run_sweep(
    candles: pd.DataFrame,
    grid: dict[str, list],
    base: Params,
    symbol: str,
    start,
    end,
    jobs: int = 1,
    progress: Callable[[float], None] | None = None,
) -> pd.DataFrame:
    """One row per combination: the grid's parameters, then `SWEEP_STATS`;
    ``progress(fraction)`` is called as combinations finish."""
    combos = combinations(grid, base)
    args = [(p, candles, symbol, start, end) for p in combos]
    report = progress or (lambda fraction: None)
    rows: list[dict] = []
    if jobs > 1 and len(combos) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for row in pool.map(_one, *zip(*args, strict=True)):
                rows.append(row)
                report(len(rows) / len(args))
    else:
        for a in args:
            rows.append(_one(*a))
            report(len(rows) / len(args))
    table = pd.DataFrame([{name: getattr(p, name) for name in grid} for p in combos])
    return pd.concat([table, pd.DataFrame(rows)], axis=1)
