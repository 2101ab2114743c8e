"""Input checks for candles and trade tapes.

Both the calculators and the loaders use these rules, so a file the loader
accepts is a file the calculators can compute on.  Each check raises
`InvalidInputError` naming the first offending row; nothing is repaired
silently.  Gaps (missing minutes) are normal data, not an error.

`check_magnitudes` is the guard of the Numba kernels against numbers that
would overflow an integer there (a profile row number, a window's span of
time): the whole-series path calls it on every bar before any kernel runs, so
an extreme candle is refused, never a crash or a silently wrong row.  The
per-timestamp and streaming paths compute one bar at a time; they apply the
same rules to that bar's window with `window_fault` (Numba, no pandas, so it
costs about a microsecond) and `raise_window_fault`.  A property test checks
the two agree.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numba import njit

from calculators.errors import InvalidInputError
from calculators.grid import AUTO_ROW_FRACTION, auto_row_size
from calculators.timeutil import MINUTE_NS

__all__ = [
    "BUY_VOLUME",
    "CANDLE_COLUMNS",
    "EARLIEST_NS",
    "MAX_GRID_ROW",
    "MAX_PRICE",
    "MAX_VOLUME",
    "TRADE_COLUMNS",
    "check_magnitudes",
    "raise_window_fault",
    "validate_candles",
    "validate_trades",
    "window_fault",
]

CANDLE_COLUMNS = ("open", "high", "low", "close", "volume")
#: The optional candle column of true aggressor-buy volume (NaN = unknown).
BUY_VOLUME = "buy_volume"
TRADE_COLUMNS = ("ts", "price", "amount", "side")
#: The largest price and volume the calculators take.  Far above any market,
#: and low enough that every sum, square and product the kernels form stays
#: finite (a window's variance of price changes, 2 x buy volume, the value
#: area's share of a window's volume), so no extreme number can turn a row
#: silently wrong.
MAX_PRICE = 1e150
MAX_VOLUME = 1e300
#: The largest profile row number a price may have (price / row size): exact
#: in float64 and far inside int64, so the kernels' integer rows never overflow.
MAX_GRID_ROW = 2**52
#: Row sizes below this (subnormal floats) are refused: price / row size is no
#: longer a meaningful number.
_MIN_ROW_SIZE = float(np.finfo(np.float64).tiny)
#: The first time a window may start (int64 UTC nanoseconds, pandas' range with a margin).
EARLIEST_NS = int(pd.Timestamp("1678-01-01", tz="UTC").value)


def check_magnitudes(
    times_ns: np.ndarray,
    high: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    row_size: float | None,
    lookback_minutes: int,
    what: str = "candle",
    low: np.ndarray | None = None,
) -> None:
    """Refuse candles whose numbers would overflow an integer in the kernels.

    ``times_ns`` (int64 UTC nanoseconds, increasing), ``high``, ``close`` and
    ``volume`` are checked candle arrays; ``row_size`` the parameter (None:
    automatic, `calculators.grid.auto_row_size` of each window's last close);
    ``lookback_minutes`` the window length.  Raises `InvalidInputError` naming
    the first bar (row number from 0 and time) whose window would start before
    1678 (int64 nanoseconds), whose row size is subnormal (a price below about
    1e-304), whose window's highest high lies more than `MAX_GRID_ROW` rows
    above zero, or where the running total of volume overflows to infinity.
    ``what`` names a row in the message ("candle", or "trade" for a tape's
    prices and amounts).  With ``low`` (the candles' lows) it also refuses a
    window whose lowest low is below its row size: row 0 would hold prices, a
    POC of price 0 (the calculators need it; the loaders do not pass it).
    """
    n = len(times_ns)
    if n == 0:
        return
    high_name, low_name = ("high", "close") if what == "candle" else ("price", "price")
    index = pd.DatetimeIndex(np.asarray(times_ns, dtype=np.int64), tz="UTC")
    span = int(lookback_minutes) * MINUTE_NS
    _first_bad(
        np.asarray(times_ns, dtype=np.int64) < EARLIEST_NS + span,
        index,
        what,
        lambda i: f"too early: its {lookback_minutes}-minute window would start before 1678",
    )
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if row_size:
            sizes = np.full(n, float(row_size))
        else:
            sizes = 10.0 ** np.floor(np.log10(close * AUTO_ROW_FRACTION) + 1e-9)
        _first_bad(
            ~(sizes >= _MIN_ROW_SIZE),
            index,
            what,
            lambda i: f"{low_name} {float(close[i])!r} is too small for the price grid",
        )
        highest = pd.Series(high, index=index).rolling(f"{int(lookback_minutes)}min").max()
        rows = highest.to_numpy() / sizes
        _first_bad(
            ~(rows <= MAX_GRID_ROW),
            index,
            what,
            lambda i: (
                f"{high_name} {float(highest.iloc[i])!r} is too large for a profile row of "
                f"{float(sizes[i])!r} (over {MAX_GRID_ROW:.2e} rows); check the prices "
                "or use a larger 'row_size'"
            ),
        )
        if low is not None:
            lowest = pd.Series(low, index=index).rolling(f"{int(lookback_minutes)}min").min()
            _first_bad(
                ~(lowest.to_numpy() >= sizes),
                index,
                what,
                lambda i: (
                    f"low {float(lowest.iloc[i])!r} in its window is below the profile row "
                    f"of {float(sizes[i])!r} (prices over 4 decades apart); check the prices "
                    "or set a smaller 'row_size'"
                ),
            )
        total = np.cumsum(volume)
    _first_bad(
        ~np.isfinite(total),
        index,
        what,
        lambda i: f"volume {float(volume[i])!r}: the total volume overflows",
    )


#: The millisecond range of pandas' nanosecond timestamps (with a margin).
_EARLIEST_MS = EARLIEST_NS // 1_000_000
_LATEST_MS = int(pd.Timestamp("2262-04-10", tz="UTC").value) // 1_000_000


@njit(cache=True)
def window_fault(
    times_ns: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    start: int,
    end: int,
    row_size: float,
    lookback_ns: int,
) -> tuple[int, int]:
    """`check_magnitudes`'s rules for the one window ``start..end`` (bar
    ``end``'s): ``(0, end)`` when it is fine, else the first rule it breaks
    and the bar to blame: 1 the window starts before 1678 (``end``), 2 the
    row size is subnormal (``end``), 3 the highest high is over
    `MAX_GRID_ROW` rows (the highest bar), 4 the lowest low is below the row
    size (the lowest bar), 5 the window's volume overflows (``end``).
    ``row_size`` 0.0 = automatic."""
    if times_ns[end] < EARLIEST_NS + lookback_ns:
        return 1, end
    size = row_size if row_size > 0 else auto_row_size(close[end])
    if not size >= _MIN_ROW_SIZE:
        return 2, end
    highest, lowest = start, start
    total = 0.0
    for i in range(start, end + 1):
        if high[i] > high[highest]:
            highest = i
        if low[i] < low[lowest]:
            lowest = i
        total += volume[i]
    if not high[highest] / size <= MAX_GRID_ROW:
        return 3, highest
    if not low[lowest] >= size:
        return 4, lowest
    if not math.isfinite(total):
        return 5, end
    return 0, end


_WINDOW_FAULTS = {
    1: "too early: its window would start before 1678",
    2: "close too small for the price grid (the row size is subnormal)",
    3: f"a high in its window is too large for the profile grid (over {MAX_GRID_ROW:.2e} rows); "
    "check the prices or use a larger 'row_size'",
    4: "a low in its window is below the profile row size (prices over 4 decades apart); "
    "check the prices or set a smaller 'row_size'",
    5: "the total volume of its window overflows",
}


def raise_window_fault(code: int, time_ns: int, row: int | None = None) -> None:
    """Raise `InvalidInputError` for a nonzero `window_fault` code; the bar it
    blames opened at ``time_ns`` (UTC nanoseconds) and is named by its ``row``
    in the caller's candles when given."""
    if code:
        when = pd.Timestamp(int(time_ns), tz="UTC")
        name = f"candle row {row} ({when})" if row is not None else f"candle {when}"
        raise InvalidInputError(f"{name}: {_WINDOW_FAULTS[int(code)]}")


def validate_candles(candles: pd.DataFrame) -> pd.DataFrame:
    """Check 1-minute candles and return them as float64 columns on a UTC index.

    ``candles`` must have a timezone-aware `DatetimeIndex` (the bar open time;
    any zone is converted to UTC, a naive index is refused), strictly
    increasing, and columns ``open, high, low, close, volume`` with finite
    prices, ``low <= open, close <= high``, ``high <= MAX_PRICE`` and
    ``0 <= volume <= MAX_VOLUME``.  An optional
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
        v > MAX_VOLUME,
        index,
        "candle",
        lambda i: f"volume {float(v[i])!r} is above {MAX_VOLUME:g}",
    )
    _first_bad(
        h > MAX_PRICE, index, "candle", lambda i: f"high {float(h[i])!r} is above {MAX_PRICE:g}"
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
        bad = ~ts.between(_EARLIEST_MS, _LATEST_MS).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"trade row {i}: ts {int(ts.iloc[i])} ms is outside 1677-09-22 .. 2262-04-11"
            )
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
    for col, most in (("price", MAX_PRICE), ("amount", MAX_VOLUME)):
        out[col] = _float_column(out[col], col, index, "trade")
        values = out[col].to_numpy()
        _first_bad(
            values <= 0,
            index,
            "trade",
            lambda i, col=col, values=values: f"{col} {float(values[i])!r} is not > 0",
        )
        _first_bad(
            values > most,
            index,
            "trade",
            lambda i, col=col, values=values, most=most: (
                f"{col} {float(values[i])!r} is above {most:g}"
            ),
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
    try:
        index = index.tz_convert("UTC").as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise InvalidInputError(
            f"{what} times outside 1677-09-22 .. 2262-04-11 (nanoseconds since 1970)"
        ) from None
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
    dtype = column.dtype
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        raise InvalidInputError(f"{what} column {name} is of type {dtype}, not a number")
    if pd.api.types.is_object_dtype(dtype):
        _first_bad(
            column.map(lambda x: isinstance(x, bool | np.bool_)).to_numpy(dtype=bool),
            index,
            what,
            lambda i: f"{name} {column.iloc[i]!r} is not a number",
        )
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
