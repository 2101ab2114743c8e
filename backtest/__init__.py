"""On-the-fly backtest engine: candles in, indicators from `calculators`, trades out.

A pure library on DataFrames (no database, no files): `BacktestEngine` gets
candles from a DataFrame or an injected ``candle_source``, computes every
indicator once with `calculators.compute`, computes every bar's entry signal
at once with `entry_signals` (vectorized; bar by bar it equals the reference
`evaluate_entry_signal`, which the engine does not call) and walks the
positions bar by bar in a Numba loop (`execute`).  `sweep` backtests a grid of
parameter sets, computing the indicators once per group of calculator parameters.
Rules, execution model, statistics and JSON format: ``docs/backtest.md``.

Layers: ``backtest`` imports ``calculators`` only.
"""

from backtest.engine import INDICATOR_COLUMNS, BacktestEngine
from backtest.execution import EXIT_REASONS, TRADE_COLUMNS, execute
from backtest.result import BacktestResult
from backtest.stats import STAT_KEYS, compute_stats
from backtest.strategy import REASONS, Signal, SignalArrays, entry_signals, evaluate_entry_signal
from backtest.sweep import STRATEGY_ONLY, sweep

__all__ = [
    "EXIT_REASONS",
    "INDICATOR_COLUMNS",
    "REASONS",
    "STAT_KEYS",
    "STRATEGY_ONLY",
    "TRADE_COLUMNS",
    "BacktestEngine",
    "BacktestResult",
    "Signal",
    "SignalArrays",
    "compute_stats",
    "entry_signals",
    "evaluate_entry_signal",
    "execute",
    "sweep",
]
