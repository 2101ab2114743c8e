"""Summary statistics of a backtest: pure functions of the trades and the equity.

`compute_stats(trades, equity, initial_capital)` returns a dict with these
keys, in this order (None where a figure is undefined):

- ``trade_count``: closed trades (an ``"end"`` exit counts).
- ``win_rate``: percent of trades with ``pnl > 0`` (None without trades).
- ``net_pnl``: the sum of the trades' net P&L (quote currency) = final
  equity - initial capital.
- ``return_pct``: ``100 * (final equity / initial capital - 1)``.
- ``final_equity``: the equity at the last bar's close (quote currency).
- ``max_drawdown_pct``: the largest fall of the equity from its running peak
  (the initial capital counts as the first peak), in percent of that peak, as
  a positive number: 12.5 means the equity once stood 12.5 % below its peak.
- ``sharpe``: ``mean(r) / std(r) * sqrt(525_600)``, ``r`` the per-minute
  simple returns of the equity on a gap-free one-minute clock from the first
  to the last bar (a minute without a bar repeats the last equity, so its
  return is 0), ``std`` with ``ddof = 1``; annualised by the minutes of a
  365-day year (risk-free rate 0).  None with fewer than two returns or a
  zero standard deviation.
- ``profit_factor``: gross profit / gross loss of the trades; ``inf`` when
  there are profits and no losses (None in JSON); None without trades or
  with neither profits nor losses.
- ``avg_holding_minutes``: mean of ``exit_time - entry_time`` in minutes
  (a trade that exits in its fill bar holds 0); None without trades.
- ``exposure_pct``: percent of the bars with a position open at some moment
  of the bar (the sum of the trades' ``bars_held`` over the number of bars).
- ``long_count``, ``short_count``: trades by side.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from calculators.timeutil import MINUTE_NS

__all__ = [
    "MINUTES_PER_YEAR",
    "STAT_KEYS",
    "clock_positions",
    "compute_stats",
    "sharpe_on_clock",
    "stats_of_arrays",
]

#: The annualisation clock of the Sharpe ratio: minutes in 365 days.
MINUTES_PER_YEAR = 525_600
#: The keys of `compute_stats`, in order.
STAT_KEYS = (
    "trade_count", "win_rate", "net_pnl", "return_pct", "final_equity",
    "max_drawdown_pct", "sharpe", "profit_factor", "avg_holding_minutes",
    "exposure_pct", "long_count", "short_count",
)  # fmt: skip


def compute_stats(
    trades: pd.DataFrame, equity: pd.Series, initial_capital: float
) -> dict[str, float | int | None]:
    """The statistics of the module docstring.  ``trades``: the backtest's
    trades (columns ``pnl, side, entry_time, exit_time, bars_held``);
    ``equity``: equity at each bar's close on a DatetimeIndex."""
    held = (
        pd.DatetimeIndex(trades["exit_time"]) - pd.DatetimeIndex(trades["entry_time"])
    ).total_seconds().to_numpy() / 60.0
    sides = trades["side"].to_numpy()
    return stats_of_arrays(
        trades["pnl"].to_numpy(np.float64),
        np.where(sides == "long", 1, np.where(sides == "short", -1, 0)),
        held,
        trades["bars_held"].to_numpy(),
        equity.to_numpy(np.float64),
        clock_positions(pd.DatetimeIndex(equity.index).as_unit("ns").asi8),
        initial_capital,
    )


def stats_of_arrays(
    pnl: np.ndarray,
    side: np.ndarray,
    held_minutes: np.ndarray,
    bars_held: np.ndarray,
    equity: np.ndarray,
    clock: np.ndarray,
    initial_capital: float,
) -> dict[str, float | int | None]:
    """`compute_stats` on arrays: per trade ``pnl`` (quote currency), ``side``
    (+1 long, -1 short), ``held_minutes`` and ``bars_held``; ``equity`` at each
    bar's close and ``clock`` = `clock_positions` of the bars' times (the same
    for every walk of one span, so a sweep computes it once)."""
    count = int(pnl.shape[0])
    final = float(equity[-1]) if equity.size else float(initial_capital)
    gross_profit = float(pnl[pnl > 0].sum())
    gross_loss = float(-pnl[pnl < 0].sum())
    if count == 0 or (gross_profit == 0 and gross_loss == 0):
        profit_factor = None
    elif gross_loss == 0:
        profit_factor = math.inf
    else:
        profit_factor = gross_profit / gross_loss
    return {
        "trade_count": count,
        "win_rate": 100.0 * float((pnl > 0).sum()) / count if count else None,
        "net_pnl": float(pnl.sum()),
        "return_pct": 100.0 * (final / initial_capital - 1.0),
        "final_equity": final,
        "max_drawdown_pct": max_drawdown_pct(equity, initial_capital),
        "sharpe": sharpe_on_clock(equity[clock]) if equity.size >= 2 else None,
        "profit_factor": profit_factor,
        "avg_holding_minutes": float(held_minutes.mean()) if count else None,
        "exposure_pct": (100.0 * float(bars_held.sum()) / equity.size if equity.size else 0.0),
        "long_count": int((side > 0).sum()),
        "short_count": int((side < 0).sum()),
    }


def max_drawdown_pct(equity: np.ndarray, initial_capital: float) -> float:
    """Largest percent fall of ``equity`` below its running peak (0 if none)."""
    if equity.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(np.concatenate(([initial_capital], equity)))[1:]
    return float(100.0 * np.max(1.0 - equity / peaks))


def sharpe_ratio(times_ns: np.ndarray, equity: np.ndarray) -> float | None:
    """Annualised Sharpe ratio of per-minute equity returns (see the module
    docstring); ``times_ns``: the bars' open times (int64 ns, increasing)."""
    if equity.size < 2:
        return None
    return sharpe_on_clock(equity[clock_positions(times_ns)])


def clock_positions(times_ns: np.ndarray) -> np.ndarray:
    """For each minute of the gap-free clock from the first to the last of
    ``times_ns`` (int64 ns, increasing), the position of the bar whose equity
    stands at that minute (the last bar opened at or before it)."""
    if times_ns.size == 0:
        return np.zeros(0, np.int64)
    minute = (times_ns - times_ns[0]) // MINUTE_NS
    clock = np.arange(int(minute[-1]) + 1)
    return np.searchsorted(minute, clock, side="right") - 1


def sharpe_on_clock(on_clock: np.ndarray) -> float | None:
    """The annualised Sharpe ratio of an equity series on the minute clock."""
    returns = on_clock[1:] / on_clock[:-1] - 1.0
    if returns.size < 2:
        return None
    std = float(returns.std(ddof=1))
    if not std > 0:
        return None
    return float(returns.mean() / std * math.sqrt(MINUTES_PER_YEAR))
