"""Parameter sweeps: every combination of a grid, backtested on one period.

A grid is a list of ``name=v1,v2,...`` specs; the combinations are their
Cartesian product in the order given (the last parameter varies fastest).
The combinations are grouped by their calculator parameters
(`backtest.sweep.group_combinations`); each group is one task
(`parity.execution`) that reads its own candles and computes the indicators
once (`backtest.sweep.sweep_group`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from backtest import BacktestEngine
from backtest.sweep import combinations, group_combinations, sweep_group
from calculators import InvalidInputError, Params
from parity.backtesting.source import CandleData, load_candles
from parity.execution import Progress, Task, executor, run_tasks

__all__ = ["SWEEP_STATS", "combinations", "parse_grid", "run_sweep", "sweep_tasks"]

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


def sweep_stored(
    source: CandleData,
    combos: list[Params],
    symbol: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> list[dict]:
    """One task: the statistics of ``combos`` (one calculator group) on
    ``symbol``'s candles in ``[start - warm-up, end)``."""
    warmup = BacktestEngine(combos[0]).warmup
    candles = load_candles(source, symbol, start - warmup, end)
    return sweep_group(candles, combos, symbol, start, end)


def sweep_tasks(
    source: CandleData,
    combos: list[Params],
    symbol: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[list[Task], list[list[int]]]:
    """One task per calculator group of ``combos``, and each group's positions."""
    groups = group_combinations(combos)
    tasks = []
    for k, positions in enumerate(groups):
        members = [combos[i] for i in positions]
        name = f"{symbol} group {k + 1}/{len(groups)}"
        if isinstance(source, str):
            tasks.append(Task(sweep_stored, (members, symbol, start, end), name, dsn=source))
        else:
            tasks.append(Task(sweep_stored, (source, members, symbol, start, end), name))
    return tasks, groups


def run_sweep(
    source: CandleData,
    grid: dict[str, list],
    base: Params,
    symbol: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    jobs: int = 1,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """One row per combination: the grid's parameters, then `SWEEP_STATS`.
    ``source``: a DSN (each task reads its candles) or the candles."""
    combos = combinations(grid, base)
    tasks, groups = sweep_tasks(source, combos, symbol, start, end)
    with executor(jobs, scheduler) as ex:
        results = run_tasks(tasks, ex, progress)
    rows: list[dict] = [{}] * len(combos)
    for positions, stats in zip(groups, results, strict=True):
        for i, row in zip(positions, stats, strict=True):
            rows[i] = {k: row[k] for k in SWEEP_STATS}
    table = pd.DataFrame([{name: getattr(p, name) for name in grid} for p in combos])
    return pd.concat([table, pd.DataFrame(rows, columns=list(SWEEP_STATS))], axis=1)
