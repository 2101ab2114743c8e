"""Candles from PostgreSQL for the backtest engine (read-only)."""

from __future__ import annotations

import pandas as pd

from backtest.engine import CandleSource
from parity.db.connect import connect, read_only
from parity.db.schema import symbol_info
from parity.db.store import read_candles

__all__ = ["postgres_candle_source"]


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
