"""Backtests of many symbols: one task per symbol (`parity.execution`).

Each task reads its own candles (`parity.backtesting.source.load_candles`) and
returns its `backtest.BacktestResult`; `summary_rows` tabulates the results.
"""

from __future__ import annotations

import pandas as pd

from backtest import STAT_KEYS, BacktestEngine, BacktestResult
from calculators import Params
from parity.backtesting.source import CandleData, load_candles
from parity.execution import Progress, Task, executor, run_tasks

__all__ = ["backtest_stored", "run_backtests", "summary_rows"]


def backtest_stored(
    source: CandleData, params: Params, symbol: str, start: pd.Timestamp, end: pd.Timestamp
) -> BacktestResult:
    """One task: ``symbol`` backtested over ``[start, end)`` on the candles of
    ``source`` (a DSN, read here, warm-up included; or a DataFrame)."""
    engine = BacktestEngine(params)
    candles = load_candles(source, symbol, start - engine.warmup, end)
    return engine.run(symbol, start, end, candles=candles)


def run_backtests(
    source: CandleData,
    params: Params,
    symbols: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    jobs: int = 1,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[BacktestResult]:
    """The backtest of each of ``symbols`` (in order), one task per symbol."""
    if isinstance(source, str):
        tasks = [Task(backtest_stored, (params, s, start, end), s, dsn=source) for s in symbols]
    else:
        tasks = [Task(backtest_stored, (source, params, s, start, end), s) for s in symbols]
    with executor(jobs, scheduler) as ex:
        return run_tasks(tasks, ex, progress)


def summary_rows(documents: list[dict]) -> list[dict]:
    """One row per symbol: ``symbol`` then the statistics (`STAT_KEYS`), from
    the results' JSON documents (`BacktestResult.to_dict`)."""
    return [{"symbol": d["symbol"], **{k: d["stats"][k] for k in STAT_KEYS}} for d in documents]
