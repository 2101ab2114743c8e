"""Average true range (Wilder) over a lookback window.

True range of bar ``i``: ``max(high - low, |high - prev_close|, |low -
prev_close|)``, where ``prev_close`` is the close of the window's previous bar;
the window's first bar has no previous bar and its true range is ``high - low``.

ATR at bar ``t`` runs Wilder's recursion over the bars of its lookback window
only (so the per-timestamp and whole-series paths agree and the result does
not depend on where the data starts): the mean of the first ``period`` true
ranges seeds it, then ``atr = (atr * (period - 1) + tr) / period``.  A window
with ``period`` bars or fewer gives the plain mean of its true ranges.  With a
60-minute window and period 14 the seed's weight in the result is
``(13/14)**46``, about 3 %.  Units: price.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["window_atr"]


@njit(cache=True)
def _true_range(high, low, close, i, first):
    if i == first:
        return high[i] - low[i]
    prev = close[i - 1]
    return max(high[i] - low[i], abs(high[i] - prev), abs(low[i] - prev))


@njit(cache=True)
def window_atr(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, start: int, end: int, period: int
) -> float:
    """Wilder ATR (price units) of bars ``start..end`` inclusive."""
    n = end - start + 1
    seed_bars = min(period, n)
    atr = 0.0
    for i in range(start, start + seed_bars):
        atr += _true_range(high, low, close, i, start)
    atr /= seed_bars
    for i in range(start + seed_bars, end + 1):
        atr = (atr * (period - 1) + _true_range(high, low, close, i, start)) / period
    return atr
