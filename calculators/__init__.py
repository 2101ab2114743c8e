"""Candle-only calculators: volume profile, order flow, market state and ATR.

Pure functions on arrays, with two ways in that give one answer:

- whole series: ``compute(candles, params)`` on a DataFrame of 1-minute candles;
- per timestamp: the ``Backtest*Calculator`` classes the backtester calls.

``compute_from_trades(trades, params)`` is the exact path a live engine takes
from a trade tape with the aggressor side.
"""

from calculators.errors import InvalidInputError
from calculators.params import Params
from calculators.trades import candles_from_trades
from calculators.validate import validate_candles, validate_trades

__all__ = [
    "InvalidInputError",
    "Params",
    "candles_from_trades",
    "validate_candles",
    "validate_trades",
]
