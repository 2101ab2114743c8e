"""Candles for the backtest engine: from PostgreSQL (read-only) or from a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtest.engine import CandleSource
from parity.db.connect import connect, read_only
from parity.db.schema import symbol_info
from parity.db.store import read_candles
from parity.errors import ParityError
from parity.io.tables import candles_frame, read_table

__all__ = ["file_candle_source", "postgres_candle_source"]


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


def file_candle_source(path: str | Path) -> CandleSource:
    """A ``candle_source(symbol, start, end)`` over a candle file (CSV or
    Parquet with ``ts, open, high, low, close, volume``; read and checked
    once, `parity.io.tables.candles_frame`): bars opened in ``[start, end)``,
    whatever the symbol (a file holds one).  `ParityError` when none are."""
    candles = candles_frame(read_table(path))

    def load(symbol: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        part = candles.loc[(candles.index >= start) & (candles.index < end)]
        if part.empty:
            raise ParityError(
                f"{path}: no candles in [{start}, {end}) (the file covers "
                f"{candles.index[0]} to {candles.index[-1]})"
            )
        return part

    return load
