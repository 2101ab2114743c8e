"""Read one symbol's candles and live rows for a parity run (read-only).

Every read happens inside `parity.db.connect.read_only` (a READ ONLY,
REPEATABLE READ transaction, rolled back at the end), through the table and
column names of the ``[schema]`` configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from parity.db.connect import read_only
from parity.db.schema import list_symbols, symbol_info
from parity.db.store import LIVE_COLUMNS, read_candles, read_live_rows, time_range
from parity.errors import ParityError
from parity.harness.align import align_rows, bar_of
from parity.harness.config import HarnessConfig

__all__ = ["SymbolData", "live_symbols", "load_symbol"]

_MINUTE = pd.Timedelta(minutes=1)


@dataclass(frozen=True)
class SymbolData:
    """What the harness needs of one symbol.

    ``candles`` cover ``[start - lookback, end)``; ``live`` holds one row per
    bar in ``[start, end)`` with the metric columns, in this project's units
    and labels; ``first_candle`` is the symbol's earliest stored candle (for
    the warm-up rule); ``rows_written`` / ``duplicates`` count per live table.
    """

    symbol: str
    tick_size: float
    start: pd.Timestamp
    end: pd.Timestamp
    first_candle: pd.Timestamp
    candles: pd.DataFrame
    live: pd.DataFrame
    rows_written: dict[str, int]
    duplicates: dict[str, int]


def live_symbols(conn, config: HarnessConfig) -> list[str]:
    """Symbols that have rows in at least one live table, by name."""
    tables = config.schema.tables
    found = []
    with read_only(conn):
        for row in list_symbols(conn, tables["symbols"]):
            if any(time_range(conn, tables[t], row.id) for t in LIVE_COLUMNS):
                found.append(row.symbol)
    return found


def load_symbol(
    conn,
    config: HarnessConfig,
    symbol: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> SymbolData:
    """Read ``symbol``'s candles (with the lookback's warm-up) and its live rows.

    Without ``start``/``end`` the window is where live rows and candles
    overlap: from the later of the first live bar and the first candle to the
    earlier of the last live bar and the last candle (inclusive).
    Raises `ParityError` when there are no candles, no live rows or no overlap.
    """
    schema = config.schema
    tables = schema.tables
    offset = config.bar_offset_minutes
    lookback = config.params.lookback_period * _MINUTE
    with read_only(conn):
        symbol_id, tick_size = symbol_info(conn, symbol, tables["symbols"])
        candle_range = time_range(conn, tables["candles"], symbol_id)
        if candle_range is None:
            raise ParityError(f"symbol {symbol!r} has no candles")
        live_ranges = [r for t in LIVE_COLUMNS if (r := time_range(conn, tables[t], symbol_id))]
        if not live_ranges and (start is None or end is None):
            raise ParityError(f"symbol {symbol!r} has no live rows; give --start and --end")
        if start is None:
            first_live = min(bar_of(pd.DatetimeIndex([r[0]]), offset)[0] for r in live_ranges)
            start = max(first_live, candle_range[0])
        if end is None:
            last_live = max(bar_of(pd.DatetimeIndex([r[1]]), offset)[0] for r in live_ranges)
            end = min(last_live, candle_range[1]) + _MINUTE
        if start >= end:
            raise ParityError(f"symbol {symbol!r}: live rows and candles do not overlap")
        candles = read_candles(conn, symbol_id, start - lookback, end, tables["candles"])
        live, written, duplicates = {}, {}, {}
        for table, columns in LIVE_COLUMNS.items():
            rows = read_live_rows(
                conn, table, symbol_id, start + offset * _MINUTE, end + offset * _MINUTE,
                tables[table], id_column=schema.id_columns[table],
            )  # fmt: skip
            aligned = align_rows(_to_project_units(rows, columns, config), offset)
            live[table], written[table], duplicates[table] = (
                aligned.rows,
                aligned.written,
                aligned.duplicates,
            )
    frame = pd.concat(live.values(), axis=1).sort_index()
    frame = frame.loc[(frame.index >= start) & (frame.index < end)]
    if "buy_volume" in frame and "sell_volume" in frame:
        frame["delta"] = frame["buy_volume"] - frame["sell_volume"]
    return SymbolData(
        symbol=symbol,
        tick_size=tick_size,
        start=start,
        end=end,
        first_candle=candle_range[0],
        candles=candles,
        live=frame,
        rows_written=written,
        duplicates=duplicates,
    )


def _to_project_units(
    rows: pd.DataFrame, columns: tuple[str, ...], config: HarnessConfig
) -> pd.DataFrame:
    """Scale stored values by ``[schema.units]`` and map state labels."""
    rows = rows.copy()
    for column in columns:
        factor = config.schema.units.get(column)
        if factor is not None:
            rows[column] = rows[column] * factor
    if "state" in rows:
        labels = rows["state"]
        present = labels.notna()
        rows.loc[present, "state"] = [config.schema.state_label(s) for s in labels[present]]
    return rows
