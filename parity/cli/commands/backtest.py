"""``parity backtest``: backtest one symbol over any period, from candles only.

With ``--json`` exactly one JSON document goes to stdout (for the calling
service) and everything else to stderr.  Otherwise a readable summary, and
with ``--out`` the files of `parity.backtesting.report`.  ``--compare-live``
adds trade-level parity over the hours where live rows exist.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from backtest import BacktestEngine
from calculators import compute
from parity.backtesting.report import write_backtest
from parity.backtesting.source import postgres_candle_source
from parity.cli.errors import EXIT_OK, ParityError
from parity.cli.options import add_dsn_option, add_params_options, params_from_args
from parity.cli.progress import progress_bar
from parity.common.trades import trade_parity
from parity.db.connect import connect, resolve_dsn
from parity.harness.config import HarnessConfig
from parity.harness.source import load_symbol

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="backtest a symbol over any period, indicators computed on the fly from candles",
    )
    add_period_options(parser)
    add_dsn_option(parser)
    add_params_options(parser)
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="write result.json, trades.csv, equity.csv, report.html",
    )
    parser.add_argument(
        "--json", action="store_true", help="print exactly one JSON document on stdout"
    )
    parser.add_argument(
        "--compare-live",
        action="store_true",
        help="also walk the strategy on the stored live rows and report the trades that match",
    )
    parser.set_defaults(func=run)


def add_period_options(parser: argparse.ArgumentParser) -> None:
    """``--symbol SYM --start T --end T`` (required; UTC, end exclusive)."""
    from parity.cli.commands.run import parse_time

    parser.add_argument("--symbol", required=True, metavar="SYM")
    parser.add_argument(
        "--start", required=True, type=parse_time, metavar="T", help="first bar traded (UTC)"
    )
    parser.add_argument(
        "--end", required=True, type=parse_time, metavar="T", help="end of the period (exclusive)"
    )


def run(args: argparse.Namespace) -> int:
    params = params_from_args(args)
    if args.start >= args.end:
        raise ParityError("--start must be before --end")
    dsn = resolve_dsn(args.dsn)
    engine = BacktestEngine(params)
    candles = postgres_candle_source(dsn)(args.symbol, args.start - engine.warmup, args.end)
    with progress_bar("backtest") as progress:
        result = engine.run(args.symbol, args.start, args.end, candles=candles, progress=progress)
    document = result.to_dict()
    if args.compare_live:
        document["compare_live"] = _compare_live(dsn, params, args)
    if args.out:
        write_backtest(args.out, result, candles)
    if args.json:
        json.dump(document, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return EXIT_OK
    _print(document)
    if args.out:
        print(f"report: {args.out}/report.html", file=sys.stderr)
    return EXIT_OK


def _compare_live(dsn: str, params, args: argparse.Namespace) -> dict:
    """Trade-level parity over the part of ``[start, end)`` with live rows."""
    config = HarnessConfig(params=params)
    conn = connect(dsn)
    try:
        data = load_symbol(conn, config, args.symbol)
    finally:
        conn.close()
    start, end = max(args.start, data.start), min(args.end, data.end)
    if start >= end:
        raise ParityError(
            f"no live rows of {args.symbol!r} in the period (they cover {data.start} to {data.end})"
        )
    calculated = compute(data.candles, params)
    return trade_parity(
        data.candles, calculated, data.live, params, pd.Timestamp(start), pd.Timestamp(end)
    )


def _print(document: dict) -> None:
    print(
        f"{document['symbol']}  {document['start']} to {document['end']}  params {document['params_digest']}"
    )
    for key, value in document["stats"].items():
        print(f"  {key:22} {value}")
    live = document.get("compare_live")
    if live:
        print("trade-level parity with the live rows:")
        for key, value in live.items():
            print(f"  {key:22} {value}")
