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

The three calls of one timestamp share one check of the dicts and one kernel
call (see `parse_candles`: the last list checked is cached and recognised by
value, so a mutated dict is never served stale), about 15 naive-histogram
rows' worth per timestamp.  A backtest over a long period uses
`calculators.compute` once instead; a live engine, `StreamingCalculator`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from calculators.atr import window_atr
from calculators.errors import InvalidInputError
from calculators.market_state import STATES, classify_state
from calculators.params import Params
from calculators.records import candle_values
from calculators.series import (
    GRID_ROWS,
    WIDTH,
    Knobs,
    bar_arrays,
    bar_row,
    check_row_size,
    kernel_knobs,
)
from calculators.timeutil import MINUTE_NS
from calculators.validate import (
    BUY_VOLUME,
    CANDLE_COLUMNS,
    EARLIEST_NS,
    raise_window_fault,
    validate_candles,
    window_fault,
)
from calculators.volume_profile import MAX_ROWS

__all__ = [
    "BacktestATRCalculator",
    "BacktestMarketStateCalculator",
    "BacktestOrderFlowCalculator",
    "BacktestVolumeProfileCalculator",
    "candles_to_frame",
    "parse_candles",
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


class _Parsed:
    """A checked candle list: shallow copies of its mappings (to recognise it
    again), bar times (ns), the bar columns, and what was derived from them."""

    __slots__ = ("bars", "copies", "rows", "starts", "times")

    def __init__(self, copies: list, times: np.ndarray, bars: np.ndarray) -> None:
        self.copies = copies
        self.times = times
        self.bars = bars  # (6, n): open, high, low, close, volume, buy_volume (NaN = unknown)
        self.starts: dict[int, int] = {}
        self.rows: dict[tuple, list[float]] = {}

    def first_after(self, minutes: int) -> int:
        """Index of the first bar opened within ``minutes`` of the current bar."""
        start = self.starts.get(minutes)
        if start is None:
            times = self.times
            start = int(np.searchsorted(times, times[-1] - minutes * MINUTE_NS, side="right"))
            self.starts[minutes] = start
        return start

    def checked_start(self, params: Params, minutes: int) -> int:
        """`first_after` of ``minutes``, once the current bar's window passed the
        magnitude guard (`calculators.validate.window_fault`)."""
        end = self.times.shape[0] - 1
        if int(self.times[end]) < EARLIEST_NS + minutes * MINUTE_NS:
            raise_window_fault(1, self.times[end], row=end)  # before the subtraction wraps
        start = self.first_after(minutes)
        bars = self.bars
        code, blamed = window_fault(
            self.times, bars[1], bars[2], bars[3], bars[4], start, end,
            params.row_size or 0.0, minutes * MINUTE_NS,
        )  # fmt: skip
        raise_window_fault(code, self.times[blamed], row=blamed)
        return start

    def row(self, params: Params, minutes: int, buckets: int) -> list[float]:
        """`bar_row` of the last bar over ``minutes`` of window and ``buckets``
        of CVD momentum, computed once per set of kernel parameters (equal
        `Params` of different calculators share it)."""
        knobs, knobs_key = _knobs(params)
        key = (knobs_key, minutes, buckets)
        hit = self.rows.get(key)
        if hit is not None:
            return hit
        global _WORK
        start = self.checked_start(params, minutes)
        momentum_start = max(start, self.first_after(buckets))
        out = np.empty(WIDTH)
        _WORK = _window_row(self.bars, start, momentum_start, _WORK, knobs, out)
        out = out.tolist()
        self.rows[key] = out
        return out


_KNOBS: dict[int, tuple] = {}


def _knobs(params: Params) -> tuple[tuple, tuple]:
    """`kernel_knobs` of ``params`` as a plain tuple and a hashable key of their
    values."""
    hit = _KNOBS.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1], hit[2]
    knobs = tuple(kernel_knobs(params))
    # arrays (the CDF tables) by a digest of their values: an identity could
    # be reused by another table once this entry is gone
    key = tuple(
        hashlib.blake2b(k.tobytes(), digest_size=16).digest() if isinstance(k, np.ndarray) else k
        for k in knobs
    )
    if len(_KNOBS) > 64:
        _KNOBS.clear()
    _KNOBS[id(params)] = (params, knobs, key)
    return knobs, key


@njit(cache=True)
def _window_row(bars, start, momentum_start, work, knob_values, out):
    """`bar_row` of the last of ``bars`` (rows open, high, low, close, volume,
    buy_volume) over the window from ``start``; returns the work arrays."""
    knobs = Knobs(*knob_values)
    end = bars.shape[1] - 1
    rows = np.empty((GRID_ROWS, end - start + 1), np.int64)
    _, buffers, scratch = bar_row(
        bars[0], bars[1], bars[2], bars[3], bars[4], bars[5], start, end, momentum_start, rows,
        start, -1.0, work[0], work[1], knobs, out,
    )  # fmt: skip
    return buffers, scratch


#: The last candle list checked (the three calls of one timestamp share it, and
#: the next timestamp's list mostly overlaps it), and the kernels' work arrays.
_LAST: _Parsed | None = None
_WORK = (np.zeros((3, 257)), np.empty(256))  # as `new_buffers(256)`: no kernel call at import


def _same(a: Sequence, b: Sequence) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # values whose == is not a bool (arrays)
        return False


def parse_candles(candles: Candles) -> _Parsed:
    """The checked bars of ``candles``, from the cache when possible.

    The last list checked is kept with shallow copies of its mappings.  A list
    equal to it (``==``: every key and value, identity first) is that list; a
    list whose head equals the cached list's tail reuses those bars and checks
    only the new ones (`calculators.records.candle_values`).  Any other list,
    and any candle the quick checks refuse, goes through `candles_to_frame`
    (pandas; it raises the error naming the row).  Equal values give equal
    bars, so a hit never returns stale data, whatever was mutated.
    """
    global _LAST
    if isinstance(candles, pd.DataFrame):
        return _parsed_frame(candles_to_frame(candles), None)
    if not isinstance(candles, list):
        candles = list(candles)
    last = _LAST
    if last is not None and len(candles) == len(last.copies) and _same(candles, last.copies):
        return last
    parsed = None
    if candles and isinstance(candles[0], Mapping):
        try:
            parsed = _extend(candles, last)
        except InvalidInputError:
            parsed = None
    if parsed is None:
        parsed = _parsed_frame(candles_to_frame(candles), [dict(c) for c in candles])
    _LAST = parsed
    return parsed


def _parsed_frame(frame: pd.DataFrame, copies: list | None) -> _Parsed:
    """A `_Parsed` of checked candles (``copies``: the mappings they came from,
    to recognise the list again; None for a DataFrame, never cached)."""
    b = bar_arrays(frame)
    columns = np.stack([b[c] for c in (*CANDLE_COLUMNS, BUY_VOLUME)])
    return _Parsed(copies or [], np.ascontiguousarray(b["times"]), columns)


def _extend(candles: list, last: _Parsed | None) -> _Parsed:
    """The bars of ``candles`` from the cached list's overlapping tail plus the
    new candles, each checked in Python; raises `InvalidInputError` if a new
    candle is refused or the times do not increase."""
    key = "ts" if "ts" in candles[0] else "timestamp"
    kept = 0
    if last is not None:
        copies = last.copies
        head = candles[0]
        for j in range(len(copies)):
            if _same(copies[j], head):
                k = len(copies) - j
                if k <= len(candles) and _same(candles[:k], copies[j:]):
                    kept = k
                break
    new = [candle_values(c, key) for c in candles[kept:]]
    stamps = [row[0] for row in new]
    previous = int(last.times[-1]) if kept else None
    for ts in stamps:
        if previous is not None and ts <= previous:
            raise InvalidInputError("candle times do not increase")
        previous = ts
    n = len(candles)
    times = np.empty(n, np.int64)
    columns = np.empty((6, n))
    if kept:
        times[:kept] = last.times[-kept:]
        columns[:, :kept] = last.bars[:, -kept:]
    times[kept:] = stamps
    columns[:, kept:] = np.array([row[1:] for row in new], np.float64).reshape(-1, 6).T
    copies = (last.copies[-kept:] if kept else []) + [dict(c) for c in candles[kept:]]
    return _Parsed(copies, times, columns)


def _lookback(params: Params, name: str, value: Any, cache: dict, argument: str) -> int:
    """An override ``argument`` of ``params.<name>`` checked as `Params` checks
    it (once per value); `InvalidInputError` names ``argument``."""
    if value is None:
        return getattr(params, name)
    key = (type(value), value)  # True == 1, but Params refuses True
    try:
        checked = cache.get(key)
    except TypeError:  # unhashable: Params refuses it
        checked = None
        key = None
    if checked is None:
        try:
            checked = getattr(params.replace(**{name: value}), name)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{argument} = {value!r}: {exc}") from None
        if key is not None:
            cache[key] = checked
    return checked


class BacktestVolumeProfileCalculator:
    """Volume profile (POC, VAH, VAL) of the lookback window ending at the last candle."""

    def __init__(self, params: Params | Mapping[str, Any] | None = None) -> None:
        self.params = _params(params)
        self._overrides: dict = {}

    def calculate_profile(
        self, candles: Candles, lookback_minutes: int | None = None
    ) -> dict[str, float]:
        """``{'poc', 'vah', 'val'}`` in price and ``'total_volume'`` in volume
        units, over the last ``lookback_minutes`` (default: the parameters'
        ``lookback_period``) minutes of wall clock."""
        p = self.params
        minutes = _lookback(
            p, "lookback_period", lookback_minutes, self._overrides, "lookback_minutes"
        )
        w = parse_candles(candles)
        check_row_size(p, w.bars[2])
        poc, vah, val, total = w.row(p, minutes, p.cvd_momentum_buckets)[:4]
        if poc != poc:
            raise InvalidInputError(
                f"the window spans more than {MAX_ROWS:,} profile rows; use a larger 'row_size'"
            )
        return {"poc": poc, "vah": vah, "val": val, "total_volume": total}


class BacktestOrderFlowCalculator:
    """Order flow of the lookback window ending at the last candle."""

    def __init__(self, params: Params | Mapping[str, Any] | None = None) -> None:
        self.params = _params(params)
        self._overrides: dict = {}

    def calculate_flow(
        self, candles: Candles, lookback_buckets: int | None = None
    ) -> dict[str, float]:
        """``{'cumulative_delta', 'cvd_momentum', 'buy_volume', 'sell_volume',
        'delta'}`` in volume units and ``{'buy_pressure', 'sell_pressure'}`` in
        percent.  CVD momentum spans ``lookback_buckets`` one-minute buckets
        (default: the parameters' ``cvd_momentum_buckets``)."""
        p = self.params
        buckets = _lookback(
            p, "cvd_momentum_buckets", lookback_buckets, self._overrides, "lookback_buckets"
        )
        w = parse_candles(candles)
        buy, sell, delta, cvd, buy_p, sell_p, momentum = w.row(p, p.lookback_period, buckets)[4:11]
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
        poc = float(profile["poc"])
        if not (math.isfinite(poc) and poc > 0):
            raise InvalidInputError(f"profile poc {profile['poc']!r} is not a positive price")
        w = parse_candles(candles)
        first_open = float(w.bars[0, w.checked_start(p, p.lookback_period)])
        momentum = 100.0 * (float(current_price) - first_open) / first_open
        code, confidence, distance = classify_state(
            float(current_price), poc, float(profile["vah"]), float(profile["val"]),
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
        self._overrides: dict = {}

    def calculate_atr(self, candles: Candles, period: int | None = None) -> float:
        """ATR in price units over the window (see `calculators.atr`);
        ``period`` (bars) defaults to the parameters' ``atr_period``."""
        p = self.params
        bars_period = _lookback(p, "atr_period", period, self._overrides, "period")
        w = parse_candles(candles)
        b = w.bars
        start = w.checked_start(p, p.lookback_period)
        return window_atr(b[1], b[2], b[3], start, b.shape[1] - 1, bars_period)
