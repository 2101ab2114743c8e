"""``parity sweep``: backtest every combination of a parameter grid on one period.

Writes ``sweep.csv``, ``sweep.md`` and ``sweep.html`` (heat maps of trade
count and net P&L per combination) into ``--out`` and prints the Markdown table.
"""

from __future__ import annotations

import argparse
import sys

from parity.backtesting.report import sweep_markdown, write_sweep
from parity.backtesting.sweep import combinations, parse_grid, run_sweep
from parity.cli.commands.backtest import add_period_options
from parity.cli.errors import EXIT_OK, ParityError
from parity.cli.options import (
    add_dsn_option,
    add_params_options,
    add_scheduler_option,
    params_from_args,
)
from parity.cli.progress import progress_bar
from parity.db.connect import resolve_dsn

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sweep", help="backtest every combination of a parameter grid")
    add_period_options(parser)
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="a parameter and its values (repeatable), e.g. --grid poc_distance_threshold=1.0,1.5,2.5",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="groups of combinations run in parallel (processes)",
    )
    add_scheduler_option(parser)
    parser.add_argument(
        "--out",
        default="sweep-report",
        metavar="DIR",
        help="output directory (default: sweep-report/)",
    )
    add_dsn_option(parser)
    add_params_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise ParityError("--jobs must be >= 1")
    if args.start >= args.end:
        raise ParityError("--start must be before --end")
    base = params_from_args(args)
    grid = parse_grid(args.grid, base)
    dsn = resolve_dsn(args.dsn)
    combos = len(combinations(grid, base))
    with progress_bar(f"sweep ({combos} combinations)") as progress:
        table = run_sweep(
            dsn, grid, base, args.symbol, args.start, args.end, jobs=args.jobs,
            scheduler=args.scheduler, progress=progress,
        )  # fmt: skip
    write_sweep(args.out, table, grid)
    print(sweep_markdown(table), end="")
    print(f"sweep: {len(table)} combinations; {args.out}/sweep.html", file=sys.stderr)
    return EXIT_OK
