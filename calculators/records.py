"""One candle as a mapping -> checked numbers, without pandas.

The per-timestamp API and `calculators.StreamingCalculator` take candles as
mappings (``ts`` or ``timestamp``, ``open, high, low, close, volume``,
optionally ``buy_volume``).  `candle_values` applies the rules of
`calculators.validate_candles` to one of them in plain Python (about a
microsecond), so a live engine can hand over one candle per bar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from calculators.errors import InvalidInputError
from calculators.validate import BUY_VOLUME, MAX_PRICE, MAX_VOLUME

__all__ = ["candle_values", "stamp_ns"]

_NS_PER_MS = 1_000_000
_INT64_MAX = 2**63 - 1


def stamp_ns(value: Any) -> int:
    """A candle's time as integer nanoseconds since the epoch (UTC).

    Accepts a timezone-aware `datetime` / `pandas.Timestamp`, an ISO 8601
    string with an offset, or an integer of milliseconds since the epoch.
    Raises `InvalidInputError` otherwise (naive times included).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInputError(f"candle time {value!r} has no timezone; give UTC times")
        try:
            return int(
                value.value if isinstance(value, pd.Timestamp) else pd.Timestamp(value).value
            )
        except (OverflowError, pd.errors.OutOfBoundsDatetime, ValueError):
            raise InvalidInputError(f"candle time {value!r} is out of range") from None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        ns = int(value) * _NS_PER_MS
        if abs(ns) > _INT64_MAX:
            raise InvalidInputError(f"candle time {value!r} ms is out of range")
        return ns
    if isinstance(value, str):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidInputError(f"candle time {value!r} is not a time: {exc}") from None
        if stamp is pd.NaT or stamp.tzinfo is None:
            raise InvalidInputError(f"candle time {value!r} has no UTC offset")
        return int(stamp.value)
    raise InvalidInputError(
        f"candle time {value!r} is not a datetime, an ISO string or integer milliseconds"
    )


def _number(value: Any, name: str) -> float:
    if type(value) is not float:
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
            raise InvalidInputError(f"candle {name} {value!r} is not a finite number")
        value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(f"candle {name} {value!r} is not a finite number")
    return value


def candle_values(
    candle: Mapping[str, Any], key: str = "ts"
) -> tuple[int, float, float, float, float, float, float]:
    """``(ts_ns, open, high, low, close, volume, buy_volume)`` of one candle,
    checked as `calculators.validate_candles` checks a row: finite prices,
    ``0 < low <= open, close <= high <= MAX_PRICE``, ``0 <= volume <=
    MAX_VOLUME``, and
    ``buy_volume`` (NaN when absent, None or NaN) in ``[0, volume]``.  ``key``
    names the time field.  Raises `InvalidInputError` with a one-line reason.
    """
    try:
        ts = stamp_ns(candle[key])
        o = _number(candle["open"], "open")
        h = _number(candle["high"], "high")
        lo = _number(candle["low"], "low")
        c = _number(candle["close"], "close")
        v = _number(candle["volume"], "volume")
    except KeyError as exc:
        raise InvalidInputError(f"candle lacks key {exc.args[0]!r}") from None
    except TypeError:
        raise InvalidInputError(
            f"a candle must be a mapping, not {type(candle).__name__}"
        ) from None
    if v < 0:
        raise InvalidInputError(f"candle volume {v!r} is not >= 0")
    if v > MAX_VOLUME:
        raise InvalidInputError(f"candle volume {v!r} is above {MAX_VOLUME:g}")
    if h > MAX_PRICE:
        raise InvalidInputError(f"candle high {h!r} is above {MAX_PRICE:g}")
    if h < lo:
        raise InvalidInputError(f"candle high < low ({h!r} < {lo!r})")
    if not lo <= o <= h:
        raise InvalidInputError(f"candle open {o!r} outside [low, high] [{lo!r}, {h!r}]")
    if not lo <= c <= h:
        raise InvalidInputError(f"candle close {c!r} outside [low, high] [{lo!r}, {h!r}]")
    if lo <= 0:
        raise InvalidInputError(f"candle low {lo!r} is not a positive price")
    b = candle.get(BUY_VOLUME)
    if b is None:
        return ts, o, h, lo, c, v, math.nan
    if type(b) is not float:
        if isinstance(b, bool | np.bool_) or not isinstance(b, int | float | np.number):
            raise InvalidInputError(f"candle buy_volume {b!r} is not a number")
        b = float(b)
    if b != b:  # NaN: unknown
        return ts, o, h, lo, c, v, math.nan
    if not 0.0 <= b <= v:
        raise InvalidInputError(f"candle buy_volume {b!r} is not in [0, volume {v!r}]")
    return ts, o, h, lo, c, v, b
