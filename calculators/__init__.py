"""Candle-only calculators: volume profile, order flow, market state and ATR.

Pure functions on arrays, with three ways in that give one answer:

- whole series: ``compute(candles, params)`` on a DataFrame of 1-minute candles;
- per timestamp: the ``Backtest*Calculator`` classes, one bar per call, for a
  caller that steps bar by bar; they equal `compute`'s row for that bar (the
  backtest engine does not use them: it calls `compute` once).
- one bar at a time: ``StreamingCalculator``, for a live engine (its rows equal
  `compute`'s on the same history).

``compute_from_trades(trades, params)`` is the exact path a live engine takes
from a trade tape with the aggressor side.
"""

from pathlib import Path

from calculators import _numba_cache
from calculators.errors import InvalidInputError
from calculators.market_state import STATES
from calculators.params import Params
from calculators.per_timestamp import (
    BacktestATRCalculator,
    BacktestMarketStateCalculator,
    BacktestOrderFlowCalculator,
    BacktestVolumeProfileCalculator,
)
from calculators.series import OUTPUT_COLUMNS, compute
from calculators.streaming import StreamingCalculator
from calculators.trades import candles_from_trades, compute_from_trades
from calculators.validate import validate_candles, validate_trades

__all__ = [
    "OUTPUT_COLUMNS",
    "STATES",
    "BacktestATRCalculator",
    "BacktestMarketStateCalculator",
    "BacktestOrderFlowCalculator",
    "BacktestVolumeProfileCalculator",
    "InvalidInputError",
    "Params",
    "StreamingCalculator",
    "candles_from_trades",
    "compute",
    "compute_from_trades",
    "validate_candles",
    "validate_trades",
]

# Kernels load from Numba's cache on their first call, so checking it here,
# after the imports, is early enough.
_numba_cache.refresh(Path(__file__).resolve().parent)
