"""Candles for the backtest engine: from PostgreSQL (read-only) or a DataFrame.

`load_candles` is the one way `parity backtest` and `parity sweep` get their
data: ``source`` is a DSN (each task reads its own symbol and span) or a
DataFrame of candles already in memory.
"""

from __future__ import annotations

import pandas as pd

from backtest.engine import CandleSource
from parity.db.connect import connect, read_only
from parity.db.schema import symbol_info
from parity.db.store import read_candles

__all__ = ["CandleData", "load_candles", "postgres_candle_source"]

#: Where candles come from: a PostgreSQL DSN, or the candles themselves.
CandleData = str | pd.DataFrame


def postgres_candle_source(dsn: str) -> CandleSource:
    """A ``candle_source(symbol, start, end)`` reading the ``candles`` table
    (bars opened in ``[start, end)``) in a read-only transaction."""

    def load(symbol: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        conn = connect(dsn)
        try:
            with read_only(conn):
                symbol_id, _ = symbol_info(conn, symbol)
                return read_candles(conn, symbol_id, start, end)
        finally:
            conn.close()

    return load


def load_candles(
    source: CandleData, symbol: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The candles of ``symbol`` opened in ``[start, end)``: read from the DSN
    ``source``, or ``source`` itself when it is a DataFrame (the engine cuts
    the span it needs from it)."""
    if isinstance(source, pd.DataFrame):
        return source
    return postgres_candle_source(source)(symbol, start, end)
