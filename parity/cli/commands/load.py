"""``parity load candles|trades FILE --symbol SYM``: validate a file, then store it.

The file is read and validated before the database is touched; the write is one
transaction (schema, symbol, rows) committed once, so a failure stores nothing.
Loading the same file twice inserts nothing the second time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import psycopg2

from calculators import InvalidInputError
from parity.cli.options import add_dsn_option
from parity.cli.progress import progress_bar
from parity.db.connect import connect, database_error, resolve_dsn
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_trades
from parity.io.tables import candles_frame, parse_column_map, read_table, trades_frame

__all__ = ["register"]

_MAP_HELP = (
    "rename a file column before validation, FILE_COLUMN=OUR_COLUMN "
    "(e.g. --map open_time=ts); repeat for several"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``parity load candles`` and ``parity load trades``."""
    parser = subparsers.add_parser(
        "load",
        help="load a candle or trade file (CSV, CSV.gz, Parquet) into PostgreSQL",
        description="Validate a candle or trade file, then store it in one transaction.",
    )
    sub = parser.add_subparsers(dest="load_command", metavar="KIND")
    sub.required = True

    kinds = {
        "candles": "1-minute candles: ts (bar open, ISO with offset), open, high, low, close, volume",
        "trades": "trades: ts_ms (epoch ms) or ts, trade_id (optional), price, amount, side",
    }
    for kind, help_text in kinds.items():
        command = sub.add_parser(kind, help=help_text)
        command.add_argument("file", type=Path, metavar="FILE")
        command.add_argument("--symbol", required=True, help="symbol name, e.g. XRPETH")
        command.add_argument(
            "--tick-size",
            type=float,
            default=None,
            metavar="X",
            help="price increment of a new symbol (default: the largest power of ten dividing all prices)",
        )
        command.add_argument(
            "--map", action="append", default=[], metavar="SRC=DST", help=_MAP_HELP
        )
        add_dsn_option(command)
        command.set_defaults(func=lambda args, kind=kind: _load(args, kind))


def _load(args: argparse.Namespace, kind: str) -> int:
    with progress_bar(f"load {kind}") as progress:
        return _load_steps(args, kind, progress)


def _load_steps(args: argparse.Namespace, kind: str, progress) -> int:
    """Read (a third), validate (a third), write (the rest): ``progress`` between."""
    began = time.perf_counter()
    mapping = parse_column_map(args.map)
    raw = read_table(args.file, mapping)
    if raw.empty:
        raise InvalidInputError(f"{args.file}: no rows (the file has only a header)")
    progress(1 / 3)
    try:
        frame = candles_frame(raw) if kind == "candles" else trades_frame(raw)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{args.file}: {exc}") from None
    progress(2 / 3)
    if frame.empty:
        raise InvalidInputError(f"{args.file}: no rows")
    if kind == "candles":
        prices = frame[["open", "high", "low", "close"]].to_numpy()
    else:
        prices = frame["price"].to_numpy()
    validated = time.perf_counter()

    dsn = resolve_dsn(args.dsn)
    conn = connect(dsn)
    try:
        apply_schema(conn)
        symbol_id = ensure_symbol(conn, args.symbol, args.tick_size, prices)
        writer = write_candles if kind == "candles" else write_trades
        inserted = writer(conn, symbol_id, frame)
        conn.commit()
        progress(1.0)
    except psycopg2.Error as exc:
        raise database_error(exc, dsn, f"loading {args.file}") from None
    finally:
        conn.close()  # without a commit, closing rolls everything back
    done = time.perf_counter()

    rows = len(frame)
    elapsed = done - began
    print(f"{kind} {args.symbol.strip()}: {rows:,} rows read from {args.file}")
    print(f"inserted {inserted:,}, already present {rows - inserted:,}")
    print(
        f"elapsed {elapsed:.2f} s (read+validate {validated - began:.2f} s, "
        f"database {done - validated:.2f} s), {rows / elapsed:,.0f} rows/s"
    )
    return 0
