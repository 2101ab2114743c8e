"""``parity fixtures demo|real``: the ready-made worlds.

::

    parity fixtures demo [--days 30] [--seed 1]     # simulated DEMO-USD + 25 h of live rows
    parity fixtures real [--data-dir DIR]           # real XRP/ETH + 25 h of live rows, and candles

Both are idempotent: a world already built with the same parameters is left
as it is (a marker row in ``parity_meta.parity_fixtures`` records it).  The
demo world owns the symbol ``DEMO-USD`` and rebuilds it from scratch when its
parameters change.  See ``docs/fixtures.md`` and `parity.worlds`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import psycopg2

from parity.cli.options import add_dsn_option
from parity.cli.output import world_lines
from parity.datadir import resolve_data_dir
from parity.db.connect import connect, database_error, resolve_dsn
from parity.worlds import (
    DEMO_DAYS,
    DEMO_SEED,
    DEMO_SYMBOL,
    REAL_CANDLE_FILES,
    REAL_TRADE_SYMBOL,
    WorldOutcome,
    build_demo_world,
    build_real_world,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``parity fixtures demo`` and ``parity fixtures real``."""
    parser = subparsers.add_parser(
        "fixtures",
        help="build the ready-made worlds: the simulated demo, the real data",
        description=(
            "Build a ready-made world in PostgreSQL (idempotent: a world already built with "
            "the same parameters is left alone)."
        ),
    )
    sub = parser.add_subparsers(dest="fixtures_command", metavar="WORLD")
    sub.required = True

    demo = sub.add_parser(
        "demo",
        help=f"simulated {DEMO_SYMBOL}: trades, candles and 25 h of replayed live rows",
        description=(
            f"Simulate {DEMO_SYMBOL} (tick 0.01) from 2025-01-01: --days days of trades and "
            "1-minute candles, and the live rows of the last 25 hours replayed with a live "
            "engine's imperfections. The demo world owns the symbol: when it was built with "
            "other parameters (or its rows changed), all its rows are deleted and rebuilt."
        ),
    )
    demo.add_argument(
        "--days",
        type=float,
        default=DEMO_DAYS,
        help=f"days to simulate (default {DEMO_DAYS}; at least 2)",
    )
    demo.add_argument(
        "--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})"
    )
    add_dsn_option(demo)
    demo.set_defaults(func=_demo)

    symbol, _, trades_name, candles_name = REAL_TRADE_SYMBOL
    others = ", ".join(f"{name} ({file})" for name, file in REAL_CANDLE_FILES)
    real = sub.add_parser(
        "real",
        help=f"the real data: {symbol} trades, candles and 25 h of replayed live rows, and candles",
        description=(
            f"Load {symbol} (tick 1e-8) from {trades_name} and {candles_name}, replay the live "
            f"rows of the last 25 hours of its trades (replacing that window's live rows), and "
            f"load candles only for {others}. Loads are idempotent."
        ),
    )
    real.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=(
            "the real-data directory (default: $PARITY_DATA_DIR, else ../shared/data from the "
            "current directory, else from the project root)"
        ),
    )
    real.add_argument(
        "--seed", type=int, default=0, help="seed of the replay's imperfections (default 0)"
    )
    add_dsn_option(real)
    real.set_defaults(func=_real)


def _demo(args: argparse.Namespace) -> int:
    return _build(args, lambda conn: build_demo_world(conn, days=args.days, seed=args.seed))


def _real(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    return _build(args, lambda conn: build_real_world(conn, data_dir, seed=args.seed))


def _build(args: argparse.Namespace, build) -> int:
    began = time.perf_counter()
    dsn = resolve_dsn(args.dsn)
    conn = connect(dsn)
    try:
        outcome: WorldOutcome = build(conn)
        conn.commit()
    except psycopg2.Error as exc:
        raise database_error(exc, dsn, f"building the {args.fixtures_command} world") from None
    finally:
        conn.close()
    for line in world_lines(outcome):
        print(line)
    verb = "built" if outcome.built else "checked"
    print(f"{outcome.name} world {verb} in {time.perf_counter() - began:.2f} s")
    return 0
