"""``parity backtest``: backtest symbols over any period, from candles only.

One symbol (``--symbol``): its result.  Several (``--symbols A B ...`` or
``--all``, every symbol of the database): one task per symbol
(`parity.execution`, ``--jobs N`` / ``--scheduler``) and a document
``{"symbols": [...], "results": [one result document per symbol], "summary":
[{"symbol", statistics...}]}``; ``--out`` then writes one directory per symbol
and ``summary.csv``.

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

from calculators import compute
from parity.backtesting.batch import run_backtests, summary_rows
from parity.backtesting.report import write_backtest, write_backtests
from parity.backtesting.source import load_candles
from parity.cli.errors import EXIT_OK, ParityError
from parity.cli.options import (
    add_dsn_option,
    add_params_options,
    add_scheduler_option,
    params_from_args,
)
from parity.cli.progress import progress_bar
from parity.common.trades import trade_parity
from parity.db.connect import connect, resolve_dsn
from parity.db.schema import list_symbols
from parity.harness.config import HarnessConfig
from parity.harness.source import load_symbol

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="backtest a symbol over any period, indicators computed on the fly from candles",
    )
    add_period_options(parser, several=True)
    add_dsn_option(parser)
    add_params_options(parser)
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="symbols run in parallel (processes)"
    )
    add_scheduler_option(parser)
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


def add_period_options(parser: argparse.ArgumentParser, several: bool = False) -> None:
    """``--symbol SYM --start T --end T`` (required; UTC, end exclusive); with
    ``several``, ``--symbols A B ...`` or ``--all`` may replace ``--symbol``."""
    from parity.cli.commands.run import parse_time

    if several:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--symbol", metavar="SYM", help="one symbol")
        which.add_argument("--symbols", nargs="+", metavar="SYM", help="several symbols")
        which.add_argument("--all", action="store_true", help="every symbol of the database")
    else:
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
    if args.jobs < 1:
        raise ParityError("--jobs must be >= 1")
    dsn = resolve_dsn(args.dsn)
    symbols = _symbols(args, dsn)
    if args.compare_live and not args.symbol:
        raise ParityError("--compare-live takes one --symbol")
    with progress_bar(f"backtest ({len(symbols)} symbols)") as progress:
        results = run_backtests(
            dsn, params, symbols, args.start, args.end, args.jobs,
            scheduler=args.scheduler, progress=progress,
        )  # fmt: skip
    if args.symbol:
        return _one(results[0], dsn, params, args)
    documents = [r.to_dict() for r in results]
    summary = summary_rows(documents)
    if args.out:
        write_backtests(args.out, results, lambda r: _candles_of(dsn, params, r), summary)
    if args.json:
        document = {"symbols": symbols, "results": documents, "summary": summary}
        json.dump(document, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return EXIT_OK
    print(pd.DataFrame(summary).to_string(index=False))
    if args.out:
        print(f"reports: {args.out}/<symbol>/report.html, {args.out}/summary.csv", file=sys.stderr)
    return EXIT_OK


def _symbols(args: argparse.Namespace, dsn: str) -> list[str]:
    if args.symbol:
        return [args.symbol]
    if args.symbols:
        return list(dict.fromkeys(args.symbols))
    conn = connect(dsn)
    try:
        names = [row.symbol for row in list_symbols(conn)]
    finally:
        conn.close()
    if not names:
        raise ParityError("the database has no symbols")
    return names


def _candles_of(dsn: str, params, result) -> pd.DataFrame:
    """The candles a result's report draws (read again, on this machine)."""
    warmup = pd.Timedelta(minutes=params.lookback_period)
    return load_candles(dsn, result.symbol, result.start - warmup, result.end)


def _one(result, dsn: str, params, args: argparse.Namespace) -> int:
    document = result.to_dict()
    if args.compare_live:
        document["compare_live"] = _compare_live(dsn, params, args)
    if args.out:
        write_backtest(args.out, result, _candles_of(dsn, params, result))
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
