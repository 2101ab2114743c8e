"""``parity run``: compare the calculators with the stored live rows and gate the result.

Exit codes: 0 every threshold holds, 1 a threshold failed (or ``--self-check``
found a difference), 2 bad input, bad configuration or unreachable database.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from parity.cli.errors import EXIT_GATE_FAILED, EXIT_OK, ParityError
from parity.cli.options import add_dsn_option, add_scheduler_option, out_dir
from parity.cli.output import print_summary
from parity.cli.progress import progress_bar
from parity.db.connect import connect, resolve_dsn
from parity.harness import run_parity
from parity.harness.config import load_config
from parity.harness.runner import self_check
from parity.harness.source import live_symbols, load_symbol

__all__ = ["add_window_options", "parse_time", "register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="compare calculators with stored live rows; write the report; gate (exit 0/1/2)",
        description=(
            "Run the candle-only calculators over the hours where stored live rows exist, "
            "compare minute by minute, write the parity report and judge the thresholds of "
            "the config. Exit 0 = pass, 1 = a threshold failed, 2 = bad input."
        ),
    )
    add_dsn_option(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--symbol", action="append", default=[], metavar="SYM", help="a symbol (repeatable)"
    )
    which.add_argument(
        "--all", action="store_true", help="every symbol with live rows (the default)"
    )
    add_window_options(parser)
    parser.add_argument(
        "--config", default=None, metavar="FILE", help="parity.toml (default: built-in defaults)"
    )
    parser.add_argument(
        "--out",
        default="parity-report",
        type=out_dir,
        metavar="DIR",
        help="report directory (default: parity-report/)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="symbols compared in parallel (processes)"
    )
    add_scheduler_option(parser)
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="compare the live rows with themselves and the calculators with themselves; both must be perfect",
    )
    parser.set_defaults(func=run)


def add_window_options(parser: argparse.ArgumentParser) -> None:
    """``--start T --end T``: a UTC window of bar open times, end exclusive."""
    parser.add_argument(
        "--start",
        type=parse_time,
        default=None,
        metavar="T",
        help="first bar (UTC, e.g. 2024-01-01T00:00Z)",
    )
    parser.add_argument(
        "--end", type=parse_time, default=None, metavar="T", help="end of the window (exclusive)"
    )


def parse_time(text: str) -> pd.Timestamp:
    """A UTC timestamp from the command line; naive times are taken as UTC."""
    try:
        stamp = pd.Timestamp(text)
        if stamp is pd.NaT:
            raise ValueError
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp.as_unit("ns")
    except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time between 1677-09-22 and 2262-04-11 (use e.g. 2024-01-01T00:00Z)"
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise ParityError("--jobs must be >= 1")
    if (args.start is None) != (args.end is None):
        raise ParityError("give both --start and --end, or neither")
    if args.start is not None and args.start >= args.end:
        raise ParityError("--start must be before --end")
    config = load_config(args.config)
    dsn = resolve_dsn(args.dsn)
    conn = connect(dsn)
    try:
        symbols = args.symbol or live_symbols(conn, config)
        if not symbols:
            raise ParityError("no symbol has live rows; nothing to compare")
        if args.self_check:
            return _self_check(conn, config, symbols, args)
    finally:
        conn.close()
    began = time.perf_counter()
    with progress_bar(f"parity ({len(symbols)} symbols)") as progress:
        result = run_parity(
            dsn,
            config,
            symbols,
            start=args.start,
            end=args.end,
            out=args.out,
            jobs=args.jobs,
            config_path=args.config,
            scheduler=args.scheduler,
            progress=progress,
        )
    print_summary(result.report, time.perf_counter() - began, args.out)
    return EXIT_OK if result.passed else EXIT_GATE_FAILED


def _self_check(conn, config, symbols: list[str], args: argparse.Namespace) -> int:
    perfect = True
    for symbol in symbols:
        checks = self_check(load_symbol(conn, config, symbol, args.start, args.end), config)
        for name, ok in checks.items():
            print(f"{symbol}: {name}: {'perfect' if ok else 'DIFFERENCES FOUND'}")
            perfect &= ok
    print(
        "self-check passed: the harness adds no false divergences"
        if perfect
        else "self-check FAILED",
        file=sys.stderr,
    )
    return EXIT_OK if perfect else EXIT_GATE_FAILED
