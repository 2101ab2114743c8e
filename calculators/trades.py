"""The exact path: what a live engine computes from a trade tape with the aggressor side.

`candles_from_trades` aggregates a tape into 1-minute candles (plus the true buy
volume of each bar); `compute_from_trades` gives the same columns as
`calculators.compute`, but with the true volume at each price in the profile and
the true buy/sell split in the order flow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calculators.validate import validate_trades

__all__ = ["candles_from_trades"]

_MINUTE_NS = 60_000_000_000


def candles_from_trades(trades: pd.DataFrame) -> pd.DataFrame:
    """1-minute candles of a trade tape, one row per minute that has trades.

    Returns a DataFrame on a UTC `DatetimeIndex` (the bar open time) with
    ``open, high, low, close`` (price of the first, highest, lowest, last trade),
    ``volume`` (sum of amounts), ``buy_volume`` (sum of amounts whose aggressor
    bought) and ``trades`` (count).  Quiet minutes have no row.
    """
    tape = validate_trades(trades)
    ns = pd.DatetimeIndex(tape["ts"]).asi8
    minute = ns - ns % _MINUTE_NS
    price = tape["price"].to_numpy()
    amount = tape["amount"].to_numpy()
    buy = np.where(tape["side"].to_numpy() == "buy", amount, 0.0)
    starts = np.flatnonzero(np.r_[True, minute[1:] != minute[:-1]]) if len(minute) else np.array([], int)
    ends = np.r_[starts[1:], len(minute)]
    out = pd.DataFrame(
        {
            "open": price[starts] if len(starts) else np.array([], float),
            "high": np.maximum.reduceat(price, starts) if len(starts) else np.array([], float),
            "low": np.minimum.reduceat(price, starts) if len(starts) else np.array([], float),
            "close": price[ends - 1] if len(starts) else np.array([], float),
            "volume": np.add.reduceat(amount, starts) if len(starts) else np.array([], float),
            "buy_volume": np.add.reduceat(buy, starts) if len(starts) else np.array([], float),
            "trades": (ends - starts).astype(np.int64),
        },
        index=pd.DatetimeIndex(minute[starts].astype("datetime64[ns]"), name="ts").tz_localize("UTC"),
    )
    return out
