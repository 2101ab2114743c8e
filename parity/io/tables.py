"""Reading candle and trade files and turning them into validated DataFrames.

Formats (see ``../shared/data/SOURCES.md`` and ``docs/schema.md``):

- candles: ``ts`` (ISO-8601 with an offset, e.g. ``2019-10-11 00:00:00+00:00``,
  the bar OPEN time; or integer epoch milliseconds, or microseconds when
  every value is at least 1e14) and ``open, high, low,
  close, volume``; extra columns are kept.
- trades: ``ts_ms`` (integer epoch milliseconds) or ``ts`` (ISO-8601 with an
  offset), ``trade_id`` (optional integer), ``price``, ``amount``, ``side``
  (``buy``/``sell``, the aggressor).

A column mapping (``{"open_time": "ts"}``) renames a file's columns first.
Validation is `calculators.validate_candles` / `calculators.validate_trades`
(one set of rules); they raise `calculators.InvalidInputError` naming the first
bad row (rows count data rows from 0).  A missing or unreadable file raises
`ParityError` naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from calculators import InvalidInputError, validate_candles, validate_trades
from calculators.timeutil import MINUTE_NS
from calculators.validate import check_magnitudes
from parity.errors import ParityError

__all__ = [
    "CSV_EXACT_FLOATS",
    "SYNTHETIC_ID_STRIDE",
    "candles_frame",
    "parse_column_map",
    "read_table",
    "trades_frame",
]

#: Keyword arguments making ``pandas.read_csv`` parse floats exactly (correctly
#: rounded): pandas >= 3.1 always does; older versions need ``round_trip``.
CSV_EXACT_FLOATS: dict[str, str] = (
    {}
    if tuple(int(p) for p in pd.__version__.split(".")[:2]) >= (3, 1)
    else {"float_precision": "round_trip"}
)

#: Trade ids made up for a file without ``trade_id``: epoch milliseconds times
#: this, plus the trade's rank within its millisecond (0, 1, 2, ...).
SYNTHETIC_ID_STRIDE = 1_000_000

_OFFSET = re.compile(r"(?:Z|[+-]\d\d(?::?\d\d)?)\s*$", re.IGNORECASE)
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(path: str | Path, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """The raw table in ``path`` (CSV, compressed CSV or Parquet, chosen by suffix).

    ``columns`` maps the file's column names to ours (``{"open_time": "ts"}``);
    a mapped column the file lacks raises `ParityError`.  Floats are parsed
    exactly (round-trip), times are left as they are (see `candles_frame`).
    Raises `ParityError` naming the file if it is missing or unreadable.
    """
    path = Path(path)
    name = path.name.lower()
    if not path.exists():
        raise ParityError(f"file not found: {path}")
    if path.is_dir():
        raise ParityError(f"{path} is a directory, not a file")
    try:
        if name.endswith(_CSV_SUFFIXES):
            frame = pd.read_csv(path, low_memory=False, **CSV_EXACT_FLOATS)
        elif name.endswith(_PARQUET_SUFFIXES):
            frame = pd.read_parquet(path)
        else:
            raise ParityError(
                f"{path}: unknown file type; use one of {', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)}"
            )
    except ParityError:
        raise
    except pd.errors.EmptyDataError:
        raise ParityError(f"{path}: the file is empty") from None
    except ImportError as exc:
        raise ParityError(f"cannot read {path}: needs the Python package {exc.name!r}") from None
    except Exception as exc:
        # Any failure to parse the user's file is about the file: zlib.error,
        # lzma.LZMAError, a zstd or Arrow error, a parser error, ...
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ParityError(f"cannot read {path}: {reason}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if columns:
        absent = [src for src in columns if src not in frame.columns]
        if absent:
            raise ParityError(
                f"{path}: no column {absent[0]!r} to rename (columns: {', '.join(frame.columns)})"
            )
        frame = frame.rename(columns=columns)
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise ParityError(f"{path}: column {duplicated[0]!r} appears twice (check the mapping)")
    return frame


def parse_column_map(items: Iterable[str] | None) -> dict[str, str]:
    """``["open_time=ts", "taker_buy_volume=buy_volume"]`` as a dict file name -> our name.

    Raises `ParityError` for an item that is not ``src=dst``.
    """
    mapping: dict[str, str] = {}
    for item in items or ():
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ParityError(f"bad column mapping {item!r}: use FILE_COLUMN=OUR_COLUMN")
        mapping[src.strip()] = dst.strip()
    return mapping


def candles_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Candles of a raw table, validated: a UTC `DatetimeIndex` named ``ts``, float64 columns.

    ``df`` has a ``ts`` column (or is already indexed by time).  Returns what
    `calculators.validate_candles` returns; raises `InvalidInputError` naming
    the first bad row (naive times, duplicates, unsorted, NaN, high < low, a
    time not on a whole minute, a price too large or too small for the price
    grid: `calculators.validate.check_magnitudes`, ...).
    """
    if "ts" in df.columns:
        frame = df.drop(columns="ts")
        frame.index = _times(df["ts"], "candle").rename("ts")
    elif isinstance(df.index, pd.DatetimeIndex):
        frame = df
    else:
        raise InvalidInputError("candles lack column ts (the bar open time)")
    out = validate_candles(frame)
    check_magnitudes(
        out.index.asi8, out["high"].to_numpy(), out["close"].to_numpy(),
        out["volume"].to_numpy(), None, 1,
    )  # fmt: skip
    off = np.flatnonzero(out.index.asi8 % MINUTE_NS != 0)
    if off.size:
        i = int(off[0])
        raise InvalidInputError(
            f"candle row {i} ({out.index[i]}): not on a whole minute "
            "(a 1-minute bar opens at :00 seconds)"
        )
    out.index.name = "ts"
    return out


def trades_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Trades of a raw table, validated: columns ``ts`` (UTC), ``trade_id``, ``price``,
    ``amount``, ``side`` (plus any extra columns), on a default index.

    Times come from ``ts_ms`` (epoch milliseconds) or ``ts``.  Without a
    ``trade_id`` column, ids are made up deterministically after validation:
    ``epoch_ms * SYNTHETIC_ID_STRIDE + rank within the millisecond``, so the same
    trades always get the same ids and reloading them inserts nothing.  Raises
    `InvalidInputError` naming the first bad row (also for a missing, non-integer
    or duplicate ``trade_id``).
    """
    frame = df.reset_index(drop=True)
    if "ts" not in frame.columns:
        if "ts_ms" not in frame.columns:
            raise InvalidInputError("trades lack a time column (ts_ms or ts)")
        frame = frame.rename(columns={"ts_ms": "ts"})
        frame["ts"] = _epoch_ms(frame["ts"], "trade", "ts_ms")
    elif not isinstance(frame["ts"].dtype, pd.DatetimeTZDtype) and not (
        pd.api.types.is_integer_dtype(frame["ts"]) or pd.api.types.is_datetime64_dtype(frame["ts"])
    ):
        frame["ts"] = _times(frame["ts"], "trade")  # naive times stay naive: refused below
    tape = validate_trades(frame)
    price = tape["price"].to_numpy()
    check_magnitudes(
        pd.DatetimeIndex(tape["ts"]).asi8, price, price, tape["amount"].to_numpy(), None, 1,
        what="trade",
    )  # fmt: skip
    if "trade_id" in tape.columns:
        tape["trade_id"] = _trade_ids(tape)
    else:
        ms = pd.DatetimeIndex(tape["ts"]).asi8 // 1_000_000
        rank = pd.Series(ms).groupby(ms).cumcount().to_numpy()
        if len(rank) and rank.max() >= SYNTHETIC_ID_STRIDE:
            raise InvalidInputError("more than a million trades in one millisecond; give trade_id")
        tape.insert(1, "trade_id", ms * SYNTHETIC_ID_STRIDE + rank)
    ordered = ["ts", "trade_id", "price", "amount", "side"]
    return tape[ordered + [c for c in tape.columns if c not in ordered]]


def _times(column: pd.Series, what: str) -> pd.DatetimeIndex:
    """Times of a ``ts`` column: ISO strings with an offset, tz-aware datetimes or
    epoch milliseconds (microseconds, see `_epoch_unit`).  Naive times stay naive (the validators refuse them)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column):
        return pd.DatetimeIndex(column)
    if pd.api.types.is_integer_dtype(column):
        return pd.DatetimeIndex(pd.to_datetime(column, unit=_epoch_unit(column, what), utc=True))
    text = column.astype("string")
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        pass
    # Slow path, only to name the first bad row.
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = np.flatnonzero((parsed.isna() & text.notna()).to_numpy())
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(f"{what} row {i}: ts {text.iloc[i]!r} is not an ISO-8601 time")
    naive = np.flatnonzero(
        (~text.fillna("").str.contains(_OFFSET)).to_numpy() & text.notna().to_numpy()
    )
    if naive.size:
        i = int(naive[0])
        raise InvalidInputError(
            f"{what} row {i}: ts {text.iloc[i]!r} has no timezone offset; give UTC times"
        )
    return pd.DatetimeIndex(parsed)  # offsets differ between rows: all converted to UTC


#: Integer times at or above this are epoch microseconds, below it milliseconds
#: (milliseconds reach 1e14 only in the year 5138; microseconds passed it in 1973).
MICROSECONDS_FROM = 10**14


def _epoch_unit(column: pd.Series, what: str) -> str:
    """``"ms"`` or ``"us"`` for an integer time column (Binance spot klines use
    microseconds from 2025 on); every row must be in the same unit."""
    values = column.to_numpy(dtype=np.int64)
    if not values.size or values.max() < MICROSECONDS_FROM:
        return "ms"
    small = np.flatnonzero(values < MICROSECONDS_FROM)
    if small.size:
        i = int(small[0])
        raise InvalidInputError(
            f"{what} row {i}: ts {int(values[i])} looks like epoch milliseconds, other rows "
            "like microseconds; give one unit"
        )
    if values.max() >= 1000 * MICROSECONDS_FROM:
        i = int(np.argmax(values >= 1000 * MICROSECONDS_FROM))
        raise InvalidInputError(f"{what} row {i}: ts {int(values[i])} is not epoch ms or us")
    return "us"


def _epoch_ms(column: pd.Series, what: str, name: str) -> pd.Series:
    """An integer epoch-milliseconds column as int64; raises naming the first bad row."""
    if pd.api.types.is_integer_dtype(column) and not column.isna().any():
        return column.astype(np.int64)
    values = pd.to_numeric(column, errors="coerce")
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(numbers) | (numbers != np.round(numbers)))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"{what} row {i}: {name} {column.iloc[i]!r} is not integer milliseconds"
        )
    return values.astype(np.int64)


def _trade_ids(tape: pd.DataFrame) -> np.ndarray:
    """The ``trade_id`` column as int64; raises naming the first missing, non-integer or repeated id."""
    column = tape["trade_id"]
    index = pd.DatetimeIndex(tape["ts"])
    values = pd.to_numeric(column, errors="coerce")
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(numbers) | (numbers != np.round(numbers)))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"trade row {i} ({index[i]}): trade_id {column.iloc[i]!r} is not an integer"
        )
    # the database column is a BIGINT; float64 reaches 2**63 exactly, so compare there
    too_big = np.flatnonzero(np.abs(numbers) >= 2.0**63)
    if too_big.size:
        i = int(too_big[0])
        raise InvalidInputError(
            f"trade row {i} ({index[i]}): trade_id {column.iloc[i]!r} is outside the 64-bit range"
        )
    ids = (
        values.to_numpy(dtype=np.int64)
        if pd.api.types.is_integer_dtype(values)
        else numbers.astype(np.int64)
    )
    repeated = np.flatnonzero(pd.Series(ids).duplicated().to_numpy())
    if repeated.size:
        i = int(repeated[0])
        raise InvalidInputError(f"trade row {i} ({index[i]}): duplicate trade_id {int(ids[i])}")
    return ids
