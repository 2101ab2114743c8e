"""``parity demo``: the newcomer's first command.

Starts the embedded PostgreSQL (unless ``--dsn``; ``$PARITY_DSN`` is ignored,
so the demo never writes into a database the user set for ``parity run``), builds the
simulated demo world if it is not there yet (30 days of DEMO-USD candles, 25
hours of replayed live rows at the end), runs parity over those 25 hours with
the packaged demo configuration, writes the report and prints a short table
and where the HTML report is.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg2

from parity.cli.errors import EXIT_GATE_FAILED, EXIT_OK
from parity.cli.options import add_dsn_option, out_dir
from parity.cli.output import print_summary, world_lines
from parity.cli.progress import progress_bar
from parity.db.connect import connect, database_error, redact_dsn, resolve_dsn
from parity.harness import run_parity
from parity.harness.config import load_config
from parity.worlds import DEMO_DAYS, DEMO_SEED, DEMO_SYMBOL, build_demo_world

__all__ = ["DEMO_CONFIG", "register"]

#: The demo's configuration: this project's schema and thresholds calibrated on the demo world.
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "demo.toml"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="start the embedded PostgreSQL, build the demo world, run parity, print where the report is",
    )
    add_dsn_option(parser, environment=False)
    parser.add_argument(
        "--out",
        default="parity-report",
        type=out_dir,
        metavar="DIR",
        help="report directory (default: parity-report/)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    dsn = resolve_dsn(args.dsn, environment=False)
    print(f"database: {redact_dsn(dsn)}", file=sys.stderr)
    conn = connect(dsn)
    try:
        outcome = build_demo_world(conn, days=DEMO_DAYS, seed=DEMO_SEED)
        conn.commit()
    except psycopg2.Error as exc:
        raise database_error(exc, dsn, "building the demo world") from None
    finally:
        conn.close()
    for line in world_lines(outcome):
        print(line, file=sys.stderr)
    config = load_config(DEMO_CONFIG)
    with progress_bar("parity") as progress:
        result = run_parity(
            dsn,
            config,
            [DEMO_SYMBOL],
            out=args.out,
            config_path=str(DEMO_CONFIG),
            progress=progress,
        )
    print_summary(result.report, time.perf_counter() - began, args.out)
    return EXIT_OK if result.passed else EXIT_GATE_FAILED
