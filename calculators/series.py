"""Whole-series path: every indicator for every bar, from a DataFrame of candles.

`compute` checks the candles, turns them into arrays, finds each bar's
lookback window by wall clock (bars opened in ``(t - lookback_period, t]``:
missing minutes shorten the window, they never pull in older bars) and runs
one Numba kernel over all bars in parallel.  Each bar's row is computed from
its own window only, by the same window kernels the per-timestamp API calls,
so the two paths agree exactly and appending future candles never changes a
past row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numba import njit, prange

from calculators.atr import window_atr
from calculators.errors import InvalidInputError
from calculators.market_state import STATES, classify_state
from calculators.order_flow import ESTIMATOR_CODES, cdf_table, window_flow
from calculators.params import Params, as_params
from calculators.timeutil import MINUTE_NS
from calculators.validate import BUY_VOLUME, CANDLE_COLUMNS, check_magnitudes, validate_candles
from calculators.volume_profile import (
    MAX_ROWS,
    SPREAD_CODES,
    VALUE_AREA_CODES,
    bar_rows,
    new_buffers,
    profile_of_rows,
    window_profile_points,
    window_row_size,
)

__all__ = [
    "OUTPUT_COLUMNS",
    "Knobs",
    "bar_arrays",
    "bar_row",
    "compute",
    "frame_from_output",
    "kernel_knobs",
    "run_series",
    "window_starts",
]


#: The columns `compute` and `compute_from_trades` return, in order.
OUTPUT_COLUMNS = (
    "poc", "vah", "val", "total_volume",
    "buy_volume", "sell_volume", "delta", "cumulative_delta",
    "buy_pressure", "sell_pressure", "cvd_momentum",
    "state", "confidence", "distance_from_poc_pct", "momentum_score", "atr",
)  # fmt: skip
_STATE_COL = OUTPUT_COLUMNS.index("state")


def compute(
    candles: pd.DataFrame, params: Params | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """All indicators for every bar of ``candles``.

    ``candles``: 1-minute bars on a UTC `DatetimeIndex` (bar open time) with
    columns ``open, high, low, close, volume`` and, optionally, ``buy_volume``
    (the bar's true aggressor-buy volume; NaN where unknown): bars that have it
    get their order flow exactly, the others from ``params.flow_estimator``.
    Returns a DataFrame on the same
    index with `OUTPUT_COLUMNS`: ``poc, vah, val`` (price), ``total_volume``,
    ``buy_volume, sell_volume, delta`` of the bar, ``cumulative_delta`` and
    ``cvd_momentum`` over the window (volume units), ``buy_pressure,
    sell_pressure`` (percent, sum 100), ``state`` (label), ``confidence``
    (points 0..100), ``distance_from_poc_pct, momentum_score`` (percent) and
    ``atr`` (price).  Row ``t`` describes the market at bar ``t``'s close and
    uses only bars up to ``t``.  Raises `InvalidInputError` on bad candles.
    """
    params = as_params(params)
    checked = validate_candles(candles)
    bars = bar_arrays(checked)
    return frame_from_output(run_series(bars, params, exact=None), checked.index)


def window_starts(times_ns: np.ndarray, minutes: int) -> np.ndarray:
    """Index of the first bar of each bar's window of ``minutes`` wall-clock
    minutes: the first bar opened after ``t - minutes``."""
    return np.searchsorted(times_ns, times_ns - minutes * MINUTE_NS, side="right").astype(np.int64)


class Knobs(NamedTuple):
    """The parameters the window kernels read.

    Numba's dispatcher types a plain tuple argument several times faster than
    a named one (about 0.2 µs against 1 µs a call, which matters per update),
    so the kernels' entry points take ``tuple(knobs)`` and rebuild
    ``Knobs(*values)`` inside; `bar_row` reads the fields by name.
    """

    row_size: float  # price; 0.0 = automatic
    spread: int  # SPREAD_CODES
    value_area_pct: float  # percent
    step: int  # VALUE_AREA_CODES
    estimator: int  # ESTIMATOR_CODES
    table: np.ndarray  # cdf_table
    flow_gain: float  # estimated buy shares pushed from 50/50 by this factor
    poc_threshold: float  # percent
    momentum_threshold: float  # percent
    cvd_threshold: float  # points
    atr_period: int  # bars


def kernel_knobs(params: Params) -> Knobs:
    """The parameters the window kernels read, as `bar_row` takes them.

    The one place a calculator parameter is threaded into the kernels: a new
    knob is a field of `Knobs` set here, and the whole-series kernel, the
    per-timestamp API and `StreamingCalculator` all see it.
    """
    return Knobs(
        params.row_size or 0.0,
        SPREAD_CODES[params.volume_spread],
        params.value_area_pct,
        VALUE_AREA_CODES[params.value_area_rule],
        ESTIMATOR_CODES[params.flow_estimator],
        cdf_table(params.flow_estimator, params.bvc_df),
        params.flow_gain,
        params.poc_distance_threshold,
        params.momentum_threshold,
        params.cvd_pressure_threshold,
        params.atr_period,
    )


def run_series(bars: dict[str, np.ndarray], params: Params, exact: dict | None) -> np.ndarray:
    """Run the kernel over prepared bar arrays; ``exact`` holds the trade-tape
    profile inputs (``point_start, point_price, point_volume``) or None for
    the candle profile.  The order flow uses ``bars["buy_volume"]`` where it is
    a number.  Returns the raw ``(len(OUTPUT_COLUMNS), n)`` array: one
    contiguous row per column (state as its code)."""
    check_row_size(params, bars["low"])
    check_bars(bars, params)
    times = bars["times"]
    empty_i = np.zeros(1, np.int64)
    empty_f = np.zeros(1)
    out = _series_kernel(
        bars["open"], bars["high"], bars["low"], bars["close"], bars["volume"],
        bars["buy_volume"],
        window_starts(times, params.lookback_period),
        window_starts(times, params.cvd_momentum_buckets),
        exact is not None,
        exact["point_start"] if exact else empty_i,
        exact["point_price"] if exact else empty_f,
        exact["point_volume"] if exact else empty_f,
        tuple(kernel_knobs(params)),
    )  # fmt: skip
    too_wide = np.flatnonzero(np.isnan(out[0]))
    if too_wide.size:
        i = int(too_wide[0])
        raise InvalidInputError(
            f"candle row {i}: its window spans more than {MAX_ROWS:,} profile rows; "
            "use a larger 'row_size'"
        )
    return out


def check_bars(bars: dict[str, np.ndarray], params: Params) -> None:
    """`calculators.validate.check_magnitudes` on `bar_arrays` output: refuse
    numbers that would overflow an integer in the kernels (before they run)."""
    check_magnitudes(
        bars["times"], bars["high"], bars["close"], bars["volume"],
        params.row_size, params.lookback_period, low=bars["low"],
    )  # fmt: skip


def check_row_size(params: Params, low: np.ndarray) -> None:
    """Refuse an explicit row size that is not below every low price (row 0
    would hold prices and the distance from the POC would divide by zero)."""
    if params.row_size is not None and low.size and params.row_size >= float(low.min()):
        raise InvalidInputError(
            f"parameter 'row_size' = {params.row_size!r} is not below the lowest price {float(low.min())!r}"
        )


def bar_arrays(candles: pd.DataFrame) -> dict[str, np.ndarray]:
    """Checked candles as contiguous float64 arrays plus ``times`` (int64 ns).
    ``buy_volume`` is the candles' column, or all NaN (estimate every bar)."""
    arrays = {c: np.ascontiguousarray(candles[c].to_numpy(np.float64)) for c in CANDLE_COLUMNS}
    arrays["buy_volume"] = (
        np.ascontiguousarray(candles[BUY_VOLUME].to_numpy(np.float64))
        if BUY_VOLUME in candles.columns
        else np.full(len(candles), np.nan)
    )
    arrays["times"] = candles.index.asi8
    return arrays


def frame_from_output(out: np.ndarray, index: pd.DatetimeIndex) -> pd.DataFrame:
    """The kernel's raw ``(columns, n)`` array as a DataFrame with `OUTPUT_COLUMNS`
    and state labels.  The float columns are views of ``out`` (no 2-D copy)."""
    codes = out[_STATE_COL].astype(np.int64)
    states = pd.Series(np.asarray(STATES, dtype=object)[codes], index=index, dtype=object)
    columns = {
        name: states if name == "state" else pd.Series(out[j], index=index, copy=False)
        for j, name in enumerate(OUTPUT_COLUMNS)
    }
    return pd.DataFrame(columns, index=index, copy=False)


_CHUNK = 2048
#: Grid rows `bar_rows` writes per bar (low, high, peak, open).
GRID_ROWS = 4
#: Output columns of `bar_row`.
WIDTH = len(OUTPUT_COLUMNS)


@njit(cache=True)
def bar_row(
    open_, high, low, close, volume, true_buy, s, t, momentum_start, rows, base, cached_rs,
    buffers, scratch, knobs, out,
):  # fmt: skip
    """Every output column of bar ``t`` (window ``s..t``) into ``out[0:16]``
    (state as its code; NaN profile prices flag a window wider than
    ``MAX_ROWS`` rows).  The one body of all three paths: `compute`, the
    per-timestamp API and `StreamingCalculator`.

    ``rows`` caches the bars' grid rows (`bar_rows`), bar ``i`` in column
    ``i - base``: rows ``s..t-1`` are reused when the window's row size equals
    ``cached_rs`` (they are a pure function of the bar and the row size, so
    reuse is exact), else all of ``s..t`` are recomputed.  ``buffers``
    (`new_buffers`) and ``scratch`` (floats, any size) are work space.
    ``knobs`` is `kernel_knobs`.  Returns ``(row size, buffers, scratch)``,
    the work arrays grown if they were too small.
    """
    rs = window_row_size(close[t], knobs.row_size)
    fresh = s if rs != cached_rs else t
    bar_rows(open_, high, low, close, fresh, t, rs, knobs.spread, rows[:, fresh - base :])
    poc, vah, val, total, buffers = profile_of_rows(
        rows, s - base, volume, s, t, rs, knobs.spread, knobs.value_area_pct, knobs.step, buffers
    )
    if scratch.shape[0] < t - s + 1:
        scratch = np.empty(2 * (t - s + 1))
    flow_into(open_, high, low, close, volume, true_buy, s, t, momentum_start, knobs, scratch, out)
    finish_row(close, open_, s, t, poc, vah, val, total, high, low, knobs, out)
    return rs, buffers, scratch


@njit(cache=True)
def flow_into(open_, high, low, close, volume, true_buy, s, t, momentum_start, knobs, scratch, out):
    """`window_flow` of window ``s..t`` into ``out[4:11]`` (``scratch``: at
    least ``t - s + 1`` floats)."""
    flow = window_flow(
        open_, high, low, close, volume, true_buy, s, t, momentum_start, knobs.estimator,
        knobs.table, scratch, knobs.flow_gain,
    )  # fmt: skip
    for k in range(7):
        out[4 + k] = flow[k]


@njit(cache=True)
def finish_row(close, open_, s, t, poc, vah, val, total, high, low, knobs, out):
    """The profile into ``out[0:4]``, then state, confidence, distance,
    momentum and ATR from it and the flow already in ``out[8:10]``."""
    momentum = 100.0 * (close[t] - open_[s]) / open_[s]
    if np.isnan(poc):
        state, confidence, distance = 0, np.nan, np.nan
    else:
        state, confidence, distance = classify_state(
            close[t], poc, vah, val, momentum, out[8] - out[9], knobs.poc_threshold,
            knobs.momentum_threshold, knobs.cvd_threshold,
        )  # fmt: skip
    out[0] = poc
    out[1] = vah
    out[2] = val
    out[3] = total
    out[11] = state
    out[12] = confidence
    out[13] = distance
    out[14] = momentum
    out[15] = window_atr(high, low, close, s, t, knobs.atr_period)


@njit(parallel=True, cache=True)
def _series_kernel(
    open_, high, low, close, volume, true_buy, window_start, momentum_start,
    exact, point_start, point_price, point_volume, knob_values,
):  # fmt: skip
    """One row per bar: the columns of `OUTPUT_COLUMNS` (state as its code).  Bars are
    processed in chunks, in parallel; each chunk reuses its work arrays."""
    knobs = Knobs(*knob_values)
    n = close.shape[0]
    out = np.empty((WIDTH, n))
    chunks = (n + _CHUNK - 1) // _CHUNK
    for chunk in prange(chunks):
        buffers = new_buffers(256)
        scratch = np.empty(256)
        first, last = chunk * _CHUNK, min(n, (chunk + 1) * _CHUNK) - 1
        # Rows of the chunk's bars on the current window's grid, computed once
        # per bar, and again for the window only when the row size changes.
        base = window_start[first]
        rows = np.empty((GRID_ROWS, last - base + 1), np.int64)
        cached_rs = -1.0
        for t in range(first, last + 1):
            s = window_start[t]
            if exact:
                poc, vah, val, total, buffers = window_profile_points(
                    point_start, point_price, point_volume, close, volume, s, t, knobs.row_size,
                    knobs.value_area_pct, knobs.step, buffers,
                )  # fmt: skip
                if scratch.shape[0] < t - s + 1:
                    scratch = np.empty(2 * (t - s + 1))
                flow_into(
                    open_, high, low, close, volume, true_buy, s, t, momentum_start[t], knobs,
                    scratch, out[:, t],
                )  # fmt: skip
                finish_row(close, open_, s, t, poc, vah, val, total, high, low, knobs, out[:, t])
            else:
                cached_rs, buffers, scratch = bar_row(
                    open_, high, low, close, volume, true_buy, s, t, momentum_start[t], rows,
                    base, cached_rs, buffers, scratch, knobs, out[:, t],
                )  # fmt: skip
    return out
