"""Bulk writes and reads of candles, trades and the live engine's rows, with ``COPY``.

Writes ``COPY ... FROM STDIN`` an in-memory CSV (written by pyarrow) whose
floats are at full precision (the shortest text that reads back to the same
float64, as ``repr``), so what is read back equals what was written to the last
bit.  Times travel as integer microseconds since the epoch (or UTC ISO text for
the live tables): PostgreSQL's resolution, anything finer is truncated.
Candles and trades are staged in a TEMP table and inserted with
``ON CONFLICT DO NOTHING``, so loading the same rows twice changes nothing.
Reads ``COPY (SELECT ...) TO STDOUT`` a CSV into ``pandas.read_csv``, never a
row-by-row fetch.

None of these functions commits: callers own the transaction, so a loader that
commits once at the end writes all or nothing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import psycopg2.extensions
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2 import sql

from calculators import validate_candles, validate_trades
from calculators.validate import BUY_VOLUME, CANDLE_COLUMNS
from parity.db.names import DEFAULT_NAMES, TableNames
from parity.db.tables import LIVE_COLUMNS
from parity.errors import ParityError
from parity.io.tables import CSV_EXACT_FLOATS

__all__ = [
    "LIVE_COLUMNS",
    "has_column",
    "read_candles",
    "read_live_rows",
    "read_trades",
    "time_range",
    "write_candles",
    "write_live_rows",
    "write_trades",
]

Connection = psycopg2.extensions.connection
TimeBound = str | datetime | pd.Timestamp | None

_TEXT_COLUMNS = frozenset({"state", "side"})
_TRADE_VALUES = ("trade_id", "price", "amount", "side")


# ----------------------------------------------------------------------------- writes


def write_candles(conn: Connection, symbol_id: int, candles: pd.DataFrame) -> int:
    """Insert 1-minute candles of ``symbol_id``; returns the number of rows inserted.

    ``candles``: a DataFrame on a timezone-aware `DatetimeIndex` (bar open time)
    with ``open, high, low, close, volume`` and optionally ``buy_volume`` (the
    bar's aggressor-buy volume, NaN = unknown, stored as NULL); checked with
    `calculators.validate_candles` (raises `InvalidInputError`).  Rows whose
    ``(symbol_id, ts)`` is already stored are skipped (kept as they are), so
    loading the same candles twice changes nothing.  No commit.
    """
    frame = validate_candles(candles)
    if frame.empty:
        return 0
    body = {"ts_us": _utc_micros(frame.index)}
    body |= {col: pa.array(frame[col].to_numpy(), pa.float64()) for col in CANDLE_COLUMNS}
    buy = (
        frame[BUY_VOLUME].to_numpy(np.float64)
        if BUY_VOLUME in frame.columns
        else np.full(len(frame), np.nan)
    )
    body[BUY_VOLUME] = pa.array(buy, pa.float64(), from_pandas=True)
    return _stage_and_insert(conn, "candles", symbol_id, pa.table(body), key=("ts",))


def write_trades(conn: Connection, symbol_id: int, trades: pd.DataFrame) -> int:
    """Insert trades of ``symbol_id``; returns the number of rows inserted.

    ``trades``: columns ``ts`` (timezone-aware, or integer epoch milliseconds),
    ``trade_id`` (integer, unique), ``price``, ``amount`` and ``side``
    (``buy``/``sell``, the aggressor); checked with
    `calculators.validate_trades`.  Rows whose ``(symbol_id, trade_id)`` is
    already stored are skipped.  No commit.
    """
    tape = validate_trades(trades)
    if "trade_id" not in tape.columns:
        raise ValueError("trades lack column trade_id")
    if tape.empty:
        return 0
    ids = pd.to_numeric(tape["trade_id"], errors="raise")
    if not pd.api.types.is_integer_dtype(ids):
        raise ValueError("trade_id must be integers")
    body = pa.table(
        {
            "ts_us": _utc_micros(pd.DatetimeIndex(tape["ts"])),
            "trade_id": pa.array(ids.to_numpy(dtype=np.int64), pa.int64()),
            "price": pa.array(tape["price"].to_numpy(), pa.float64()),
            "amount": pa.array(tape["amount"].to_numpy(), pa.float64()),
            "side": pa.array(tape["side"].to_numpy(dtype=object), pa.string()),
        }
    )
    return _stage_and_insert(conn, "trades", symbol_id, body, key=("trade_id",))


def write_live_rows(
    conn: Connection,
    symbol_id: int,
    volume_profile: pd.DataFrame,
    order_flow: pd.DataFrame,
    market_state: pd.DataFrame,
) -> int:
    """Append rows to the three live tables; returns the total number of rows written.

    Each DataFrame has a ``ts`` column (timezone-aware: the wall-clock time the
    live engine wrote the row) and that table's columns (`LIVE_COLUMNS`); other
    columns are ignored, NaN / None become NULL.  Nothing is deduplicated (a
    live engine can write a row twice).  No commit.
    """
    frames = {
        "volume_profile": volume_profile,
        "order_flow": order_flow,
        "market_state": market_state,
    }
    total = 0
    with conn.cursor() as cur:
        for table, frame in frames.items():
            columns = LIVE_COLUMNS[table]
            missing = [c for c in ("ts", *columns) if c not in frame.columns]
            if missing:
                raise ValueError(f"{table} rows lack column(s) {', '.join(missing)}")
            if frame.empty:
                continue
            ts = pd.DatetimeIndex(frame["ts"])
            if ts.hasnans:
                raise ValueError(f"{table} ts has missing values")
            body = {
                "symbol_id": pa.array(np.full(len(ts), int(symbol_id)), pa.int32()),
                "ts": _utc_text(ts),
            }
            for col in columns:
                if col in _TEXT_COLUMNS:
                    body[col] = pa.array(
                        frame[col].to_numpy(dtype=object), pa.string(), from_pandas=True
                    )
                else:
                    body[col] = pa.array(frame[col].to_numpy(dtype=np.float64), from_pandas=True)
            _copy_in(cur, table, pa.table(body))
            total += len(ts)
    return total


def _stage_and_insert(
    conn: Connection, table: str, symbol_id: int, body: pa.Table, key: Sequence[str]
) -> int:
    """COPY ``body`` into a TEMP table, then insert into ``table`` the rows whose
    ``(symbol_id, *key)`` is not stored yet; returns the number inserted.

    ``body``'s first column is ``ts_us`` (UTC microseconds since the epoch,
    turned into ``ts`` exactly by integer interval arithmetic); the others are
    named as in ``table``.
    """
    values = body.column_names[1:]
    stage = sql.Identifier(f"parity_stage_{table}")
    target = sql.Identifier(table)
    value_list = sql.SQL(", ").join(map(sql.Identifier, values))
    ts_expr = sql.SQL("timestamptz 'epoch' + s.ts_us * interval '1 microsecond'")
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(stage))
        # Same value types as the target, without symbol_id and constraints.
        cur.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} AS SELECT 0::bigint AS ts_us, {} FROM {} WITH NO DATA"
            ).format(stage, value_list, target)
        )
        _copy_in(cur, f"parity_stage_{table}", body)
        cur.execute(sql.SQL("ANALYZE {}").format(stage))
        # The anti-join skips stored rows in bulk (a reload costs one join, not
        # a conflict per row); ON CONFLICT still covers a concurrent loader.
        matches = sql.SQL(" AND ").join(
            sql.SQL("t.{k} = {v}").format(
                k=sql.Identifier(k),
                v=ts_expr if k == "ts" else sql.SQL("s.{}").format(sql.Identifier(k)),
            )
            for k in key
        )
        cur.execute(
            sql.SQL(
                "INSERT INTO {target} (symbol_id, ts, {values}) "
                "SELECT %(sid)s, {ts}, {s_values} FROM {stage} s "
                "WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.symbol_id = %(sid)s AND {matches}) "
                "ON CONFLICT (symbol_id, {key}) DO NOTHING"
            ).format(
                target=target,
                values=value_list,
                ts=ts_expr,
                s_values=sql.SQL(", ").join(
                    sql.SQL("s.{}").format(sql.Identifier(v)) for v in values
                ),
                stage=stage,
                matches=matches,
                key=sql.SQL(", ").join(map(sql.Identifier, key)),
            ),
            {"sid": int(symbol_id)},
        )
        inserted = cur.rowcount
        cur.execute(sql.SQL("DROP TABLE {}").format(stage))
    return int(inserted)


def _copy_in(cur, table: str, body: pa.Table) -> None:
    """``COPY table (columns of body) FROM STDIN`` as CSV written by pyarrow.

    Floats are written in their shortest round-trip form (what ``repr`` gives),
    nulls as unquoted empty fields (NULL), strings quoted.
    """
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(body, buffer, pacsv.WriteOptions(include_header=False))
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, body.column_names))
    )
    cur.copy_expert(statement.as_string(cur), pa.BufferReader(buffer.getvalue()))


def _utc_micros(index: pd.DatetimeIndex) -> pa.Array:
    """UTC times as Arrow int64 microseconds since the epoch (sub-microsecond parts dropped).

    Exact in ``timestamptz 'epoch' + us * interval '1 microsecond'`` for
    |us| < 2**53 (years 1685 to 2255).
    """
    if index.tz is None:
        raise ValueError("times have no timezone; give UTC times")
    return pa.array(index.tz_convert("UTC").as_unit("ns").asi8 // 1000, pa.int64())


def _utc_text(index: pd.DatetimeIndex) -> pa.Array:
    """UTC times as Arrow strings ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (sub-microsecond parts dropped)."""
    micros = _utc_micros(index).to_numpy().astype("datetime64[us]")
    return pa.array(np.datetime_as_string(micros, unit="us", timezone="UTC"), pa.string())


# ----------------------------------------------------------------------------- reads


def read_candles(
    conn: Connection,
    symbol_id: int,
    start: TimeBound = None,
    end: TimeBound = None,
    names: TableNames | None = None,
) -> pd.DataFrame:
    """Stored candles of ``symbol_id`` with ``start <= ts < end`` (either bound optional),
    from this project's ``candles`` table or the one ``names`` describes.

    Returns a DataFrame on a UTC `DatetimeIndex` named ``ts`` (bar open time,
    ns unit), float64 columns ``open, high, low, close, volume`` and, when the
    table has the column, ``buy_volume`` (aggressor-buy volume; NULL -> NaN =
    unknown), in time order.
    """
    table = names or DEFAULT_NAMES["candles"]
    values = (
        (*CANDLE_COLUMNS, BUY_VOLUME) if has_column(conn, table, BUY_VOLUME) else CANDLE_COLUMNS
    )
    frame = _copy_out(
        conn,
        table,
        ("ts", *values),
        symbol_id,
        start,
        end,
        order=("ts",),
        dtypes=dict.fromkeys(values, np.float64),
    )
    return frame.set_index("ts")


def has_column(conn: Connection, table: TableNames, column: str) -> bool:
    """Whether ``table`` has the column that ``table`` maps this project's ``column`` to
    (False also when the table does not exist); read-only, no error aborts the transaction."""
    stored = table.columns.get(column, column)
    with conn.cursor() as cur:
        qualified = table.identifier().as_string(cur)
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attname = %s AND attnum > 0 AND NOT attisdropped)",
            (qualified, stored),
        )
        return bool(cur.fetchone()[0])


def read_trades(
    conn: Connection, symbol_id: int, start: TimeBound = None, end: TimeBound = None
) -> pd.DataFrame:
    """Stored trades of ``symbol_id`` with ``start <= ts < end`` (either bound optional).

    Returns columns ``ts`` (UTC, ns unit), ``trade_id`` (int64), ``price``,
    ``amount`` (float64) and ``side`` (``buy``/``sell``), ordered by time then
    trade id, on a default index.
    """
    return _copy_out(
        conn,
        "trades",
        ("ts", *_TRADE_VALUES),
        symbol_id,
        start,
        end,
        order=("ts", "trade_id"),
        dtypes={"trade_id": np.int64, "price": np.float64, "amount": np.float64, "side": str},
    )


def read_live_rows(
    conn: Connection,
    table: str,
    symbol_id: int,
    start: TimeBound = None,
    end: TimeBound = None,
    names: TableNames | None = None,
    id_column: bool = True,
) -> pd.DataFrame:
    """Rows of a live table (``volume_profile``, ``order_flow`` or ``market_state``),
    or of the table ``names`` maps to it (then without ``id`` if ``id_column``
    is False: a foreign live engine may have no such column).

    Rows of ``symbol_id`` written at ``start <= ts < end``; returns columns
    ``id`` (int64), ``ts`` (UTC write time) and the table's value columns
    (`LIVE_COLUMNS`; NULL -> NaN), ordered by ``ts`` then ``id``.
    """
    if table not in LIVE_COLUMNS:
        raise ValueError(f"unknown live table {table!r} (one of {', '.join(LIVE_COLUMNS)})")
    columns = LIVE_COLUMNS[table]
    dtypes = {"id": np.int64} | {c: (str if c in _TEXT_COLUMNS else np.float64) for c in columns}
    keys = ("id", "ts") if id_column else ("ts",)
    return _copy_out(
        conn,
        names or table,
        (*keys, *columns),
        symbol_id,
        start,
        end,
        order=keys[::-1],
        dtypes=dtypes,
    )


def time_range(
    conn: Connection, table: str | TableNames, symbol_id: int
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """``(first, last)`` stored ``ts`` of ``symbol_id`` in a table (UTC), or None if it has no rows."""
    names = DEFAULT_NAMES[table] if isinstance(table, str) else table
    ts = names.column("ts")
    query = sql.SQL("SELECT min({ts}), max({ts}) FROM {t} WHERE {sid} = %s").format(
        ts=ts, t=names.identifier(), sid=names.column("symbol_id")
    )
    with conn.cursor() as cur:
        cur.execute(query, (int(symbol_id),))
        first, last = cur.fetchone()
    if first is None:
        return None
    return pd.Timestamp(first).tz_convert("UTC"), pd.Timestamp(last).tz_convert("UTC")


def _copy_out(
    conn: Connection,
    table: str | TableNames,
    columns: Sequence[str],
    symbol_id: int,
    start: TimeBound,
    end: TimeBound,
    order: Sequence[str],
    dtypes: dict[str, object],
) -> pd.DataFrame:
    """``COPY (SELECT columns FROM table WHERE ...) TO STDOUT`` as a DataFrame; ``ts`` is
    sent as integer microseconds since the epoch (exact) and returned as UTC datetimes.
    ``table`` is one of this project's tables or a `TableNames` mapping this
    project's column names to stored ones."""
    names = DEFAULT_NAMES[table] if isinstance(table, str) else table
    ts = names.column("ts")
    select = [
        sql.SQL("(extract(epoch FROM {}) * 1000000)::bigint").format(ts)
        if c == "ts"
        else names.column(c)
        for c in columns
    ]
    where = [sql.SQL("{} = {}").format(names.column("symbol_id"), sql.Literal(int(symbol_id)))]
    low, high = _bound(start, "start"), _bound(end, "end")
    if low is not None:
        where.append(sql.SQL("{} >= {}").format(ts, sql.Literal(low)))
    if high is not None:
        where.append(sql.SQL("{} < {}").format(ts, sql.Literal(high)))
    query = sql.SQL(
        "COPY (SELECT {} FROM {} WHERE {} ORDER BY {}) TO STDOUT WITH (FORMAT csv)"
    ).format(
        sql.SQL(", ").join(select),
        names.identifier(),
        sql.SQL(" AND ").join(where),
        sql.SQL(", ").join(map(names.column, order)),
    )
    buffer = io.BytesIO()
    with conn.cursor() as cur:
        # Shortest exact float text (PostgreSQL >= 12 for any value > 0).
        cur.execute("SET extra_float_digits = 3")
        cur.copy_expert(query.as_string(cur), buffer)
    buffer.seek(0)
    names = list(columns)
    if buffer.getbuffer().nbytes == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, np.int64)) for c in names})
    else:
        frame = pd.read_csv(
            buffer,
            header=None,
            names=names,
            dtype={"ts": np.int64, **dtypes},
            **CSV_EXACT_FLOATS,
            keep_default_na=False,
            na_values=[""],
        )
    frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), unit="us", utc=True).as_unit(
        "ns"
    )
    return frame


def _bound(value: TimeBound, name: str) -> datetime | None:
    """A query bound as a UTC datetime; naive or unparsable values raise `ParityError`."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParityError(f"{name} {value!r} is not a time") from None
    if stamp.tzinfo is None:
        raise ParityError(f"{name} {value!r} has no timezone; give UTC, e.g. 2024-01-01T00:00Z")
    return stamp.tz_convert("UTC").to_pydatetime()
