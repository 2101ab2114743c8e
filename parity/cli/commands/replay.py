"""``parity replay --symbol SYM``: write the live rows a live engine would have written.

::

    parity replay --symbol XRPETH                      # the last 25 h of its trades
    parity replay --symbol DEMO-USD --start 2025-01-30T00:00Z --end 2025-01-31T00:00Z --seed 3
    parity replay --symbol DEMO-USD --no-imperfections --replace

Reads the symbol's stored trades, runs `parity_fixtures.replay.replay_live_rows` (the
exact trade-tape path, `calculators.compute_from_trades`, with a live engine's
imperfections) and appends the rows to ``volume_profile``, ``order_flow`` and
``market_state`` in one transaction.  ``candles`` and ``trades`` are never
touched.  If the window already has live rows for the symbol it refuses
(exit 2) unless ``--replace``, which deletes exactly those rows first: the live
tables may hold a real engine's rows, which a fixture must not overwrite
silently.  See ``docs/fixtures.md``.
"""

from __future__ import annotations

import argparse

import psycopg2

from parity.cli.options import add_dsn_option, add_params_options, params_from_args
from parity.cli.output import replay_lines
from parity.db.connect import connect, database_error, resolve_dsn
from parity.db.schema import apply_schema
from parity.worlds import replay_symbol
from parity_fixtures.replay import Imperfections

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``parity replay``."""
    parser = subparsers.add_parser(
        "replay",
        help="replay a symbol's trades into the live tables, as a live engine would write them",
        description=(
            "Replay a symbol's stored trades through the exact (trade-tape) calculators and "
            "write the rows a live engine would have written to volume_profile, order_flow and "
            "market_state: the row of the bar opened at t is written at t + 1 min + a delay of "
            "1-8 s, with one 12-minute restart gap and 0.5 % of the rows written twice "
            "(--no-imperfections: one row per bar, at t + 1 min exactly). Never touches "
            "candles or trades. One transaction."
        ),
    )
    parser.add_argument("--symbol", required=True, help="a symbol with stored trades")
    parser.add_argument(
        "--start",
        default=None,
        metavar="T",
        help="first bar (open time, whole minute, ISO 8601; naive = UTC). Default: --end - 25 h",
    )
    parser.add_argument(
        "--end",
        default=None,
        metavar="T",
        help=(
            "end of the window, exclusive (whole minute). Default: the last trade's minute "
            "+ 1 minute, so the window is the last 25 hours of the trades"
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the imperfections (integer >= 0; default 0)"
    )
    parser.add_argument(
        "--no-imperfections",
        action="store_true",
        help="a perfect engine: no write delay, no restart gap, no duplicates",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help=(
            "delete the symbol's live rows of the window (rows whose bar, floor(ts) - 1 min, "
            "opened in [start, end)) before writing; without it, existing rows make it refuse"
        ),
    )
    add_params_options(parser)
    add_dsn_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    params = params_from_args(args)
    imperfections = Imperfections.none() if args.no_imperfections else Imperfections()
    dsn = resolve_dsn(args.dsn)
    conn = connect(dsn)
    try:
        apply_schema(conn)
        outcome = replay_symbol(
            conn,
            args.symbol.strip(),
            start=args.start,
            end=args.end,
            params=params,
            imperfections=imperfections,
            seed=args.seed,
            replace=args.replace,
        )
        conn.commit()
    except psycopg2.Error as exc:
        raise database_error(exc, dsn, f"replaying {args.symbol}") from None
    finally:
        conn.close()  # without a commit, closing rolls everything back
    for line in replay_lines(outcome):
        print(line)
    return 0
