"""Input checks for candles and trade tapes.

Both the calculators and the loaders use these rules, so a file the loader
accepts is a file the calculators can compute on.  Each check raises
`InvalidInputError` naming the first offending row; nothing is repaired
silently.  Gaps (missing minutes) are normal data, not an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calculators.errors import InvalidInputError

__all__ = ["BUY_VOLUME", "CANDLE_COLUMNS", "TRADE_COLUMNS", "validate_candles", "validate_trades"]

CANDLE_COLUMNS = ("open", "high", "low", "close", "volume")
#: The optional candle column of true aggressor-buy volume (NaN = unknown).
BUY_VOLUME = "buy_volume"
TRADE_COLUMNS = ("ts", "price", "amount", "side")


def validate_candles(candles: pd.DataFrame) -> pd.DataFrame:
    """Check 1-minute candles and return them as float64 columns on a UTC index.

    ``candles`` must have a timezone-aware `DatetimeIndex` (the bar open time;
    any zone is converted to UTC, a naive index is refused), strictly
    increasing, and columns ``open, high, low, close, volume`` with finite
    prices, ``low <= open, close <= high`` and ``volume >= 0``.  An optional
    ``buy_volume`` column (the bar's aggressor-buy volume) must be numeric with
    ``0 <= buy_volume <= volume`` where present; NaN (or None) means unknown.
    Extra columns are kept.  Raises `InvalidInputError` naming the first
    offending row.
    """
    if not isinstance(candles, pd.DataFrame):
        raise InvalidInputError(f"candles must be a pandas DataFrame, not {type(candles).__name__}")
    missing = [c for c in CANDLE_COLUMNS if c not in candles.columns]
    if missing:
        raise InvalidInputError(f"candles lack column(s) {', '.join(missing)}")
    index = _utc_index(candles.index, "candle")
    out = candles.copy()
    out.index = index
    for col in CANDLE_COLUMNS:
        out[col] = _float_column(out[col], col, index, "candle")
    o, h, lo, c, v = (out[col].to_numpy() for col in CANDLE_COLUMNS)
    _first_bad(
        ~np.isfinite(v) | (v < 0), index, "candle", lambda i: f"volume {float(v[i])!r} is not >= 0"
    )
    _first_bad(
        h < lo, index, "candle", lambda i: f"high < low ({float(h[i])!r} < {float(lo[i])!r})"
    )
    _first_bad(
        (o < lo) | (o > h),
        index,
        "candle",
        lambda i: f"open {float(o[i])!r} outside [low, high] [{float(lo[i])!r}, {float(h[i])!r}]",
    )
    _first_bad(
        (c < lo) | (c > h),
        index,
        "candle",
        lambda i: f"close {float(c[i])!r} outside [low, high] [{float(lo[i])!r}, {float(h[i])!r}]",
    )
    _first_bad(lo <= 0, index, "candle", lambda i: f"low {float(lo[i])!r} is not a positive price")
    if BUY_VOLUME in out.columns:
        out[BUY_VOLUME] = _buy_volume_column(out[BUY_VOLUME], v, index)
    return out


def _buy_volume_column(column: pd.Series, volume: np.ndarray, index: pd.DatetimeIndex) -> pd.Series:
    """``buy_volume`` as float64 with NaN for unknown; refuses text, booleans,
    infinities and values outside ``[0, volume]``."""
    if pd.api.types.is_bool_dtype(column):
        raise InvalidInputError("candle column buy_volume is boolean, not a volume")
    values = pd.to_numeric(column, errors="coerce").astype("float64")
    given = column.notna().to_numpy()
    b = values.to_numpy()
    _first_bad(
        given & np.isnan(b),
        index,
        "candle",
        lambda i: f"buy_volume {column.iloc[i]!r} is not a number",
    )
    _first_bad(
        np.isinf(b) | (b < 0) | (b > volume),
        index,
        "candle",
        lambda i: f"buy_volume {float(b[i])!r} is not in [0, volume {float(volume[i])!r}]",
    )
    return values


def validate_trades(trades: pd.DataFrame) -> pd.DataFrame:
    """Check a trade tape and return it with ``ts`` as UTC datetimes.

    Columns ``ts`` (timezone-aware datetimes, or integer milliseconds since the
    epoch), ``price`` (> 0, finite), ``amount`` (> 0, finite) and ``side``
    (``"buy"`` when the buyer was the aggressor, ``"sell"`` otherwise).  Trades
    must be in time order (equal times are allowed: several fills of one order).
    Returns a copy with a ``ts`` column of UTC timestamps and a default index.
    """
    if not isinstance(trades, pd.DataFrame):
        raise InvalidInputError(f"trades must be a pandas DataFrame, not {type(trades).__name__}")
    missing = [c for c in TRADE_COLUMNS if c not in trades.columns]
    if missing:
        raise InvalidInputError(f"trades lack column(s) {', '.join(missing)}")
    out = trades.reset_index(drop=True).copy()
    ts = out["ts"]
    if pd.api.types.is_integer_dtype(ts):
        ts = pd.to_datetime(ts, unit="ms", utc=True)
    elif not isinstance(ts.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(ts):
            raise InvalidInputError("trade column ts has no timezone; give UTC times")
        try:
            ts = pd.to_datetime(ts, utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"trade column ts is not a time: {exc}") from None
    ts = ts.dt.tz_convert("UTC").dt.as_unit("ns")
    out["ts"] = ts
    index = pd.DatetimeIndex(ts)
    if ts.isna().any():
        _first_bad(ts.isna().to_numpy(), index, "trade", lambda i: "ts is missing")
    ns = index.asi8
    back = np.flatnonzero(np.diff(ns) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise InvalidInputError(
            f"trade row {i} ({index[i]}): out of time order (earlier than row {i - 1})"
        )
    for col in ("price", "amount"):
        out[col] = _float_column(out[col], col, index, "trade")
        values = out[col].to_numpy()
        _first_bad(
            values <= 0,
            index,
            "trade",
            lambda i, col=col, values=values: f"{col} {float(values[i])!r} is not > 0",
        )
    side = out["side"].astype(str).str.lower()
    bad = ~side.isin(["buy", "sell"]).to_numpy()
    _first_bad(
        bad, index, "trade", lambda i: f"side {out['side'].iloc[i]!r} is not 'buy' or 'sell'"
    )
    out["side"] = side
    return out


def _utc_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidInputError(
            f"{what}s need a DatetimeIndex (the bar open time), not {type(index).__name__}"
        )
    if index.tz is None:
        raise InvalidInputError(f"{what} index has no timezone (naive); localize it to UTC")
    index = index.tz_convert("UTC").as_unit("ns")
    if index.hasnans:
        _first_bad(index.isna(), index, what, lambda i: "timestamp is missing")
    ns = index.asi8
    steps = np.diff(ns)
    dup = np.flatnonzero(steps == 0)
    back = np.flatnonzero(steps < 0)
    if dup.size and (not back.size or dup[0] < back[0]):
        i = int(dup[0]) + 1
        raise InvalidInputError(f"{what} row {i} ({index[i]}): duplicate timestamp")
    if back.size:
        i = int(back[0]) + 1
        raise InvalidInputError(
            f"{what} row {i} ({index[i]}): timestamps not sorted (earlier than row {i - 1})"
        )
    return index


def _float_column(column: pd.Series, name: str, index: pd.DatetimeIndex, what: str) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce").astype("float64")
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"{what} row {i} ({index[i]}): {name} {column.iloc[i]!r} is not a finite number"
        )
    return values


def _first_bad(mask: np.ndarray, index: pd.DatetimeIndex, what: str, describe) -> None:
    hits = np.flatnonzero(mask)
    if hits.size:
        i = int(hits[0])
        raise InvalidInputError(f"{what} row {i} ({index[i]}): {describe(i)}")
