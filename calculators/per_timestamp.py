"""Per-timestamp API: calculator classes for a caller that steps one bar at a time.

Each call receives the recent candles as dicts (``open, high, low, close,
volume`` and ``ts`` or ``timestamp``, optionally ``buy_volume``), oldest first; the last candle is the
current bar.  The call uses the candles of the lookback window ending at that
bar and runs the same window kernels as `calculators.compute`, whose row for
that bar it equals::

    >>> candles = [{"ts": f"2025-01-01T00:{m:02d}Z", "open": 100.0, "high": 101.0,
    ...             "low": 99.0, "close": 99.5 + m % 3 / 2, "volume": 5.0} for m in range(60)]
    >>> profile = BacktestVolumeProfileCalculator().calculate_profile(candles)
    >>> flow = BacktestOrderFlowCalculator().calculate_flow(candles)
    >>> state = BacktestMarketStateCalculator({"poc_distance_threshold": 2.5}).calculate_state(
    ...     candles[-1]["close"], candles, profile, flow)
    >>> state["state"] in ("BALANCE", "IMBALANCE_UP", "IMBALANCE_DOWN")
    True

It is the convenient, slow path (a dict per candle per call); a backtest over
a long period uses `calculators.compute` once instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from calculators.atr import window_atr
from calculators.errors import InvalidInputError
from calculators.market_state import STATES, classify_state
from calculators.order_flow import ESTIMATOR_CODES, cdf_table, window_flow
from calculators.params import Params
from calculators.series import MINUTE_NS, bar_arrays, check_bars, check_row_size
from calculators.validate import BUY_VOLUME, CANDLE_COLUMNS, validate_candles
from calculators.volume_profile import (
    MAX_ROWS,
    SPREAD_CODES,
    VALUE_AREA_CODES,
    new_buffers,
    window_profile_candles,
)

__all__ = [
    "BacktestATRCalculator",
    "BacktestMarketStateCalculator",
    "BacktestOrderFlowCalculator",
    "BacktestVolumeProfileCalculator",
    "candles_to_frame",
]

Candles = Sequence[Mapping[str, Any]]


def _params(params: Params | Mapping[str, Any] | None) -> Params:
    if params is None:
        return Params()
    return params if isinstance(params, Params) else Params.from_dict(dict(params))


def candles_to_frame(candles: Candles) -> pd.DataFrame:
    """Candle dicts as a checked DataFrame on a UTC index (see
    `calculators.validate_candles`).  Timestamps come from ``ts`` or
    ``timestamp``: timezone-aware datetimes, ISO strings with an offset, or
    integer milliseconds since the epoch.  A DataFrame (as `calculators.compute`
    takes) is checked as it is."""
    if isinstance(candles, pd.DataFrame):
        return validate_candles(candles)
    if not candles:
        raise InvalidInputError("no candles given")
    key = "ts" if "ts" in candles[0] else "timestamp"
    try:
        stamps = [c[key] for c in candles]
        columns = {col: [c[col] for c in candles] for col in CANDLE_COLUMNS}
    except KeyError as exc:
        raise InvalidInputError(f"candle dict lacks key {exc.args[0]!r}") from None
    if isinstance(stamps[0], int | np.integer):
        index = pd.to_datetime(stamps, unit="ms", utc=True)
    else:
        try:
            index = pd.DatetimeIndex(
                pd.to_datetime(stamps, format="ISO8601" if isinstance(stamps[0], str) else None)
            )
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"candle {key!r} values are not times: {exc}") from None
    if any(BUY_VOLUME in c for c in candles):
        columns[BUY_VOLUME] = [c.get(BUY_VOLUME) for c in candles]
    return validate_candles(pd.DataFrame(columns, index=index))


class _Window:
    """The current bar (the last candle) and the first bar of its window."""

    def __init__(self, candles: Candles, minutes: int) -> None:
        frame = candles_to_frame(candles)
        self.bars = bar_arrays(frame)
        times = self.bars["times"]
        self.end = times.shape[0] - 1
        self.start = self.first_after(minutes)

    def first_after(self, minutes: int) -> int:
        """Index of the first bar opened within ``minutes`` of the current bar."""
        times = self.bars["times"]
        return int(np.searchsorted(times, times[-1] - minutes * MINUTE_NS, side="right"))


class BacktestVolumeProfileCalculator:
    """Volume profile (POC, VAH, VAL) of the lookback window ending at the last candle."""

    def __init__(self, params: Params | Mapping[str, Any] | None = None) -> None:
        self.params = _params(params)

    def calculate_profile(
        self, candles: Candles, lookback_minutes: int | None = None
    ) -> dict[str, float]:
        """``{'poc', 'vah', 'val'}`` in price and ``'total_volume'`` in volume
        units, over the last ``lookback_minutes`` (default: the parameters'
        ``lookback_period``) minutes of wall clock."""
        p = (
            self.params
            if lookback_minutes is None
            else self.params.replace(lookback_period=lookback_minutes)
        )
        w = _Window(candles, p.lookback_period)
        b = w.bars
        check_row_size(p, b["low"])
        check_bars(b, p)
        poc, vah, val, total, _ = window_profile_candles(
            b["open"], b["high"], b["low"], b["close"], b["volume"], w.start, w.end, p.row_size or 0.0,
            SPREAD_CODES[p.volume_spread], p.value_area_pct, VALUE_AREA_CODES[p.value_area_rule],
            new_buffers(256),
        )  # fmt: skip
        if np.isnan(poc):
            raise InvalidInputError(
                f"the window spans more than {MAX_ROWS:,} profile rows; use a larger 'row_size'"
            )
        return {"poc": poc, "vah": vah, "val": val, "total_volume": total}


class BacktestOrderFlowCalculator:
    """Order flow of the lookback window ending at the last candle."""

    def __init__(self, params: Params | Mapping[str, Any] | None = None) -> None:
        self.params = _params(params)

    def calculate_flow(
        self, candles: Candles, lookback_buckets: int | None = None
    ) -> dict[str, float]:
        """``{'cumulative_delta', 'cvd_momentum', 'buy_volume', 'sell_volume',
        'delta'}`` in volume units and ``{'buy_pressure', 'sell_pressure'}`` in
        percent.  CVD momentum spans ``lookback_buckets`` one-minute buckets
        (default: the parameters' ``cvd_momentum_buckets``)."""
        p = self.params
        w = _Window(candles, p.lookback_period)
        b = w.bars
        buckets = p.cvd_momentum_buckets if lookback_buckets is None else int(lookback_buckets)
        if buckets < 1:
            raise InvalidInputError(f"lookback_buckets must be >= 1, not {lookback_buckets!r}")
        buy, sell, delta, cvd, buy_p, sell_p, momentum = window_flow(
            b["open"], b["high"], b["low"], b["close"], b["volume"], b["buy_volume"], w.start, w.end,
            w.first_after(buckets), ESTIMATOR_CODES[p.flow_estimator],
            cdf_table(p.flow_estimator, p.bvc_df), np.empty(w.end - w.start + 1), p.flow_gain,
        )  # fmt: skip
        return {
            "cumulative_delta": cvd,
            "buy_pressure": buy_p,
            "sell_pressure": sell_p,
            "cvd_momentum": momentum,
            "buy_volume": buy,
            "sell_volume": sell,
            "delta": delta,
        }


class BacktestMarketStateCalculator:
    """Market state with the expert-mode thresholds of ``config_params``."""

    def __init__(self, config_params: Params | Mapping[str, Any] | None = None) -> None:
        self.params = _params(config_params)

    def calculate_state(
        self,
        current_price: float,
        candles: Candles,
        profile: Mapping[str, float],
        flow_data: Mapping[str, float],
    ) -> dict[str, Any]:
        """``{'state'}`` (a label of `calculators.STATES`), ``{'confidence'}``
        (points 0..100), ``{'distance_from_poc_pct', 'momentum_score'}``
        (percent).  Momentum runs from the open of the window's first candle to
        ``current_price``; CVD pressure is ``buy_pressure - sell_pressure``."""
        p = self.params
        w = _Window(candles, p.lookback_period)
        first_open = w.bars["open"][w.start]
        momentum = 100.0 * (float(current_price) - first_open) / first_open
        code, confidence, distance = classify_state(
            float(current_price), float(profile["poc"]), float(profile["vah"]), float(profile["val"]),
            momentum, float(flow_data["buy_pressure"]) - float(flow_data["sell_pressure"]),
            p.poc_distance_threshold, p.momentum_threshold, p.cvd_pressure_threshold,
        )  # fmt: skip
        return {
            "state": STATES[code],
            "confidence": confidence,
            "distance_from_poc_pct": distance,
            "momentum_score": momentum,
        }


class BacktestATRCalculator:
    """Wilder ATR of the lookback window ending at the last candle."""

    def __init__(self, params: Params | Mapping[str, Any] | None = None) -> None:
        self.params = _params(params)

    def calculate_atr(self, candles: Candles, period: int | None = None) -> float:
        """ATR in price units over the window (see `calculators.atr`)."""
        p = self.params
        w = _Window(candles, p.lookback_period)
        b = w.bars
        return window_atr(b["high"], b["low"], b["close"], w.start, w.end, period or p.atr_period)
