"""Order flow from candles: buy/sell volume, delta, CVD, pressures, CVD momentum.

Every quantity at bar ``t`` is a function of the candles of its lookback window
only (bars with open time in ``(t - lookback, t]``), so the per-timestamp API,
which sees just that window, and the whole-series path agree exactly.

Buy share ``f`` of a bar's volume, by estimator (``v_buy = f * volume``):

- ``"clr"``, close-location ratio: ``f = (close - low) / (high - low)``;
  ``f = 0.5`` when ``high == low``.
- ``"tick"``, the tick rule on bar closes: the sign of ``close - previous
  close`` (the window's first bar compares with its own open); a zero change
  repeats the previous sign within the window.  Up: ``f = 1``; down: ``f = 0``;
  no sign yet: ``f = 0.5``.
- ``"bvc_normal"`` / ``"bvc_t"``, bulk volume classification (Easley, López de
  Prado & O'Hara 2012): ``f = F(dP / sigma)`` where ``dP`` is the bar's price
  change (close - previous close; the window's first bar: close - open),
  ``sigma`` the population standard deviation of ``dP`` over the window, and
  ``F`` the standard normal CDF or the Student-t CDF with ``bvc_df`` degrees of
  freedom.  ``sigma == 0`` gives ``f = 0.5``.  ``F`` is read from a table of
  16,385 points in ``u = z / (1 + |z|)`` with linear interpolation (abs. error
  below 1e-8), built once per distribution with SciPy.
- ``"path"``, the bar's likely path (`calculators.bar_path.path_legs`): the
  price moves ``previous close -> open`` (not for the window's first bar),
  ``open -> first extreme``, ``first -> second extreme``, ``second extreme ->
  close``; ``up`` = the sum of the rises, ``down`` = the sum of the falls
  (price units), ``f = up / (up + down)``.  A bar that did not move at all
  (``up + down == 0``: flat, and opened at the previous close) takes the tick
  rule's current sign (``"tick"``): 1, 0, or 0.5 before any sign.  So
  ``f - 0.5 = net change / (2 * path length)``: the back-and-forth of a bar
  counts as two-sided trading, its net move as one-sided aggression.
- ``"tick_bvc"``: the sign from the tick rule, the magnitude from BVC: ``f =
  Phi(dP / sigma)`` (``"bvc_normal"``) on bars with ``dP != 0``; a bar with
  ``dP == 0`` repeats the previous bar's share within the window (0.5 before
  any change, or when ``sigma == 0``).

Then, for every estimator, ``flow_gain`` ``g`` pushes the share away from
50/50: ``f' = min(1, max(0, 0.5 + g * (f - 0.5)))`` (``g = 1``: unchanged).

True flow: a candle with a ``buy_volume`` (the bar's aggressor-buy volume,
as exchange klines and footprint exports carry it) uses that number, and the
estimator fills only the bars where it is NaN.  A bar's ``delta`` is ``2 *
buy_volume - volume``.

Per window: ``cumulative_delta = sum(buy - sell)``; ``buy_pressure =
100 * sum(buy) / sum(volume)`` and ``sell_pressure = 100 - buy_pressure``
(50/50 when the window has no volume); ``cvd_momentum`` = the change of
cumulative delta over the last ``cvd_momentum_buckets`` one-minute buckets =
the sum of the deltas of the window's bars opened in ``(t - N min, t]``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from calculators.bar_path import path_legs

__all__ = ["ESTIMATOR_CODES", "buy_fractions", "cdf_table", "window_flow"]

ESTIMATOR_CODES = {"clr": 0, "tick": 1, "bvc_normal": 2, "bvc_t": 3, "path": 4, "tick_bvc": 5}
_TABLE_POINTS = 16_385


@lru_cache(maxsize=8)
def cdf_table(estimator: str, df: float) -> np.ndarray:
    """CDF values on a uniform grid of ``u = z / (1 + |z|)`` in [-1, 1].

    For ``bvc_normal`` and ``tick_bvc`` the standard normal CDF, for ``bvc_t``
    the Student-t CDF with ``df`` degrees of freedom; an unused dummy for other
    estimators.
    """
    if estimator not in ("bvc_normal", "bvc_t", "tick_bvc"):
        return np.zeros(2)
    from scipy import special

    u = np.linspace(-1.0, 1.0, _TABLE_POINTS)
    with np.errstate(divide="ignore"):
        z = u / (1.0 - np.abs(u))
    values = special.ndtr(z) if estimator in ("bvc_normal", "tick_bvc") else special.stdtr(df, z)
    values[0], values[-1] = 0.0, 1.0
    values.setflags(write=False)
    return values


@njit(cache=True)
def _cdf(z: float, table: np.ndarray) -> float:
    u = z / (1.0 + abs(z))
    x = (u + 1.0) * 0.5 * (table.shape[0] - 1)
    i = min(int(math.floor(x)), table.shape[0] - 2)
    w = x - i
    return table[i] * (1.0 - w) + table[i + 1] * w


@njit(cache=True)
def buy_fractions(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    start: int,
    end: int,
    estimator: int,
    table: np.ndarray,
    out: np.ndarray,
    gain: float = 1.0,
) -> None:
    """Write the estimated buy share (0..1) of bars ``start..end`` into
    ``out[0 : end - start + 1]``, using only the bars of that window.
    ``estimator`` is a code of `ESTIMATOR_CODES`, ``table`` its `cdf_table`,
    ``gain`` the ``flow_gain`` (see the module docstring)."""
    n = end - start + 1
    if estimator == 0:
        for k in range(n):
            i = start + k
            rng = high[i] - low[i]
            out[k] = (close[i] - low[i]) / rng if rng > 0 else 0.5
    elif estimator == 1 or estimator == 4:
        sign = 0.0
        for k in range(n):
            i = start + k
            change = close[i] - (close[i - 1] if k > 0 else open_[i])
            if change > 0:
                sign = 1.0
            elif change < 0:
                sign = -1.0
            out[k] = 0.5 + 0.5 * sign
            if estimator == 4:
                up, down = _path_moves(open_[i], high[i], low[i], close[i])
                if k > 0:
                    gap = open_[i] - close[i - 1]
                    up += max(gap, 0.0)
                    down += max(-gap, 0.0)
                if up + down > 0:
                    out[k] = up / (up + down)
    else:
        mean = 0.0
        for k in range(n):
            i = start + k
            out[k] = close[i] - (close[i - 1] if k > 0 else open_[i])
            mean += out[k]
        mean /= n
        var = 0.0
        for k in range(n):
            var += (out[k] - mean) ** 2
        sigma = math.sqrt(var / n)
        carry = 0.5
        for k in range(n):
            if estimator == 5:  # tick_bvc: a zero change repeats the previous share
                if out[k] != 0.0 and sigma > 0:
                    carry = _cdf(out[k] / sigma, table)
                out[k] = carry
            else:
                out[k] = _cdf(out[k] / sigma, table) if sigma > 0 else 0.5
    if gain != 1.0:
        for k in range(n):
            out[k] = min(1.0, max(0.0, 0.5 + gain * (out[k] - 0.5)))


@njit(cache=True)
def _path_moves(open_: float, high: float, low: float, close: float) -> tuple[float, float]:
    """``(up, down)``: the rises and the falls (price units) along the bar's
    path open -> first extreme -> second extreme -> close."""
    first, second = path_legs(low, high, close, open_)
    up = 0.0
    down = 0.0
    for a, b in ((open_, first), (first, second), (second, close)):
        if b > a:
            up += b - a
        else:
            down += a - b
    return up, down


@njit(cache=True)
def window_flow(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    true_buy: np.ndarray,
    start: int,
    end: int,
    momentum_start: int,
    estimator: int,
    table: np.ndarray,
    scratch: np.ndarray,
    gain: float = 1.0,
) -> tuple[float, float, float, float, float, float, float]:
    """Order flow of the window ``start..end`` (inclusive).

    ``true_buy`` holds each bar's true aggressor-buy volume where the data has
    it and NaN where it does not: a bar with a number uses it exactly, a NaN
    bar gets the estimator's share of its volume (the estimator still sees
    every bar's shape, so a bar's estimate does not depend on which other bars
    carry true flow).  ``momentum_start`` is the first bar of the CVD-momentum
    span.  ``scratch`` is a work array of at least ``end - start + 1`` floats.
    ``gain`` is ``flow_gain`` (1 = the estimator's share unchanged).
    Returns ``(buy_volume, sell_volume, delta, cumulative_delta, buy_pressure,
    sell_pressure, cvd_momentum)``: the last bar's buy and sell volume and its
    delta ``2 * buy_volume - volume``, then the window's figures (volume
    units; pressures in percent).
    """
    buy_fractions(open_, high, low, close, start, end, estimator, table, scratch, gain)
    buy_sum = 0.0
    vol_sum = 0.0
    momentum = 0.0
    last_buy = 0.0
    for k in range(end - start + 1):
        i = start + k
        buy = true_buy[i] if not np.isnan(true_buy[i]) else volume[i] * scratch[k]
        buy_sum += buy
        vol_sum += volume[i]
        if i >= momentum_start:
            momentum += 2.0 * buy - volume[i]
        last_buy = buy
    return _flow_figures(last_buy, volume[end], buy_sum, vol_sum, momentum)


@njit(cache=True)
def _flow_figures(last_buy, last_volume, buy_sum, vol_sum, momentum):
    # the share first, then clipped: 100 * buy / vol can round past 100 when buy == vol
    buy_pressure = min(100.0, max(0.0, 100.0 * (buy_sum / vol_sum))) if vol_sum > 0 else 50.0
    return (
        last_buy,
        last_volume - last_buy,
        2.0 * last_buy - last_volume,
        2.0 * buy_sum - vol_sum,
        buy_pressure,
        100.0 - buy_pressure,
        momentum,
    )
