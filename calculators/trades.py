"""The exact path: what a live engine computes from a trade tape with the aggressor side.

`candles_from_trades` aggregates a tape into 1-minute candles (plus the true buy
volume of each bar); `compute_from_trades` gives the same columns as
`calculators.compute`, but with the true volume at each price in the profile and
the true buy/sell split in the order flow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calculators.params import Params
from calculators.series import bar_arrays, frame_from_output, run_series
from calculators.timeutil import MINUTE_NS
from calculators.validate import validate_trades

__all__ = ["candles_from_trades", "compute_from_trades"]


def candles_from_trades(trades: pd.DataFrame) -> pd.DataFrame:
    """1-minute candles of a trade tape, one row per minute that has trades.

    Returns a DataFrame on a UTC `DatetimeIndex` (the bar open time) with
    ``open, high, low, close`` (price of the first, highest, lowest, last trade),
    ``volume`` (sum of amounts), ``buy_volume`` (sum of amounts whose aggressor
    bought) and ``trades`` (count).  Quiet minutes have no row.
    """
    return _aggregate(validate_trades(trades))[0]


def compute_from_trades(trades: pd.DataFrame, params: Params | None = None) -> pd.DataFrame:
    """`calculators.compute`'s columns at each minute's close, from a trade tape.

    ``trades`` has columns ``ts, price, amount, side`` (see
    `calculators.validate_trades`).  The profile uses the true volume traded
    at each price (``volume_spread`` is not used), the order flow the true
    aggressor split (``flow_estimator`` is not used); everything else (the
    window, the value-area rule, the state rules, the ATR on the minute
    candles) is the candle path's own code.  One row per minute with trades,
    indexed by the minute's open time (UTC).
    """
    params = params or Params()
    candles, point_start, point_price, point_volume = _aggregate(validate_trades(trades))
    bars = bar_arrays(candles)
    exact = {
        "point_start": point_start,
        "point_price": point_price,
        "point_volume": point_volume,
    }
    out = run_series(bars, params, exact=exact)
    return frame_from_output(out, candles.index)


def _aggregate(tape: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Minute candles of a checked tape, and the volume at each distinct price
    of each minute as CSR arrays ``(point_start, point_price, point_volume)``:
    bar ``i`` owns points ``point_start[i]:point_start[i + 1]``, by price."""
    ns = pd.DatetimeIndex(tape["ts"]).asi8
    minute = ns - ns % MINUTE_NS
    price = tape["price"].to_numpy()
    amount = tape["amount"].to_numpy()
    buy = np.where(tape["side"].to_numpy() == "buy", amount, 0.0)
    starts = (
        np.flatnonzero(np.r_[True, minute[1:] != minute[:-1]]) if len(minute) else np.array([], int)
    )
    ends = np.r_[starts[1:], len(minute)]
    candles = pd.DataFrame(
        {
            "open": price[starts] if len(starts) else np.array([], float),
            "high": np.maximum.reduceat(price, starts) if len(starts) else np.array([], float),
            "low": np.minimum.reduceat(price, starts) if len(starts) else np.array([], float),
            "close": price[ends - 1] if len(starts) else np.array([], float),
            "volume": np.add.reduceat(amount, starts) if len(starts) else np.array([], float),
            "buy_volume": np.add.reduceat(buy, starts) if len(starts) else np.array([], float),
            "trades": (ends - starts).astype(np.int64),
        },
        index=pd.DatetimeIndex(minute[starts].astype("datetime64[ns]"), name="ts").tz_localize(
            "UTC"
        ),
    )
    bar = (
        np.cumsum(np.r_[True, minute[1:] != minute[:-1]]) - 1
        if len(minute)
        else np.array([], np.int64)
    )
    order = np.lexsort((price, bar))
    bar_sorted, price_sorted = bar[order], price[order]
    new_point = np.r_[
        True, (bar_sorted[1:] != bar_sorted[:-1]) | (price_sorted[1:] != price_sorted[:-1])
    ]
    firsts = np.flatnonzero(new_point)
    point_price = np.ascontiguousarray(price_sorted[firsts])
    point_volume = np.add.reduceat(amount[order], firsts) if len(firsts) else np.zeros(0)
    point_start = np.searchsorted(bar_sorted[firsts], np.arange(len(starts) + 1)).astype(np.int64)
    return candles, point_start, point_price, np.ascontiguousarray(point_volume)
