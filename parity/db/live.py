"""SQL on the live tables (``volume_profile``, ``order_flow``, ``market_state``):
count and delete a symbol's rows by bar window.

A live row written at ``ts`` belongs to the bar opened at ``floor(ts) - 1 min``
(the timing rule, ``docs/fixtures.md``).  Nothing here commits: the caller
owns the transaction.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg2.extensions
from psycopg2 import sql

from calculators.timeutil import utc_time
from parity.db.tables import LIVE_COLUMNS

__all__ = ["count_live_rows", "delete_live_rows", "delete_symbol_rows"]

Connection = psycopg2.extensions.connection

_MINUTE = pd.Timedelta(minutes=1)


def count_live_rows(
    conn: Connection,
    symbol_id: int,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> int:
    """Rows of ``symbol_id`` in the three live tables whose bar (``floor(ts) - 1 min``)
    opened in ``[start, end)`` (whole minutes; either bound optional)."""
    where, args = _live_where(symbol_id, start, end)
    parts = sql.SQL(" + ").join(
        sql.SQL("(SELECT count(*) FROM {} WHERE {})").format(sql.Identifier(t), where)
        for t in LIVE_COLUMNS
    )
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT {}").format(parts), args * len(LIVE_COLUMNS))
        return int(cur.fetchone()[0])


def delete_live_rows(
    conn: Connection,
    symbol_id: int,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> int:
    """Delete the rows `count_live_rows` counts; returns how many.  No commit."""
    where, args = _live_where(symbol_id, start, end)
    total = 0
    with conn.cursor() as cur:
        for table in LIVE_COLUMNS:
            cur.execute(
                sql.SQL("DELETE FROM {} WHERE {}").format(sql.Identifier(table), where), args
            )
            total += cur.rowcount
    return total


def _live_where(
    symbol_id: int, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> tuple[sql.Composable, list[Any]]:
    clauses = [sql.SQL("symbol_id = %s")]
    args: list[Any] = [int(symbol_id)]
    if start is not None:
        clauses.append(sql.SQL("ts >= %s"))
        args.append((utc_time(start, "start") + _MINUTE).to_pydatetime())
    if end is not None:
        clauses.append(sql.SQL("ts < %s"))
        args.append((utc_time(end, "end") + _MINUTE).to_pydatetime())
    return sql.SQL(" AND ").join(clauses), args


def delete_symbol_rows(conn: Connection, symbol_id: int) -> int:
    """Delete every row of ``symbol_id``: live rows, trades and candles; returns
    how many.  No commit."""
    total = delete_live_rows(conn, symbol_id)
    with conn.cursor() as cur:
        for table in ("trades", "candles"):
            cur.execute(
                sql.SQL("DELETE FROM {} WHERE symbol_id = %s").format(sql.Identifier(table)),
                (int(symbol_id),),
            )
            total += cur.rowcount
    return total
